/* host.c — SSH hosts of the lab (see host.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/run.h"
#include "lab/spawn.h"

static struct lab_host hosts[LAB_MAX_SSH_HOSTS];
static int n_hosts;
static char ssh_config[300];
static char remote_mqlb[300] = "mqlb";

int lab_host_add(const char *name, const char *dest, const char *addr)
{
	if (lab_host_find(name))
		return -EEXIST;
	if (n_hosts == LAB_MAX_SSH_HOSTS)
		return -ENOSPC;
	struct lab_host *h = &hosts[n_hosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->dest, sizeof(h->dest), "%s", dest);
	snprintf(h->addr, sizeof(h->addr), "%s", addr);
	return 0;
}

struct lab_host *lab_host_find(const char *name)
{
	for (int i = 0; name && i < n_hosts; i++)
		if (strcmp(hosts[i].name, name) == 0)
			return &hosts[i];
	return NULL;
}

struct lab_host *lab_host_at(int i)
{
	return i >= 0 && i < n_hosts ? &hosts[i] : NULL;
}

int lab_host_count(void)
{
	return n_hosts;
}

void lab_ssh_config(const char *config, const char *mqlb)
{
	snprintf(ssh_config, sizeof(ssh_config), "%s", config ? config : "");
	snprintf(remote_mqlb, sizeof(remote_mqlb), "%s", mqlb ? mqlb : "mqlb");
}

const char *lab_ssh_mqlb(void)
{
	return remote_mqlb;
}

int lab_sh_quote(char *buf, size_t len, const char *s)
{
	size_t at = strlen(buf);
	if (at + 3 > len)
		return -E2BIG;
	buf[at++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t k = piece ? 4 : 1;
		if (at + k + 2 > len)
			return -E2BIG;
		if (piece)
			memcpy(buf + at, piece, k);
		else
			buf[at] = *s;
		at += k;
	}
	buf[at++] = '\'';
	buf[at] = '\0';
	return 0;
}

static int append(char *buf, size_t len, const char *s)
{
	size_t at = strlen(buf), k = strlen(s);
	if (at + k + 1 > len)
		return -E2BIG;
	memcpy(buf + at, s, k + 1);
	return 0;
}

/* The remote command text: the pid record, then argv quoted (LAB_SELF = the
 * hosts' mqlb). */
static int remote_text(struct lab_ssh_cmd *c, const struct lab_host *h, char *const argv[],
		       const char *sh_cmd, unsigned seq)
{
	char *b = c->cmd;
	size_t len = sizeof(c->cmd);
	b[0] = '\0';
	if (seq && h->rdir[0]) {
		char rec[300];
		snprintf(rec, sizeof(rec), "%s/pid.%u", h->rdir, seq);
		if (append(b, len, "echo $$ >") || lab_sh_quote(b, len, rec) ||
		    append(b, len, " && exec "))
			return -E2BIG;
	}
	if (sh_cmd)
		return append(b, len, sh_cmd);
	for (int i = 0; argv[i]; i++) {
		const char *a = i == 0 && strcmp(argv[0], LAB_SELF) == 0 ? remote_mqlb : argv[i];
		if ((i && append(b, len, " ")) || lab_sh_quote(b, len, a))
			return -E2BIG;
	}
	return 0;
}

int lab_ssh_build(struct lab_ssh_cmd *c, const struct lab_host *h, char *const argv[],
		  const char *sh_cmd, unsigned pidfile_seq)
{
	char state[PATH_MAX];
	int n = 0;
	if (remote_text(c, h, argv, sh_cmd, pidfile_seq) < 0)
		return -E2BIG;
	lab_state_dir(state, sizeof(state));
	/* %C: a hash of the destination, so the path fits a socket's 108 bytes */
	snprintf(c->cpath, sizeof(c->cpath), "ControlPath=%s/ssh-%%C", state);
	c->argv[n++] = "ssh";
	c->argv[n++] = "-T";
	if (ssh_config[0]) {
		snprintf(c->config, sizeof(c->config), "%s", ssh_config);
		c->argv[n++] = "-F";
		c->argv[n++] = c->config;
	}
	static char *const opts[] = {"BatchMode=yes",	      "ControlMaster=auto",
				     "ControlPersist=120",    "ConnectTimeout=10",
				     "ServerAliveInterval=5", "ServerAliveCountMax=4"};
	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		c->argv[n++] = "-o";
		c->argv[n++] = opts[i];
	}
	c->argv[n++] = "-o";
	c->argv[n++] = c->cpath;
	c->argv[n++] = (char *)h->dest;
	c->argv[n++] = c->cmd;
	c->argv[n] = NULL;
	return 0;
}

/* Runs shell text on h to completion (not cut short by Ctrl-C), stdout to
 * out (NULL = /dev/null), stderr to err. */
static int run_sh(const struct lab_host *h, const char *text, const char *out, const char *err,
		  uint64_t timeout_ns)
{
	struct lab_ssh_cmd c;
	if (lab_ssh_build(&c, h, NULL, text, 0) < 0)
		return -E2BIG;
	return lab_run_cmd_always(NULL, c.argv, out, err, timeout_ns);
}

int lab_host_open(struct lab_host *h, const char *log)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s.mktemp", log);
	unlink(out);
	int r =
	    run_sh(h, "d=$(mktemp -d /tmp/mqlb-lab.XXXXXXXX) && chmod 755 \"$d\" && echo \"$d\"",
		   out, log, 30 * NS_PER_S);
	h->master = 1; /* ControlPersist may have started one even on failure */
	FILE *f = fopen(out, "r");
	char line[256] = "";
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	unlink(out);
	line[strcspn(line, "\n")] = '\0';
	if (r != 0)
		return r < 0 ? r : -r;
	if (strncmp(line, "/tmp/mqlb-lab.", 14) != 0 || strpbrk(line, "'\\ ")) {
		log_error("lab: host %s (%s): mktemp gave '%s'", h->name, h->dest, line);
		return -EIO;
	}
	snprintf(h->rdir, sizeof(h->rdir), "%s", line);
	return 0;
}

void lab_host_close(struct lab_host *h, int nft_tables)
{
	char text[700] = "";
	if (h->rdir[0]) {
		append(text, sizeof(text), "rm -rf -- ");
		lab_sh_quote(text, sizeof(text), h->rdir);
		append(text, sizeof(text), "; ");
	}
	if (nft_tables) /* absent (the director removed its own): fine */
		append(text, sizeof(text),
		       "nft delete table ip mqlb-lab-d1 2>/dev/null; "
		       "nft delete table ip mqlb-lab-d2 2>/dev/null; ");
	append(text, sizeof(text), "true");
	if (h->master && run_sh(h, text, NULL, NULL, 30 * NS_PER_S) != 0)
		log_warn("lab: cleanup on host %s (%s) failed", h->name, h->dest);
	h->rdir[0] = '\0';
	if (!h->master)
		return;
	struct lab_ssh_cmd c;
	if (lab_ssh_build(&c, h, NULL, "true", 0) == 0) {
		/* ssh -O exit <dest>: the same options, the control command instead */
		int n = 0;
		while (c.argv[n])
			n++;
		c.argv[n - 1] = NULL; /* no remote command */
		char *argv[32];
		int k = 0;
		for (int i = 0; c.argv[i]; i++) {
			argv[k++] = c.argv[i];
			if (i == 0) {
				argv[k++] = "-O";
				argv[k++] = "exit";
			}
		}
		argv[k] = NULL;
		lab_run_cmd_always(NULL, argv, NULL, NULL, 10 * NS_PER_S);
	}
	h->master = 0;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "INT";
	case SIGKILL:
		return "KILL";
	case SIGSTOP:
		return "STOP";
	case SIGCONT:
		return "CONT";
	case SIGHUP:
		return "HUP";
	default:
		return "TERM";
	}
}

int lab_host_signal(const struct lab_host *h, unsigned seq, int sig)
{
	char text[600], rec[300];
	snprintf(rec, sizeof(rec), "%s/pid.%u", h->rdir, seq);
	snprintf(text, sizeof(text), "p=$(cat ");
	lab_sh_quote(text, sizeof(text), rec);
	append(text, sizeof(text), " 2>/dev/null) && kill -s ");
	append(text, sizeof(text), sig_name(sig));
	append(text, sizeof(text), " -- \"-$p\" 2>/dev/null");
	return run_sh(h, text, NULL, NULL, 15 * NS_PER_S);
}

void lab_host_path(const struct lab_host *h, const char *rsub, const char *name, char *buf,
		   size_t len)
{
	int sub = rsub && *rsub, nm = name && *name;
	snprintf(buf, len, "%s%s%s%s%s", h->rdir, sub ? "/" : "", sub ? rsub : "", nm ? "/" : "",
		 nm ? name : "");
}

int lab_host_fetch(const struct lab_host *h, const char *rsub, const char *const names[],
		   const char *ldir)
{
	char text[2048] = "cd ", dir[600], tar[PATH_MAX];
	lab_host_path(h, rsub, "", dir, sizeof(dir));
	if (lab_sh_quote(text, sizeof(text), dir) ||
	    append(text, sizeof(text), " && tar -cf - -T /dev/null"))
		return -E2BIG;
	for (int i = 0; names[i]; i++) /* only what exists: tar would fail on the rest */
		if (append(text, sizeof(text), " $(ls -d ") ||
		    lab_sh_quote(text, sizeof(text), names[i]) ||
		    append(text, sizeof(text), " 2>/dev/null)"))
			return -E2BIG;
	snprintf(tar, sizeof(tar), "%s/.fetch-%s.tar", ldir, h->name);
	unlink(tar);
	int r = run_sh(h, text, tar, NULL, 120 * NS_PER_S);
	if (r != 0) {
		log_error("lab: copying %s from host %s (%s) failed (%d)", dir, h->name, h->dest,
			  r);
		unlink(tar);
		return r < 0 ? r : -EIO;
	}
	char *const x[] = {"tar", "-C", (char *)ldir, "-xf", tar, NULL};
	r = lab_run_cmd_always(NULL, x, NULL, NULL, 60 * NS_PER_S);
	unlink(tar);
	if (r != 0)
		log_error("lab: unpacking the files of host %s into %s failed", h->name, ldir);
	return r == 0 ? 0 : -EIO;
}
