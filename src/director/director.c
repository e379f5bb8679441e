/* director.c — `mqlb director run|status|set`: the controller. `run` validates
 * everything, programs the dataplane, then stays in the foreground: health
 * checks (health.c), weights, periodic stats, the control socket (control.c,
 * protocol in director.h). SIGINT/SIGTERM: the dataplane removes exactly what
 * it created, exit 0. `status` and `set` are clients of the control socket. */
#include "director/director.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/sigfd.h"
#include "common/time.h"
#include "director/ha.h"
#include "director/health.h"
#include "event/event.h"

#define STATS_PERIOD_MS 1000

/* ---- request handling (controller thread, lock held) ---- */

static void handle_set(struct director *d, char *args, FILE *out)
{
	char *save = NULL;
	char *addr = strtok_r(args, " \t", &save);
	char *what = strtok_r(NULL, " \t", &save);
	char *val = strtok_r(NULL, " \t", &save);
	struct sockaddr_storage a;
	char as[ADDR_STRLEN];
	uint64_t w = 0;
	int i;
	if (!addr || !what || addr_parse(addr, 0, &a) != 0) {
		fprintf(out, "error: usage: set ADDR:PORT weight N|drain|enable\n");
		return;
	}
	if ((i = director_backend_find(d, &a)) < 0) {
		fprintf(out, "error: no backend %s in this director\n", addr);
		return;
	}
	struct director_backend *b = &d->backends[i];
	addr_format(&b->addr, as, sizeof(as));
	if (strcmp(what, "weight") == 0) {
		if (!val || parse_u64(val, 0, DIRECTOR_WEIGHT_MAX, &w) != 0) {
			fprintf(out, "error: invalid weight '%s' (0-%u)\n", val ? val : "",
				DIRECTOR_WEIGHT_MAX);
			return;
		}
		log_info("backend %s: weight %u -> %u (set by control socket)", as, b->weight,
			 (unsigned)w);
		b->weight = (unsigned)w;
	} else if (strcmp(what, "drain") == 0 && !val) {
		log_info("backend %s: drained (no new connections; set by control socket)", as);
		b->drained = 1;
	} else if (strcmp(what, "enable") == 0 && !val) {
		log_info("backend %s: enabled (set by control socket)", as);
		b->drained = 0;
	} else {
		fprintf(out, "error: usage: set ADDR:PORT weight N|drain|enable\n");
		return;
	}
	director_weights_refresh(d);
	int rc = d->dp->update(d);
	if (rc < 0) {
		fprintf(out, "error: dataplane update failed: %s\n", strerror(-rc));
		return;
	}
	fprintf(out, "ok\n");
}

/* Re-resolves the backends given by name and applies what moved (SIGHUP and
 * the "reload" request). Lock held. Returns how many moved, or -errno. */
static int reload(struct director *d)
{
	unsigned moved = director_resolve(d);
	int rc = moved ? d->dp->update(d) : 0;
	if (rc < 0)
		log_error("dataplane update after reload failed: %s", strerror(-rc));
	return rc < 0 ? rc : (int)moved;
}

/* The "drain" request: the whole director drains, the controller serves on. */
static void handle_drain(struct director *d, FILE *out)
{
	int rc = d->dp->drain_start ? d->dp->drain_start(d) : -EOPNOTSUPP;
	if (rc == -EALREADY)
		fprintf(out, "ok already draining\n");
	else if (rc == -EOPNOTSUPP)
		fprintf(out, "error: this director cannot drain (the proxy dataplane does; "
			     "nft, ipvs: set each backend --drain)\n");
	else if (rc < 0)
		fprintf(out, "error: drain: %s\n", strerror(-rc));
	else
		fprintf(out, "ok draining\n");
}

void director_control_handle(struct director *d, const char *line, FILE *out)
{
	char buf[DIRECTOR_CTL_LINE_MAX];
	snprintf(buf, sizeof(buf), "%s", line);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (strcmp(buf, "status") == 0) {
		d->dp->stats(d);
		director_status_json(d, out);
	} else if (strcmp(buf, "table") == 0 || strcmp(buf, "table stats") == 0) {
		d->dp->stats(d);
		director_status_table(d, out, strcmp(buf, "table stats") == 0);
	} else if (strncmp(buf, "set ", 4) == 0) {
		handle_set(d, buf + 4, out);
	} else if (strcmp(buf, "drain") == 0) {
		handle_drain(d, out);
	} else if (strcmp(buf, "reload") == 0) {
		int rc = reload(d);
		if (rc < 0)
			fprintf(out, "error: dataplane update failed: %s\n", strerror(-rc));
		else
			fprintf(out, "ok %d backend%s moved\n", rc, rc == 1 ? "" : "s");
	} else if (strcmp(buf, "ping") == 0) {
		fprintf(out, "pong\n"); /* `director check`: the controller is alive */
	} else if (strcmp(buf, "help") == 0) {
		fprintf(
		    out,
		    "status | table [stats] | set ADDR:PORT weight N|drain|enable | drain | reload "
		    "| ping | help\n");
	} else {
		fprintf(out, "error: unknown request '%.40s' (try 'help')\n", buf);
	}
}

/* ---- run ---- */

struct controller {
	struct director d;
	pthread_mutex_t lock;
	struct director_health health;
	int listen_fd, sig_fd, notify[2];
	struct event_loop *el;
	struct event_timer stats;
	struct event_timer drain_poll; /* stopping after a drain: is it over? */
	uint64_t drain_end;	       /* ... stop anyway then */
};

#define DRAIN_POLL_NS (100ULL * NS_PER_MS)

/* A SIGTERM drain: the loop (and so the control socket) runs until the
 * dataplane says the drain is over, or its time + 3 s has passed. */
static void on_drain_poll(struct event_loop *el, void *ctx)
{
	struct controller *c = ctx;
	pthread_mutex_lock(&c->lock);
	int done = c->d.dp->drain_finished(&c->d);
	pthread_mutex_unlock(&c->lock);
	if (done || event_loop_now(el) >= c->drain_end) {
		event_loop_stop(el);
		return;
	}
	event_timer_arm(el, &c->drain_poll, event_loop_now(el) + DRAIN_POLL_NS);
}

/* SIGTERM/SIGINT. With a drain to do, it starts here and the controller
 * serves status while it runs; a second signal stops at once. Returns 1 when
 * the loop goes on. */
static int stop_draining(struct controller *c, struct event_loop *el)
{
	if (c->drain_end || !c->d.dp->drain_start || !director_edge.drain_ns)
		return 0;
	pthread_mutex_lock(&c->lock);
	int rc = c->d.dp->drain_start(&c->d);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0 && rc != -EALREADY)
		return 0;
	c->drain_end = event_loop_now(el) + director_edge.drain_ns + 3 * NS_PER_S;
	event_timer_init(&c->drain_poll, on_drain_poll, c);
	event_timer_arm(el, &c->drain_poll, event_loop_now(el) + DRAIN_POLL_NS);
	log_info("draining before stopping (status still answers; a second signal stops now)");
	return 1;
}

/* The control server's handler: one request under the controller's lock. */
static void handle_locked(void *ctx, const char *line, FILE *out)
{
	struct controller *c = ctx;
	pthread_mutex_lock(&c->lock);
	director_control_handle(&c->d, line, out);
	pthread_mutex_unlock(&c->lock);
}

static void on_signal(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	int sig = sigfd_read(fd);
	if (sig <= 0)
		return;
	if (sig == SIGHUP) {
		/* the reload signal of every daemon: it must never stop the director
		 * (systemctl reload, logrotate). The proxy re-reads its certificate,
		 * key and CA files when they change, within a second; backends given
		 * by name are resolved again here; flags are not re-read. */
		struct controller *c = ctx;
		log_info("signal %s: resolving backend names again (certificates are re-read "
			 "when their files change); still serving",
			 strsignal(sig));
		pthread_mutex_lock(&c->lock);
		reload(&c->d);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	log_info("signal %s: stopping", strsignal(sig));
	if (stop_draining(ctx, el))
		return;
	event_loop_stop(el);
}

/* The health checker changed an effective weight: apply it. */
static void on_notify(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct controller *c = ctx;
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&c->lock);
	int rc = c->d.dp->update(&c->d);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		log_error("dataplane update failed: %s", strerror(-rc));
}

static void on_stats(struct event_loop *el, void *ctx)
{
	struct controller *c = ctx;
	pthread_mutex_lock(&c->lock);
	c->d.dp->stats(&c->d);
	pthread_mutex_unlock(&c->lock);
	event_timer_arm(el, &c->stats, event_loop_now(el) + STATS_PERIOD_MS * NS_PER_MS);
}

/* The controller's loop (src/event, made by cmd_run before the dataplane
 * starts: the proxy's --peers exchange is on it too): signals, health
 * wake-ups, the stats timer and the control socket, none of which can stall
 * the others. */
static int loop(struct controller *c)
{
	struct director_control_server *srv = NULL;
	int rc;
	event_timer_init(&c->stats, on_stats, c);
	if ((rc = event_add(c->el, c->sig_fd, EVENT_READ, on_signal, c)) < 0 ||
	    (rc = event_add(c->el, c->notify[0], EVENT_READ, on_notify, c)) < 0 ||
	    (rc = director_control_serve(&srv, c->el, c->listen_fd, handle_locked, c)) < 0 ||
	    (rc = event_timer_arm(c->el, &c->stats, time_mono_ns() + STATS_PERIOD_MS * NS_PER_MS)) <
		0)
		goto out;
	c->d.ctl_stats = director_control_stats(srv);
	rc = event_loop_run(c->el);
	c->d.ctl_stats = NULL;
out:
	if (rc < 0)
		log_error("controller loop: %s", strerror(-rc));
	director_control_server_free(srv);
	return rc;
}

/* The controller's descriptors, before the dataplane starts: signals to the
 * signalfd only (blocked in every thread we start; the old mask in *old), the
 * health checker's wake-up pipe, the control socket and the event loop.
 * Returns 0, or -1 after a log line. */
static int run_setup(struct controller *c, sigset_t *old)
{
	char err[256];
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, old);
	signal(SIGPIPE, SIG_IGN);
	c->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (c->sig_fd == -1 || pipe2(c->notify, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_error("signalfd/pipe: %s", strerror(errno));
		return -1;
	}
	c->listen_fd = director_control_listen(c->d.cfg.control_path, err, sizeof(err));
	if (c->listen_fd < 0) {
		log_error("%s", err);
		return -1;
	}
	if (!(c->el = c->d.el = event_loop_new(16))) {
		log_error("event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The dataplane, then the health checker. *started is set once the dataplane
 * is up (so that it is stopped). Returns 0, or -1 after a log line. */
static int run_start(struct controller *c, int *started)
{
	static const char *const modes[] = {"local", "nat", "dr"};
	const struct dataplane *dp = c->d.dp;
	char err[256] = "", a[ADDR_STRLEN];
	int rc = dp->start(&c->d, err, sizeof(err));
	if (rc < 0) {
		log_error("dataplane %s: %s", dp->name, err[0] ? err : strerror(-rc));
		return -1;
	}
	*started = 1;
	log_info("%s dataplane up: %s, scheduler %s, mode %s, %u backend%s, control %s", dp->name,
		 addr_format(&c->d.cfg.listen, a, sizeof(a)), c->d.cfg.scheduler,
		 modes[c->d.cfg.mode], c->d.n_backends, c->d.n_backends == 1 ? "" : "s",
		 c->d.cfg.control_path);
	rc = director_health_start(&c->health, &c->d, &c->lock, c->notify[1]);
	if (rc < 0) {
		log_error("health checker: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* Undoes run_setup and run_start, whatever part of them was done. */
static void run_teardown(struct controller *c, int started, const sigset_t *old)
{
	director_health_stop(&c->health);
	if (started) {
		c->d.dp->stop(&c->d);
		log_info("dataplane %s stopped, its rules removed", c->d.dp->name);
	}
	event_loop_free(c->el); /* after stop: the dataplane's fds were on it */
	c->el = c->d.el = NULL;
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->d.cfg.control_path);
	}
	if (c->sig_fd >= 0)
		close(c->sig_fd);
	if (c->notify[0] >= 0) {
		close(c->notify[0]);
		close(c->notify[1]);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int cmd_run(int argc, char **argv)
{
	static struct controller c; /* big (64 backends); lives for the whole run */
	static char path[108], prefix[64];
	const struct dataplane *dp = NULL;
	char err[256] = "";
	sigset_t old;
	int rc, ret = CLI_FAIL, started = 0;

	memset(&c, 0, sizeof(c));
	c.listen_fd = c.sig_fd = c.notify[0] = c.notify[1] = -1;
	rc = director_run_parse(argc, argv, &c.d, &dp, path, sizeof(path));
	if (rc == 1)
		return CLI_OK;
	if (rc != 0)
		return rc;
	c.d.dp = dp;
	rc = dp->check(&c.d, err, sizeof(err));
	if (rc == -EPERM) {
		fprintf(stderr, "mqlb: director: %s\n", err);
		return CLI_FAIL;
	}
	if (rc < 0)
		return cli_usage_error("director run", "%s", err);

	snprintf(prefix, sizeof(prefix), "mqlb director[%s]", c.d.cfg.name);
	log_set_prefix(prefix);
	pthread_mutex_init(&c.lock, NULL);
	if (run_setup(&c, &old) == 0 && run_start(&c, &started) == 0)
		ret = loop(&c) < 0 ? CLI_FAIL : CLI_OK;
	run_teardown(&c, started, &old);
	pthread_mutex_destroy(&c.lock);
	log_set_prefix("mqlb");
	return ret;
}

/* ---- status / set (clients) ---- */

/* Resolves --control / --name into path. Returns 0 or CLI_USAGE. */
static int pick_path(const char *cmd, const char *control, const char *name, char *path, size_t len)
{
	if (control && name)
		return cli_usage_error(cmd, "give --control or --name, not both");
	if (control) {
		if (strlen(control) == 0 || strlen(control) >= len)
			return cli_usage_error(cmd, "invalid --control '%s'", control);
		snprintf(path, len, "%s", control);
		return 0;
	}
	if (!name)
		name = DIRECTOR_DEFAULT_NAME;
	if (!director_name_valid(name))
		return cli_usage_error(cmd, "invalid --name '%s'", name);
	if (director_control_default_path(name, path, len) != 0)
		return cli_usage_error(cmd, "control socket path too long; use --control");
	return 0;
}

static int request(const char *path, const char *line, FILE *out)
{
	int rc = director_control_request(path, line, out);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		fprintf(stderr,
			"mqlb: no director is running at %s (%s); start one with 'mqlb director "
			"run', or name a running one with --name or --control\n",
			path, strerror(-rc));
		return CLI_FAIL;
	}
	if (rc == -ETIMEDOUT) {
		fprintf(stderr,
			"mqlb: the director at %s did not answer within %.0f s (stuck? see its "
			"log)\n",
			path, (double)DIRECTOR_CTL_TIMEOUT_NS / 1e9);
		return CLI_FAIL;
	}
	if (rc == -EACCES) {
		fprintf(stderr,
			"mqlb: control socket %s: %s (it is mode 0600: run as the "
			"director's user, e.g. root)\n",
			path, strerror(-rc));
		return CLI_FAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "mqlb: control socket %s: %s\n", path, strerror(-rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* ---- status / set flags (common/opt.h tables) ---- */

/* What status and set take; one struct for both (they share --control/--name). */
struct ctl_args {
	const char *control, *name, *backend;
	int json, stats, drain, enable, reload, have_w, actions;
	uint64_t w;
};

static int take_control(void *ctx, const char *cmd, const char *v)
{
	((struct ctl_args *)ctx)->control = v;
	return 0;
}

static int take_name(void *ctx, const char *cmd, const char *v)
{
	((struct ctl_args *)ctx)->name = v;
	return 0;
}

static int take_json(void *ctx, const char *cmd, const char *v)
{
	((struct ctl_args *)ctx)->json = 1;
	return 0;
}

static int take_stats(void *ctx, const char *cmd, const char *v)
{
	((struct ctl_args *)ctx)->stats = 1;
	return 0;
}

static int take_backend(void *ctx, const char *cmd, const char *v)
{
	((struct ctl_args *)ctx)->backend = v;
	return 0;
}

static int take_weight(void *ctx, const char *cmd, const char *v)
{
	struct ctl_args *a = ctx;
	if (parse_u64(v, 0, DIRECTOR_WEIGHT_MAX, &a->w) != 0)
		return cli_usage_error(cmd, "invalid --weight '%s' (0-%u)", v, DIRECTOR_WEIGHT_MAX);
	a->have_w = 1;
	a->actions++;
	return 0;
}

static int take_drain(void *ctx, const char *cmd, const char *v)
{
	struct ctl_args *a = ctx;
	a->drain = 1;
	a->actions++;
	return 0;
}

static int take_enable(void *ctx, const char *cmd, const char *v)
{
	struct ctl_args *a = ctx;
	a->enable = 1;
	a->actions++;
	return 0;
}

static int take_reload(void *ctx, const char *cmd, const char *v)
{
	struct ctl_args *a = ctx;
	a->reload = 1;
	a->actions++;
	return 0;
}

static const struct opt o_json = {"json", NULL, "one JSON object (keys: mqlb-director(1))",
				  take_json};
static const struct opt o_stats = {"stats", NULL, "counters instead of weights", take_stats};
static const struct opt o_control = {"control", "PATH", "the director's control socket",
				     take_control};
static const struct opt o_name = {
    "name", "NAME", "the director's instance name (default '" DIRECTOR_DEFAULT_NAME "')",
    take_name};
static const struct opt o_backend = {"backend", "ADDR:PORT", "the backend to change", take_backend};
static const struct opt o_weight = {"weight", "W", "its weight (0 = no new connections)",
				    take_weight};
static const struct opt o_drain = {"drain", NULL,
				   "weight 0 until --enable (configured weight kept); without\n"
				   "--backend: drain the whole director (proxy: over its\n"
				   "--drain-time, default 30s)",
				   take_drain};
static const struct opt o_enable = {"enable", NULL, "back to its configured weight", take_enable};
static const struct opt o_reload = {"reload", NULL, "resolve the backends' host names again",
				    take_reload};
static const struct opt *const status_opts[] = {&o_json, &o_stats, &o_control, &o_name, NULL};
static const struct opt *const set_opts[] = {&o_backend, &o_weight,  &o_drain, &o_enable,
					     &o_reload,	 &o_control, &o_name,  NULL};
static const struct opt_cmd ctl_cmds[] = {
    {"director status", "[--json] [--stats] [--control PATH | --name NAME]",
     "Asks a running director (default name '" DIRECTOR_DEFAULT_NAME "') for its state: an\n"
     "ipvsadm -Ln like table (--stats: connections, packets, bytes per\n"
     "backend), or JSON with --json.",
     status_opts, 0, NULL, NULL, NULL},
    {"director set",
     "[--control PATH | --name NAME] --backend ADDR:PORT\n"
     "                         (--weight W | --drain | --enable)\n"
     "       mqlb director set [--control PATH | --name NAME] --reload | --drain",
     "Changes one backend of a running director: --weight W (0-65535; 0 = no\n"
     "new connections), --drain (weight 0 until --enable, configured weight\n"
     "kept), --enable. Existing connections are never cut.\n"
     "--reload resolves the backends given by host name again (as SIGHUP):\n"
     "one whose name no longer resolves keeps its address.\n"
     "--drain without --backend drains the whole director (proxy): no new\n"
     "connections, the open ones closed spread over its --drain-time (30s\n"
     "when it has none); status answers meanwhile (proxy.drain).",
     set_opts, 0, NULL, NULL, NULL},
};

static int cmd_status(int argc, char **argv)
{
	struct ctl_args a = {0};
	char path[108];
	unsigned nargs;
	int c = opt_parse(&ctl_cmds[0], ctl_cmds, 2, &a, argc, argv, NULL, &nargs);
	if (c == OPT_HELP_SHOWN)
		return CLI_OK;
	if (c != 0)
		return c;
	if ((c = pick_path("director status", a.control, a.name, path, sizeof(path))) != 0)
		return c;
	return request(path, a.json ? "status" : a.stats ? "table stats" : "table", stdout);
}

static int cmd_set(int argc, char **argv)
{
	const char *cmd = "director set";
	struct ctl_args ca = {0};
	char path[108], line[DIRECTOR_CTL_LINE_MAX], a[ADDR_STRLEN], err[320];
	struct sockaddr_storage ss;
	unsigned nargs;
	int c = opt_parse(&ctl_cmds[1], ctl_cmds, 2, &ca, argc, argv, NULL, &nargs);
	if (c == OPT_HELP_SHOWN)
		return CLI_OK;
	if (c != 0)
		return c;
	const char *control = ca.control, *name = ca.name, *backend = ca.backend;
	int actions = ca.actions, drain = ca.drain, enable = ca.enable, have_w = ca.have_w,
	    reload_req = ca.reload;
	uint64_t w = ca.w;
	if (reload_req && (backend || actions != 1))
		return cli_usage_error(cmd, "--reload goes alone (no --backend, --weight, --drain, "
					    "--enable)");
	int whole = drain && !backend && actions == 1; /* the director itself drains */
	if (!backend && !reload_req && !whole)
		return cli_usage_error(cmd, "--backend ADDR:PORT is required");
	if (backend && addr_parse_err(backend, 0, &ss, err, sizeof(err)) != 0)
		return cli_usage_error(cmd, "--backend: %s (want ADDR:PORT)", err);
	if (actions != 1)
		return cli_usage_error(cmd, "give exactly one of --weight W, --drain, --enable");
	if ((c = pick_path(cmd, control, name, path, sizeof(path))) != 0)
		return c;
	if (backend)
		addr_format(&ss, a, sizeof(a));
	if (reload_req || whole)
		snprintf(line, sizeof(line), whole ? "drain" : "reload");
	else if (have_w)
		snprintf(line, sizeof(line), "set %s weight %u", a, (unsigned)w);
	else
		snprintf(line, sizeof(line), "set %s %s", a,
			 drain	  ? "drain"
			 : enable ? "enable"
				  : "");

	char *reply = NULL;
	size_t reply_len = 0;
	FILE *out = open_memstream(&reply, &reply_len);
	if (!out)
		return CLI_FAIL;
	int rc = request(path, line, out);
	fclose(out);
	if (rc == CLI_OK && strncmp(reply, "ok", 2) != 0) {
		fprintf(stderr, "mqlb: director: %s", reply_len ? reply : "no answer\n");
		rc = CLI_FAIL;
	} else if (rc == CLI_OK && (reload_req || whole)) {
		fputs(reply, stdout); /* "ok N backends moved", "ok draining" */
	}
	free(reply);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mqlb director <run|status|set|check|ha> [options]\n"
		   "\n"
		   "  run      program a dataplane (nft, ipvs, proxy) and control it in the\n"
		   "           foreground: health checks, weights, stats, control socket\n"
		   "  status   table (ipvsadm -Ln like) or --json of a running director\n"
		   "  set      change a backend's weight, drain or enable it\n"
		   "  check    exit 0 when a director answers on its control socket\n"
		   "  ha       keepalived for an HA pair of directors: render, notify\n"
		   "\n"
		   "  mqlb director <sub> --help   options of one subcommand\n");
}

int cmd_director(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return cmd_set(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return director_check_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "ha") == 0)
		return director_ha_main(argc - 1, argv + 1);
	return cli_usage_error("director", "unknown subcommand '%s' (run, status, set, check, ha)",
			       argv[1]);
}
