# mqlb lab report DIR: the report from data alone (a synthetic --out DIR made
# here in the layout of DESIGN.md): the table is there, every row's loss ratio
# is lost / expected, the plots are real PNG files, and bad input is refused.
. "$(dirname "$0")/../lib.sh"
need gnuplot
"$MQLB" --help | grep -qE '^  lab ' || skip_all "lab is not registered in src/mqlb.c"

D=$T_TMP/out
mkdir -p "$D"
cat >"$D/summary.csv" <<'CSV'
topology,dataplane,scheduler,qos,publishers,subscribers,burst,published,expected,unique,lost,loss_ratio,duplicates,p50_us,p99_us,jain_index,conns_per_broker
distributed,nft,rr,0,240,240,6000,6000,1440000,1238400,201600,0.140000,0,1800,95000,0.9922,180/150/150
distributed,nft,rr,1,240,240,6000,6000,1440000,1252800,187200,0.130000,0,2100,120000,0.9922,180/150/150
distributed,nft,rr,2,240,240,6000,6000,1440000,1267200,172800,0.120000,3,2500,150000,0.9922,180/150/150
centralized,nft,rr,0,240,240,6000,6000,1440000,1080000,360000,0.250000,0,1700,90000,1.0000,160/160/160
centralized,nft,rr,1,240,240,6000,6000,1440000,1094400,345600,0.240000,0,2000,110000,1.0000,160/160/160
centralized,nft,rr,2,240,240,6000,5998,1439520,1094035,345485,0.240000,0,2600,140000,1.0000,160/160/160
CSV
cat >"$D/lab.json" <<'JSON'
{"started":"2026-11-24T16:00:00.000+0000","machine":"fixture (2 cores)","hosts":"network namespaces mqlb-lab-*","scheduler_note":"lc is not expressible in nftables: rr."}
JSON
# run folders: monitor CSVs (as mqlb monitor writes them: one row per broker per
# sample) and bench sub --csv files (one row per second) for the rate plot
for t in distributed centralized; do
	for q in 0 1 2; do
		r=$D/$t-c480-q$q
		mkdir -p "$r/monitor"
		echo "timestamp,elapsed_s,broker,address,pid,alive,cpu_percent,rss_bytes,cgroup_memory_bytes" >"$r/monitor/brokers.csv"
		echo "timestamp,elapsed_s,broker,clients_connected,publish_received,publish_sent,publish_dropped,store_messages,heap_bytes,publish_dropped_1min,sys_connected" >"$r/monitor/sys.csv"
		for i in $(seq 0 40); do
			s=$(awk -v i="$i" 'BEGIN{printf "%.1f", i*0.4}')
			for b in 1 2 3; do
				echo "2026-11-24T16:00:00.000+0000,$s,$b,198.18.1.31:188$b,10$b,1,$((b * 5 + i % 20)).5,$((1000000 + i)),2000000" >>"$r/monitor/brokers.csv"
				echo "2026-11-24T16:00:00.000+0000,$s,$b,160,$((i * 100)),$((i * 900)),$((i * b * 7)),38,41512,$((i * 50)).00,1" >>"$r/monitor/sys.csv"
			done
		done
		for h in client1 client2; do
			echo "t_s,phase,connected,published,acked,received,unique,expected,pub_rate,recv_rate,inflight,lost_so_far,errors" >"$r/sub-$h.csv"
			for s in $(seq 1 15); do echo "$s.004,connect,120,0,0,$((s * s * 500)),$((s * s * 500)),0,0.0,$((s * 1000)).0,0,0,0" >>"$r/sub-$h.csv"; done
		done
	done
done

# director.csv for distributed QoS 1: director a has every backend unhealthy
# at 2.0, 2.4 and 2.8 s (up again at 3.2: 1.2 s) and keeps their weights
# (failing open); director b has one sample of all down (0.4 s)
dcsv=$D/distributed-c480-q1/monitor/director.csv
echo "timestamp,elapsed_s,director,dataplane,scheduler,backend,weight,effective_weight,healthy,active_connections,inactive_connections,total_connections,bytes_in,bytes_out" >"$dcsv"
for i in $(seq 0 10); do
	s=$(awk -v i="$i" 'BEGIN{printf "%.3f", i*0.4}')
	for dir in a b; do
		for b in 1 2 3; do
			h=1
			[ "$dir" = a ] && [ "$i" -ge 5 ] && [ "$i" -le 7 ] && h=0
			[ "$dir" = b ] && [ "$i" -eq 4 ] && h=0
			echo "2026-11-24T16:00:00.000+0000,$s,/run/mqlb/lab-$dir.sock,nft,rr,198.18.1.31:188$b,1,1,$h,10,0,10,100,100" >>"$dcsv"
		done
	done
done

# director.csv for distributed QoS 0, as the monitor writes it since it gained
# the error column: director c stops answering after 0.8 s (killed, as in lab
# faults director-failover): its rows have empty fields and an error, which is
# no health verdict, so its all-down time stays 0
dcsv=$D/distributed-c480-q0/monitor/director.csv
echo "timestamp,elapsed_s,director,dataplane,scheduler,backend,weight,effective_weight,healthy,active_connections,inactive_connections,total_connections,bytes_in,bytes_out,conntrack,vrrp_state,error" >"$dcsv"
for i in $(seq 0 10); do
	s=$(awk -v i="$i" 'BEGIN{printf "%.3f", i*0.4}')
	if [ "$i" -le 2 ]; then
		for b in 1 2 3; do
			echo "2026-11-24T16:00:00.000+0000,$s,/run/mqlb/lab-c.sock,nft,rr,198.18.1.31:188$b,1,1,1,10,0,10,100,100,40,MASTER," >>"$dcsv"
		done
	else
		echo "2026-11-24T16:00:00.000+0000,$s,/run/mqlb/lab-c.sock,,,,,,,,,,,,,,not running" >>"$dcsv"
	fi
done

# the generator's own CPU (issue 18): two bench processes of one run
echo '{"mode": "sub", "cpu_user_s": 1.25, "cpu_sys_s": 0.5, "duration_s": 10.0}' >"$D/distributed-c480-q1/sub-client1.json"
echo '{"mode": "pub", "cpu_user_s": 0.2, "cpu_sys_s": 0.05, "duration_s": 8.0}' >"$D/distributed-c480-q1/pub-client2.json"

"$MQLB" lab report "$D" >"$T_TMP/out.txt" 2>"$T_TMP/err.txt"
rc=$?
is "$rc" 0 "lab report exits 0"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_TMP/err.txt"
ok "prints the report's path" grep -qF "$D/report.md" "$T_TMP/out.txt"
ok "report.md exists" test -s "$D/report.md"
ok "report holds the summary table header" grep -q '^| clients | topology | QoS | published | expected | unique | lost | loss %' "$D/report.md"
is "$(grep -cE '^\| 480 \| (distributed|centralized) \| [012] \| [0-9]+ \| 14[0-9]{5} \|' "$D/report.md")" 6 "one table line per run"
# an older summary.csv (no repeat column): one run per point, no interval
ok "grouped table: one run, no interval" grep -qF '| 480 | centralized | 1 | 1 | 24.00 ± — | 24.00 | 24.00 |' "$D/report.md"
ok "one run per point: the direction cannot be judged" grep -qF "**The study's direction (distributed loses less than centralized) cannot be judged" "$D/report.md"
ok "centralized QoS 2 row shows its figures" grep -qF '| 480 | centralized | 2 | 5998 | 1439520 | 1094035 | 345485 | 24.00 |' "$D/report.md"
ok "peak broker CPU from the monitor" grep -qE '\| 0\.992 \| 34\.5 \(broker3\) \|' "$D/report.md"
ok "section Against the study" grep -q '^## Against the study' "$D/report.md"
ok "study's 25 % beside our pooled centralized loss" grep -qE '^\| centralized \| ~25 \| 24\.[0-9]+ \|' "$D/report.md"
ok "study's 14 % beside our pooled distributed loss" grep -qE '^\| distributed \| ~14 \| 13\.00 \|' "$D/report.md"
ok "per-broker dropped counts from \$SYS" grep -qF 'broker1 280, broker2 560, broker3 840' "$D/report.md"
ok "hub share of drops" grep -qE '\| 16\.7 \|' "$D/report.md"
ok "scheduler note from lab.json" grep -qF 'lc is not expressible in nftables' "$D/report.md"
ok "all-down time from director.csv, failing open" grep -qE '^\| 480 \| distributed \| 1 \| .* \| 1\.2 \(open\) \|$' "$D/report.md"
ok "a director that stopped answering is not 'all down'" grep -qE '^\| 480 \| distributed \| 0 \| .* \| 0\.0 \|$' "$D/report.md"
ok "the load generator's CPU: both processes summed, over the longest run time" \
	grep -qE '^\| 480 \| distributed \| 1 \| 2\.00 \| 10\.0 \| [0-9.]+ \|$' "$D/report.md"
ok "no director.csv: all-down not shown" grep -qE '^\| 480 \| centralized \| 2 \| .* \| — \|$' "$D/report.md"
ok "lossy runs point at lab search" grep -qF 'Messages were lost at QoS 0, 1 and 2. `mqlb lab search`' "$D/report.md"

# every row: loss_ratio == lost / expected (6 decimals)
bad=$(awk -F, 'NR>1 { if ($9 > 0 && sprintf("%.4f", $11 / $9) != sprintf("%.4f", $12)) print NR }' "$D/summary.csv")
is "$bad" "" "loss_ratio = lost / expected on every row"

for p in loss repeats conns cpu rate latency; do
	f=$D/plots/$p.png
	sig=$(head -c 8 "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	is "$sig" "89504e470d0a1a0a" "plots/$p.png is a PNG (8-byte signature)"
	ok "plots/$p.svg is SVG" grep -q '<svg' "$D/plots/$p.svg"
	ok "report links $p.png" grep -qF "(plots/$p.png)" "$D/report.md"
done

# rebuilding gives the same page (the report reads only the data)
cp "$D/report.md" "$T_TMP/first.md"
"$MQLB" lab report "$D" >/dev/null 2>&1
ok "report is reproducible from the data" cmp -s "$D/report.md" "$T_TMP/first.md"

# a run that lost nothing gets no pointer to the search; one lossy QoS is named
L=$T_TMP/lossless
mkdir -p "$L"
head -1 "$D/summary.csv" >"$L/summary.csv"
echo "distributed,nft,rr,1,240,240,6000,6000,1440000,1440000,0,0.000000,0,2100,120000,1.0000,160/160/160" >>"$L/summary.csv"
"$MQLB" lab report "$L" >/dev/null 2>&1
ok "lossless: report written" test -s "$L/report.md"
grep -q 'Setups that lose nothing' "$L/report.md"
is "$?" 1 "lossless: no search pointer"
echo "distributed,nft,rr,2,240,240,6000,6000,1440000,1440000,7,0.000005,0,2100,120000,1.0000,160/160/160" >>"$L/summary.csv"
"$MQLB" lab report "$L" >/dev/null 2>&1
ok "one lossy QoS: named alone" grep -qF 'Messages were lost at QoS 2. ' "$L/report.md"

# repeats (issue 16): three runs per point, interleaved, with known figures;
# the expected means, intervals and p-values were computed outside mqlb
# (Python: Student t integrated numerically with Simpson's rule, not the
# incomplete beta of stats.c):
#   distributed q1 10,12,14 % -> 12.00 ± 4.97; centralized q1 20,21,22 -> 21.00 ± 2.48;
#   difference -9.00 ± 4.16 points, Welch t -6.971, df 2.94, p 0.00646
#   pooled per repeat (with q0 = 0): 5,6,7 vs 10,10.5,11 -> -4.50 ± 2.08, p 0.00646
#   distributed-lc 30,33,36 vs distributed-shared 31,32,33 -> +1.00 ± 6.64, p 0.630
R=$T_TMP/repeats
mkdir -p "$R"
{
	echo "topology,dataplane,scheduler,qos,publishers,subscribers,burst,published,expected,unique,lost,loss_ratio,duplicates,p50_us,p99_us,jain_index,conns_per_broker,setup,repeat"
	for k in 1 2 3; do
		dl=$((8000 + 2000 * k)) cl=$((19000 + 1000 * k)) ll=$((27000 + 3000 * k)) sl=$((30000 + 1000 * k))
		echo "distributed,nft,rr,0,240,240,6000,1000,100000,100000,0,0.000000,0,1000,500000,1.0000,160/160/160,thesis,$k"
		echo "distributed,nft,rr,1,240,240,6000,1000,100000,$((100000 - dl)),$dl,0.$(printf %06d $((dl * 10))),0,1000,$((900000 + 100000 * k)),1.0000,160/160/160,thesis,$k"
		echo "centralized,nft,rr,0,240,240,6000,1000,100000,100000,0,0.000000,0,1000,500000,1.0000,160/160/160,thesis,$k"
		echo "centralized,nft,rr,1,240,240,6000,1000,100000,$((100000 - cl)),$cl,0.$(printf %06d $((cl * 10))),0,1000,2000000,1.0000,160/160/160,thesis,$k"
		echo "distributed-lc,proxy,lc,1,240,240,6000,1000,100000,$((100000 - ll)),$ll,0.$(printf %06d $((ll * 10))),0,1000,2000000,0.8889,200/200/80,thesis,$k"
		echo "distributed-shared,proxy,lc,1,240,240,6000,1000,100000,$((100000 - sl)),$sl,0.$(printf %06d $((sl * 10))),0,1000,2000000,1.0000,160/160/160,thesis,$k"
	done
} >"$R/summary.csv"
"$MQLB" lab report "$R" >/dev/null 2>"$T_TMP/rep.err"
is "$?" 0 "repeats: lab report exits 0"
ok "repeats: distributed QoS 1 mean ± 95 % CI, min, max" grep -qF '| 480 | distributed | 1 | 3 | 12.00 ± 4.97 | 10.00 | 14.00 | 1100 ± 248 |' "$R/report.md"
ok "repeats: centralized QoS 1" grep -qF '| 480 | centralized | 1 | 3 | 21.00 ± 2.48 | 20.00 | 22.00 |' "$R/report.md"
ok "repeats: the pair's difference, interval and Welch's p" grep -qF '| 480 | 1 | distributed | centralized | 12.00 ± 4.97 | 21.00 ± 2.48 | -9.00 ± 4.16 | 0.006 |' "$R/report.md"
ok "repeats: the pair's verdict" grep -qE '^\| 480 \| 1 \| distributed \| centralized \|.*\| first loses less \|$' "$R/report.md"
ok "repeats: the study's direction holds at 95 %, pooled per repeat" grep -qF "**The study's direction (distributed loses less than centralized) holds at 95 %** at 480 clients: pooled over the QoS levels per repeat, distributed 6.00 ± 2.48 %, centralized 10.50 ± 1.24 % (difference -4.50 ± 2.08 points, Welch's p = 0.006, 3 + 3 runs)" "$R/report.md"
ok "repeats: QoS 0 (no loss in any run) cannot be told apart" grep -qF "at QoS 0 it cannot be told apart" "$R/report.md"
ok "repeats: the lc pair with its connection balance" grep -qF "each director's own view lost 33.00 ± 7.45 % with Jain 0.889, one shared view 32.00 ± 2.48 % with Jain 1.000 (difference +1.00 ± 6.64 points, Welch's p = 0.630): the shared view losing less cannot be told apart" "$R/report.md"
ok "repeats: distributed-lc is the study's mechanism" grep -qF -- "- distributed-lc (proxy/lc): **the study's mechanism**" "$R/report.md"
ok "repeats: rr is not" grep -qF -- "- distributed (nft/rr): not the study's mechanism" "$R/report.md"
ok "repeats: every run listed with its repeat" grep -qF '| 480 | centralized #3 | 1 |' "$R/report.md"
ok "repeats: loss.dat has the interval half widths" grep -qE '^"distributed" 0\.000 0\.000 12\.000 4\.968 - - 14$' "$R/plots/loss.dat"
is "$(grep -vc '^#\|^$' "$R/plots/repeats.dat")" 18 "repeats.dat: every run a point"
is "$(head -c 8 "$R/plots/repeats.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" "plots/repeats.png is a PNG"
ok "report links the repeats plot" grep -qF "(plots/repeats.png)" "$R/report.md"

# bad input: not a folder with a summary, a wrong header, no argument
"$MQLB" lab report "$T_TMP/nope" >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "missing folder: exit 1"
ok "missing folder: says which file" grep -q "summary.csv" "$T_TMP/err"
mkdir -p "$T_TMP/badhdr"
printf 'topology,qos\ncentralized,1\n' >"$T_TMP/badhdr/summary.csv"
"$MQLB" lab report "$T_TMP/badhdr" >/dev/null 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "renamed columns: exit 1"
"$MQLB" lab report >/dev/null 2>&1; rc=$?
is "$rc" 2 "no DIR: exit 2"
"$MQLB" lab report --help >/dev/null; rc=$?
is "$rc" 0 "report --help exits 0"
# Issue 14.3: nothing from summary.csv or the folder's name becomes a gnuplot
# command. A topology that closes gnuplot's quotes and calls system() is
# refused with an error; a folder with a quote in its name still plots.
E="$T_TMP/evil"
mkdir -p "$E"
head -1 "$D/summary.csv" >"$E/summary.csv"
echo "x');system('touch $T_TMP/pwned');print('x,nft,rr,1,240,240,6000,6000,1440000,1440000,0,0.000000,0,2100,120000,1.0000,160/160/160" >>"$E/summary.csv"
"$MQLB" lab report "$E" >/dev/null 2>"$T_TMP/evil.err"
rc=$?
cmp_ok "$rc" -ne 0 "a crafted topology name: lab report fails"
ok "  with a clear error" grep -q 'summary.csv' "$T_TMP/evil.err"
ok "  and runs no command" test ! -e "$T_TMP/pwned"
Q="$T_TMP/it's a lab"
cp -r "$D" "$Q"
rm -rf "$Q/plots"
"$MQLB" lab report "$Q" >/dev/null 2>"$T_TMP/q.err"
is "$?" 0 "a folder with a quote in its name: lab report exits 0"
if command -v gnuplot >/dev/null; then
	ok "  and its plots are drawn" test -s "$Q/plots/loss.png"
fi
done_testing
