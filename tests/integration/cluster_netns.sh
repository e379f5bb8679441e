# mqlb cluster --netns: brokers inside a network namespace on a 198.18.x.y
# address (as the lab runs them); readiness, status, monitor's sock_diag and
# $SYS readers all work from inside that namespace; nothing listens outside.
. "$(dirname "$0")/../lib.sh"
need_root
need mosquitto mosquitto_sub ip ss
NS=mqlb-cl-ns$$
ip netns add "$NS" || skip_all "cannot create a network namespace"
on_exit ip netns del "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 198.18.201.1/32 dev lo
R="$T_TMP/run"
on_exit "$MQLB" cluster down --run-dir "$R"
"$MQLB" cluster up --netns "$NS" --host 198.18.201.1 --base-port 18895 --run-dir "$R" --name cl-ns >/dev/null; rc=$?
is "$rc" 0 "up --netns exits 0 (brokers and bridges ready inside the namespace)"
ok "broker 2 listens inside the namespace" test "$(ip netns exec "$NS" ss -Htln '( sport = :18896 )' | wc -l)" -eq 1
is "$(ss -Htln '( sport = :18896 )' | wc -l)" 0 "and not in ours"
for i in 1 2 3 4; do ip netns exec "$NS" mosquitto_sub -h 198.18.201.1 -p 18896 -t ns/x >/dev/null 2>&1 & track $!; done
sleep 0.5
js=$("$MQLB" cluster status --json --run-dir "$R"); rc=$?
is "$rc" 0 "status exits 0"
ok "status reads \$SYS through the namespace" grep -q '"bridges":\[{"id":"mqlb.b1-to-b2","to":2,"state":1}' <<<"$js"
"$MQLB" monitor --run-dir "$R" --out "$T_TMP/mon" --interval 200ms --duration 1.5 2>/dev/null &
MON=$!
track $MON
sleep 1
want=$(ip netns exec "$NS" ss -Htn state established '( sport = :18896 )' | wc -l)
wait $MON; rc=$?
is "$rc" 0 "monitor exits 0"
got=$(awk -F, '$3==2{v=$5} END{print v}' "$T_TMP/mon/connections.csv")
is "$got" "$want" "monitor's sock_diag count inside the namespace matches ss there ($want: 4 subscribers, the hub bridge, the monitor)"
done_testing
