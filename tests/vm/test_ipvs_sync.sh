# The IPVS connection sync daemon in the microVM: two IPVS directors in
# namespaces, ipvsadm --start-daemon master / backup (--mcast-interface back
# --syncid 7); the backup's ipvsadm -Lnc lists the master's connections and
# held MQTT connections answer PINGREQ after the VIP moves to the backup;
# without the daemons the backup has no entry and no connection survives.
# Same harness as test_ipvs.sh, booted for the guest's "sync" phase only.
export VM_ONLY=sync
export VM_TIMEOUT=${VM_TIMEOUT:-150}
exec bash "$(dirname "$0")/test_ipvs.sh"
