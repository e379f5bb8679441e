#include "bench/opts.h"

#include <errno.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/payload.h"
#include "common/addr.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/time.h"

static const char *const mode_names[BENCH_MODE_COUNT] = {"conn", "sub", "pub", "run", "merge"};

const char *bench_mode_name(enum bench_mode m)
{
	return m < BENCH_MODE_COUNT ? mode_names[m] : "?";
}

int bench_mode_parse(const char *s)
{
	for (int i = 0; i < BENCH_MODE_COUNT; i++)
		if (s && strcmp(s, mode_names[i]) == 0)
			return i;
	return -EINVAL;
}

void bench_opts_defaults(struct bench_opts *o, enum bench_mode mode)
{
	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->port = 1883;
	o->count = 200;
	o->pubs = 1;
	o->subs = 1;
	o->conn_interval_ns = 10 * NS_PER_MS;
	o->topic = "bench/test";
	o->qos = 1;
	o->version = 5;
	o->keepalive_s = 300;
	o->clean = true;
	o->prefix = NULL;
	o->pub_interval_ns = 500 * NS_PER_MS;
	o->size = 256;
	o->inflight = 1;
	o->drain_ns = 5 * NS_PER_S;
	o->connect_timeout_ns = 10 * NS_PER_S;
	o->reconnect_delay_ns = 100 * NS_PER_MS;
	o->reconnect_max_ns = 5 * NS_PER_S;
	o->coalesce_ns = 20 * NS_PER_MS;
}

void bench_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: mqlb bench conn|sub|pub|run [options]\n"
	    "       mqlb bench merge SUB.json PUB.json [--json FILE]\n"
	    "\n"
	    "A load generator that counts every message: loss, duplicates, reordering and\n"
	    "end-to-end latency (from the intended send time), per QoS.\n"
	    "  conn  hold -c connections        sub  -c subscribers     pub  -c publishers\n"
	    "  run   --subs N subscribers and --pubs N publishers in one process (exact)\n"
	    "  merge figures of a separate sub and pub run, as run would give them\n"
	    "\n"
	    "Connections:\n"
	    "  -h, --host LIST      brokers, comma separated HOST[:PORT], round robin [127.0.0.1]\n"
	    "  -p, --port PORT      default port [1883]\n"
	    "  -c, --count N        clients (conn/sub/pub) [200]\n"
	    "      --pubs N --subs N  run: publishers and subscribers [1, 1]\n"
	    "  -n, --startnumber N  first client index [0]\n"
	    "  -i, --interval MS    gap between connects, all clients [10]\n"
	    "  -R, --connrate N     connects per second (instead of -i)\n"
	    "  -V, --version 4|5    MQTT 3.1.1 or 5.0 [5]; 3 (3.1) is not supported\n"
	    "  -k, --keepalive S    keep alive seconds [300]\n"
	    "  -C, --clean [true|false]  clean start [true]\n"
	    "  -u, --username U  -P, --password P\n"
	    "      --prefix P       client id prefix [mqlb<pid>]; ids are P_sub_N, P_pub_N\n"
	    "      --ifaddr LIST    local addresses to bind, round robin (past 64k ports)\n"
	    "      --connect-timeout S  per connection (TCP + CONNACK) [10]\n"
	    "      --reconnect      reconnect after a loss of connection (or a failed connect)\n"
	    "                       until the run ends; resubscribe unless the session was\n"
	    "                       resumed (-C false and CONNACK session present)\n"
	    "      --reconnect-delay MIN[,MAX]  backoff: MIN, doubled per failed attempt up\n"
	    "                       to MAX, each delay jittered in [d/2, d]; durations like\n"
	    "                       500ms or 2s, bare numbers are seconds [100ms,5s]\n"
	    "      --tls            MQTT over TLS (1.2 and 1.3); the broker's certificate is\n"
	    "                       verified against --cafile (else the system store) and\n"
	    "                       the -h name or address; sessions resume on reconnect\n"
	    "      --cafile FILE    CA certificates (PEM) that verify the broker\n"
	    "      --cert FILE --key FILE  client certificate and its key (PEM)\n"
	    "      --insecure       verify nothing (no CA, no name check)\n"
	    "      --sni NAME       server name sent and verified [the -h name, if a name]\n"
	    "      --tls-version 1.2|1.3  only this version [both]\n"
	    "      --threads N      event loops [one per core]\n"
	    "      --coalesce US    after a loop iteration with >= 16 PUBLISH or acks, pause\n"
	    "                       up to US so reads batch up; never past the next timer,\n"
	    "                       nor over 1/16 of the smallest latency just measured (it\n"
	    "                       reads at most ~6 %% high), nor over the time half the\n"
	    "                       QoS 1/2 window needs at the broker; 0 = never [20000]\n"
	    "Messages:\n"
	    "  -t, --topic T        topic, %%i = client index, %%c = client id [bench/test]\n"
	    "      --also-subscribe F  subscribers also subscribe to filter F (one SUBSCRIBE;\n"
	    "                       e.g. $mesh/+/bench/test for mqlb cluster --bridge mesh)\n"
	    "  -q, --qos 0|1|2      [1]\n"
	    "  -I, --interval_of_msg MS  per publisher [500]; 0 = as fast as the in-flight\n"
	    "                       window (-F, QoS 1/2) or the socket (QoS 0) allows;\n"
	    "                       needs --duration or -L\n"
	    "      --rate N         total messages/s over all publishers (instead of -I)\n"
	    "  -s, --size BYTES     payload size, >= %d (header) [256]\n"
	    "  -L, --limit N        total messages, shared by all publishers [none]\n"
	    "      --duration S     publish for this long [until -L or Ctrl-C]\n"
	    "  -F, --inflight N     max unacknowledged QoS 1/2 messages per client, 0 = max [1]\n"
	    "      --drain S        wait this long for stragglers after publishing [5]\n"
	    "Output:\n"
	    "      --json FILE      figures (keys: see mqlb-bench(1)); sub/pub add raw data for "
	    "merge\n"
	    "      --csv FILE       one row per second\n"
	    "      --quiet          no progress line on stderr\n"
	    "      --help\n",
	    BENCH_HDR_LEN);
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* Seconds, with units accepted ("30", "1.5s", "500ms"). */
static int parse_secs(const char *s, uint64_t *ns)
{
	return parse_duration_ns(s, NS_PER_S, ns);
}

/* --reconnect-delay MIN[,MAX]: 0 < MIN <= MAX <= 1 h; MAX defaults to the
 * current maximum, raised to MIN if MIN is larger. */
static int parse_reconnect_delay(const char *s, struct bench_opts *o, char *err, size_t errlen)
{
	char buf[64];
	uint64_t lo, hi = o->reconnect_max_ns;
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "--reconnect-delay: '%s' is too long", s);
	strcpy(buf, s);
	char *comma = strchr(buf, ',');
	if (comma)
		*comma = 0;
	if (parse_secs(buf, &lo) < 0 || lo == 0 || lo > 3600 * NS_PER_S ||
	    (comma && (parse_secs(comma + 1, &hi) < 0 || hi > 3600 * NS_PER_S)))
		return fail(err, errlen,
			    "--reconnect-delay: '%s' is not MIN[,MAX] (durations > 0, at most 1h)",
			    s);
	if (!comma && hi < lo)
		hi = lo;
	if (hi < lo)
		return fail(err, errlen, "--reconnect-delay: '%s': MAX is below MIN", s);
	o->reconnect_delay_ns = lo;
	o->reconnect_max_ns = hi;
	return 0;
}

/* The host part of a -h entry when it is a name (the default SNI), else "". */
static void target_name(const char *tok, char *out, size_t cap)
{
	char host[256];
	unsigned char bin[16];
	out[0] = 0;
	if (tok[0] == '[' || strchr(tok, ':') != strrchr(tok, ':'))
		return; /* an IPv6 literal */
	size_t n = strcspn(tok, ":");
	if (n >= sizeof(host))
		return;
	memcpy(host, tok, n);
	host[n] = 0;
	if (inet_pton(AF_INET, host, bin) == 1 || n >= cap)
		return;
	memcpy(out, host, n + 1);
}

/* Comma-separated address list into out[]; port 0 = use default later. */
static int parse_list(const char *s, const char *flag, struct sockaddr_storage *out,
		      char (*names)[64], unsigned max, unsigned *n, uint16_t port, bool host_only,
		      char *err, size_t errlen)
{
	char buf[1024];
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "%s: list too long", flag);
	strcpy(buf, s);
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			return fail(err, errlen, "%s: more than %u entries", flag, max);
		/* a name is resolved here, once: never per connection */
		char why[320];
		int r = host_only ? addr_resolve(tok, 0, &out[*n], why, sizeof(why))
				  : addr_parse_err(tok, port, &out[*n], why, sizeof(why));
		if (names)
			target_name(tok, names[*n], sizeof(names[*n]));
		if (r < 0)
			return fail(err, errlen, "%s: %s", flag, why);
		(*n)++;
	}
	if (*n == 0)
		return fail(err, errlen, "%s: empty list", flag);
	return 0;
}

/* The TLS flags belong together: each needs --tls, a key needs its
 * certificate and the other way round. */
static int check_tls(const struct bench_opts *o, char *err, size_t errlen)
{
	const char *orphan = o->tls_cafile     ? "--cafile"
			     : o->tls_cert     ? "--cert"
			     : o->tls_key      ? "--key"
			     : o->tls_insecure ? "--insecure"
			     : o->tls_sni      ? "--sni"
			     : o->tls_version  ? "--tls-version"
					       : NULL;
	if (!o->tls && orphan)
		return fail(err, errlen, "%s needs --tls", orphan);
	if (!o->tls_cert != !o->tls_key)
		return fail(err, errlen,
			    "--cert and --key go together (a client certificate "
			    "and its key)");
	if (o->tls_insecure && o->tls_cafile)
		return fail(err, errlen, "--insecure verifies nothing: --cafile would be unused");
	return 0;
}

/* What the option functions fill besides the options: the lists resolved once
 * all flags are in (-p may follow -h), the pace flags seen (-i/-R and
 * -I/--rate exclude each other) and the one-line error. */
struct pctx {
	struct bench_opts *o;
	const char *hosts, *ifaddrs;
	bool have_I, have_rate, have_i, have_R;
	char *err;
	size_t errlen;
};

#define CTX(x)	 struct pctx *p = (x)
#define ERR(...) fail(p->err, p->errlen, __VA_ARGS__)

/* An unsigned count in [0, max] into *out, else the error fmt (with v). */
static int take_count(struct pctx *p, const char *v, uint64_t max, uint64_t *out, const char *fmt)
{
	if (parse_u64(v, 0, max, out) < 0)
		return fail(p->err, p->errlen, fmt, v);
	return 0;
}

/* An int in [lo, hi] into *out, else the error fmt (with v). */
static int take_int(struct pctx *p, const char *v, int lo, int hi, int *out, const char *fmt)
{
	if (parse_int(v, lo, hi, out) < 0)
		return fail(p->err, p->errlen, fmt, v);
	return 0;
}

static int take_host(void *x, const char *cmd, const char *v)
{
	(void)cmd;
	((struct pctx *)x)->hosts = v;
	return 0;
}

static int take_port(void *x, const char *cmd, const char *v)
{
	CTX(x);
	int n = 0;
	(void)cmd;
	int r = take_int(p, v, 1, 65535, &n, "-p: '%s' is not a port (1-65535)");
	p->o->port = r ? p->o->port : (uint16_t)n;
	return r;
}

static int take_count_c(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	int r = take_count(p, v, 10000000, &u, "-c: '%s' is not a count (0-10000000)");
	p->o->count = (uint32_t)u;
	return r;
}

static int take_pubs(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	int r = take_count(p, v, 10000000, &u, "--pubs: '%s' is not a count (0-10000000)");
	p->o->pubs = (uint32_t)u;
	return r;
}

static int take_subs(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	int r = take_count(p, v, 10000000, &u, "--subs: '%s' is not a count (0-10000000)");
	p->o->subs = (uint32_t)u;
	return r;
}

static int take_start(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	int r = take_count(p, v, UINT32_MAX / 2, &u, "-n: '%s' is not a start index");
	p->o->start_index = (uint32_t)u;
	return r;
}

/* -i and -I: milliseconds (units accepted), at most an hour */
static int take_ms(struct pctx *p, const char *v, uint64_t *out, const char *fmt)
{
	if (parse_duration_ns(v, NS_PER_MS, out) < 0 || *out > 3600 * NS_PER_S)
		return fail(p->err, p->errlen, fmt, v);
	return 0;
}

static int take_interval(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	p->have_i = true;
	return take_ms(p, v, &p->o->conn_interval_ns, "-i: '%s' is not an interval in ms");
}

static int take_connrate(void *x, const char *cmd, const char *v)
{
	CTX(x);
	double d;
	(void)cmd;
	if (parse_double(v, 0.001, 10e6, &d) < 0)
		return ERR("-R: '%s' is not a rate (connects/s > 0)", v);
	p->o->conn_interval_ns = (uint64_t)((double)NS_PER_S / d);
	p->have_R = true;
	return 0;
}

static int take_topic(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (!*v)
		return ERR("-t: empty topic");
	p->o->topic = v;
	return 0;
}

static int take_qos(void *x, const char *cmd, const char *v)
{
	CTX(x);
	int n = 0;
	(void)cmd;
	int r = take_int(p, v, 0, 2, &n, "-q: '%s' is not a QoS (0, 1 or 2)");
	p->o->qos = r ? p->o->qos : (uint8_t)n;
	return r;
}

static int take_version(void *x, const char *cmd, const char *v)
{
	CTX(x);
	int n;
	(void)cmd;
	if (parse_int(v, 3, 5, &n) < 0)
		return ERR("-V: '%s' is not 3, 4 or 5", v);
	if (n == 3)
		return ERR("-V 3: MQTT 3.1 (MQIsdp) is not supported; use -V 4 (3.1.1) or -V 5 "
			   "(5.0)");
	p->o->version = (uint8_t)n;
	return 0;
}

static int take_keepalive(void *x, const char *cmd, const char *v)
{
	CTX(x);
	int n = 0;
	(void)cmd;
	int r = take_int(p, v, 0, 65535, &n, "-k: '%s' is not a keepalive (0-65535 s)");
	p->o->keepalive_s = r ? p->o->keepalive_s : (uint16_t)n;
	return r;
}

static int is_bool(const char *w)
{
	bool b;
	return parse_bool(w, &b) == 0;
}

/* -C, -Cfalse, --clean=false, or "-C false" (emqtt-bench habit) */
static int take_clean(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (!v) {
		p->o->clean = true;
		return 0;
	}
	if (parse_bool(v, &p->o->clean) < 0)
		return ERR("-C: '%s' is not true or false", v);
	return 0;
}

/* a string kept as given: -u -P --prefix --json --csv --ifaddr (resolved later) */
#define TAKE_STR(fn, field)                                                                        \
	static int fn(void *x, const char *cmd, const char *v)                                     \
	{                                                                                          \
		(void)cmd;                                                                         \
		((struct pctx *)x)->field = v;                                                     \
		return 0;                                                                          \
	}
TAKE_STR(take_username, o->username)
TAKE_STR(take_password, o->password)
TAKE_STR(take_prefix, o->prefix)
TAKE_STR(take_json, o->json_path)
TAKE_STR(take_csv, o->csv_path)
TAKE_STR(take_ifaddr, ifaddrs)

/* a flag: --quiet --reconnect --tls --insecure */
#define TAKE_FLAG(fn, field)                                                                       \
	static int fn(void *x, const char *cmd, const char *v)                                     \
	{                                                                                          \
		(void)cmd, (void)v;                                                                \
		((struct pctx *)x)->o->field = true;                                               \
		return 0;                                                                          \
	}
TAKE_FLAG(take_quiet, quiet)
TAKE_FLAG(take_reconnect, reconnect)
TAKE_FLAG(take_tls, tls)
TAKE_FLAG(take_insecure, tls_insecure)

/* 0: as fast as the in-flight window allows (emqtt-bench) */
static int take_pub_interval(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	p->have_I = true;
	return take_ms(p, v, &p->o->pub_interval_ns, "-I: '%s' is not an interval in ms (>= 0)");
}

static int take_rate(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (parse_double(v, 0.001, 100e6, &p->o->rate) < 0)
		return ERR("--rate: '%s' is not a rate (msgs/s > 0)", v);
	p->have_rate = true;
	return 0;
}

static int take_size(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	if (parse_u64(v, 0, 256u << 20, &u) < 0)
		return ERR("-s: '%s' is not a size in bytes", v);
	if (u < BENCH_HDR_LEN)
		return ERR("-s %s: the payload must hold the %d-byte MQLB header", v,
			   BENCH_HDR_LEN);
	p->o->size = (uint32_t)u;
	return 0;
}

static int take_limit(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	return take_count(p, v, BENCH_LIMIT_MAX, &p->o->limit, "-L: '%s' is not a message count");
}

static int take_inflight(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	if (parse_u64(v, 0, 65535, &u) < 0)
		return ERR("-F: '%s' is not an in-flight limit (0-65535)", v);
	p->o->inflight = u ? (uint32_t)u : 65535;
	return 0;
}

static int take_duration(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (parse_secs(v, &p->o->duration_ns) < 0 || p->o->duration_ns == 0)
		return ERR("--duration: '%s' is not a duration (> 0)", v);
	return 0;
}

static int take_drain(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (parse_secs(v, &p->o->drain_ns) < 0)
		return ERR("--drain: '%s' is not a duration", v);
	p->o->drain_set = true;
	return 0;
}

static int take_connect_timeout(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (parse_secs(v, &p->o->connect_timeout_ns) < 0 || p->o->connect_timeout_ns == 0)
		return ERR("--connect-timeout: '%s' is not a duration", v);
	return 0;
}

static int take_coalesce(void *x, const char *cmd, const char *v)
{
	CTX(x);
	uint64_t u;
	(void)cmd;
	if (parse_duration_ns(v, NS_PER_US, &u) < 0 || u > 100 * NS_PER_MS)
		return ERR("--coalesce: '%s' is not 0-100000 us", v);
	p->o->coalesce_ns = u;
	return 0;
}

static int take_also_sub(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (!*v)
		return ERR("--also-subscribe: empty filter");
	p->o->also_sub = v;
	return 0;
}

static int take_reconnect_delay(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	return parse_reconnect_delay(v, p->o, p->err, p->errlen);
}

static int take_threads(void *x, const char *cmd, const char *v)
{
	CTX(x);
	int n = 0;
	(void)cmd;
	int r = take_int(p, v, 1, 256, &n, "--threads: '%s' is not 1-256");
	p->o->threads = r ? p->o->threads : (unsigned)n;
	return r;
}

/* The TLS flags; the files are read when the run starts. */
static int take_tls_version(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (strcmp(v, "1.2") && strcmp(v, "1.3"))
		return ERR("--tls-version: '%s' is not 1.2 or 1.3", v);
	p->o->tls_version = v[2] == '2' ? 12 : 13;
	return 0;
}

static int take_sni(void *x, const char *cmd, const char *v)
{
	CTX(x);
	(void)cmd;
	if (!*v || strlen(v) > 253 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-_") != strlen(v))
		return ERR("--sni: '%s' is not a host name", v);
	p->o->tls_sni = v;
	return 0;
}

/* --cafile --cert --key: a file name, not empty */
static int take_file(struct pctx *p, const char *flag, const char *v, const char **dst)
{
	if (!*v)
		return fail(p->err, p->errlen, "%s: empty file name", flag);
	*dst = v;
	return 0;
}

static int take_cafile(void *x, const char *cmd, const char *v)
{
	(void)cmd;
	return take_file(x, "--cafile", v, &((struct pctx *)x)->o->tls_cafile);
}

static int take_cert(void *x, const char *cmd, const char *v)
{
	(void)cmd;
	return take_file(x, "--cert", v, &((struct pctx *)x)->o->tls_cert);
}

static int take_key(void *x, const char *cmd, const char *v)
{
	(void)cmd;
	return take_file(x, "--key", v, &((struct pctx *)x)->o->tls_key);
}

/* The options. The help text is bench_usage()'s, kept as it was (grouped by
 * connections, messages and output); these lines name each flag for opt_help. */
static const struct opt o_host = {"host", "LIST", "brokers", take_host, 'h', NULL};
static const struct opt o_port = {"port", "PORT", "default port", take_port, 'p', NULL};
static const struct opt o_count = {"count", "N", "clients", take_count_c, 'c', NULL};
static const struct opt o_pubs = {"pubs", "N", "run: publishers", take_pubs, 0, NULL};
static const struct opt o_subs = {"subs", "N", "run: subscribers", take_subs, 0, NULL};
static const struct opt o_start = {"startnumber", "N", "first client index", take_start, 'n', NULL};
static const struct opt o_interval = {"interval",    "MS", "gap between connects",
				      take_interval, 'i',  NULL};
static const struct opt o_connrate = {"connrate",    "N", "connects per second",
				      take_connrate, 'R', NULL};
static const struct opt o_topic = {"topic", "T", "topic", take_topic, 't', NULL};
static const struct opt o_qos = {"qos", "0|1|2", "QoS", take_qos, 'q', NULL};
static const struct opt o_version = {"version", "4|5", "MQTT version", take_version, 'V', NULL};
static const struct opt o_keepalive = {"keepalive", "S", "keep alive", take_keepalive, 'k', NULL};
static const struct opt o_clean = {"clean", "true|false", "clean start", take_clean, 'C', is_bool};
static const struct opt o_username = {"username", "U", "user name", take_username, 'u', NULL};
static const struct opt o_password = {"password", "P", "password", take_password, 'P', NULL};
static const struct opt o_pub_interval = {"interval_of_msg", "MS", "per publisher",
					  take_pub_interval, 'I',  NULL};
static const struct opt o_size = {"size", "BYTES", "payload size", take_size, 's', NULL};
static const struct opt o_limit = {"limit", "N", "total messages", take_limit, 'L', NULL};
static const struct opt o_inflight = {"inflight",    "N", "in-flight window",
				      take_inflight, 'F', NULL};
static const struct opt o_prefix = {"prefix", "P", "client id prefix", take_prefix, 0, NULL};
static const struct opt o_rate = {"rate", "N", "total messages/s", take_rate, 0, NULL};
static const struct opt o_duration = {"duration", "S", "how long", take_duration, 0, NULL};
static const struct opt o_drain = {"drain", "S", "wait for stragglers", take_drain, 0, NULL};
static const struct opt o_ifaddr = {"ifaddr", "LIST", "local addresses", take_ifaddr, 0, NULL};
static const struct opt o_json = {"json", "FILE", "figures", take_json, 0, NULL};
static const struct opt o_csv = {"csv", "FILE", "one row per second", take_csv, 0, NULL};
static const struct opt o_quiet = {"quiet", NULL, "no progress line", take_quiet, 0, NULL};
static const struct opt o_reconnect = {"reconnect", NULL, "reconnect", take_reconnect, 0, NULL};
static const struct opt o_reconnect_delay = {"reconnect-delay",	   "MIN[,MAX]", "backoff",
					     take_reconnect_delay, 0,		NULL};
static const struct opt o_threads = {"threads", "N", "event loops", take_threads, 0, NULL};
static const struct opt o_connect_timeout = {"connect-timeout",	   "S", "per connection",
					     take_connect_timeout, 0,	NULL};
static const struct opt o_coalesce = {"coalesce", "US", "batch reads", take_coalesce, 0, NULL};
static const struct opt o_also_sub = {"also-subscribe", "F", "a second filter",
				      take_also_sub,	0,   NULL};
static const struct opt o_tls = {"tls", NULL, "MQTT over TLS", take_tls, 0, NULL};
static const struct opt o_cafile = {"cafile", "FILE", "CA certificates", take_cafile, 0, NULL};
static const struct opt o_cert = {"cert", "FILE", "client certificate", take_cert, 0, NULL};
static const struct opt o_key = {"key", "FILE", "its key", take_key, 0, NULL};
static const struct opt o_insecure = {"insecure", NULL, "verify nothing", take_insecure, 0, NULL};
static const struct opt o_sni = {"sni", "NAME", "server name", take_sni, 0, NULL};
static const struct opt o_tls_version = {"tls-version",	   "1.2|1.3", "only this version",
					 take_tls_version, 0,	      NULL};

/* Every client mode (conn, sub, pub, run) takes these: where and how to
 * connect, and the output. */
#define CLIENT_OPTS                                                                                \
	&o_host, &o_port, &o_start, &o_interval, &o_connrate, &o_version, &o_keepalive, &o_clean,  \
	    &o_username, &o_password, &o_prefix, &o_ifaddr, &o_connect_timeout, &o_reconnect,      \
	    &o_reconnect_delay, &o_tls, &o_cafile, &o_cert, &o_key, &o_insecure, &o_sni,           \
	    &o_tls_version, &o_threads, &o_coalesce, &o_duration, &o_json, &o_csv, &o_quiet
/* What publishers are told (-I is also taken by sub, as it always was: a
 * script may give sub and pub the same pace flags) */
#define PUB_OPTS &o_pub_interval, &o_rate, &o_size, &o_limit, &o_inflight

static const struct opt *const conn_opts[] = {CLIENT_OPTS, &o_count, NULL};
static const struct opt *const sub_opts[] = {CLIENT_OPTS, &o_count,    &o_topic,	&o_qos,
					     &o_drain,	  &o_also_sub, &o_pub_interval, NULL};
static const struct opt *const pub_opts[] = {CLIENT_OPTS, &o_count, &o_topic, &o_qos,
					     &o_drain,	  PUB_OPTS, NULL};
static const struct opt *const run_opts[] = {CLIENT_OPTS, &o_pubs,     &o_subs,	 &o_topic, &o_qos,
					     &o_drain,	  &o_also_sub, PUB_OPTS, NULL};
static const struct opt *const merge_opts[] = {&o_json, NULL};
static const struct opt *const count_opt[] = {&o_count, NULL};

#define MERGE_MAX_FILES 16 /* more than two is refused below, with the reason */

/* In bench_mode order. */
static const struct opt_cmd mode_cmds[BENCH_MODE_COUNT] = {
    {"bench conn", "[options]", NULL, conn_opts, 0, NULL, NULL, NULL},
    {"bench sub", "[options]", NULL, sub_opts, 0, NULL, NULL, NULL},
    {"bench pub", "[options]", NULL, pub_opts, 0, NULL, NULL, NULL},
    {"bench run", "[options]", NULL, run_opts, 0, NULL,
     " (run counts its clients with --pubs and --subs)", count_opt},
    {"bench merge", "SUB.json PUB.json [--json FILE]", NULL, merge_opts, MERGE_MAX_FILES, NULL,
     " (merge reads two JSON files and writes --json)", NULL},
};

/* After the flags: the merge files, or the checks across flags and the lists. */
static int finish(struct pctx *p, const char **args, unsigned nargs)
{
	struct bench_opts *o = p->o;
	if (o->mode == BENCH_MERGE) {
		if (nargs != 2)
			return ERR("merge needs two files: SUB.json PUB.json");
		o->merge_sub = args[0];
		o->merge_pub = args[1];
		return 0;
	}
	if (p->have_i && p->have_R)
		return ERR("-i and -R both set the connect pace: give one");
	if (p->have_I && p->have_rate)
		return ERR("-I and --rate both set the publish pace: give one");
	if (check_tls(o, p->err, p->errlen) < 0)
		return -EINVAL;
	int r = parse_list(p->hosts, "-h", o->targets, o->target_name, BENCH_MAX_TARGETS,
			   &o->ntargets, o->port, false, p->err, p->errlen);
	if (r == 0 && p->ifaddrs)
		r = parse_list(p->ifaddrs, "--ifaddr", o->ifaddrs, NULL, BENCH_MAX_IFADDRS,
			       &o->nifaddrs, 0, true, p->err, p->errlen);
	if (r < 0)
		return r;
	if (o->mode == BENCH_RUN && o->pubs + (uint64_t)o->subs == 0)
		return ERR("run needs --pubs or --subs > 0");
	uint32_t npub = o->mode == BENCH_RUN ? o->pubs : o->mode == BENCH_PUB ? o->count : 0;
	if (npub && !o->pub_interval_ns && !o->duration_ns && !o->limit)
		return ERR("-I 0 publishes as fast as the window allows: give --duration or -L");
	if (p->have_rate && npub) {
		double per = (double)NS_PER_S * npub / o->rate;
		o->pub_interval_ns = per < 1 ? 1 : (uint64_t)per;
	}
	return 0;
}

int bench_opts_parse(struct bench_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	struct pctx p = {.o = o, .hosts = "127.0.0.1", .err = err, .errlen = errlen};
	const char *args[MERGE_MAX_FILES];
	unsigned nargs = 0;
	err[0] = '\0';
	int r = opt_parse_quiet(&mode_cmds[o->mode], mode_cmds, BENCH_MODE_COUNT, &p, argc, argv,
				args, &nargs, err, errlen);
	if (r == OPT_HELP_ASKED)
		return 1;
	if (r)
		return -EINVAL;
	return finish(&p, args, nargs);
}

int bench_topic_expand(const char *tmpl, uint32_t index, const char *client_id, char *out,
		       size_t cap)
{
	size_t n = 0;
	for (const char *p = tmpl; *p; p++) {
		char num[16];
		const char *ins = NULL;
		if (p[0] == '%' && p[1] == 'i') {
			snprintf(num, sizeof(num), "%u", index);
			ins = num;
			p++;
		} else if (p[0] == '%' && p[1] == 'c') {
			ins = client_id;
			p++;
		}
		if (ins) {
			size_t l = strlen(ins);
			if (n + l >= cap)
				return -ENOSPC;
			memcpy(out + n, ins, l);
			n += l;
		} else {
			if (n + 1 >= cap)
				return -ENOSPC;
			out[n++] = *p;
		}
	}
	if (n >= cap)
		return -ENOSPC;
	out[n] = 0;
	return (int)n;
}
