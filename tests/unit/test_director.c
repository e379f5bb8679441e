/* Unit tests for the director's controller: flag parsing (bad input refused
 * before any kernel call), smooth wrr sequences, nft rule text, control
 * requests and status JSON against a fake dataplane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cli.h"
#include "common/time.h"
#include "director/dataplane_nft.h"
#include "director/director.h"
#include "director/ha.h"
#include "director/ipvs_nl.h"
#include "director/peers.h"

static int parse(struct director *d, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	static char path[108];
	const struct dataplane *dp = NULL;
	argv[argc++] = (char *)"run";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memset(d, 0, sizeof(*d));
	int rc = director_run_parse(argc, argv, d, &dp, path, sizeof(path));
	if (rc == 0)
		d->dp = dp;
	return rc;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_run_parse_table(void **state)
{
	static struct director d;
	static const struct {
		const char *args[14];
		int rc;
	} rows[] = {
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", NULL}, 0},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,weight=0", NULL}, 0},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,weight=65535", NULL}, 0},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,weight=65536", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,weight=x", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,wait=1", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:0", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:65536", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1", "--backend", "127.0.0.1:19301", NULL}, CLI_USAGE},
	    {{"--listen", "300.0.0.1:1", "--backend", "127.0.0.1:19301", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--backend",
	      "127.0.0.1:19301", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19300", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "[::1]:19301", NULL}, CLI_USAGE},
	    {{"--listen", "[::1]:19300", "--backend", "[::1]:19301", NULL}, 0},
	    {{"--listen", "127.0.0.1:19300", NULL}, CLI_USAGE},
	    {{"--backend", "127.0.0.1:19301", NULL}, CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--name",
	      "0123456789012345678901234567890", NULL},
	     0},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--name",
	      "01234567890123456789012345678901", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--name", "a b", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--name", "", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--mode", "x", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--dataplane", "nope",
	      NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--health-fall", "0",
	      NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--health-interval",
	      "1s", "--health-timeout", "2s", NULL},
	     CLI_USAGE},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "--health-interval",
	      "0", NULL},
	     0},
	    {{"--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301", "extra", NULL},
	     CLI_USAGE},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = parse(&d, rows[i].args);
		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d, want %d", i, rc, rows[i].rc);
	}
}

static void test_run_parse_defaults(void **state)
{
	static struct director d;
	assert_int_equal(
	    parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301,weight=3",
			   "--backend", "127.0.0.1:19302")),
	    0);
	assert_string_equal(d.cfg.name, "default");
	assert_string_equal(d.cfg.scheduler, "rr");
	assert_int_equal(d.cfg.mode, DIRECTOR_MODE_LOCAL); /* loopback VIP */
	assert_int_equal(d.n_backends, 2);
	assert_int_equal(d.backends[0].weight, 3);
	assert_int_equal(atomic_load(&d.backends[0].effective_weight), 3);
	assert_int_equal(d.backends[1].weight, 1);
	assert_true(d.backends[0].healthy);
	assert_non_null(d.cfg.control_path);
	assert_non_null(strstr(d.cfg.control_path, "director-default.sock"));
	assert_int_equal(
	    parse(&d, ARGS("--listen", "198.18.0.1:1883", "--backend", "198.18.1.1:1883")), 0);
	assert_int_equal(d.cfg.mode, DIRECTOR_MODE_NAT);
}

/* Effective weights from health, drain and weight, and failing open: a table
 * of (healthy, drained, weight) per backend -> effective weights and state. */
static void test_weights_refresh(void **state)
{
	static struct director d;
	static const struct {
		int healthy[3], drained[3];
		unsigned weight[3];
		int fail_closed;
		unsigned want[3];
		int want_open;
	} rows[] = {
	    {{1, 1, 1}, {0, 0, 0}, {1, 2, 3}, 0, {1, 2, 3}, 0}, /* all up */
	    {{1, 0, 1}, {0, 0, 0}, {1, 2, 3}, 0, {1, 0, 3}, 0}, /* one down: out */
	    {{1, 1, 1}, {0, 1, 0}, {1, 2, 3}, 0, {1, 0, 3}, 0}, /* one drained: out */
	    {{0, 0, 0}, {0, 0, 0}, {1, 2, 3}, 0, {1, 2, 3}, 1}, /* all down: fail open */
	    {{0, 0, 0}, {0, 0, 0}, {1, 2, 3}, 1, {0, 0, 0}, 0}, /* --fail-closed */
	    {{0, 0, 0}, {1, 0, 0}, {1, 2, 3}, 0, {0, 2, 3}, 1}, /* drained stays out */
	    {{1, 0, 0}, {1, 0, 0}, {1, 2, 3}, 0, {0, 2, 3}, 1}, /* only healthy one drained */
	    {{1, 0, 0}, {0, 0, 0}, {0, 2, 3}, 0, {0, 2, 3}, 1}, /* only healthy one weight 0 */
	    {{0, 0, 1}, {0, 0, 0}, {1, 2, 3}, 0, {0, 0, 3}, 0}, /* one back: open ends */
	    {{1, 1, 1}, {1, 1, 1}, {1, 2, 3}, 0, {0, 0, 0}, 0}, /* all drained: no open */
	};
	(void)state;
	assert_int_equal(
	    parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301",
			   "--backend", "127.0.0.1:19302", "--backend", "127.0.0.1:19303")),
	    0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		d.cfg.fail_closed = rows[i].fail_closed;
		for (int b = 0; b < 3; b++) {
			d.backends[b].healthy = rows[i].healthy[b];
			d.backends[b].drained = rows[i].drained[b];
			d.backends[b].weight = rows[i].weight[b];
		}
		director_weights_refresh(&d);
		for (int b = 0; b < 3; b++)
			if (atomic_load(&d.backends[b].effective_weight) != rows[i].want[b])
				fail_msg("row %zu backend %d: effective %u, want %u", i, b,
					 atomic_load(&d.backends[b].effective_weight),
					 rows[i].want[b]);
		if (d.failing_open != rows[i].want_open)
			fail_msg("row %zu: failing_open %d, want %d", i, d.failing_open,
				 rows[i].want_open);
	}
	/* a change is reported once; the same state again is no change */
	assert_int_equal(director_weights_refresh(&d), 0);
	d.backends[0].drained = 0;
	assert_int_equal(director_weights_refresh(&d), 1);
	assert_int_equal(parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend",
					"127.0.0.1:19301", "--fail-closed")),
			 0);
	assert_true(d.cfg.fail_closed);
}

static void test_wrr_sequence(void **state)
{
	unsigned seq[16];
	unsigned w1[] = {5, 1, 1};
	assert_int_equal(director_wrr_sequence(w1, 3, seq, 16), 7);
	/* nginx smooth wrr: a a b a c a a */
	unsigned want[] = {0, 0, 1, 0, 2, 0, 0};
	assert_memory_equal(seq, want, sizeof(want));
	unsigned w2[] = {1, 1, 1};
	assert_int_equal(director_wrr_sequence(w2, 3, seq, 16), 3);
	assert_int_equal(seq[0], 0);
	assert_int_equal(seq[1], 1);
	assert_int_equal(seq[2], 2);
	unsigned w3[] = {0, 0};
	assert_int_equal(director_wrr_sequence(w3, 2, seq, 16), 0);
	unsigned w4[] = {10, 7};
	assert_int_equal(director_wrr_sequence(w4, 2, seq, 16), 0); /* over cap */
	unsigned w5[] = {0, 2, 0, 1};
	assert_int_equal(director_wrr_sequence(w5, 4, seq, 16), 3);
	unsigned count[4] = {0};
	for (int i = 0; i < 3; i++)
		count[seq[i]]++;
	assert_int_equal(count[1], 2);
	assert_int_equal(count[3], 1);
}

static char *lb_text(struct director *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(director_nft_lb_cmds(d, f), 0);
	fclose(f);
	return buf;
}

static void test_nft_rules(void **state)
{
	static struct director d;
	assert_int_equal(
	    parse(&d, ARGS("--listen", "198.18.0.1:1883", "--backend", "198.18.1.1:1883,weight=3",
			   "--backend", "198.18.1.2:1883", "--name", "t1")),
	    0);
	char *t = lb_text(&d);
	assert_non_null(strstr(t, "flush chain ip mqlb-t1 lb\n"));
	assert_non_null(strstr(t, "numgen inc mod 2 map { 0 : 198.18.1.1 . 1883, 1 : 198.18.1.2 . "
				  "1883 }"));
	free(t);

	strcpy(d.cfg.scheduler, "wrr");
	t = lb_text(&d);
	/* 3:1 interleaved: a a b a -> 0-1 a, 2 b, 3 a */
	assert_non_null(strstr(t, "numgen inc mod 4 map { 0-1 : 198.18.1.1 . 1883, 2 : 198.18.1.2 "
				  ". 1883, 3 : 198.18.1.1 . 1883 }"));
	free(t);

	strcpy(d.cfg.scheduler, "sh");
	t = lb_text(&d);
	assert_non_null(strstr(t, "jhash ip saddr . tcp sport mod 4 seed"));
	assert_non_null(strstr(t, "0-2 : 198.18.1.1 . 1883, 3 : 198.18.1.2 . 1883"));
	free(t);

	strcpy(d.cfg.scheduler, "random");
	atomic_store(&d.backends[0].effective_weight, 0);
	t = lb_text(&d);
	assert_non_null(strstr(t, "numgen random mod 1 map { 0 : 198.18.1.2 . 1883 }"));
	free(t);

	atomic_store(&d.backends[1].effective_weight, 0);
	t = lb_text(&d);
	assert_null(strstr(t, "dnat"));
	assert_non_null(strstr(t, "add rule ip mqlb-t1 guard ip daddr 198.18.0.1 tcp dport 1883 ct "
				  "state new reject with tcp reset"));
	free(t);

	/* the start transaction: own table only, nat mode masquerades our flows only */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(director_nft_start_cmds(&d, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "create table ip mqlb-t1\n"));
	assert_non_null(strstr(buf, "hook prerouting"));
	assert_non_null(strstr(buf, "masquerade"));
	for (char *p = buf; (p = strstr(p, " mqlb-")); p++)
		assert_true(strncmp(p, " mqlb-t1 ", 9) == 0 || strncmp(p, " mqlb-t1\n", 9) == 0);
	free(buf);
}

/* a fake dataplane that records updates */
static int fake_updates;
static int fake_check(const struct director *d, char *e, size_t l)
{
	return 0;
}
static int fake_start(struct director *d, char *e, size_t l)
{
	return 0;
}
static int fake_update(struct director *d)
{
	fake_updates++;
	return 0;
}
static int fake_stats(struct director *d)
{
	d->backends[0].active_connections = 7;
	return 0;
}
static void fake_stop(struct director *d)
{
}
static const struct dataplane fake_dp = {"fake",      fake_check, fake_start,
					 fake_update, fake_stats, fake_stop};

static char *handle(struct director *d, const char *line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	director_control_handle(d, line, f);
	fclose(f);
	return buf;
}

static void test_control_requests(void **state)
{
	static struct director d;
	assert_int_equal(
	    parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301",
			   "--backend", "127.0.0.1:19302,weight=2")),
	    0);
	d.dp = &fake_dp;
	fake_updates = 0;
	char *r = handle(&d, "set 127.0.0.1:19302 weight 5");
	assert_string_equal(r, "ok\n");
	free(r);
	assert_int_equal(d.backends[1].weight, 5);
	assert_int_equal(atomic_load(&d.backends[1].effective_weight), 5);
	r = handle(&d, "set 127.0.0.1:19302 drain");
	assert_string_equal(r, "ok\n");
	free(r);
	assert_int_equal(atomic_load(&d.backends[1].effective_weight), 0);
	r = handle(&d, "set 127.0.0.1:19302 enable");
	free(r);
	assert_int_equal(atomic_load(&d.backends[1].effective_weight), 5);
	assert_int_equal(fake_updates, 3);
	static const char *const bad[] = {"set 127.0.0.1:19303 weight 1",
					  "set 127.0.0.1:19302 weight 65536",
					  "set 127.0.0.1:19302 weight",
					  "set nope drain",
					  "set 127.0.0.1:19302 drain now",
					  "frobnicate",
					  ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = handle(&d, bad[i]);
		if (strncmp(r, "error: ", 7) != 0)
			fail_msg("'%s' -> '%s'", bad[i], r);
		free(r);
	}
	assert_int_equal(fake_updates, 3);

	r = handle(&d, "status");
	static const char *const keys[] = {"\"dataplane\":\"fake\"",
					   "\"scheduler\":\"rr\"",
					   "\"listen\":\"127.0.0.1:19300\"",
					   "\"backends\":[",
					   "\"address\":\"127.0.0.1:19301\"",
					   "\"weight\":1",
					   "\"healthy\":true",
					   "\"active_connections\":7",
					   "\"total_connections\":",
					   "\"bytes_in\":",
					   "\"bytes_out\":"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(r, keys[i]))
			fail_msg("status JSON lacks %s: %s", keys[i], r);
	free(r);
	r = handle(&d, "table stats");
	assert_non_null(strstr(r, "127.0.0.1:19302"));
	assert_null(strstr(r, "CPS")); /* no rates from this dataplane: no rate table */
	free(r);
	r = handle(&d, "status");
	assert_null(strstr(r, "\"cps\""));
	free(r);

	/* IPVS rates (parsed by ipvs_nl, stored by its stats()) are shown */
	struct director_backend *b = &d.backends[1];
	b->has_rates = 1;
	b->cps = 3;
	b->inpps = 41;
	b->outpps = 29;
	b->inbps = 5123;
	b->outbps = 4097;
	r = handle(&d, "status");
	if (!strstr(r, "\"cps\":3,\"inpps\":41,\"outpps\":29,\"inbps\":5123,\"outbps\":4097}"))
		fail_msg("status JSON lacks the rates: %s", r);
	if (!strstr(r, "\"active_connections\":7")) /* DESIGN.md keys stay */
		fail_msg("status JSON lost a key: %s", r);
	free(r);
	r = handle(&d, "table stats");
	if (!strstr(r, "CPS") ||
	    !strstr(r,
		    "  -> 127.0.0.1:19302                  3         41         29           5123"
		    "           4097\n"))
		fail_msg("table stats lacks the rates: %s", r);
	free(r);
	r = handle(&d, "table");
	assert_null(strstr(r, "CPS")); /* the weights table stays as it was */
	free(r);
	b->has_rates = 0;
}

/* A director that accepts and never answers, or whose backlog is full, must not
 * stall a client (the monitor samples on a grid): the request ends with
 * -ETIMEDOUT at its deadline. */
static int fake_listener(const char *path, int backlog)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

static void test_control_timeout(void **state)
{
	(void)state;
	char dir[] = "/tmp/mqlb-qa-ctl.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	static const uint64_t budget[] = {50 * NS_PER_MS, 300 * NS_PER_MS};
	for (int full = 0; full < 2; full++) {
		int lfd = fake_listener(path, 0), hog = -1;
		if (full) { /* backlog 0 holds one pending connection: take it */
			struct sockaddr_un un = {.sun_family = AF_UNIX};
			snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
			hog = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			assert_int_equal(connect(hog, (struct sockaddr *)&un, sizeof(un)), 0);
		}
		for (size_t k = 0; k < sizeof(budget) / sizeof(budget[0]); k++) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			uint64_t t0 = time_mono_ns();
			int rc = director_control_request_ns(path, "status", f, budget[k]);
			uint64_t took = time_mono_ns() - t0;
			fclose(f);
			free(buf);
			if (rc != -ETIMEDOUT || took < budget[k] - 5 * NS_PER_MS ||
			    took > budget[k] + 500 * NS_PER_MS)
				fail_msg("%s, budget %llu ms: rc %d (%s) after %.1f ms",
					 full ? "full backlog" : "never answers",
					 (unsigned long long)(budget[k] / NS_PER_MS), rc,
					 strerror(-rc), (double)took / 1e6);
		}
		if (hog >= 0)
			close(hog);
		close(lfd);
	}
	unlink(path);
	rmdir(dir);
}

/* `director ha render`: every value is checked, and the text carries what the
 * HA pair depends on (track_script, notify, VRRP v3 for sub-second adverts,
 * net_namespace at the top level where keepalived 2.2.7 reads it). */
static void test_ha_values(void **state)
{
	(void)state;
	struct ha_config c;
	char err[256];
	unsigned cs = 0;
	ha_config_defaults(&c);
	static const char *const good_vip[] = {"198.18.0.10/24", "198.18.0.10/32", "fd00::10/64"};
	for (size_t i = 0; i < sizeof(good_vip) / sizeof(good_vip[0]); i++)
		if (ha_parse_vip(good_vip[i], &c, err, sizeof(err)) != 0)
			fail_msg("vip '%s' refused: %s", good_vip[i], err);
	static const char *const bad_vip[] = {
	    "198.18.0.10", "198.18.0.10/0", "198.18.0.10/33", "198.18.0.300/24",
	    "/24",	   "fd00::1/129",   "198.18.0.10/2x", ""};
	for (size_t i = 0; i < sizeof(bad_vip) / sizeof(bad_vip[0]); i++)
		if (ha_parse_vip(bad_vip[i], &c, err, sizeof(err)) != -EINVAL)
			fail_msg("vip '%s' accepted", bad_vip[i]);
	static const struct {
		const char *s;
		unsigned cs, version;
	} adv[] = {{"1", 100, 2},     {"0.1", 10, 3},	  {"0.25", 25, 3},
		   {"255", 25500, 2}, {"40.95", 4095, 3}, {"3", 300, 2}};
	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++) {
		assert_int_equal(ha_parse_advert(adv[i].s, &cs, err, sizeof(err)), 0);
		assert_int_equal(cs, adv[i].cs);
		assert_int_equal(ha_vrrp_version(cs), adv[i].version);
	}
	static const char *const bad_adv[] = {"0", "0.001", "41.5", "256", "-1", "1.", "x", ""};
	for (size_t i = 0; i < sizeof(bad_adv) / sizeof(bad_adv[0]); i++)
		if (ha_parse_advert(bad_adv[i], &cs, err, sizeof(err)) != -EINVAL)
			fail_msg("advert '%s' accepted", bad_adv[i]);
	assert_int_equal(ha_script_interval_s(10), 1); /* keepalived: whole seconds >= 1 */
	assert_int_equal(ha_script_interval_s(250), 3);
	assert_int_equal(ha_check_ifname("eth0", err, sizeof(err)), 0);
	assert_int_equal(ha_check_ifname("a/b", err, sizeof(err)), -EINVAL);
	assert_int_equal(ha_check_ifname("sixteen-chars-xx", err, sizeof(err)), -EINVAL);
	assert_int_equal(ha_check_netns("mqlb-ha-a", err, sizeof(err)), 0);
	assert_int_equal(ha_check_netns("a b", err, sizeof(err)), -EINVAL);
	assert_int_equal(ha_check_path("--control", "/run/mqlb/d.sock", err, sizeof(err)), 0);
	static const char *const bad_path[] = {"run/x", "/tmp/a b", "/tmp/a\"b", "/tmp/a;b", "/"};
	for (size_t i = 0; i < sizeof(bad_path) / sizeof(bad_path[0]); i++)
		if (ha_check_path("--control", bad_path[i], err, sizeof(err)) != -EINVAL)
			fail_msg("path '%s' accepted", bad_path[i]);
	assert_int_equal(ha_parse_vip("198.18.0.10/24", &c, err, sizeof(err)), 0);
	assert_int_equal(ha_add_peer(&c, "198.18.0.12", err, sizeof(err)), 0);
	assert_int_equal(ha_add_peer(&c, "fd00::12", err, sizeof(err)), -EINVAL);
}

static char *render_text(const struct ha_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ha_render(c, f);
	fclose(f);
	return buf;
}

static void test_ha_render(void **state)
{
	(void)state;
	struct ha_config c;
	char err[256];
	ha_config_defaults(&c);
	assert_int_equal(ha_parse_vip("198.18.0.10/24", &c, err, sizeof(err)), 0);
	snprintf(c.interface, sizeof(c.interface), "fr");
	c.router_id = 51;
	c.priority = 150;
	c.control = "/run/mqlb/director-default.sock";
	c.mqlb = "/usr/bin/mqlb";
	char *t = render_text(&c);
	static const char *const want[] = {
	    "\tvrrp_version 2\n",
	    "\tscript \"/usr/bin/mqlb director check --control /run/mqlb/director-default.sock "
	    "--timeout 750ms\"\n",
	    "\tinterval 1\n\ttimeout 1\n\tfall 2\n\trise 2\n",
	    "\tstate BACKUP\n\tinterface fr\n\tvirtual_router_id 51\n\tpriority 150\n",
	    "\tadvert_int 1\n",
	    "\t\t198.18.0.10/24 dev fr\n",
	    "\ttrack_script {\n\t\tmqlb_director\n\t}\n",
	    "\tscript_user root\n\tenable_script_security\n"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(t, want[i]))
			fail_msg("render lacks '%s':\n%s", want[i], t);
	static const char *const unwanted[] = {"net_namespace", "nopreempt", "unicast_peer",
					       "notify"};
	for (size_t i = 0; i < sizeof(unwanted) / sizeof(unwanted[0]); i++)
		if (strstr(t, unwanted[i]))
			fail_msg("render has '%s' nobody asked for:\n%s", unwanted[i], t);
	free(t);
	c.advert_cs = 20;
	c.nopreempt = 1;
	c.fall = 1;
	c.netns = "mqlb-ha-a";
	c.state_file = "/run/mqlb/vrrp-state";
	assert_int_equal(ha_add_peer(&c, "198.18.0.12", err, sizeof(err)), 0);
	t = render_text(&c);
	static const char *const want2[] = {
	    "\tvrrp_version 3\n",
	    "\tadvert_int 0.2\n",
	    "\tnopreempt\n",
	    "\tfall 1\n",
	    "\tunicast_peer {\n\t\t198.18.0.12\n\t}\n",
	    "\tvrrp_notify_fifo /run/mqlb/vrrp-state.fifo\n",
	    "\tvrrp_notify_fifo_script \"/usr/bin/mqlb director ha notify --state-file "
	    "/run/mqlb/vrrp-state --fifo\"\n"};
	for (size_t i = 0; i < sizeof(want2) / sizeof(want2[0]); i++)
		if (!strstr(t, want2[i]))
			fail_msg("render lacks '%s':\n%s", want2[i], t);
	const char *ns = strstr(t, "net_namespace mqlb-ha-a\n");
	const char *gd = strstr(t, "global_defs {");
	if (!ns || !gd || ns > gd) /* inside global_defs keepalived 2.2.7 ignores it */
		fail_msg("net_namespace must come before global_defs:\n%s", t);
	free(t);
}

/* The notify hook's file: atomic replace, only the four states read back, and
 * the status JSON keys the monitor reads (names fixed). */
static void test_ha_state(void **state)
{
	(void)state;
	char dir[] = "/tmp/mqlb-ha-unit.XXXXXX", path[64], got[16];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(ha_state_read(path, got, sizeof(got)), -ENOENT);
	assert_string_equal(got, "");
	assert_int_equal(ha_state_write(path, "MASTER"), 0);
	assert_int_equal(ha_state_read(path, got, sizeof(got)), 0);
	assert_string_equal(got, "MASTER");
	assert_int_equal(ha_state_write(path, "FAULT"), 0);
	assert_int_equal(ha_state_read(path, got, sizeof(got)), 0);
	assert_string_equal(got, "FAULT");
	assert_int_equal(ha_state_write(path, "garbage"), 0);
	assert_int_equal(ha_state_read(path, got, sizeof(got)), -EINVAL);
	assert_string_equal(got, "");
	assert_true(ha_state_valid("STOP") && ha_state_valid("BACKUP"));

	/* keepalived's notify FIFO: instance lines in order, the rest skipped */
	char fifo[80];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char lines[] = "INSTANCE \"mqlb_vip\" BACKUP 100\n"
					    "INSTANCE \"mqlb_vip\" MASTER 100\n"
					    "GROUP \"g\" FAULT\n"
					    "INSTANCE \"mqlb_vip\" MASTER_RX_LOWER_PRI 100\n"
					    "garbage\n";
		int fd = open(fifo, O_WRONLY);
		_exit(fd >= 0 && write(fd, lines, sizeof(lines) - 1) == sizeof(lines) - 1 ? 0 : 1);
	}
	assert_int_equal(ha_state_follow_fifo(fifo, path), 0); /* returns at EOF */
	int status = 0;
	waitpid(pid, &status, 0);
	assert_int_equal(status, 0);
	assert_int_equal(ha_state_read(path, got, sizeof(got)), 0);
	assert_string_equal(got, "MASTER");
	unlink(fifo);
	assert_false(ha_state_valid("master") || ha_state_valid(""));

	static struct director d;
	assert_int_equal(parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend",
					"127.0.0.1:19301", "--vrrp-state", path)),
			 0);
	d.dp = &fake_dp;
	assert_int_equal(ha_state_write(path, "BACKUP"), 0);
	char *r = handle(&d, "status");
	if (!strstr(r, "\"vrrp_state\":\"BACKUP\""))
		fail_msg("status lacks vrrp_state: %s", r);
	uint64_t n;
	if ((ha_conntrack_count(&n) == 0) != (strstr(r, "\"conntrack_count\":") != NULL))
		fail_msg("conntrack_count present iff readable: %s", r);
	free(r);
	r = handle(&d, "table");
	if (!strstr(r, "VRRP state BACKUP"))
		fail_msg("table lacks the VRRP state: %s", r);
	free(r);
	r = handle(&d, "ping");
	assert_string_equal(r, "pong\n");
	free(r);
	unlink(path);
	assert_int_equal(
	    parse(&d, ARGS("--listen", "127.0.0.1:19300", "--backend", "127.0.0.1:19301")), 0);
	d.dp = &fake_dp;
	r = handle(&d, "status");
	if (!strstr(r, "\"vrrp_state\":\"\""))
		fail_msg("without --vrrp-state vrrp_state is \"\": %s", r);
	free(r);
	rmdir(dir);
}

/* The TLS flags of the proxy (issue 13): taken into director_edge, zeroed by
 * every parse, refused (exit 2) when alone, unreadable or on a kernel
 * dataplane. /dev/null stands for a readable file: parsing does not load it. */
static void test_edge_tls_flags(void **state)
{
	static struct director d;
	static const struct {
		const char *args[8];
		int rc;
	} rows[] = {
	    {{"--tls-cert", "/dev/null", "--tls-key", "/dev/null", NULL}, 0},
	    {{"--tls-cert", "/dev/null", NULL}, CLI_USAGE},
	    {{"--tls-cert", "/dev/null", "--tls-key", "/nonexistent/k.pem", NULL}, CLI_USAGE},
	    {{"--tls-ca", "/dev/null", NULL}, CLI_USAGE},
	    {{"--tls-cert", "/dev/null", "--tls-key", "/dev/null", "--hash-cn", NULL}, CLI_USAGE},
	    {{"--backend-tls", NULL}, CLI_USAGE}, /* health checks are plain MQTT */
	    {{"--backend-tls", "--health-interval", "0", NULL}, 0},
	    {{"--backend-ca", "/dev/null", "--health-interval", "0", NULL}, CLI_USAGE},
	    {{"--backend-tls", "--health-interval", "0", "--backend-cert", "/dev/null", NULL},
	     CLI_USAGE},
	    {{"--hash-cn", NULL}, CLI_USAGE},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *args[16] = {"--dataplane",	   "proxy",	"--listen",
					"127.0.0.1:19810", "--backend", "127.0.0.1:19811"};
		size_t n = 6;
		for (size_t k = 0; rows[i].args[k]; k++)
			args[n++] = rows[i].args[k];
		args[n] = NULL;
		if (parse(&d, args) != rows[i].rc)
			fail_msg("row %zu: want %d", i, rows[i].rc);
	}
	assert_int_equal(
	    parse(&d, ARGS("--dataplane", "proxy", "--listen", "127.0.0.1:19810", "--backend",
			   "127.0.0.1:19811", "--scheduler", "clientid", "--tls-cert", "/dev/null",
			   "--tls-key", "/dev/null", "--tls-ca", "/dev/null", "--hash-cn")),
	    0);
	assert_string_equal(director_edge.tls_ca, "/dev/null");
	assert_int_equal(director_edge.hash_cn, 1);
	/* a kernel dataplane passes TLS through: the flags make no sense there */
	assert_int_equal(
	    parse(&d, ARGS("--listen", "127.0.0.1:19810", "--backend", "127.0.0.1:19811",
			   "--tls-cert", "/dev/null", "--tls-key", "/dev/null")),
	    CLI_USAGE);
	assert_int_equal(parse(&d, ARGS("--dataplane", "proxy", "--listen", "127.0.0.1:19810",
					"--backend", "127.0.0.1:19811")),
			 0);
	assert_null(director_edge.tls_cert); /* nothing left over from the last parse */
	assert_int_equal(director_edge.hash_cn, 0);
}

/* ---- peers (issue 14, item 1) and the control framing (item 5) ---- */

static const unsigned char ukey[] = "unit-test-key-0123456789";

static size_t dgram(char *buf, const struct director *d, const char *name, uint64_t boot,
		    uint64_t seq, uint64_t c0, uint64_t c1, const unsigned char *key)
{
	uint64_t counts[DIRECTOR_MAX_BACKENDS] = {c0, c1};
	size_t n = peers_encode(buf, PEERS_DGRAM_MAX, name, boot, seq, d, counts, key,
				strlen((const char *)key));
	assert_true(n > 0);
	return n;
}

static void peers_director(struct director *d)
{
	char err[128];
	memset(d, 0, sizeof(*d));
	assert_int_equal(addr_parse("127.0.0.1:19000", 0, &d->cfg.listen), 0);
	assert_int_equal(director_backend_parse("10.0.0.1:1883", &d->backends[0], err, sizeof(err)),
			 0);
	assert_int_equal(director_backend_parse("10.0.0.2:1883", &d->backends[1], err, sizeof(err)),
			 0);
	d->n_backends = 2;
	d->cfg.peers = "127.0.0.1:19001,127.0.0.1:19002,127.0.0.1:19000";
}

static void test_peers_verdicts(void **state)
{
	static struct director d;
	struct sockaddr_storage p1, p2, self, stranger;
	char buf[PEERS_DGRAM_MAX], err[128];
	size_t n;
	(void)state;
	peers_director(&d);
	addr_parse("127.0.0.1:19001", 0, &p1);
	addr_parse("127.0.0.1:19002", 0, &p2);
	addr_parse("127.0.0.1:19000", 0, &self);
	addr_parse("127.0.0.1:40000", 0, &stranger);
	struct peers *p = peers_new(&d, ukey, sizeof(ukey) - 1, err, sizeof(err));
	assert_non_null(p);
	n = dgram(buf, &d, "b", 100, 1, 3, 4, ukey);
	assert_int_equal(peers_input(p, &stranger, buf, n, 1), PEERS_STRANGER);
	assert_int_equal(peers_active(p, 0), 0);
	assert_int_equal(peers_input(p, &self, buf, n, 1), PEERS_SELF);
	assert_int_equal(peers_input(p, &p1, buf, n, 1), PEERS_TAKEN);
	assert_int_equal(peers_active(p, 0), 3);
	assert_int_equal(peers_active(p, 1), 4);
	assert_int_equal(peers_input(p, &p1, buf, n, 2), PEERS_REPLAY);
	/* a forgery (wrong key) from the listed address: seq = UINT64_MAX, a takeover */
	n = dgram(buf, &d, "b", 101, UINT64_MAX, 100, 100,
		  (const unsigned char *)"guessed-key-guessed");
	assert_int_equal(peers_input(p, &p1, buf, n, 3), PEERS_BAD_MAC);
	n = dgram(buf, &d, "b", 100, 2, 6, 7, ukey); /* not silenced */
	assert_int_equal(peers_input(p, &p1, buf, n, 4), PEERS_TAKEN);
	assert_int_equal(peers_active(p, 0), 6);
	/* an older boot is a replay from before a restart; a newer one is a restart */
	n = dgram(buf, &d, "b", 99, 50, 1, 1, ukey);
	assert_int_equal(peers_input(p, &p1, buf, n, 5), PEERS_REPLAY);
	n = dgram(buf, &d, "b", 200, 1, 8, 9, ukey);
	assert_int_equal(peers_input(p, &p1, buf, n, 6), PEERS_TAKEN);
	/* a count over the cap is refused; two peers at the cap sum without wrapping */
	n = dgram(buf, &d, "c", 1, 1, PEERS_COUNT_MAX + 1, 0, ukey);
	assert_int_equal(peers_input(p, &p2, buf, n, 7), PEERS_BAD);
	n = dgram(buf, &d, "b", 200, 2, PEERS_COUNT_MAX, 0, ukey);
	assert_int_equal(peers_input(p, &p1, buf, n, 8), PEERS_TAKEN);
	n = dgram(buf, &d, "c", 1, 2, PEERS_COUNT_MAX, 0, ukey);
	assert_int_equal(peers_input(p, &p2, buf, n, 9), PEERS_TAKEN);
	assert_int_equal(peers_active(p, 0), 2 * PEERS_COUNT_MAX);
	/* the empty key (loopback, no --peers-key) is not a wildcard for a keyed table */
	n = dgram(buf, &d, "c", 1, 3, 0, 0, (const unsigned char *)"");
	assert_int_equal(peers_input(p, &p2, buf, n, 10), PEERS_BAD_MAC);
	peers_free(p);
}

static void test_peers_decode_strict(void **state)
{
	static struct director d;
	struct peers_dgram dg;
	char buf[PEERS_DGRAM_MAX];
	(void)state;
	peers_director(&d);
	size_t n = dgram(buf, &d, "b", 0x1234, 5, 1, 2, ukey);
	assert_int_equal(peers_decode(buf, n, &d, &dg), 0);
	assert_string_equal(dg.name, "b");
	assert_int_equal(dg.boot, 0x1234);
	assert_int_equal(dg.seq, 5);
	assert_int_equal(dg.found, 3);
	assert_true(peers_mac_ok(buf, &dg, ukey, sizeof(ukey) - 1));
	assert_false(peers_mac_ok(buf, &dg, (const unsigned char *)"x", 1));
	static const char *const bad[] = {
	    "MQLBPEER 1 b 0000000000000001 1\n10.0.0.1:1883 1\n", /* version 1 */
	    "MQLBPEER 2 b 0000000000000001 1\n10.0.0.1:1883 1\n", /* no MAC */
	    "MQLBPEER 2 b 0000000000000001 -1\nMAC "
	    "0000000000000000000000000000000000000000000000000000000000000000\n",
	    "MQLBPEER 2 b 0000000000000001 1\n10.0.0.1:1883 +1\nMAC "
	    "0000000000000000000000000000000000000000000000000000000000000000\n",
	    "MQLBPEER 2 b 1 1\nMAC "
	    "0000000000000000000000000000000000000000000000000000000000000000\n",
	    "MQLBPEER 2 b 0000000000000001 1\nMAC "
	    "0000000000000000000000000000000000000000000000000000000000000000\nx 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(peers_decode(bad[i], strlen(bad[i]), &d, &dg), -EINVAL);
}

static void test_peers_config(void **state)
{
	struct sockaddr_storage lo, ns;
	char err[320], path[] = "/tmp/mqlb-unit-peers-key.XXXXXX";
	(void)state;
	addr_parse("127.0.0.1:1883", 0, &lo);
	addr_parse("198.18.0.1:1883", 0, &ns);
	assert_int_equal(peers_config_check("127.0.0.2:1883", NULL, &lo, err, sizeof(err)), 0);
	assert_int_equal(peers_config_check("198.18.0.2:1883", NULL, &lo, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "198.18.0.2:1883"));
	assert_int_equal(peers_config_check("127.0.0.2:1883", NULL, &ns, err, sizeof(err)),
			 -EINVAL);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef\n", 17), 17);
	close(fd);
	assert_int_equal(peers_config_check("198.18.0.2:1883", path, &ns, err, sizeof(err)), 0);
	chmod(path, 0640);
	assert_int_equal(peers_config_check("198.18.0.2:1883", path, &ns, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "chmod 600"));
	unlink(path);
}

static void test_control_frame(void **state)
{
	char big[DIRECTOR_CTL_LINE_MAX + 1];
	(void)state;
	assert_int_equal(director_control_frame("status\n", 7), 6);
	assert_int_equal(director_control_frame("stat", 4), -2);
	assert_int_equal(director_control_frame("", 0), -2);
	assert_int_equal(director_control_frame("st\0tus\n", 7), -1);
	assert_int_equal(director_control_frame("a\nb\n", 4), 1);
	memset(big, 's', sizeof(big));
	assert_int_equal(director_control_frame(big, DIRECTOR_CTL_LINE_MAX - 1), -2);
	assert_int_equal(director_control_frame(big, DIRECTOR_CTL_LINE_MAX), -1);
	big[DIRECTOR_CTL_LINE_MAX - 1] = '\n';
	assert_int_equal(director_control_frame(big, DIRECTOR_CTL_LINE_MAX),
			 DIRECTOR_CTL_LINE_MAX - 1);
}

static void test_nl_batch_ok(void **state)
{
	uint32_t b[12] = {0}; /* two 24-byte messages */
	(void)state;
	b[0] = 24;
	b[6] = 24;
	assert_int_equal(ipvs_nl_batch_ok(b, 48), 1);
	assert_int_equal(ipvs_nl_batch_ok(b, 24), 1);
	assert_int_equal(ipvs_nl_batch_ok(b, 0), 1);
	assert_int_equal(ipvs_nl_batch_ok(b, 30), 0); /* a partial header after one */
	b[6] = 0xffffff24u; /* libmnl's signed check took this for a short length */
	assert_int_equal(ipvs_nl_batch_ok(b, 48), 0);
	b[6] = 25; /* longer than what is left */
	assert_int_equal(ipvs_nl_batch_ok(b, 48), 0);
	b[6] = 8; /* shorter than a header */
	assert_int_equal(ipvs_nl_batch_ok(b, 48), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_parse_table), cmocka_unit_test(test_run_parse_defaults),
	    cmocka_unit_test(test_wrr_sequence),    cmocka_unit_test(test_nft_rules),
	    cmocka_unit_test(test_weights_refresh), cmocka_unit_test(test_control_requests),
	    cmocka_unit_test(test_control_timeout), cmocka_unit_test(test_ha_values),
	    cmocka_unit_test(test_ha_render),	    cmocka_unit_test(test_ha_state),
	    cmocka_unit_test(test_peers_verdicts),  cmocka_unit_test(test_peers_decode_strict),
	    cmocka_unit_test(test_peers_config),    cmocka_unit_test(test_control_frame),
	    cmocka_unit_test(test_nl_batch_ok),	    cmocka_unit_test(test_edge_tls_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
