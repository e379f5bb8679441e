# Bad input to `mqlb director` is refused before the kernel is touched: exit 2,
# one line naming the problem, and no nft table appears (checked in a fresh
# namespace). Without CAP_NET_ADMIN: exit 1 and a line saying what is missing.
. "$(dirname "$0")/../lib.sh"
need_root
need nft

NS=mqlb-dir-bad
ip netns del $NS 2>/dev/null
ip netns add $NS || { echo "not ok 1 - namespace"; exit 1; }
on_exit "ip netns del $NS"
ip -n $NS link set lo up
OKB=(--backend 127.0.0.1:19301 --backend 127.0.0.1:19302)
LONG=$(printf 'n%.0s' $(seq 1 32))

refused() { # refused WHAT-STDERR-MATCHES ARGS...
	local want=$1
	shift
	ip netns exec $NS "$MQLB" director run --control "$T_TMP/bad.sock" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	local rc=$?
	T_N=$((T_N + 1))
	local tables
	tables=$(ip netns exec $NS nft list tables | wc -l)
	if [ "$rc" -eq 2 ] && grep -qi -- "$want" "$T_TMP/err" && [ "$tables" -eq 0 ] && [ ! -e "$T_TMP/bad.sock" ]; then
		echo "ok $T_N - refused ($want): $*"
	else
		echo "not ok $T_N - refused ($want): $*"
		echo "#   rc=$rc tables=$tables stderr: $(head -1 "$T_TMP/err")"
		T_FAIL=$((T_FAIL + 1))
	fi
}
refused "invalid --listen" --listen 127.0.0.1 "${OKB[@]}"
refused "invalid --listen" --listen 256.0.0.1:19300 "${OKB[@]}"
refused "invalid --listen" --listen 127.0.0.1:65536 "${OKB[@]}"
refused "invalid --listen" --listen broker.example:1883 "${OKB[@]}"
refused "invalid backend address" --listen 127.0.0.1:19300 --backend 127.0.0.1:0
refused "invalid backend address" --listen 127.0.0.1:19300 --backend 127.0.0.1:x
refused "invalid weight" --listen 127.0.0.1:19300 --backend 127.0.0.1:19301,weight=-1
refused "invalid weight" --listen 127.0.0.1:19300 --backend 127.0.0.1:19301,weight=65536
refused "invalid backend option" --listen 127.0.0.1:19300 --backend 127.0.0.1:19301,wieght=1
refused "duplicate --backend" --listen 127.0.0.1:19300 "${OKB[@]}" --backend 127.0.0.1:19302
refused "different address families" --listen 127.0.0.1:19300 --backend '[::1]:19301'
refused "cannot be the --listen" --listen 127.0.0.1:19300 --backend 127.0.0.1:19300
refused "at least one --backend" --listen 127.0.0.1:19300
refused "--listen VIP:PORT is required" "${OKB[@]}"
refused "not available with --dataplane nft.*--dataplane ipvs.*--dataplane proxy" --listen 127.0.0.1:19300 "${OKB[@]}" --scheduler lc
refused "not available with --dataplane nft" --listen 127.0.0.1:19300 "${OKB[@]}" --scheduler wlc
refused "unknown scheduler" --listen 127.0.0.1:19300 "${OKB[@]}" --scheduler fastest
refused "invalid --name" --listen 127.0.0.1:19300 "${OKB[@]}" --name "$LONG"
refused "invalid --name" --listen 127.0.0.1:19300 "${OKB[@]}" --name 'a;b'
refused "invalid --mode" --listen 127.0.0.1:19300 "${OKB[@]}" --mode tunnel
refused "ipvs" --listen 127.0.0.1:19300 "${OKB[@]}" --mode dr
refused "invalid --dataplane" --listen 127.0.0.1:19300 "${OKB[@]}" --dataplane xdp
refused "health-interval" --listen 127.0.0.1:19300 "${OKB[@]}" --health-interval 1ms
refused "health-timeout" --listen 127.0.0.1:19300 "${OKB[@]}" --health-interval 1s --health-timeout 2s
refused "health-fall" --listen 127.0.0.1:19300 "${OKB[@]}" --health-fall 0
refused "unknown option" --listen 127.0.0.1:19300 "${OKB[@]}" --frobnicate

# without CAP_NET_ADMIN (uid nobody, no capabilities)
if command -v setpriv >/dev/null; then
	chmod 755 "$T_TMP"
	ip netns exec $NS setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		env XDG_RUNTIME_DIR="$T_TMP" "$MQLB" director run --listen 127.0.0.1:19300 "${OKB[@]}" \
		>/dev/null 2>"$T_TMP/err"
	is "$?" 1 "without CAP_NET_ADMIN: exit 1"
	ok "and the message names CAP_NET_ADMIN and the way out" grep -q "needs CAP_NET_ADMIN.*--dataplane proxy" "$T_TMP/err"
	is "$(ip netns exec $NS nft list tables | wc -l)" 0 "no table appeared"
fi

# status/set misuse
"$MQLB" director status --control "$T_TMP/none.sock" >/dev/null 2>"$T_TMP/err"
is "$?" 1 "status without a running director: exit 1"
ok "and says no director is running" grep -q "no director is running" "$T_TMP/err"
ok "  and how to start or name one" grep -q "start one with 'mqlb director run', or name a running one with --name or --control" "$T_TMP/err"
# a director that accepts and never answers: status gives up after 5 s, says so
# (the client used to wait 10 s per read, forever for a trickle)
/usr/bin/python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)
os.chmod(sys.argv[1], 0o600)
s.settimeout(0.2); held = []; end = time.time() + 12
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
' "$T_TMP/hung.sock" &
track $!
for _ in $(seq 50); do [ -S "$T_TMP/hung.sock" ] && break; sleep 0.1; done
t0=$(date +%s%N)
"$MQLB" director status --control "$T_TMP/hung.sock" >/dev/null 2>"$T_TMP/err"; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 1 "status of a director that never answers: exit 1"
cmp_ok "$ms" -lt 7000 "  after its 5 s deadline (${ms} ms)"
ok "  and says it did not answer" grep -q "did not answer within 5 s" "$T_TMP/err"
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MQLB" director status --control "$T_TMP/hung.sock" >/dev/null 2>"$T_TMP/err"; rc=$?
	is "$rc" 1 "status as another user on a 0600 socket: exit 1"
	ok "  and says the socket is the director's user's only" grep -q "Permission denied (it is mode 0600" "$T_TMP/err"
fi
"$MQLB" director set --control "$T_TMP/none.sock" --backend 127.0.0.1:19301 --weight 70000 2>/dev/null
is "$?" 2 "set --weight 70000: exit 2"
"$MQLB" director set --control "$T_TMP/none.sock" --backend 127.0.0.1:19301 --drain --enable 2>/dev/null
is "$?" 2 "set with two actions: exit 2"
"$MQLB" director set --control "$T_TMP/none.sock" --backend nope --drain 2>/dev/null
is "$?" 2 "set with a bad address: exit 2"
"$MQLB" director frob 2>/dev/null
is "$?" 2 "unknown director subcommand: exit 2"
"$MQLB" director run --help | grep -q -- "--scheduler"
is "$?" 0 "run --help prints usage, exit 0"
done_testing
