/* sigfd.h — the one way mqlb's event loops take signals: block them in the
 * thread and read them from a signalfd registered on the loop like any other
 * fd (no handler, no flag, nothing async-signal-safe to get wrong). */
#ifndef MQLB_SIGFD_H
#define MQLB_SIGFD_H

#include <stddef.h>

/* Blocks sigs[0..n) in the calling thread (threads started afterwards inherit
 * the mask) and returns a non-blocking, close-on-exec signalfd for them, or
 * -errno. SIGPIPE is ignored as well: sockets report EPIPE instead. */
int sigfd_open(const int *sigs, size_t n);

/* Reads one pending signal from fd: its number, 0 when none is pending, or
 * -errno. */
int sigfd_read(int fd);

#endif
