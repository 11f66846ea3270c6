/* SPDX-License-Identifier: MIT */
/*
 * stress_gen.c: the shared tombs.
 *
 * NSLOTS slots form a small forest: slots 0-3 are roots, 4 and 5 children
 * of 0, 6 a child of 4, 7 a child of 1 (a parent always has the lower
 * index).  Each slot holds a generation: a tomb with a random lifetime,
 * limit and descriptors, made as a child of its parent slot's tomb, and
 * what the test knows about it (struct gen).
 *
 * Ownership, so that the test itself never uses a freed tomb: a driver uses
 * a slot's generation only with the slot's lock shared; replacing it takes
 * the lock exclusively, for the slot and every slot below it (a tomb cannot
 * be freed before its children), taken in decreasing index order, then
 * the parent's shared.  A writer-preferring lock, so that a retirement is
 * not starved.  Nothing blocks for ever under a shared lock once the tomb
 * is dying, and a retirement kills the tomb (under the shared lock) before
 * it asks for the exclusive one.  Workers and callbacks take no slot lock:
 * they use their own generation, which outlives them (it is freed only once
 * its tomb is dead and waited for).
 */
#include "config.h"

#include "stress.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct slot slots[NSLOTS];
static const int slot_parent[NSLOTS] = {-1, -1, -1, -1, 0, 0, 4, 1};
static _Atomic unsigned long long next_gen_id = 1;

static bool in_subtree(int i, int s)
{
	for (; i >= 0; i = slots[i].parent)
		if (i == s)
			return true;
	return false;
}

void gen_attempt(struct gen *g, int reason)
{
	unsigned i = atomic_fetch_add(&g->nattempts, 1);

	if (i < ATTEMPTS_CAP)
		atomic_store_explicit(&g->attempts[i], reason,
		                      memory_order_relaxed);
}

void gen_kill_returned(struct gen *g)
{
	uint64_t end = ticket_take();
	uint64_t cur = atomic_load(&g->min_end);

	while (end < cur && !atomic_compare_exchange_weak(&g->min_end, &cur, end))
		continue;
}

struct gen *gen_new(struct rng *r, int slot, struct gen *parent,
                    const char *prefix)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct tomb_opts o = {0};
	pthread_mutexattr_t ma;

	if (g == NULL) {
		CHECK(g != NULL, "out of memory");
		return NULL;
	}
	g->id = atomic_fetch_add(&next_gen_id, 1);
	snprintf(g->name, sizeof(g->name), "%s.g%llu", prefix, g->id);
	g->slot = slot;
	g->parent = parent;
	g->lifetime = (int)rng_below(r, 3);
	g->limit = rng_percent(r, 40) ? 1 + (int)rng_below(r, 4) : 0;
	o.parent = parent != NULL ? parent->t : NULL;
	o.lifetime = g->lifetime;
	o.limit = g->limit;
	o.name = g->name;
	/* Half of the tombs run their workers on a pool: a shared one, or
	 * one of their own, made here and freed with the tomb. */
	switch (rng_below(r, 6)) {
	case 0:
	case 1:
		o.pool = stress_pools[rng_below(r, 2)];
		break;
	case 2: {
		struct tomb_pool_opts po = {
			.max_idle = rng_below(r, 3),
			.flags = rng_below(r, 2) ? TOMB_POOL_WAITER_RUNS : 0,
		};

		g->own_pool = tomb_pool_new(&po);
		CHECK(g->own_pool != NULL, "tomb_pool_new: %d", errno);
		o.pool = g->own_pool;
		break;
	}
	default:
		break;
	}
	g->pooled = o.pool != NULL;
	g->t = tomb_new_opts(&o);
	if (g->t == NULL) {
		int err = errno;

		if (g->own_pool != NULL)
			CHECK(tomb_pool_free(g->own_pool) == 0,
			      "tomb_pool_free of an unused pool");

		/* Only a dead parent refuses a child. */
		CHECK(err == ESRCH && parent != NULL && tomb_dying(parent->t),
		      "tomb_new_opts for %s: %d", g->name, err);
		if (err == ESRCH && parent != NULL)
			atomic_store(&parent->seen_dead, true);
		free(g);
		return NULL;
	}
	CHECK(strcmp(tomb_name(g->t), g->name) == 0, "%s: tomb_name says %s",
	      g->name, tomb_name(g->t));
	g->dying_fd = g->dead_fd = -1;
	if (rng_percent(r, 50)) {
		g->dying_fd = tomb_dying_fd(g->t);
		CHECK(g->dying_fd >= 0, "%s: tomb_dying_fd: %d", g->name, errno);
	}
	if (rng_percent(r, 50)) {
		g->dead_fd = tomb_dead_fd(g->t);
		CHECK(g->dead_fd >= 0, "%s: tomb_dead_fd: %d", g->name, errno);
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&g->cmu, &ma);
	pthread_mutexattr_destroy(&ma);
	tomb_cond_init(&g->cond);
	atomic_init(&g->max_limit, g->limit);
	atomic_init(&g->min_end, UINT64_MAX);
	STAT_ADD(generations, 1);
	return g;
}

void gen_dump(struct gen *g, FILE *f)
{
	fprintf(f, "%s (id %llu, lifetime %d, limit %d, %" PRIu64
	        " workers started, %u reasons given):\n", g->name, g->id,
	        g->lifetime, g->limit, atomic_load(&g->started),
	        atomic_load(&g->nattempts));
	tomb_dump(g->t, f);
	/* What the test knows of them: the kind and how long it may block. */
	for (struct worker_rec *w = atomic_load(&g->workers); w != NULL;
	     w = w->next)
		if (atomic_load(&w->ran) && !atomic_load(&w->returned))
			fprintf(f, "  running: %s, ms %d, flag %d\n",
			        worker_kind_names[w->kind], w->ms, w->flag);
}

/* The reasons a tomb may report: none yet, 0, or one of ours. */
static bool valid_reason(int e)
{
	return e == TOMB_STILL_ALIVE || e == 0 || e >= REASON_BASE;
}

void gen_observe(struct gen *g)
{
	/* What others saw is read before looking: whatever they saw had
	 * happened before we look. */
	bool was_dying = atomic_load(&g->seen_dying);
	bool was_dead = atomic_load(&g->seen_dead);
	int was_reason = atomic_load(&g->seen_reason);
	int e = tomb_err(g->t);
	bool dying = tomb_dying(g->t);
	bool alive = tomb_alive(g->t);
	size_t n = tomb_count(g->t);
	uint64_t started = atomic_load(&g->started);
	int max_limit = atomic_load(&g->max_limit);

	CHECK(valid_reason(e), "%s: tomb_err %d", g->name, e);
	CHECK(!(was_dying && e == TOMB_STILL_ALIVE),
	      "%s: alive again after it was seen dying", g->name);
	CHECK(was_reason == 0 || e == was_reason,
	      "%s: reason %d after %d was seen", g->name, e, was_reason);
	CHECK(e == TOMB_STILL_ALIVE || dying,
	      "%s: a reason (%d), then not dying", g->name, e);
	CHECK(!(dying && alive), "%s: dying, then alive", g->name);
	CHECK(n <= started, "%s: tomb_count %zu, but %" PRIu64
	      " tomb_go calls ever", g->name, n, started);
	CHECK(g->limit == 0 || n <= (size_t)max_limit,
	      "%s: tomb_count %zu above the highest limit %d", g->name, n,
	      max_limit);
	if (g->dying_fd >= 0 && fd_readable(g->dying_fd))
		CHECK(tomb_dying(g->t), "%s: dying fd readable, not dying",
		      g->name);
	if (g->dead_fd >= 0) {
		if (fd_readable(g->dead_fd)) {
			CHECK(tomb_dying(g->t) &&
			      tomb_err(g->t) != TOMB_STILL_ALIVE,
			      "%s: dead fd readable, not dying", g->name);
			CHECK(tomb_count(g->t) == 0,
			      "%s: dead, %zu workers", g->name,
			      tomb_count(g->t));
			atomic_store(&g->seen_dead, true);
		} else {
			CHECK(!was_dead, "%s: dead fd not readable after it "
			      "was seen dead", g->name);
		}
	}
	if (e != TOMB_STILL_ALIVE)
		atomic_store(&g->seen_dying, true);
	if (e != TOMB_STILL_ALIVE && e != 0) {
		int expected = 0;

		if (!atomic_compare_exchange_strong(&g->seen_reason, &expected,
		                                    e))
			CHECK(expected == e, "%s: reason %d, but %d was seen",
			      g->name, e, expected);
	}
}

/* Every worker that ran has returned, and (unless the tomb has a pool, whose
 * threads stay) its thread has exited. */
static void check_workers_gone(struct gen *g)
{
	for (struct worker_rec *w = atomic_load(&g->workers); w != NULL;
	     w = w->next) {
		if (!atomic_load(&w->ran))
			continue;
		CHECK(atomic_load(&w->returned),
		      "%s: dead, but a %s worker has not returned", g->name,
		      worker_kind_names[w->kind]);
		CHECK(g->pooled || atomic_load(&w->probe.exited),
		      "%s: waited for, but a %s worker's thread has not exited",
		      g->name, worker_kind_names[w->kind]);
	}
}

void gen_saw_dead(struct gen *g, int reason)
{
	int e = tomb_err(g->t);

	STAT_ADD(waits_dead, 1);
	CHECK(valid_reason(reason) && reason != TOMB_STILL_ALIVE,
	      "%s: a wait returned reason %d", g->name, reason);
	CHECK(tomb_dying(g->t) && e != TOMB_STILL_ALIVE,
	      "%s: dead, not dying", g->name);
	/* A provisional 0 may give way after the wait; a non-zero reason
	 * never. */
	CHECK(reason == 0 || e == reason, "%s: waited reason %d, now %d",
	      g->name, reason, e);
	CHECK(tomb_count(g->t) == 0, "%s: dead with %zu workers", g->name,
	      tomb_count(g->t));
	CHECK(g->dying_fd < 0 || fd_readable(g->dying_fd),
	      "%s: dead, dying fd not readable", g->name);
	CHECK(g->dead_fd < 0 || fd_readable(g->dead_fd),
	      "%s: dead, dead fd not readable", g->name);
	check_workers_gone(g);
	atomic_store(&g->seen_dead, true);
	gen_observe(g);
}

void gen_kill(struct gen *g, struct rng *r, bool edying)
{
	unsigned p = rng_below(r, 100);
	bool f = rng_percent(r, 30), was_dying = tomb_dying(g->t);
	int reason, rc, e;

	if (p < 25) {
		reason = 0;
	} else if (p < 30 && edying) {
		reason = TOMB_EDYING;
	} else {
		reason = reason_new();
		gen_attempt(g, reason);
	}
	STAT_ADD(kills, 1);
	rc = f ? tomb_killf(g->t, reason, "killf %d", reason)
	       : tomb_kill(g->t, reason);
	if (reason == TOMB_EDYING && rc == EINVAL) {
		/* "I stopped because it is dying" while it is alive. */
		CHECK(!was_dying, "%s: TOMB_EDYING refused while dying",
		      g->name);
		return;
	}
	CHECK(rc == (f ? reason : 0), "%s: kill(%d) returned %d", g->name,
	      reason, rc);
	if (reason != 0 && reason != TOMB_EDYING)
		gen_kill_returned(g);
	e = tomb_err(g->t);
	CHECK(tomb_dying(g->t) && e != TOMB_STILL_ALIVE,
	      "%s: killed, not dying", g->name);
	CHECK(reason == 0 || reason == TOMB_EDYING || e != 0,
	      "%s: killed with %d, reason still 0", g->name, reason);
	/* Whichever kill made t dying, the descriptor is readable when any
	 * kill returns: this one wrote it, or found it written, or wrote the
	 * signal the first killer's tail still owed (kill.c's waking_fd). */
	CHECK(g->dying_fd < 0 || fd_readable(g->dying_fd),
	      "%s: killed, dying fd not readable", g->name);
	gen_observe(g);
}

static bool attempted(struct gen *g, int reason)
{
	unsigned n = atomic_load(&g->nattempts);

	if (n > ATTEMPTS_CAP)
		return true; /* not all remembered: cannot tell */
	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&g->attempts[i],
		                         memory_order_relaxed) == reason)
			return true;
	return false;
}

/* Whether a dead tomb's reason may have gone from `before` to `after`: a
 * provisional 0 gives way to its parent's reason when the parent is killed
 * later (the parent's kill reaches its children, dead or not, until they are
 * freed); nothing else changes. */
static bool may_follow(const struct gen *g, int before, int after)
{
	return after == before ||
	       (before == 0 && g->parent != NULL &&
	        after == tomb_err(g->parent->t));
}

/*
 * The reason of a dead tomb that only this thread may use, and that was
 * waited for with `reason`; its parent (if any) may still be killed.
 */
static void check_final_reason(struct gen *g, int reason)
{
	int again = -1, e, seen = atomic_load(&g->seen_reason);
	unsigned n = atomic_load(&g->nattempts);
	uint64_t min_end = atomic_load(&g->min_end);
	const char *msg;
	char m1[32], m2[32];

	CHECK(tomb_timedwait(g->t, NULL, &again) == 0 &&
	      may_follow(g, reason, again),
	      "%s: waited reason %d, a second wait says %d", g->name, reason,
	      again);
	e = tomb_err(g->t);
	CHECK(may_follow(g, again, e), "%s: waited reason %d, tomb_err %d",
	      g->name, again, e);
	CHECK(seen == 0 || seen == e, "%s: reason %d, but %d was seen",
	      g->name, e, seen);
	if (e == 0) {
		/* Every reason given was applied before the tomb was dead
		 * and waited for: the first non-zero one would have won. */
		CHECK(n == 0, "%s: reason 0, though %u non-zero reasons were "
		      "given", g->name, n);
		return;
	}
	CHECK(e >= REASON_BASE, "%s: reason %d is none of ours", g->name, e);
	CHECK(attempted(g, e) ||
	      (g->parent != NULL && tomb_err(g->parent->t) == e),
	      "%s: reason %d was given neither to it nor to its parent",
	      g->name, e);
	CHECK((uint64_t)(e - REASON_BASE) < min_end,
	      "%s: reason %d was given at ticket %d, after a kill with "
	      "another reason had returned (ticket %" PRIu64 ")", g->name, e,
	      e - REASON_BASE, min_end);
	/* The message is the reason's; unless the parent's kill is setting
	 * both right now (the message is stored just after the reason). */
	if (again != e)
		return;
	msg = tomb_errmsg(g->t);
	snprintf(m1, sizeof(m1), "reason %d", e);
	snprintf(m2, sizeof(m2), "killf %d", e);
	CHECK(msg != NULL && (strcmp(msg, m1) == 0 || strcmp(msg, m2) == 0),
	      "%s: reason %d, message \"%s\"", g->name, e,
	      msg != NULL ? msg : "(null)");
}

bool gen_finish(struct gen *g, int reason)
{
	int err;

	gen_saw_dead(g, reason);
	check_final_reason(g, reason);
	for (struct worker_rec *w = atomic_load(&g->workers); w != NULL;
	     w = w->next) {
		int go_err = atomic_load(&w->go_err);

		CHECK(go_err != GO_PENDING, "%s: a tomb_go never returned",
		      g->name);
		CHECK((go_err == 0) == atomic_load(&w->ran),
		      "%s: tomb_go returned %d, the worker %s", g->name,
		      go_err, atomic_load(&w->ran) ? "ran" : "did not run");
	}
	/* Every callback has run (a hook that ran does not hold tomb_free
	 * up: see op_child for one that has not), and now each is
	 * unregistered, as the manual asks, before the free. */
	hooks_finish(g, true);
	err = tomb_free(g->t);
	CHECK(err == 0, "%s: tomb_free: %d", g->name, err);
	if (err != 0)
		return false; /* leaked: something may still use it */
	gen_discard(g);
	return true;
}

/* Called once its tomb is freed. */
void gen_discard(struct gen *g)
{
	if (g->own_pool != NULL) {
		/* Its only user is freed: the pool joins its threads. */
		int err = tomb_pool_free(g->own_pool);

		CHECK(err == 0, "%s: tomb_pool_free: %d", g->name, err);
	}
	CHECK(tomb_cond_destroy(&g->cond) == 0, "%s: a condition waiter is "
	      "left", g->name);
	pthread_mutex_destroy(&g->cmu);
	for (struct worker_rec *w = atomic_load(&g->workers), *next;
	     w != NULL; w = next) {
		next = w->next;
		exit_probe_destroy(&w->probe);
		free(w);
	}
	free(g);
}

void slots_init(struct rng *r)
{
	pthread_rwlockattr_t a;
	char prefix[8];

	pthread_rwlockattr_init(&a);
#ifdef HAVE_PTHREAD_RWLOCKATTR_SETKIND_NP
	/* glibc's own kind (elsewhere, the C library's default: then a
	 * retirement may wait longer for the drivers' shared locks). */
	pthread_rwlockattr_setkind_np(&a,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	for (int i = 0; i < NSLOTS; i++) {
		struct gen *p = NULL;

		pthread_rwlock_init(&slots[i].lock, &a);
		slots[i].parent = slot_parent[i];
		if (slots[i].parent >= 0)
			p = atomic_load(&slots[slots[i].parent].gen);
		snprintf(prefix, sizeof(prefix), "s%d", i);
		atomic_init(&slots[i].gen, gen_new(r, i, p, prefix));
	}
	pthread_rwlockattr_destroy(&a);
}

struct gen *slot_enter(struct driver *d, int *s)
{
	struct gen *g;

	*s = (int)rng_below(&d->rng, NSLOTS);
	atomic_store(&d->op_slot, *s);
	pthread_rwlock_rdlock(&slots[*s].lock);
	g = atomic_load(&slots[*s].gen);
	if (g == NULL) {
		pthread_rwlock_unlock(&slots[*s].lock);
		atomic_store(&d->op_slot, -1);
		return NULL;
	}
	if (atomic_load(&g->seen_dead))
		STAT_ADD(found_dead, 1);
	else if (tomb_dying(g->t))
		STAT_ADD(found_dying, 1);
	else
		STAT_ADD(found_alive, 1);
	return g;
}

void slot_leave(struct driver *d, int s, struct gen *g)
{
	bool want = atomic_load(&g->seen_dead) ||
	            atomic_load(&g->started) >= GEN_WORKERS_CAP ||
	            atomic_load(&g->nattempts) >= ATTEMPTS_CAP;
	bool claimed = false;

	if (want && d->retire_slot < 0)
		claimed = !atomic_exchange(&g->retire_claimed, true);
	pthread_rwlock_unlock(&slots[s].lock);
	atomic_store(&d->op_slot, -1);
	if (claimed)
		d->retire_slot = s;
}

void slot_retire(struct driver *d, int s, bool recreate)
{
	int p = slots[s].parent;
	struct gen *g;

	atomic_store(&d->op_slot, s);
	STAT_ADD(retires, 1);
	if (recreate && rng_percent(&d->rng, 50)) {
		/* Get whoever is inside out at once: nothing blocks once
		 * dying.  (Nothing blocks for long anyway: a worker on a tomb
		 * with a limit, that a tomb_go may wait for, blocks for
		 * BLOCK_MS_MAX at most.  The other half of the time, the tomb
		 * may die on its own.) */
		pthread_rwlock_rdlock(&slots[s].lock);
		g = atomic_load(&slots[s].gen);
		if (g != NULL)
			gen_kill(g, &d->rng, false);
		pthread_rwlock_unlock(&slots[s].lock);
	}
	for (int i = NSLOTS - 1; i >= s; i--)
		if (in_subtree(i, s))
			pthread_rwlock_wrlock(&slots[i].lock);
	if (p >= 0)
		pthread_rwlock_rdlock(&slots[p].lock);

	g = atomic_load(&slots[s].gen);
	if (g != NULL) {
		struct timespec dl = tomb_deadline_ms(rng_below(&d->rng, 3));
		int reason = 0, sub_reason[NSLOTS];
		bool sub = false, ok = true;

		/* Sometimes let it die on its own (an errgroup or group with
		 * no worker left dies when waited for). */
		if (!rng_percent(&d->rng, 30) ||
		    tomb_timedwait(g->t, &dl, &reason) != 0) {
			gen_kill(g, &d->rng, false);
			reason = tomb_wait(g->t);
		}
		for (int i = s + 1; i < NSLOTS; i++) {
			struct gen *c = atomic_load(&slots[i].gen);
			int rc;

			if (c == NULL || !in_subtree(i, s))
				continue;
			sub = true;
			/* One wait on the root waited for the whole tree. */
			dl = tomb_deadline_ms(0);
			rc = tomb_timedwait(c->t, &dl, &sub_reason[i]);
			CHECK(rc == 0, "%s: not dead after a wait on %s: %d",
			      c->name, g->name, rc);
			ok &= rc == 0;
		}
		if (sub && rng_percent(&d->rng, 30))
			CHECK(tomb_free(g->t) == EBUSY,
			      "%s: freed before its children", g->name);
		/* Children first; on a failure, leak rather than free what
		 * may still run. */
		for (int i = NSLOTS - 1; i > s; i--) {
			struct gen *c = atomic_load(&slots[i].gen);

			if (c == NULL || !in_subtree(i, s))
				continue;
			atomic_store(&slots[i].gen, NULL);
			if (ok)
				ok = gen_finish(c, sub_reason[i]);
		}
		atomic_store(&slots[s].gen, NULL);
		if (ok)
			gen_finish(g, reason);
	}
	if (recreate) {
		for (int i = s; i < NSLOTS; i++) {
			struct gen *pg = NULL, *ng = NULL;
			char prefix[8];

			if (!in_subtree(i, s))
				continue;
			if (slots[i].parent >= 0)
				pg = atomic_load(&slots[slots[i].parent].gen);
			snprintf(prefix, sizeof(prefix), "s%d", i);
			if (slots[i].parent < 0 || pg != NULL)
				ng = gen_new(&d->rng, i, pg, prefix);
			atomic_store(&slots[i].gen, ng);
		}
	}

	if (p >= 0)
		pthread_rwlock_unlock(&slots[p].lock);
	for (int i = s; i < NSLOTS; i++)
		if (in_subtree(i, s))
			pthread_rwlock_unlock(&slots[i].lock);
	atomic_store(&d->op_slot, -1);
}
