# mqlb cluster up/status/down with real brokers: star and mesh deliver a message
# published on broker 2 to a subscriber on broker 3 exactly once; limits are in
# the cgroup files of the running brokers; a killed broker shows in status;
# down leaves no broker process and no cgroup.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub mosquitto_pub

# count_on PORT PUBPORT TOPIC FILTER...: subscribe on PORT, publish one message
# on PUBPORT, count what arrives in 2 s (host $CH, default localhost)
count_on() {
	local sp=$1 pp=$2 t=$3 out="$T_TMP/sub.$1.$RANDOM"
	shift 3
	local args=()
	for f in "$@"; do args+=(-t "$f"); done
	mosquitto_sub -h "${CH:-localhost}" -p "$sp" -q 1 "${args[@]}" -W 3 >"$out" 2>/dev/null &
	local sub=$!
	track "$sub"
	sleep 0.5
	mosquitto_pub -h "${CH:-localhost}" -p "$pp" -q 1 -t "$t" -m "hello-$RANDOM"
	wait "$sub" 2>/dev/null
	wc -l <"$out"
}

cluster_pids() { awk -F'\t' '$1=="broker"{print $3}' "$1/state"; }

for mode in star mesh; do
	R="$T_TMP/run-$mode"
	base=$([ $mode = star ] && echo 18831 || echo 18841)
	on_exit "$MQLB" cluster down --run-dir "$R"
	out=$("$MQLB" cluster up --bridge $mode --base-port $base --run-dir "$R" --name cl-$mode 2>&1); rc=$?
	is "$rc" 0 "$mode: up exits 0"
	diag "$out"
	if [ $mode = mesh ]; then
		ok "mesh: up tells the user to subscribe to T and \$mesh/+/T" grep -q 'subscribe to T and \$mesh/+/T' <<<"$out"
		ok "mesh: status says it too" grep -q 'subscribe to T and \$mesh/+/T' <<<"$("$MQLB" cluster status --run-dir "$R")"
	else
		ok "star: up says nothing about \$mesh" test -z "$(grep -F '$mesh' <<<"$out")"
	fi
	pids=$(cluster_pids "$R" | tr '\n' ' ')
	n=0; for p in $pids; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	is "$n" 3 "$mode: three broker processes running"
	if [ $mode = star ]; then
		got=$(count_on $((base + 2)) $((base + 1)) bench/test bench/test)
	else
		got=$(count_on $((base + 2)) $((base + 1)) bench/test bench/test '$mesh/+/bench/test')
	fi
	is "$got" 1 "$mode: published on broker 2, received once on broker 3"
	got=$(count_on $((base + 1)) $((base + 1)) x/y '#' '$mesh/#')
	is "$got" 1 "$mode: the publisher's own broker delivers it once too (no echo)"
	"$MQLB" cluster up --bridge $mode --base-port $base --run-dir "$R" 2>"$T_TMP/err"; rc=$?
	is "$rc" 1 "$mode: up twice exits 1"
	ok "$mode: up twice says already running" grep -q "already running" "$T_TMP/err"
	js=$("$MQLB" cluster status --json --run-dir "$R"); rc=$?
	is "$rc" 0 "$mode: status exits 0 when all alive"
	bridges_up=$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for b in d["brokers"] for l in b["bridges"] if l["state"]==1))' <<<"$js")
	is "$bridges_up" "$([ $mode = star ] && echo 2 || echo 6)" "$mode: every bridge reports state 1"
	if [ $mode = star ]; then
		# limits visible in the cgroup files of the running brokers
		b1=$(cluster_pids "$R" | head -1)
		cpu_cg=$(awk -F: '$2=="cpu"||$2=="cpu,cpuacct"{print $3}' /proc/$b1/cgroup)
		mem_cg=$(awk -F: '$2=="memory"{print $3}' /proc/$b1/cgroup)
		if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
			v2=$(awk -F: '$1=="0"{print $3}' /proc/$b1/cgroup)
			is "$(cat /sys/fs/cgroup$v2/cpu.max)" "25000 100000" "cpu.max of broker 1"
			is "$(cat /sys/fs/cgroup$v2/memory.max)" 134217728 "memory.max of broker 1"
		else
			ok "broker 1 is in an mqlb cgroup ($cpu_cg)" grep -q "/mqlb/cl-star-b1$" <<<"$cpu_cg"
			is "$(cat /sys/fs/cgroup/cpu$cpu_cg/cpu.cfs_quota_us)" 25000 "cfs_quota_us of broker 1"
			is "$(cat /sys/fs/cgroup/cpu$cpu_cg/cpu.cfs_period_us)" 100000 "cfs_period_us of broker 1"
			is "$(cat /sys/fs/cgroup/memory$mem_cg/memory.limit_in_bytes)" 134217728 "memory.limit_in_bytes of broker 1"
		fi
		# kill broker 3: status says so
		b3=$(cluster_pids "$R" | tail -1)
		kill -9 "$b3"
		sleep 0.3
		"$MQLB" cluster status --run-dir "$R" >"$T_TMP/st"; rc=$?
		is "$rc" 1 "status exits 1 with a dead broker"
		ok "status shows broker 3 not alive" grep -qE '^3 +[0-9]+ +127.0.0.1:18833 +NO' "$T_TMP/st"
		diag "$(cat "$T_TMP/st")"
	fi
	"$MQLB" cluster down --run-dir "$R" >/dev/null; rc=$?
	is "$rc" 0 "$mode: down exits 0"
	n=0; for p in $pids; do kill -0 "$p" 2>/dev/null && [ "$(cat /proc/$p/stat 2>/dev/null | awk '{print $3}')" != Z ] && n=$((n + 1)); done
	is "$n" 0 "$mode: down leaves no broker process"
	ok "$mode: no state file after down" test ! -e "$R/state"
	ok "$mode: cgroups removed" test -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "cl-$mode-b*" 2>/dev/null)"
	out=$("$MQLB" cluster down --run-dir "$R"); rc=$?
	is "$rc" 0 "$mode: down again is a no-op"
	ok "$mode: and says nothing runs" grep -q "nothing running" <<<"$out"
done

# IPv6: Mosquitto splits a bridge address at its LAST ':' and does not take
# brackets, so "[::1]:P" never connected; the mesh must come up on ::1.
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	R="$T_TMP/run-v6"
	on_exit "$MQLB" cluster down --run-dir "$R"
	out=$("$MQLB" cluster up --host ::1 --bridge mesh --base-port 19701 --run-dir "$R" --name qa-v6 --timeout 8s 2>&1); rc=$?
	is "$rc" 0 "IPv6 mesh on ::1 comes up (every bridge connected)"
	ok "  and names its addresses as [::1]:P" grep -qF "on [::1]:19701-19703" <<<"$out"
	ok "  bridge address written without brackets" grep -qx "address ::1:19702" "$R/b1.conf"
	got=$(CH=::1 count_on 19703 19702 v6/t v6/t '$mesh/+/v6/t')
	is "$got" 1 "IPv6 mesh: published on broker 2, received once on broker 3"
	"$MQLB" cluster down --run-dir "$R" >/dev/null
fi
done_testing
