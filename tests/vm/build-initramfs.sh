#!/bin/bash
# tests/vm/build-initramfs.sh MQLB_BINARY OUT.cpio — the microVM's initramfs
# for the IPVS tests (tests/vm/test_ipvs.sh runs it).
#
# Two uncompressed newc archives, concatenated (the kernel unpacks them in turn;
# uncompressed because unpacking xz under TCG costs seconds):
#   build/vm/base-KV.cpio  cached; rebuilt only when its inputs change (this
#                          script, the kernel version, busybox, ipvsadm, ip,
#                          mosquitto, tc): busybox-static, ipvsadm, iproute2's ip
#                          and tc, mosquitto + the shared libraries they need, the ip_vs
#                          modules (rr wrr lc wlc sh mh, NOT sed: the test needs
#                          one missing scheduler module), sch_netem (the lab's
#                          netem fault) and their dependencies.
#   overlay                every run: init, guest-test.sh, the static
#                          mqtt_conns helper, and MQLB_BINARY (dynamic) + its libs.
# Also caches the decompressed kernel as build/vm/vmlinux-KV (PVH entry: no
# in-guest decompression). Prints "KERNEL=path" on stdout for the runner.
# Env: KV (kernel version; default: newest /boot/vmlinuz-*), VM_DIR (build/vm).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MQLB_BIN=${1:?usage: build-initramfs.sh MQLB_BINARY OUT.cpio}
OUT=${2:?usage: build-initramfs.sh MQLB_BINARY OUT.cpio}
VM_DIR=${VM_DIR:-$ROOT/build/vm}
KV=${KV:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)}
[ -n "$KV" ] && [ -f "/boot/vmlinuz-$KV" ] || { echo "no /boot/vmlinuz-*" >&2; exit 3; }
[ -d "/lib/modules/$KV" ] || { echo "no /lib/modules/$KV" >&2; exit 3; }
mkdir -p "$VM_DIR"

# ---- kernel: decompress once ----
VMLINUX=$VM_DIR/vmlinux-$KV
if [ ! -s "$VMLINUX" ]; then
	/usr/bin/python3 - "/boot/vmlinuz-$KV" "$VMLINUX.tmp" <<'EOF'
import lzma, sys
d = open(sys.argv[1], 'rb').read()
o = d.find(b'\xfd7zXZ\x00')
if o < 0:
    sys.exit("vmlinuz is not xz-compressed: boot it as is")
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d[o:]))
EOF
	mv "$VMLINUX.tmp" "$VMLINUX"
fi

# copy_bin SRC DST ROOT [SKIPLIST]: a dynamic binary and every shared library
# ldd names (except those SKIPLIST, the base archive's file list, has already).
copy_bin() {
	local src=$1 dst=$2 r=$3 skip=${4:-/dev/null} l
	install -D -m755 "$src" "$r$dst"
	for l in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*'); do
		grep -qxF ".$l" "$skip" && continue
		[ -e "$r$l" ] || install -D -m755 "$l" "$r$l"
	done
}

# ---- base archive (cached) ----
MODS="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh veth bridge crc32c_generic sch_netem"
stamp=$( {
	cat "$0"
	echo "$KV"
	ls -lL /usr/bin/busybox /usr/sbin/ipvsadm /bin/ip /usr/sbin/mosquitto /sbin/tc
} | sha256sum | cut -c1-16)
BASE=$VM_DIR/base-$KV-$stamp.cpio
if [ ! -s "$BASE" ]; then
	rm -f "$VM_DIR"/base-*.cpio "$VM_DIR"/base-*.cpio.list
	R=$(mktemp -d "$VM_DIR/root.XXXXXX")
	trap 'rm -rf "$R"' EXIT
	chmod 755 "$R" # mktemp's 0700 would become the guest's / (nobody could not run /bin/sh)
	mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,run,var/run,lib/modules/$KV}
	cp /usr/bin/busybox "$R/bin/busybox"
	for a in $(/usr/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
	done
	copy_bin /usr/sbin/ipvsadm /sbin/ipvsadm "$R"
	copy_bin /bin/ip /sbin/ip "$R" # busybox ip cannot make veth pairs
	copy_bin /sbin/tc /sbin/tc "$R" # the lab's netem fault (busybox tc has no netem)
	copy_bin /usr/sbin/mosquitto /sbin/mosquitto "$R"
	# glibc dlopens libgcc_s for pthread_exit; ldd does not list it, and a
	# bridging mosquitto aborts without it ("libgcc_s.so.1 must be installed")
	l=$(readlink -f /lib/x86_64-linux-gnu/libgcc_s.so.1)
	install -D -m644 "$l" "$R/lib/x86_64-linux-gnu/libgcc_s.so.1"
	# mosquitto started as root drops to its own user, as on Debian
	printf 'root:x:0:0:root:/:/bin/sh\nmosquitto:x:101:101::/:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$R/etc/passwd"
	printf 'root:x:0:\nmosquitto:x:101:\nnogroup:x:65534:\n' >"$R/etc/group"
	for m in $MODS; do
		modprobe -S "$KV" --show-depends "$m" | awk '$1=="insmod"{print $2}'
	done | sort -u | while read -r f; do install -D -m644 "$f" "$R$f"; done
	cp /lib/modules/"$KV"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$KV/" 2>/dev/null || true
	depmod -b "$R" "$KV"
	(cd "$R" && find . | tee "$BASE.list" | cpio -o -H newc --quiet) >"$BASE.tmp"
	mv "$BASE.tmp" "$BASE"
	rm -rf "$R"
	trap - EXIT
fi

# ---- the static helper ----
HELPER=$VM_DIR/mqtt_conns
if [ ! -x "$HELPER" ] || [ "$HERE/mqtt_conns.c" -nt "$HELPER" ]; then
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -static -o "$HELPER" "$HERE/mqtt_conns.c"
fi

# ---- overlay (every run) ----
O=$(mktemp -d "$VM_DIR/overlay.XXXXXX")
trap 'rm -rf "$O"' EXIT
chmod 755 "$O"
mkdir -p "$O/bin" "$O/sbin"
install -m755 "$HERE/init" "$O/init"
install -m755 "$HERE/guest-test.sh" "$O/bin/guest-test.sh"
install -m755 "$HELPER" "$O/bin/mqtt_conns"
copy_bin "$MQLB_BIN" /bin/mqlb "$O" "$BASE.list"
(cd "$O" && find . | cpio -o -H newc --quiet) >"$OUT.overlay"
cat "$BASE" "$OUT.overlay" >"$OUT"
rm -f "$OUT.overlay"
echo "KERNEL=$VMLINUX"
