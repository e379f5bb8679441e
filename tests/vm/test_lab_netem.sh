# The lab's netem fault for real: this machine's kernel has no sch_netem, the
# microVM's Debian kernel has. `mqlb lab run --quick --topology distributed
# --qos 1 --persistent --burst 800` in the guest, once without a fault, once
# with --fault netem:all=delay=40ms,loss=1%@0s+8s (the whole publish phase),
# once interrupted by SIGINT while the fault is in force. Checks the netem
# qdisc on all four ends of the client links during the fault (delay, loss,
# packets through it), that it is gone after the fault and after SIGINT,
# exact accounting, and that p50 latency rose by about twice the delay.
# Same harness as test_ipvs.sh, booted for the guest's "netem" phase only.
KV=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
if [ -z "$KV" ] || ! modprobe -S "$KV" --show-depends sch_netem >/dev/null 2>&1 || [ ! -x /sbin/tc ]; then
	. "$(dirname "$0")/../lib.sh"
	skip_all "no sch_netem module for kernel ${KV:-?} or no /sbin/tc (iproute2)"
fi
export VM_ONLY=netem
export VM_TIMEOUT=${VM_TIMEOUT:-480}
exec bash "$(dirname "$0")/test_ipvs.sh"
