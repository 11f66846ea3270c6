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
 * function, and keep the books of everything the library holds (memory,
 * descriptors, threads, mutexes and condition variables) so that a test can
 * tell that nothing leaked.  Calls that cannot fail but release something
 * (free, close, pthread_join, the *_destroy calls) are redirected for those
 * books only.
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
#include <stdio.h>
#include <sys/types.h>

/* The kinds of calls that can be made to fail.  A new kind of call in lib/
 * that can fail needs a kind here, a line in the table of fault_inject.c and
 * a macro in fault_redirect.h, or this test cannot see it. */
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
	FAULT_NKINDS
};

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
};

/* The name of a kind ("malloc"), and whether the library absorbs its
 * failure by design (the call that made it still succeeds, maybe degraded:
 * a thread without its name, a kill with the default message...). */
const char *fault_kind_name(int kind);
bool fault_kind_absorbed(int kind);

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

/* Calls made between fault_arm and fault_disarm, on any thread, are counted
 * (some are never counted: see fault_sigaction). */
void fault_arm(void);
void fault_disarm(void);

/* Counted calls since fault_plan. */
unsigned long fault_counted(void);

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
int fault_close(int fd);

int fault_sigaction(struct fault_site *s, int signo,
                    const struct sigaction *act, struct sigaction *old);
int fault_poll(struct fault_site *s, struct pollfd *fds, nfds_t n,
               int timeout);
ssize_t fault_read(struct fault_site *s, int fd, void *buf, size_t n);

int fault_fprintf(struct fault_site *s, FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fault_fflush(struct fault_site *s, FILE *f);

#endif
