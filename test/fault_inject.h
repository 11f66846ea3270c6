/* SPDX-License-Identifier: MIT */
/*
 * fault_inject.h: failing the library's calls on purpose.
 *
 * test/fault_redirect.h, forced into every file of lib/ for the test build
 * test/libtomb-fault.la, turns each call the library makes that can fail
 * (malloc, pthread_create, eventfd, sigaction...) into a call of the
 * fault_* function of the same name below, with a record of its call site.
 * Those functions count the calls made while the test has armed them, make
 * the k-th one fail with a plausible errno instead of calling the real
 * function (or, in a persistent plan, the k-th and every later call of its
 * kind: memory, threads or descriptors that stay exhausted), and keep the
 * books of everything the library holds (memory, descriptors, threads,
 * mutexes and condition variables) so that a test can tell that nothing
 * leaked.  Calls that cannot fail but release something (free, close, the
 * *_destroy calls) are redirected for those books only.
 *
 * The library's waits (its futex waits, its condition waits) are never
 * made to fail: they cannot, in a correct program.  What they can do is
 * return early: a futex wait with EINTR (a signal) or 0 (a spurious
 * wake-up), a condition wait with 0 (POSIX allows spurious wake-ups).  A
 * run planned with fault_wake_early makes the first call at each wait site
 * that it reaches while armed return early so; such calls are not counted
 * among the k-th calls, so that the walk of the other kinds stays the same
 * whatever the threads' timing.  pthread_join and pthread_sigmask cannot
 * fail in a correct program either (the library aborts on a failing join:
 * lib/lock.h): their sites are listed, never failed.
 *
 * Everything here is safe to call from any thread.  The books and the
 * counting are lock-free, so that they add no lock, and no lock order, to
 * the library's own.
 */
#ifndef TOMB_FAULT_INJECT_H
#define TOMB_FAULT_INJECT_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* The kinds of calls that can be made to fail.  A new kind of call in lib/
 * that can fail needs a kind here, a line in the table of fault_inject.c and
 * a macro in fault_redirect.h, or this test cannot see it.  A new wait
 * through lib/lock.h or lib/sys.h is redirected already: it needs a
 * scenario that blocks in it (see sc_blocking, sc_waiter). */
enum fault_kind {
	FAULT_MALLOC,
	FAULT_CALLOC,
	FAULT_STRDUP,
	FAULT_VASPRINTF,
	FAULT_PTHREAD_CREATE,
	FAULT_PTHREAD_ATTR_INIT,
	FAULT_PTHREAD_ATTR_SETSTACKSIZE,
	FAULT_PTHREAD_SETNAME_NP,
	FAULT_PTHREAD_MUTEX_INIT,
	FAULT_PTHREAD_COND_INIT,
	FAULT_PTHREAD_CONDATTR_INIT,
	FAULT_PTHREAD_CONDATTR_SETCLOCK,
	FAULT_EVENTFD,
	FAULT_PIPE2,
	FAULT_SIGACTION,
	FAULT_POLL,
	FAULT_READ,
	FAULT_FPRINTF,
	FAULT_FFLUSH,
	/* Waits, only ever made to return early (fault_wake_early). */
	FAULT_FUTEX_WAIT,
	FAULT_FUTEX_WAIT2,
	FAULT_COND_WAIT,
	FAULT_COND_TIMEDWAIT,
	/* Listed, never failed: they cannot fail in a correct program. */
	FAULT_PTHREAD_JOIN,
	FAULT_PTHREAD_SIGMASK,
	/* Not a call of lib/: a point in a worker of the test where a user's
	 * worker could leave by pthread_exit or be cancelled instead of going
	 * on (fault_exit_point); failed like the other kinds. */
	FAULT_WORKER_EXIT,
	/* A point in a dying callback that a worker runs (its kill's): a
	 * cancel may come there, and acts after the kill has returned, since
	 * callbacks run with cancellation disabled (tomb(7)). */
	FAULT_CALLBACK_CANCEL,
	FAULT_NKINDS
};

/* Sets of kinds, for fault_arm_kinds. */
#define FAULT_KIND_BIT(k) (1u << (k))
/* The kinds fault_arm arms: every call of lib/ that can fail. */
#define FAULT_ACQUISITIONS (FAULT_KIND_BIT(FAULT_FUTEX_WAIT) - 1u)
#define FAULT_WAITS                                                         \
	(FAULT_KIND_BIT(FAULT_FUTEX_WAIT) | FAULT_KIND_BIT(FAULT_FUTEX_WAIT2) | \
	 FAULT_KIND_BIT(FAULT_COND_WAIT) | FAULT_KIND_BIT(FAULT_COND_TIMEDWAIT))
_Static_assert(FAULT_NKINDS <= 32, "a kind is a bit of an unsigned");

/* What a made-to-fail call of a kind does, for kinds that do not fail with
 * an errno: a wait woken without cause, a worker's exit or cancel. */
#define FAULT_SPURIOUS (-1)
#define FAULT_BY_EXIT (-2)
#define FAULT_BY_CANCEL (-3)

/* One call site in lib/.  Each is a static object made by the redirect
 * macro, and a pointer to it goes into the ELF section tomb_fault_sites, so
 * the test can list every site compiled into the library, reached or not. */
struct fault_site {
	int kind;          /* an enum fault_kind */
	const char *file;  /* where the call is written */
	int line;
	_Atomic unsigned long calls;   /* calls that could fail, armed or not */
	_Atomic unsigned long counted; /* calls counted as failure points */
	_Atomic unsigned long failed;  /* calls made to fail */
	_Atomic unsigned long exempt;  /* calls that cannot fail, never
	                                  counted (see fault_sigaction) */
	_Atomic unsigned long woken;   /* waits made to return early */
	_Atomic unsigned long woken_in; /* the run that last did (a plan's
	                                   number) */
};

/* The site of the call being written: a static record, and a pointer to it
 * in the section tomb_fault_sites (see struct fault_site). */
#define FAULT_SITE(k)                                                         \
	(__extension__({                                                      \
		static struct fault_site fault_site_ = {                      \
			.kind = (k), .file = __FILE__, .line = __LINE__};     \
		static struct fault_site *fault_site_ptr_                     \
			__attribute__((used, section("tomb_fault_sites"))) =  \
				&fault_site_;                                 \
		(void)fault_site_ptr_;                                        \
		&fault_site_;                                                 \
	}))

/* The name of a kind ("malloc"), and whether the library absorbs its
 * failure by design (the call that made it still succeeds, maybe degraded:
 * a thread without its name, a kill with the default message...). */
const char *fault_kind_name(int kind);
bool fault_kind_absorbed(int kind);

/* Whether a kind's failure can last (a persistent plan fails every later
 * call of the kind): memory, threads, descriptors, an I/O error.  Not an
 * interrupted call (EINTR), nor a wait, nor a thread's exit. */
bool fault_kind_persists(int kind);

/* Whether a kind is listed only, never failed (pthread_join...). */
bool fault_kind_listed_only(int kind);

/* The name of what a made-to-fail call of the kind returned: its errno's
 * ("ENOMEM"), or "spurious", "pthread_exit", "pthread_cancel". */
const char *fault_err_name(int err);

/* How many errno values a kind is failed with, in turn (see fault_plan). */
int fault_kind_variants(int kind);

/* The sites compiled in: *n of them. */
struct fault_site *const *fault_sites(size_t *n);

/*
 * Plans the next run: the k-th counted call fails (k == 0: none does) with
 * the variant-th errno of its kind (modulo their number); resets the count
 * and forgets the last fault.  on_fault, if not NULL, is called by the
 * failing call, on its thread, just before it returns the failure: a test
 * uses it to make something happen at that very moment.  It must not call
 * into the library when the site may hold a lock of the library's.
 */
typedef void fault_hook_fn(const struct fault_site *site, void *arg);
void fault_plan(unsigned long k, int variant, fault_hook_fn *on_fault,
                void *arg);

/* After fault_plan: the k-th call's failure persists (every later counted
 * call of its kind fails with the same errno); on_fault is called at the
 * first only. */
void fault_persist(void);
bool fault_persistent(void);

/* After fault_plan (with k == 0): each wait site reached while armed
 * returns early at its first call, with the variant-th early return of its
 * kind (EINTR or a spurious 0 for a futex wait, a spurious 0 for a
 * condition wait). */
void fault_wake_early(int variant);

/* Waits made to return early since fault_plan, and waits reached while
 * armed (in a wait pass, each could have). */
unsigned long fault_woken(void);
unsigned long fault_waits_reached(void);

/* Calls made between fault_arm and fault_disarm, on any thread, are counted
 * (some are never counted: see fault_sigaction).  fault_arm arms the
 * FAULT_ACQUISITIONS; fault_arm_kinds the given set (FAULT_KIND_BIT). */
void fault_arm(void);
void fault_arm_kinds(unsigned kinds);
void fault_disarm(void);

/* Counted calls since fault_plan, and the set of their kinds. */
unsigned long fault_counted(void);
unsigned fault_counted_kinds(void);

/* Calls made to fail since fault_plan (more than one in a persistent
 * plan): take it before a call, and fault_failed_since says whether the
 * call met a failure. */
unsigned long fault_failures(void);

/* Counted calls of the failed call's kind after it (0 if none failed): a
 * persistent plan of the same k would fail them too. */
unsigned long fault_same_kind_after(void);

/* While set, the library's futex_waitv calls return ENOSYS, uncounted, as
 * on a kernel without it (Linux < 5.16), so that the library takes its
 * fallback (TOMB_FUTEX_WAITV=0 does the same, but once per process). */
void fault_no_waitv(bool on);

/* The site of the call made to fail since fault_plan, or NULL; the errno
 * it failed with. */
const struct fault_site *fault_fired(void);
int fault_fired_errno(void);

/* What the library holds now, through the calls redirected here. */
struct fault_books {
	long allocations;  /* malloc, calloc, strdup, vasprintf minus free */
	long descriptors;  /* eventfd, pipe2 minus close */
	long threads;      /* pthread_create minus pthread_join */
	long mutexes, conds, attrs, condattrs; /* init minus destroy */
	long bad_frees;    /* free of a pointer the library did not allocate */
	long bad_closes;   /* close of a descriptor it did not open */
	long bad_joins;    /* pthread_join that failed */
};
void fault_books(struct fault_books *b);

/* Writes to f the sites of the allocations the library holds now. */
void fault_print_allocations(FILE *f);

/* The redirected calls.  Each takes its site first. */
void *fault_malloc(struct fault_site *s, size_t n);
void *fault_calloc(struct fault_site *s, size_t n, size_t size);
char *fault_strdup(struct fault_site *s, const char *str);
int fault_vasprintf(struct fault_site *s, char **strp, const char *fmt,
                    va_list ap) __attribute__((format(printf, 3, 0)));
void fault_free(void *p);

int fault_pthread_create(struct fault_site *s, pthread_t *th,
                         const pthread_attr_t *attr,
                         void *(*fn)(void *), void *arg);
int fault_pthread_join(pthread_t th, void **ret);
int fault_pthread_attr_init(struct fault_site *s, pthread_attr_t *a);
int fault_pthread_attr_setstacksize(struct fault_site *s, pthread_attr_t *a,
                                    size_t size);
int fault_pthread_attr_destroy(pthread_attr_t *a);
int fault_pthread_setname_np(struct fault_site *s, pthread_t th,
                             const char *name);

int fault_pthread_mutex_init(struct fault_site *s, pthread_mutex_t *m,
                             const pthread_mutexattr_t *a);
int fault_pthread_mutex_destroy(pthread_mutex_t *m);
int fault_pthread_cond_init(struct fault_site *s, pthread_cond_t *c,
                            const pthread_condattr_t *a);
int fault_pthread_cond_destroy(pthread_cond_t *c);
int fault_pthread_condattr_init(struct fault_site *s, pthread_condattr_t *a);
int fault_pthread_condattr_setclock(struct fault_site *s,
                                    pthread_condattr_t *a, clockid_t clock);
int fault_pthread_condattr_destroy(pthread_condattr_t *a);

int fault_eventfd(struct fault_site *s, unsigned int initval, int flags);
int fault_pipe2(struct fault_site *s, int fds[2], int flags);
/* pipe, where the portable backend has no pipe2 (lib/sys_posix.c): a
 * failure point of kind FAULT_PIPE2, with its errors. */
int fault_pipe(struct fault_site *s, int fds[2]);
int fault_close(int fd);

int fault_sigaction(struct fault_site *s, int signo,
                    const struct sigaction *act, struct sigaction *old);
int fault_poll(struct fault_site *s, struct pollfd *fds, nfds_t n,
               int timeout);
ssize_t fault_read(struct fault_site *s, int fd, void *buf, size_t n);

int fault_fprintf(struct fault_site *s, FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fault_fflush(struct fault_site *s, FILE *f);

/* The waits: each calls `real` unless it returns early (see
 * fault_wake_early).  A condition wait that returns early releases and
 * takes the mutex again, as a spurious wake-up does. */
typedef int fault_futex_wait_fn(_Atomic uint32_t *word, uint32_t expected,
                                const struct timespec *abstime);
typedef int fault_futex_wait2_fn(_Atomic uint32_t *a, uint32_t ea,
                                 _Atomic uint32_t *b, uint32_t eb,
                                 const struct timespec *abstime);
int fault_futex_wait(struct fault_site *s, fault_futex_wait_fn *real,
                     _Atomic uint32_t *word, uint32_t expected,
                     const struct timespec *abstime);
int fault_futex_wait2(struct fault_site *s, fault_futex_wait2_fn *real,
                      _Atomic uint32_t *a, uint32_t ea, _Atomic uint32_t *b,
                      uint32_t eb, const struct timespec *abstime);
void fault_cond_wait(struct fault_site *s,
                     void (*real)(pthread_cond_t *, pthread_mutex_t *),
                     pthread_cond_t *cv, pthread_mutex_t *mu);
int fault_cond_timedwait(struct fault_site *s,
                         int (*real)(pthread_cond_t *, pthread_mutex_t *,
                                     const struct timespec *),
                         pthread_cond_t *cv, pthread_mutex_t *mu,
                         const struct timespec *abstime);

/* The calls listed but never failed. */
void fault_join(struct fault_site *s, void (*real)(pthread_t), pthread_t th);
int fault_pthread_sigmask(struct fault_site *s, int how, const sigset_t *set,
                          sigset_t *old);

/* A worker of the test calls this where a user's worker could leave: it
 * returns, or the thread leaves there by pthread_exit, or it cancels its
 * own thread there: a deferred cancel, left pending, which must pass
 * through any libtomb call that follows (none is a cancellation point,
 * tomb(7)) and act at the worker's own next one.  It is a cancellation
 * point first: a cancel left pending at an earlier point acts here. */
#define FAULT_EXIT_POINT() fault_exit_point(FAULT_SITE(FAULT_WORKER_EXIT))
#define FAULT_CALLBACK_CANCEL_POINT() \
	fault_exit_point(FAULT_SITE(FAULT_CALLBACK_CANCEL))
void fault_exit_point(struct fault_site *s);

#endif
