/* SPDX-License-Identifier: MIT */
/*
 * stress_work.c: the workers the drivers start, and the dying callbacks.
 *
 * Every worker blocks at most BLOCK_MS_MAX milliseconds, or until its tomb
 * is dying (only on a tomb without a limit, so that a tomb_go waiting for a
 * slot always gets one or ECANCELED).  Workers check what they may (their
 * tomb is not dead while they run, waiting for it is EDEADLK) and record
 * that they ran, returned and exited, for the checks after a wait.
 */
#include "config.h"

#include "stress.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

const char *const worker_kind_names[WK_COUNT] = {
	[WK_ZERO] = "w-zero",     [WK_REASON] = "w-reason",
	[WK_EDYING] = "w-edying", [WK_SLEEP] = "w-sleep",
	[WK_COND] = "w-cond",     [WK_POLL] = "w-poll",
	[WK_SPIN] = "w-spin",     [WK_KILL] = "w-kill",
	[WK_SELFWAIT] = "w-selfwait", [WK_GO] = "w-go",
};

/* The deadline of a bounded wait, or NULL for "until dying". */
static const struct timespec *deadline(const struct worker_rec *w,
                                       struct timespec *ts)
{
	if (w->ms < 0)
		return NULL;
	*ts = tomb_deadline_ms(w->ms);
	return ts;
}

static int work_edying(tomb_t *t, struct worker_rec *w)
{
	struct timespec ts;
	int err = tomb_wait_dying(t, deadline(w, &ts));

	if (err == 0) {
		CHECK(tomb_dying(t), "tomb_wait_dying returned 0, not dying");
		return TOMB_EDYING;
	}
	CHECK(err == ETIMEDOUT && w->ms >= 0, "tomb_wait_dying: %d", err);
	return 0;
}

static int work_sleep(tomb_t *t, struct worker_rec *w)
{
	struct timespec ts;
	int err = tomb_sleep(t, deadline(w, &ts));

	if (err == ECANCELED) {
		CHECK(tomb_dying(t), "tomb_sleep: ECANCELED, not dying");
		return w->flag ? TOMB_EDYING : 0;
	}
	CHECK(err == 0 && w->ms >= 0, "tomb_sleep: %d", err);
	return 0;
}

static int work_cond(tomb_t *t, struct worker_rec *w)
{
	struct gen *g = w->g;
	struct timespec ts;
	const struct timespec *dl = deadline(w, &ts);
	int err, rc = 0;

	pthread_mutex_lock(&g->cmu);
	for (;;) {
		err = tomb_cond_wait(t, &g->cond, &g->cmu, dl);
		if (err == 0) {
			STAT_ADD(cond_signals, 1);
			continue; /* a signal (or a spurious wake-up) */
		}
		if (err == ECANCELED) {
			CHECK(tomb_dying(t), "tomb_cond_wait: ECANCELED, "
			      "not dying");
			rc = w->flag ? TOMB_EDYING : 0;
		} else {
			CHECK(err == ETIMEDOUT && dl != NULL,
			      "tomb_cond_wait: %d", err);
		}
		break;
	}
	/* An error-checking mutex: EPERM if the wait did not lock it again. */
	err = pthread_mutex_unlock(&g->cmu);
	CHECK(err == 0, "the mutex was not held after tomb_cond_wait: %d",
	      err);
	return rc;
}

static int work_poll(tomb_t *t, struct worker_rec *w)
{
	struct pollfd p[2] = {{.events = POLLIN}, {.events = POLLIN}};
	int n;

	p[0].fd = tomb_dying_fd(t);
	p[1].fd = tomb_dead_fd(t);
	CHECK(p[0].fd >= 0 && p[1].fd >= 0, "tomb_dying_fd/tomb_dead_fd: %d",
	      errno);
	if (p[0].fd < 0 || p[1].fd < 0)
		return 0;
	while ((n = poll(p, 2, w->ms)) < 0 && errno == EINTR)
		continue;
	CHECK(n >= 0, "poll: %d", errno);
	CHECK(!(p[1].revents & POLLIN), "dead fd readable while a worker runs");
	if (p[0].revents & POLLIN) {
		CHECK(tomb_dying(t), "dying fd readable, not dying");
		return w->flag ? TOMB_EDYING : 0;
	}
	CHECK(n == 0 && w->ms >= 0, "poll returned %d", n);
	return 0;
}

static int work_spin(tomb_t *t, struct worker_rec *w)
{
	/* A bounded spin, even without a deadline: a spinning thread per
	 * tomb would starve two cores. */
	for (int i = 0; i < 100 * (w->ms < 0 ? BLOCK_MS_MAX : w->ms + 1); i++) {
		if (tomb_dying(t))
			return w->flag ? TOMB_EDYING : 0;
		sched_yield();
	}
	return 0;
}

static int work_go(struct worker_rec *w)
{
	struct rng r;

	rng_seed(&r, w->seed, 0);
	worker_start(w->g, &r, w->flag ? HOW_GO : HOW_TRYGO, true);
	return 0;
}

static int work_kill(tomb_t *t, struct worker_rec *w)
{
	int reason = reason_new(), rc, e;

	gen_attempt(w->g, reason);
	rc = w->flag ? tomb_killf(t, reason, "killf %d", reason)
	             : tomb_kill(t, reason);
	CHECK(rc == (w->flag ? reason : 0), "kill from a worker: %d", rc);
	gen_kill_returned(w->g);
	e = tomb_err(t);
	CHECK(e != 0 && e != TOMB_STILL_ALIVE, "killed with %d, tomb_err %d",
	      reason, e);
	return TOMB_EDYING;
}

static int work_selfwait(tomb_t *t, struct worker_rec *w)
{
	struct timespec now = tomb_deadline_ms(0);
	int reason = -1, err;

	err = tomb_timedwait(t, NULL, &reason);
	CHECK(err == EDEADLK, "tomb_timedwait on its own tomb: %d", err);
	err = tomb_wait(t);
	CHECK(err == EDEADLK, "tomb_wait on its own tomb: %d", err);
	for (struct gen *a = w->g->parent; a != NULL; a = a->parent) {
		err = tomb_timedwait(a->t, &now, &reason);
		CHECK(err == EDEADLK, "tomb_timedwait on an ancestor: %d", err);
	}
	return 0;
}

/* Every worker's function. */
static int work(tomb_t *t, void *arg)
{
	struct worker_rec *w = arg;
	struct gen *g = w->g;
	int rc = 0;

	stress_who = worker_kind_names[w->kind];
	atomic_store(&w->ran, true);
	if (!g->pooled)
		exit_probe_arm(&w->probe);
	CHECK(t == g->t, "%s: a worker got another tomb", g->name);
	CHECK(!fd_readable(g->dead_fd), "%s: dead while a worker runs",
	      g->name);
	switch (w->kind) {
	case WK_ZERO:
		break;
	case WK_REASON:
		rc = reason_new();
		gen_attempt(g, rc);
		break;
	case WK_EDYING:
		rc = work_edying(t, w);
		break;
	case WK_SLEEP:
		rc = work_sleep(t, w);
		break;
	case WK_COND:
		rc = work_cond(t, w);
		break;
	case WK_POLL:
		rc = work_poll(t, w);
		break;
	case WK_SPIN:
		rc = work_spin(t, w);
		break;
	case WK_GO:
		rc = work_go(w);
		break;
	case WK_KILL:
		rc = work_kill(t, w);
		break;
	case WK_SELFWAIT:
		rc = work_selfwait(t, w);
		break;
	}
	atomic_fetch_sub(&stats.live_workers, 1);
	atomic_store(&w->returned, true);
	return rc;
}

int worker_start(struct gen *g, struct rng *r, int how, bool from_worker)
{
	struct worker_rec *w;
	bool was_dead = atomic_load(&g->seen_dead);
	int err;

	if (atomic_load(&g->started) >= GEN_WORKERS_CAP ||
	    tomb_count(g->t) >= LIVE_PER_TOMB_CAP ||
	    atomic_load(&stats.live_workers) >= LIVE_TOTAL_CAP)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		CHECK(w != NULL, "out of memory");
		return -1;
	}
	w->g = g;
	/* A worker of a worker does not start more. */
	w->kind = (int)rng_below(r, from_worker ? WK_GO : WK_COUNT);
	w->ms = (int)rng_below(r, BLOCK_MS_MAX + 1);
	if (g->limit == 0 && rng_percent(r, 40))
		w->ms = -1;
	w->flag = rng_percent(r, 50);
	w->seed = rng_next(r);
	atomic_init(&w->go_err, GO_PENDING);
	exit_probe_init(&w->probe);
	w->next = atomic_load(&g->workers);
	while (!atomic_compare_exchange_weak(&g->workers, &w->next, w))
		continue;

	atomic_fetch_add(&g->started, 1);
	atomic_fetch_add(&stats.live_workers, 1);
	if (how == HOW_TRYGO)
		err = tomb_trygo(g->t, work, w);
	else if (how == HOW_GO_NAMED)
		err = tomb_go_named(g->t, worker_kind_names[w->kind], work, w);
	else
		err = tomb_go(g->t, work, w);
	atomic_store(&w->go_err, err);
	if (err != 0) {
		atomic_fetch_sub(&stats.live_workers, 1);
		STAT_ADD(go_refused, 1);
	} else {
		STAT_ADD(workers_started, 1);
	}
	switch (err) {
	case 0:
		CHECK(!was_dead, "%s: tomb_go succeeded on a dead tomb",
		      g->name);
		break;
	case ESRCH:
		/* Dead: a worker's own tomb never is. */
		CHECK(!from_worker && tomb_dying(g->t),
		      "%s: tomb_go: ESRCH", g->name);
		atomic_store(&g->seen_dead, true);
		break;
	case ECANCELED:
		CHECK(g->limit > 0 && tomb_dying(g->t),
		      "%s: tomb_go: ECANCELED", g->name);
		break;
	case EBUSY:
		CHECK(g->limit > 0 && how == HOW_TRYGO, "%s: tomb_go: EBUSY",
		      g->name);
		break;
	case EDEADLK:
		CHECK(g->limit > 0 && from_worker && how != HOW_TRYGO,
		      "%s: tomb_go: EDEADLK", g->name);
		break;
	case EAGAIN:
	case ENOMEM:
		STAT_ADD(resource_errors, 1); /* the system's limits */
		break;
	default:
		CHECK(false, "%s: tomb_go: %d", g->name, err);
	}
	return err;
}

/* The hook this thread is registering: its callback may run at once, here,
 * even on a tomb that is dead already. */
static _Thread_local struct hook_rec *registering;

/* Every callback. */
static void hook_fn(tomb_t *t, void *arg)
{
	struct hook_rec *h = arg;
	struct gen *g = h->g;
	unsigned n = atomic_fetch_add(&h->fires, 1);
	int e = tomb_err(t);

	STAT_ADD(hooks_fired, 1);
	CHECK(n == h->expected, "%s: a callback ran again (%u runs, %u "
	      "accounted for)", g->name, n + 1, h->expected);
	CHECK(t == g->t, "%s: a callback got another tomb", g->name);
	CHECK(tomb_dying(t) && e != TOMB_STILL_ALIVE,
	      "%s: a callback ran, not dying", g->name);
	/* A kill counts its callbacks before DEAD could be set: a tomb whose
	 * kill runs a callback is not dead until it has returned.  (One that
	 * is registered on a dead tomb runs at once, on the dead tomb.) */
	CHECK(registering == h || !fd_readable(g->dead_fd),
	      "%s: dead while a callback a kill runs runs", g->name);
	if (h->kill) {
		int reason = reason_new(), rc;

		gen_attempt(g, reason);
		rc = h->killf ? tomb_killf(t, reason, "killf %d", reason)
		              : tomb_kill(t, reason);
		CHECK(rc == (h->killf ? reason : 0),
		      "%s: a kill from a callback: %d", g->name, rc);
		gen_kill_returned(g);
		CHECK(tomb_err(t) != 0, "%s: killed with %d, reason 0",
		      g->name, reason);
	}
}

struct hook_rec *hook_register(struct gen *g, struct rng *r)
{
	struct hook_rec *h = &g->hooks[rng_below(r, HOOKS_PER_GEN)];
	int st = HR_FREE, err;
	bool was_dying;

	if (!atomic_compare_exchange_strong(&h->state, &st, HR_BUSY))
		return NULL;
	h->g = g;
	h->kill = rng_percent(r, 20);
	h->killf = rng_percent(r, 50);
	memset(&h->hook, 0, sizeof(h->hook));
	was_dying = tomb_dying(g->t);
	registering = h;
	err = tomb_on_dying(g->t, hook_fn, h, &h->hook);
	registering = NULL;
	CHECK(err == 0, "%s: tomb_on_dying: %d", g->name, err);
	if (was_dying) {
		/* It ran at once, in this thread. */
		CHECK(atomic_load(&h->fires) == h->expected + 1,
		      "%s: registered while dying, the callback did not run "
		      "at once", g->name);
		STAT_ADD(hooks_at_once, 1);
	}
	if (rng_percent(r, 10)) {
		err = tomb_on_dying(g->t, hook_fn, h, &h->hook);
		CHECK(err == EBUSY, "%s: a hook registered twice: %d", g->name,
		      err);
	}
	atomic_store(&h->state, HR_ARMED);
	return h;
}

/* h is BUSY and registered: unregisters it and checks its runs. */
static void off(struct gen *g, struct hook_rec *h, bool dead)
{
	int err = tomb_off(&h->hook);
	unsigned fires;

	if (err == EALREADY)
		h->expected++;
	else
		CHECK(err == 0 && !dead, "%s: tomb_off: %d%s", g->name, err,
		      dead ? " (dead)" : "");
	/* tomb_off waits for a running callback: this count is final. */
	fires = atomic_load(&h->fires);
	CHECK(fires == h->expected, "%s: a callback ran %u times, tomb_off "
	      "said %u", g->name, fires, h->expected);
	err = tomb_off(&h->hook);
	CHECK(err == EINVAL, "%s: a second tomb_off: %d", g->name, err);
	atomic_store(&h->state, HR_FREE);
}

bool hook_unregister(struct gen *g, struct rng *r)
{
	struct hook_rec *h = &g->hooks[rng_below(r, HOOKS_PER_GEN)];
	int st = HR_ARMED;

	if (!atomic_compare_exchange_strong(&h->state, &st, HR_BUSY))
		return false;
	off(g, h, false);
	return true;
}

void hooks_finish(struct gen *g, bool dead)
{
	for (int i = 0; i < HOOKS_PER_GEN; i++) {
		struct hook_rec *h = &g->hooks[i];
		int st = atomic_load(&h->state);

		CHECK(st != HR_BUSY, "%s: a hook is still busy", g->name);
		if (st == HR_ARMED) {
			atomic_store(&h->state, HR_BUSY);
			off(g, h, dead);
		} else {
			CHECK(atomic_load(&h->fires) == h->expected,
			      "%s: a callback ran %u times, tomb_off said %u",
			      g->name, atomic_load(&h->fires), h->expected);
		}
	}
}
