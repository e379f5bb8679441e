/* Unit tests for the one /proc/PID/stat reader (src/common/proc.c) on real
 * processes: this one (with a command name holding ") (" and spaces, which a
 * parser that splits at the first ')' misreads), a zombie child, and a pid
 * that has been reaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/proc.h"

static void test_self(void **state)
{
	(void)state;
	struct proc_stat a, b;
	char old[17] = "";
	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, "x) (y z) 9 9 9");
	assert_int_equal(proc_stat_read(getpid(), &a), 0);
	assert_int_equal(a.state, 'R');
	assert_true(a.start_time > 0);
	/* spend CPU: utime + stime grow, the start time does not */
	volatile unsigned long x = 0;
	for (clock_t end = clock() + CLOCKS_PER_SEC / 20; clock() < end;)
		x++;
	assert_int_equal(proc_stat_read(getpid(), &b), 0);
	prctl(PR_SET_NAME, old);
	assert_true(b.utime + b.stime > a.utime + a.stime);
	assert_true(b.start_time == a.start_time);
	assert_true(proc_start_time(getpid()) == a.start_time);
}

static void test_zombie_and_gone(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	struct proc_stat ps = {0};
	for (int i = 0; i < 200; i++) { /* until the child has exited */
		assert_int_equal(proc_stat_read(pid, &ps), 0);
		if (ps.state == 'Z')
			break;
		usleep(5000);
	}
	assert_int_equal(ps.state, 'Z');
	assert_true(proc_start_time(pid) == 0); /* a zombie does not run */
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(proc_stat_read(pid, &ps), -ESRCH);
	assert_true(proc_start_time(pid) == 0);
	assert_true(proc_start_time(0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_zombie_and_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
