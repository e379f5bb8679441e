/* fdio.h — waiting on one descriptor and sending a whole buffer, both against
 * an exact deadline (time_mono_ns()), for the short blocking-with-deadline
 * exchanges outside the event loop (the MQTT probe); and reading a small file
 * (/proc, /sys, cgroup files) whole. */
#ifndef MQLB_FDIO_H
#define MQLB_FDIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Waits until fd is ready for events (POLLIN, POLLOUT) or the deadline passes
 * (EINTR is retried). Returns 0 when ready (POLLERR/POLLHUP count as ready:
 * the next read or send says what happened), -ETIMEDOUT, or -errno of poll. */
int fd_wait(int fd, short events, uint64_t deadline_ns);

/* Sends buf[0..len) whole on the socket fd (blocking or not) with
 * MSG_NOSIGNAL, waiting for room (fd_wait) when it is full. Returns 0 once all
 * is sent, -ETIMEDOUT when the deadline passed first (part may have gone), or
 * -errno of send (-EPIPE: the peer is gone). */
int send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns);

/* Reads path into buf with one read(2): at most len - 1 bytes (len >= 1),
 * NUL-terminated (what /proc and /sys files give whole). Returns the bytes
 * read, or -errno (open or read; buf is then untouched). */
ssize_t read_small_file(const char *path, char *buf, size_t len);

#endif
