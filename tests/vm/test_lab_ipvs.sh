# The study as it ran: `mqlb lab run` with dataplane auto on a kernel that has
# IPVS (Debian 6.1 in the QEMU microVM of test_ipvs.sh), so the lab picks the
# IPVS dataplane and the study's lc scheduler, both topologies, QoS 1, --quick.
# Checks the rows, exact counts, lc's spread and that nothing is left.
# Same harness as test_ipvs.sh, booted for the guest's "lab" phase only.
export VM_ONLY=lab
export VM_TIMEOUT=${VM_TIMEOUT:-240}
exec bash "$(dirname "$0")/test_ipvs.sh"
