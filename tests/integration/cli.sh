# The mqlb binary as a user meets it: help, version, misuse exit codes.
. "$(dirname "$0")/../lib.sh"

out=$("$MQLB" --help); rc=$?
is "$rc" 0 "--help exits 0"
ok "--help lists commands" grep -q "Commands:" <<<"$out"
out=$("$MQLB" --version); rc=$?
is "$rc" 0 "--version exits 0"
ok "--version prints a version" grep -qE '^mqlb [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"
"$MQLB" no-such-command 2>"$T_TMP/err"; rc=$?
is "$rc" 2 "unknown command exits 2"
ok "unknown command is named" grep -q "no-such-command" "$T_TMP/err"
"$MQLB" >/dev/null 2>&1; rc=$?
is "$rc" 2 "no command exits 2"
done_testing
