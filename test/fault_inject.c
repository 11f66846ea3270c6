/* SPDX-License-Identifier: MIT */
/* fault_inject.c: see fault_inject.h.  Not built with fault_redirect.h:
 * malloc here is the real one. */
#include "config.h"

#include "fault_inject.h"
#include "names.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* AddressSanitizer (GCC's runtime) trips on the redzones of frames that a
 * thread's exit or cancel unwinds past, inside its own clean-up of them
 * (__asan_handle_no_return, which glibc's pthread_cleanup_pop path calls):
 * a false report.  A worker of the test that may leave clears them first,
 * while those frames are still live. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define BEFORE_LEAVING() __asan_handle_no_return()
#else
#define BEFORE_LEAVING() ((void)0)
#endif

/*
 * Each kind: its name, whether the library absorbs its failure, whether
 * the failure can last (fault_kind_persists), and the errno values it is
 * failed with, each a failure the real call can report (for the
 * pthread_*_init calls, glibc never fails them, but POSIX lets them: ENOMEM
 * and EAGAIN).  A call that succeeds anyway in the real world is left out:
 * write to an eventfd or a pipe that cannot be full, sigaction putting back
 * an action the kernel took before (see fault_sigaction).
 *
 * The waits return early only, with what the real call can return in a
 * correct program: a futex wait, EINTR (a signal, when no handler restarts
 * it) or 0 (futex(2): a wake-up with no FUTEX_WAKE behind it); a condition
 * wait, 0 (POSIX allows spurious wake-ups).  Never EAGAIN as a failure
 * (the library treats it as a wake-up: the same as 0), never ETIMEDOUT
 * early (the kernel does not), never ENOSYS at one call (a kernel has
 * futex_waitv or not: see fault_no_waitv), and nothing that lib/lock.h
 * aborts on: it can only come of a bug.  A FUTEX_WAKE cannot fail on a
 * word of the process, pthread_join cannot fail on a thread that the
 * library made and nobody else joins, pthread_sigmask only on a bad `how`:
 * those are listed, never failed.
 */
static const struct kind_info {
	const char *name;
	bool absorbed;
	bool persists;
	bool listed_only; /* never failed: it cannot fail */
	int errs[3];
	int nerrs;
} kinds[FAULT_NKINDS] = {
	[FAULT_MALLOC] = {"malloc", false, true, false, {ENOMEM}, 1},
	[FAULT_CALLOC] = {"calloc", false, true, false, {ENOMEM}, 1},
	[FAULT_STRDUP] = {"strdup", false, true, false, {ENOMEM}, 1},
	/* tomb_killf kills with the default message instead. */
	[FAULT_VASPRINTF] = {"vasprintf", true, true, false, {ENOMEM}, 1},
	[FAULT_PTHREAD_CREATE] = {"pthread_create", false, true, false,
	                          {EAGAIN}, 1},
	[FAULT_PTHREAD_ATTR_INIT] = {"pthread_attr_init", false, true, false,
	                             {ENOMEM}, 1},
	[FAULT_PTHREAD_ATTR_SETSTACKSIZE] = {"pthread_attr_setstacksize",
	                                     false, true, false, {EINVAL}, 1},
	/* The worker runs without its name. */
	[FAULT_PTHREAD_SETNAME_NP] = {"pthread_setname_np", true, true, false,
	                              {ERANGE}, 1},
	[FAULT_PTHREAD_MUTEX_INIT] = {"pthread_mutex_init", false, true, false,
	                              {ENOMEM, EAGAIN}, 2},
	[FAULT_PTHREAD_COND_INIT] = {"pthread_cond_init", false, true, false,
	                             {ENOMEM, EAGAIN}, 2},
	[FAULT_PTHREAD_CONDATTR_INIT] = {"pthread_condattr_init", false, true,
	                                 false, {ENOMEM}, 1},
	[FAULT_PTHREAD_CONDATTR_SETCLOCK] = {"pthread_condattr_setclock",
	                                     false, true, false, {EINVAL}, 1},
	[FAULT_EVENTFD] = {"eventfd", false, true, false,
	                   {EMFILE, ENFILE, ENOMEM}, 3},
	[FAULT_PIPE2] = {"pipe2", false, true, false, {EMFILE, ENFILE}, 2},
	[FAULT_SIGACTION] = {"sigaction", false, true, false, {EINVAL}, 1},
	/* The signal watcher polls again: a signal handled on its thread. */
	[FAULT_POLL] = {"poll", true, false, false, {EINTR}, 1},
	/* The signal watcher reads again after a spurious wake-up. */
	[FAULT_READ] = {"read", true, false, false, {EAGAIN, EINTR}, 2},
	[FAULT_FPRINTF] = {"fprintf", false, true, false, {EIO}, 1},
	[FAULT_FFLUSH] = {"fflush", false, true, false, {EIO}, 1},
	/* Each wait loops, or its caller does (tomb_cond_wait's). */
	[FAULT_FUTEX_WAIT] = {"futex wait", true, false, false,
	                      {EINTR, FAULT_SPURIOUS}, 2},
	[FAULT_FUTEX_WAIT2] = {"futex_waitv", true, false, false,
	                       {EINTR, FAULT_SPURIOUS}, 2},
	[FAULT_COND_WAIT] = {"pthread_cond_wait", true, false, false,
	                     {FAULT_SPURIOUS}, 1},
	[FAULT_COND_TIMEDWAIT] = {"pthread_cond_timedwait", true, false, false,
	                          {FAULT_SPURIOUS}, 1},
	[FAULT_PTHREAD_JOIN] = {"pthread_join", false, false, true, {0}, 1},
	[FAULT_PTHREAD_SIGMASK] = {"pthread_sigmask", false, false, true,
	                           {0}, 1},
	/* A thread leaves once: nothing persists. */
	[FAULT_WORKER_EXIT] = {"worker exit", false, false, false,
	                       {FAULT_BY_EXIT, FAULT_BY_CANCEL}, 2},
	/* A cancel only: pthread_exit inside a callback unwinds through the
	 * kill that runs it, which neither the man pages allow nor the
	 * library survives (the tomb stays firing: tomb_wait hangs). */
	[FAULT_CALLBACK_CANCEL] = {"callback cancel", false, false, false,
	                           {FAULT_BY_CANCEL}, 1},
};

const char *fault_kind_name(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS ? kinds[kind].name : "?";
}

bool fault_kind_absorbed(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS && kinds[kind].absorbed;
}

bool fault_kind_persists(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS && kinds[kind].persists;
}

bool fault_kind_listed_only(int kind)
{
	return kind >= 0 && kind < FAULT_NKINDS && kinds[kind].listed_only;
}

const char *fault_err_name(int err)
{
	switch (err) {
	case FAULT_SPURIOUS:
		return "a spurious wake-up";
	case FAULT_BY_EXIT:
		return "pthread_exit";
	case FAULT_BY_CANCEL:
		return "pthread_cancel";
	case 0:
		return "0";
	default:
		return test_errno_name(err);
	}
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
static _Atomic unsigned armed, counted_kinds;
static _Atomic unsigned long counted, fail_at, failures, same_after;
static _Atomic int variant;
static atomic_bool persist, no_waitv;
static _Atomic(fault_hook_fn *) hook;
static _Atomic(void *) hook_arg;
static _Atomic(const struct fault_site *) fired;
static _Atomic int fired_errno;
/* The wait pass: the plan's number (a site's woken_in), the variant of the
 * early returns (-1: none), and how many were made. */
static _Atomic unsigned long plan_no, woken, waits_reached;
static _Atomic int wake_variant = -1;

void fault_plan(unsigned long k, int v, fault_hook_fn *on_fault, void *arg)
{
	atomic_store(&armed, 0);
	atomic_store(&counted_kinds, 0);
	atomic_store(&counted, 0);
	atomic_store(&fail_at, k);
	atomic_store(&failures, 0);
	atomic_store(&same_after, 0);
	atomic_store(&variant, v);
	atomic_store(&persist, false);
	atomic_store(&hook, on_fault);
	atomic_store(&hook_arg, arg);
	atomic_store(&fired, NULL);
	atomic_store(&fired_errno, 0);
	atomic_fetch_add(&plan_no, 1);
	atomic_store(&wake_variant, -1);
	atomic_store(&woken, 0);
	atomic_store(&waits_reached, 0);
}

void fault_persist(void)
{
	atomic_store(&persist, true);
}

bool fault_persistent(void)
{
	return atomic_load(&persist);
}

void fault_wake_early(int v)
{
	atomic_store(&wake_variant, v);
}

unsigned long fault_woken(void)
{
	return atomic_load(&woken);
}

unsigned long fault_waits_reached(void)
{
	return atomic_load(&waits_reached);
}

void fault_arm(void)
{
	atomic_store(&armed, FAULT_ACQUISITIONS);
}

void fault_arm_kinds(unsigned kinds_armed)
{
	atomic_store(&armed, kinds_armed);
}

void fault_disarm(void)
{
	atomic_store(&armed, 0);
}

unsigned long fault_counted(void)
{
	return atomic_load(&counted);
}

unsigned fault_counted_kinds(void)
{
	return atomic_load(&counted_kinds);
}

unsigned long fault_failures(void)
{
	return atomic_load(&failures);
}

unsigned long fault_same_kind_after(void)
{
	return atomic_load(&same_after);
}

void fault_no_waitv(bool on)
{
	atomic_store(&no_waitv, on);
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
 * errno to fail with (or a FAULT_SPURIOUS...).  A call of the kind that
 * failed, after it, fails too in a persistent plan; else it is only
 * counted in same_after, for the driver to know whether a persistent plan
 * would differ. */
static int should_fail(struct fault_site *s)
{
	const struct kind_info *ki = &kinds[s->kind];
	const struct fault_site *f;
	fault_hook_fn *h;
	unsigned long n;
	int err;

	atomic_fetch_add(&s->calls, 1);
	if (!(atomic_load(&armed) & FAULT_KIND_BIT(s->kind)))
		return 0;
	atomic_fetch_add(&s->counted, 1);
	atomic_fetch_or(&counted_kinds, FAULT_KIND_BIT(s->kind));
	n = atomic_fetch_add(&counted, 1) + 1;
	if (atomic_load(&fail_at) != 0 && n > atomic_load(&fail_at)) {
		/* After the k-th call by the count, though maybe before it
		 * said what it was, on another thread: it is about to. */
		while ((f = atomic_load(&fired)) == NULL)
			sched_yield();
		if (f->kind != s->kind)
			return 0;
		if (!atomic_load(&persist)) {
			atomic_fetch_add(&same_after, 1);
			return 0;
		}
		atomic_fetch_add(&s->failed, 1);
		atomic_fetch_add(&failures, 1);
		return atomic_load(&fired_errno);
	}
	if (n != atomic_load(&fail_at))
		return 0;
	err = ki->errs[atomic_load(&variant) % ki->nerrs];
	atomic_fetch_add(&s->failed, 1);
	atomic_store(&fired_errno, err);
	atomic_fetch_add(&failures, 1);
	atomic_store(&fired, s);
	if ((h = atomic_load(&hook)) != NULL)
		h(s, atomic_load(&hook_arg));
	return err;
}

/* A wait asks this first: -1 to wait for real, or what to return at once
 * (0 or EINTR).  Armed for its kind, it is a counted call like any (a
 * scenario walks its waits call by call); else, in a wait pass, the first
 * call at each site returns early, if anything is armed. */
static int returns_early(struct fault_site *s)
{
	const struct kind_info *ki = &kinds[s->kind];
	unsigned long run = atomic_load(&plan_no);
	int v, err;

	if (atomic_load(&armed) & FAULT_KIND_BIT(s->kind)) {
		err = should_fail(s);
		return err == 0 ? -1 : err == FAULT_SPURIOUS ? 0 : err;
	}
	atomic_fetch_add(&s->calls, 1);
	if (atomic_load(&armed) != 0)
		atomic_fetch_add(&waits_reached, 1);
	if ((v = atomic_load(&wake_variant)) < 0 || atomic_load(&armed) == 0 ||
	    atomic_exchange(&s->woken_in, run) == run)
		return -1;
	atomic_fetch_add(&s->woken, 1);
	atomic_fetch_add(&woken, 1);
	err = ki->errs[v % ki->nerrs];
	return err == FAULT_SPURIOUS ? 0 : err;
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

int fault_pipe(struct fault_site *s, int fds[2])
{
	int err = should_fail(s);

	if (err != 0) {
		errno = err;
		return -1;
	}
	if (pipe(fds) != 0)
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

/* Waits. */

int fault_futex_wait(struct fault_site *s, fault_futex_wait_fn *real,
                     _Atomic uint32_t *word, uint32_t expected,
                     const struct timespec *abstime)
{
	int r = returns_early(s);

	return r >= 0 ? r : real(word, expected, abstime);
}

int fault_futex_wait2(struct fault_site *s, fault_futex_wait2_fn *real,
                      _Atomic uint32_t *a, uint32_t ea, _Atomic uint32_t *b,
                      uint32_t eb, const struct timespec *abstime)
{
	int r;

	if (atomic_load(&no_waitv))
		return ENOSYS; /* no such system call: not a failure point */
	r = returns_early(s);
	return r >= 0 ? r : real(a, ea, b, eb, abstime);
}

/* A spurious wake-up: the mutex is released, as the wait would, and taken
 * again (another thread may have taken it meanwhile). */
static void wake_spuriously(pthread_mutex_t *mu)
{
	if (pthread_mutex_unlock(mu) != 0 || pthread_mutex_lock(mu) != 0)
		abort(); /* the library's mutex, held: a bug in libtomb */
}

void fault_cond_wait(struct fault_site *s,
                     void (*real)(pthread_cond_t *, pthread_mutex_t *),
                     pthread_cond_t *cv, pthread_mutex_t *mu)
{
	if (returns_early(s) >= 0)
		wake_spuriously(mu);
	else
		real(cv, mu);
}

int fault_cond_timedwait(struct fault_site *s,
                         int (*real)(pthread_cond_t *, pthread_mutex_t *,
                                     const struct timespec *),
                         pthread_cond_t *cv, pthread_mutex_t *mu,
                         const struct timespec *abstime)
{
	if (returns_early(s) < 0)
		return real(cv, mu, abstime);
	wake_spuriously(mu);
	return 0;
}

/* Listed only. */

void fault_join(struct fault_site *s, void (*real)(pthread_t), pthread_t th)
{
	atomic_fetch_add(&s->exempt, 1);
	real(th);
}

int fault_pthread_sigmask(struct fault_site *s, int how, const sigset_t *set,
                          sigset_t *old)
{
	atomic_fetch_add(&s->exempt, 1);
	return pthread_sigmask(how, set, old);
}

/* A worker's way out. */

void fault_exit_point(struct fault_site *s)
{
	int err;

	BEFORE_LEAVING(); /* a cancel left pending may act just below */
	pthread_testcancel();
	if ((err = should_fail(s)) == FAULT_BY_CANCEL)
		pthread_cancel(pthread_self()); /* deferred: left pending */
	else if (err == FAULT_BY_EXIT)
		pthread_exit(NULL);
}
