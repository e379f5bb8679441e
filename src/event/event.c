/* event.c — epoll loop + min-heap timers (see event.h). */
#include "event/event.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/time.h"

/* One record per fd number, indexed by fd. gen changes on every event_add so a
 * stale epoll report (fd deleted, maybe re-added, by an earlier callback of the
 * same batch) can be recognised and dropped. */
struct event_file {
	event_file_fn fn;
	void *ctx;
	uint32_t gen;
	uint8_t mask;
	uint8_t used;
};

#define EVENT_BATCH 256

struct event_loop {
	int epfd;
	int wakefd;
	atomic_bool stop;
	bool no_pwait2;
	uint64_t now_ns;
	uint32_t gen;
	unsigned nfiles;
	struct event_file *files; /* [cap_files], indexed by fd */
	int cap_files;
	struct event_timer **heap; /* min-heap on when_ns */
	uint32_t nheap, cap_heap;
	event_hook_fn before_wait;
	void *before_wait_ctx;
	struct epoll_event ready[EVENT_BATCH];
};

/* epoll data: low 32 bits fd, high 32 bits generation. The wake fd uses gen 0,
 * which registrations never get. */
static inline uint64_t pack(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

struct event_loop *event_loop_new(int size_hint)
{
	struct event_loop *el = calloc(1, sizeof(*el));
	if (!el)
		return NULL;
	el->epfd = -1;
	el->wakefd = -1;
	if (size_hint < 64)
		size_hint = 64;
	el->files = calloc((size_t)size_hint, sizeof(*el->files));
	if (!el->files)
		goto fail;
	el->cap_files = size_hint;
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (el->epfd == -1)
		goto fail;
	el->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (el->wakefd == -1)
		goto fail;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = pack(el->wakefd, 0)};
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->wakefd, &ev) == -1)
		goto fail;
	el->now_ns = time_mono_ns();
	return el;
fail:;
	int e = errno;
	event_loop_free(el);
	errno = e ? e : ENOMEM;
	return NULL;
}

void event_loop_free(struct event_loop *el)
{
	if (!el)
		return;
	if (el->epfd >= 0)
		close(el->epfd);
	if (el->wakefd >= 0)
		close(el->wakefd);
	for (uint32_t i = 0; i < el->nheap; i++)
		el->heap[i]->heap_idx = EVENT_TIMER_IDLE;
	free(el->heap);
	free(el->files);
	free(el);
}

static uint32_t to_epoll(unsigned mask)
{
	uint32_t e = 0;
	if (mask & EVENT_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (mask & EVENT_WRITE)
		e |= EPOLLOUT;
	return e;
}

static int grow_files(struct event_loop *el, int fd)
{
	int cap = el->cap_files;
	while (cap <= fd)
		cap *= 2;
	struct event_file *f = realloc(el->files, (size_t)cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f + el->cap_files, 0, (size_t)(cap - el->cap_files) * sizeof(*f));
	el->files = f;
	el->cap_files = cap;
	return 0;
}

int event_add(struct event_loop *el, int fd, unsigned mask, event_file_fn fn, void *ctx)
{
	if (fd < 0 || !fn || (mask & ~(EVENT_READ | EVENT_WRITE)))
		return -EINVAL;
	if (fd >= el->cap_files && grow_files(el, fd) < 0)
		return -ENOMEM;
	struct event_file *f = &el->files[fd];
	if (f->used)
		return -EEXIST;
	if (++el->gen == 0) /* 0 is the wake fd's */
		el->gen = 1;
	struct epoll_event ev = {.events = to_epoll(mask), .data.u64 = pack(fd, el->gen)};
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return -errno;
	*f = (struct event_file){
	    .fn = fn, .ctx = ctx, .gen = el->gen, .mask = (uint8_t)mask, .used = 1};
	el->nfiles++;
	return 0;
}

int event_set(struct event_loop *el, int fd, unsigned mask)
{
	if (fd < 0 || fd >= el->cap_files || !el->files[fd].used)
		return -ENOENT;
	if (mask & ~(EVENT_READ | EVENT_WRITE))
		return -EINVAL;
	struct event_file *f = &el->files[fd];
	if (f->mask == mask)
		return 0;
	struct epoll_event ev = {.events = to_epoll(mask), .data.u64 = pack(fd, f->gen)};
	if (epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) == -1)
		return -errno;
	f->mask = (uint8_t)mask;
	return 0;
}

int event_del(struct event_loop *el, int fd)
{
	if (fd < 0 || fd >= el->cap_files || !el->files[fd].used)
		return -ENOENT;
	/* May fail if the caller already closed fd: the kernel dropped it then. */
	epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	el->files[fd] = (struct event_file){0};
	el->nfiles--;
	return 0;
}

int event_mask(const struct event_loop *el, int fd)
{
	if (fd < 0 || fd >= el->cap_files || !el->files[fd].used)
		return -ENOENT;
	return el->files[fd].mask;
}

unsigned event_count(const struct event_loop *el)
{
	return el->nfiles;
}

/* ---- timers: binary min-heap of pointers; each timer knows its index ---- */

void event_timer_init(struct event_timer *t, event_timer_fn fn, void *ctx)
{
	*t = (struct event_timer){.fn = fn, .ctx = ctx, .heap_idx = EVENT_TIMER_IDLE};
}

static void heap_place(struct event_loop *el, uint32_t i, struct event_timer *t)
{
	el->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct event_loop *el, uint32_t i)
{
	struct event_timer *t = el->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (el->heap[p]->when_ns <= t->when_ns)
			break;
		heap_place(el, i, el->heap[p]);
		i = p;
	}
	heap_place(el, i, t);
}

static void heap_down(struct event_loop *el, uint32_t i)
{
	struct event_timer *t = el->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= el->nheap)
			break;
		if (c + 1 < el->nheap && el->heap[c + 1]->when_ns < el->heap[c]->when_ns)
			c++;
		if (t->when_ns <= el->heap[c]->when_ns)
			break;
		heap_place(el, i, el->heap[c]);
		i = c;
	}
	heap_place(el, i, t);
}

static void heap_remove(struct event_loop *el, uint32_t i)
{
	struct event_timer *t = el->heap[i];
	t->heap_idx = EVENT_TIMER_IDLE;
	el->nheap--;
	if (i == el->nheap)
		return;
	struct event_timer *last = el->heap[el->nheap];
	heap_place(el, i, last);
	if (i > 0 && el->heap[(i - 1) / 2]->when_ns > last->when_ns)
		heap_up(el, i);
	else
		heap_down(el, i);
}

int event_timer_arm(struct event_loop *el, struct event_timer *t, uint64_t when_ns)
{
	if (event_timer_armed(t)) {
		uint64_t old = t->when_ns;
		t->when_ns = when_ns;
		if (when_ns < old)
			heap_up(el, t->heap_idx);
		else
			heap_down(el, t->heap_idx);
		return 0;
	}
	if (el->nheap == el->cap_heap) {
		uint32_t cap = el->cap_heap ? el->cap_heap * 2 : 64;
		struct event_timer **h = realloc(el->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		el->heap = h;
		el->cap_heap = cap;
	}
	t->when_ns = when_ns;
	heap_place(el, el->nheap++, t);
	heap_up(el, t->heap_idx);
	return 0;
}

void event_timer_cancel(struct event_loop *el, struct event_timer *t)
{
	if (event_timer_armed(t) && t->heap_idx < el->nheap && el->heap[t->heap_idx] == t)
		heap_remove(el, t->heap_idx);
}

uint64_t event_timer_next(const struct event_loop *el)
{
	return el->nheap ? el->heap[0]->when_ns : UINT64_MAX;
}

/* ---- the loop ---- */

void event_loop_set_before_wait(struct event_loop *el, event_hook_fn fn, void *ctx)
{
	el->before_wait = fn;
	el->before_wait_ctx = ctx;
}

uint64_t event_loop_now(const struct event_loop *el)
{
	return el->now_ns;
}

static int wait_ns(struct event_loop *el, uint64_t timeout_ns)
{
	int n;
	if (!el->no_pwait2) {
		struct timespec ts, *tsp = NULL;
		if (timeout_ns != UINT64_MAX) {
			ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
			ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
			tsp = &ts;
		}
		n = epoll_pwait2(el->epfd, el->ready, EVENT_BATCH, tsp, NULL);
		if (n != -1 || errno != ENOSYS)
			return n;
		el->no_pwait2 = true;
	}
	int ms = -1;
	if (timeout_ns != UINT64_MAX) {
		uint64_t m = (timeout_ns + NS_PER_MS - 1) / NS_PER_MS;
		ms = m > 86400000u ? 86400000 : (int)m;
	}
	return epoll_wait(el->epfd, el->ready, EVENT_BATCH, ms);
}

static int run_timers(struct event_loop *el)
{
	/* Bound one pass by the heap size at the start so a timer that re-arms
	 * itself for "now" cannot keep this loop spinning forever. */
	uint32_t budget = el->nheap;
	int calls = 0;
	while (budget-- > 0 && el->nheap > 0 && el->heap[0]->when_ns <= el->now_ns) {
		struct event_timer *t = el->heap[0];
		heap_remove(el, 0);
		t->fn(el, t->ctx);
		calls++;
	}
	return calls;
}

int event_loop_once(struct event_loop *el, uint64_t timeout_ns)
{
	if (el->before_wait)
		el->before_wait(el, el->before_wait_ctx);
	el->now_ns = time_mono_ns();
	uint64_t next = event_timer_next(el);
	if (next != UINT64_MAX) {
		uint64_t until = next > el->now_ns ? next - el->now_ns : 0;
		if (until < timeout_ns)
			timeout_ns = until;
	}
	if (atomic_load_explicit(&el->stop, memory_order_relaxed))
		timeout_ns = 0;
	int n = wait_ns(el, timeout_ns);
	if (n == -1) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	el->now_ns = time_mono_ns();
	int calls = 0;
	for (int i = 0; i < n; i++) {
		uint64_t data = el->ready[i].data.u64;
		int fd = (int)(uint32_t)data;
		uint32_t gen = (uint32_t)(data >> 32);
		if (gen == 0) {
			uint64_t v;
			while (read(el->wakefd, &v, sizeof(v)) > 0)
				;
			continue;
		}
		/* Re-read state: an earlier callback may have deleted or replaced fd
		 * (or grown the table, moving it). */
		if (fd >= el->cap_files || !el->files[fd].used || el->files[fd].gen != gen)
			continue;
		uint32_t e = el->ready[i].events;
		unsigned mask = el->files[fd].mask, fired = 0;
		if (e & (EPOLLERR | EPOLLHUP))
			fired |= EVENT_ERROR | (mask & (EVENT_READ | EVENT_WRITE));
		if (e & (EPOLLIN | EPOLLRDHUP))
			fired |= EVENT_READ;
		if (e & EPOLLOUT)
			fired |= EVENT_WRITE;
		fired &= mask | EVENT_ERROR;
		if (!fired)
			continue;
		el->files[fd].fn(el, fd, el->files[fd].ctx, fired);
		calls++;
	}
	return calls + run_timers(el);
}

int event_loop_run(struct event_loop *el)
{
	while (!atomic_load_explicit(&el->stop, memory_order_acquire)) {
		int r = event_loop_once(el, UINT64_MAX);
		if (r < 0)
			return r;
	}
	return 0;
}

void event_loop_stop(struct event_loop *el)
{
	atomic_store_explicit(&el->stop, true, memory_order_release);
	event_loop_wake(el);
}

void event_loop_wake(struct event_loop *el)
{
	uint64_t one = 1;
	ssize_t r = write(el->wakefd, &one, sizeof(one));
	(void)r;
}

bool event_loop_stopped(const struct event_loop *el)
{
	return atomic_load_explicit(&el->stop, memory_order_acquire);
}
