#!/bin/sh
# guest-test.sh [PHASE,...] — runs INSIDE the microVM (busybox sh, as root, real
# IPVS from the Debian kernel). Prints "ok - ..." / "not ok - ..." / "# ..."
# lines; tests/vm/test_ipvs.sh numbers them into TAP on the host side.
#
# Topology (all inside the guest; 198.18.0.0/15, no route out):
#   netns mqlb-ipvs-cl   client 198.18.0.2 (+ .10-.15 for sh), via 198.18.0.1
#   root netns           the director: mqlb director run --dataplane ipvs
#                        (and the client of the "local" phase),
#                        VIP 198.18.0.1:195xx (a new port per phase, see below)
#   netns mqlb-ipvs-bK   broker K (K=1..3): real mosquitto on 198.18.K.2:1883
# Connections are real MQTT (CONNECT -> CONNACK, tests/vm/mqtt_conns.c) and are
# counted on the brokers' side (netstat in each broker's namespace, only
# connections from the client subnet: health probes come from the director).
#
# Each phase uses its own VIP port: IPVS keeps a deleted service's destinations
# in its trash while connections still reference them and revives them (with
# their counters) when the same service comes back, which would mix phases.
IP=/sbin/ip
VIP=198.18.0.1
B1=198.18.1.2:1883
B2=198.18.2.2:1883
B3=198.18.3.2:1883
ONLY=$1
FAILS=0

ok() { echo "ok - $1"; }
nok() {
	echo "not ok - $1"
	FAILS=$((FAILS + 1))
}
check() { # check DESC CMD...
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
is() { # is GOT WANT DESC
	if [ "$1" = "$2" ]; then ok "$3"; else
		nok "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
diag() { echo "# $*"; }
has() { echo "$1" | grep -q "$2"; }
# every phase when none is named, except lab, netem and sync (their own files:
# tests/vm/test_lab_ipvs.sh, test_lab_netem.sh, test_ipvs_sync.sh)
want() { if [ -z "$ONLY" ]; then [ "$1" != lab ] && [ "$1" != netem ] && [ "$1" != sync ]; else echo ",$ONLY," | grep -q ",$1,"; fi; }
now() { cut -d' ' -f1 /proc/uptime; }

# ---- topology ----
mkns() { # NAME ROOT-IF ROOT-IP NS-IP
	$IP netns add "$1"
	$IP link add "$2" type veth peer name eth0 netns "$1"
	$IP addr add "$3/24" dev "$2"
	$IP link set "$2" up
	$IP -n "$1" link set lo up
	$IP -n "$1" addr add "$4/24" dev eth0
	$IP -n "$1" link set eth0 up
	$IP -n "$1" route add default via "$3"
}
in_ns() { # in_ns NS CMD...
	n=$1
	shift
	nsenter --net=/run/netns/"$n" "$@"
}
echo 1 >/proc/sys/net/ipv4/ip_forward
mkns mqlb-ipvs-cl vcl 198.18.0.1 198.18.0.2
for s in 10 11 12 13 14 15; do $IP -n mqlb-ipvs-cl addr add 198.18.0.$s/24 dev eth0; done
for k in 1 2 3; do
	mkns mqlb-ipvs-b$k vb$k 198.18.$k.1 198.18.$k.2
done

start_broker() { # K
	cat >/tmp/mosq$1.conf <<EOC
listener 1883 198.18.$1.2
allow_anonymous true
persistence false
user root
EOC
	# nsenter itself, not the in_ns function: $! must be mosquitto's pid
	nsenter --net=/run/netns/mqlb-ipvs-b$1 mosquitto -c /tmp/mosq$1.conf >/tmp/mosq$1.log 2>&1 &
	eval "MOSQ$1=$!"
}
broker_listening() { in_ns mqlb-ipvs-b$1 netstat -ltn | grep -q "198.18.$1.2:1883 "; }
wait_until() { # wait_until TENTHS CMD...: bounded poll
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		usleep 100000
		n=$((n - 1))
	done
	return 1
}
for k in 1 2 3; do start_broker $k; done
for k in 1 2 3; do
	check "broker $k (mosquitto) listens on 198.18.$k.2:1883" wait_until 50 broker_listening $k
done

# established MQTT connections from the client subnet on broker K [from SRC]
bcount() {
	in_ns mqlb-ipvs-b$1 netstat -tn | awk -v src="${2:-198.18.0.}" \
		'$6 == "ESTABLISHED" && $4 ~ /:1883$/ && index($5, src) == 1' | wc -l
}
counts() { echo "$(bcount 1 $1) $(bcount 2 $1) $(bcount 3 $1)"; }

# ---- the director ----
DPID=
dir_start() { # NAME PORT SCHED [ARGS...]: backends default to B1 B2 B3 weight 1
	DNAME=$1 DPORT=$2
	s=$3
	shift 3
	[ $# -gt 0 ] || set -- --backend $B1 --backend $B2 --backend $B3
	mqlb director run --dataplane ipvs --name "$DNAME" --listen $VIP:$DPORT --scheduler "$s" \
		"$@" >/tmp/dir-$DNAME.log 2>&1 &
	DPID=$!
	wait_until 50 grep -q "dataplane up" /tmp/dir-$DNAME.log
}
PHASE_FAILS=0
# settle: until the brokers hold no client connection (bounded). Stopping the
# director deletes the service, and IPVS then drops the packets of connections
# to its destinations (expire_nodest_conn=0): FINs still in flight would leave
# broker sockets open and skew the next phase.
no_clients() { [ "$(counts)" = "0 0 0" ]; }
settle() { wait_until 50 no_clients || diag "brokers still hold: $(counts)"; }
dir_stop() { # stops the director DPID with SIGTERM; returns its exit code
	settle
	kill -TERM $DPID 2>/dev/null
	wait $DPID
	r=$?
	if [ "$FAILS" -ne "$PHASE_FAILS" ]; then
		diag "director log ($DNAME):"
		sed 's/^/#   /' /tmp/dir-$DNAME.log
	fi
	PHASE_FAILS=$FAILS
	return $r
}
svc_lines() { ipvsadm -Ln | grep -c "^TCP  $VIP:$1 "; }
# "ADDR FWD WEIGHT ACTIVE INACTIVE" of each destination of VIP:PORT
dests() { ipvsadm -Ln -t $VIP:$1 | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $2, $3, $4, $5, $6}'; }
dest_weight() { ipvsadm -Ln -t $VIP:$1 | awk -v a="$2" '$1 == "->" && $2 == a {print $4}'; }
weight_is() { [ "$(dest_weight "$1" "$2")" = "$3" ]; } # PORT ADDR WEIGHT
# status JSON field F of backend A from `mqlb director status --json`
jfield() { # JSONFILE ADDR FIELD
	tr '{' '\n' <"$1" | grep "\"address\":\"$2\"" | sed -n "s/.*\"$3\":\([0-9a-z]*\).*/\1/p"
}

# open N held connections from the client netns (optionally from SRC); sets HPID.
# Every batch gets its own client ids: a broker closes the older of two
# connections with the same id (session takeover), which would skew counts.
HOLD=/tmp/hold
BATCH=0
hold_open() { # N [SRC]
	rm -f $HOLD
	# the background job's redirection truncates hold.out asynchronously: empty
	# it here, or the wait below can match the previous batch's line
	: >/tmp/hold.out
	BATCH=$((BATCH + 1))
	if [ -n "$2" ]; then
		nsenter --net=/run/netns/mqlb-ipvs-cl mqtt_conns $VIP $DPORT "$1" --bind "$2" \
			--hold-until $HOLD --id "b$BATCH-" >/tmp/hold.out 2>&1 &
	else
		nsenter --net=/run/netns/mqlb-ipvs-cl mqtt_conns $VIP $DPORT "$1" \
			--hold-until $HOLD --id "b$BATCH-" >/tmp/hold.out 2>&1 &
	fi
	HPID=$!
	wait_until 200 grep -q connected= /tmp/hold.out
	cat /tmp/hold.out
}
hold_close() {
	touch $HOLD
	wait $HPID
}
conns() {
	BATCH=$((BATCH + 1))
	in_ns mqlb-ipvs-cl mqtt_conns $VIP $DPORT "$@" --id "s$BATCH-"
}
T0=$(now)

# ---- refusals: before and without touching the kernel's state ----
if want refuse; then
	out=$(su -s /bin/sh nobody -c "mqlb director run --dataplane ipvs --name nocap \
		--listen $VIP:19500 --backend $B1 --control /tmp/nocap.sock" 2>&1)
	is "$?" 1 "without CAP_NET_ADMIN: director run exits 1"
	check "... and says CAP_NET_ADMIN is needed" has "$out" CAP_NET_ADMIN
	echo "$out" | sed 's/^/#   /'
	is "$(svc_lines 19500)" 0 "... and creates no IPVS service"

	mqlb director run --dataplane ipvs --name nosched --listen $VIP:19500 --backend $B1 \
		--scheduler sed --health-interval 0 >/tmp/nosched.log 2>&1
	is "$?" 1 "scheduler without its kernel module (sed): director run exits 1"
	check "... and names the missing module ip_vs_sed" grep -q "no kernel module ip_vs_sed" /tmp/nosched.log
	is "$(svc_lines 19500)" 0 "... and leaves no service behind"
	grep "error" /tmp/nosched.log | sed 's/^/#   /'

	ipvsadm -A -t $VIP:19500 -s rr
	mqlb director run --dataplane ipvs --name taken --listen $VIP:19500 --backend $B1 \
		--health-interval 0 >/tmp/taken.log 2>&1
	is "$?" 1 "a service someone else owns: director run exits 1"
	check "... saying it already exists" grep -q "already exists" /tmp/taken.log
	is "$(svc_lines 19500)" 1 "... and leaves that service alone"
	ipvsadm -D -t $VIP:19500

	# a destination the kernel refuses (broadcast address) after the service exists
	mqlb director run --dataplane ipvs --name baddest --listen $VIP:19500 --backend $B1 \
		--backend 255.255.255.255:1883 --health-interval 0 >/tmp/baddest.log 2>&1
	is "$?" 1 "a destination the kernel refuses: director run exits 1"
	is "$(svc_lines 19500)" 0 "... and the half-made service is removed"
	grep "error" /tmp/baddest.log | sed 's/^/#   /'
fi

# ---- rr: 60 connections over 3 brokers -> 20 each; status agrees ----
if want rr; then
	check "rr: director run --dataplane ipvs starts" dir_start rr 19501 rr
	is "$(svc_lines 19501)" 1 "rr: ipvsadm shows the service"
	is "$(ipvsadm -Ln | grep -A0 "^TCP  $VIP:19501 " | awk '{print $3}')" rr "rr: scheduler rr in the kernel"
	is "$(dests 19501 | awk '{print $1, $2, $3}' | sort | tr '\n' ';')" \
		"$B1 Masq 1;$B2 Masq 1;$B3 Masq 1;" "rr: three NAT destinations, weight 1"
	t=$(now)
	hold_open 60
	diag "60 MQTT connections through IPVS took $(awk "BEGIN{print $(now)-$t}") s"
	is "$(counts)" "20 20 20" "rr: 60 connections land 20/20/20 (brokers' side)"
	mqlb director status --name rr --json >/tmp/st.json
	is "$(jfield /tmp/st.json $B1 active_connections) $(jfield /tmp/st.json $B2 active_connections) $(jfield /tmp/st.json $B3 active_connections)" \
		"20 20 20" "rr: status --json active_connections 20/20/20"
	is "$(dests 19501 | awk '{print $4}' | tr '\n' ' ')" "20 20 20 " "rr: ipvsadm ActiveConn 20/20/20"
	hold_close
	dir_stop
	is "$?" 0 "rr: SIGTERM -> exit 0"
	is "$(svc_lines 19501)" 0 "rr: the service is gone after SIGTERM"
fi

# ---- wrr: weights 1:2:3 -> 10/20/30 of 60 ----
if want wrr; then
	check "wrr: starts with weights 1,2,3" dir_start wrr 19502 wrr \
		--backend $B1,weight=1 --backend $B2,weight=2 --backend $B3,weight=3
	is "$(dests 19502 | awk '{print $3}' | tr '\n' ' ')" "1 2 3 " "wrr: kernel weights 1 2 3"
	hold_open 60
	is "$(counts)" "10 20 30" "wrr: 60 connections land 10/20/30"
	hold_close
	dir_stop
fi

# ---- lc: least connection really looks at live connections ----
# b3 drained while 10 connections are open (5/5/0), then enabled: lc sends the
# next ones to b3 until it catches up (rr would give 10/10/5 of 25).
if want lc; then
	check "lc: starts" dir_start lc 19503 lc
	mqlb director set --name lc --backend $B3 --drain >/dev/null
	is "$(dest_weight 19503 $B3)" 0 "lc: drained b3 has weight 0 in the kernel"
	hold_open 10
	H1=$HPID
	is "$(counts)" "5 5 0" "lc: 10 connections with b3 drained: 5/5/0"
	mqlb director set --name lc --backend $B3 --enable >/dev/null
	is "$(dest_weight 19503 $B3)" 1 "lc: enabled b3 has weight 1 again"
	HOLD=/tmp/hold2
	hold_open 15
	c=$(counts)
	diag "lc counts after 25: $c"
	check "lc: 25 long-lived connections balanced within 1 ($c)" \
		sh -c "echo $c | awk '{mx=\$1; mn=\$1; for(i=2;i<=3;i++){if(\$i>mx)mx=\$i; if(\$i<mn)mn=\$i}; exit !(mx-mn<=1 && \$1+\$2+\$3==25)}'"
	hold_close
	HOLD=/tmp/hold
	HPID=$H1
	hold_close
	dir_stop
fi

# ---- sh: a source always lands on the same broker ----
if want sh; then
	check "sh: starts" dir_start sh 19504 sh
	for s in 10 11 12 13 14 15; do
		HOLD=/tmp/hold$s
		hold_open 4 198.18.0.$s >/dev/null
		eval "SH$s=$HPID"
	done
	used=0
	bad=
	for k in 1 2 3; do
		n=$(bcount $k)
		[ "$n" -gt 0 ] && used=$((used + 1))
	done
	for s in 10 11 12 13 14 15; do
		c=$(counts "198.18.0.$s:")
		case "$c" in "4 0 0" | "0 4 0" | "0 0 4") ;; *) bad="$bad $s:($c)" ;; esac
	done
	is "$bad" "" "sh: each of 6 sources has all 4 connections on one broker"
	check "sh: the 6 sources use more than one broker ($used)" [ "$used" -ge 2 ]
	for s in 10 11 12 13 14 15; do
		HOLD=/tmp/hold$s
		eval "HPID=\$SH$s"
		hold_close
	done
	HOLD=/tmp/hold
	dir_stop
fi

# ---- stats: mqlb's counters equal ipvsadm's ----
if want stats; then
	check "stats: starts" dir_start stats 19505 rr
	out=$(conns 30)
	is "$out" "connected=30 failed=0" "stats: 30 short MQTT sessions through the VIP"
	sleep 2.2 # 6.1 folds per-cpu counters into the totals from its 2 s estimator
	mqlb director status --name stats --json >/tmp/st.json
	ipvsadm -Ln --stats --exact -t $VIP:19505 >/tmp/st.ipvsadm
	cat /tmp/st.ipvsadm | sed 's/^/#   /'
	for b in $B1 $B2 $B3; do
		want_v=$(awk -v a=$b '$1 == "->" && $2 == a {print $3, $4, $5, $6, $7}' /tmp/st.ipvsadm)
		got_v="$(jfield /tmp/st.json $b total_connections) $(jfield /tmp/st.json $b packets_in) $(jfield /tmp/st.json $b packets_out) $(jfield /tmp/st.json $b bytes_in) $(jfield /tmp/st.json $b bytes_out)"
		is "$got_v" "$want_v" "stats: $b conns/inpkts/outpkts/inbytes/outbytes agree with ipvsadm --stats"
	done
	is "$(jfield /tmp/st.json $B1 total_connections)" 10 "stats: 10 connections counted on b1"
	check "stats: bytes were counted (b1 bytes_in > 0)" [ "$(jfield /tmp/st.json $B1 bytes_in)" -gt 0 ]
	mqlb director status --name stats --stats | sed 's/^/#   /'
	dir_stop
fi

# ---- drain: no new connections to a drained broker; enable brings it back ----
if want drain; then
	check "drain: starts" dir_start drain 19506 rr
	hold_open 6 >/dev/null
	H1=$HPID
	is "$(counts)" "2 2 2" "drain: 6 connections 2/2/2 before"
	mqlb director set --name drain --backend $B2 --drain
	is "$?" 0 "drain: director set --drain exits 0"
	is "$(dest_weight 19506 $B2)" 0 "drain: b2 weight 0 (quiescent) in the kernel"
	HOLD=/tmp/hold2
	hold_open 30 >/dev/null
	is "$(counts)" "17 2 17" "drain: 30 new connections skip b2; its 2 old ones stay"
	hold_close
	mqlb director set --name drain --backend $B2 --enable >/dev/null
	is "$(dest_weight 19506 $B2)" 1 "drain: enable restores weight 1"
	HOLD=/tmp/hold
	HPID=$H1
	hold_close
	dir_stop
fi

# ---- stale: a director restarted after SIGKILL takes over its own service ----
if want stale; then
	check "stale: starts (rr, b1 b2)" dir_start stale 19511 rr --backend $B1 --backend $B2 \
		--health-interval 0
	check "stale: it recorded itself as the service's owner" test -s /run/mqlb/director-stale.sock.ipvs
	hold_open 4 >/dev/null
	is "$(counts)" "2 2 0" "stale: 4 connections 2/2/0"
	kill -KILL $DPID
	wait $DPID 2>/dev/null
	is "$(svc_lines 19511)" 1 "stale: SIGKILL left the service behind"
	# dir_start waits for "dataplane up" in the log: not the killed run's line
	rm -f /tmp/dir-stale.log
	# b3 is new, b1 gets weight 2, b2 stays: no connection is cut (a cut one would
	# stay open on its broker and skew the counts of the phases after this one)
	check "stale: restarted with the same name (wrr, b1 weight 2, b2, b3 added) it starts" \
		dir_start stale 19511 wrr --backend $B1,weight=2 --backend $B2 --backend $B3 \
		--health-interval 0
	check "stale: ... saying it took the service over" \
		grep -q "TCP $VIP:19511 was left by director pid [0-9]*, which is gone (killed?): taking it over" \
		/tmp/dir-stale.log
	is "$(ipvsadm -Ln | grep "^TCP  $VIP:19511 " | awk '{print $3}')" wrr "stale: the kernel has its scheduler now (wrr)"
	is "$(dests 19511 | awk '{print $1, $3}' | sort | tr '\n' ';')" "$B1 2;$B2 1;$B3 1;" \
		"stale: its destinations and weights now (b1 2, b2 1, b3 1)"
	is "$(counts)" "2 2 0" "stale: the 4 connections made before the kill still stand"
	HOLD=/tmp/hold3
	H1=$HPID
	hold_open 4 >/dev/null
	is "$(counts)" "4 3 1" "stale: 4 new connections follow the new config (b1 +2, b2 +1, b3 +1)"
	hold_close
	HOLD=/tmp/hold
	HPID=$H1
	hold_close
	dir_stop
	is "$?" 0 "stale: SIGTERM -> exit 0"
	is "$(svc_lines 19511)" 0 "stale: the service is gone after SIGTERM"
	check "stale: ... and its owner record" test ! -e /run/mqlb/director-stale.sock.ipvs
fi

# ---- names: a backend given by host name moves on `director set --reload` ----
if want names; then
	# the guest's own /etc/hosts (the initramfs's, not the host machine's)
	cp /etc/hosts /tmp/hosts.orig 2>/dev/null || : >/tmp/hosts.orig
	{ cat /tmp/hosts.orig; echo "198.18.1.2 bk.mqlb-e5.test"; } >/etc/hosts
	check "names: starts with --backend bk.mqlb-e5.test:1883 (= b1) and b2" \
		dir_start names 19512 rr --backend bk.mqlb-e5.test:1883 --backend $B2 --health-interval 0
	is "$(dests 19512 | awk '{print $1}' | sort | tr '\n' ';')" "$B1;$B2;" "names: IPVS has b1 and b2"
	{ cat /tmp/hosts.orig; echo "198.18.3.2 bk.mqlb-e5.test"; } >/etc/hosts
	is "$(mqlb director set --name names --reload)" "ok 1 backend moved" "names: set --reload moves it"
	is "$(dests 19512 | awk '{print $1}' | sort | tr '\n' ';')" "$B2;$B3;" \
		"names: IPVS has b3 instead of b1 now"
	set -- $(counts) # an earlier phase may have left sockets on a broker: count the new ones
	hold_open 4 >/dev/null
	is "$(($(bcount 1) - $1)) $(($(bcount 2) - $2)) $(($(bcount 3) - $3))" "0 2 2" \
		"names: 4 new connections land on b2 and b3"
	hold_close
	cp /tmp/hosts.orig /etc/hosts
	dir_stop
	is "$?" 0 "names: SIGTERM -> exit 0"
fi

# ---- health: a dead broker gets weight 0 within two intervals ----
if want health; then
	check "health: starts (interval 500ms, fall 2)" dir_start health 19507 rr \
		--backend $B1 --backend $B2 --backend $B3 --health-interval 500ms --health-fall 2
	kill $MOSQ3
	wait $MOSQ3 2>/dev/null
	t=$(now)
	check "health: broker 3 killed -> weight 0 in the kernel" wait_until 40 weight_is 19507 $B3 0
	diag "weight 0 after $(awk "BEGIN{print $(now)-$t}") s"
	out=$(conns 10)
	is "$out" "connected=10 failed=0" "health: 10 new connections all succeed (none to the dead broker)"
	start_broker 3
	check "health: broker 3 back -> weight 1" wait_until 60 weight_is 19507 $B3 1
	dir_stop
fi

# ---- local: clients on the director host itself (IPVS's LOCAL_OUT hook) ----
if want local; then
	check "local: starts with --mode local" dir_start local 19509 rr --mode local \
		--backend $B1 --backend $B2 --backend $B3 --health-interval 0
	rm -f $HOLD
	: >/tmp/hold.out # (see hold_open)
	BATCH=$((BATCH + 1))
	mqtt_conns $VIP 19509 6 --hold-until $HOLD --id "l$BATCH-" >/tmp/hold.out 2>&1 &
	HPID=$!
	wait_until 200 grep -q connected= /tmp/hold.out
	is "$(cat /tmp/hold.out)" "connected=6 failed=0" "local: 6 MQTT connections from the director's own netns"
	is "$(counts)" "2 2 2" "local: they land 2/2/2"
	hold_close
	dir_stop
fi

# ---- two instances, dr mode, cleanup ----
if want multi; then
	check "multi: instance a starts" dir_start a 19508 rr --backend $B1 --backend $B2 --health-interval 0
	PA=$DPID
	check "multi: instance b (dr mode, same port on the brokers) starts" \
		dir_start b 1883 wlc --backend $B2 --backend $B3 --mode dr --health-interval 0
	PB=$DPID
	is "$(dests 1883 | awk '{print $2}' | sort -u)" Route "multi: b's destinations use direct routing"
	is "$(svc_lines 19508)$(svc_lines 1883)" 11 "multi: both services exist"
	dir_stop
	is "$(svc_lines 19508)$(svc_lines 1883)" 10 "multi: stopping b removes only b's service"
	DPID=$PA
	dir_stop
	is "$(ipvsadm -Ln | grep -c '^TCP')" 0 "multi: after both stop, ipvsadm -Ln lists no service"
fi

# ---- mqlb cluster under cgroup v2 (the host has v1; most users have v2) ----
if want cgroup2; then
	# mqlb never writes the root cgroup: it makes its groups inside the
	# delegated cgroup it runs in (systemd's Delegate=, or systemd-run
	# --scope). No systemd here: delegate by hand, as systemd would, and
	# start `cluster up` as the only process of that cgroup.
	DG=/sys/fs/cgroup/mqlb-deleg
	echo "+cpu +memory" >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p $DG
	CG=$DG/mqlb
	RD=/tmp/cl2
	# no 'mosquitto' user in this initramfs: the brokers keep root
	if sh -c 'echo $$ >'"$DG"'/cgroup.procs && exec mqlb "$@"' mqlb cluster up --brokers 2 \
		--bridge star --cpus 0.25 --memory 64M --base-port 18831 \
		--run-dir $RD --mosquitto-opt user=root >/tmp/cl2.out 2>&1; then
		ok "cgroup2: cluster up with --cpus 0.25 --memory 64M"
	else
		nok "cgroup2: cluster up with --cpus 0.25 --memory 64M"
		sed 's/^/#   /' /tmp/cl2.out
	fi
	check "cgroup2: up says cgroup v2" grep -q "cgroup v2" /tmp/cl2.out
	sed 's/^/# up: /' /tmp/cl2.out
	diag "groups: $(cd $DG && find . -maxdepth 3 -type d | tr '\n' ' ')"
	is "$(cat $CG/p18831-b1/cpu.max 2>&1)" "25000 100000" "cgroup2: broker 1 cpu.max"
	is "$(cat $CG/p18831-b2/memory.max 2>&1)" 67108864 "cgroup2: broker 2 memory.max"
	mqlb cluster status --json --run-dir $RD >/tmp/cl2.json 2>&1
	mqlb cluster status --run-dir $RD >/tmp/cl2.st 2>&1
	pid1=$(grep -o '"pid": *[0-9]*' /tmp/cl2.json | head -1 | grep -o '[0-9]*$')
	check "cgroup2: broker 1 (pid $pid1) is in its group" grep -qx "$pid1" $CG/p18831-b1/cgroup.procs
	check "cgroup2: status --json shows the limits" grep -q '"cpus":0.25,"memory_bytes":67108864' /tmp/cl2.json
	mqlb monitor --run-dir $RD --out /tmp/cl2mon --duration 1.2 >/dev/null 2>&1
	check "cgroup2: monitor wrote brokers.csv" test -s /tmp/cl2mon/brokers.csv
	check "cgroup2: both brokers (the hub bridges) still alive" grep -q "2 of 2 brokers alive" /tmp/cl2.st
	row=$(awk -F, 'NR > 1 && $3 == 1 {v = $0} END {print v}' /tmp/cl2mon/brokers.csv)
	diag "brokers.csv, last row of broker 1: $row"
	check "cgroup2: monitor reads broker 1's group memory (memory.current)" \
		sh -c "echo '$row' | awk -F, '{exit !(\$9 > 0)}'"
	check "cgroup2: monitor reads broker 1's CPU" sh -c "echo '$row' | awk -F, '{exit \$7 == \"\"}'"
	check "cgroup2: status --json says cgroup v2" grep -q '"cgroup":"v2"' /tmp/cl2.json
	mqlb cluster down --run-dir $RD >/dev/null 2>&1
	check "cgroup2: down removes the brokers' groups" sh -c "! ls -d $CG/p18831-b* 2>/dev/null | grep -q ."
fi

# ---- the study itself: mqlb lab on IPVS with lc, as the thesis ran it ----
if want lab; then
	L=/tmp/lab
	t0=$(now)
	mqlb lab run --quick --topology distributed,centralized --qos 1 --out $L >/tmp/lab.out 2>&1
	rc=$?
	diag "lab run took $(awk "BEGIN{print $(now)-$t0}") s"
	is "$rc" 0 "lab: mqlb lab run --quick --topology distributed,centralized --qos 1 exits 0"
	if [ "$rc" -ne 0 ]; then
		tail -15 /tmp/lab.out | sed 's/^/#   /'
		for f in $L/*/*.log; do echo "# -- $f"; tail -5 "$f" | sed 's/^/#   /'; done
	fi
	for topo in distributed centralized; do
		row=$(awk -F, -v t=$topo '$1 == t' $L/summary.csv 2>/dev/null)
		diag "summary.csv: $row"
		is "$(echo "$row" | cut -d, -f1-4)" "$topo,ipvs,lc,1" "lab $topo: dataplane auto chose ipvs and the study's lc"
		check "lab $topo: unique + lost = expected > 0" sh -c "echo '$row' | awk -F, '{exit !(\$9 > 0 && \$10 + \$11 == \$9)}'"
		conns=$(echo "$row" | cut -d, -f17)
		check "lab $topo: connections on all three brokers, lc within 2 ($conns)" sh -c "echo $conns | awk -F/ '{m = \$1; M = \$1; for (i = 2; i <= NF; i++) {if (\$i < m) m = \$i; if (\$i > M) M = \$i}; exit !(NF == 3 && m > 0 && M - m <= 2)}'"
	done
	is "$($IP netns list | grep -c '^mqlb-lab-')" 0 "lab: no namespace of the lab is left"
	is "$(ipvsadm -Ln | grep -c '^TCP')" 0 "lab: no IPVS service is left"
fi

# ---- netem: the lab's netem fault, for real (the host's kernel has no sch_netem) ----
# Three lab runs: a control with netem delay 0 (the same tc processes and
# qdiscs, nothing delayed: under TCG a process start costs a second, so a
# control without them would not compare), the fault (delay and loss on both
# client links for the whole publish phase), and one interrupted by SIGINT
# while the fault is in force. A watcher samples the four netem ends (each
# client's front, its switch port f0/f1) every 0.5 s while the namespaces exist.
# /sbin/tc, not tc: busybox sh prefers its own applets, and busybox tc has no netem.
NETEM_D=50 # ms each way: a message crosses a publisher's and a subscriber's link
NETEM_IFS="mqlb-lab-client1:front mqlb-lab-client2:front mqlb-lab-sw:f0 mqlb-lab-sw:f1"
netem_watch() { # OUT: "uptime NS:IF netem|none" lines; last netem tc -s output per end
	while [ ! -e /tmp/netem.stop ]; do
		for e in $NETEM_IFS; do
			n=${e%%:*} d=${e#*:}
			[ -e /run/netns/$n ] || continue
			q=$(in_ns $n /sbin/tc -s qdisc show dev $d 2>/dev/null)
			if has "$q" "qdisc netem"; then
				echo "$(now) $e netem"
				echo "$q" >"/tmp/netem.last.$n.$d"
			elif [ -n "$q" ]; then echo "$(now) $e none"; fi
		done
		usleep 500000
	done >"$1"
}
netem_lab() { # OUTDIR SPEC [OPT VALUE]: lab run with --fault SPEC in the background (LPID), watched (WPID)
	rm -f /tmp/netem.stop /tmp/netem.last.*
	netem_watch "$1.states" &
	WPID=$!
	# 8 clients, 4 msg/s each: a load TCG carries (the --quick 20 at 10/s queue for a second)
	mqlb lab run --quick --topology distributed --qos 1 --persistent --clients 8 \
		--burst 160 --interval 250 --out "$1" --fault "$2" $3 $4 >"$1.out" 2>&1 &
	LPID=$!
}
netem_end() { # waits for the lab run (its exit code) and the watcher
	wait $LPID
	r=$?
	touch /tmp/netem.stop
	wait $WPID
	return $r
}
netem_row() { awk -F, '$1 == "distributed"' "$1"/summary.csv 2>/dev/null; } # DIR
netem_sum() { # DIR KEY: KEY summed over the run's four bench files
	cat "$1"/*/pub-client?.json "$1"/*/sub-client?.json 2>/dev/null |
		grep -o "\"$2\":[0-9]*" | awk -F: '{s += $2} END {print s + 0}'
}
netem_accounting() { # DIR NAME
	row=$(netem_row "$1")
	diag "$2 summary.csv: $row"
	check "netem $2: unique + lost = expected > 0" \
		sh -c "echo '$row' | awk -F, '{exit !(\$9 > 0 && \$10 + \$11 == \$9)}'"
}
netem_ends() { # DIR DELAY LOSS: each end had netem with them, packets, then none
	for e in $NETEM_IFS; do
		q=$(cat /tmp/netem.last.${e%%:*}.${e#*:} 2>/dev/null)
		echo "$q" | sed "s/^/#   $e: /"
		check "netem: $e had netem delay $2 loss $3 during the fault" \
			has "$q" "netem .*delay $2 loss $3"
		pk=$(echo "$q" | sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -1)
		check "netem: ... and packets went through it ($e: ${pk:-0} pkt)" [ "${pk:-0}" -gt 0 ]
		# netem seen, then none while the namespace still existed: undone in time
		check "netem: $e's qdisc was removed after the fault, before teardown" \
			sh -c "grep ' $e ' $1.states | awk '\$3 == \"netem\" {s = 1} s && \$3 == \"none\" {ok = 1} END {exit !ok}'"
	done
}
netem_log() { ls $1/*/faults.log 2>/dev/null | head -1; } # DIR: its faults.log
netem_count() { grep -c "$2" "$(netem_log $1)" 2>/dev/null; } # DIR REGEX: lines
if want netem; then
	L=/tmp/netem
	W=10s # the whole publish phase: 160 messages / 4 publishers x 250 ms
	netem_lab $L-ctl "netem:all=delay=0ms@0s+$W"
	netem_end
	is "$?" 0 "netem: control lab run (netem delay 0) exits 0"
	netem_accounting $L-ctl control
	spec="netem:all=delay=${NETEM_D}ms,loss=1%@0s+$W"
	t0=$(now)
	netem_lab $L-fault "$spec"
	netem_end
	is "$?" 0 "netem: lab run --fault $spec exits 0"
	diag "lab run with netem took $(awk "BEGIN{print $(now)-$t0}") s"
	netem_accounting $L-fault fault
	netem_ends $L-fault ${NETEM_D}ms 1%
	sed 's/^/#   faults.log: /' "$(netem_log $L-fault)"
	is "$(netem_count $L-fault ' apply .*tc qdisc replace dev .* root netem .*delay .*: ok')" 4 \
		"netem: faults.log: netem added on 4 ends"
	is "$(netem_count $L-fault ' undo .*tc qdisc del dev .* root: ok')" 4 \
		"netem: faults.log: and deleted on 4 ends"
	b=$(netem_row $L-ctl | cut -d, -f14)
	f=$(netem_row $L-fault | cut -d, -f14)
	rise=$(awk -v b="${b:-0}" -v f="${f:-0}" 'BEGIN {printf "%d", (f - b) / 1000}')
	diag "netem: p50 latency control ${b:-?} us, with netem ${f:-?} us: +$rise ms (asked ${NETEM_D} ms each way, 2 links)"
	diag "netem: p99 latency control $(netem_row $L-ctl | cut -d, -f15) us, with netem $(netem_row $L-fault | cut -d, -f15) us"
	# at least the two links' delay (less a little: the qdiscs land about 1 s after
	# the first publish under TCG), at most that plus two round trips: Mosquitto
	# does not set TCP_NODELAY, so Nagle holds a message to a subscriber until the
	# previous one is acked (see the nodelay run below)
	check "netem: p50 latency rose by 1.5 to 6 x ${NETEM_D} ms (+$rise ms; the path crosses 2 delayed links)" \
		[ "$rise" -ge $((NETEM_D * 3 / 2)) -a "$rise" -le $((NETEM_D * 6)) ]
	for k in disconnects reconnects sessions_resumed sessions_lost duplicates lost; do
		diag "netem: $k: control $(netem_sum $L-ctl $k), with netem $(netem_sum $L-fault $k)"
	done
	# the same with TCP_NODELAY on the brokers' sockets: figures only
	netem_lab $L-nodelay "$spec" --mosquitto-opt set_tcp_nodelay=true
	netem_end
	diag "netem: with set_tcp_nodelay=true: lab run exits $?; p50 $(netem_row $L-nodelay | cut -d, -f14) us, p99 $(netem_row $L-nodelay | cut -d, -f15) us"
	# Ctrl-C while the fault is in force: the lab undoes it before the teardown
	netem_lab $L-int "netem:all=delay=${NETEM_D}ms@0s+$W"
	check "netem: SIGINT run: netem is installed" \
		wait_until 900 test -s /tmp/netem.last.mqlb-lab-client1.front
	kill -INT $LPID
	netem_end
	diag "netem: lab run after SIGINT exits $?"
	tail -3 $L-int.out | sed 's/^/#   /'
	sed 's/^/#   faults.log: /' "$(netem_log $L-int)"
	n=$(netem_count $L-int ' apply .*tc qdisc replace .*: ok')
	check "netem: after SIGINT every qdisc added ($n) was deleted (faults.log)" \
		[ "${n:-0}" -gt 0 -a "$(netem_count $L-int ' undo .*tc qdisc del .*: ok')" = "$n" ]
	is "$($IP netns list | grep -c '^mqlb-lab-')" 0 "netem: no namespace of the lab is left"
	is "$(ipvsadm -Ln | grep -c '^TCP')" 0 "netem: no IPVS service is left"
fi

# ---- sync: the IPVS connection sync daemon across a director failover ----
# Two IPVS directors in namespaces (mqlb-ipvs-sd1, -sd2; NAT, the same service),
# a client and a broker on bridges in the root namespace. The VIP (front) and a
# back VIP (the broker's default route, so replies cross the active director)
# start on sd1. With ipvsadm --start-daemon master on sd1 and backup on sd2
# (multicast over the back link), sd2 holds sd1's connection entries, and after
# sd1's links go down and the VIPs move to sd2 the held MQTT connections still
# answer PINGREQ; without the daemons they do not. Driven by ipvsadm directly.
SY_VIP=198.19.0.100
SY_BVIP=198.19.1.100
SY_N=6
sy_link() { # NS IF BRIDGE ROOT-IF ADDR
	$IP link add "$4" type veth peer name "$2" netns "$1"
	$IP link set "$4" master "$3" up
	$IP -n "$1" addr add "$5/24" dev "$2"
	$IP -n "$1" link set "$2" up
}
sy_up() {
	for b in sybrf sybrb; do
		$IP link add $b type bridge
		$IP link set $b up
	done
	for n in scl sd1 sd2 sbk; do
		$IP netns add mqlb-ipvs-$n
		$IP -n mqlb-ipvs-$n link set lo up
	done
	sy_link mqlb-ipvs-scl eth0 sybrf syclf 198.19.0.2
	sy_link mqlb-ipvs-sbk eth0 sybrb sybkb 198.19.1.2
	$IP -n mqlb-ipvs-sbk route add default via $SY_BVIP
	for d in 1 2; do
		sy_link mqlb-ipvs-sd$d front sybrf syd${d}f 198.19.0.1$d
		sy_link mqlb-ipvs-sd$d back sybrb syd${d}b 198.19.1.1$d
		in_ns mqlb-ipvs-sd$d sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
		in_ns mqlb-ipvs-sd$d ipvsadm -A -t $SY_VIP:1883 -s rr
		in_ns mqlb-ipvs-sd$d ipvsadm -a -t $SY_VIP:1883 -r 198.19.1.2:1883 -m
	done
	$IP -n mqlb-ipvs-sd1 addr add $SY_VIP/24 dev front
	$IP -n mqlb-ipvs-sd1 addr add $SY_BVIP/24 dev back
	cat >/tmp/mosqsy.conf <<EOC
listener 1883 198.19.1.2
allow_anonymous true
persistence false
user root
EOC
	nsenter --net=/run/netns/mqlb-ipvs-sbk mosquitto -c /tmp/mosqsy.conf >/tmp/mosqsy.log 2>&1 &
	SY_MOSQ=$!
	wait_until 50 sh -c "nsenter --net=/run/netns/mqlb-ipvs-sbk netstat -ltn | grep -q '198.19.1.2:1883 '"
}
sy_down() {
	kill $SY_MOSQ 2>/dev/null
	wait $SY_MOSQ 2>/dev/null
	for n in scl sd1 sd2 sbk; do $IP netns del mqlb-ipvs-$n; done
	$IP link del sybrf
	$IP link del sybrb
}
sy_conns() { in_ns mqlb-ipvs-$1 ipvsadm -Lnc | grep -c "ESTABLISHED .*$SY_VIP:1883"; } # sd1|sd2
sy_round() { # sync|nosync: the alive= line of the held connections after the failover
	sy_up
	if [ "$1" = sync ]; then
		in_ns mqlb-ipvs-sd1 ipvsadm --start-daemon master --mcast-interface back --syncid 7
		in_ns mqlb-ipvs-sd2 ipvsadm --start-daemon backup --mcast-interface back --syncid 7
		in_ns mqlb-ipvs-sd2 ipvsadm -L --daemon | sed 's/^/#   sd2: /'
	fi
	rm -f /tmp/syhold
	: >/tmp/syhold.out # the background job truncates it asynchronously (see hold_open)
	nsenter --net=/run/netns/mqlb-ipvs-scl mqtt_conns $SY_VIP 1883 $SY_N --hold-until /tmp/syhold \
		--ping 1 --id "sy-$1-" >/tmp/syhold.out 2>&1 &
	SY_C=$!
	wait_until 200 grep -q connected= /tmp/syhold.out
	diag "sync $1: $(head -1 /tmp/syhold.out)"
	[ "$1" = sync ] && wait_until 100 sh -c "[ \$(nsenter --net=/run/netns/mqlb-ipvs-sd2 ipvsadm -Lnc | grep -c 'ESTABLISHED .*$SY_VIP:1883') -ge $SY_N ]"
	[ "$1" = sync ] || sleep 3 # what a daemon would have sent by now
	SY_M=$(sy_conns sd1) SY_B=$(sy_conns sd2)
	in_ns mqlb-ipvs-sd2 ipvsadm -Lnc | sed 's/^/#   sd2 -Lnc: /'
	# sd1 dies (links down), sd2 takes both VIPs; the neighbours re-resolve them
	# (keepalived would send gratuitous ARP)
	$IP -n mqlb-ipvs-sd1 link set front down
	$IP -n mqlb-ipvs-sd1 link set back down
	$IP -n mqlb-ipvs-sd2 addr add $SY_VIP/24 dev front
	$IP -n mqlb-ipvs-sd2 addr add $SY_BVIP/24 dev back
	$IP -n mqlb-ipvs-scl neigh flush all
	$IP -n mqlb-ipvs-sbk neigh flush all
	touch /tmp/syhold
	wait $SY_C
	SY_ALIVE=$(sed -n 's/^alive=\([0-9]*\) .*/\1/p' /tmp/syhold.out)
	diag "sync $1: master $SY_M entries, backup $SY_B; after the failover $(tail -1 /tmp/syhold.out)"
	sy_down
}
if want sync; then
	sy_round sync
	is "$SY_M" $SY_N "sync: the master lists the $SY_N connections (ipvsadm -Lnc)"
	is "$SY_B" $SY_N "sync: the backup's ipvsadm -Lnc lists them too (sync daemon)"
	is "$SY_ALIVE" $SY_N "sync: all $SY_N MQTT connections answer PINGREQ after the VIP moved to the backup"
	sy_round nosync
	is "$SY_B" 0 "nosync: without the daemon the backup has no entry"
	is "$SY_ALIVE" 0 "nosync: and none of the $SY_N connections survives the move"
	is "$($IP netns list | grep -c '^mqlb-ipvs-s[a-z]')" 0 "sync: its namespaces are gone"
fi

diag "guest tests took $(awk "BEGIN{print $(now)-$T0}") s"
[ "$FAILS" -eq 0 ]
