/* SPDX-License-Identifier: MIT */
/* signal.c: signals that kill a tomb (Go's signal.NotifyContext). */
#include "config.h"

#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A watch: one tomb_notify_signals call.  The signal handler, which may run
 * on any thread, writes the signal's number to the pipe; a helper thread of
 * the tomb reads it and kills the tomb.  When the tomb is dying the helper
 * puts the old dispositions back, waits for handlers still running, and
 * frees the watch.
 */
struct watch {
	tomb_t *t;
	sigset_t set;
	sigset_t taken;              /* the signals whose handler is ours */
	int flags;
	int rfd, wfd;                /* the pipe: handler -> helper */
	pid_t pid;                   /* the process whose tomb this is */
	_Atomic int received;        /* signals caught so far */
	struct sigaction old[NSIG];  /* what to put back, for signals in set */
};

/*
 * The library's only process-wide state (doc/threadsafety.md lists it):
 * which watch owns each signal, guarded by watch_mu for changes and read by
 * the handler with atomic loads; and how many handlers are running, so that
 * a watch is not freed under one.
 */
static _Atomic(struct watch *) watched[NSIG];
static _Atomic int handlers_running;
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_signal(int signo)
{
	int saved = errno;
	struct watch *w;

	atomic_fetch_add(&handlers_running, 1);
	w = atomic_load(&watched[signo]);
	if (w != NULL && getpid() != w->pid) {
		/* A child forked without exec: its parent's tomb is not its
		 * business.  Take the default action, as if never watched. */
		signal(signo, SIG_DFL);
		raise(signo);
	} else if (w != NULL) {
		unsigned char b = (unsigned char)signo;

		if (atomic_fetch_add(&w->received, 1) > 0 &&
		    (w->flags & TOMB_SIGNAL_SECOND_EXITS))
			_exit(128 + signo); /* the impatient operator */
		(void)!write(w->wfd, &b, 1);
	}
	atomic_fetch_sub(&handlers_running, 1);
	errno = saved;
}

/* Puts back the dispositions of the signals w took over. */
static void free_watch(struct watch *w)
{
	tomb__mutex_lock(&watch_mu);
	for (int s = 1; s < NSIG; s++) {
		if (sigismember(&w->taken, s) != 1)
			continue;
		sigaction(s, &w->old[s], NULL);
		atomic_store(&watched[s], NULL);
	}
	tomb__mutex_unlock(&watch_mu);
	/* A handler that loaded w before it was unwatched may still run. */
	while (atomic_load(&handlers_running) > 0)
		sched_yield();
	close(w->rfd);
	close(w->wfd);
	free(w);
}

/* The helper thread: waits for a signal or for the tomb to die. */
static int watcher(tomb_t *t, void *arg)
{
	struct watch *w = arg;
	struct pollfd p[2] = {{.fd = w->rfd, .events = POLLIN},
	                      {.fd = tomb_dying_fd(t), .events = POLLIN}};

	while (!tomb_dying(t)) {
		unsigned char signo;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && read(w->rfd, &signo, 1) == 1) {
			const char *name = tomb__signal_abbrev(signo);

			tomb_killf(t, (w->flags & TOMB_SIGNAL_REASON) ? 128 + signo : 0,
			           "received SIG%s", name != NULL ? name : "?");
		}
	}
	/* Keep the handlers while the workers stop, for a second signal;
	 * put the old ones back before t is dead. */
	tomb__helper_wait_last(t);
	free_watch(w);
	return 0;
}

TOMB_EXPORT int tomb_notify_signals(tomb_t *t, const int *signals, size_t n,
                                    int flags)
{
	struct watch *w;
	struct sigaction sa;
	sigset_t wanted;
	const sigset_t *set = &wanted;
	int fds[2], err = 0;

	if (t == NULL || signals == NULL || n == 0 ||
	    (flags & ~(TOMB_SIGNAL_SECOND_EXITS | TOMB_SIGNAL_REASON)) != 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	sigemptyset(&wanted);
	for (size_t i = 0; i < n; i++) {
		int s = signals[i];

		/* sigaddset refuses the signals the C library keeps for
		 * itself (glibc's 32 and 33); ignoring that would watch
		 * nothing and report success. */
		if (s <= 0 || s >= NSIG || s == SIGKILL || s == SIGSTOP ||
		    sigaddset(&wanted, s) != 0)
			return EINVAL;
	}
	/* The watcher polls the dying descriptor: make it now, so that a
	 * failure is this call's, not the watcher's. */
	if (tomb_dying_fd(t) < 0)
		return errno;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ENOMEM;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		err = errno;
		free(w);
		return err;
	}
	w->t = t;
	w->set = *set;
	w->flags = flags;
	w->rfd = fds[0];
	w->wfd = fds[1];
	w->pid = getpid();
	sigemptyset(&w->taken);
	atomic_init(&w->received, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	tomb__mutex_lock(&watch_mu);
	for (int s = 1; s < NSIG && err == 0; s++) {
		if (sigismember(set, s) != 1)
			continue;
		if (atomic_load(&watched[s]) != NULL) {
			err = EBUSY; /* another tomb watches it */
		} else {
			/* Published before the handler is in place. */
			atomic_store(&watched[s], w);
			if (sigaction(s, &sa, &w->old[s]) != 0) {
				err = errno;
				atomic_store(&watched[s], NULL);
			} else {
				sigaddset(&w->taken, s);
			}
		}
	}
	tomb__mutex_unlock(&watch_mu);
	if (err == 0 && (err = tomb__go_helper(t, "tomb-signals", watcher, w)) == 0)
		return 0;
	free_watch(w); /* puts back what it took */
	return err;
}
