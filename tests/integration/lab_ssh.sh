# mqlb lab run --inventory: the study on five "hosts" reached only over SSH
# (network namespaces, each with its own real sshd; lab_ssh_hosts.bash), against
# the same point run locally in the lab's own namespaces: the same exact
# counts; every file collected; clocks measured; nothing left on any host after
# a run or Ctrl-C; a bad inventory, an unreachable host, a wrong key and a
# wrong mqlb version refused per host before anything starts.
. "$(dirname "$0")/../lib.sh"
need_root
need ip nft mosquitto
"$MQLB" lab run --help 2>/dev/null | grep -q -- --inventory || skip_all "no lab run --inventory"
. "$(dirname "$0")/lab_ssh_hosts.bash"

POINT=(--quick --topology distributed --qos 1 --dataplane nft)
SSH=(--inventory "$S5_INV" --remote-mqlb "$MQLB")

# 1. a bad inventory: exit 2, the line named, nothing contacted
printf 'brokers root@%s.31 %s.31\ndirector root@x 10.0.0.300\n' "$S5_NET" "$S5_NET" >"$T_TMP/bad.inv"
"$MQLB" lab run "${POINT[@]}" --inventory "$T_TMP/bad.inv" --out "$T_TMP/bad" 2>"$T_TMP/bad.err"
is "$?" 2 "bad inventory: exit 2"
ok "bad inventory: the file and line are named" grep -q "bad.inv:2: '10.0.0.300' is not an IP address or host name" "$T_TMP/bad.err"
printf 'brokers root@a 1.2.3.4\n' >"$T_TMP/short.inv"
"$MQLB" lab run "${POINT[@]}" --inventory "$T_TMP/short.inv" 2>"$T_TMP/short.err"
is "$?" 2 "inventory without directors and clients: exit 2"
ok "it says what is missing" grep -q "needs 1 brokers, 2 director and 2 client lines (has 1, 0, 0)" "$T_TMP/short.err"

# 2. an unreachable host: refused, named, nothing started anywhere
s5_inventory "$T_TMP/unreach.inv" "$S5_NET.99"
lab rc "$T_TMP/unreach.out" "$T_TMP/unreach.err" run "${POINT[@]}" --inventory "$T_TMP/unreach.inv" \
	--remote-mqlb "$MQLB" --out "$T_TMP/unreach"
is "$rc" 1 "an unreachable host: exit 1"
ok "the unreachable host is named" grep -q "host client1 (root@$S5_NET.99): unreachable over ssh" "$T_TMP/unreach.err"
ok "nothing started" grep -q "nothing started" "$T_TMP/unreach.err"
is "$(grep -c 'unreachable' "$T_TMP/unreach.err")" 1 "only that host is called unreachable"
ok "no run folder was made" test ! -e "$T_TMP/unreach/distributed-c20-q1"
nothing_left "after the unreachable host"

# 3. SSH broken for every host (a key the hosts do not accept): each one named
s5_ssh_config "$T_TMP/wrong_config" "$T_TMP/wrong_id"
s5_inventory "$T_TMP/wrong.inv" "" "$T_TMP/wrong_config"
lab rc "$T_TMP/wrong.out" "$T_TMP/wrong.err" run "${POINT[@]}" --inventory "$T_TMP/wrong.inv" \
	--remote-mqlb "$MQLB" --out "$T_TMP/wrong"
is "$rc" 1 "wrong key: exit 1"
is "$(grep -cE 'host (brokers|dir1|dir2|client1|client2) .*unreachable over ssh: .*Permission denied' "$T_TMP/wrong.err")" 5 \
	"wrong key: all five hosts named, with ssh's reason"

# 4. another mqlb on the hosts: the version is checked per host
printf '#!/bin/sh\necho "mqlb 0.0.1-other"\n' >"$T_TMP/old-mqlb"
chmod +x "$T_TMP/old-mqlb"
lab rc "$T_TMP/ver.out" "$T_TMP/ver.err" run "${POINT[@]}" --inventory "$S5_INV" \
	--remote-mqlb "$T_TMP/old-mqlb" --out "$T_TMP/ver"
is "$rc" 1 "another mqlb version on the hosts: exit 1"
is "$(grep -c "is mqlb 0.0.1-other, not mqlb " "$T_TMP/ver.err")" 5 "every host's version is named"
nothing_left "after the version check"

# 5. the same point locally (the lab's namespaces) and over SSH: same counts
lab rc "$T_TMP/local.out" "$T_TMP/local.err" run "${POINT[@]}" --out "$T_TMP/local"
is "$rc" 0 "local lab run exits 0"
[ "$rc" -eq 0 ] || tail -n 20 "$T_TMP/local.err" | sed 's/^/#   /'
D=$T_TMP/ssh
start=$(date +%s)
lab rc "$T_TMP/ssh.out" "$T_TMP/ssh.err" run "${POINT[@]}" "${SSH[@]}" --out "$D"
diag "lab run --inventory took $(($(date +%s) - start)) s"
is "$rc" 0 "lab run --inventory exits 0"
[ "$rc" -eq 0 ] || tail -n 30 "$T_TMP/ssh.err" | sed 's/^/#   /'
row() { awk -F, 'NR==2 {print "published=" $8 " expected=" $9 " unique=" $10 " lost=" $11}' "$1/summary.csv"; }
diag "local: $(row "$T_TMP/local")"
diag "ssh:   $(row "$D")"
is "$(row "$D")" "$(row "$T_TMP/local")" "published, expected, unique, lost: the same over SSH as locally"
is "$(awk -F, 'NR==2 {print $8, $11}' "$D/summary.csv")" "400 0" "over SSH: 400 published, 0 lost"
is "$(awk -F, 'NR==2 { split($17, c, "/"); s = 0; for (i in c) s += c[i]; print s }' "$D/summary.csv")" 20 \
	"over SSH: the directors' connections add up to the 20 clients"
r=$D/distributed-c20-q1
for f in sub-client1.json sub-client2.json pub-client1.json pub-client2.json sub-client1.csv \
	monitor/brokers.csv director-lab-d1.json director-lab-d2.json monitor/sys.csv cluster/b1.log; do
	ok "collected from the hosts: $f" test -s "$r/$f"
done
ok "the monitor wrote into the brokers' host's work dir (the CSVs above were copied)" \
	grep -q "into /tmp/mqlb-lab\.[A-Za-z0-9]*/distributed-c20-q1/monitor" "$r/monitor.log"
is "$(awk -F, 'NR>1' "$D/clocks.csv" | wc -l)" 5 "clocks.csv: a row per host"
is "$(awk -F, 'NR>1 && ($4 <= 0 || $4 > 1000 || $6 < 1)' "$D/clocks.csv")" "" \
	"clocks.csv: every host has a positive bound below 1 s from >= 1 sample"
is "$(awk -F, 'NR>1 && ($3 < -5 || $3 > 5)' "$D/clocks.csv")" "" \
	"clocks.csv: offsets within 5 ms (the hosts share this machine's clock)"
ok "report.md has the clocks" grep -q '^## Clocks' "$D/report.md"
ok "lab.json says SSH hosts and the clock error" grep -q '"hosts":"SSH hosts (--inventory.*"clock_error_ms":' "$D/lab.json"
nothing_left "after the run"

# 6. Ctrl-C in the middle: nothing left on any host
waited=" "
alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }
# if the test dies here: Ctrl-C the lab and give it time to clean the hosts
# (before the sshds go: hooks run newest first)
stop_lab() {
	case $waited in *" $1 "*) return ;; esac # waited for: its PID may be another's now
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 1 300); do
		alive "$1" || return
		sleep 0.2
	done
	kill -9 "$1" 2>/dev/null
}
for _ in $(seq 1 120); do # (another engineer's lab may hold the lock: retry)
	"$MQLB" lab run "${POINT[@]}" "${SSH[@]}" --out "$T_TMP/int" >/dev/null 2>"$T_TMP/int.err" &
	lp=$!
	on_exit stop_lab "$lp"
	for _ in $(seq 1 300); do
		grep -q 'conn' "$T_TMP/int/distributed-c20-q1/sub-client2.log" 2>/dev/null && break
		alive "$lp" || break
		sleep 0.2
	done
	alive "$lp" || ! grep -q "another mqlb lab run is in progress" "$T_TMP/int.err" && break
	wait "$lp"
	waited+=" $lp "
	sleep 5
done
ok "the interrupted run had its subscribers running" grep -q conn "$T_TMP/int/distributed-c20-q1/sub-client2.log"
cmp_ok "$(left_procs)" -gt 0 "mid-run: the lab's processes run on the hosts (the check can see them)"
kill -INT "$lp"
wait "$lp"
rc=$?
waited+=" $lp "
cmp_ok "$rc" -ne 0 "interrupted run exits non-zero"
ok "it says so" grep -q "interrupted" "$T_TMP/int.err"
nothing_left "after Ctrl-C"
is "$(pgrep -x mosquitto | xargs -r -I{} cat /proc/{}/cmdline 2>/dev/null | tr '\0' ' ' | grep -c /tmp/mqlb-lab.)" 0 \
	"after Ctrl-C: no broker of the lab left"
done_testing
