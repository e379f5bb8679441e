# mqlb lab run --quick: the whole study, small, for real (namespaces, Mosquitto
# cluster, nft directors, bench, monitor), then the checks of issue 6: a row per
# topology x QoS, loss_ratio = lost / expected, unique <= expected, valid PNG
# plots, the table in report.md, and nothing of the lab left behind.
. "$(dirname "$0")/../lib.sh"
need_root
need ip nft mosquitto gnuplot
for c in cluster director monitor bench lab; do
	"$MQLB" "$c" --help >/dev/null 2>&1 || skip_all "mqlb $c is not in this build"
done
"$MQLB" bench merge --help >/dev/null 2>&1 || skip_all "mqlb bench merge is not in this build"

lab_ns() { ip netns list 2>/dev/null | grep -c '^mqlb-lab-'; }
lab_brokers() { # mosquitto processes whose config lives in a lab run dir
	local n=0 p
	for p in $(pgrep -x mosquitto); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$T_TMP/out/" && n=$((n + 1))
	done
	echo "$n"
}
on_exit "for n in \$(ip netns list | awk '/^mqlb-lab-/{print \$1}'); do ip netns del \$n; done"

D=$T_TMP/out
start=$(date +%s)
timeout -k 10 170 "$MQLB" lab run --quick --out "$D" >"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
diag "lab run --quick took $(($(date +%s) - start)) s"
is "$rc" 0 "lab run --quick exits 0"
[ "$rc" -eq 0 ] || tail -n 30 "$T_TMP/stderr" | sed 's/^/#   /'

# summary.csv: the contract header (DESIGN.md's columns, then the cluster
# setup and the repeat) and a row per topology x QoS (--quick: once)
is "$(head -n1 "$D/summary.csv")" \
	"topology,dataplane,scheduler,qos,publishers,subscribers,burst,published,expected,unique,lost,loss_ratio,duplicates,p50_us,p99_us,jain_index,conns_per_broker,setup,repeat" \
	"summary.csv header is DESIGN.md's + setup + repeat"
is "$(awk -F, 'NR>1 {print $19}' "$D/summary.csv" | sort -u)" "1" "--quick runs every point once"
is "$(awk -F, 'NR>1 {print $18}' "$D/summary.csv" | sort -u)" "thesis" "every row names the setup (thesis)"
for t in distributed centralized; do
	for q in 0 1 2; do
		is "$(awk -F, -v t=$t -v q=$q 'NR>1 && $1==t && $4==q' "$D/summary.csv" | wc -l)" 1 \
			"one row for $t QoS $q"
	done
done
is "$(awk -F, 'NR>1 && !($9 > 0 ? sprintf("%.6f", $11/$9) == $12 : $12 == 0)' "$D/summary.csv")" "" \
	"loss_ratio = lost / expected on every row"
is "$(awk -F, 'NR>1 && $10 > $9' "$D/summary.csv")" "" "unique <= expected on every row"
is "$(awk -F, 'NR>1 && $10 + $11 != $9' "$D/summary.csv")" "" "unique + lost = expected on every row"
is "$(awk -F, 'NR>1 && ($5 != 10 || $6 != 10 || $7 != 400)' "$D/summary.csv")" "" \
	"10 publishers, 10 subscribers, burst 400 on every row"
is "$(awk -F, 'NR>1 && $8 == 0' "$D/summary.csv")" "" "every run published something"
# every client went through a director: connections per broker add up to 20
is "$(awk -F, 'NR>1 { split($17, c, "/"); s = 0; for (i in c) s += c[i]; if (s != 20) print NR }' "$D/summary.csv")" "" \
	"directors' connections per broker add up to the 20 clients"
# exact: the figures equal the raw bench files (expected = confirmed x subscribers here)
r=$D/centralized-c20-q1
ok "run folder holds bench JSON, monitor CSVs, director status" \
	test -s "$r/sub-client1.json" -a -s "$r/pub-client2.json" -a -s "$r/monitor/brokers.csv" \
	-a -s "$r/monitor/sys.csv" -a -s "$r/director-lab-d1.json"

for p in loss repeats conns cpu rate latency; do
	is "$(head -c 8 "$D/plots/$p.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" \
		"plots/$p.png is a PNG"
done
ok "report.md holds the summary table" grep -q '^| clients | topology | QoS | published' "$D/report.md"
is "$(grep -cE '^\| 20 \| (distributed|centralized) \| [012] \|' "$D/report.md")" 24 \
	"report.md: 6 rows per point + 6 per run + 6 evidence rows + 6 generator rows"
is "$(sed -n '/^## What the load generator took/,/^## /p' "$D/report.md" |
	grep -cE '^\| 20 \| (distributed|centralized) \| [012] \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$')" 6 \
	"report.md: the generator table has a row of bench CPU per run"
ok "stdout ends with the report's path" grep -qF "report: $D/report.md" "$T_TMP/stdout"

# nothing of the lab remains
is "$(lab_ns)" 0 "no mqlb-lab- namespaces left"
is "$(nft list tables 2>/dev/null | grep -c 'mqlb-lab-')" 0 "no mqlb-lab- nft tables left (root namespace)"
is "$(lab_brokers)" 0 "no broker processes of the lab left"
is "$(pgrep -f "$D/" | wc -l)" 0 "no process of the lab left"
is "$(find /sys/fs/cgroup -maxdepth 4 -type d -path '*mqlb/lab-b*' 2>/dev/null | wc -l)" 0 \
	"no cgroups of the lab's brokers left"

# Ctrl-C in the middle tears everything down too
"$MQLB" lab run --quick --topology centralized --qos 1 --out "$T_TMP/int" >/dev/null 2>"$T_TMP/int.err" &
lp=$!
track "$lp"
for _ in $(seq 1 100); do [ -s "$T_TMP/int/centralized-c20-q1/sub-client1.log" ] && break; sleep 0.2; done
# a second lab meanwhile is refused and leaves the first one alone
"$MQLB" lab run --quick --out "$T_TMP/second" >/dev/null 2>"$T_TMP/second.err"
is "$?" 1 "a second lab run while one is in progress: exit 1"
ok "it says another lab is running" grep -q "another mqlb lab run is in progress" "$T_TMP/second.err"
ok "the first lab is still running" kill -0 "$lp"
is "$(ip netns list | grep -c '^mqlb-lab-')" 6 "its namespaces are still there"
kill -INT "$lp"
wait "$lp"
rc=$?
cmp_ok "$rc" -ne 0 "interrupted run exits non-zero"
ok "interrupted run says so" grep -q "interrupted" "$T_TMP/int.err"
is "$(lab_ns)" 0 "after Ctrl-C: no mqlb-lab- namespaces"
is "$(pgrep -f "$T_TMP/int/" | wc -l)" 0 "after Ctrl-C: no process of the lab"
done_testing
