# mqlb lab search --quick: the search for setups that lose nothing, small and
# for real (namespaces, Mosquitto clusters with the setups' flags, nft
# directors, bench, monitor): search.md/search.csv exist, every row's loss is
# lost/expected, the setups are exactly those asked for (and really applied to
# mosquitto.conf), --first stops at the first setup that lost nothing, and
# nothing of the lab remains afterwards.
. "$(dirname "$0")/../lib.sh"
need_root
need ip nft mosquitto
for c in cluster director monitor bench lab; do
	"$MQLB" "$c" --help >/dev/null 2>&1 || skip_all "mqlb $c is not in this build"
done
"$MQLB" lab search --help >/dev/null 2>&1 || skip_all "mqlb lab search is not in this build"

lab_ns() { ip netns list 2>/dev/null | grep -c '^mqlb-lab-'; }
on_exit "for n in \$(ip netns list | awk '/^mqlb-lab-/{print \$1}'); do ip netns del \$n; done"

# bad input first (no lab starts): exit 2 and a line naming the problem
"$MQLB" lab search --setups thesis,nope >/dev/null 2>"$T_TMP/e1"
is "$?" 2 "unknown setup: exit 2"
ok "it names the setup and the known ones" grep -q "'nope'.*queue-unlimited" "$T_TMP/e1"
"$MQLB" lab search --max-queued 0 >/dev/null 2>"$T_TMP/e2"
is "$?" 2 "a cluster flag in the search: exit 2"
ok "it says the setups set the cluster" grep -q "per setup" "$T_TMP/e2"

D=$T_TMP/out
start=$(date +%s)
timeout -k 10 120 "$MQLB" lab search --quick --setups queue-unlimited,mesh --out "$D" \
	>"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
diag "lab search --quick (2 setups x QoS 1, 2) took $(($(date +%s) - start)) s"
is "$rc" 0 "lab search --quick exits 0"
[ "$rc" -eq 0 ] || tail -n 30 "$T_TMP/stderr" | sed 's/^/#   /'
ok "it printed the estimate first" grep -q "4 runs .*estimated" "$T_TMP/stderr"
is "$(grep -c '^\[[1-4]/4 \(queue-unlimited\|mesh\)\]' "$T_TMP/stderr")" 4 "a progress line per run"

ok "search.md and search.csv exist" test -s "$D/search.md" -a -s "$D/search.csv"
S=$D/search.csv
is "$(head -n1 "$S" | cut -d, -f1-12)" \
	"setup,topology,dataplane,scheduler,qos,clients,published,expected,unique,lost,loss_ratio,duplicates" \
	"search.csv header"
is "$(awk -F, 'NR>1 {printf "%s:%s ", $1, $5}' "$S")" "queue-unlimited:1 queue-unlimited:2 mesh:1 mesh:2 " \
	"rows: the setups asked for, in that order, QoS 1 and 2"
is "$(awk -F, 'NR>1 && !($8 > 0 ? sprintf("%.6f", $10/$8) == $11 : $11 == 0)' "$S")" "" \
	"loss_ratio = lost / expected on every row"
is "$(awk -F, 'NR>1 && $9 + $10 != $8' "$S")" "" "unique + lost = expected on every row"
is "$(awk -F, 'NR>1 && ($6 != 20 || $7 == 0 || $21 != "ok")' "$S")" "" \
	"20 clients, something published, status ok on every row"
# the rows are the setups' own lab folders, figure for figure
for s in queue-unlimited mesh; do
	is "$(awk -F, 'NR>1 {print $18}' "$D/$s/summary.csv" | sort -u)" "$s" "$s/summary.csv names the setup"
	is "$(awk -F, 'NR>1 {print $4":"$11}' "$D/$s/summary.csv" | tr '\n' ' ')" \
		"$(awk -F, -v s=$s 'NR>1 && $1==s {print $5":"$10}' "$S" | tr '\n' ' ')" \
		"$s: search.csv's lost = its summary.csv's"
	ok "$s/report.md exists and names the setup" grep -q "Cluster setup: \*\*$s\*\*" "$D/$s/report.md"
	is "$(grep -c "^| $s | [12] |" "$D/search.md")" 2 "search.md: two table rows for $s"
	ok "search.md says why for $s" grep -q "^- \*\*$s\*\*: QoS 1 .*; QoS 2 " "$D/search.md"
done
# the setups were really applied
ok "queue-unlimited: max_queued_messages 0 in mosquitto.conf" \
	grep -qx 'max_queued_messages 0' "$D/queue-unlimited/distributed-c20-q1/cluster/b1.conf"
ok "mesh: brokers bridged as a mesh" grep -q 'bridge mesh' "$D/mesh/distributed-c20-q2/cluster/b2.conf"
# in a 3-broker mesh a subscriber only sees other brokers' messages under
# $mesh/<origin>/: without the second filter about 2/3 would be missing
is "$(awk -F, '$1=="mesh" && $10 * 3 >= $8' "$S")" "" "mesh: less than a third lost (the second filter works)"
ok "stdout ends with the search's path" grep -qF "search: $D/search.md" "$T_TMP/stdout"

# --first: stops after the first setup that lost nothing at every QoS
F=$T_TMP/first
timeout -k 10 80 "$MQLB" lab search --quick --qos 1 --first --setups thesis,queue-unlimited --out "$F" \
	>/dev/null 2>"$T_TMP/first.err"
is "$?" 0 "lab search --first exits 0"
if [ "$(awk -F, '$1=="thesis" {print $10}' "$F/search.csv")" = 0 ]; then
	is "$(awk -F, 'NR>1 {print $1}' "$F/search.csv" | tr '\n' ' ')" "thesis " \
		"--first: thesis lost nothing, queue-unlimited did not run"
	ok "--first: it says why it stopped" grep -q "stopping (--first)" "$T_TMP/first.err"
	ok "--first: no folder for the setup not run" test ! -e "$F/queue-unlimited"
else
	is "$(awk -F, 'NR>1 {print $1}' "$F/search.csv" | tr '\n' ' ')" "thesis queue-unlimited " \
		"--first: thesis lost something, so queue-unlimited ran"
fi

# nothing of the lab remains
is "$(lab_ns)" 0 "no mqlb-lab- namespaces left"
is "$(nft list tables 2>/dev/null | grep -c 'mqlb-lab-')" 0 "no mqlb-lab- nft tables left (root namespace)"
is "$(pgrep -f "$T_TMP/" | wc -l)" 0 "no process of the lab left (brokers, directors, bench, monitor)"
is "$(find /sys/fs/cgroup -maxdepth 4 -type d -path '*mqlb/lab-b*' 2>/dev/null | wc -l)" 0 \
	"no cgroups of the lab's brokers left"
done_testing
