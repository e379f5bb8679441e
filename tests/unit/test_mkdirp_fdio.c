/* Unit tests for the one mkdir -p (src/common/mkdirp.c), the one send_all and
 * the one small-file reader (src/common/fdio.c), on a scratch directory and a
 * socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/mkdirp.h"
#include "common/time.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/mqlb-test-mkdirp-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static mode_t mode_of(const char *fmt, const char *a)
{
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof(p), fmt, root, a);
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) ? sb.st_mode & 07777 : 0;
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char p[PATH_MAX];
	mode_t old = umask(022);
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	assert_int_equal(mkdir_p(p, 0700), 0);
	assert_int_equal(mode_of("%s/%s", "a"), 0755);
	assert_int_equal(mode_of("%s/%s", "a/b"), 0755);
	assert_int_equal(mode_of("%s/%s", "a/b/c"), 0700);
	/* again: all there, nothing changes */
	assert_int_equal(mkdir_p(p, 0755), 0);
	assert_int_equal(mode_of("%s/%s", "a/b/c"), 0700);
	/* a file in the way */
	snprintf(p, sizeof(p), "%s/f", root);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/f/x", root);
	assert_int_equal(mkdir_p(p, 0755), -ENOTDIR);
	char big[PATH_MAX + 8];
	memset(big, 'x', sizeof(big) - 1);
	big[0] = '/', big[sizeof(big) - 1] = '\0';
	assert_int_equal(mkdir_p(big, 0755), -ENAMETOOLONG);
	umask(old);
}

static void test_mkdir_parents(void **state)
{
	(void)state;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/p/q/sock", root);
	assert_int_equal(mkdir_parents(p), 0);
	assert_int_not_equal(mode_of("%s/%s", "p/q"), 0);
	assert_int_equal(mode_of("%s/%s", "p/q/sock"), 0); /* not made */
	assert_int_equal(mkdir_parents("noslash"), 0);
	assert_int_equal(access("noslash", F_OK), -1);
}

static void test_send_all(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	static char buf[1 << 20];
	memset(buf, 'm', sizeof(buf));
	/* nobody reads: the buffer fills and the deadline ends it */
	uint64_t t0 = time_mono_ns();
	assert_int_equal(send_all(sv[0], buf, sizeof(buf), t0 + 50 * NS_PER_MS), -ETIMEDOUT);
	assert_true(time_mono_ns() - t0 >= 50 * NS_PER_MS);
	/* drained, a small buffer goes whole */
	char rx[65536];
	while (recv(sv[1], rx, sizeof(rx), MSG_DONTWAIT) > 0)
		;
	assert_int_equal(send_all(sv[0], "hello", 5, time_mono_ns() + NS_PER_S), 0);
	ssize_t n = recv(sv[1], rx, sizeof(rx), 0);
	assert_true(n >= 5);
	assert_memory_equal(rx + n - 5, "hello", 5);
	/* the peer gone: -EPIPE, no SIGPIPE */
	close(sv[1]);
	assert_int_equal(send_all(sv[0], "x", 1, time_mono_ns() + NS_PER_S), -EPIPE);
	close(sv[0]);
	/* poll ignores a negative fd: only the deadline ends the wait */
	assert_int_equal(fd_wait(-1, POLLIN, time_mono_ns() + 10 * NS_PER_MS), -ETIMEDOUT);
}

static void test_read_small_file(void **state)
{
	(void)state;
	char p[PATH_MAX], buf[8];
	snprintf(p, sizeof(p), "%s/small", root);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	/* len - 1 bytes at most, NUL-terminated */
	assert_int_equal(read_small_file(p, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "0123456");
	memcpy(buf, "keep", 5);
	snprintf(p, sizeof(p), "%s/none", root);
	assert_int_equal(read_small_file(p, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "keep");
	assert_int_equal(read_small_file(root, buf, sizeof(buf)), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_mkdir_parents),
	    cmocka_unit_test(test_send_all),
	    cmocka_unit_test(test_read_small_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
