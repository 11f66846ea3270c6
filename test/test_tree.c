/* SPDX-License-Identifier: MIT */
/* test_tree.c: child tombs: death flows down, waiting covers the tree. */
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

static tomb_t *child_of(tomb_t *parent, int lifetime)
{
	struct tomb_opts o = {.parent = parent, .lifetime = lifetime};
	tomb_t *c = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* A worker that arms its exit probe, and returns TOMB_EDYING once dying. */
static int probed_until_dying(tomb_t *t, void *arg)
{
	exit_probe_arm(arg);
	(void)tomb_sleep(t, NULL);
	return TOMB_EDYING;
}

START_TEST(test_child_dies_with_parent)
{
	tomb_t *p = tomb_new(), *c = child_of(p, 0);
	struct exit_probe probe;

	exit_probe_init(&probe);
	ck_assert_int_eq(tomb_go(c, probed_until_dying, &probe), 0);
	ck_assert_int_eq(tomb_killf(p, EHOSTUNREACH, "uplink lost"), EHOSTUNREACH);
	/* One wait on the parent: the child and its thread are done too. */
	ck_assert_int_eq(tomb_wait(p), EHOSTUNREACH);
	ck_assert(atomic_load(&probe.exited));
	ck_assert(tomb_dying(c));
	ck_assert_int_eq(tomb_err(c), EHOSTUNREACH);
	ck_assert_str_eq(tomb_errmsg(c), "uplink lost");
	ck_assert_int_eq(tomb_wait(c), EHOSTUNREACH);
	ck_assert_int_eq(tomb_free(p), EBUSY); /* children first */
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	exit_probe_destroy(&probe);
}
END_TEST

START_TEST(test_child_keeps_own_reason)
{
	tomb_t *p = tomb_new(), *c = child_of(p, 0);

	ck_assert_int_eq(tomb_kill(c, ENOENT), 0);
	ck_assert(tomb_alive(p)); /* a child's death does not kill its parent */
	ck_assert_int_eq(tomb_wait(c), ENOENT);
	ck_assert_int_eq(tomb_kill(p, EIO), 0);
	ck_assert_int_eq(tomb_wait(p), EIO);
	ck_assert_int_eq(tomb_err(c), ENOENT);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

/* The parent is not dead while a child is not. */
START_TEST(test_parent_waits_for_child)
{
	tomb_t *p = tomb_new(), *c = child_of(p, 0);
	struct timespec soon = tomb_deadline_ms(20);
	sem_t release;

	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(c, worker_wait_sem, &release), 0);
	ck_assert_int_eq(tomb_kill(p, ECANCELED), 0);
	ck_assert_int_eq(tomb_timedwait(p, &soon, NULL), ETIMEDOUT);
	ck_assert(tomb_dying(c));
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(p), ECANCELED);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	sem_destroy(&release);
}
END_TEST

/* Three levels, two workers each, killed at each level in turn. */
struct level {
	tomb_t *t;
	struct exit_probe probe[2];
};

static void make_tree(struct level lv[3])
{
	lv[0].t = tomb_new();
	lv[1].t = child_of(lv[0].t, 0);
	lv[2].t = child_of(lv[1].t, 0);
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < 2; i++) {
			exit_probe_init(&lv[l].probe[i]);
			ck_assert_int_eq(tomb_go(lv[l].t, probed_until_dying,
			                         &lv[l].probe[i]), 0);
		}
}

static void free_tree(struct level lv[3])
{
	for (int l = 2; l >= 0; l--) {
		ck_assert_int_eq(tomb_free(lv[l].t), 0);
		for (int i = 0; i < 2; i++)
			exit_probe_destroy(&lv[l].probe[i]);
	}
}

START_TEST(test_three_levels)
{
	for (int level = 0; level < 3; level++) {
		struct level lv[3];
		int base = thread_count();

		make_tree(lv);
		ck_assert_int_eq(tomb_kill(lv[level].t, EXFULL + level), 0);
		ck_assert_int_eq(tomb_wait(lv[level].t), EXFULL + level);
		/* That level and those below are done; those above live. */
		for (int l = 0; l < 3; l++) {
			ck_assert(tomb_dying(lv[l].t) == (l >= level));
			for (int i = 0; i < 2; i++)
				ck_assert(atomic_load(&lv[l].probe[i].exited) ==
				          (l >= level));
		}
		ck_assert_int_eq(tomb_kill(lv[0].t, 0), 0);
		ck_assert_int_eq(tomb_wait(lv[0].t), level == 0 ? EXFULL : 0);
		for (int l = 0; l < 3; l++) {
			ck_assert_int_eq(tomb_err(lv[l].t), l >= level ? EXFULL + level : 0);
			for (int i = 0; i < 2; i++)
				ck_assert(atomic_load(&lv[l].probe[i].exited));
		}
		ck_assert_int_eq(settled_thread_count(base), base);
		free_tree(lv);
	}
}
END_TEST

START_TEST(test_child_of_dead_or_dying_parent)
{
	tomb_t *p = tomb_new(), *c;
	struct tomb_opts o = {.parent = p};
	sem_t release;

	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(p, worker_wait_sem, &release), 0);
	ck_assert_int_eq(tomb_killf(p, EPIPE, "closing"), EPIPE);
	c = tomb_new_opts(&o); /* dying parent: born dying */
	ck_assert_ptr_nonnull(c);
	ck_assert(tomb_dying(c));
	ck_assert_int_eq(tomb_err(c), EPIPE);
	ck_assert_str_eq(tomb_errmsg(c), "closing");
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(p), EPIPE);
	errno = 0;
	ck_assert_ptr_null(tomb_new_opts(&o)); /* dead parent */
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	sem_destroy(&release);
}
END_TEST

/* A child freed while alive leaves its parent like a child that died. */
START_TEST(test_free_live_child)
{
	tomb_t *p = tomb_new(), *c = child_of(p, 0);

	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_kill(p, 0), 0);
	ck_assert_int_eq(tomb_wait(p), 0);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

/* Freeing an errgroup owner's last live child, while the owner is waited
 * for with nothing running, ends that wait: the freeing wakes the waiter
 * as a child's death does.  (Whether the wait or the free comes first
 * varies from run to run; both must end with 0.) */
struct freer {
	tomb_t *child;
	sem_t go;
	int rc;
};

static void *free_after_go(void *arg)
{
	struct freer *f = arg;

	sem_wait(&f->go);
	f->rc = tomb_free(f->child);
	return NULL;
}

START_TEST(test_free_last_child_ends_owner_wait)
{
	tomb_t *p = tomb_new_opts(&(struct tomb_opts){.lifetime = TOMB_LIFETIME_ERRGROUP});
	struct freer f = {.child = child_of(p, 0), .rc = -1};
	pthread_t th;

	sem_init(&f.go, 0, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, free_after_go, &f), 0);
	sem_post(&f.go);
	ck_assert_int_eq(tomb_wait(p), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(f.rc, 0);
	ck_assert_int_eq(tomb_free(p), 0);
	sem_destroy(&f.go);
}
END_TEST

/* A worker of a child that waits for an ancestor would wait for itself. */
static int wait_for_grandparent(tomb_t *t, void *arg)
{
	(void)t;
	return tomb_timedwait(arg, NULL, NULL) == EDEADLK ? ECHILD : EPROTO;
}

START_TEST(test_wait_for_ancestor_from_worker)
{
	tomb_t *g = tomb_new(), *p = child_of(g, 0), *c = child_of(p, 0);

	ck_assert_int_eq(tomb_go(c, wait_for_grandparent, g), 0);
	ck_assert_int_eq(tomb_wait(c), ECHILD);
	ck_assert_int_eq(tomb_kill(g, 0), 0);
	ck_assert_int_eq(tomb_wait(g), 0);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	ck_assert_int_eq(tomb_free(g), 0);
}
END_TEST

/* An errgroup parent whose owner waits dies with 0 once its children die,
 * and a tomb-lifetime parent's last worker is not "last" while a child
 * lives. */
START_TEST(test_children_count_as_workers)
{
	tomb_t *p = tomb_new_opts(&(struct tomb_opts){.lifetime = TOMB_LIFETIME_ERRGROUP});
	tomb_t *c = child_of(p, 0), *q = tomb_new(), *d = child_of(q, 0);
	struct exit_probe probe;
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(c, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_kill(c, 0), 0);
	ck_assert_int_eq(tomb_wait(p), 0); /* no hang: c died, nothing runs */

	exit_probe_init(&probe);
	ck_assert_int_eq(tomb_go(d, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_go(q, worker_probed_zero, &probe), 0);
	sem_wait(&probe.gone);
	ck_assert_int_eq(tomb_count(q), 0);
	ck_assert(tomb_alive(q)); /* d lives: q's worker was not the last */
	ck_assert_int_eq(tomb_kill(q, EIO), 0);
	ck_assert_int_eq(tomb_wait(q), EIO);

	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	ck_assert_int_eq(tomb_free(d), 0);
	ck_assert_int_eq(tomb_free(q), 0);
	sem_destroy(&started);
	exit_probe_destroy(&probe);
}
END_TEST

/* Kills racing the making and freeing of children. */
struct churn {
	tomb_t *root;
	int made;
};

static void *make_children(void *arg)
{
	struct churn *ch = arg;

	for (int i = 0; i < 20; i++) {
		tomb_t *c = tomb_new_opts(&(struct tomb_opts){.parent = ch->root});

		if (c == NULL)
			break; /* the root is dead */
		ch->made++;
		if (tomb_go(c, worker_until_dying, NULL) == 0) {
			int rc = tomb_wait_dying(c, NULL); /* until the root's kill */

			(void)rc;
		}
		(void)tomb_wait(c);
		tomb_free(c);
	}
	return NULL;
}

START_TEST(test_race_kill_and_children)
{
	for (int round = 0; round < test_rounds(300); round++) {
		struct churn ch = {.root = tomb_new(), .made = 0};
		pthread_t th;

		ck_assert_int_eq(pthread_create(&th, NULL, make_children, &ch), 0);
		ck_assert_int_eq(tomb_kill(ch.root, ECANCELED), 0);
		ck_assert_int_eq(tomb_wait(ch.root), ECANCELED);
		pthread_join(th, NULL);
		ck_assert_int_eq(tomb_free(ch.root), 0);
	}
}
END_TEST

/*
 * Deep trees (issue 16): a kill that runs down a chain of `deep` tombs and a
 * settle that runs up it take the same stack at any depth, so a thread with
 * the smallest stack tomb_new_opts accepts survives both, and a wait on the
 * root joins the whole chain.
 */
#define DEEP_LEVELS 10000

/* The depth: DEEP_LEVELS, but fewer under valgrind, which checks the
 * threads' accesses, not their stacks' depth, and runs 50 times slower. */
static int deep;

/* A chain of `deep` tombs, each the child of the one before; the leaf gets
 * leaf_stack (0: the default). */
static tomb_t **make_chain(size_t leaf_stack)
{
	tomb_t **c;

	deep = test_rounds(DEEP_LEVELS);
	c = calloc((size_t)deep, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < deep; i++) {
		struct tomb_opts o = {.parent = i > 0 ? c[i - 1] : NULL};

		if (i == deep - 1)
			o.stack_size = leaf_stack;
		c[i] = tomb_new_opts(&o);
		ck_assert_msg(c[i] != NULL, "level %d: %s", i, strerror(errno));
	}
	return c;
}

/* Waits for the root (which joins every level), then frees the chain from
 * the leaf up. */
static void wait_and_free_chain(tomb_t **c, int reason)
{
	ck_assert_int_eq(tomb_wait(c[0]), reason);
	ck_assert_int_eq(tomb_err(c[deep - 1]), reason);
	for (int i = deep - 1; i >= 0; i--)
		ck_assert_int_eq(tomb_free(c[i]), 0);
	free(c);
}

static int kill_arg(tomb_t *t, void *arg)
{
	(void)t;
	return tomb_kill(arg, EIO);
}

/* The kill runs down `deep` levels (each level's callback kills the next),
 * and the leaf's death settles them all up, all in a worker with a
 * PTHREAD_STACK_MIN stack. */
START_TEST(test_deep_tree_killed_from_small_stack)
{
	tomb_t **c = make_chain(0);
	struct tomb_opts o = {.stack_size = PTHREAD_STACK_MIN};
	tomb_t *k = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(tomb_go(k, kill_arg, c[0]), 0);
	ck_assert_int_eq(tomb_wait(k), 0); /* its tomb_kill returned 0 */
	ck_assert_int_eq(tomb_free(k), 0);
	wait_and_free_chain(c, EIO);
}
END_TEST

/* The leaf's worker, on a PTHREAD_STACK_MIN stack, returns once the kill
 * has run down the whole chain (tomb_kill has returned, every callback
 * with it): its return makes every level DEAD, from the leaf up, in its
 * thread. */
START_TEST(test_deep_tree_settled_by_leaf_return)
{
	tomb_t **c = make_chain(PTHREAD_STACK_MIN);
	sem_t go;

	sem_init(&go, 0, 0);
	ck_assert_int_eq(tomb_go(c[deep - 1], worker_wait_sem, &go), 0);
	ck_assert_int_eq(tomb_kill(c[0], EPIPE), 0);
	ck_assert(tomb_dying(c[deep - 1]));
	sem_post(&go);
	wait_and_free_chain(c, EPIPE);
	sem_destroy(&go);
}
END_TEST

Suite *make_tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("tree");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_child_dies_with_parent);
	tcase_add_test(tc, test_child_keeps_own_reason);
	tcase_add_test(tc, test_parent_waits_for_child);
	tcase_add_test(tc, test_three_levels);
	tcase_add_test(tc, test_child_of_dead_or_dying_parent);
	tcase_add_test(tc, test_free_live_child);
	tcase_add_test(tc, test_free_last_child_ends_owner_wait);
	tcase_add_test(tc, test_wait_for_ancestor_from_worker);
	tcase_add_test(tc, test_children_count_as_workers);
	tcase_add_test(tc, test_race_kill_and_children);
	tcase_add_test(tc, test_deep_tree_killed_from_small_stack);
	tcase_add_test(tc, test_deep_tree_settled_by_leaf_return);
	suite_add_tcase(s, tc);
	return s;
}
