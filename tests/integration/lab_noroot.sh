# mqlb lab run without root: it says so, falls back to loopback addresses and
# the user-space director, still counts exactly, and leaves no broker behind.
# Run as root, it drops to uid 65534 (setpriv) to be the user without root.
. "$(dirname "$0")/../lib.sh"
need mosquitto gnuplot setpriv
"$MQLB" lab --help >/dev/null 2>&1 || skip_all "mqlb lab is not in this build"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0777 "$T_TMP"
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T_TMP" XDG_RUNTIME_DIR="$T_TMP" "$@"; }
	# the sanitizer build lives under a path uid 65534 may not reach
	as_user test -x "$MQLB" || skip_all "uid 65534 cannot run $MQLB"
else
	as_user() { "$@"; }
fi
D=$T_TMP/out
as_user timeout -k 10 200 "$MQLB" lab run --quick --qos 1 --out "$D" >"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
is "$rc" 0 "lab run --quick --qos 1 as a user: exit 0"
[ "$rc" -eq 0 ] || tail -n 20 "$T_TMP/stderr" | sed 's/^/#   /'
ok "it says it is not root and what it does instead" grep -q "not root: loopback addresses and the user-space director" "$T_TMP/stderr"
is "$(awk -F, 'NR>1 {print $1","$2","$4}' "$D/summary.csv" 2>/dev/null | sort | tr '\n' ' ')" \
	"centralized,proxy,1 distributed,proxy,1 " "summary.csv: both topologies, proxy dataplane, QoS 1"
is "$(awk -F, 'NR>1 && ($10 + $11 != $9 || $10 > $9)' "$D/summary.csv")" "" "unique + lost = expected, unique <= expected"
is "$(awk -F, 'NR>1 && $9 == 0' "$D/summary.csv")" "" "every run expected messages"
ok "report.md holds the table" grep -q '| distributed' "$D/report.md"
ok "lab.json says the hosts were loopback addresses" grep -q '"hosts":"loopback addresses (no root)' "$D/lab.json"
is "$(pgrep -u 65534 -f "mosquitto -c $D" | wc -l)" 0 "no broker of the lab is left"
done_testing
