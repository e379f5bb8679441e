# lab_ssh_hosts.bash — sourced by lab_ssh*.sh after tests/lib.sh: five "hosts"
# for `mqlb lab run --inventory`, each a network namespace running its own real
# OpenSSH server (Debian openssh-server), on one bridge with the root namespace:
#   root namespace   198.18.57.1   (the controlling lab)
#   mqlb-s5-b        198.18.57.31  brokers
#   mqlb-s5-d1/-d2   198.18.57.21/.22  directors (ip_forward = 1: NAT)
#   mqlb-s5-c1/-c2   198.18.57.11/.12  client hosts
# Every sshd has its own config, the host key and root login by the client key
# only (both generated here), ListenAddress = its namespace's address, port 22.
# Sets S5_SSH_CONFIG (ssh -F for the lab), S5_INV (the inventory) and the
# function s5_inventory FILE [CLIENT1-ADDRESS] [SSH-CONFIG].
# A test that may run beside another of these sets S5_PREFIX (default s5: the
# names mqlb-<prefix>-*, veths <prefix>-*) and S5_NET (default 198.18.57, a /24)
# before sourcing this file.
need ssh ssh-keygen
[ -x /usr/sbin/sshd ] || skip_all "openssh-server (/usr/sbin/sshd) not installed"

S5_PREFIX=${S5_PREFIX:-s5}
S5_BR=mqlb-$S5_PREFIX-br
S5_NET=${S5_NET:-198.18.57}
S5_HOSTS="b:31 d1:21 d2:22 c1:11 c2:12"

s5_teardown() {
	local p h
	for p in "$T_TMP"/sshd-*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for h in $S5_HOSTS; do
		ip netns del "mqlb-$S5_PREFIX-${h%%:*}" 2>/dev/null
		# the kernel frees a deleted namespace (and its veths) later, when the
		# last process in it ends: the root end may outlive it
		ip link del "$S5_PREFIX-${h%%:*}" 2>/dev/null
	done
	ip link del "$S5_BR" 2>/dev/null
	true
}
on_exit s5_teardown
s5_teardown

ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/hostkey" || skip_all "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/id"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/wrong_id"
cp "$T_TMP/id.pub" "$T_TMP/authorized_keys"
echo "$S5_NET.* $(cut -d' ' -f1,2 "$T_TMP/hostkey.pub")" >"$T_TMP/known_hosts"
mkdir -p /run/sshd # sshd's privilege separation directory (the unit makes it)

ip link add "$S5_BR" type bridge
ip addr add "$S5_NET.1/24" dev "$S5_BR"
ip link set "$S5_BR" up
for h in $S5_HOSTS; do
	n=${h%%:*} a=$S5_NET.${h##*:} ns=mqlb-$S5_PREFIX-${h%%:*}
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$S5_PREFIX-$n" type veth peer name eth0 netns "$ns" ||
		skip_all "cannot make the veth of $ns (a stale $S5_PREFIX-$n?)"
	ip link set "$S5_PREFIX-$n" master "$S5_BR" up
	ip -n "$ns" addr add "$a/24" dev eth0
	ip -n "$ns" link set eth0 up
	case $n in d*)
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.send_redirects=0
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.eth0.send_redirects=0
		;;
	esac
	cat >"$T_TMP/sshd-$n.conf" <<EOF
Port 22
ListenAddress $a
HostKey $T_TMP/hostkey
PidFile $T_TMP/sshd-$n.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $T_TMP/authorized_keys
StrictModes no
UsePAM no
MaxSessions 64
MaxStartups 64
EOF
	ip netns exec "$ns" /usr/sbin/sshd -D -f "$T_TMP/sshd-$n.conf" -E "$T_TMP/sshd-$n.log" &
	track $!
done
for h in $S5_HOSTS; do
	wait_port "$S5_NET.${h##*:}" 22 10 || skip_all "sshd in mqlb-$S5_PREFIX-${h%%:*} did not listen"
done

s5_ssh_config() { # s5_ssh_config FILE IDENTITY
	cat >"$1" <<EOF
Host *
  User root
  IdentityFile $2
  IdentitiesOnly yes
  UserKnownHostsFile $T_TMP/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
}
S5_SSH_CONFIG=$T_TMP/ssh_config
s5_ssh_config "$S5_SSH_CONFIG" "$T_TMP/id"

s5_inventory() { # s5_inventory FILE [CLIENT1-ADDRESS] [SSH-CONFIG]
	cat >"$1" <<EOF
# the study's roles on five SSH hosts
ssh-config ${3:-$S5_SSH_CONFIG}
brokers  root@$S5_NET.31 $S5_NET.31
director root@$S5_NET.21 $S5_NET.21
director root@$S5_NET.22 $S5_NET.22   # the second director
client   root@${2:-$S5_NET.11} ${2:-$S5_NET.11}
client   root@$S5_NET.12 $S5_NET.12
EOF
}
S5_INV=$T_TMP/inventory
s5_inventory "$S5_INV"

# ---- what both SSH lab tests use
# lab RC-VAR OUT ERR ARGS...: mqlb lab ..., waiting (bounded) while another
# lab run (another test's, a user's) holds the machine's lab lock
lab() {
	local _var=$1 _out=$2 _err=$3 _i _rc
	shift 3
	for _i in $(seq 1 120); do
		timeout -k 10 240 "$MQLB" lab "$@" >"$_out" 2>"$_err"
		_rc=$?
		grep -q "another mqlb lab run is in progress" "$_err" || break
		sleep 5
	done
	printf -v "$_var" %s "$_rc"
}

# what the lab may leave on the "hosts" (they share this filesystem)
left_dirs() { find /tmp -maxdepth 1 -name 'mqlb-lab.*' | wc -l; }
left_procs() { pgrep -f '/tmp/mqlb-lab\.' | wc -l; }
left_tables() {
	local n=0 h
	for h in d1 d2; do
		n=$((n + $(ip netns exec "mqlb-$S5_PREFIX-$h" nft list tables 2>/dev/null | grep -c 'mqlb-lab-')))
	done
	echo "$n"
}
left_masters() { find /run/mqlb -maxdepth 1 -name 'ssh-*' 2>/dev/null | wc -l; }
# the brokers' cgroups (mqlb/lab-b*) have a local lab's names: look while
# holding the lab lock, so that no other lab's brokers are running
left_cgroups() {
	flock -w 600 /run/mqlb/lab.lock \
		find /sys/fs/cgroup -maxdepth 4 -type d -path '*mqlb/lab-b*' 2>/dev/null | wc -l
}
nothing_left() { # nothing_left WHEN
	is "$(left_dirs)" 0 "$1: no work dir (/tmp/mqlb-lab.*) left on any host"
	is "$(left_procs)" 0 "$1: no process of the lab left on any host"
	is "$(left_tables)" 0 "$1: no director nft table left on the director hosts"
	is "$(left_masters)" 0 "$1: no SSH master connection left"
	is "$(left_cgroups)" 0 "$1: no broker cgroup left"
}
