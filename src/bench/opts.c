#include "bench/opts.h"

#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/payload.h"
#include "common/addr.h"
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

enum {
	OPT_PUBS = 256,
	OPT_SUBS,
	OPT_PREFIX,
	OPT_RATE,
	OPT_DURATION,
	OPT_DRAIN,
	OPT_IFADDR,
	OPT_JSON,
	OPT_CSV,
	OPT_QUIET,
	OPT_RECONNECT,
	OPT_THREADS,
	OPT_HELP,
	OPT_CONNECT_TIMEOUT,
	OPT_COALESCE,
	OPT_ALSO_SUB,
	OPT_RECONNECT_DELAY,
	OPT_TLS,
	OPT_CAFILE,
	OPT_CERT,
	OPT_KEY,
	OPT_INSECURE,
	OPT_SNI,
	OPT_TLS_VERSION,
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"count", required_argument, NULL, 'c'},
    {"startnumber", required_argument, NULL, 'n'},
    {"interval", required_argument, NULL, 'i'},
    {"connrate", required_argument, NULL, 'R'},
    {"topic", required_argument, NULL, 't'},
    {"qos", required_argument, NULL, 'q'},
    {"version", required_argument, NULL, 'V'},
    {"keepalive", required_argument, NULL, 'k'},
    {"clean", optional_argument, NULL, 'C'},
    {"username", required_argument, NULL, 'u'},
    {"password", required_argument, NULL, 'P'},
    {"interval_of_msg", required_argument, NULL, 'I'},
    {"size", required_argument, NULL, 's'},
    {"limit", required_argument, NULL, 'L'},
    {"inflight", required_argument, NULL, 'F'},
    {"pubs", required_argument, NULL, OPT_PUBS},
    {"subs", required_argument, NULL, OPT_SUBS},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"rate", required_argument, NULL, OPT_RATE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"ifaddr", required_argument, NULL, OPT_IFADDR},
    {"json", required_argument, NULL, OPT_JSON},
    {"csv", required_argument, NULL, OPT_CSV},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"reconnect", no_argument, NULL, OPT_RECONNECT},
    {"reconnect-delay", required_argument, NULL, OPT_RECONNECT_DELAY},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"coalesce", required_argument, NULL, OPT_COALESCE},
    {"also-subscribe", required_argument, NULL, OPT_ALSO_SUB},
    {"tls", no_argument, NULL, OPT_TLS},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"sni", required_argument, NULL, OPT_SNI},
    {"tls-version", required_argument, NULL, OPT_TLS_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

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

/* One of the TLS flags (--tls --cafile --cert --key --insecure --sni
 * --tls-version); the files are read when the run starts. */
static int parse_tls_opt(int c, const char *arg, struct bench_opts *o, char *err, size_t errlen)
{
	switch (c) {
	case OPT_TLS:
		o->tls = true;
		return 0;
	case OPT_INSECURE:
		o->tls_insecure = true;
		return 0;
	case OPT_TLS_VERSION:
		if (strcmp(arg, "1.2") && strcmp(arg, "1.3"))
			return fail(err, errlen, "--tls-version: '%s' is not 1.2 or 1.3", arg);
		o->tls_version = arg[2] == '2' ? 12 : 13;
		return 0;
	case OPT_SNI:
		if (!*arg || strlen(arg) > 253 ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789.-_") != strlen(arg))
			return fail(err, errlen, "--sni: '%s' is not a host name", arg);
		o->tls_sni = arg;
		return 0;
	}
	static const char *const names[] = {"--cafile", "--cert", "--key"};
	const char **dst[] = {&o->tls_cafile, &o->tls_cert, &o->tls_key};
	int i = c - OPT_CAFILE;
	if (!*arg)
		return fail(err, errlen, "%s: empty file name", names[i]);
	*dst[i] = arg;
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

int bench_opts_parse(struct bench_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	const char *hosts = "127.0.0.1", *ifaddrs = NULL;
	bool have_I = false, have_rate = false, have_i = false, have_R = false;
	uint64_t u;
	int v;
	double d;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h:p:c:n:i:R:t:q:V:k:C::u:P:I:s:L:F:", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'h':
			hosts = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &v) < 0)
				return fail(err, errlen, "-p: '%s' is not a port (1-65535)",
					    optarg);
			o->port = (uint16_t)v;
			break;
		case 'c':
			if (parse_u64(optarg, 0, 10000000, &u) < 0)
				return fail(err, errlen, "-c: '%s' is not a count (0-10000000)",
					    optarg);
			o->count = (uint32_t)u;
			break;
		case OPT_PUBS:
		case OPT_SUBS:
			if (parse_u64(optarg, 0, 10000000, &u) < 0)
				return fail(err, errlen, "--%s: '%s' is not a count (0-10000000)",
					    c == OPT_PUBS ? "pubs" : "subs", optarg);
			*(c == OPT_PUBS ? &o->pubs : &o->subs) = (uint32_t)u;
			break;
		case 'n':
			if (parse_u64(optarg, 0, UINT32_MAX / 2, &u) < 0)
				return fail(err, errlen, "-n: '%s' is not a start index", optarg);
			o->start_index = (uint32_t)u;
			break;
		case 'i':
			if (parse_duration_ns(optarg, NS_PER_MS, &u) < 0 || u > 3600 * NS_PER_S)
				return fail(err, errlen, "-i: '%s' is not an interval in ms",
					    optarg);
			o->conn_interval_ns = u;
			have_i = true;
			break;
		case 'R':
			if (parse_double(optarg, 0.001, 10e6, &d) < 0)
				return fail(err, errlen, "-R: '%s' is not a rate (connects/s > 0)",
					    optarg);
			o->conn_interval_ns = (uint64_t)((double)NS_PER_S / d);
			have_R = true;
			break;
		case 't':
			if (!*optarg)
				return fail(err, errlen, "-t: empty topic");
			o->topic = optarg;
			break;
		case 'q':
			if (parse_int(optarg, 0, 2, &v) < 0)
				return fail(err, errlen, "-q: '%s' is not a QoS (0, 1 or 2)",
					    optarg);
			o->qos = (uint8_t)v;
			break;
		case 'V':
			if (parse_int(optarg, 3, 5, &v) < 0)
				return fail(err, errlen, "-V: '%s' is not 3, 4 or 5", optarg);
			if (v == 3)
				return fail(err, errlen,
					    "-V 3: MQTT 3.1 (MQIsdp) is not supported; use -V 4 "
					    "(3.1.1) or -V 5 (5.0)");
			o->version = (uint8_t)v;
			break;
		case 'k':
			if (parse_int(optarg, 0, 65535, &v) < 0)
				return fail(err, errlen, "-k: '%s' is not a keepalive (0-65535 s)",
					    optarg);
			o->keepalive_s = (uint16_t)v;
			break;
		case 'C': {
			/* -C, -Cfalse, --clean=false, or "-C false" (emqtt-bench habit) */
			const char *a = optarg;
			if (!a && optind < argc && parse_bool(argv[optind], &o->clean) == 0) {
				optind++;
				break;
			}
			if (!a) {
				o->clean = true;
				break;
			}
			if (parse_bool(a, &o->clean) < 0)
				return fail(err, errlen, "-C: '%s' is not true or false", a);
			break;
		}
		case 'u':
			o->username = optarg;
			break;
		case 'P':
			o->password = optarg;
			break;
		case 'I': /* 0: as fast as the in-flight window allows (emqtt-bench) */
			if (parse_duration_ns(optarg, NS_PER_MS, &u) < 0 || u > 3600 * NS_PER_S)
				return fail(err, errlen, "-I: '%s' is not an interval in ms (>= 0)",
					    optarg);
			o->pub_interval_ns = u;
			have_I = true;
			break;
		case OPT_RATE:
			if (parse_double(optarg, 0.001, 100e6, &d) < 0)
				return fail(err, errlen, "--rate: '%s' is not a rate (msgs/s > 0)",
					    optarg);
			o->rate = d;
			have_rate = true;
			break;
		case 's':
			if (parse_u64(optarg, 0, 256u << 20, &u) < 0)
				return fail(err, errlen, "-s: '%s' is not a size in bytes", optarg);
			if (u < BENCH_HDR_LEN)
				return fail(err, errlen,
					    "-s %s: the payload must hold the %d-byte MQLB header",
					    optarg, BENCH_HDR_LEN);
			o->size = (uint32_t)u;
			break;
		case 'L':
			if (parse_u64(optarg, 0, BENCH_LIMIT_MAX, &u) < 0)
				return fail(err, errlen, "-L: '%s' is not a message count", optarg);
			o->limit = u;
			break;
		case 'F':
			if (parse_u64(optarg, 0, 65535, &u) < 0)
				return fail(err, errlen,
					    "-F: '%s' is not an in-flight limit (0-65535)", optarg);
			o->inflight = u ? (uint32_t)u : 65535;
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_DURATION:
			if (parse_secs(optarg, &u) < 0 || u == 0)
				return fail(err, errlen, "--duration: '%s' is not a duration (> 0)",
					    optarg);
			o->duration_ns = u;
			break;
		case OPT_DRAIN:
			if (parse_secs(optarg, &u) < 0)
				return fail(err, errlen, "--drain: '%s' is not a duration", optarg);
			o->drain_ns = u;
			o->drain_set = true;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_secs(optarg, &u) < 0 || u == 0)
				return fail(err, errlen,
					    "--connect-timeout: '%s' is not a duration", optarg);
			o->connect_timeout_ns = u;
			break;
		case OPT_COALESCE:
			if (parse_duration_ns(optarg, NS_PER_US, &u) < 0 || u > 100 * NS_PER_MS)
				return fail(err, errlen, "--coalesce: '%s' is not 0-100000 us",
					    optarg);
			o->coalesce_ns = u;
			break;
		case OPT_IFADDR:
			ifaddrs = optarg;
			break;
		case OPT_ALSO_SUB:
			if (!*optarg)
				return fail(err, errlen, "--also-subscribe: empty filter");
			o->also_sub = optarg;
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case OPT_CSV:
			o->csv_path = optarg;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_RECONNECT:
			o->reconnect = true;
			break;
		case OPT_RECONNECT_DELAY:
			if (parse_reconnect_delay(optarg, o, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_THREADS:
			if (parse_int(optarg, 1, 256, &v) < 0)
				return fail(err, errlen, "--threads: '%s' is not 1-256", optarg);
			o->threads = (unsigned)v;
			break;
		case OPT_TLS:
		case OPT_CAFILE:
		case OPT_CERT:
		case OPT_KEY:
		case OPT_INSECURE:
		case OPT_SNI:
		case OPT_TLS_VERSION:
			if (parse_tls_opt(c, optarg, o, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_HELP:
			return 1;
		case ':':
			if (optopt && optopt < 256)
				return fail(err, errlen, "-%c needs a value", optopt);
			return fail(err, errlen, "%s needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return fail(err, errlen, "unknown option -%c", optopt);
			return fail(err, errlen, "unknown option %s", argv[optind - 1]);
		}
	}
	if (o->mode == BENCH_MERGE) {
		if (argc - optind != 2)
			return fail(err, errlen, "merge needs two files: SUB.json PUB.json");
		o->merge_sub = argv[optind];
		o->merge_pub = argv[optind + 1];
		return 0;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (have_i && have_R)
		return fail(err, errlen, "-i and -R both set the connect pace: give one");
	if (have_I && have_rate)
		return fail(err, errlen, "-I and --rate both set the publish pace: give one");
	if (check_tls(o, err, errlen) < 0)
		return -EINVAL;
	int r = parse_list(hosts, "-h", o->targets, o->target_name, BENCH_MAX_TARGETS, &o->ntargets,
			   o->port, false, err, errlen);
	if (r < 0)
		return r;
	if (ifaddrs) {
		r = parse_list(ifaddrs, "--ifaddr", o->ifaddrs, NULL, BENCH_MAX_IFADDRS,
			       &o->nifaddrs, 0, true, err, errlen);
		if (r < 0)
			return r;
	}
	if (o->mode == BENCH_RUN && o->pubs + (uint64_t)o->subs == 0)
		return fail(err, errlen, "run needs --pubs or --subs > 0");
	uint32_t npub = o->mode == BENCH_RUN ? o->pubs : o->mode == BENCH_PUB ? o->count : 0;
	if (npub && !o->pub_interval_ns && !o->duration_ns && !o->limit)
		return fail(err, errlen,
			    "-I 0 publishes as fast as the window allows: give --duration or -L");
	if (have_rate && npub) {
		double per = (double)NS_PER_S * npub / o->rate;
		o->pub_interval_ns = per < 1 ? 1 : (uint64_t)per;
	}
	return 0;
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
