/* Unit tests for lab --inventory's faults (src/lab/matrix.c): which fault
 * kinds run on SSH hosts, and lab_faults_validate refusing the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lab/fault.h"
#include "lab/run.h"

/* --inventory: broker-kill and broker-freeze run over SSH, the kinds that cut
 * the SSH link (or need what the hosts do not give) are refused by name. */
static void test_ssh_faults(void **state)
{
	(void)state;
	for (int k = 0; k < LAB_FAULT_KINDS; k++) {
		const char *why = lab_fault_ssh_why((enum lab_fault_kind)k);
		int ok = k == LAB_FAULT_BROKER_KILL || k == LAB_FAULT_BROKER_FREEZE;
		assert_true(ok ? why == NULL : why != NULL && *why);
	}
	struct lab_opts o;
	memset(&o, 0, sizeof(o));
	o.burst = 400, o.interval_ms = 100, o.clients[0] = 20, o.n_clients = 1;
	o.inventory = "inv.txt";
	struct lab_run run = {.topology = LAB_TOPO_DISTRIBUTED, .qos = 1, .clients = 20};
	char err[256];
	assert_int_equal(lab_fault_parse("broker-kill:2@1s+1s", &o.faults[0], err, sizeof(err)), 0);
	assert_int_equal(lab_fault_parse("broker-freeze:3@1s+1s", &o.faults[1], err, sizeof(err)),
			 0);
	o.n_faults = 2;
	assert_int_equal(lab_faults_validate(&o, &run, 1, err, sizeof(err)), 0);
	assert_int_equal(lab_fault_parse("client-flap:1@1s+1s", &o.faults[2], err, sizeof(err)), 0);
	o.n_faults = 3;
	assert_int_equal(lab_faults_validate(&o, &run, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--fault client-flap:1@1s+1s with --inventory: "));
	o.inventory = NULL; /* the same spec on namespaces (as root) is not refused for SSH */
	o.hosts = LAB_HOSTS_NETNS;
	assert_int_equal(lab_faults_validate(&o, &run, 1, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ssh_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
