# tests/lib.sh — sourced by integration tests: TAP output, cleanup, real brokers.
#   ok COND-CMD... / is A B MSG / cmp_ok A OP B MSG / skip_all WHY / done_testing
# Every process a test starts is recorded with `track PID` and ended by PID on
# exit; every namespace or file it makes is removed by the cleanup hooks it adds
# with `on_exit CMD`.
set -u
MQLB=${MQLB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/mqlb}
MQLB_REL=${MQLB_REL:-$MQLB}
T_N=0 T_FAIL=0
T_PIDS=()
T_EXIT=()
T_TMP=$(mktemp -d /tmp/mqlb-test.XXXXXX)

ok() { # ok MSG CMD...: pass when CMD succeeds
	local msg=$1
	shift
	T_N=$((T_N + 1))
	if "$@"; then echo "ok $T_N - $msg"; else echo "not ok $T_N - $msg"; T_FAIL=$((T_FAIL + 1)); fi
}
is() { # is GOT WANT MSG
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T_N - $3"
	else
		echo "not ok $T_N - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		T_FAIL=$((T_FAIL + 1))
	fi
}
cmp_ok() { # cmp_ok A OP B MSG  (numeric: -eq -ne -lt -le -gt -ge)
	T_N=$((T_N + 1))
	if [ "$1" "$2" "$3" ] 2>/dev/null; then
		echo "ok $T_N - $4"
	else
		echo "not ok $T_N - $4"
		echo "#   '$1' $2 '$3' is false"
		T_FAIL=$((T_FAIL + 1))
	fi
}
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() { echo "1..$T_N"; [ "$T_FAIL" -eq 0 ]; }
need() { for c in "$@"; do command -v "$c" >/dev/null || skip_all "$c not installed (scripts/install-deps)"; done; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces / nftables)"; }

track() { T_PIDS+=("$@"); }
on_exit() { T_EXIT+=("$*"); }
t_cleanup() {
	local p c
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for ((c = ${#T_EXIT[@]} - 1; c >= 0; c--)); do eval "${T_EXIT[$c]}" >/dev/null 2>&1; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# wait_port HOST PORT [SECONDS]: until something listens (bounded)
wait_port() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_mosquitto PORT [EXTRA-CONF-LINES]: a real broker on 127.0.0.1:PORT, tracked.
# Sets MOSQ_PID and MOSQ_LOG.
start_mosquitto() {
	local port=$1 conf="$T_TMP/mosquitto-$1.conf"
	shift
	{
		echo "listener $port 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence false"
		echo "sys_interval 1"
		for l in "$@"; do echo "$l"; done
	} >"$conf"
	MOSQ_LOG="$T_TMP/mosquitto-$port.log"
	mosquitto -c "$conf" >"$MOSQ_LOG" 2>&1 &
	MOSQ_PID=$!
	track "$MOSQ_PID"
	wait_port 127.0.0.1 "$port" 5 || { echo "# mosquitto on $port did not start:"; sed 's/^/#   /' "$MOSQ_LOG"; return 1; }
}
