#!/bin/bash
# tests/vm/test_ipvs.sh — real IPVS for mqlb's ipvs dataplane, in a QEMU microVM.
#
# This machine's kernel has no IPVS; Debian's 6.1 kernel (linux-image-amd64) has
# it as modules. We boot that kernel under TCG with an initramfs holding
# busybox, ipvsadm, ip, mosquitto, the ip_vs modules, our static MQTT helper and
# $MQLB_REL (the release build: sanitizer builds are too slow under TCG), and
# run tests/vm/guest-test.sh as the guest's PID 1 script. Its "ok/not ok" lines
# come back over the serial console and are numbered into TAP here.
#
# Env: MQLB_REL (binary; default build/rel/mqlb), VM_TIMEOUT (s, default 110),
#      VM_MEM (MiB, 256), VM_SMP (1), VM_ONLY (guest phases: cgroup2,refuse,rr,wrr,lc,sh,stale,names,
#      stats,drain,health,local,multi; lab, netem and sync only when named), VM_KEEP_LOG (path: copy the serial log there).
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MQLB=${MQLB:-$ROOT/build/rel/mqlb}
. "$ROOT/tests/lib.sh"
MQLB_REL=${MQLB_REL:-$ROOT/build/rel/mqlb}

command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed (qemu-system-x86)"
[ -x /usr/bin/busybox ] || skip_all "busybox-static not installed"
command -v ipvsadm >/dev/null || skip_all "ipvsadm not installed"
command -v mosquitto >/dev/null || skip_all "mosquitto not installed"
command -v cpio >/dev/null || skip_all "cpio not installed"
KV=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
[ -n "$KV" ] || skip_all "no kernel image /boot/vmlinuz-* (install linux-image-amd64)"
[ -d "/lib/modules/$KV/kernel/net/netfilter/ipvs" ] || skip_all "kernel $KV has no ip_vs modules"
[ -x "$MQLB_REL" ] || skip_all "no release binary $MQLB_REL (make)"
"$MQLB_REL" director run --help 2>/dev/null | grep -q ipvs || skip_all "$MQLB_REL has no ipvs dataplane"

# ---- on the host: a kernel without IPVS gets a clear refusal ----
if [ "$(id -u)" -eq 0 ] && [ ! -e /proc/net/ip_vs ] && ! modinfo ip_vs >/dev/null 2>&1; then
	out=$("$MQLB_REL" director run --dataplane ipvs --name mqlb-ipvs-host \
		--control "$T_TMP/ctl.sock" --listen 198.18.0.1:19500 --backend 198.18.1.2:19501 \
		--health-interval 0 2>&1)
	is "$?" 1 "host without IPVS: director run --dataplane ipvs exits 1"
	ok "... saying IPVS is missing and what to use instead" \
		grep -q "no IPVS in this kernel.*ip_vs.*--dataplane nft or proxy" <<<"$out"
	echo "$out" | sed 's/^/#   /'
else
	diag "host has IPVS or we are not root: skipping the no-IPVS refusal check"
fi

# ---- build the initramfs and boot ----
CPIO=$T_TMP/initramfs.cpio
t0=$(date +%s.%N)
if ! build_out=$("$HERE/build-initramfs.sh" "$MQLB_REL" "$CPIO" 2>&1); then
	echo "$build_out" | sed 's/^/# /'
	ok "initramfs builds" false
	done_testing
	exit 1
fi
KERNEL=$(sed -n 's/^KERNEL=//p' <<<"$build_out")
t1=$(date +%s.%N)
diag "initramfs $(($(stat -c %s "$CPIO") / 1024)) KiB built in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

LOG=$T_TMP/serial.log
timeout -k 5 "${VM_TIMEOUT:-110}" qemu-system-x86_64 \
	-accel tcg,thread=multi,tb-size=64 -m "${VM_MEM:-256}" -smp "${VM_SMP:-1}" \
	-nographic -no-reboot -nodefaults -serial stdio -nic none \
	-kernel "$KERNEL" -initrd "$CPIO" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 mqlb_only=${VM_ONLY:-}" \
	</dev/null >"$LOG" 2>&1
qrc=$?
t2=$(date +%s.%N)
[ -n "${VM_KEEP_LOG:-}" ] && cp "$LOG" "$VM_KEEP_LOG"
tr -d '\r' <"$LOG" >"$LOG.txt"

# ---- the guest's results as TAP ----
while IFS= read -r line; do
	case $line in
	"ok - "*)
		T_N=$((T_N + 1))
		echo "ok $T_N - vm: ${line#ok - }"
		;;
	"not ok - "*)
		T_N=$((T_N + 1))
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N - vm: ${line#not ok - }"
		;;
	"#"*) echo "$line" ;;
	esac
done <"$LOG.txt"

ready=$(sed -n 's/^GUEST_READY uptime=//p' "$LOG.txt")
done_up=$(sed -n 's/^GUEST_DONE uptime=\([0-9.]*\).*/\1/p' "$LOG.txt")
diag "qemu exit $qrc after $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s wall; guest ready at ${ready:-?} s uptime, done at ${done_up:-?} s"
is "$qrc" 0 "qemu exits cleanly within ${VM_TIMEOUT:-110} s"
ok "guest test script ran to the end" grep -q '^GUEST_EXIT=' "$LOG.txt"
if ! grep -q '^GUEST_EXIT=0' "$LOG.txt"; then
	diag "last serial lines:"
	tail -n 30 "$LOG.txt" | sed 's/^/#   /'
fi
done_testing
