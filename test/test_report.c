/* SPDX-License-Identifier: MIT */
/* test_report.c: named workers, the count, and who is stuck. */
#define _GNU_SOURCE
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct named {
	char seen[32]; /* the thread's name, as the worker read it */
	sem_t started;
	sem_t *hold;
};

static int read_own_name(tomb_t *t, void *arg)
{
	struct named *n = arg;

	(void)t;
	pthread_getname_np(pthread_self(), n->seen, sizeof(n->seen));
	sem_post(&n->started);
	if (n->hold != NULL)
		sem_wait(n->hold);
	return 0;
}

START_TEST(test_thread_names)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .name = "server"};
	tomb_t *t = tomb_new_opts(&o);
	struct named a = {.hold = NULL}, b = {.hold = NULL}, c = {.hold = NULL};

	sem_init(&a.started, 0, 0);
	sem_init(&b.started, 0, 0);
	sem_init(&c.started, 0, 0);
	ck_assert_str_eq(tomb_name(t), "server");
	ck_assert_int_eq(tomb_go_named(t, "listener", read_own_name, &a), 0);
	ck_assert_int_eq(tomb_go_named(t, "a-name-longer-than-fifteen", read_own_name, &b), 0);
	ck_assert_int_eq(tomb_go(t, read_own_name, &c), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_str_eq(a.seen, "listener");
	ck_assert_str_eq(b.seen, "a-name-longer-t"); /* the kernel keeps 15 */
	ck_assert_str_eq(c.seen, "server");           /* the tomb's name */
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&a.started);
	sem_destroy(&b.started);
	sem_destroy(&c.started);
}
END_TEST

struct listing {
	int n;
	char names[4][16];
	int tids_set;
};

static void list_worker(const struct tomb_worker_info *w, void *arg)
{
	struct listing *l = arg;

	if (l->n < 4)
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", w->name);
	l->n++;
	l->tids_set += w->tid > 0;
}

START_TEST(test_count_and_foreach)
{
	tomb_t *t = tomb_new();
	sem_t hold;
	struct named w[3];
	const char *names[3] = {"first", "second", "third"};
	struct listing l = {.n = 0};

	sem_init(&hold, 0, 0);
	ck_assert_uint_eq(tomb_count(t), 0);
	for (int i = 0; i < 3; i++) {
		w[i].hold = &hold;
		sem_init(&w[i].started, 0, 0);
		ck_assert_int_eq(tomb_go_named(t, names[i], read_own_name, &w[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		sem_wait(&w[i].started);
	ck_assert_uint_eq(tomb_count(t), 3);
	ck_assert_int_eq(tomb_foreach(t, list_worker, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(l.tids_set, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(l.names[i], names[i]); /* oldest first */
	for (int i = 0; i < 3; i++)
		sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_uint_eq(tomb_count(NULL), 0);
	ck_assert_int_eq(tomb_foreach(NULL, list_worker, &l), EINVAL);
	ck_assert_int_eq(tomb_foreach(t, NULL, &l), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
	for (int i = 0; i < 3; i++)
		sem_destroy(&w[i].started);
	sem_destroy(&hold);
}
END_TEST

/* A worker that ignores the kill: the timed wait times out, and the dump
 * says which one did not stop. */
static int stubborn(tomb_t *t, void *arg)
{
	(void)t;
	sem_post(((sem_t **)arg)[0]);
	sem_wait(((sem_t **)arg)[1]);
	return 0;
}

START_TEST(test_dump_names_the_stuck_worker)
{
	struct tomb_opts o = {.name = "pool"};
	tomb_t *t = tomb_new_opts(&o);
	sem_t started, release;
	sem_t *sems[2] = {&started, &release};
	struct timespec soon = tomb_deadline_ms(20);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go_named(t, "polite", worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_go_named(t, "stubborn", stubborn, sems), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_killf(t, ETIMEDOUT, "shutting down"), ETIMEDOUT);
	ck_assert_int_eq(tomb_timedwait(t, &soon, NULL), ETIMEDOUT);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tomb_dump(t, f), 0);
	fclose(f);
	ck_assert_msg(strstr(buf, "tomb \"pool\": dying") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "shutting down") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "worker \"stubborn\" tid ") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "running ") != NULL, "%s", buf);
	free(buf);
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
	sem_destroy(&release);
}
END_TEST

START_TEST(test_dump_errors)
{
	tomb_t *t = tomb_new();
	FILE *full = fopen("/dev/full", "w");

	ck_assert_int_eq(tomb_dump(NULL, stderr), EINVAL);
	ck_assert_int_eq(tomb_dump(t, NULL), EINVAL);
	ck_assert_ptr_nonnull(full);
	ck_assert_int_eq(tomb_dump(t, full), EIO);
	fclose(full);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	add_leak_check(tc);
	tcase_add_test(tc, test_thread_names);
	tcase_add_test(tc, test_count_and_foreach);
	tcase_add_test(tc, test_dump_names_the_stuck_worker);
	tcase_add_test(tc, test_dump_errors);
	suite_add_tcase(s, tc);
	return s;
}
