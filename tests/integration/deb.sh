#!/usr/bin/env bash
# make deb: the package it builds (into a temp dir; the binary's objects stay in
# build/deb/rel) holds what it should and works. Proves, in this order:
#  - the control fields: name, the Makefile's VERSION, this machine's
#    architecture, a Depends naming the package of every shared library the
#    binary links (dpkg-shlibdeps), mosquitto recommended;
#  - the contents (dpkg-deb -c): /usr/bin/mqlb, every docs/*.1 as a gzip -9n
#    page identical to the source, the unit in /lib/systemd/system running
#    /usr/bin/mqlb, every deploy/ file under /usr/share/doc/mqlb/examples,
#    copyright and changelog, all root:root, nothing in /usr/local;
#  - the extracted binary is stripped and hardened (BIND_NOW), says the version
#    and does a real job: a bench run through a real mosquitto, nothing lost;
#  - lintian finds no error (when lintian is installed);
#  - apt resolves its Depends on this machine (apt-get install --simulate);
#  - a real `dpkg -i` (postinst included) and `dpkg -r` in a chroot that is
#    this machine's own root under a copy-on-write overlay, in a mount
#    namespace of its own: the machine's dpkg database is never touched.
. "$(dirname "$0")/../lib.sh"
need dpkg-deb dpkg-buildflags dpkg-shlibdeps make readelf
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
ARCH=$(dpkg --print-architecture)
out=$T_TMP/out

make -j2 -C "$TOP" --no-print-directory deb DEB_OUT="$out" >"$T_TMP/make.log" 2>&1
rc=$?
is "$rc" 0 "make deb exits 0"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_TMP/make.log"
deb=$out/mqlb_${VERSION}_${ARCH}.deb
ok "make deb writes mqlb_${VERSION}_${ARCH}.deb" test -f "$deb"
[ -f "$deb" ] || { done_testing; exit 1; }

# --- control
is "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $(dpkg-deb -f "$deb" Architecture)" \
	"mqlb $VERSION $ARCH" "control: package, the Makefile's version, this architecture"
depends=$(dpkg-deb -f "$deb" Depends)
diag "Depends: $depends"
diag "Recommends: $(dpkg-deb -f "$deb" Recommends); Suggests: $(dpkg-deb -f "$deb" Suggests)"
ok "control: mosquitto is recommended" grep -qw mosquitto <<<"$(dpkg-deb -f "$deb" Recommends)"
ok "control: Installed-Size is set" test -n "$(dpkg-deb -f "$deb" Installed-Size)"

# --- contents
dpkg-deb -c "$deb" >"$T_TMP/contents"
has() { awk -v p="./$1" '$NF == p { f = 1 } END { exit !f }' "$T_TMP/contents"; }
ok "contents: /usr/bin/mqlb, mode 0755" grep -qE '^-rwxr-xr-x root/root .* \./usr/bin/mqlb$' "$T_TMP/contents"
missing=
for m in "$TOP"/docs/*.1; do
	has "usr/share/man/man1/$(basename "$m").gz" || missing="$missing $(basename "$m")"
done
is "$missing" "" "contents: every docs/*.1 as usr/share/man/man1/*.1.gz"
ok "contents: the unit in /lib/systemd/system" has "lib/systemd/system/mqlb-director@.service"
ok "contents: copyright" has "usr/share/doc/mqlb/copyright"
ok "contents: changelog (native package: changelog.gz)" has "usr/share/doc/mqlb/changelog.gz"
missing=
while IFS= read -r f; do
	has "usr/share/doc/mqlb/examples/${f#"$TOP"/deploy/}" || missing="$missing ${f#"$TOP"/}"
done < <(find "$TOP/deploy" -type f)
is "$missing" "" "contents: every deploy/ file under /usr/share/doc/mqlb/examples"
is "$(awk '$2 != "root/root"' "$T_TMP/contents")" "" "contents: everything owned by root:root"
is "$(grep -c '\./usr/local' "$T_TMP/contents")" 0 "contents: nothing in /usr/local"

# --- the extracted files
x=$T_TMP/x
dpkg-deb -x "$deb" "$x"
unit=$x/lib/systemd/system/mqlb-director@.service
is "$(grep '^ExecStart=' "$unit")" \
	"ExecStart=/usr/bin/mqlb director run --name %i --control /run/mqlb/director-%i.sock \$MQLB_DIRECTOR_ARGS" \
	"unit: ExecStart runs /usr/bin/mqlb"
is "$(grep -c /usr/local "$unit" "$x/usr/share/doc/mqlb/examples/director/mqlb-director@.service" | grep -vc ':0$')" 0 \
	"unit and example unit: no /usr/local left"
bad=
for m in "$TOP"/docs/*.1; do
	gz=$x/usr/share/man/man1/$(basename "$m").gz
	# gzip -n: no file name (FLG bit 3) and MTIME 0, so the package is reproducible
	hdr=$(od -An -tx1 -N8 "$gz" 2>/dev/null | tr -d ' \n')
	if ! zcat "$gz" 2>/dev/null | cmp -s - "$m" || [ "${hdr:6:10}" != "0000000000" ]; then
		bad="$bad $(basename "$m")"
	fi
done
is "$bad" "" "man pages: gzip -n, identical to docs/*.1 once unpacked"
bin=$x/usr/bin/mqlb
is "$(readelf -S "$bin" | grep -cE '\.symtab|\.debug_')" 0 "binary: stripped (no .symtab, no .debug_*)"
ok "binary: hardened build (BIND_NOW, dpkg-buildflags)" grep -qE 'BIND_NOW|FLAGS_1.*NOW' <<<"$(readelf -d "$bin")"
missing=
# the library the loader really picks (ldd), and the package that owns it
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	path=$(ldd "$bin" | awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }')
	pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null)
	pkg=${pkg%%:*}
	grep -qE "(^|, )$pkg( |,|$)" <<<"$depends" || missing="$missing $lib($pkg)"
done
is "$missing" "" "Depends names the package of every library the binary links"
is "$("$bin" --version 2>&1)" "mqlb $VERSION" "extracted binary: --version"
if command -v mosquitto >/dev/null; then
	start_mosquitto 19880 || exit 1
	"$bin" bench run -p 19880 --pubs 1 --subs 2 -L 50 -I 5 -q 1 --drain 3 --quiet \
		--json "$T_TMP/bench.json" >"$T_TMP/bench.log" 2>&1
	is "$?" 0 "extracted binary: bench run through a real mosquitto exits 0"
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["unique"], d["expected"], d["lost"])' \
		"$T_TMP/bench.json" 2>&1)
	is "$got" "100 100 0" "extracted binary: 50 messages x 2 subscribers, all unique, none lost"
else
	ok "# SKIP mosquitto not installed: no real bench run" true
fi

# --- lintian (errors fail; warnings and notes shown)
if command -v lintian >/dev/null; then
	lintian --pedantic -I -E "$deb" >"$T_TMP/lintian.log" 2>/dev/null
	sed 's/^/# lintian: /' "$T_TMP/lintian.log"
	is "$(grep -c '^E:' "$T_TMP/lintian.log")" 0 "lintian: no errors"
else
	ok "# SKIP lintian not installed" true
fi

# --- dependencies resolve on this machine
if command -v apt-get >/dev/null; then
	apt-get install --simulate --no-install-recommends "$deb" >"$T_TMP/apt.log" 2>&1
	rc=$?
	ok "apt-get install --simulate: Depends resolve here (rc $rc)" \
		grep -qE '^Inst mqlb ' "$T_TMP/apt.log"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_TMP/apt.log"
else
	ok "# SKIP apt-get not installed" true
fi

# --- a real dpkg -i / dpkg -r in a copy-on-write chroot of this machine
ovl=$T_TMP/ovl
mkdir -p "$ovl/upper" "$ovl/work" "$ovl/root" "$ovl/probe/u" "$ovl/probe/w" "$ovl/probe/m"
before=$(dpkg-query -W -f='${Status}' mqlb 2>&1)
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
	unshare -m sh -c "mount -t overlay overlay -o lowerdir=/,upperdir=$ovl/probe/u,workdir=$ovl/probe/w $ovl/probe/m" 2>/dev/null; then
	cp "$deb" "$T_TMP/mqlb.deb"
	# one mount namespace for the whole run: the overlay vanishes with it
	# shellcheck disable=SC2016 # the inner bash expands them
	unshare -m bash -c '
		o=$1 deb=$2
		mount -t overlay overlay -o lowerdir=/,upperdir=$o/upper,workdir=$o/work $o/root || exit 99
		cp "$deb" "$o/root/tmp/mqlb-deb-test.deb"
		inroot() { chroot "$o/root" "$@"; }
		inroot dpkg -i /tmp/mqlb-deb-test.deb >"$o/install.log" 2>&1; echo "$?" >"$o/install.rc"
		inroot dpkg-query -W -f="\${Status} \${Version}" mqlb >"$o/status" 2>&1
		inroot /usr/bin/mqlb --version >"$o/version" 2>&1
		inroot dpkg --verify mqlb >"$o/verify" 2>&1; echo "$?" >>"$o/verify"
		inroot dpkg -r mqlb >"$o/remove.log" 2>&1; echo "$?" >"$o/remove.rc"
		test -e "$o/root/usr/bin/mqlb" && echo present >"$o/after-remove" || echo gone >"$o/after-remove"
	' ovl "$ovl" "$T_TMP/mqlb.deb"
	is "$(cat "$ovl/install.rc" 2>/dev/null)" 0 "chroot: dpkg -i installs it (postinst ran)"
	[ "$(cat "$ovl/install.rc" 2>/dev/null)" = 0 ] || sed 's/^/#   /' "$ovl/install.log"
	is "$(cat "$ovl/status" 2>/dev/null)" "install ok installed $VERSION" "chroot: dpkg says installed, $VERSION"
	is "$(cat "$ovl/version" 2>/dev/null)" "mqlb $VERSION" "chroot: /usr/bin/mqlb --version"
	is "$(cat "$ovl/verify" 2>/dev/null)" 0 "chroot: dpkg --verify finds every file as packaged"
	is "$(cat "$ovl/remove.rc" 2>/dev/null) $(cat "$ovl/after-remove" 2>/dev/null)" "0 gone" \
		"chroot: dpkg -r removes it"
	is "$(dpkg-query -W -f='${Status}' mqlb 2>&1)" "$before" "the machine's own dpkg database is untouched"
else
	ok "# SKIP no overlay mount here (needs root and unshare): no real dpkg -i" true
fi

# --- bad flags
"$TOP/packaging/deb/mkdeb" --bogus >/dev/null 2>"$T_TMP/bad.err"
is "$? $(wc -l <"$T_TMP/bad.err")" "2 1" "mkdeb: an unknown flag is one line on stderr and exit 2"
done_testing
