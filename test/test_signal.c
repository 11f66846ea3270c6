/* SPDX-License-Identifier: MIT */
/* test_signal.c: signals that kill a tomb.  Each case runs in a child
 * process (handlers are process-wide), driven from outside with kill(2);
 * the child reports the first check that failed as its exit status. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Pipes between the test and the child: the child says "ready" (and
 * "dying"), the test sends signals. */
struct child {
	pid_t pid;
	int from_child;
};

static void tell(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		continue;
}

static char hear(int fd)
{
	char c = 0;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		continue;
	return c;
}

static struct child start_child(int (*body)(int to_parent))
{
	struct child ch;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ch.pid = fork();
	ck_assert_int_ge(ch.pid, 0);
	if (ch.pid == 0) {
		close(p[0]);
		_exit(body(p[1]));
	}
	close(p[1]);
	ch.from_child = p[0];
	return ch;
}

static int finish_child(struct child ch)
{
	int status;

	close(ch.from_child);
	ck_assert_int_eq(waitpid(ch.pid, &status, 0), ch.pid);
	ck_assert_msg(WIFEXITED(status), "the child was killed by signal %d",
	              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

static const int term_and_int[] = {SIGTERM, SIGINT};

/*
 * Under ThreadSanitizer a signal reaches its handler only when the thread it
 * was delivered to makes an intercepted call, which a thread blocked in a
 * raw futex system call (as in tomb_wait) never does.  So there the test's
 * own threads block the signals, once the watcher (which never blocks them)
 * exists, and the kernel delivers them to threads that can take them.
 * And a signal that reached the watcher while it was starting, before its
 * first poll, was sometimes never handled under TSan (2 of 30 runs of the
 * suite on a loaded machine, test_signal_reason; the cause, somewhere in
 * TSan's deferral of signals, was not found; 0 of 40 with this wait): so
 * there the child says it is ready only once the watcher sleeps in poll.
 */
static void block_for_tsan(void)
{
	sigset_t s;

	if (!UNDER_TSAN)
		return;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	while (!thread_in_poll("tomb-signals"))
		sched_yield();
}

/* The first signal kills with 0 and names itself; the old handler is back
 * once the tomb is dead; the watcher thread is gone. */
static int graceful_child(int to_parent)
{
	struct sigaction before, now;
	tomb_t *t = tomb_new();
	int base = thread_count();

	if (sigaction(SIGTERM, NULL, &before) != 0)
		return 9;
	if (t == NULL || tomb_notify_signals(t, term_and_int, 2, 0) != 0)
		return 2;
	block_for_tsan();
	if (tomb_go(t, worker_until_dying, NULL) != 0)
		return 3;
	tell(to_parent, 'r');
	if (tomb_wait(t) != 0)
		return 4;
	if (strcmp(tomb_errmsg(t), "received SIGTERM") != 0)
		return 5;
	if (sigaction(SIGTERM, NULL, &now) != 0 ||
	    now.sa_handler != before.sa_handler)
		return 6;
	if (settled_thread_count(base) != base)
		return 7;
	return tomb_free(t) == 0 ? 0 : 8;
}

START_TEST(test_signal_kills_gracefully)
{
	struct child ch = start_child(graceful_child);

	ck_assert_int_eq(hear(ch.from_child), 'r');
	ck_assert_int_eq(kill(ch.pid, SIGTERM), 0);
	ck_assert_int_eq(finish_child(ch), 0);
}
END_TEST

/* A child process forked without exec takes a watched signal's default
 * action; its parent's tomb lives on. */
static int forked_child(int to_parent)
{
	tomb_t *t = tomb_new();
	int status;
	pid_t pid;

	(void)to_parent;
	if (t == NULL || tomb_notify_signals(t, term_and_int, 2, 0) != 0)
		return 2;
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (kill(pid, SIGTERM) != 0 || waitpid(pid, &status, 0) != pid)
		return 4;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		return 5;
	if (!tomb_alive(t))
		return 6;
	if (tomb_kill(t, 0) != 0 || tomb_wait(t) != 0)
		return 7;
	return tomb_free(t) == 0 ? 0 : 8;
}

START_TEST(test_forked_child_not_watched)
{
	struct child ch;

	/* Under ThreadSanitizer the grandchild, forked from a process with
	 * threads, never runs the handler (seen: it stays in pause()); the
	 * cause was not investigated, so the case runs without it only. */
	if (UNDER_TSAN)
		return;
	ch = start_child(forked_child);

	ck_assert_int_eq(finish_child(ch), 0);
}
END_TEST

/* TOMB_SIGNAL_REASON: the reason is 128 + the signal's number. */
static int reason_child(int to_parent)
{
	tomb_t *t = tomb_new();

	if (t == NULL || tomb_notify_signals(t, term_and_int, 2, TOMB_SIGNAL_REASON) != 0)
		return 2;
	block_for_tsan();
	tell(to_parent, 'r');
	if (tomb_wait_dying(t, NULL) != 0)
		return 3;
	if (tomb_wait(t) != 128 + SIGINT)
		return 4;
	if (strcmp(tomb_errmsg(t), "received SIGINT") != 0)
		return 5;
	return tomb_free(t) == 0 ? 0 : 6;
}

START_TEST(test_signal_reason)
{
	struct child ch = start_child(reason_child);

	ck_assert_int_eq(hear(ch.from_child), 'r');
	ck_assert_int_eq(kill(ch.pid, SIGINT), 0);
	ck_assert_int_eq(finish_child(ch), 0);
}
END_TEST

/* TOMB_SIGNAL_SECOND_EXITS: a worker ignores the first signal; the second
 * ends the process with 128 + its number. */
static int stubborn_worker(tomb_t *t, void *arg)
{
	(void)t;
	sem_post(arg); /* it runs: it holds none of the library's locks */
	for (;;)
		pause();
	return 0;
}

/*
 * The child's second signal must find every thread of the child asleep in
 * a wait that holds no lock: _exit ends threads where they are, and
 * Helgrind reports each that holds a mutex then ("Exiting thread still
 * holds 1 lock": 17 of 600 runs of this suite under Helgrind, the watcher
 * still inside the first signal's kill when the main thread, woken by it,
 * said "dying").  So a thread of the child's says "dying" once both
 * threads that take the tomb's lock sleep for good:
 *   1. the watcher in its last wait, a condition wait that released the
 *      lock (with glibc, where a thread blocked on a mutex does not count
 *      as asleep, that is only after the kill is complete);
 *   2. then the main thread in tomb_wait, whose last wait is a join;
 *   3. then the watcher again: where a thread blocked on a mutex counts
 *      (musl), step 1 may have seen it blocked on the tomb's lock, which
 *      the main thread hands it on its way to the join.
 * Nothing wakes either thread after that.  If that takes longer than a
 * slow machine could, the child gives up with status 10.
 */
struct sleepers {
	int to_parent;
	pid_t main_tid;
};

/* Yields, or gives up with status 10 once past end. */
static void yield_until(struct timespec end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > end.tv_sec ||
	    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
		_exit(10);
	sched_yield();
}

static void *tell_when_asleep(void *arg)
{
	struct sleepers *s = arg;
	struct timespec end = test_deadline(10);
	pid_t watcher;

	while ((watcher = thread_named("tomb-signals")) < 0)
		yield_until(end);
	while (!thread_in_futex_wait(watcher))
		yield_until(end);
	while (!thread_in_futex_wait(s->main_tid))
		yield_until(end);
	while (!thread_in_futex_wait(watcher))
		yield_until(end);
	tell(s->to_parent, 'd');
	return NULL;
}

static int impatient_child(int to_parent)
{
	tomb_t *t = tomb_new();
	static struct sleepers s; /* the teller's, whatever this returns */
	pthread_t teller;
	sem_t running;

	s.to_parent = to_parent;
	s.main_tid = (pid_t)syscall(SYS_gettid);
	if (t == NULL || sem_init(&running, 0, 0) != 0 ||
	    tomb_notify_signals(t, term_and_int, 2, TOMB_SIGNAL_SECOND_EXITS) != 0)
		return 2;
	block_for_tsan();
	if (tomb_go(t, stubborn_worker, &running) != 0)
		return 3;
	while (sem_wait(&running) != 0)
		continue;
	tell(to_parent, 'r');
	if (tomb_wait_dying(t, NULL) != 0)
		return 4;
	if (pthread_create(&teller, NULL, tell_when_asleep, &s) != 0 ||
	    pthread_detach(teller) != 0)
		return 6;
	(void)tomb_wait(t); /* never returns: the worker never does */
	return 5;
}

START_TEST(test_second_signal_exits)
{
	struct child ch = start_child(impatient_child);

	ck_assert_int_eq(hear(ch.from_child), 'r');
	ck_assert_int_eq(kill(ch.pid, SIGTERM), 0);
	if (hear(ch.from_child) != 'd')
		ck_abort_msg("the child did not say \"dying\": it exited %d",
		             finish_child(ch));
	ck_assert_int_eq(kill(ch.pid, SIGINT), 0);
	ck_assert_int_eq(finish_child(ch), 128 + SIGINT);
}
END_TEST

/* Bad input, a signal watched twice, and a watcher that does not keep a
 * tomb-lifetime tomb alive. */
static int errors_child(int to_parent)
{
	const int *s = term_and_int;
	const int with_kill[] = {SIGTERM, SIGKILL}, bogus[] = {0}, big[] = {100000};
	tomb_t *a = tomb_new(), *b = tomb_new();
	struct sigaction before, now;
	int zero = 0;

	(void)to_parent;
	if (tomb_notify_signals(NULL, s, 2, 0) != EINVAL ||
	    tomb_notify_signals(a, NULL, 2, 0) != EINVAL ||
	    tomb_notify_signals(a, s, 0, 0) != EINVAL ||
	    tomb_notify_signals(a, with_kill, 2, 0) != EINVAL ||
	    tomb_notify_signals(a, bogus, 1, 0) != EINVAL ||
	    tomb_notify_signals(a, big, 1, 0) != EINVAL ||
	    tomb_notify_signals(a, s, 2, 64) != EINVAL)
		return 2;
	if (sigaction(SIGINT, NULL, &before) != 0)
		return 11;
	if (tomb_notify_signals(a, s, 2, 0) != 0)
		return 3;
	/* SIGTERM is taken: b gets EBUSY, and SIGINT stays a's. */
	if (tomb_notify_signals(b, s, 2, 0) != EBUSY ||
	    sigaction(SIGINT, NULL, &now) != 0 ||
	    now.sa_handler == before.sa_handler)
		return 4;
	/* The watcher is not a worker: the only worker's return kills. */
	if (tomb_count(a) != 0 || tomb_go(a, worker_return_arg, &zero) != 0)
		return 5;
	if (tomb_wait(a) != 0 || strcmp(tomb_errmsg(a), "") != 0)
		return 6;
	/* a is dead and its handlers are gone: b may watch now. */
	if (sigaction(SIGINT, NULL, &now) != 0 ||
	    now.sa_handler != before.sa_handler)
		return 12;
	if (tomb_notify_signals(b, s, 2, 0) != 0)
		return 7;
	if (tomb_kill(b, 0) != 0 || tomb_wait(b) != 0)
		return 8;
	if (tomb_notify_signals(b, s, 2, 0) != ECANCELED)
		return 9;
	return tomb_free(a) == 0 && tomb_free(b) == 0 ? 0 : 10;
}

START_TEST(test_signal_errors)
{
	struct child ch = start_child(errors_child);

	ck_assert_int_eq(finish_child(ch), 0);
}
END_TEST

Suite *make_signal_suite(void)
{
	Suite *s = suite_create("signal");
	TCase *tc = tcase_create("signal");

	add_leak_check(tc);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_signal_kills_gracefully);
	tcase_add_test(tc, test_signal_reason);
	tcase_add_test(tc, test_second_signal_exits);
	tcase_add_test(tc, test_signal_errors);
	tcase_add_test(tc, test_forked_child_not_watched);
	suite_add_tcase(s, tc);
	return s;
}
