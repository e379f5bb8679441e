#!/usr/bin/env bash
# deploy/director: the systemd unit passes `systemd-analyze verify` (with
# ExecStart pointed at this build), and the flags of director.env.example,
# moved to loopback addresses, start a real director (proxy dataplane, no
# root needed) that the status command reaches by --name. The unit runs the
# director unprivileged: its own user, only CAP_NET_ADMIN, `systemd-analyze
# security` at most 3.0; and the nft dataplane really works with exactly the
# capabilities the unit grants (setpriv, uid nobody, a namespace of its own).
. "$(dirname "$0")/../lib.sh"
need mosquitto
D=$(cd "$(dirname "$0")/../../deploy/director" && pwd)

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T_TMP/units"
	sed "s#/usr/local/bin/mqlb#$MQLB#" "$D/mqlb-director@.service" >"$T_TMP/units/mqlb-director@.service"
	# verify runs man for Documentation=man:...: the page as make install puts it
	mkdir -p "$T_TMP/man/man1"
	cp "$D/../../docs/mqlb-director.1" "$T_TMP/man/man1/"
	out=$(MANPATH=$T_TMP/man systemd-analyze verify "$T_TMP/units/mqlb-director@t1.service" 2>&1)
	rc=$?
	# only complaints about this unit count (the host's own units are not ours)
	mine=$(grep -F "mqlb-director@" <<<"$out")
	is "$rc $mine" "0 " "systemd-analyze verify: the unit is clean"
	[ -n "$mine" ] && sed 's/^/#   /' <<<"$out"
else
	ok "# SKIP systemd-analyze not installed" true
fi
ok "the unit names the director by its instance" grep -q -- "director run --name %i --control /run/mqlb/director-%i.sock \$MQLB_DIRECTOR_ARGS" "$D/mqlb-director@.service"
ok "the unit runs as a user of its own" grep -qx "DynamicUser=yes" "$D/mqlb-director@.service"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$D/mqlb-director@.service")
is "$caps" "CAP_NET_ADMIN" "the unit keeps CAP_NET_ADMIN and nothing else"
is "$(sed -n 's/^AmbientCapabilities=//p' "$D/mqlb-director@.service")" "$caps" "the unit hands that capability to the unprivileged user"
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>&1 | grep -q -- --offline; then
	score=$(systemd-analyze security --offline=yes "$T_TMP/units/mqlb-director@.service" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	diag "systemd-analyze security: $score"
	ok "systemd-analyze security rates the unit at most 3.0 (got '$score')" \
		awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 3.0) }'
else
	ok "# SKIP systemd-analyze security --offline not available" true
fi
ok "the unit reads /etc/mqlb/director-<instance>.env" grep -q "EnvironmentFile=/etc/mqlb/director-%i.env" "$D/mqlb-director@.service"

# the example's flags, as systemd would split them, with loopback addresses
# and the proxy dataplane (lc exists there too)
args=$(sed -n 's/^MQLB_DIRECTOR_ARGS=//p' "$D/director.env.example")
ok "the example sets MQLB_DIRECTOR_ARGS" test -n "$args"
for p in 19461 19462 19463; do start_mosquitto $p || exit 1; done
args=${args//192.0.2.10:1883/127.0.0.1:19460}
args=${args//192.0.2.21:1883/127.0.0.1:19461}
args=${args//192.0.2.22:1883/127.0.0.1:19462}
args=${args//192.0.2.23:1883/127.0.0.1:19463}
args=${args//--dataplane ipvs/--dataplane proxy}
args=${args//--mode nat/}
# shellcheck disable=SC2086 # word splitting is the point: systemd splits $VAR
"$MQLB" director run --name deploy-t1 --control "$T_TMP/t1.sock" $args >"$T_TMP/t1.log" 2>&1 &
DPID=$!
track "$DPID"
for ((k = 0; k < 100; k++)); do
	"$MQLB" director status --control "$T_TMP/t1.sock" >/dev/null 2>&1 && break
	sleep 0.05
done
js=$("$MQLB" director status --json --control "$T_TMP/t1.sock")
[ -n "$js" ] || sed 's/^/# director: /' "$T_TMP/t1.log"
is "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["name"], d["scheduler"], len(d["backends"]))' "$js" 2>&1)" \
	"deploy-t1 lc 3" "the example's flags run: name, scheduler lc, 3 backends"
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "SIGTERM (systemctl stop): exit 0"

# The kernel dataplane with exactly the unit's capabilities, as uid nobody.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && command -v nft >/dev/null; then
	NS=mqlb-deploy-cap
	ip netns del $NS 2>/dev/null
	ip netns add $NS && on_exit "ip netns del $NS"
	ip -n $NS link set lo up
	printf 'listener 19465 127.0.0.1\nallow_anonymous true\npersistence false\n' >"$T_TMP/cap.conf"
	ip netns exec $NS mosquitto -c "$T_TMP/cap.conf" >"$T_TMP/cap-m.log" 2>&1 &
	track $!
	mkdir -p "$T_TMP/run" && chmod 755 "$T_TMP" && chown 65534 "$T_TMP/run"
	set_caps=$(tr '[:upper:]' '[:lower:]' <<<"${caps//CAP_/}")
	ip netns exec $NS setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all,+"$set_caps" --ambient-caps=-all,+"$set_caps" --bounding-set=-all,+"$set_caps" \
		"$MQLB" director run --name capt --control "$T_TMP/run/d.sock" --listen 127.0.0.1:19464 \
		--backend 127.0.0.1:19465 --dataplane nft --mode local >"$T_TMP/cap-d.log" 2>&1 &
	CPID=$!
	track $CPID
	for ((k = 0; k < 100; k++)); do
		ip netns exec $NS nft list table ip mqlb-capt >/dev/null 2>&1 && break
		sleep 0.05
	done
	is "$(awk '/^Uid:/ {print $2}' /proc/$CPID/status 2>/dev/null) $(awk '/^CapEff:/ {print $2}' /proc/$CPID/status 2>/dev/null)" \
		"65534 0000000000001000" "the director runs as nobody with CAP_NET_ADMIN alone"
	ok "with it, the nft dataplane installs its table" bash -c "ip netns exec $NS nft list table ip mqlb-capt >/dev/null"
	wait_port 127.0.0.1 19465 5
	ok "and a client passes through it" ip netns exec $NS mosquitto_pub -h 127.0.0.1 -p 19464 -t cap -m x
	kill -TERM $CPID
	wait $CPID
	is "$?" 0 "SIGTERM: exit 0"
	is "$(ip netns exec $NS nft list tables)" "" "its table is gone"
	[ "$(ip netns exec $NS nft list tables)" = "" ] || sed 's/^/#   /' "$T_TMP/cap-d.log"
else
	ok "# SKIP needs root, setpriv and nft" true
fi
done_testing
