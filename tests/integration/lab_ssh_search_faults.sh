# mqlb lab search and lab faults --inventory: the same five "hosts" reached
# only over SSH as lab_ssh.sh (lab_ssh_hosts.bash, its own names and subnet).
# search: a --quick point of the thesis setup gives the same exact counts over
# SSH as in the lab's own namespaces. faults: broker-restart kills broker 2 and
# starts it again by a command over ssh on the brokers' host (faults.log says
# so), the accounting is exact (unique + lost = expected), nothing is left on
# any host; the faults that would cut the SSH link (and HA) are refused with
# one line and exit 2 before anything starts.
. "$(dirname "$0")/../lib.sh"
need_root
need ip nft mosquitto
"$MQLB" lab faults --help 2>/dev/null | grep -q -- --inventory || skip_all "no lab faults --inventory"
S5_PREFIX=s9 S5_NET=198.18.59
. "$(dirname "$0")/lab_ssh_hosts.bash"

SSH=(--inventory "$S5_INV" --remote-mqlb "$MQLB")
# LAB_SSH_PARTS: which parts run (default all): refused, search, faults
PARTS=${LAB_SSH_PARTS:-refused,search,faults}
part() { [[ ",$PARTS," == *",$1,"* ]]; }

# 1. what cannot run over SSH: exit 2 and one line, before anything starts
refused() { # refused WHAT PATTERN ARGS...
	local what=$1 pat=$2
	shift 2
	"$MQLB" lab "$@" "${SSH[@]}" --out "$T_TMP/refused" >/dev/null 2>"$T_TMP/refused.err"
	is "$?" 2 "$what over --inventory: exit 2"
	ok "$what: the reason in one line" grep -q -- "^mqlb: $pat" "$T_TMP/refused.err"
	is "$(grep -c '^mqlb: ' "$T_TMP/refused.err")" 1 "$what: one error line"
	ok "$what: nothing started (no results folder)" test ! -e "$T_TMP/refused"
}
part refused && {
refused "faults client-flap" "--scenario client-flap with --inventory: .*SSH connection" faults --quick --scenario client-flap
refused "faults bridge-cut" "--scenario bridge-cut with --inventory: " faults --quick --scenario bridge-cut
refused "faults netem" "--scenario netem with --inventory: .*SSH traffic" faults --quick --scenario netem
refused "faults director-failover" "--scenario director-failover with --inventory: HA" \
	faults --quick --scenario director-failover/nft
refused "run --fault client-flap" "--fault client-flap:1@1s+1s with --inventory: " \
	run --quick --topology distributed --qos 1 --fault client-flap:1@1s+1s
}

# 2. lab search: the thesis setup's --quick point locally and over SSH
part search && {
S=(--quick --first --qos 1 --setups thesis)
lab rc "$T_TMP/sl.out" "$T_TMP/sl.err" search "${S[@]}" --out "$T_TMP/sl"
is "$rc" 0 "local lab search exits 0"
[ "$rc" -eq 0 ] || tail -n 20 "$T_TMP/sl.err" | sed 's/^/#   /'
start=$(date +%s)
lab rc "$T_TMP/ss.out" "$T_TMP/ss.err" search "${S[@]}" "${SSH[@]}" --out "$T_TMP/ss"
diag "lab search --inventory took $(($(date +%s) - start)) s"
is "$rc" 0 "lab search --inventory exits 0"
[ "$rc" -eq 0 ] || tail -n 30 "$T_TMP/ss.err" | sed 's/^/#   /'
# search.csv: published, expected, unique, lost (columns 7-10)
srow() { awk -F, 'NR==2 {print $1 " published=" $7 " expected=" $8 " unique=" $9 " lost=" $10}' "$1/search.csv"; }
diag "local: $(srow "$T_TMP/sl")"
diag "ssh:   $(srow "$T_TMP/ss")"
is "$(srow "$T_TMP/ss")" "$(srow "$T_TMP/sl")" "search: published, expected, unique, lost the same over SSH as locally"
is "$(awk -F, 'NR==2 {print $7, $8, $9, $10}' "$T_TMP/ss/search.csv")" "400 4000 4000 0" \
	"search over SSH: 400 published, 4000 expected, 4000 unique, 0 lost"
ok "search over SSH: collected from the hosts" test -s "$T_TMP/ss/thesis/distributed-c20-q1/sub-client2.json"
ok "search over SSH: lab.json says SSH hosts" grep -q '"hosts":"SSH hosts' "$T_TMP/ss/thesis/lab.json"
ok "search.md names SSH hosts and has the clocks" \
	sh -c 'grep -q "SSH hosts" "$1" && grep -q "^## Clocks" "$1"' _ "$T_TMP/ss/search.md"
"$MQLB" lab report "$T_TMP/ss" >/dev/null 2>&1
is "$(grep -c '^## Clocks' "$T_TMP/ss/search.md") $(grep -c '^## Clocks' "$T_TMP/ss/thesis/report.md")" "1 1" \
	"lab report DIR (search): search.md and the setup's report.md keep one Clocks section"
nothing_left "after lab search"
}

# 3. lab faults: broker 2 killed and started again on the brokers' host
part faults && {
D=$T_TMP/faults
start=$(date +%s)
# (lab_faults.sh's short timeline: 64 messages in 4 s, the restart 1.5 s long)
lab rc "$T_TMP/f.out" "$T_TMP/f.err" faults --quick --keepalive 1 --burst 64 --quiet 1 \
	--scenario broker-restart/persistence "${SSH[@]}" --out "$D"
diag "lab faults --inventory took $(($(date +%s) - start)) s"
is "$rc" 0 "lab faults --inventory exits 0"
[ "$rc" -eq 0 ] || tail -n 30 "$T_TMP/f.err" | sed 's/^/#   /'
log=$(find "$D/broker-restart/persistence" -name faults.log | head -n 1)
ok "faults.log: broker 2 SIGKILLed by cluster kill over ssh on the brokers' host" \
	grep -qE " apply broker-kill:2@.* \[brokers\] mqlb cluster kill --run-dir /tmp/mqlb-lab\.[^ ]* --broker 2 --signal KILL: ok" "$log"
ok "faults.log: started again there (cluster start)" \
	grep -qE " undo broker-kill:2@.* \[brokers\] mqlb cluster start --run-dir /tmp/mqlb-lab\.[^ ]* --broker 2: ok" "$log"
[ -n "$log" ] && sed 's/^/#   /' "$log"
# (the sshds run under `ip netns exec`, whose /sys has no cgroup fs: the
# brokers' host says so here and runs them without limits)
[ -n "$log" ] && grep -h "cgroup" "$(dirname "$log")/cluster.log" | sed 's/^/#   cluster.log: /'
# faults.csv: expected, unique, lost, duplicates (columns 10-13)
row=$(awk -F, 'NR==2 {print $10, $11, $12, $13}' "$D/faults.csv")
diag "faults.csv expected unique lost duplicates: $row"
read -r exp uniq lost dups <<<"$row"
cmp_ok "${exp:-0}" -gt 0 "faults: messages were expected"
is "$((uniq + lost))" "$exp" "faults: unique + lost = expected (exact accounting)"
ok "faults.md has the clocks" grep -q "^## Clocks" "$D/faults.md"
"$MQLB" lab report "$D" >/dev/null 2>&1
is "$(grep -c '^## Clocks' "$D/faults.md")" 1 "lab report DIR (faults): faults.md keeps one Clocks section"
nothing_left "after lab faults"
}
done_testing
