# mqlb lab run --repeat N (issue 16): bad values are usage errors (exit 2, a
# line saying why) for run, search and faults; then, as root, a real `--repeat 2 --quick`
# run at QoS 1: the progress lines come interleaved (A B A B, not A A B B),
# summary.csv has the repeat column (1, 1, 2, 2), every repeat its own run
# folder, and the report groups the two runs of each point with an interval.
. "$(dirname "$0")/../lib.sh"
"$MQLB" lab --help >/dev/null 2>&1 || skip_all "mqlb lab is not in this build"

for cmd in run search faults; do
	for v in 0 21 -1 abc 1.5 ""; do
		"$MQLB" lab "$cmd" --repeat "$v" --out "$T_TMP/never" >/dev/null 2>"$T_TMP/err"
		is "$?" 2 "lab $cmd --repeat '$v': exit 2"
		# the error, then cli_usage_error's pointer at --help
		ok "lab $cmd --repeat '$v': one line says what is wrong" \
			sh -c "head -n1 '$T_TMP/err' | grep -qF -- \"--repeat: '$v' is not 1..20\""
	done
	"$MQLB" lab "$cmd" --repeat >/dev/null 2>"$T_TMP/err"
	is "$?" 2 "lab $cmd --repeat without a value: exit 2"
	ok "lab $cmd --help names --repeat" sh -c "'$MQLB' lab $cmd --help | grep -q -- '--repeat N'"
done
"$MQLB" lab run --full --repeat 20 --out "$T_TMP/never" >/dev/null 2>"$T_TMP/err"
is "$?" 2 "more runs than the lab plans (--full --repeat 20): exit 2"
ok "it says how many" grep -q "480 runs planned; at most 128" "$T_TMP/err"
ok "nothing was started for a usage error" test ! -e "$T_TMP/never"

if [ "$(id -u)" -ne 0 ]; then
	done_testing
	exit 0
fi
for c in ip nft mosquitto gnuplot; do # a skip after results would break the plan
	command -v "$c" >/dev/null || { diag "$c not installed: no real run"; done_testing; exit 0; }
done
on_exit "for n in \$(ip netns list | awk '/^mqlb-lab-/{print \$1}'); do ip netns del \$n; done"
D=$T_TMP/out
start=$(date +%s)
timeout -k 10 200 "$MQLB" lab run --quick --repeat 2 --qos 1 --out "$D" >"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
diag "lab run --quick --repeat 2 --qos 1 took $(($(date +%s) - start)) s"
is "$rc" 0 "lab run --quick --repeat 2 --qos 1 exits 0"
[ "$rc" -eq 0 ] || tail -n 20 "$T_TMP/stderr" | sed 's/^/#   /'
ok "it plans 2 points x 2, interleaved" grep -q "lab: 4 runs (2 points x 2, interleaved" "$T_TMP/stderr"
# the final line of each run, in the order they ran
order=$(sed -n 's/.*\[\([0-9]*\/4 repeat [12]\/2\)\] \([a-z-]*\) .*lost.*/\1 \2/p' "$T_TMP/stderr" | tr '\n' ';')
is "$order" "1/4 repeat 1/2 distributed;2/4 repeat 1/2 centralized;3/4 repeat 2/2 distributed;4/4 repeat 2/2 centralized;" \
	"progress lines interleaved: A B A B"
is "$(head -n1 "$D/summary.csv" | awk -F, '{print $NF}')" "repeat" "summary.csv: the last column is repeat"
is "$(awk -F, 'NR>1 {print $1 ":" $NF}' "$D/summary.csv" | tr '\n' ' ')" \
	"distributed:1 centralized:1 distributed:2 centralized:2 " "summary.csv: rows interleaved with their repeat"
ok "repeat 1's run folder keeps its name" test -s "$D/distributed-c20-q1/sub-client1.json"
ok "repeat 2 has its own run folder" test -s "$D/distributed-c20-q1-r2/sub-client1.json"
ok "repeat 2's cluster was its own (fresh)" test -d "$D/centralized-c20-q1-r2/cluster"
ok "report: two runs per point with an interval" grep -qE '^\| 20 \| distributed \| 1 \| 2 \| [0-9.]+ ± [0-9.]+ \|' "$D/report.md"
ok "report: the direction sentence" grep -qF "**The study's direction (distributed loses less than centralized)" "$D/report.md"
ok "report: every run, repeat 2 named" grep -qE '^\| 20 \| centralized #2 \| 1 \|' "$D/report.md"
is "$(head -c 8 "$D/plots/repeats.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" \
	"plots/repeats.png is a PNG"
is "$(ip netns list | grep -c '^mqlb-lab-')" 0 "no mqlb-lab- namespaces left"
done_testing
