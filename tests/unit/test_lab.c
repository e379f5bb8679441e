/* Unit tests for src/lab: Jain's index, loss ratio, summary.csv round trip,
 * the CSV and JSON readers, the experiment matrix, waiting for and ending
 * children (real processes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "lab/run.h"
#include "lab/series.h"
#include "lab/spawn.h"

static void test_jain(void **state)
{
	static const struct {
		uint64_t x[4];
		unsigned n;
		double want;
	} rows[] = {
	    {{160, 160, 160}, 3, 1.0},	   /* perfectly even */
	    {{480, 0, 0}, 3, 1.0 / 3},	   /* all on one */
	    {{180, 150, 150}, 3, 0.99225}, /* 480^2 / (3 * (180^2 + 2 * 150^2)) = 230400/232200 */
	    {{0, 0, 0}, 3, 0},		   /* nothing to judge */
	    {{5}, 1, 1.0},		   /* one broker */
	    {{1, 0}, 2, 0.5},		   /* 1/n */
	    {{0}, 0, 0},		   /* no brokers */
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_true(fabs(lab_jain(rows[i].x, rows[i].n) - rows[i].want) < 0.0005);
}

static void test_loss_ratio(void **state)
{
	assert_true(lab_loss_ratio(0, 0) == 0);
	assert_true(lab_loss_ratio(5, 0) == 0);
	assert_true(lab_loss_ratio(1, 4) == 0.25);
	assert_true(lab_loss_ratio(4, 4) == 1);
}

static void test_summary_roundtrip(void **state)
{
	char path[] = "/tmp/mqlb-test-lab-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct lab_row r = {.topology = "centralized",
			    .dataplane = "nft",
			    .scheduler = "rr",
			    .qos = 2,
			    .publishers = 240,
			    .subscribers = 240,
			    .burst = 6000,
			    .published = 5998,
			    .expected = 1439520,
			    .unique = 1094035,
			    .lost = 345485,
			    .duplicates = 1,
			    .p50_us = 2600,
			    .p99_us = 140000,
			    .n_brokers = 3,
			    .conns = {160, 161, 159}};
	r.loss_ratio = lab_loss_ratio(r.lost, r.expected);
	r.jain_index = lab_jain(r.conns, 3);
	snprintf(r.setup, sizeof(r.setup), "thesis+opt:a=b,c");
	fprintf(f, "%s\n", LAB_SUMMARY_HEADER_REPEAT);
	lab_row_write(f, &r); /* repeat 0 (unset) is written as 1 */
	r.repeat = 2;
	lab_row_write(f, &r);
	fclose(f);
	struct lab_row *rows = NULL;
	assert_int_equal(lab_summary_read(path, &rows), 2);
	assert_int_equal(rows[0].repeat, 1);
	assert_int_equal(rows[1].repeat, 2);
	assert_string_equal(rows[0].setup, "thesis+opt:a=b;c"); /* no ',' in the CSV */
	assert_string_equal(rows[1].topology, "centralized");
	assert_int_equal(rows[1].qos, 2);
	assert_int_equal(rows[1].expected, 1439520);
	assert_int_equal(rows[1].lost, 345485);
	assert_true(fabs(rows[1].loss_ratio - 0.24) < 1e-6);
	assert_int_equal(rows[1].n_brokers, 3);
	assert_int_equal(rows[1].conns[1], 161);
	char dir[64];
	lab_run_dirname(&rows[0], dir, sizeof(dir));
	assert_string_equal(dir, "centralized-c480-q2"); /* repeat 1: the old name */
	lab_run_dirname(&rows[1], dir, sizeof(dir));
	assert_string_equal(dir, "centralized-c480-q2-r2");
	free(rows);

	/* the setup column but no repeat (before --repeat): repeat 1 */
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,1,1,1,1,1,1,1,0,0,0,1,1,1,1/1,thesis\n",
		LAB_SUMMARY_HEADER_SETUP);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), 1);
	assert_int_equal(rows[0].repeat, 1);
	free(rows);
	/* repeat 0 or not a number is refused */
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,1,1,1,1,1,1,1,0,0,0,1,1,1,1/1,thesis,0\n",
		LAB_SUMMARY_HEADER_REPEAT);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), -EINVAL);

	/* an older folder: DESIGN.md's 17 columns, no setup */
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,1,1,1,1,1,1,1,0,0,0,1,1,1,1/1\n", LAB_SUMMARY_HEADER);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), 1);
	assert_string_equal(rows[0].setup, "");
	assert_int_equal(rows[0].qos, 1);
	assert_int_equal(rows[0].repeat, 1);
	free(rows);
	/* a row with the setup under the old header (or without under the new) */
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,1,1,1,1,1,1,1,0,0,0,1,1,1,1/1,x\n", LAB_SUMMARY_HEADER);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), -EINVAL);
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,1,1,1,1,1,1,1,0,0,0,1,1,1,1/1\n",
		LAB_SUMMARY_HEADER_SETUP);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), -EINVAL);
	/* a renamed column is refused */
	f = fopen(path, "w");
	fprintf(f, "topology,qos\ncentralized,1\n");
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), -EINVAL);
	assert_null(rows);
	/* a bad value is refused */
	f = fopen(path, "w");
	fprintf(f, "%s\ncentralized,nft,rr,3,1,1,1,1,1,1,0,0,0,1,1,1,1/1\n", LAB_SUMMARY_HEADER);
	fclose(f);
	assert_int_equal(lab_summary_read(path, &rows), -EINVAL);
	unlink(path);
	assert_true(lab_summary_read(path, &rows) == -ENOENT);
}

static void test_conns_parse(void **state)
{
	struct lab_row r;
	assert_int_equal(lab_conns_parse("1/2/3", &r), 0);
	assert_int_equal(r.n_brokers, 3);
	assert_int_equal(r.conns[2], 3);
	assert_int_equal(lab_conns_parse("", &r), 0);
	assert_int_equal(r.n_brokers, 0);
	assert_int_equal(lab_conns_parse("1/x", &r), -EINVAL);
	assert_int_equal(lab_conns_parse("1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1", &r), -EINVAL);
}

static void test_csv(void **state)
{
	char path[] = "/tmp/mqlb-test-lab-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "t_s,broker,cpu_percent\r\n0.0,1,5\n\n0.4,1,7\n0.4,2\n";
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	struct lab_csv c;
	assert_int_equal(lab_csv_load(path, &c), 0);
	assert_int_equal(c.n_rows, 4); /* blank line dropped */
	assert_int_equal(lab_csv_col(&c, "cpu_percent"), 2);
	assert_int_equal(lab_csv_col(&c, "cpu"), -1);
	const char *const w[] = {"cpu", NULL};
	assert_int_equal(lab_csv_col_like(&c, w), 2);
	assert_string_equal(lab_csv_get(&c, 1, 2), "5");
	assert_string_equal(lab_csv_get(&c, 3, 2), ""); /* short row */
	lab_csv_free(&c);

	/* long format: one series per broker, named broker<N> */
	struct lab_series_set set;
	assert_int_equal(lab_series_load(path, w, NULL, &set), 1);
	assert_string_equal(set.s[0].name, "broker1");
	assert_int_equal(set.s[0].n, 2);
	assert_true(lab_series_max(&set.s[0]) == 7);
	assert_true(lab_series_delta(&set.s[0]) == 2);
	lab_series_free(&set);
	const char *const none[] = {"nothing", NULL};
	assert_int_equal(lab_series_load(path, none, NULL, &set), -ENOENT);
	unlink(path);
	assert_int_equal(lab_csv_load(path, &c), -ENOENT);
}

static void test_json(void **state)
{
	const char *doc = "{\"mode\":\"merge\",\"published\":6000,\"latency_us\":{\"p50\":12,"
			  "\"p99\":1.5e3},\"per_target\":{\"198.18.0.21:1883\":240},"
			  "\"backends\":[{\"address\":\"a\\\"b\",\"n\":[1,2]},{\"x\":true}]}";
	char buf[64];
	double v;
	assert_int_equal(lab_json_num(doc, "published", &v), 0);
	assert_true(v == 6000);
	assert_int_equal(lab_json_num(doc, "latency_us/p99", &v), 0);
	assert_true(v == 1500);
	assert_int_equal(lab_json_num(doc, "per_target/198.18.0.21:1883", &v), 0);
	assert_true(v == 240);
	assert_int_equal(lab_json_get(doc, "backends/0/address", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a\"b");
	assert_int_equal(lab_json_get(doc, "backends/0/n/1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(lab_json_get(doc, "backends/1/x", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "true");
	assert_int_equal(lab_json_num(doc, "mode", &v), -EINVAL);
	assert_int_equal(lab_json_num(doc, "nope", &v), -ENOENT);
	/* malformed text: refused, never read past the end */
	static const char *const bad[] = {"",
					  "{",
					  "{\"a\":}",
					  "{\"a\" 1}",
					  "[1,]",
					  "{\"a\":1}x",
					  "\"abc",
					  "{\"a\":\"\\u12\"}",
					  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
					  "[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lab_json_get(bad[i], "a", buf, sizeof(buf)), -EINVAL);
}

static void test_matrix(void **state)
{
	struct lab_opts o = {.n_topologies = 2,
			     .topologies = {LAB_TOPO_DISTRIBUTED, LAB_TOPO_CENTRALIZED},
			     .n_qos = 3,
			     .qos = {0, 1, 2},
			     .n_clients = 2,
			     .clients = {60, 480}};
	struct lab_run runs[LAB_MAX_RUNS];
	assert_int_equal(lab_matrix(&o, runs), 12);
	assert_int_equal(runs[0].clients, 60);
	assert_int_equal(runs[0].topology, LAB_TOPO_DISTRIBUTED);
	assert_int_equal(runs[3].topology, LAB_TOPO_CENTRALIZED);
	assert_int_equal(runs[5].qos, 2);
	assert_int_equal(runs[6].clients, 480);
	assert_int_equal(runs[6].repeat, 1);
	/* --repeat 2 interleaved: every point once, then every point again (A B A B) */
	o.repeat = 2;
	o.n_clients = 1;
	assert_int_equal(lab_matrix(&o, runs), 12);
	assert_int_equal(lab_matrix_size(&o), 12);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(runs[i].repeat, 1);
		assert_int_equal(runs[i + 6].repeat, 2);
		assert_int_equal(runs[i + 6].topology, runs[i].topology);
		assert_int_equal(runs[i + 6].qos, runs[i].qos);
	}
	/* the lc pair: distributed-lc and distributed-shared at its QoS, in each repeat */
	o.lc_pair = 1;
	o.lc_pair_qos = 1;
	assert_int_equal(lab_matrix(&o, runs), 16);
	assert_int_equal(runs[6].topology, LAB_TOPO_LC);
	assert_int_equal(runs[6].qos, 1);
	assert_int_equal(runs[7].topology, LAB_TOPO_SHARED);
	assert_int_equal(runs[8].repeat, 2);
	assert_int_equal(runs[15].topology, LAB_TOPO_SHARED);
	assert_int_equal(runs[15].repeat, 2);
	/* the cap: the size is still counted */
	o.repeat = 20, o.n_clients = 2;
	assert_int_equal(lab_matrix(&o, runs), LAB_MAX_RUNS);
	assert_int_equal(lab_matrix_size(&o), 320);
	assert_int_equal(lab_topology_parse("distributed-lc"), LAB_TOPO_LC);
	assert_string_equal(lab_topology_dataplane(LAB_TOPO_LC, "nft"), "proxy");
	assert_string_equal(lab_topology_scheduler(LAB_TOPO_LC, "rr"), "lc");
	assert_int_equal(lab_topology_parse("distributed-shared"), LAB_TOPO_SHARED);
	assert_int_equal(lab_topology_parse("central"), -1);
	assert_string_equal(lab_topology_name(LAB_TOPO_CLIENTID), "clientid");
}

/* lab_wait and lab_kill on real children: exit codes, the timeout leaving
 * the child running, SIGTERM, and SIGKILL after the grace period for a child
 * that ignores SIGTERM (ignored signals stay ignored across exec). */
static void test_spawn_wait_kill(void **state)
{
	(void)state;
	char *const exit7[] = {"sh", "-c", "exit 7", NULL};
	pid_t p = lab_spawn(NULL, exit7, NULL, NULL);
	assert_true(p > 0);
	assert_int_equal(lab_wait(p, 5000000000ull), 7);
	assert_int_equal(lab_wait(p, 0), -ECHILD); /* reaped and forgotten */

	char *const sleeper[] = {"sleep", "5", NULL};
	p = lab_spawn(NULL, sleeper, NULL, NULL);
	assert_true(p > 0);
	assert_int_equal(lab_wait(p, 100000000ull), -ETIMEDOUT);
	assert_int_equal(kill(p, 0), 0); /* still running */
	assert_int_equal(lab_kill(p, SIGTERM, 3000000000ull), 128 + SIGTERM);

	char *const stubborn[] = {"sh", "-c", "trap '' TERM; exec sleep 5", NULL};
	p = lab_spawn(NULL, stubborn, NULL, NULL);
	assert_true(p > 0);
	usleep(200000); /* let the trap be set before the signal */
	assert_int_equal(lab_kill(p, SIGTERM, 300000000ull), 128 + SIGKILL);
	assert_int_equal(kill(p, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jain),
	    cmocka_unit_test(test_loss_ratio),
	    cmocka_unit_test(test_summary_roundtrip),
	    cmocka_unit_test(test_conns_parse),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_spawn_wait_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
