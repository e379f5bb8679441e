#!/usr/bin/env bash
# director_peers_auth.sh — the --peers exchange trusts no stranger (issue 14,
# item 1; peers.h): forged reports from an unlisted address (version 1 as the
# old code read them, version 2 without the key), a name takeover, a seq of
# UINT64_MAX that would silence a peer, a replay, a wrong key from a listed
# address, counts that would wrap the sums or pass the cap; keyless peers off
# loopback are refused (exit 2); and a flood at both directors' UDP ports does
# not stop them from hearing each other. Loopback only, ports 19780-19789.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/proxy_lib.bash"
need python3
TOOL="$PX_DIR/peers_tool.py"
B="--backend 127.0.0.1:19781 --backend 127.0.0.1:19782"
KEY=$T_TMP/peers.key
(umask 077 && head -c 32 /dev/urandom | base64 >"$KEY")
KEYARG=(--peers-key "$KEY")
if ! "$MQLB" director run --help | grep -q -- --peers-key; then
	KEYARG=() # an mqlb from before the key: the attacks below are then shown to work
	diag "this mqlb has no --peers-key: its directors run without one"
fi

# ---- flags ----
bad() { # bad WHAT GREP ARGS...: exit 2, the first line says GREP (then the --help hint)
	local what=$1 want=$2 out rc
	shift 2
	out=$(timeout -k 1 3 "$MQLB" director run --dataplane proxy --listen 127.0.0.1:19789 $B \
		--health-interval 0 --control "$T_TMP/bad.sock" "$@" 2>&1 </dev/null)
	rc=$?
	is "$rc" "2" "$what: exit 2"
	ok "$what: one line says '$want'" grep -q -- "$want" <<<"$(head -1 <<<"$out")"
	[ "$rc" -eq 2 ] || echo "$out" | sed 's/^/#   /'
}
bad "keyless peer off loopback" "without --peers-key only on loopback: 198.18.0.2:1883" \
	--peers 198.18.0.2:1883
chmod 644 "$KEY"
bad "a key others can read" "chmod 600" --peers 127.0.0.1:19788 --peers-key "$KEY"
chmod 600 "$KEY"
echo short >"$T_TMP/short.key"
chmod 600 "$T_TMP/short.key"
bad "a short key" "want 16..1024 bytes" --peers 127.0.0.1:19788 --peers-key "$T_TMP/short.key"
bad "--peers-key alone" "needs --peers" --peers-key "$KEY"
bad "a missing key file" "No such file" --peers 127.0.0.1:19788 --peers-key "$T_TMP/none"

# ---- forged, taken over, silenced, replayed, overflowed ----
px_start pa 127.0.0.1:19780 $B --scheduler lc --health-interval 0 \
	--peers 127.0.0.1:19780,127.0.0.1:19783 "${KEYARG[@]}" || exit 1
PA=$PX_PID
res=$(python3 "$TOOL" scenario --sock "$T_TMP/pa.sock" --listen 127.0.0.1:19780 \
	--as 127.0.0.1:19783 --key "$KEY" --backends 127.0.0.1:19781,127.0.0.1:19782 2>&1)
echo "$res" | sed 's/^/# /'
r() { awk -v k="$1" '$1 == k {print $2}' <<<"$res"; }
is "$(r forged_names)" "-" "a stranger's forged reports (v1, unsigned v2) are not taken"
is "$(r forged_global)" "0,0" "and do not move the global view"
is "$(r signed_names)" "pb" "the listed peer with the key is heard"
is "$(r signed_global)" "3,4" "and its counts are taken"
is "$(r takeover_global)" "3,4" "a stranger cannot take over its name"
is "$(r after_maxseq_global)" "6,7" "a stranger's seq = UINT64_MAX does not silence it"
is "$(r badkey_replay_global)" "6,7" "a wrong key from its address and a replay are refused"
cmp_ok "$(r rx_bad_mac)" -ge 1 "peers_rx_bad_mac counts the wrong key"
cmp_ok "$(r rx_replay)" -ge 1 "peers_rx_replay counts the replay"
is "$(grep -c 'from 127.0.0.1:19783 failed its MAC' "$T_TMP/pa.log")" 1 "the wrong key is logged, once"
is "$(r overflow_global)" "6,7" "counts that wrap a sum or pass the cap are refused"
is "$(r overflow_names)" "pb" "strangers never get a slot"
cmp_ok "$(r rx_stranger)" -ge 6 "peers_rx_stranger counts them"
kill $PA
wait $PA 2>/dev/null

# ---- a flood does not stop two directors from hearing each other ----
px_start fa 127.0.0.1:19784 $B --scheduler lc --health-interval 0 \
	--peers 127.0.0.1:19785 "${KEYARG[@]}" || exit 1
FA=$PX_PID
px_start fb 127.0.0.1:19785 $B --scheduler lc --health-interval 0 \
	--peers 127.0.0.1:19784 "${KEYARG[@]}" || exit 1
FB=$PX_PID
sleep 0.5
fresh() { # fresh NAME PEER: 1 when NAME lists PEER with age_ms < 600 (expiry)
	px_get "$1" "int(any(p['name'] == '$2' and p['age_ms'] < 600 for p in j['proxy']['peers']))" 2>/dev/null || echo 0
}
is "$(fresh fa fb)/$(fresh fb fa)" "1/1" "before the flood: both hear each other"
# two flooders: one is about what the old receive loop (read until EAGAIN,
# parse every line) could keep up with
for f in 1 2; do
	python3 "$TOOL" flood --to 127.0.0.1:19784,127.0.0.1:19785 --seconds 5 --max 3000000 \
		>"$T_TMP/flood$f.out" 2>&1 &
	FL[$f]=$!
	track ${FL[$f]}
done
sleep 0.5
good=0 all=0
for _ in $(seq 1 8); do
	all=$((all + 2))
	good=$((good + $(fresh fa fb) + $(fresh fb fa)))
	sleep 0.5
done
wait "${FL[1]}" "${FL[2]}"
diag "flood: $(cat "$T_TMP/flood1.out") + $(cat "$T_TMP/flood2.out"); fresh views $good of $all samples"
is "$good/$all" "$all/$all" "during a flood both keep fresh views of each other"
cmp_ok "$(px_get fa 'j["proxy"]["peers_rx_stranger"]')" -gt 10000 "the flood reached fa (peers_rx_stranger)"
cmp_ok "$(px_get fb 'j["proxy"]["peers_tx"]')" -gt 25 "fb kept sending its reports (peers_tx)"
done_testing
