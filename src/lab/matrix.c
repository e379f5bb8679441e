/* matrix.c — the experiment list: every client count x topology x QoS. */
#include <string.h>

#include "lab/run.h"

static const char *const topo_names[LAB_TOPO_COUNT] = {"distributed", "centralized",
						       "distributed-shared", "clientid"};

const char *lab_topology_name(enum lab_topology t)
{
	return (unsigned)t < LAB_TOPO_COUNT ? topo_names[t] : "?";
}

int lab_topology_parse(const char *s)
{
	for (int i = 0; i < LAB_TOPO_COUNT; i++)
		if (strcmp(s, topo_names[i]) == 0)
			return i;
	return -1;
}

int lab_matrix(const struct lab_opts *o, struct lab_run *runs)
{
	int n = 0;
	for (int c = 0; c < o->n_clients; c++)
		for (int t = 0; t < o->n_topologies; t++)
			for (int q = 0; q < o->n_qos; q++) {
				if (n == LAB_MAX_RUNS)
					return n;
				runs[n].clients = o->clients[c];
				runs[n].topology = (enum lab_topology)o->topologies[t];
				runs[n].qos = o->qos[q];
				n++;
			}
	return n;
}
