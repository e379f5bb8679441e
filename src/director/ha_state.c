/* ha_state.c — the VRRP state file (written by keepalived's notify hook, read
 * by the director for status) and the conntrack entry count of this network
 * namespace. */
#include "director/ha.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"

static const char *const states[] = {"MASTER", "BACKUP", "FAULT", "STOP"};

int ha_state_valid(const char *s)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

int ha_state_write(const char *path, const char *state)
{
	char tmp[HA_PATH_MAX + 32], line[16];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(line, sizeof(line), "%s\n", state);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -errno;
	if (write(fd, line, (size_t)n) != n) {
		int e = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return e;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

int ha_state_read(const char *path, char *buf, size_t len)
{
	char raw[32];
	buf[0] = '\0';
	int rc = (int)read_small_file(path, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	raw[strcspn(raw, "\r\n")] = '\0';
	if (!ha_state_valid(raw) || strlen(raw) >= len)
		return -EINVAL;
	memcpy(buf, raw, strlen(raw) + 1);
	return 0;
}

int ha_state_follow_fifo(const char *fifo, const char *state_file)
{
	FILE *f = fopen(fifo, "re"); /* blocks until keepalived opens it to write */
	char line[256], type[16], name[128], state[16];
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %127s %15s", type, name, state) != 3 ||
		    strcmp(type, "INSTANCE") != 0)
			continue;
		if (strcmp(state, "DELETED") == 0) /* instance removed by a reload */
			snprintf(state, sizeof(state), "STOP");
		if (ha_state_valid(state))
			ha_state_write(state_file, state);
	}
	fclose(f);
	return 0;
}

int ha_conntrack_count(uint64_t *out)
{
	/* /proc/sys/net is resolved in the namespace of the process that opens
	 * it: this is the director's own namespace's table. */
	char raw[32], *end;
	int rc =
	    (int)read_small_file("/proc/sys/net/netfilter/nf_conntrack_count", raw, sizeof(raw));
	if (rc < 0)
		return rc;
	errno = 0;
	unsigned long long v = strtoull(raw, &end, 10);
	if (end == raw || errno)
		return -EINVAL;
	*out = v;
	return 0;
}
