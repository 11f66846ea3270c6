/* SPDX-License-Identifier: MIT */
/*
 * stress_ops.c: the operations the drivers pick from, each with a weight.
 * An operation takes a slot's shared lock (slot_enter), does one thing to
 * its tomb, checks what that implies, and leaves; to add one, write a
 * function and a line in the table.
 */
#include "config.h"

#include "stress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void op_go(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	worker_start(g, &d->rng,
	             rng_percent(&d->rng, 50) ? HOW_GO : HOW_GO_NAMED, false);
	slot_leave(d, s, g);
}

static void op_trygo(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	worker_start(g, &d->rng, HOW_TRYGO, false);
	slot_leave(d, s, g);
}

static void op_kill(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	gen_kill(g, &d->rng, true);
	slot_leave(d, s, g);
}

/* tomb_timedwait with a deadline of 0 to 3 ms. */
static void op_timedwait(struct driver *d)
{
	int s, reason = -1, rc;
	struct gen *g = slot_enter(d, &s);
	struct timespec dl;
	bool was_dead, want_reason;

	if (g == NULL)
		return;
	was_dead = atomic_load(&g->seen_dead);
	want_reason = rng_percent(&d->rng, 80);
	dl = tomb_deadline_ms(rng_below(&d->rng, 4));
	rc = tomb_timedwait(g->t, &dl, want_reason ? &reason : NULL);
	if (rc == 0) {
		gen_saw_dead(g, want_reason ? reason : tomb_err(g->t));
	} else {
		CHECK(rc == ETIMEDOUT && !was_dead,
		      "%s: tomb_timedwait: %d%s", g->name, rc,
		      was_dead ? " (dead)" : "");
		STAT_ADD(waits_timed_out, 1);
	}
	slot_leave(d, s, g);
}

/* A kill, then tomb_wait with no deadline: a dying tomb's workers end. */
static void op_wait(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	gen_kill(g, &d->rng, false);
	gen_saw_dead(g, tomb_wait(g->t));
	slot_leave(d, s, g);
}

/* tomb_wait_dying or tomb_sleep, with a deadline of 0 to 2 ms. */
static void op_wait_dying(struct driver *d)
{
	int s, rc;
	struct gen *g = slot_enter(d, &s);
	struct timespec dl;
	bool was_dying;

	if (g == NULL)
		return;
	dl = tomb_deadline_ms(rng_below(&d->rng, 3));
	was_dying = tomb_dying(g->t);
	if (rng_percent(&d->rng, 50)) {
		rc = tomb_wait_dying(g->t, &dl);
		if (rc == 0)
			CHECK(tomb_dying(g->t), "%s: tomb_wait_dying: 0, "
			      "not dying", g->name);
		else
			CHECK(rc == ETIMEDOUT && !was_dying,
			      "%s: tomb_wait_dying: %d", g->name, rc);
	} else {
		rc = tomb_sleep(g->t, &dl);
		if (rc == ECANCELED)
			CHECK(tomb_dying(g->t), "%s: tomb_sleep: ECANCELED, "
			      "not dying", g->name);
		else
			CHECK(rc == 0 && !was_dying, "%s: tomb_sleep: %d",
			      g->name, rc);
	}
	gen_observe(g);
	slot_leave(d, s, g);
}

static void op_on_dying(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	hook_register(g, &d->rng);
	slot_leave(d, s, g);
}

static void op_off(struct driver *d)
{
	int s;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	hook_unregister(g, &d->rng);
	slot_leave(d, s, g);
}

struct listing {
	size_t n;
	bool unnamed;
};

static void list_worker(const struct tomb_worker_info *info, void *arg)
{
	struct listing *l = arg;

	l->n++;
	l->unnamed |= info->name == NULL;
}

/* Looks without touching: the state, the count, the list, the report. */
static void op_observe(struct driver *d)
{
	int s, rc;
	struct gen *g = slot_enter(d, &s);
	struct listing l = {0};

	if (g == NULL)
		return;
	gen_observe(g);
	rc = tomb_foreach(g->t, list_worker, &l);
	CHECK(rc == 0 && !l.unnamed, "%s: tomb_foreach: %d", g->name, rc);
	CHECK(l.n <= atomic_load(&g->started), "%s: tomb_foreach listed %zu "
	      "workers of %llu started", g->name, l.n,
	      (unsigned long long)atomic_load(&g->started));
	if (rng_percent(&d->rng, 20)) {
		rc = tomb_dump(g->t, stress_devnull);
		CHECK(rc == 0, "%s: tomb_dump: %d", g->name, rc);
	}
	CHECK(tomb_errmsg(g->t) != NULL, "%s: no message", g->name);
	slot_leave(d, s, g);
}

/* Wakes the WK_COND workers: they wait again (a signal is no kill). */
static void op_signal(struct driver *d)
{
	int s, rc;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	rc = rng_percent(&d->rng, 50) ? tomb_cond_signal(&g->cond)
	                              : tomb_cond_broadcast(&g->cond);
	CHECK(rc == 0, "%s: tomb_cond_signal/broadcast: %d", g->name, rc);
	slot_leave(d, s, g);
}

/* A new limit, 1 to 4, on a tomb made with one. */
static void op_set_limit(struct driver *d)
{
	int s, rc, n, cur;
	struct gen *g = slot_enter(d, &s);

	if (g == NULL)
		return;
	if (g->limit > 0) {
		n = 1 + (int)rng_below(&d->rng, 4);
		cur = atomic_load(&g->max_limit);
		while (n > cur &&
		       !atomic_compare_exchange_weak(&g->max_limit, &cur, n))
			continue;
		rc = tomb_set_limit(g->t, n);
		CHECK(rc == 0, "%s: tomb_set_limit: %d", g->name, rc);
		rc = tomb_set_limit(g->t, -1);
		CHECK(rc == EINVAL, "%s: tomb_set_limit(-1): %d", g->name, rc);
	}
	slot_leave(d, s, g);
}

/*
 * Frees a private child with no worker, maybe alive (its parent may kill it
 * meanwhile): a registered callback that has not run holds tomb_free up, one
 * that has run does not.
 */
static void free_unused(struct driver *d, struct gen *c)
{
	struct hook_rec *h = NULL;
	int rc;

	if (rng_percent(&d->rng, 50) && (h = hook_register(c, &d->rng))) {
		rc = tomb_free(c->t);
		if (rc == 0) {
			CHECK(atomic_load(&h->fires) == h->expected + 1,
			      "%s: freed with a callback that has not run",
			      c->name);
			/* tomb_off of a hook that ran needs no tomb. */
			atomic_store(&d->child, NULL);
			hooks_finish(c, true);
			gen_discard(c);
			STAT_ADD(freed_alive, 1);
			return;
		}
		CHECK(rc == EBUSY, "%s: tomb_free with a callback: %d",
		      c->name, rc);
		hooks_finish(c, false);
	}
	atomic_store(&d->child, NULL);
	rc = tomb_free(c->t);
	CHECK(rc == 0, "%s: tomb_free of an unused child: %d", c->name, rc);
	if (rc == 0)
		gen_discard(c);
	STAT_ADD(freed_alive, 1);
}

/*
 * A private child of a slot's tomb: a few workers and a callback, maybe a
 * kill, then a short wait, a kill if it is not dead yet, and tomb_wait;
 * checked and freed before the slot is left.  Sometimes it is freed alive,
 * with nothing started.
 */
static void op_child(struct driver *d)
{
	int s, reason = 0, rc;
	struct gen *g = slot_enter(d, &s), *c;
	char prefix[8];
	struct timespec dl;

	if (g == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "d%dc", d->id);
	c = gen_new(&d->rng, -1, g, prefix);
	if (c == NULL) {
		slot_leave(d, s, g);
		return;
	}
	STAT_ADD(children, 1);
	atomic_store(&d->child, c);
	if (rng_percent(&d->rng, 15)) {
		free_unused(d, c);
		slot_leave(d, s, g);
		return;
	}
	for (unsigned n = rng_below(&d->rng, 4); n > 0; n--)
		worker_start(c, &d->rng, (int)rng_below(&d->rng, 3), false);
	if (rng_percent(&d->rng, 40))
		hook_register(c, &d->rng);
	if (rng_percent(&d->rng, 20))
		hook_unregister(c, &d->rng);
	if (rng_percent(&d->rng, 40))
		gen_kill(c, &d->rng, true);
	gen_observe(c);
	dl = tomb_deadline_ms(rng_below(&d->rng, 4));
	rc = tomb_timedwait(c->t, &dl, &reason);
	if (rc != 0) {
		CHECK(rc == ETIMEDOUT, "%s: tomb_timedwait: %d", c->name, rc);
		gen_kill(c, &d->rng, false);
		reason = tomb_wait(c->t);
	}
	gen_finish(c, reason);
	atomic_store(&d->child, NULL);
	slot_leave(d, s, g);
}

static void op_retire(struct driver *d)
{
	slot_retire(d, (int)rng_below(&d->rng, NSLOTS), true);
}

/* Pools (tomb_pool_new, tomb_pool_free, opts.pool) get their lines here
 * once tomb.h has them; a generation on a pool sets gen->pooled. */
const struct op stress_ops[] = {
	{"go", 18, op_go},
	{"trygo", 8, op_trygo},
	{"kill", 5, op_kill},
	{"timedwait", 8, op_timedwait},
	{"wait", 2, op_wait},
	{"wait_dying", 5, op_wait_dying},
	{"on_dying", 7, op_on_dying},
	{"off", 7, op_off},
	{"observe", 12, op_observe},
	{"signal", 5, op_signal},
	{"set_limit", 3, op_set_limit},
	{"child", 6, op_child},
	{"retire", 1, op_retire},
};
const size_t stress_nops = sizeof(stress_ops) / sizeof(stress_ops[0]);
