/* SPDX-License-Identifier: MIT */
/* test_fd.c: descriptors readable once a tomb is dying or dead. */
#include "config.h"

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A worker that blocks in poll() on its tomb's dying descriptor. */
struct poller {
	int fd;
	int rc;
	bool use_epoll;
};

static int poll_worker(tomb_t *t, void *arg)
{
	struct poller *p = arg;

	(void)t;
	if (p->use_epoll) {
		struct epoll_event ev = {.events = EPOLLIN}, out;
		int ep = epoll_create1(EPOLL_CLOEXEC);

		epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev);
		p->rc = epoll_wait(ep, &out, 1, -1);
		close(ep);
	} else {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

		p->rc = poll(&pfd, 1, -1);
	}
	return TOMB_EDYING;
}

static void check_wakes(bool use_epoll)
{
	tomb_t *t = tomb_new();
	struct poller p = {.rc = -1, .use_epoll = use_epoll};

	p.fd = tomb_dying_fd(t);
	ck_assert_int_ge(p.fd, 0);
	ck_assert(!readable(p.fd));
	ck_assert_int_eq(tomb_go(t, poll_worker, &p), 0);
	ck_assert_int_eq(tomb_kill(t, ECONNABORTED), 0);
	ck_assert_int_eq(tomb_wait(t), ECONNABORTED);
	ck_assert_int_eq(p.rc, 1);
	ck_assert(readable(p.fd));
	ck_assert_int_eq(tomb_free(t), 0);
}

START_TEST(test_poll_wakes)
{
	check_wakes(false);
}
END_TEST

START_TEST(test_epoll_wakes)
{
	check_wakes(true);
}
END_TEST

/* The kill lands around the moment the worker starts polling. */
START_TEST(test_kill_races_poll)
{
	for (int i = 0; i < test_rounds(2000); i++) {
		tomb_t *t = tomb_new();
		struct poller p = {.rc = -1, .use_epoll = (i & 1) != 0};

		p.fd = tomb_dying_fd(t);
		ck_assert_int_ge(p.fd, 0);
		ck_assert_int_eq(tomb_go(t, poll_worker, &p), 0);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(p.rc, 1);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

START_TEST(test_dead_after_dying)
{
	tomb_t *t = tomb_new();
	sem_t release;
	int dying, dead;

	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &release), 0);
	dying = tomb_dying_fd(t);
	dead = tomb_dead_fd(t);
	ck_assert_int_ge(dying, 0);
	ck_assert_int_ge(dead, 0);
	ck_assert_int_ne(dying, dead);
	ck_assert_int_eq(tomb_dying_fd(t), dying); /* the same one each time */
	ck_assert_int_eq(tomb_dead_fd(t), dead);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert(readable(dying));
	ck_assert(!readable(dead)); /* a worker still runs */
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert(readable(dead));
	ck_assert(readable(dying));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&release);
}
END_TEST

START_TEST(test_made_late_is_readable_at_once)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert(readable(tomb_dying_fd(t)));
	ck_assert(readable(tomb_dead_fd(t)));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* With a thread asleep in one of the library's waits on t, the kill
 * signals the dying descriptor after it releases t's lock, with its wake of
 * the sleepers: still, the descriptor is readable when tomb_kill returns,
 * to a plain poll as to the sleeper.  The sleeper: tomb_sleep (a futex),
 * or tomb_poll on nothing but the tomb (a ppoll on that descriptor). */
static void *poll_main(void *arg)
{
	int n;

	pthread_setname_np(pthread_self(), "fd-poller");
	return (void *)(intptr_t)tomb_poll(arg, NULL, 0, NULL, &n);
}

START_TEST(test_readable_when_the_kill_returns)
{
	for (int i = 0; i < 2; i++) {
		tomb_t *t = tomb_new();
		int dying = tomb_dying_fd(t);
		struct blocked b = {.t = t, .call = blocked_sleep};
		pthread_t poller;
		void *rc;

		ck_assert_int_ge(dying, 0);
		if (i == 0) {
			start_blocked(&b);
		} else {
			ck_assert_int_eq(pthread_create(&poller, NULL, poll_main, t), 0);
			await_in_poll("fd-poller");
		}
		ck_assert(!readable(dying));
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		ck_assert(readable(dying));
		if (i == 0) {
			ck_assert_int_eq(finish_blocked(&b), ECANCELED);
		} else {
			ck_assert_int_eq(pthread_join(poller, &rc), 0);
			ck_assert_int_eq((int)(intptr_t)rc, ECANCELED);
		}
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* The descriptors a tomb's dying or dead descriptor costs: an eventfd, or
 * a pipe's two ends with the portable backend (lib/sys_posix.c). */
#ifdef TOMB_BACKEND_POSIX
#define FDS_PER_EVENT 2
#else
#define FDS_PER_EVENT 1
#endif

START_TEST(test_cloexec_and_closed_by_free)
{
	tomb_t *t = tomb_new();
	int base = fd_count(), fd[2];

	fd[0] = tomb_dying_fd(t);
	fd[1] = tomb_dead_fd(t);
	ck_assert_int_ne(fd[0], fd[1]);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_ge(fd[i], 0);
		ck_assert(fcntl(fd[i], F_GETFD) & FD_CLOEXEC);
		ck_assert(fcntl(fd[i], F_GETFL) & O_NONBLOCK);
	}
	ck_assert_int_eq(fd_count(), base + 2 * FDS_PER_EVENT);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(fd_count(), base);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(fcntl(fd[i], F_GETFD), -1);
		ck_assert_int_eq(errno, EBADF);
	}
}
END_TEST

START_TEST(test_no_descriptor_unless_asked)
{
	int base = fd_count();
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(fd_count(), base);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Out of descriptors: -1 and EMFILE, and the tomb still works. */
START_TEST(test_out_of_descriptors)
{
	tomb_t *t = tomb_new();
	struct rlimit old, tight;
	int fd = dup(0);

	/* The limit bounds descriptor numbers: allow none from the lowest free
	 * one up. */
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight.rlim_cur = (rlim_t)fd;
	tight.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	errno = 0;
	ck_assert_int_eq(tomb_dying_fd(t), -1);
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_int_eq(tomb_dead_fd(t), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	fd = tomb_dying_fd(t);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tomb_kill(t, EMFILE), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(tomb_wait(t), EMFILE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_fd_null)
{
	errno = 0;
	ck_assert_int_eq(tomb_dying_fd(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tomb_dead_fd(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

Suite *make_fd_suite(void)
{
	Suite *s = suite_create("fd");
	TCase *tc = tcase_create("fd");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_poll_wakes);
	tcase_add_test(tc, test_epoll_wakes);
	tcase_add_test(tc, test_kill_races_poll);
	tcase_add_test(tc, test_dead_after_dying);
	tcase_add_test(tc, test_made_late_is_readable_at_once);
	tcase_add_test(tc, test_readable_when_the_kill_returns);
	tcase_add_test(tc, test_cloexec_and_closed_by_free);
	tcase_add_test(tc, test_no_descriptor_unless_asked);
	tcase_add_test(tc, test_out_of_descriptors);
	tcase_add_test(tc, test_fd_null);
	suite_add_tcase(s, tc);
	return s;
}
