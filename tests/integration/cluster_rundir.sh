# The run directory is vetted before anything is read or written in it
# (issue 14 item 2): as uid 65534 without XDG_RUNTIME_DIR the default is
# /tmp/mqlb-65534, which another local user could create first. A dir planted
# by root, one open to others (0777, 0750), or a symlink is refused with one
# line that says why; a new one is made 0700; symlinks planted in a good run
# dir (b1.conf, state.tmp, b1.pid, b1.log) are replaced, never followed.
. "$(dirname "$0")/../lib.sh"
need mosquitto setpriv
[ "$(id -u)" -eq 0 ] || skip_all "needs root to act as uid 65534 and as the planter"
chmod 0711 "$T_TMP"
U=65534
D=/tmp/mqlb-$U
as_user() { setpriv --reuid=$U --regid=$U --clear-groups env -u XDG_RUNTIME_DIR "$@"; }
as_user test -x "$MQLB" || skip_all "uid $U cannot run $MQLB"
clear_d() { rm -rf "$D"; }
on_exit as_user "$MQLB" cluster down --run-dir "$D"
on_exit rm -rf "$D"
clear_d

# planted by root (another user, to uid 65534)
mkdir -m 0755 "$D"
as_user "$MQLB" cluster status >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "status in a /tmp/mqlb-$U owned by root: exit 1"
ok "  says it refuses it and whose it is" grep -q "refusing run dir $D: owned by uid 0, not you (uid $U)" "$T_TMP/err"
is "$(wc -l <"$T_TMP/err")" 1 "  in one line"
as_user "$MQLB" monitor --out "$T_TMP/mon" --duration 1 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "monitor with that default run dir: exit 1"
ok "  refused, never read" grep -q "refusing run dir $D: owned by uid 0" "$T_TMP/err"
as_user "$MQLB" cluster up --brokers 1 --base-port 19741 --cpus 0 --memory 0 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "up there: exit 1"
ok "  refused" grep -q "refusing run dir $D: owned by uid 0" "$T_TMP/err"
is "$(ls -A "$D")" "" "  and nothing was written into it"
# the director's control socket lives in the same run dir and is vetted alike
as_user timeout 5 "$MQLB" director run --dataplane proxy --listen 127.0.0.1:19742 \
	--backend 127.0.0.1:19743 --health-interval 0 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "director run with that default run dir: exit 1"
ok "  refused, no socket planted there" grep -q "refusing run dir $D: owned by uid 0" "$T_TMP/err"
is "$(ls -A "$D")" "" "  and nothing was written into it"

# owned by the user but open to others
chown $U:$U "$D"
chmod 0777 "$D"
as_user "$MQLB" cluster status >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "status in a 0777 /tmp/mqlb-$U: exit 1"
ok "  names the mode and the fix" grep -q "mode 0777 is open to group or others; chmod 0700 $D" "$T_TMP/err"
chmod 0750 "$D"
as_user "$MQLB" cluster down >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "down in a 0750 /tmp/mqlb-$U (group may read): exit 1"
ok "  refused" grep -q "mode 0750 is open" "$T_TMP/err"

# a symlink planted in its place
clear_d
mkdir -m 0700 "$T_TMP/elsewhere"
chown $U:$U "$T_TMP/elsewhere"
ln -s "$T_TMP/elsewhere" "$D"
as_user "$MQLB" cluster up --brokers 1 --base-port 19741 --cpus 0 --memory 0 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "up with /tmp/mqlb-$U a symlink: exit 1"
ok "  says it is a symlink" grep -q "refusing run dir $D: it is a symlink" "$T_TMP/err"
is "$(ls -A "$T_TMP/elsewhere")" "" "  and wrote nothing where it points"
as_user "$MQLB" cluster kill --broker 1 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "kill there: exit 1, refused"

# none there: up makes it 0700, owned by the user
clear_d
as_user "$MQLB" cluster up --brokers 1 --base-port 19741 --cpus 0 --memory 0 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 0 "up with no /tmp/mqlb-$U: exit 0"
is "$(stat -c '%a %u' "$D" 2>/dev/null)" "700 $U" "  made it 0700, owned by uid $U"
as_user "$MQLB" cluster status >"$T_TMP/out" 2>&1
ok "  status reads it" grep -q "1 of 1 brokers alive" "$T_TMP/out"
as_user "$MQLB" cluster down >/dev/null 2>&1

# symlinks planted inside a good run dir are replaced, not followed
for f in b1.conf state.tmp b1.pid b1.log; do
	echo precious >"$T_TMP/victim-$f"
	chown $U:$U "$T_TMP/victim-$f"
	rm -f "$D/$f"
	ln -s "$T_TMP/victim-$f" "$D/$f"
done
as_user "$MQLB" cluster up --brokers 1 --base-port 19741 --cpus 0 --memory 0 >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
is "$rc" 0 "up over planted symlinks: exit 0"
for f in b1.conf state.tmp b1.pid b1.log; do
	is "$(cat "$T_TMP/victim-$f")" precious "  $f: the file it pointed at is untouched"
done
ok "  b1.conf is a file of its own" test -f "$D/b1.conf" -a ! -L "$D/b1.conf"
as_user "$MQLB" cluster down >/dev/null 2>&1
is "$(pgrep -u $U -f "mosquitto -c $D" | wc -l)" 0 "down: no broker left"
done_testing
