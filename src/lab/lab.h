/* lab.h — what the lab's files share: the summary row (DESIGN.md "mqlb lab run
 * --out DIR"), small readers for the CSV and JSON the other subcommands write,
 * the report, the experiment matrix, child processes and the hosts.
 *
 * Layout of an --out DIR (the report reads nothing else):
 *   summary.csv                 one row per run, columns LAB_SUMMARY_HEADER
 *   report.md, plots/NAME.{png,svg}  written by lab_report()
 *   lab.json                    how the lab ran (hosts, dataplane, why this scheduler)
 *   <topology>-c<clients>-q<qos>[-r<k>]/   one folder per run (lab_run_dirname;
 *                               -r<k> for repeat k >= 2 of the same point):
 *       sub-<host>.json pub-<host>.json merged.json   mqlb bench --json
 *       sub-<host>.csv                                mqlb bench --csv (per second)
 *       monitor/{brokers,connections,sys,director}.csv  mqlb monitor
 *       director-<name>.json                          director status at the end
 *       cluster/                                      mqlb cluster run dir (logs)
 */
#ifndef MQLB_LAB_LAB_H
#define MQLB_LAB_LAB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define LAB_MAX_BROKERS 16
#define LAB_SUMMARY_HEADER                                                                         \
	"topology,dataplane,scheduler,qos,publishers,subscribers,burst,published,expected,"        \
	"unique,lost,loss_ratio,duplicates,p50_us,p99_us,jain_index,conns_per_broker"
/* What summary.csv is written with: DESIGN.md's columns, then the cluster setup
 * (lab_cluster_label). The reader takes both headers (older folders have no
 * setup; their rows read setup ""). */
#define LAB_SUMMARY_HEADER_SETUP LAB_SUMMARY_HEADER ",setup"
/* Since --repeat (issue 16): which repeat of its point a row is (1..N). Older
 * files have no such column; their rows read repeat 1. */
#define LAB_SUMMARY_HEADER_REPEAT LAB_SUMMARY_HEADER_SETUP ",repeat"

/* One row of summary.csv. conns_per_broker is written "a/b/c" (no commas). */
struct lab_row {
	char setup[96];	 /* cluster setup label; "" when the folder predates it */
	unsigned repeat; /* 1..N: the how-manieth run of this point (1 in older files) */
	char topology[32];
	char dataplane[16];
	char scheduler[16];
	int qos;
	uint64_t publishers, subscribers, burst;
	uint64_t published, expected, unique, lost, duplicates;
	double loss_ratio;
	uint64_t p50_us, p99_us;
	double jain_index;
	unsigned n_brokers;
	uint64_t conns[LAB_MAX_BROKERS];
};

/* summary.c */
/* Jain's fairness index (sum x)^2 / (n * sum x^2) of x[0..n-1]; 1 = equal,
 * 1/n = all on one. n = 0 or all zero -> 0 (nothing to judge). */
double lab_jain(const uint64_t *x, unsigned n);
/* lost / expected; 0 when expected is 0. */
double lab_loss_ratio(uint64_t lost, uint64_t expected);
/* "<topology>-c<publishers+subscribers>-q<qos>" into buf, "-r<repeat>" added
 * for repeat >= 2 (repeat 1 keeps the name older folders have). */
void lab_run_dirname(const struct lab_row *r, char *buf, size_t len);
/* One CSV line under LAB_SUMMARY_HEADER_REPEAT (a ',' in the setup becomes ';'). */
void lab_row_write(FILE *f, const struct lab_row *r);
/* Reads path (summary.csv) into a malloc'd array (*rows, owned by the caller).
 * Returns the row count, or -errno / -EINVAL (header not LAB_SUMMARY_HEADER,
 * LAB_SUMMARY_HEADER_SETUP or LAB_SUMMARY_HEADER_REPEAT, or a row that does
 * not parse). */
int lab_summary_read(const char *path, struct lab_row **rows);
/* Nonzero when s is a non-empty label of [A-Za-z0-9_.:+=/-] only: what a
 * topology, dataplane or scheduler name read back from a CSV file may
 * hold before it goes into a gnuplot script (no quote, space or semicolon). */
int lab_label_ok(const char *s);
/* Parses "a/b/c" into r->conns. Returns 0 or -EINVAL. */
int lab_conns_parse(const char *s, struct lab_row *r);

/* csv.c — a whole CSV file in memory; fields split on ',' (no quoting: none of
 * mqlb's writers quote), lines on '\n', a trailing '\r' dropped. */
struct lab_csv {
	char *text;	    /* owned */
	char ***rows;	    /* rows[0] is the header */
	unsigned *n_fields; /* per row */
	unsigned n_rows;    /* including the header */
};
/* Returns 0 or -errno; on success *c owns memory freed by lab_csv_free. */
int lab_csv_load(const char *path, struct lab_csv *c);
void lab_csv_free(struct lab_csv *c); /* accepts a zeroed struct */
/* Column of the header named exactly name, or -1. */
int lab_csv_col(const struct lab_csv *c, const char *name);
/* First column whose name contains every word of the NULL-terminated list, or -1. */
int lab_csv_col_like(const struct lab_csv *c, const char *const *words);
/* Field (row >= 1) or "" when the row is short. Borrowed from c. */
const char *lab_csv_get(const struct lab_csv *c, unsigned row, int col);

/* jsonq.c — read-only queries on JSON text (what bench and director write).
 * Paths name members by key and array elements by index, separated by '/':
 * "latency_us/p99", "backends/0/address", "per_target/198.18.0.21:1883". */
/* Calls fn(path, value, ctx) for every scalar (strings unquoted and unescaped,
 * numbers/true/false/null as written). Returns 0, or -EINVAL on malformed text. */
int lab_json_walk(const char *text, void (*fn)(const char *path, const char *value, void *ctx),
		  void *ctx);
/* The scalar at path copied to out. Returns 0, -ENOENT, or -EINVAL. */
int lab_json_get(const char *text, const char *path, char *out, size_t len);
/* The number at path; *out untouched and -ENOENT/-EINVAL when absent or not numeric. */
int lab_json_num(const char *text, const char *path, double *out);
/* Reads a whole file into a NUL-terminated malloc'd buffer (owned by the caller). */
char *lab_read_file(const char *path, size_t *len);

/* report.c / plot.c */
/* Writes DIR/report.md and DIR/plots/ from DIR's data (layout above). Returns 0,
 * or -errno with a message logged. Plots are skipped with a warning when gnuplot
 * is missing; the report says so. */
int lab_report(const char *dir);
/* Writes the plots for rows into DIR/plots; 0 or -errno. Called by lab_report. */
int lab_plots(const char *dir, const struct lab_row *rows, int n);
/* Everything about one run folder the report shows besides the summary row. */
struct lab_run_evidence {
	double peak_cpu[LAB_MAX_BROKERS];   /* % of one core, max over samples */
	uint64_t dropped[LAB_MAX_BROKERS];  /* $SYS publish/messages/dropped, last - first */
	double peak_rss[LAB_MAX_BROKERS];   /* bytes, max over samples */
	unsigned restarts[LAB_MAX_BROKERS]; /* pid changes or samples not alive */
	uint64_t stored_first[LAB_MAX_BROKERS], stored_last[LAB_MAX_BROKERS]; /* $SYS store */
	char broker_name[LAB_MAX_BROKERS][64]; /* as the monitor names them */
	unsigned n_brokers;
	int have_cpu, have_sys, have_rss, have_store;
	/* From director.csv: the longest time one director saw every backend fail
	 * its health checks (sum of its sample intervals), and whether it kept
	 * them in meanwhile (effective weight > 0: failing open). */
	double all_down_s;
	int have_dir, failed_open;
	/* From the bench JSON files (cpu_user_s + cpu_sys_s, duration_s): the load
	 * generator's own CPU over every client process, and the longest process's
	 * wall time; have_gen 0 when no file carries the keys (older mqlb). */
	double gen_cpu_s, gen_wall_s;
	int have_gen;
};
/* Fills ev from DIR/<run>/monitor; missing files leave have_* at 0. */
void lab_run_evidence(const char *dir, const struct lab_row *r, struct lab_run_evidence *ev);
/* Print the summary table (fixed-width text) to f. */
void lab_summary_print(FILE *f, const struct lab_row *rows, int n);

/* lab.c */
int cmd_lab(int argc, char **argv);

#endif
