# mqlb lab run beyond the study: distributed-lc (two user-space lc directors,
# each on its own connections), distributed-shared (the same sharing
# connection counts with --peers, signed with a --peers-key the lab writes)
# and clientid (Maglev on the ClientID), small and for real in the lab's
# namespaces.
. "$(dirname "$0")/../lib.sh"
need_root
need ip mosquitto gnuplot
"$MQLB" lab --help >/dev/null 2>&1 || skip_all "mqlb lab is not in this build"
"$MQLB" director run --help 2>&1 | grep -q proxy || skip_all "no proxy dataplane in this build"
on_exit "for n in \$(ip netns list | awk '/^mqlb-lab-/{print \$1}'); do ip netns del \$n; done"

D=$T_TMP/out
timeout -k 10 140 "$MQLB" lab run --quick --topology distributed-lc,distributed-shared,clientid \
	--qos 1 --out "$D" >"$T_TMP/stdout" 2>"$T_TMP/stderr"
rc=$?
is "$rc" 0 "lab run --topology distributed-lc,distributed-shared,clientid exits 0"
[ "$rc" -eq 0 ] || tail -n 20 "$T_TMP/stderr" | sed 's/^/#   /'
row() { awk -F, -v t="$1" 'NR>1 && $1==t {print $2","$3","$10","$11","$9}' "$D/summary.csv"; }
ok "distributed-shared row: proxy dataplane, lc" grep -q '^proxy,lc,' <<<"$(row distributed-shared)"
ok "distributed-lc row: proxy dataplane, lc" grep -q '^proxy,lc,' <<<"$(row distributed-lc)"
is "$(grep -c 'peers:' "$D/distributed-lc-c20-q1/lab-d1.log")" 0 "distributed-lc: no --peers (each director its own view)"
ok "distributed-shared: the peers' datagrams are signed" grep -q 'signed with --peers-key' "$D/distributed-shared-c20-q1/lab-d1.log"
is "$(stat -c %a "$D/distributed-shared-c20-q1/peers.key")" 600 "the peers key is 0600"
ok "clientid row: proxy dataplane, clientid scheduler" grep -q '^proxy,clientid,' <<<"$(row clientid)"
is "$(awk -F, 'NR>1 && $10 + $11 != $9' "$D/summary.csv")" "" "unique + lost = expected"
r=$D/distributed-shared-c20-q1
ok "director 1 hears director 2 (--peers)" grep -q 'peers: hearing lab-d2' "$r/lab-d1.log"
ok "director 2 hears director 1 (--peers)" grep -q 'peers: hearing lab-d1' "$r/lab-d2.log"
is "$(awk -F, 'NR>1 { split($17, c, "/"); s = 0; for (i in c) s += c[i]; if (s != 20) print NR }' "$D/summary.csv")" "" \
	"every client went through a director"
is "$(ip netns list | grep -c '^mqlb-lab-')" 0 "no mqlb-lab- namespaces left"
done_testing
