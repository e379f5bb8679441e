# The documentation as a user meets it: the README is what its parts say, opens
# with the two commands, every subcommand has --help and a man page that renders
# without warnings, and every make target the README names exists.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

ok "README.md is current (scripts/readme --check)" "$root/scripts/readme" --check
first_block=$(awk '/^```/{n++; next} n==1' "$root/README.md")
ok "the first code block has make lab" grep -q '^make lab ' <<<"$first_block"
ok "the first code block has make check" grep -q '^make check ' <<<"$first_block"
is "$(grep -c . <<<"$first_block")" 2 "and nothing else"
ok ".ci/run runs the README's test command" grep -q '^make check' "$root/.ci/run"

for cmd in $("$MQLB" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} /^$/{if (on) exit}'); do
	out=$("$MQLB" "$cmd" --help 2>&1)
	is "$?" 0 "mqlb $cmd --help exits 0"
	ok "mqlb $cmd --help says Usage" grep -q "Usage" <<<"$out"
	page="$root/docs/mqlb-$cmd.1"
	ok "docs/mqlb-$cmd.1 exists" test -s "$page"
done
if command -v groff >/dev/null; then
	for page in "$root"/docs/*.1; do
		warn=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1)
		is "$warn" "" "$(basename "$page") renders without groff warnings"
	done
else
	ok "groff is installed (scripts/install-deps installs groff-base)" false
fi
for target in lab check unit fuzz bench install readme format; do
	ok "make $target exists" bash -c "make -C \"$root\" -n $target >/dev/null 2>&1"
done
done_testing
