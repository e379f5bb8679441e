#!/usr/bin/env bash
# deploy/director: the systemd unit passes `systemd-analyze verify` (with
# ExecStart pointed at this build), and the flags of director.env.example,
# moved to loopback addresses, start a real director (proxy dataplane, no
# root needed) that the status command reaches by --name.
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
ok "the unit names the director by its instance" grep -q -- "director run --name %i \$MQLB_DIRECTOR_ARGS" "$D/mqlb-director@.service"
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
done_testing
