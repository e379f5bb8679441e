/* bench-t.h — runtime types of `mqlb bench`: the run (shared, read-mostly), one
 * worker per thread (its own event loop, clients, histogram and counters), and
 * one client per MQTT connection.
 *
 * Threads: a client and everything it points to belong to its worker's thread.
 * The main thread only reads the workers' atomic counters (progress line) and
 * the run's phase, and reads everything else after joining the workers. */
#ifndef MQLB_BENCH_T_H
#define MQLB_BENCH_T_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench/account.h"
#include "bench/hist.h"
#include "bench/msstat.h"
#include "bench/opts.h"
#include "bench/pidset.h"
#include "event/event.h"

/* Errors counted by reason; never fatal to the run. */
enum bench_err {
	BERR_CONNECT_REFUSED = 0, /* TCP RST on connect */
	BERR_CONNECT_TIMEOUT,	  /* TCP connect or CONNACK past --connect-timeout */
	BERR_CONNECT_ERROR,	  /* other socket error while connecting */
	BERR_SUBACK_TIMEOUT,
	BERR_BROKER_CLOSED,	/* EOF from the broker */
	BERR_SOCKET_ERROR,	/* ECONNRESET & co. after connecting */
	BERR_PING_TIMEOUT,	/* no PINGRESP within the keepalive */
	BERR_UNEXPECTED,	/* a well-formed packet that makes no sense now */
	BERR_UNKNOWN_PACKET_ID, /* an ack for a packet id we do not have in flight */
	BERR_PUBLISH_SKIPPED,	/* schedule slots missed while disconnected */
	BERR_NO_MEMORY,
	BERR_COUNT
};

/* Errors counted by a code (reason code, or codec error). */
enum bench_cerr {
	BCERR_CONNACK = 0, /* CONNACK refused: 5.0 reason / 3.1.1 return code */
	BCERR_SUBACK,	   /* SUBACK failure code */
	BCERR_DISCONNECT,  /* DISCONNECT from the broker, by reason */
	BCERR_PUBACK,	   /* PUBACK/PUBREC with a failure reason */
	BCERR_MALFORMED,   /* codec error (enum mqtt_err) on a broker packet */
	BCERR_COUNT
};

/* TLS handshake failures by kind (verify failures are counted by their X509
 * error code in tls_verify instead). */
enum bench_tls_fail {
	BTLS_PROTOCOL = 0, /* an alert, a wrong version, a record that is not TLS */
	BTLS_NOT_TLS,	   /* the peer closed without a byte in answer to the ClientHello */
	BTLS_TIMEOUT,	   /* not done within --connect-timeout */
	BTLS_CLOSED,	   /* EOF or reset in the middle of the handshake */
	BTLS_FAIL_COUNT
};
#define BTLS_VERIFY_CODES 128 /* X509_V_ERR_* codes (larger ones share the last) */
#define BTLS_PROTO_KINDS  8

struct ssl_st;
struct ssl_session_st;
struct ssl_ctx_st;

enum bench_role { BROLE_CONN = 0, BROLE_SUB, BROLE_PUB, BROLE_COUNT };

enum bench_cstate {
	BCS_IDLE = 0,	  /* not connected yet / waiting to reconnect */
	BCS_CONNECTING,	  /* TCP connect in progress */
	BCS_WAIT_CONNACK, /* CONNECT sent */
	BCS_WAIT_SUBACK,  /* SUBSCRIBE sent */
	BCS_READY,	  /* connected (and subscribed) */
	BCS_DONE,	  /* closed for good */
	BCS_COUNT
};

/* Phases of a run, advanced by the main thread. */
enum bench_phase {
	BPH_CONNECT = 0, /* clients connect; subscribers subscribe */
	BPH_PUBLISH,	 /* publishers follow the schedule from run->pub_start_ns */
	BPH_DRAIN,	 /* publishing stopped; waiting for stragglers */
	BPH_STOP,	 /* DISCONNECT and close everything; workers exit */
	BPH_COUNT
};

/* Counters the main thread reads while workers run: written by one thread
 * (relaxed stores), read by another (relaxed loads). */
struct bench_live {
	_Atomic uint64_t connected;   /* now */
	_Atomic uint64_t conn_ok;     /* clients that got a CONNACK at least once */
	_Atomic uint64_t conn_failed; /* clients that never did (given up) */
	_Atomic uint64_t subscribed;  /* subscribers with a SUBACK (at least once) */
	_Atomic uint64_t sub_failed;  /* subscribers given up before their SUBACK */
	_Atomic uint64_t reconnects;
	_Atomic uint64_t published;
	_Atomic uint64_t acked;
	_Atomic uint64_t expected; /* run: acked x matching subscribers */
	_Atomic uint64_t received;
	_Atomic uint64_t unique; /* distinct arrivals (before confirmation check) */
	_Atomic uint64_t inflight;
	_Atomic uint64_t pubs_done; /* publishers past their last message */
	_Atomic uint64_t gone;	    /* clients closed for good (no --reconnect left) */
	_Atomic uint64_t errors;
};

#define LIVE_ADD(w, field, n)                                                                      \
	atomic_store_explicit(&(w)->live.field,                                                    \
			      atomic_load_explicit(&(w)->live.field, memory_order_relaxed) + (n),  \
			      memory_order_relaxed)
#define LIVE_GET(w, field) atomic_load_explicit(&(w)->live.field, memory_order_relaxed)

struct bench_worker;

/* QoS 1/2 publish in flight: packet id = slot index + 1. */
struct bench_slot {
	uint64_t seq;
	uint64_t intended_mono; /* schedule slot: a re-send carries the same header time */
	uint8_t state;		/* 0 free, 1 awaiting PUBACK/PUBREC, 2 awaiting PUBCOMP */
};

struct bench_pub {
	struct bench_pub_acct acct;
	uint64_t next_seq;
	uint64_t next_slot; /* schedule slot index */
	uint64_t phase_ns;  /* offset of slot 0 from run->pub_start_ns */
	struct event_timer timer;
	uint32_t window;   /* slots: min(-F, broker Receive Maximum) at the session's start */
	uint32_t send_max; /* new PUBLISH only below this many in flight: min(window,
			    * the latest CONNACK's Receive Maximum) */
	uint32_t inflight; /* slots in use */
	uint32_t nfree;
	uint16_t *free_ids;	  /* stack of free slot indexes [window] */
	struct bench_slot *slots; /* [opts.inflight] */
	uint8_t *tmpl;		  /* whole PUBLISH, header patched per message */
	uint32_t tmpl_len, pid_off, hdr_off;
	uint64_t q0_lo, q0_hi; /* QoS 0: seqs written into tx, confirmed once flushed */
	bool done;
	uint32_t matching_subs; /* run: subscribers whose filter matches (live expected) */
};

struct bench_client {
	struct bench_worker *w;
	uint32_t index; /* -n + i: %i, publisher id */
	uint32_t order; /* global connect order */
	uint8_t role;	/* enum bench_role */
	uint8_t state;	/* enum bench_cstate */
	bool ever_connected, gave_up, ping_out, dirty, wr_interest;
	uint8_t target, ifaddr;
	int fd;
	uint64_t since_ns;   /* entered the current state (monotonic) */
	uint64_t last_tx_ns; /* keepalive */
	uint64_t reconnect_at_ns;
	struct event_timer retry; /* fires at reconnect_at_ns */
	uint32_t attempt;	  /* failed attempts since the last CONNACK (backoff) */
	/* lost a connection that had a CONNACK at this time (monotonic); 0 once
	 * the next CONNACK measured the reconnect */
	uint64_t lost_at_ns;
	/* the current session holds our subscription (a SUBACK in it): a resumed
	 * session needs no SUBSCRIBE (3.1.1 §3.2.2.2, 5.0 §3.2.2.1.1) */
	bool sess_subscribed;
	char *client_id;
	char *topic; /* expanded topic (pub) or filter (sub) */
	uint8_t *rx;
	uint32_t rx_len, rx_cap;
	uint8_t *tx;
	uint32_t tx_len, tx_off, tx_cap;
	struct bench_client *next_dirty;
	struct bench_pub *pub;
	struct bench_sub_acct *sub;
	/* QoS 2 ids PUBREC'd, PUBREL not yet (§4.3.3): session state, kept
	 * across a reconnect that resumes the session (CONNACK session present) */
	struct bench_pidset qos2_rx;
	/* --tls: the connection (NULL until TCP is up), whether its handshake is
	 * done, and the session saved from the last one (resumption) */
	struct ssl_st *ssl;
	struct ssl_session_st *tls_sess;
	bool tls_up;
};

struct bench_run;

struct bench_worker {
	unsigned idx;
	pthread_t thread;
	struct bench_run *run;
	struct event_loop *el;
	struct bench_client **clients; /* sorted by connect order */
	uint32_t nclients;
	uint32_t next_connect; /* index into clients of the next first connect */
	struct event_timer tick, connect_timer;
	struct bench_client *dirty; /* clients with pending output */
	uint8_t *scratch;	    /* read buffer */
	int seen_phase;
	struct bench_live live;
	struct bench_hist *hist; /* latency, us */
	uint64_t err[BERR_COUNT];
	uint64_t cerr[BCERR_COUNT][256];
	uint64_t conn_per_target[BENCH_MAX_TARGETS];
	uint64_t granted_downgrade;
	uint64_t pub_resent;	   /* PUBLISH re-sent (DUP=1) on a resumed session */
	uint64_t unconfirmed_qos0; /* QoS 0 bytes left unwritten at a disconnect */
	uint64_t bytes_in, bytes_out;
	uint64_t iter_pkts;	  /* MQTT packets handled in this loop iteration */
	uint64_t iter_min_lat_ns; /* smallest latency measured in it (UINT64_MAX: none) */
	uint64_t coalesce_pauses, coalesce_ns; /* pauses after busy iterations, their sum */
	/* pace.h bench_window_ns of the last tick, from the acks since the one
	 * before (win_acked, win_ns) */
	uint64_t window_ns, win_acked, win_ns;
	uint64_t rng;				  /* reconnect jitter (backoff.h) */
	uint64_t disconnects;			  /* connections lost after their CONNACK */
	uint64_t sessions_resumed, sessions_lost; /* reconnect CONNACKs with -C false */
	struct bench_msstat reconnect_ms;	  /* loss -> next CONNACK, per reconnect */
	uint64_t tls_handshakes, tls_resumed;	  /* done; of them abbreviated (resumed) */
	uint64_t tls_fail[BTLS_FAIL_COUNT];
	uint64_t tls_verify[BTLS_VERIFY_CODES]; /* certificate verify failures by code */
	/* protocol failures by OpenSSL error (ERR_PACK'd library and reason):
	 * the first BTLS_PROTO_KINDS kinds; more go to tls_fail[BTLS_PROTOCOL] */
	struct {
		unsigned long err;
		uint64_t n;
	} tls_proto[BTLS_PROTO_KINDS];
	int exit_err;
};

struct bench_run {
	struct bench_opts o;
	const char *prefix;
	uint64_t mono0_ns, real0_ns;   /* clock pair taken at start */
	_Atomic int phase;	       /* enum bench_phase */
	_Atomic uint64_t pub_start_ns; /* monotonic; publishers' slot 0 */
	uint64_t pub_end_ns;	       /* monotonic; 0 = no --duration */
	_Atomic uint64_t claimed;      /* messages claimed against -L */
	uint64_t connect_start_ns;
	uint8_t hdr_flags;
	unsigned nworkers;
	struct bench_worker *workers;
	struct bench_client *clients; /* all, [nclients] */
	uint32_t nclients, nsubs, npubs;
	struct ssl_ctx_st *tls_ctx; /* --tls: shared by the workers (read-only) */
};

#endif
