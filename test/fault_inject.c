/* SPDX-License-Identifier: MIT */
/* fault_inject.c: see fault_inject.h.  Not built with fault_redirect.h:
 * malloc here is the real one. */
#include "config.h"

#include "fault_inject.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/*
 * Each kind: its name, whether the library absorbs its failure, and the
 * errno values it is failed with, each a failure the real call can report
 * (for the pthread_*_init calls, glibc never fails them, but POSIX lets
 * them: ENOMEM and EAGAIN).  A call that succeeds anyway in the real world
 * is left out: write to an eventfd or a pipe that cannot be full, sigaction
 * putting back an action the kernel took before (see fault_sigaction).
 */
static const struct kind_info {
	const char *name;
	bool absorbed;
	int errs[3];
	int nerrs;
} kinds[FAULT_NKINDS] = {
	[FAULT_MALLOC] = {"malloc", false, {ENOMEM}, 1},
	[FAULT_CALLOC] = {"calloc", false, {ENOMEM}, 1},
	[FAULT_STRDUP] = {"strdup", false, {ENOMEM}, 1},
	/* tomb_killf kills with the default message instead. */
	[FAULT_VASPRINTF] = {"vasprintf", true, {ENOMEM}, 1},
	[FAULT_PTHREAD_CREATE] = {"pthread_create", false, {EAGAIN}, 1},
	[FAULT_PTHREAD_ATTR_INIT] = {"pthread_attr_init", false, {ENOMEM}, 1},
	[FAULT_PTHREAD_ATTR_SETSTACKSIZE] = {"pthread_attr_setstacksize", false,
	                                     {EINVAL}, 1},
	/* The worker runs without its name. */
	[FAULT_PTHREAD_SETNAME_NP] = {"pthread_setname_np", true, {ERANGE}, 1},
	[FAULT_PTHREAD_MUTEX_INIT] = {"pthread_mutex_init", false,
	                              {ENOMEM, EAGAIN}, 2},
	[FAULT_PTHREAD_COND_INIT] = {"pthread_cond_init", false,
	                             {ENOMEM, EAGAIN}, 2},
	[FAULT_PTHREAD_CONDATTR_INIT] = {"pthread_condattr_init", false,
	                                 {ENOMEM}, 1},
	[FAULT_PTHREAD_CONDATTR_SETCLOCK] = {"pthread_condattr_setclock", false,
	                                     {EINVAL}, 1},
	[FAULT_EVENTFD] = {"eventfd", false, {EMFILE, ENFILE, ENOMEM}, 3},
	[FAULT_PIPE2] = {"pipe2", false, {EMFILE, ENFILE}, 2},
	[FAULT_SIGACTION] = {"sigaction", false, {EINVAL}, 1},
	/* The signal watcher polls again: a signal handled on its thread. */
	[FAULT_POLL] = {"poll", true, {EINTR}, 1},
	/* The signal watcher reads again after a spurious wake-up. */
	[FAULT_READ] = {"read", true, {EAGAIN, EINTR}, 2},
	[FAULT_FPRINTF] = {"fprintf", false, {EIO}, 1},
	[FAULT_FFLUSH] = {"fflush", false, {EIO}, 1},
};

const char *fault_kind_name(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS ? kinds[kind].name : "?";
}

bool fault_kind_absorbed(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS && kinds[kind].absorbed;
}

int fault_kind_variants(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS ? kinds[kind].nerrs : 1;
}

/* The linker makes these for the section the redirect macros fill. */
extern struct fault_site *__start_tomb_fault_sites[] __attribute__((weak));
extern struct fault_site *__stop_tomb_fault_sites[] __attribute__((weak));

struct fault_site *const *fault_sites(size_t *n)
{
	*n = __start_tomb_fault_sites != NULL
	             ? (size_t)(__stop_tomb_fault_sites - __start_tomb_fault_sites)
	             : 0;
	return __start_tomb_fault_sites;
}

/* The plan and what happened to it.  fail_at == 0: nothing fails. */
static atomic_bool armed;
static _Atomic unsigned long counted, fail_at;
static _Atomic int variant;
static _Atomic(fault_hook_fn *) hook;
static _Atomic(void *) hook_arg;
static _Atomic(const struct fault_site *) fired;
static _Atomic int fired_errno;

void fault_plan(unsigned long k, int v, fault_hook_fn *on_fault, void *arg)
{
	atomic_store(&armed, false);
	atomic_store(&counted, 0);
	atomic_store(&fail_at, k);
	atomic_store(&variant, v);
	atomic_store(&hook, on_fault);
	atomic_store(&hook_arg, arg);
	atomic_store(&fired, NULL);
	atomic_store(&fired_errno, 0);
}

void fault_arm(void)
{
	atomic_store(&armed, true);
}

void fault_disarm(void)
{
	atomic_store(&armed, false);
}

unsigned long fault_counted(void)
{
	return atomic_load(&counted);
}

const struct fault_site *fault_fired(void)
{
	return atomic_load(&fired);
}

int fault_fired_errno(void)
{
	return atomic_load(&fired_errno);
}

/* Every redirected call that can fail asks this first: 0 to go on, or the
 * errno to fail with. */
static int should_fail(struct fault_site *s)
{
	const struct kind_info *ki = &kinds[s->kind];
	fault_hook_fn *h;
	int err;

	atomic_fetch_add(&s->calls, 1);
	if (!atomic_load(&armed))
		return 0;
	atomic_fetch_add(&s->counted, 1);
	if (atomic_fetch_add(&counted, 1) + 1 != atomic_load(&fail_at))
		return 0;
	err = ki->errs[atomic_load(&variant) % ki->nerrs];
	atomic_fetch_add(&s->failed, 1);
	atomic_store(&fired_errno, err);
	atomic_store(&fired, s);
	if ((h = atomic_load(&hook)) != NULL)
		h(s, atomic_load(&hook_arg));
	return err;
}

/*
 * The books.  Live allocations are kept in an open table of pointers (the
 * library holds a few dozen at most), with their sites, so that a leak
 * says where it was made; descriptors in a table of flags.
 */
#define NALLOCS 4096
#define NFDS 4096

static struct {
	_Atomic(void *) p;
	_Atomic(struct fault_site *) site;
} allocs[NALLOCS];
static atomic_bool fd_open[NFDS];
static _Atomic long n_allocs, n_fds, n_threads, n_mutexes, n_conds, n_attrs,
	n_condattrs, n_bad_frees, n_bad_closes, n_bad_joins;

static size_t slot_of(const void *p)
{
	return ((uintptr_t)p >> 4) % NALLOCS;
}

static void note_alloc(struct fault_site *s, void *p)
{
	size_t h = slot_of(p);

	if (p == NULL)
		return;
	for (size_t i = 0; i < NALLOCS; i++) {
		size_t j = (h + i) % NALLOCS;
		void *none = NULL;

		if (atomic_compare_exchange_strong(&allocs[j].p, &none, p)) {
			atomic_store(&allocs[j].site, s);
			atomic_fetch_add(&n_allocs, 1);
			return;
		}
	}
	fputs("fault_inject: more than NALLOCS live allocations\n", stderr);
	abort(); /* the test's own limit, not the library's doing */
}

/* Whether p was allocated by the library and not freed yet; forgets it. */
static bool note_free(void *p)
{
	size_t h = slot_of(p);

	for (size_t i = 0; i < NALLOCS; i++) {
		size_t j = (h + i) % NALLOCS;
		void *q = p;

		if (atomic_compare_exchange_strong(&allocs[j].p, &q, NULL)) {
			atomic_fetch_sub(&n_allocs, 1);
			return true;
		}
	}
	return false;
}

static void note_fd(int fd)
{
	if (fd >= 0 && fd < NFDS) {
		atomic_store(&fd_open[fd], true);
		atomic_fetch_add(&n_fds, 1);
	}
}

void fault_books(struct fault_books *b)
{
	b->allocations = atomic_load(&n_allocs);
	b->descriptors = atomic_load(&n_fds);
	b->threads = atomic_load(&n_threads);
	b->mutexes = atomic_load(&n_mutexes);
	b->conds = atomic_load(&n_conds);
	b->attrs = atomic_load(&n_attrs);
	b->condattrs = atomic_load(&n_condattrs);
	b->bad_frees = atomic_load(&n_bad_frees);
	b->bad_closes = atomic_load(&n_bad_closes);
	b->bad_joins = atomic_load(&n_bad_joins);
}

void fault_print_allocations(FILE *f)
{
	for (size_t i = 0; i < NALLOCS; i++) {
		struct fault_site *s;

		if (atomic_load(&allocs[i].p) == NULL)
			continue;
		s = atomic_load(&allocs[i].site);
		fprintf(f, "  still allocated: %s at %s:%d\n",
		        fault_kind_name(s->kind), s->file, s->line);
	}
}

/* Memory. */

void *fault_malloc(struct fault_site *s, size_t n)
{
	void *p;
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return NULL;
	}
	p = malloc(n);
	note_alloc(s, p);
	return p;
}

void *fault_calloc(struct fault_site *s, size_t n, size_t size)
{
	void *p;
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return NULL;
	}
	p = calloc(n, size);
	note_alloc(s, p);
	return p;
}

char *fault_strdup(struct fault_site *s, const char *str)
{
	char *p;
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return NULL;
	}
	p = strdup(str);
	note_alloc(s, p);
	return p;
}

int fault_vasprintf(struct fault_site *s, char **strp, const char *fmt,
                    va_list ap)
{
	int n, err = should_fail(s);

	if (err != 0) {
		/* "The contents of *strp are undefined": a pointer that
		 * fault_free would report, should the library free it. */
		*strp = (char *)(uintptr_t)0xdeadbee0u;
		errno = err;
		return -1;
	}
	n = vasprintf(strp, fmt, ap);
	if (n >= 0)
		note_alloc(s, *strp);
	return n;
}

void fault_free(void *p)
{
	if (p == NULL)
		return;
	if (note_free(p))
		free(p);
	else
		atomic_fetch_add(&n_bad_frees, 1); /* not freed: it is not ours */
}

/* Threads. */

int fault_pthread_create(struct fault_site *s, pthread_t *th,
                         const pthread_attr_t *attr,
                         void *(*fn)(void *), void *arg)
{
	int err = should_fail(s);

	if (err != 0)
		return err;
	/* Counted first: the thread may be joined before create returns. */
	atomic_fetch_add(&n_threads, 1);
	if ((err = pthread_create(th, attr, fn, arg)) != 0)
		atomic_fetch_sub(&n_threads, 1);
	return err;
}

int fault_pthread_join(pthread_t th, void **ret)
{
	int err = pthread_join(th, ret);

	if (err == 0)
		atomic_fetch_sub(&n_threads, 1);
	else
		atomic_fetch_add(&n_bad_joins, 1);
	return err;
}

int fault_pthread_attr_init(struct fault_site *s, pthread_attr_t *a)
{
	int err = should_fail(s);

	if (err == 0 && (err = pthread_attr_init(a)) == 0)
		atomic_fetch_add(&n_attrs, 1);
	return err;
}

int fault_pthread_attr_setstacksize(struct fault_site *s, pthread_attr_t *a,
                                    size_t size)
{
	int err = should_fail(s);

	return err != 0 ? err : pthread_attr_setstacksize(a, size);
}

int fault_pthread_attr_destroy(pthread_attr_t *a)
{
	int err = pthread_attr_destroy(a);

	if (err == 0)
		atomic_fetch_sub(&n_attrs, 1);
	return err;
}

int fault_pthread_setname_np(struct fault_site *s, pthread_t th,
                             const char *name)
{
	int err = should_fail(s);

	return err != 0 ? err : pthread_setname_np(th, name);
}

/* Mutexes and condition variables. */

int fault_pthread_mutex_init(struct fault_site *s, pthread_mutex_t *m,
                             const pthread_mutexattr_t *a)
{
	int err = should_fail(s);

	if (err == 0 && (err = pthread_mutex_init(m, a)) == 0)
		atomic_fetch_add(&n_mutexes, 1);
	return err;
}

int fault_pthread_mutex_destroy(pthread_mutex_t *m)
{
	int err = pthread_mutex_destroy(m);

	if (err == 0)
		atomic_fetch_sub(&n_mutexes, 1);
	return err;
}

int fault_pthread_cond_init(struct fault_site *s, pthread_cond_t *c,
                            const pthread_condattr_t *a)
{
	int err = should_fail(s);

	if (err == 0 && (err = pthread_cond_init(c, a)) == 0)
		atomic_fetch_add(&n_conds, 1);
	return err;
}

int fault_pthread_cond_destroy(pthread_cond_t *c)
{
	int err = pthread_cond_destroy(c);

	if (err == 0)
		atomic_fetch_sub(&n_conds, 1);
	return err;
}

int fault_pthread_condattr_init(struct fault_site *s, pthread_condattr_t *a)
{
	int err = should_fail(s);

	if (err == 0 && (err = pthread_condattr_init(a)) == 0)
		atomic_fetch_add(&n_condattrs, 1);
	return err;
}

int fault_pthread_condattr_setclock(struct fault_site *s,
                                    pthread_condattr_t *a, clockid_t clock)
{
	int err = should_fail(s);

	return err != 0 ? err : pthread_condattr_setclock(a, clock);
}

int fault_pthread_condattr_destroy(pthread_condattr_t *a)
{
	int err = pthread_condattr_destroy(a);

	if (err == 0)
		atomic_fetch_sub(&n_condattrs, 1);
	return err;
}

/* Descriptors. */

int fault_eventfd(struct fault_site *s, unsigned int initval, int flags)
{
	int fd, err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	fd = eventfd(initval, flags);
	note_fd(fd);
	return fd;
}

int fault_pipe2(struct fault_site *s, int fds[2], int flags)
{
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	if (pipe2(fds, flags) != 0)
		return -1;
	note_fd(fds[0]);
	note_fd(fds[1]);
	return 0;
}

int fault_close(int fd)
{
	bool open = true;

	if (fd < 0 || fd >= NFDS ||
	    !atomic_compare_exchange_strong(&fd_open[fd], &open, false)) {
		/* Not the library's: leave it open, and say so. */
		atomic_fetch_add(&n_bad_closes, 1);
		errno = EBADF;
		return -1;
	}
	atomic_fetch_sub(&n_fds, 1);
	return close(fd);
}

/* Signals, polling, reading. */

int fault_sigaction(struct fault_site *s, int signo,
                    const struct sigaction *act, struct sigaction *old)
{
	int err;

	/* Only a call that installs a new action (and saves the old one) is
	 * failed; putting back an action the kernel accepted before cannot
	 * fail, so such calls are not counted as failure points. */
	if (old == NULL) {
		atomic_fetch_add(&s->exempt, 1);
		return sigaction(signo, act, old);
	}
	if ((err = should_fail(s)) != 0) {
		errno = err;
		return -1;
	}
	return sigaction(signo, act, old);
}

int fault_poll(struct fault_site *s, struct pollfd *fds, nfds_t n,
               int timeout)
{
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	return poll(fds, n, timeout);
}

ssize_t fault_read(struct fault_site *s, int fd, void *buf, size_t n)
{
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	return read(fd, buf, n);
}

/* Streams. */

int fault_fprintf(struct fault_site *s, FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n, err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int fault_fflush(struct fault_site *s, FILE *f)
{
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return EOF;
	}
	return fflush(f);
}
