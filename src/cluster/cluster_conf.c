/* cluster_conf.c — topologies and mosquitto.conf rendering (Mosquitto 2.0
 * mosquitto.conf(5): listener, allow_anonymous, sys_interval, max_queued_messages,
 * max_inflight_messages, queue_qos0_messages, persistence, bridge "connection"
 * sections with address, topic, try_private, cleansession, notifications).
 *
 * Loops. Mosquitto forwards any message that matches a bridge's topic pattern,
 * whatever its origin; the only origin check is no-local on the same connection
 * (try_private). So any cycle of bridges floods: a 3-broker full mesh with
 * `topic # both 2` delivered 20,590 copies of one message in 2 s here. A star is
 * a tree, hence exactly-once. The mesh offered here is loop-free because every
 * bridge is `out` only and lands messages on the remote under
 * $mesh/<origin>/<topic>: `#` never matches a topic starting with '$' (MQTT
 * 3.1.1 §4.7.2), so no bridge forwards an arrival again. The price: a subscriber
 * that wants everything subscribes to T and to $mesh/+/T.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster/cluster.h"

const char *cluster_bridge_name(enum cluster_bridge b)
{
	static const char *const names[CLUSTER_BRIDGE_COUNT] = {"none", "star", "mesh"};
	return b < CLUSTER_BRIDGE_COUNT ? names[b] : "?";
}

int cluster_bridge_parse(const char *s, enum cluster_bridge *out)
{
	for (int i = 0; i < CLUSTER_BRIDGE_COUNT; i++)
		if (strcmp(s, cluster_bridge_name(i)) == 0) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

void cluster_spec_defaults(struct cluster_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->brokers = 3;
	s->bridge = CLUSTER_BRIDGE_STAR;
	snprintf(s->host, sizeof(s->host), "127.0.0.1");
	s->base_port = 18831;
	s->cpus = 0.25;
	s->mem_bytes = 128ULL << 20;
	s->max_queued = s->max_inflight = -1;
	s->bridge_qos = 2;
}

int cluster_spec_profile(struct cluster_spec *s, const char *profile)
{
	if (strcmp(profile, "thesis") != 0)
		return -EINVAL;
	s->brokers = 3;
	s->bridge = CLUSTER_BRIDGE_STAR;
	s->cpus = 0.25;
	s->mem_bytes = 128ULL << 20;
	s->max_queued = s->max_inflight = -1;
	s->queue_qos0 = s->persistence = 0;
	s->bridge_qos = 2; /* the study's `topic # both 2` */
	return 0;
}

static void link_id(struct cluster_link *l)
{
	snprintf(l->id, sizeof(l->id), "mqlb.b%u-to-b%u", l->from, l->to);
}

unsigned cluster_links(const struct cluster_spec *s, struct cluster_link *out, unsigned max)
{
	unsigned n = 0;
	if (s->bridge == CLUSTER_BRIDGE_STAR) {
		for (unsigned j = 2; j <= s->brokers && n < max; j++) {
			out[n] = (struct cluster_link){.from = 1, .to = j};
			link_id(&out[n++]);
		}
	} else if (s->bridge == CLUSTER_BRIDGE_MESH) {
		for (unsigned i = 1; i <= s->brokers; i++)
			for (unsigned j = 1; j <= s->brokers && n < max; j++) {
				if (i == j)
					continue;
				out[n] = (struct cluster_link){.from = i, .to = j};
				link_id(&out[n++]);
			}
	}
	return n;
}

static void peer_addr(const struct cluster_spec *s, unsigned j, enum cluster_conf_target t,
		      char *buf, size_t len)
{
	if (t == CLUSTER_CONF_COMPOSE)
		snprintf(buf, len, "broker%u:1883", j);
	else /* no brackets for IPv6: Mosquitto splits at the LAST ':' and would pass
	      * "[::1]" to getaddrinfo, so the bridge never connects */
		snprintf(buf, len, "%s:%u", s->host, (unsigned)(s->base_port + j - 1));
}

int cluster_conf_write(FILE *f, const struct cluster_spec *s, unsigned i,
		       enum cluster_conf_target t)
{
	struct cluster_link links[CLUSTER_MAX_BROKERS * CLUSTER_MAX_BROKERS];
	unsigned nl = cluster_links(s, links, sizeof(links) / sizeof(links[0]));
	fprintf(f,
		"# mqlb cluster: broker %u of %u, bridge %s (generated; edits are overwritten)\n",
		i, s->brokers, cluster_bridge_name(s->bridge));
	if (t == CLUSTER_CONF_COMPOSE)
		fprintf(f, "listener 1883\n");
	else
		fprintf(f, "listener %u %s\n", (unsigned)(s->base_port + i - 1), s->host);
	fprintf(f, "allow_anonymous true\n");
	/* $SYS every second so readiness, status and monitor see fresh figures. */
	fprintf(f, "sys_interval 1\n");
	if (s->persistence) {
		fprintf(f, "persistence true\n");
		if (t == CLUSTER_CONF_COMPOSE)
			fprintf(f, "persistence_location /mosquitto/data/\n");
		else
			fprintf(f, "persistence_location %s/b%u.data/\n", s->run_dir, i);
		/* Mosquitto saves its store at exit and every autosave_interval
		 * (default 1800 s): a SIGKILLed broker lost every session and queued
		 * message since it started. 1 is the shortest time-based interval;
		 * Mosquitto saves when last_save + interval < now in whole seconds,
		 * i.e. every 2 s, so up to ~2 s are lost (measured: 1.1-1.6 s of a
		 * steady QoS 1 stream). autosave_on_changes with interval 1 loses
		 * nothing but rewrites the whole store per queued message: 5000
		 * messages queued in 18.7 s instead of 0.42 s. */
		fprintf(f, "autosave_interval 1\n");
	} else {
		fprintf(f, "persistence false\n");
	}
	if (s->max_queued >= 0)
		fprintf(f, "max_queued_messages %ld\n", s->max_queued);
	if (s->max_inflight >= 0)
		fprintf(f, "max_inflight_messages %ld\n", s->max_inflight);
	if (s->queue_qos0)
		fprintf(f, "queue_qos0_messages true\n");
	if (t == CLUSTER_CONF_COMPOSE)
		fprintf(f, "log_dest stdout\n");
	for (unsigned k = 0; k < s->n_opts; k++)
		fprintf(f, "%s\n", s->opts[k]);
	for (unsigned k = 0; k < nl; k++) {
		char addr[CLUSTER_HOST_MAX + 16];
		if (links[k].from != i)
			continue;
		peer_addr(s, links[k].to, t, addr, sizeof(addr));
		fprintf(f, "\nconnection %s\n", links[k].id);
		fprintf(f, "address %s\n", addr);
		fprintf(f, "remote_clientid %s\n", links[k].id);
		/* The bridge QoS caps what crosses it: a QoS 2 publish goes over a
		 * QoS 1 bridge as QoS 1 (PUBLISH + PUBACK instead of four packets
		 * on the one bridge socket), and may be duplicated after a reconnect. */
		if (s->bridge == CLUSTER_BRIDGE_STAR)
			fprintf(f, "topic # both %d\n", s->bridge_qos);
		else /* see the loop note at the top of this file */
			fprintf(f, "topic # out %d \"\" %s%u/\n", s->bridge_qos,
				CLUSTER_MESH_PREFIX, i);
		fprintf(f, "try_private true\n");
		fprintf(f, "cleansession false\n");
		fprintf(f, "notifications true\n");
		if (s->bridge == CLUSTER_BRIDGE_MESH)
			/* Every mesh broker dials peers that may start after it. */
			fprintf(f, "restart_timeout 1 5\n");
	}
	return ferror(f) ? -EIO : 0;
}
