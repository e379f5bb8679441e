/* inventory.c — the inventory file of `lab run --inventory` (inventory.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "lab/host.h"
#include "lab/inventory.h"
#include "lab/run.h"

static int bad(char *err, size_t len, const char *path, int line, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, len, "inventory %s:%d: %s", path, line, why);
	else
		snprintf(err, len, "inventory %s: %s", path, why);
	return -EINVAL;
}

/* An ssh destination we pass as one argument: no option, no shell or space. */
static int dest_ok(const char *d)
{
	if (!*d || *d == '-' || strlen(d) >= sizeof(((struct lab_host *)0)->dest))
		return 0;
	for (; *d; d++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._:-[]%",
			*d))
			return 0;
	return 1;
}

struct inv {
	char ssh_config[300], mqlb[300];
	int n_dir, n_client, n_brokers;
};

/* One line split into words (w[0..n-1]); applies it. 0 or -EINVAL (err set). */
static int line_apply(struct inv *v, char **w, int n, const char *path, int ln, char *err,
		      size_t len)
{
	if (strcmp(w[0], "ssh-config") == 0 || strcmp(w[0], "mqlb") == 0) {
		if (n != 2 || w[1][0] != '/')
			return bad(err, len, path, ln, "%s wants one absolute PATH", w[0]);
		snprintf(w[0][0] == 's' ? v->ssh_config : v->mqlb, sizeof(v->mqlb), "%s", w[1]);
		return 0;
	}
	int *count = strcmp(w[0], "brokers") == 0    ? &v->n_brokers
		     : strcmp(w[0], "director") == 0 ? &v->n_dir
		     : strcmp(w[0], "client") == 0   ? &v->n_client
						     : NULL;
	if (!count)
		return bad(err, len, path, ln,
			   "unknown role '%s' (brokers, director, client, ssh-config, mqlb)", w[0]);
	if (n != 3)
		return bad(err, len, path, ln, "%s wants DEST ADDRESS", w[0]);
	if (!dest_ok(w[1]))
		return bad(err, len, path, ln, "'%s' is not an ssh destination ([user@]host)",
			   w[1]);
	/* a name is resolved here, once, as every address mqlb takes; the parts
	 * get the literal (the directors' nft rules and the lab's nets are IPv4) */
	struct sockaddr_storage ss;
	char why[160], ip[ADDR_STRLEN];
	if (addr_resolve(w[2], 0, &ss, why, sizeof(why)) != 0)
		return bad(err, len, path, ln, "%s", why);
	if (ss.ss_family != AF_INET)
		return bad(err, len, path, ln, "'%s' is not an IPv4 address or name", w[2]);
	addr_format_host(&ss, ip, sizeof(ip));
	int max = count == &v->n_brokers ? 1 : 2;
	if (*count == max)
		return bad(err, len, path, ln, "more than %d %s line%s", max, w[0],
			   max == 1 ? "" : "s");
	char name[32];
	if (count == &v->n_brokers)
		snprintf(name, sizeof(name), "brokers");
	else
		snprintf(name, sizeof(name), "%s%d", count == &v->n_dir ? "dir" : "client",
			 *count + 1);
	if (lab_host_add(name, w[1], ip) < 0)
		return bad(err, len, path, ln, "too many hosts");
	(*count)++;
	return 0;
}

int lab_inventory_load(const char *path, const char *remote_mqlb, char *err, size_t errlen)
{
	struct inv v;
	memset(&v, 0, sizeof(v));
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "inventory %s: %s", path, strerror(errno));
		return -errno;
	}
	char line[1024];
	int ln = 0, ret = 0;
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = bad(err, errlen, path, ln, "line longer than %zu bytes",
				  sizeof(line) - 2);
			break;
		}
		line[strcspn(line, "#")] = '\0';
		char *w[8], *save = NULL;
		int n = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8;
		     t = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = t;
		if (n)
			ret = line_apply(&v, w, n, path, ln, err, errlen);
	}
	fclose(f);
	if (ret)
		return ret;
	if (v.n_brokers != 1 || v.n_dir != 2 || v.n_client != 2)
		return bad(err, errlen, path, 0,
			   "needs 1 brokers, 2 director and 2 client lines (has %d, %d, %d)",
			   v.n_brokers, v.n_dir, v.n_client);
	lab_ssh_config(v.ssh_config[0] ? v.ssh_config : NULL, remote_mqlb ? remote_mqlb
							      : v.mqlb[0] ? v.mqlb
									  : NULL);
	return 0;
}

void lab_inventory_env(struct lab_env *env)
{
	for (int i = 0; i < LAB_CLIENT_HOSTS; i++) {
		const struct lab_host *h = lab_host_find(i ? "client2" : "client1");
		snprintf(env->client_ns[i], sizeof(env->client_ns[i]), "%s", h->name);
		snprintf(env->client_addr[i], sizeof(env->client_addr[i]), "%s", h->addr);
	}
	for (int i = 0; i < LAB_DIRECTOR_HOSTS; i++) {
		const struct lab_host *h = lab_host_find(i ? "dir2" : "dir1");
		snprintf(env->director_ns[i], sizeof(env->director_ns[i]), "%s", h->name);
		snprintf(env->director_addr[i], sizeof(env->director_addr[i]), "%s", h->addr);
		env->director_back[i][0] = '\0';
	}
	const struct lab_host *b = lab_host_find("brokers");
	snprintf(env->broker_ns, sizeof(env->broker_ns), "%s", b->name);
	snprintf(env->broker_addr, sizeof(env->broker_addr), "%s", b->addr);
	env->vip_port = 1883;
	env->broker_base_port = 1883;
	env->hosts = LAB_HOSTS_SSH;
}
