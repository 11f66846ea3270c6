/* SPDX-License-Identifier: MIT */
/* test_go.c: starting workers, what their return values do, and the promise
 * that a returned wait means every thread the tomb started has ended. */
#include "helpers.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* A worker that arms an exit probe, optionally waits for a go-ahead or for
 * the tomb to be dying, then returns `ret`. */
struct job {
	struct exit_probe probe;
	sem_t *go_ahead;   /* if set, waited for before returning */
	bool until_dying;  /* if set, sleeps until the tomb is dying */
	int ret;
};

static int job_worker(tomb_t *t, void *arg)
{
	struct job *j = arg;

	exit_probe_arm(&j->probe);
	if (j->go_ahead != NULL)
		sem_wait(j->go_ahead);
	if (j->until_dying)
		(void)tomb_sleep(t, NULL);
	return j->ret;
}

static void job_init(struct job *j, int ret)
{
	memset(j, 0, sizeof(*j));
	exit_probe_init(&j->probe);
	j->ret = ret;
}

/* A non-zero return kills the tomb with it. */
START_TEST(test_nonzero_return_kills)
{
	tomb_t *t = tomb_new();
	struct job a, b;

	job_init(&a, EIO);
	job_init(&b, ENOENT);
	b.until_dying = true;
	ck_assert_int_eq(tomb_go(t, job_worker, &b), 0);
	ck_assert_int_eq(tomb_go(t, job_worker, &a), 0);
	/* a returns EIO; that kills; b wakes and returns ENOENT, too late. */
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_str_eq(tomb_errmsg(t), strerror(EIO));
	ck_assert(atomic_load(&a.probe.exited));
	ck_assert(atomic_load(&b.probe.exited));
	ck_assert_int_eq(tomb_free(t), 0);
	exit_probe_destroy(&a.probe);
	exit_probe_destroy(&b.probe);
}
END_TEST

/* The last worker to return kills with 0, and not before. */
START_TEST(test_last_return_kills_with_zero)
{
	tomb_t *t = tomb_new();
	struct job a, b;
	sem_t release_b;

	sem_init(&release_b, 0, 0);
	job_init(&a, 0);
	job_init(&b, 0);
	b.go_ahead = &release_b;
	ck_assert_int_eq(tomb_go(t, job_worker, &b), 0);
	ck_assert_int_eq(tomb_go(t, job_worker, &a), 0);
	sem_wait(&a.probe.gone); /* a has returned and its thread has ended */
	ck_assert(tomb_alive(t)); /* b still runs */
	sem_post(&release_b);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert(tomb_dying(t));
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "");
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&release_b);
	exit_probe_destroy(&a.probe);
	exit_probe_destroy(&b.probe);
}
END_TEST

/* When wait returns, every thread has finished, not just its
 * function: each thread's last user-space act came before the return. */
static void check_all_exited(bool by_kill, int n)
{
	enum { N = 32 };
	struct job jobs[N];
	tomb_t *t = tomb_new();
	int base = thread_count();
	sem_t all_started;

	/* Workers hold on until all have started: with the tomb lifetime, the
	 * first to return while it is the only one live would kill the tomb. */
	sem_init(&all_started, 0, 0);
	for (int i = 0; i < n; i++) {
		job_init(&jobs[i], 0);
		jobs[i].until_dying = by_kill;
		jobs[i].go_ahead = by_kill ? NULL : &all_started;
		ck_assert_int_eq(tomb_go(t, job_worker, &jobs[i]), 0);
	}
	if (by_kill)
		ck_assert_int_eq(tomb_kill(t, ECANCELED), 0);
	else
		for (int i = 0; i < n; i++)
			sem_post(&all_started);
	ck_assert_int_eq(tomb_wait(t), by_kill ? ECANCELED : 0);
	for (int i = 0; i < n; i++)
		ck_assert_msg(atomic_load(&jobs[i].probe.exited),
		              "thread %d had not exited when wait returned", i);
	ck_assert_int_eq(settled_thread_count(base), base);
	ck_assert_int_eq(tomb_free(t), 0);
	for (int i = 0; i < n; i++)
		exit_probe_destroy(&jobs[i].probe);
	sem_destroy(&all_started);
}

START_TEST(test_wait_means_threads_ended_after_kill)
{
	check_all_exited(true, 32);
}
END_TEST

START_TEST(test_wait_means_threads_ended_after_returns)
{
	check_all_exited(false, 32);
}
END_TEST

/* The same with few workers: the waiter joins them itself (a claim, see
 * tomb_private.h), rather than waiting for DEAD first. */
START_TEST(test_wait_means_few_threads_ended_after_kill)
{
	check_all_exited(true, 3);
}
END_TEST

START_TEST(test_wait_means_few_threads_ended_after_returns)
{
	check_all_exited(false, 3);
}
END_TEST

/* Every waiter's return comes after the thread's end, not only the one
 * waiter's that joined it: the others see DEAD while that join may still be
 * going on (the probe lingers in the exiting thread). */
struct probe_waiter {
	tomb_t *t;
	struct exit_probe *probe;
	int got;
	bool exited;
};

static void *probe_waiter_main(void *arg)
{
	struct probe_waiter *w = arg;

	w->got = tomb_wait(w->t);
	w->exited = atomic_load(&w->probe->exited);
	return NULL;
}

START_TEST(test_every_waiter_returns_after_thread_ended)
{
	enum { N = 4 };
	tomb_t *t = tomb_new();
	struct job j;
	struct probe_waiter w[N];
	pthread_t th[N];

	job_init(&j, 0);
	j.until_dying = true;
	ck_assert_int_eq(tomb_go(t, job_worker, &j), 0);
	for (int i = 0; i < N; i++) {
		w[i] = (struct probe_waiter){.t = t, .probe = &j.probe, .got = -1};
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, probe_waiter_main, &w[i]), 0);
	}
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_wait(t), EPIPE);
	ck_assert(atomic_load(&j.probe.exited));
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(w[i].got, EPIPE);
		ck_assert_msg(w[i].exited, "waiter %d returned before the exit", i);
	}
	ck_assert_int_eq(tomb_free(t), 0);
	exit_probe_destroy(&j.probe);
}
END_TEST

/* Tomb_go is allowed while dying (a cleanup worker). */
START_TEST(test_go_while_dying)
{
	tomb_t *t = tomb_new();
	struct job hold, cleanup;
	sem_t release;

	sem_init(&release, 0, 0);
	job_init(&hold, 0);
	hold.go_ahead = &release;
	job_init(&cleanup, 0);
	ck_assert_int_eq(tomb_go(t, job_worker, &hold), 0);
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_go(t, job_worker, &cleanup), 0);
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(t), EPIPE);
	ck_assert(atomic_load(&cleanup.probe.exited));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&release);
	exit_probe_destroy(&hold.probe);
	exit_probe_destroy(&cleanup.probe);
}
END_TEST

/* Once dead, tomb_go fails with ESRCH and starts nothing. */
START_TEST(test_go_after_dead)
{
	tomb_t *t = tomb_new();
	int zero = 0;

	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), ESRCH);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_go_null_function)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_go(t, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0); /* no phantom worker */
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/*
 * Pthread_create's error when the system refuses a thread, with the
 * tomb left as it was: a tomb with no worker, and one with a worker running.
 * A child process gives up root (if it has it) and sets RLIMIT_NPROC to 0,
 * so the kernel refuses every new thread with EAGAIN.  The child reports
 * the first check that failed as its exit status.
 *
 * One child per case, each making one refused pthread_create: valgrind's
 * DRD (3.19) aborts at a process's second refused pthread_create (its own
 * assertion in vgDrd_thread_pre_create; ten lines of plain pthread_create
 * show it), and so each tool runs this test whole.
 */
static int refused_go_child(bool busy)
{
	struct rlimit none = {0, 0};
	struct timespec end = test_deadline(10);
	struct passwd *nobody = getpwnam("nobody");
	tomb_t *t = tomb_new();
	int zero = 0, reason = -1;

	if (t == NULL)
		return 2;
	/* Give up root while this is the only thread: with others, glibc
	 * signals each of them to change its ids too, and Helgrind and DRD
	 * cannot see how that signal's handler is ordered. */
	if (getuid() == 0 && (nobody == NULL || setgid(nobody->pw_gid) != 0 ||
	                      setuid(nobody->pw_uid) != 0))
		return 3;
	if (busy && tomb_go(t, worker_until_dying, NULL) != 0)
		return 4;
	if (setrlimit(RLIMIT_NPROC, &none) != 0)
		return 5;

	if (tomb_go(t, worker_return_arg, &zero) != EAGAIN)
		return 10;
	if (!tomb_alive(t))
		return 11;
	/* A phantom worker would keep it from dying; the busy one returns
	 * TOMB_EDYING, which leaves the reason as it was. */
	if (tomb_kill(t, EIO) != 0 ||
	    tomb_timedwait(t, &end, &reason) != 0 || reason != EIO)
		return 12;
	if (tomb_free(t) != 0)
		return 13;
	return 0;
}

START_TEST(test_go_refused_by_system)
{
	for (int busy = 0; busy < 2; busy++) {
		int status;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(refused_go_child(busy));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_msg(WEXITSTATUS(status) == 0, "busy %d: check %d failed",
		              busy, WEXITSTATUS(status));
	}
}
END_TEST

/* A worker waiting for its own tomb gets EDEADLK, not a hang. */
struct self_wait {
	int wait_rc, timedwait_rc;
};

static int worker_waits_for_itself(tomb_t *t, void *arg)
{
	struct self_wait *sw = arg;
	int reason;

	sw->wait_rc = tomb_wait(t);
	sw->timedwait_rc = tomb_timedwait(t, NULL, &reason);
	return 0;
}

START_TEST(test_wait_from_own_worker)
{
	tomb_t *t = tomb_new();
	struct self_wait sw = {-1, -1};

	ck_assert_int_eq(tomb_go(t, worker_waits_for_itself, &sw), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(sw.wait_rc, EDEADLK);
	ck_assert_int_eq(sw.timedwait_rc, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A worker returning a sentinel while alive is a bug the tomb
 * reports, with EINVAL and a message, instead of crashing. */
static void check_bad_return(int ret, const char *words)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_go(t, worker_return_arg, &ret), 0);
	ck_assert_int_eq(tomb_wait(t), EINVAL);
	ck_assert_ptr_nonnull(strstr(tomb_errmsg(t), words));
	ck_assert_int_eq(tomb_free(t), 0);
}

START_TEST(test_worker_returns_edying_while_alive)
{
	check_bad_return(TOMB_EDYING, "TOMB_EDYING");
}
END_TEST

START_TEST(test_worker_returns_still_alive)
{
	check_bad_return(TOMB_STILL_ALIVE, "TOMB_STILL_ALIVE");
}
END_TEST

/* A worker returning TOMB_EDYING after the kill keeps the reason. */
START_TEST(test_worker_returns_edying_while_dying)
{
	tomb_t *t = tomb_new();
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_killf(t, 0, "bye"), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "bye");
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

/* Workers may start workers on their own tomb. */
static int worker_spawns(tomb_t *t, void *arg)
{
	int depth = *(int *)arg;
	static int next[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	if (depth < 7 && tomb_go(t, worker_spawns, &next[depth]) != 0)
		return EPROTO;
	return depth == 7 ? ECHILD : 0;
}

START_TEST(test_go_from_worker)
{
	tomb_t *t = tomb_new();
	int first = 0;

	ck_assert_int_eq(tomb_go(t, worker_spawns, &first), 0);
	ck_assert_int_eq(tomb_wait(t), ECHILD);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_go_copy: each worker gets its own copy of the loop index, though
 * the caller's variable changes (and is gone) before the workers run. */
struct seen {
	atomic_int count[64];
};

static struct seen copy_seen;

static int worker_marks_copy(tomb_t *t, void *arg)
{
	int i = *(const int *)arg;

	(void)t;
	if (i >= 0 && i < 64)
		atomic_fetch_add(&copy_seen.count[i], 1);
	return 0;
}

static int worker_gets_null(tomb_t *t, void *arg)
{
	(void)t;
	return arg == NULL ? 0 : EPROTO;
}

START_TEST(test_go_copy_loop_index)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP};
	tomb_t *t = tomb_new_opts(&o);

	for (int i = 0; i < 64; i++)
		atomic_init(&copy_seen.count[i], 0);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(tomb_go_copy(t, worker_marks_copy, &i, sizeof(i)), 0);
	ck_assert_int_eq(tomb_go_copy(t, worker_gets_null, NULL, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(atomic_load(&copy_seen.count[i]), 1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_go_suite(void)
{
	Suite *s = suite_create("go");
	TCase *tc = tcase_create("go");

	add_leak_check(tc);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_nonzero_return_kills);
	tcase_add_test(tc, test_last_return_kills_with_zero);
	tcase_add_test(tc, test_wait_means_threads_ended_after_kill);
	tcase_add_test(tc, test_wait_means_threads_ended_after_returns);
	tcase_add_test(tc, test_wait_means_few_threads_ended_after_kill);
	tcase_add_test(tc, test_wait_means_few_threads_ended_after_returns);
	tcase_add_test(tc, test_every_waiter_returns_after_thread_ended);
	tcase_add_test(tc, test_go_while_dying);
	tcase_add_test(tc, test_go_after_dead);
	tcase_add_test(tc, test_go_null_function);
	tcase_add_test(tc, test_go_refused_by_system);
	tcase_add_test(tc, test_wait_from_own_worker);
	tcase_add_test(tc, test_worker_returns_edying_while_alive);
	tcase_add_test(tc, test_worker_returns_still_alive);
	tcase_add_test(tc, test_worker_returns_edying_while_dying);
	tcase_add_test(tc, test_go_from_worker);
	tcase_add_test(tc, test_go_copy_loop_index);
	suite_add_tcase(s, tc);
	return s;
}
