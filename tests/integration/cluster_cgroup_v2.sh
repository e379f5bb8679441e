# cluster up on cgroup v2 (issue 14 item 7), over a fake cgroup2 tree
# (MQLB_CGROUP_ROOT; this machine may well be v1): up must never write
# "+cpu +memory" into the root cgroup nor create <root>/mqlb. Run from the root
# cgroup, or from one whose parent does not offer memory, it says in one
# warning line what is missing and the systemd-run command that fixes it, and
# runs the brokers without limits. The delegated case is in
# tests/unit/test_cluster_common.c (test_v2_delegated).
. "$(dirname "$0")/../lib.sh"
need mosquitto
CG="$T_TMP/cg"
R="$T_TMP/run"
self=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
[ "$self" = / ] && self=
mkdir -p "$CG$self"
echo "cpuset cpu io memory pids" >"$CG/cgroup.controllers"
: >"$CG/cgroup.subtree_control"
on_exit "$MQLB" cluster down --run-dir "$R"
up() { MQLB_CGROUP_ROOT=$CG "$MQLB" cluster up --brokers 2 --base-port 19761 --run-dir "$R" --cpus 0.5 --memory 64M "$@"; }

# the root cgroup ("0::/" here, or a cgroup without cgroup.type)
if [ -n "$self" ]; then echo "cpu memory pids" >"$CG$self/cgroup.controllers"; fi
up >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 0 "up from the root cgroup: brokers run (exit 0)"
ok "  the summary says NO limits" grep -q "NO limits (cgroup v2" "$T_TMP/out"
is "$(grep -c warning "$T_TMP/err")" 1 "  one warning line"
ok "  saying it does not change the root cgroup" grep -q "cgroup v2: mqlb runs in the root cgroup" "$T_TMP/err"
ok "  and the command that fixes it" grep -q "systemd-run .*--scope -p Delegate=yes mqlb cluster up" "$T_TMP/err"
is "$(cat "$CG/cgroup.subtree_control")" "" "  the root's cgroup.subtree_control is untouched"
ok "  no <root>/mqlb was created" test ! -e "$CG/mqlb"
"$MQLB" cluster down --run-dir "$R" >/dev/null 2>&1

# a delegated-looking cgroup whose parent offers cpu but not memory
echo domain >"$CG$self/cgroup.type"
echo "cpu pids" >"$CG$self/cgroup.controllers"
up >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 0 "up where memory is not offered: exit 0"
is "$(grep -c warning "$T_TMP/err")" 1 "  one warning line"
ok "  naming the controller and the fix" grep -q "cgroup v2: controller memory is not enabled for $CG$self by its parent.*echo +memory" "$T_TMP/err"
is "$(cat "$CG/cgroup.subtree_control")" "" "  the root's cgroup.subtree_control is untouched"
ok "  no mqlb group anywhere" test -z "$(find "$CG" -name 'mqlb*')"
"$MQLB" cluster down --run-dir "$R" >/dev/null 2>&1
done_testing
