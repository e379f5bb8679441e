/* opts.h — `mqlb bench` options, emqtt-bench spelling (see issue 3 and
 * docs/mqlb-bench.1). Parsing is pure: no I/O besides the error text. */
#ifndef MQLB_BENCH_OPTS_H
#define MQLB_BENCH_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

enum bench_mode { BENCH_CONN = 0, BENCH_SUB, BENCH_PUB, BENCH_RUN, BENCH_MERGE, BENCH_MODE_COUNT };

#define BENCH_MAX_TARGETS 64
#define BENCH_MAX_IFADDRS 64
#define BENCH_LIMIT_MAX	  (1ull << 40)

struct bench_opts {
	enum bench_mode mode;
	/* targets: -h list (round robin), default port -p */
	struct sockaddr_storage targets[BENCH_MAX_TARGETS];
	unsigned ntargets;
	uint16_t port;
	struct sockaddr_storage ifaddrs[BENCH_MAX_IFADDRS]; /* --ifaddr, port 0 */
	unsigned nifaddrs;
	uint32_t count;		   /* -c: clients (conn/sub/pub) */
	uint32_t pubs, subs;	   /* run: --pubs, --subs */
	uint32_t start_index;	   /* -n */
	uint64_t conn_interval_ns; /* -i ms / -R rate: global gap between connects */
	const char *topic;	   /* -t, with %i and %c */
	const char *also_sub; /* --also-subscribe: a second filter in the SUBSCRIBE (sub/run) */
	uint8_t qos;	      /* -q */
	uint8_t version;      /* -V: 4 = 3.1.1, 5 = 5.0 */
	uint16_t keepalive_s; /* -k */
	bool clean;	      /* -C */
	const char *username, *password; /* -u -P */
	const char *prefix;		 /* --prefix (client id prefix) */
	uint64_t pub_interval_ns;	 /* -I ms per publisher, or from --rate; 0 = as fast
					  * as the window (-F) or the socket allows */
	double rate;			 /* --rate total msgs/s (0 = use -I) */
	uint32_t size;			 /* -s payload bytes (>= header) */
	uint64_t limit;			 /* -L total messages shared by all publishers (0 = none) */
	uint64_t duration_ns;		 /* --duration (0 = none) */
	uint32_t inflight;		 /* -F max in-flight per client (0 = unlimited: 65535) */
	uint64_t drain_ns;		 /* --drain */
	bool drain_set; /* --drain given (sub: stop after that long without messages) */
	uint64_t connect_timeout_ns;	  /* --connect-timeout */
	unsigned threads;		  /* --threads (0 = one per core) */
	const char *json_path, *csv_path; /* --json --csv */
	bool quiet;			  /* --quiet */
	uint64_t coalesce_ns;		  /* --coalesce: pause between busy loop iterations */
	bool reconnect;			  /* --reconnect */
	/* --reconnect-delay MIN[,MAX]: backoff bounds (see backoff.h) */
	uint64_t reconnect_delay_ns, reconnect_max_ns;
	/* --tls, --insecure (no verification), --cafile, --cert/--key (client
	 * certificate), --sni (server name sent and verified), --tls-version
	 * (0 = 1.2 and 1.3, else 12 or 13) */
	bool tls, tls_insecure;
	const char *tls_cafile, *tls_cert, *tls_key, *tls_sni;
	uint8_t tls_version;
	/* the -h entries given as a name (the default SNI); "" for a literal or
	 * a name too long to keep */
	char target_name[BENCH_MAX_TARGETS][64];
	/* merge: the two input files */
	const char *merge_sub, *merge_pub;
};

/* Fills defaults for mode (they reproduce the study: topic bench/test, -I 500,
 * QoS 1, MQTT 5, port 1883, host 127.0.0.1). */
void bench_opts_defaults(struct bench_opts *o, enum bench_mode mode);
/* Mode by name ("conn", "sub", "pub", "run", "merge"), or -EINVAL. */
int bench_mode_parse(const char *s);
/* The mode's name (static), "?" out of range. */
const char *bench_mode_name(enum bench_mode m);
/* Parses argv (argv[0] = mode name, as getopt expects). Returns 0, 1 when
 * --help was asked, or -EINVAL with one line in err naming the flag/value. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv, char *err, size_t errlen);
/* Expands %i (client index) and %c (client id) in a topic template into out.
 * Returns the length, or -ENOSPC if it does not fit. */
int bench_topic_expand(const char *tmpl, uint32_t index, const char *client_id, char *out,
		       size_t cap);
/* Usage text for --help. */
void bench_usage(FILE *f);

#endif
