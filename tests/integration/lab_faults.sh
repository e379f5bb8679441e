# mqlb lab faults / lab run --fault, for real (namespaces, Mosquitto cluster,
# nft and proxy directors, bench with persistent sessions): bad fault specs
# start nothing; a client link flap through the ClientID proxy resumes every
# session and loses nothing at QoS 1; a killed broker leaves the directors'
# rotation within two health intervals; Ctrl-C during a freeze undoes it and
# leaves nothing behind; the director-failover pair with conntrackd keeps
# every connection where the plain nft pair loses them.
. "$(dirname "$0")/../lib.sh"
need_root
need ip nft mosquitto gnuplot
for c in cluster director monitor bench lab; do
	"$MQLB" "$c" --help >/dev/null 2>&1 || skip_all "mqlb $c is not in this build"
done
"$MQLB" lab faults --help >/dev/null 2>&1 || skip_all "mqlb lab faults is not in this build"
"$MQLB" director run --help 2>&1 | grep -q -- '--dataplane.*proxy\|proxy' ||
	skip_all "the proxy director is not in this build"

lab_ns() { ip netns list 2>/dev/null | awk '/^mqlb-lab-/' | wc -l; }
lab_brokers() { # mosquitto processes whose config lives under this test's folder
	local n=0 p
	for p in $(pgrep -x mosquitto); do
		{ tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null | grep -q "$T_TMP/" && n=$((n + 1))
	done
	echo "$n"
}
stopped_brokers() { # any mosquitto in state T (stopped) anywhere
	local n=0 p
	for p in $(pgrep -x mosquitto); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = T ] && n=$((n + 1))
	done
	echo "$n"
}
fault_tables() { # nft tables named mqlb_fault* in any lab namespace
	local n=0 ns
	for ns in $(ip netns list | awk '/^mqlb-lab-/{print $1}'); do
		n=$((n + $(ip netns exec "$ns" nft list tables 2>/dev/null | grep -c mqlb_fault)))
	done
	echo "$n"
}
# LAB_FAULTS_PARTS: which parts run (default all): bad, faults, sigint
PARTS=${LAB_FAULTS_PARTS:-bad,faults,sigint}
part() { [[ ",$PARTS," == *",$1,"* ]]; }
on_exit "for n in \$(ip netns list | awk '/^mqlb-lab-/{print \$1}'); do ip netns del \$n; done"

# --- bad specs: exit 2, one line naming the spec, nothing started -----------
part bad && for spec in 'broker-nap:2@5s' 'broker-kill:9@1s' 'broker-kill:2@50s' 'garbage' \
	'client-flap:3@1s+1s' 'director-kill:1@1s+1s'; do
	"$MQLB" lab run --quick --qos 1 --fault "$spec" --out "$T_TMP/bad" >"$T_TMP/o" 2>"$T_TMP/e"
	is "$?" 2 "--fault '$spec' exits 2"
	ok "  its error names the spec" grep -qF -- "--fault '$spec'" "$T_TMP/e"
done
if part bad; then
	is "$(lab_ns)" 0 "bad specs: no lab namespace"
	is "$(lab_brokers)" 0 "bad specs: no mosquitto"
	ok "bad specs: no out folder made" test ! -e "$T_TMP/bad"
	is "$(nft list tables 2>/dev/null | grep -c mqlb_fault)" 0 "bad specs: no nft fault table"
fi

# --- client-flap, broker-restart, director-failover: a short timeline ----
# Two lab faults sessions, five runs (CI budget: the whole test in under 90 s
# on an idle machine), subscribers done 1 s after the last message. The first
# with keepalive 1 s: the faults' lengths follow it (flap 2.5 s, restart
# 1.5 s) and 64 messages at -I 250 publish for 4 s. The second,
# director-failover, keeps keepalive 2 s (also 4 s of publishing, the fault
# at 1.3 s; clients that lose their director finish after it): Mosquitto drops
# a client silent for 1.5 keepalives, and the host death + VRRP takeover
# (~2 s) + TCP retransmit must fit in it for the conntrackd pair to keep every
# connection (it did at 1 s too, once: too close). Measured by lab faults
# itself, not here: broker-restart at the default 1 s health interval (here
# 250 ms) and director-failover through the ClientID proxy pair (the same
# affinity as client-flap's proxy run).
part faults && {
D=$T_TMP/faults H=$T_TMP/failover
start=$(date +%s)
timeout -k 10 300 "$MQLB" lab faults --quick --keepalive 1 --burst 64 --quiet 1 \
	--scenario client-flap,broker-restart/persistence-hc250ms --out "$D" \
	>"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
mid=$(date +%s)
timeout -k 10 300 "$MQLB" lab faults --quick --burst 64 --quiet 1 \
	--scenario director-failover/nft+nft-conntrackd --out "$H" \
	>>"$T_TMP/stdout" 2>>"$T_TMP/stderr"
rc2=$?
diag "lab faults took $((mid - start)) s (client-flap, broker-restart) + $(($(date +%s) - mid)) s (director-failover)"
is "$rc" 0 "lab faults --quick --keepalive 1 (client-flap, broker-restart) exits 0"
is "$rc2" 0 "lab faults --quick (director-failover) exits 0"
if [ "$rc" -ne 0 ] || [ "$rc2" -ne 0 ]; then
	tail -n 30 "$T_TMP/stderr" | sed 's/^/#   /'
	for f in "$D"/*/*/*/cluster.log "$H"/*/*/*/cluster.log; do # why a cluster did not come up
		grep -qiE 'error|fail' "$f" 2>/dev/null && sed "s|^|#   ${f#"$T_TMP"/}: |" "$f" | tail -n 8
	done
fi
col() { # col SCENARIO VARIANT COLUMN: the field of faults.csv (D, or H for director-failover)
	local csv=$D/faults.csv
	[ "$1" = director-failover ] && csv=$H/faults.csv
	awk -F, -v s="$1" -v v="$2" -v c="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$1 == s && $2 == v { print $h[c] }' "$csv"
}
is "$(awk -F, 'NR > 1' "$D/faults.csv" | wc -l)" 3 "--scenario NAME/V ran that variant only (3 runs)"
is "$(awk -F, 'NR > 1' "$H/faults.csv" | wc -l)" 2 "--scenario NAME/V1+V2 ran those variants only (2 runs)"
p() { col client-flap proxy-clientid "$1"; }
cmp_ok "$(p reconnects)" -gt 0 "client-flap via the ClientID proxy: clients reconnected"
is "$(p sessions_resumed)" "$(p reconnects)" "  every reconnect resumed its session"
is "$(p sessions_lost)" 0 "  no session lost"
cmp_ok "$(p expected)" -gt 0 "  messages were expected"
is "$(p lost)" 0 "  0 lost at QoS 1 (exact)"
is "$(p unique)" "$(p expected)" "  unique = expected"
is "$(p fault)" "client-flap:1@1333ms+2500ms" "  the flap lasts 2.5 keepalive intervals"
r=$D/$(p run)
ok "  faults.log has the link down and up" \
	sh -c "grep -q 'apply client-flap.*link set dev front down: ok' '$r/faults.log' &&
		grep -q 'undo client-flap.*link set dev front up: ok' '$r/faults.log'"
ok "  the route to the director is back after the link came up" \
	grep -q 'undo client-flap.*ip route get 198.18.0.2[12]: ok' "$r/faults.log"
# L4 rr sends reconnecting clients anywhere: the comparison must show it
cmp_ok "$(col client-flap nft-rr sessions_lost)" -gt 0 "client-flap via nft rr: sessions lost"

# a killed broker is out of every director's rotation within two health
# intervals plus one monitor sample (0.4 s)
for v in persistence-hc250ms:0.9; do
	b=${v#*:} v=${v%:*}
	t=$(col broker-restart "$v" out_of_rotation_s)
	ok "broker-restart/$v: out of rotation in $t s (<= $b)" \
		awk -v t="$t" -v b="$b" 'BEGIN { exit !(t != "" && t != "-" && t != "never" && t + 0 <= b) }'
	r=$D/$(col broker-restart "$v" run)
	ok "  broker 2 killed and started again (faults.log)" \
		sh -c "grep -q 'apply broker-kill.*--signal KILL: ok' '$r/faults.log' &&
			grep -q 'undo broker-kill.*cluster start.*: ok' '$r/faults.log'"
done
# director-failover: the active director host of the keepalived pair dies; the
# VIP moves and every client reconnects through the backup, where L4 loses
# sessions. (The plain nft pair runs first and its killed director leaves its
# DNAT table in the kernel: the lab must clear it, or the next run's director
# cannot create its own table and that run fails.)
f() { col director-failover nft "$1"; }
r=$H/$(f run)
ok "director-failover via the nft pair: the backup took the VIP (its state file says MASTER)" \
	grep -qx MASTER "$r/vrrp-d2.state"
cmp_ok "$(f disconnects)" -gt 0 "  clients disconnected"
cmp_ok "$(f reconnects)" -gt 0 "  and reconnected through the backup"
cmp_ok "$(f sessions_lost)" -gt 0 "  sessions lost (conntrack is per host)"
# with conntrackd the standby commits the dead director's NAT entries: the
# same TCP connections carry on (it took over 8 of 8 in the runs measured)
s() { col director-failover nft-conntrackd "$1"; }
cmp_ok "$(s expected)" -gt 0 "director-failover via the nft pair with conntrackd: messages were expected"
is "$(s disconnects)" 0 "  0 disconnects: every connection survived the host death"
is "$(s lost)" 0 "  0 lost"
r=$H/$(s run)
ok "  the backup took the VIP (MASTER)" grep -qx MASTER "$r/vrrp-d2.state"
ok "  its conntrackd committed the synced entries" \
	grep -q 'Committed [1-9][0-9]* new entries' "$r/conntrackd-d2.log"
ok "  conntrackd 1 died with its host (faults.log)" grep -q 'conntrackd 1 (pid [0-9]*) SIGKILLed' "$r/faults.log"
ok "  the back link went down with the front one" grep -q 'apply director-kill.*link set dev back down: ok' "$r/faults.log"
ok "  director 1's table in the kernel SNATs to the back VIP" grep -qE 'snat (ip )?to 198.18.1.20' "$r/snat-d1.log"
is "$(pgrep -f 'conntrackd -C /run/mqlb/ct-d' | wc -l)" 0 "  no conntrackd of the lab left"
ok "faults.md has a table per scenario and the timelines" \
	sh -c "grep -q '^## client-flap' '$D/faults.md' && grep -q '^## broker-restart' '$D/faults.md' &&
		grep -q 'plots/client-flap-proxy-clientid.png' '$D/faults.md' &&
		grep -q 'nft-conntrackd' '$H/faults.md'"
is "$(head -c 8 "$D/plots/client-flap-proxy-clientid.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
	"89504e470d0a1a0a" "timeline is a PNG"
rm -f "$D/faults.md"
"$MQLB" lab report "$D" >/dev/null 2>&1
ok "lab report rebuilds faults.md" grep -q '^## client-flap' "$D/faults.md"
is "$(lab_ns)" 0 "after lab faults: no lab namespace"
is "$(lab_brokers)" 0 "after lab faults: no mosquitto"
}

# --- Ctrl-C during a freeze ------------------------------------------------
part sigint && {
F=$T_TMP/freeze
"$MQLB" lab run --quick --qos 1 --topology distributed --fault 'broker-freeze:2@0s' \
	--out "$F" >"$T_TMP/f.out" 2>"$T_TMP/f.err" &
lab=$!
track "$lab"
frozen=0
for _ in $(seq 1 600); do # 60 s at most
	grep -q 'apply broker-freeze' "$F"/*/faults.log 2>/dev/null && { frozen=1; break; }
	sleep 0.1
done
is "$frozen" 1 "the freeze was applied"
cmp_ok "$(stopped_brokers)" -ge 1 "  a mosquitto is stopped (state T)"
kill -INT "$lab"
for _ in $(seq 1 600); do
	[ "$(awk '{print $3}' "/proc/$lab/stat" 2>/dev/null)" = Z ] && break
	[ -e "/proc/$lab" ] || break
	sleep 0.1
done
wait "$lab" 2>/dev/null
ok "Ctrl-C: the freeze was undone (SIGCONT) before teardown" \
	grep -q 'undo broker-freeze.*ok' "$F"/*/faults.log
is "$(stopped_brokers)" 0 "Ctrl-C: no stopped mosquitto"
is "$(lab_brokers)" 0 "Ctrl-C: no mosquitto"
is "$(lab_ns)" 0 "Ctrl-C: no lab namespace"
is "$(fault_tables)" 0 "Ctrl-C: no fault table"
}
done_testing
