/* SPDX-License-Identifier: MIT */
/*
 * fault_scenarios.c: the public calls that the fault-injection test walks
 * through every failure point, as a table (at the end).  A scenario makes
 * what it needs with nothing armed, arms the injection around the calls
 * under test, checks each call's result against fault_want, and ends with
 * the tomb still usable: killed, waited for and freed.
 */
#include "config.h"

#include "fault.h"
#include "helpers.h"
#include "names.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Hand-offs with workers: each posts `started` once running, after the
 * library named its thread, and records that name. */
struct gate {
	sem_t started;
	sem_t go;
	char name[16];
};

static void gate_init(struct gate *g)
{
	sem_init(&g->started, 0, 0);
	sem_init(&g->go, 0, 0);
	g->name[0] = '\0';
}

static void gate_destroy(struct gate *g)
{
	sem_destroy(&g->started);
	sem_destroy(&g->go);
}

static void sem_take(sem_t *s)
{
	while (sem_wait(s) != 0)
		continue; /* EINTR */
}

static void started(struct gate *g)
{
	pthread_getname_np(pthread_self(), g->name, sizeof(g->name));
	sem_post(&g->started);
}

/* Runs until t is dying. */
static int w_until_dying(tomb_t *t, void *arg)
{
	started(arg);
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : EPROTO;
}

/* Runs until the gate's `go` is posted, then returns 0. */
static int w_until_go(tomb_t *t, void *arg)
{
	struct gate *g = arg;

	(void)t;
	started(g);
	sem_take(&g->go);
	return 0;
}

/* The end of a scenario: t is still usable.  Killed with `reason`, it dies
 * with `want` as its reason (an earlier non-zero reason wins), and is freed. */
static void finish(struct fault_ctx *c, tomb_t *t, int reason, int want)
{
	CHECK_INT(c, "tomb_kill", tomb_kill(t, reason), 0);
	CHECK_INT(c, "tomb_wait", tomb_wait(t), want);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
}

/* The message a reason gets without one of its own (see kill.c). */
static const char *default_msg(int reason, char buf[32])
{
	const char *s = test_errno_desc(reason);

	if (reason == 0)
		return "";
	if (s != NULL)
		return s;
	snprintf(buf, 32, "reason %d", reason);
	return buf;
}

/* ---- tomb_new, tomb_new_opts ---- */

struct new_param {
	bool plain;          /* tomb_new, not tomb_new_opts */
	struct tomb_opts o;  /* but for the parent */
	int parent;          /* 0: none, 1: an alive one, 2: a dying one */
};

static void sc_new(struct fault_ctx *c, const void *param)
{
	const struct new_param *p = param;
	struct tomb_opts o = p->o;
	tomb_t *parent = NULL, *t;
	struct gate g, pg;
	unsigned long before;
	int err, want;

	gate_init(&pg);
	if (p->parent != 0) {
		if (!CHECK(c, (parent = tomb_new()) != NULL)) {
			gate_destroy(&pg);
			return;
		}
		if (p->parent == 2) {
			/* Dying, not dead: a worker holds it. */
			if (CHECK_INT(c, "tomb_go",
			              tomb_go(parent, w_until_go, &pg), 0))
				sem_take(&pg.started);
			tomb_kill(parent, 5);
		}
		o.parent = parent;
	}
	fault_arm();
	before = fault_mark();
	errno = 0;
	t = p->plain ? tomb_new() : tomb_new_opts(&o);
	err = errno;
	want = fault_want(before, 0);
	fault_disarm();

	if (want != 0) {
		CHECK(c, t == NULL);
		CHECK_INT(c, "errno of tomb_new", err, want);
	} else if (CHECK(c, t != NULL)) {
		CHECK(c, strcmp(tomb_name(t), o.name != NULL ? o.name : "") == 0);
		/* Usable: a worker starts, with the options' stack size; but
		 * the child of a dying parent is dead at once. */
		gate_init(&g);
		if (p->parent == 2) {
			CHECK_INT(c, "a dying parent's child's reason", tomb_err(t), 5);
			CHECK_INT(c, "tomb_go", tomb_go(t, w_until_dying, &g), ESRCH);
		} else if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_dying, &g), 0)) {
			sem_take(&g.started);
		}
		gate_destroy(&g);
	}
	if (parent == NULL) {
		if (t != NULL)
			finish(c, t, 9, 9);
		gate_destroy(&pg);
		return;
	}
	/* The parent: a failed child left nothing on it (tomb_free would say
	 * EBUSY), and a child dies with it. */
	if (p->parent == 2)
		sem_post(&pg.go);
	CHECK_INT(c, "tomb_kill", tomb_kill(parent, 9), 0);
	CHECK_INT(c, "tomb_wait", tomb_wait(parent), p->parent == 2 ? 5 : 9);
	if (t != NULL) {
		CHECK_INT(c, "the child's reason", tomb_err(t), p->parent == 2 ? 5 : 9);
		CHECK_INT(c, "tomb_free", tomb_free(t), 0);
	}
	CHECK_INT(c, "tomb_free", tomb_free(parent), 0);
	gate_destroy(&pg);
}

/* ---- tomb_go, tomb_go_named, tomb_trygo ---- */

enum go_call { GO, GO_NAMED, TRYGO };

struct go_param {
	enum go_call call;
	struct tomb_opts o;
	bool killed_at_fault; /* on_fault kills t with 42 (kill_at_fault) */
};

/* What kill_at_fault kills. */
struct go_data {
	tomb_t *t;
};

static int call_go(enum go_call call, tomb_t *t, tomb_fn *fn, void *arg)
{
	switch (call) {
	case GO_NAMED:
		return tomb_go_named(t, "alpha", fn, arg);
	case TRYGO:
		return tomb_trygo(t, fn, arg);
	default:
		return tomb_go(t, fn, arg);
	}
}

/* An on_fault hook: the tomb is killed with 42 while the failing call
 * runs.  Not where the library holds a lock that a kill takes (a kill from
 * there would deadlock: the hang the watchdog reports): at the opening of
 * an event (sys.h), made with t's lock held (eventfd, or the portable
 * backend's pipe2), nor at the portable backend's condition waits, made
 * with a futex bucket's lock held (lib/sys_posix.c), which the kill's
 * wake-up takes.  Every other call that can fail is made without them. */
static bool kills_at_fault(const struct fault_site *s)
{
	bool posix_floor = s != NULL && strstr(s->file, "sys_posix.c") != NULL;

	return s != NULL && s->kind != FAULT_EVENTFD &&
	       !(posix_floor && (s->kind == FAULT_PIPE2 ||
	                         s->kind == FAULT_COND_WAIT ||
	                         s->kind == FAULT_COND_TIMEDWAIT));
}

static void kill_at_fault(const struct fault_site *s, void *arg)
{
	struct fault_ctx *c = arg;
	struct go_data *d = c->data;

	if (kills_at_fault(s))
		tomb_kill(d->t, 42);
}

static void sc_go(struct fault_ctx *c, const void *param)
{
	const struct go_param *p = param;
	struct go_data d;
	struct gate g;
	unsigned long before;
	bool killed;
	int err, want;
	tomb_t *t = tomb_new_opts(&p->o);

	if (!CHECK(c, t != NULL))
		return;
	d.t = t;
	c->data = &d;
	gate_init(&g);
	fault_arm();
	before = fault_mark();
	err = call_go(p->call, t, w_until_dying, &g);
	want = fault_want(before, 0);
	if (err == 0)
		sem_take(&g.started); /* its naming is counted in this run */
	fault_disarm();

	killed = p->killed_at_fault && fault_has_fired();
	CHECK_INT(c, "tomb_go", err, want);
	CHECK_INT(c, "dying", tomb_dying(t), killed); /* a failure kills nothing */
	if (!killed) /* (a killed worker may have returned already) */
		CHECK_INT(c, "tomb_count", (long long)tomb_count(t), err == 0);
	if (err == 0 && !fault_fired_kind(FAULT_PTHREAD_SETNAME_NP)) {
		const char *name = p->call == GO_NAMED ? "alpha"
		                   : p->o.name != NULL ? p->o.name
		                                       : NULL;
		if (name != NULL)
			CHECK(c, strcmp(g.name, name) == 0);
	}
	if (err != 0 && !killed) {
		/* The tomb is still usable: the same call works now. */
		if (CHECK_INT(c, "tomb_go again",
		              call_go(p->call, t, w_until_dying, &g), 0))
			sem_take(&g.started);
	}
	finish(c, t, 43, killed ? 42 : 43);
	gate_destroy(&g);
}

/* tomb_trygo while the limit is reached: EBUSY, or the fault's error (the
 * record is allocated before the limit is looked at). */
static void sc_trygo_at_limit(struct fault_ctx *c, const void *param)
{
	struct tomb_opts o = {.limit = 1};
	struct gate g;
	unsigned long before;
	int err, want;
	tomb_t *t = tomb_new_opts(&o);

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	gate_init(&g);
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_dying, &g), 0))
		sem_take(&g.started);
	fault_arm();
	before = fault_mark();
	err = tomb_trygo(t, w_until_dying, &g);
	want = fault_want(before, EBUSY);
	fault_disarm();
	CHECK_INT(c, "tomb_trygo", err, want);
	CHECK_INT(c, "tomb_count", (long long)tomb_count(t), 1);
	finish(c, t, 43, 43);
	gate_destroy(&g);
}

/* tomb_go fails while the tomb's only other worker returns: that worker was
 * not the last (the failing one was counted), so the failing call must act
 * for it (tomb(7): "as if the call had never been made"). */
struct race_param {
	int lifetime;
	bool child; /* t is the child of another tomb */
};

struct race_data {
	tomb_t *t;
	struct gate w;   /* the worker that returns during the call */
	bool released;
};

/* The on_fault hook: at pthread_create's failure, let W return and wait
 * until it is uncounted (only the failing worker counted then). */
static void last_returns_at_fault(const struct fault_site *s, void *arg)
{
	struct fault_ctx *c = arg;
	struct race_data *d = c->data;

	if (s->kind != FAULT_PTHREAD_CREATE)
		return;
	d->released = true;
	sem_post(&d->w.go);
	while (tomb_count(d->t) > 1)
		sched_yield();
}

static void sc_go_race(struct fault_ctx *c, const void *param)
{
	const struct race_param *p = param;
	struct tomb_opts o = {.lifetime = p->lifetime};
	struct race_data d = {.released = false};
	struct gate g;
	tomb_t *parent = NULL;
	unsigned long before;
	int err, want;

	if (p->child && !CHECK(c, (parent = tomb_new()) != NULL))
		return;
	o.parent = parent;
	if (!CHECK(c, (d.t = tomb_new_opts(&o)) != NULL))
		goto out_parent;
	gate_init(&d.w);
	gate_init(&g);
	if (CHECK_INT(c, "tomb_go", tomb_go(d.t, w_until_go, &d.w), 0))
		sem_take(&d.w.started);
	c->data = &d;
	fault_arm();
	before = fault_mark();
	err = tomb_go(d.t, w_until_dying, &g);
	want = fault_want(before, 0);
	if (err == 0)
		sem_take(&g.started);
	fault_disarm();
	CHECK_INT(c, "tomb_go", err, want);

	if (d.released && p->lifetime == TOMB_LIFETIME_TOMB) {
		/* W was the last worker after all: t died with 0. */
		CHECK(c, tomb_dying(d.t));
		CHECK_INT(c, "tomb_wait", tomb_wait(d.t), 0);
		CHECK_INT(c, "tomb_free", tomb_free(d.t), 0);
	} else {
		/* errgroup: nothing kills before the owner waits. */
		CHECK(c, tomb_alive(d.t));
		CHECK_INT(c, "tomb_kill", tomb_kill(d.t, 42), 0);
		if (!d.released)
			sem_post(&d.w.go);
		CHECK_INT(c, "tomb_wait", tomb_wait(d.t), 42);
		CHECK_INT(c, "tomb_free", tomb_free(d.t), 0);
	}
	gate_destroy(&g);
	gate_destroy(&d.w);
out_parent:
	if (parent != NULL) {
		/* A child's death does not kill its parent. */
		CHECK(c, tomb_alive(parent));
		finish(c, parent, 9, 9);
	}
}

/* Two workers of an errgroup, each start may fail: the wait still ends
 * with 0 once those that started have returned. */
static void sc_go_errgroup(struct fault_ctx *c, const void *param)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP};
	int zero = 0, err, want;
	unsigned long before;
	tomb_t *t = tomb_new_opts(&o);

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	fault_arm();
	for (int i = 0; i < 2; i++) {
		before = fault_mark();
		err = tomb_go(t, worker_return_arg, &zero);
		want = fault_want(before, 0);
		CHECK_INT(c, "tomb_go", err, want);
	}
	fault_disarm();
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
}

/* ---- tomb_killf ---- */

static void count_hook(tomb_t *t, void *arg)
{
	(void)t;
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void sc_killf(struct fault_ctx *c, const void *param)
{
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int ran = 0;
	char buf[32];
	unsigned long before;
	tomb_t *t = tomb_new();

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	CHECK_INT(c, "tomb_on_dying", tomb_on_dying(t, count_hook, &ran, &h), 0);
	fault_arm();
	/* A provisional 0 with a message, then the final reason with one:
	 * without memory, each kill still happens, with the default message. */
	before = fault_mark();
	CHECK_INT(c, "tomb_killf", tomb_killf(t, 0, "first %d", 1), 0);
	CHECK(c, strcmp(tomb_errmsg(t), fault_failed_since(before)
	                                         ? default_msg(0, buf)
	                                         : "first 1") == 0);
	before = fault_mark();
	CHECK_INT(c, "tomb_killf", tomb_killf(t, 7, "second %s", "x"), 7);
	CHECK(c, strcmp(tomb_errmsg(t), fault_failed_since(before)
	                                         ? default_msg(7, buf)
	                                         : "second x") == 0);
	fault_disarm();
	CHECK_INT(c, "tomb_err", tomb_err(t), 7);
	CHECK_INT(c, "callbacks run", atomic_load(&ran), 1);
	CHECK_INT(c, "tomb_off", tomb_off(&h), EALREADY);
	finish(c, t, 8, 7);
}

/* ---- tomb_dying_fd, tomb_dead_fd ---- */

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void sc_fds(struct fault_ctx *c, const void *param)
{
	int fd[2], err[2];
	unsigned long before;
	tomb_t *t = tomb_new();

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	fault_arm();
	for (int i = 0; i < 2; i++) {
		before = fault_mark();
		errno = 0;
		fd[i] = i == 0 ? tomb_dying_fd(t) : tomb_dead_fd(t);
		err[i] = errno;
		if (fault_want(before, 0) != 0) {
			CHECK_INT(c, "the descriptor", fd[i], -1);
			CHECK_INT(c, "its errno", err[i], fault_want(before, 0));
		} else {
			CHECK(c, fd[i] >= 0);
		}
	}
	fault_disarm();
	/* A failure changed nothing, and a later call tries again. */
	for (int i = 0; i < 2; i++) {
		int again = i == 0 ? tomb_dying_fd(t) : tomb_dead_fd(t);

		CHECK(c, again >= 0);
		if (fd[i] >= 0)
			CHECK_INT(c, "the same descriptor", again, fd[i]);
		fd[i] = again;
	}
	CHECK(c, !readable(fd[0]) && !readable(fd[1]));
	CHECK_INT(c, "tomb_kill", tomb_kill(t, 4), 0);
	CHECK(c, readable(fd[0]));
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 4);
	CHECK(c, readable(fd[1]));
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
}

/* ---- tomb_notify_signals ---- */

struct notify_param {
	int flags;
	int raise;      /* the signal to send once watched; 0: none, kill */
	bool fd_first;  /* t has its dying descriptor already */
	bool dying;     /* t is dying before the call */
};

static const int watched_signals[] = {SIGUSR1, SIGUSR2};

static void sc_notify(struct fault_ctx *c, const void *param)
{
	const struct notify_param *p = param;
	int reason = 3, err, want;
	char buf[32], msg[32];
	unsigned long before;
	tomb_t *t = tomb_new();

	if (!CHECK(c, t != NULL))
		return;
	if (p->fd_first)
		CHECK(c, tomb_dying_fd(t) >= 0);
	if (p->dying)
		tomb_kill(t, reason);
	fault_arm();
	before = fault_mark();
	err = tomb_notify_signals(t, watched_signals, 2, p->flags);
	want = fault_want(before, p->dying ? ECANCELED : 0);
	if (err == 0 && p->raise != 0) {
		struct timespec end = test_deadline(10);

		raise(p->raise);
		CHECK_INT(c, "tomb_wait_dying", tomb_wait_dying(t, &end), 0);
	} else if (err == 0) {
		tomb_kill(t, reason);
	}
	fault_disarm();
	CHECK_INT(c, "tomb_notify_signals", err, want);

	if (err != 0) {
		/* Nothing half-registered: another tomb may watch them now. */
		tomb_t *t2 = tomb_new();

		if (CHECK(c, t2 != NULL)) {
			CHECK_INT(c, "tomb_notify_signals again",
			          tomb_notify_signals(t2, watched_signals, 2, 0), 0);
			finish(c, t2, 0, 0);
		}
	} else if (p->raise != 0) {
		reason = p->flags & TOMB_SIGNAL_REASON ? 128 + p->raise : 0;
		CHECK_INT(c, "tomb_err", tomb_err(t), reason);
		snprintf(msg, sizeof(msg), "received SIG%s", test_signal_abbrev(p->raise));
		CHECK(c, strcmp(tomb_errmsg(t),
		                fault_fired_kind(FAULT_VASPRINTF)
		                        ? default_msg(reason, buf)
		                        : msg) == 0);
	}
	finish(c, t, reason == 0 ? 6 : reason, reason == 0 ? 6 : reason);
}

/* tomb_notify_signals while the tomb is killed at the failing call: the
 * call fails with that call's error all the same, and the watch is undone
 * (the helper that failed to start was counted). */
static void sc_notify_killed(struct fault_ctx *c, const void *param)
{
	struct go_data d;
	unsigned long before;
	bool killed;
	int err, want, reason;
	tomb_t *t = tomb_new();

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	d.t = t;
	c->data = &d;
	fault_arm();
	before = fault_mark();
	err = tomb_notify_signals(t, watched_signals, 2, 0);
	want = fault_want(before, 0);
	if (err == 0)
		tomb_kill(t, 3);
	fault_disarm();
	CHECK_INT(c, "tomb_notify_signals", err, want);
	killed = kills_at_fault(fault_fired());
	CHECK_INT(c, "dying", tomb_dying(t), killed || err == 0);
	reason = tomb_err(t);
	if (killed && !fault_kind_absorbed(fault_fired()->kind))
		CHECK_INT(c, "tomb_err", reason, 42);
	else if (killed) /* in the watcher: before or after the test's kill */
		CHECK(c, reason == 42 || reason == 3);
	else if (err == 0)
		CHECK_INT(c, "tomb_err", reason, 3);
	else
		reason = 7;
	finish(c, t, 7, reason);
}

/* Two tomb_go calls wait for the one slot of an errgroup; when they get
 * it, the start of either may fail: it must pass the slot on, or the
 * other waits forever. */
struct slot_data {
	tomb_t *t;
	pthread_t th;
	int err;
};

/* What the workers of sc_go_slot return (static: it outlives them). */
static int zero;

/* The test's own thread, which calls tomb_go for a worker that returns at
 * once. */
static void *go_from_thread(void *arg)
{
	struct slot_data *d = arg;

	d->err = tomb_go(d->t, worker_return_arg, &zero);
	return NULL;
}

static void sc_go_slot(struct fault_ctx *c, const void *param)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 1};
	struct slot_data d[2];
	struct gate g;
	int failed = 0;
	bool fired;
	tomb_t *t = tomb_new_opts(&o);

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	gate_init(&g);
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_go, &g), 0))
		sem_take(&g.started);
	fault_arm();
	for (int i = 0; i < 2; i++) {
		d[i].t = t;
		d[i].err = -1;
		if (pthread_create(&d[i].th, NULL, go_from_thread, &d[i]) != 0)
			abort(); /* the test's own thread, not the library's */
	}
	/* Both have allocated their record (counted calls), so both are
	 * about to wait for the slot, or failed: then free it up. */
	while (fault_counted() < 2)
		sched_yield();
	sem_post(&g.go);
	for (int i = 0; i < 2; i++)
		pthread_join(d[i].th, NULL);
	fired = fault_has_fired() && !fault_kind_absorbed(fault_fired()->kind);
	fault_disarm();
	for (int i = 0; i < 2; i++) {
		if (d[i].err != 0 && fired) {
			CHECK_INT(c, "tomb_go", d[i].err, fault_fired_errno());
			failed++;
		} else {
			CHECK_INT(c, "tomb_go", d[i].err, 0);
		}
	}
	if (fault_persistent()) /* then both may fail */
		CHECK(c, fired ? failed >= 1 : failed == 0);
	else
		CHECK_INT(c, "failed tomb_go calls", failed, fired);
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
	gate_destroy(&g);
}

/* ---- tomb_dump ---- */

static void sc_dump(struct fault_ctx *c, const void *param)
{
	struct tomb_opts o = {.name = "dumped"};
	struct gate g;
	unsigned long before;
	int err, want;
	FILE *f;
	tomb_t *t = tomb_new_opts(&o);

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	gate_init(&g);
	if (CHECK_INT(c, "tomb_go_named", tomb_go_named(t, "one", w_until_go, &g), 0))
		sem_take(&g.started);
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_go, &g), 0))
		sem_take(&g.started);
	if (CHECK(c, (f = fopen("/dev/null", "w")) != NULL)) {
		fault_arm();
		/* Alive, then dying: two workers each time (they run until
		 * `go`, whatever the kill). */
		for (int i = 0; i < 2; i++) {
			if (i == 1)
				tomb_kill(t, 3);
			before = fault_mark();
			err = tomb_dump(t, f);
			want = fault_want(before, 0);
			CHECK_INT(c, "tomb_dump", err, want);
		}
		fault_disarm();
		fclose(f);
	}
	sem_post(&g.go);
	sem_post(&g.go);
	finish(c, t, 3, 3);
	gate_destroy(&g);
}

/* ---- calls that acquire nothing ---- */

struct cond_data {
	pthread_mutex_t m;
	tomb_cond_t cv;
	bool flag;
	int result;
	struct gate g;
};

static int w_cond(tomb_t *t, void *arg)
{
	struct cond_data *d = arg;
	int err = 0;

	pthread_mutex_lock(&d->m);
	sem_post(&d->g.started);
	while (!d->flag && err != ECANCELED)
		err = tomb_cond_wait(t, &d->cv, &d->m, NULL);
	d->result = err;
	pthread_mutex_unlock(&d->m);
	return TOMB_EDYING;
}

static void count_worker(const struct tomb_worker_info *w, void *arg)
{
	(void)w;
	++*(int *)arg;
}

/* The calls below acquire nothing today: this runs them armed, so that one
 * that starts to acquire something is walked through its failures too. */
static void sc_no_acquisition(struct fault_ctx *c, const void *param)
{
	struct cond_data d = {.m = PTHREAD_MUTEX_INITIALIZER, .flag = false};
	struct timespec past = tomb_deadline_ms(0);
	tomb_hook_t h1 = TOMB_HOOK_INIT, h2 = TOMB_HOOK_INIT;
	atomic_int ran = 0;
	int n = 0, r;
	tomb_t *t = tomb_new();

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	gate_init(&d.g);
	CHECK_INT(c, "tomb_cond_init", tomb_cond_init(&d.cv), 0);
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_cond, &d), 0))
		sem_take(&d.g.started);
	fault_arm();
	CHECK_INT(c, "tomb_on_dying", tomb_on_dying(t, count_hook, &ran, &h1), 0);
	CHECK_INT(c, "tomb_off", tomb_off(&h1), 0);
	CHECK_INT(c, "tomb_on_dying", tomb_on_dying(t, count_hook, &ran, &h2), 0);
	CHECK_INT(c, "tomb_set_limit", tomb_set_limit(t, 4), 0);
	CHECK_INT(c, "tomb_count", (long long)tomb_count(t), 1);
	CHECK_INT(c, "tomb_foreach", tomb_foreach(t, count_worker, &n), 0);
	CHECK_INT(c, "workers listed", n, 1);
	CHECK_INT(c, "tomb_sleep", tomb_sleep(t, &past), 0);
	CHECK_INT(c, "tomb_wait_dying", tomb_wait_dying(t, &past), ETIMEDOUT);
	CHECK_INT(c, "tomb_timedwait", tomb_timedwait(t, &past, &r), ETIMEDOUT);
	CHECK_INT(c, "tomb_cond_signal", tomb_cond_signal(&d.cv), 0);
	CHECK_INT(c, "tomb_cond_broadcast", tomb_cond_broadcast(&d.cv), 0);
	CHECK_INT(c, "tomb_kill", tomb_kill(t, 11), 0);
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 11);
	fault_disarm();
	CHECK_INT(c, "tomb_cond_wait", d.result, ECANCELED);
	CHECK_INT(c, "callbacks run", atomic_load(&ran), 1);
	CHECK_INT(c, "tomb_off", tomb_off(&h2), EALREADY);
	CHECK_INT(c, "tomb_cond_destroy", tomb_cond_destroy(&d.cv), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
	gate_destroy(&d.g);
}

/* ---- the table ---- */

#define STACK (256 * 1024)

static const struct new_param new_plain = {.plain = true};
static const struct new_param new_opts = {
	.o = {.name = "opts", .stack_size = STACK, .limit = 2,
	      .lifetime = TOMB_LIFETIME_GROUP}};
static const struct new_param new_child = {.o = {.name = "kid"}, .parent = 1};
static const struct new_param new_child_dying = {.parent = 2};

static const struct go_param go_plain = {.call = GO};
static const struct go_param go_named = {
	.call = GO_NAMED, .o = {.name = "beta", .stack_size = STACK}};
static const struct go_param go_try = {
	.call = TRYGO, .o = {.name = "gamma", .limit = 1}};
static const struct go_param go_killed = {
	.call = GO, .o = {.name = "delta"}, .killed_at_fault = true};

static const struct race_param race_tomb = {.lifetime = TOMB_LIFETIME_TOMB};
static const struct race_param race_errgroup = {
	.lifetime = TOMB_LIFETIME_ERRGROUP};
static const struct race_param race_child = {
	.lifetime = TOMB_LIFETIME_TOMB, .child = true};

static const struct notify_param notify_reason = {
	.flags = TOMB_SIGNAL_REASON, .raise = SIGUSR2};
static const struct notify_param notify_fd_first = {
	.raise = SIGUSR1, .fd_first = true};
static const struct notify_param notify_killed = {.raise = 0};
static const struct notify_param notify_dying = {.dying = true};

/* ---- pools: tomb_pool_new, and tomb_go on a pooled tomb ---- */

/* A pool made under the fault, a named worker on a new pool thread (its
 * record, its creation, the names it takes and gives back), then a second
 * tomb whose worker reuses the parked thread; each result as fault_want
 * says, and the pool freed last with nothing left behind. */
static void sc_pool(struct fault_ctx *c, const void *param)
{
	struct tomb_pool_opts po = {.stack_size = 64 * 1024, .name = "pooled"};
	struct tomb_opts o = {0};
	struct gate g;
	tomb_pool_t *pool;
	unsigned long before;
	int err, want;
	tomb_t *t;

	(void)param;
	fault_arm();
	before = fault_mark();
	errno = 0;
	pool = tomb_pool_new(&po);
	err = errno;
	want = fault_want(before, 0);
	if (want != 0 || pool == NULL) {
		fault_disarm();
		CHECK(c, pool == NULL);
		CHECK_INT(c, "errno of tomb_pool_new", err, want);
		return;
	}
	fault_disarm();
	o.pool = pool;
	if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL)) {
		CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
		return;
	}
	gate_init(&g);
	/* Armed through the wait: the thread gives the pool's name back
	 * after the worker returns, before its tomb is dead. */
	fault_arm();
	before = fault_mark();
	err = tomb_go_named(t, "beta", w_until_dying, &g);
	want = fault_want(before, 0);
	if (err == 0)
		sem_take(&g.started);
	CHECK_INT(c, "tomb_go_named on a pool", err, want);
	if (err != 0) { /* usable: the same call works now */
		fault_disarm();
		if (CHECK_INT(c, "tomb_go_named again",
		              tomb_go_named(t, "beta", w_until_dying, &g), 0))
			sem_take(&g.started);
		fault_arm();
	}
	CHECK_INT(c, "tomb_kill", tomb_kill(t, 7), 0);
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 7);
	fault_disarm();
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);

	/* The parked thread runs the next tomb's worker. */
	if (CHECK(c, (t = tomb_new_opts(&o)) != NULL)) {
		fault_arm();
		before = fault_mark();
		err = tomb_go(t, w_until_dying, &g);
		want = fault_want(before, 0);
		if (err == 0)
			sem_take(&g.started);
		fault_disarm();
		CHECK_INT(c, "tomb_go on a parked thread", err, want);
		finish(c, t, 8, 8);
	}
	CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
	gate_destroy(&g);
}

/* A pooled tomb keeps the record of a worker that has ended (go.c's
 * spares): once one is kept, tomb_go allocates nothing, so no failure of
 * malloc can reach it; the records are freed with the tomb (the driver's
 * leak check).  t stays alive meanwhile: its first worker waits for the
 * kill. */
static void sc_pool_spare(struct fault_ctx *c, const void *param)
{
	tomb_pool_t *pool = tomb_pool_new(NULL);
	struct tomb_opts o = {0};
	struct tomb_pool_stats st;
	unsigned long counted, before;
	struct gate g;
	int err, want;
	tomb_t *t;

	(void)param;
	if (!CHECK(c, pool != NULL))
		return;
	o.pool = pool;
	if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL)) {
		CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
		return;
	}
	gate_init(&g);
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_dying, &g), 0))
		sem_take(&g.started);
	CHECK_INT(c, "tomb_go", tomb_go(t, worker_return_arg, &zero), 0);
	/* Its thread parks in the critical section that keeps its record, and
	 * tomb_pool_stats takes the pool's lock, which the park holds: seen
	 * parked, the record is kept.  (tomb_count falls earlier in that
	 * section, before the record is kept.) */
	do {
		CHECK_INT(c, "tomb_pool_stats", tomb_pool_stats(pool, &st), 0);
		sched_yield();
	} while (st.idle == 0);
	fault_arm_kinds(FAULT_KIND_BIT(FAULT_MALLOC));
	counted = fault_counted();
	before = fault_mark();
	err = tomb_go(t, worker_return_arg, &zero);
	want = fault_want(before, 0);
	counted = fault_counted() - counted;
	fault_disarm();
	CHECK_INT(c, "tomb_go with a kept record", err, want);
	CHECK_INT(c, "its allocations", (long long)counted, 0);
	finish(c, t, 9, 9);
	CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
	gate_destroy(&g);
}

/*
 * tomb_set_deadline (issue 22): the first pending deadline makes the
 * timer's condition variable (once per process, until one succeeds), grows
 * the heap of deadlines and starts the timer thread; each of those may
 * fail, and then the call returns that error and t has no deadline.  The
 * run ends once the timer has exited, so that every run starts with none.
 */
static void sc_deadline(struct fault_ctx *c, const void *param)
{
	struct timespec d = tomb_deadline_ms(3600 * 1000), seen;
	int base = thread_count(), err, want;
	tomb_t *t = tomb_new();
	unsigned long before;

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	fault_arm();
	before = fault_mark();
	err = tomb_set_deadline(t, &d);
	want = fault_want(before, 0);
	fault_disarm();
	CHECK_INT(c, "tomb_set_deadline", err, want);
	CHECK_INT(c, "tomb_deadline", tomb_deadline(t, &seen), err == 0 ? 0 : ENOENT);
	CHECK_INT(c, "clearing", tomb_set_deadline(t, NULL), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
	CHECK_INT(c, "threads", settled_thread_count(base), base);
}

/*
 * Every scenario.  A new public call gets a line here (pools: a run
 * function that makes a pool with nothing armed, arms around tomb_pool_new
 * and the tomb_go calls on a tomb that uses it, checks each result with
 * fault_want, and frees the pool last).
 */
/* ---- tomb_poll (issue 17) ---- */

/* More descriptors than tomb_poll copies on its stack, one of them
 * readable: the copy is allocated, and a failure (of that allocation, or
 * of the tomb's dying descriptor, made on the first call) is the call's
 * error, with *nready 0 and the tomb unchanged. */
static void sc_poll_many(struct fault_ctx *c, const void *param)
{
	struct pollfd p[40];
	int fds[2], n = -1, err, want;
	unsigned long before;
	tomb_t *t = tomb_new();

	(void)param;
	if (!CHECK(c, t != NULL))
		return;
	if (!CHECK(c, pipe(fds) == 0) || !CHECK(c, write(fds[1], "x", 1) == 1)) {
		tomb_free(t);
		return;
	}
	for (int i = 0; i < 40; i++)
		p[i] = (struct pollfd){.fd = i == 39 ? fds[0] : -1, .events = POLLIN};
	fault_arm();
	before = fault_mark();
	err = tomb_poll(t, p, 40, NULL, &n);
	fault_disarm();
	want = fault_want(before, 0);
	CHECK_INT(c, "tomb_poll", err, want);
	CHECK_INT(c, "*nready", n, want == 0 ? 1 : 0);
	CHECK(c, tomb_alive(t));
	/* A later call works. */
	CHECK_INT(c, "tomb_poll again", tomb_poll(t, p, 40, NULL, &n), 0);
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(c, "tomb_kill", tomb_kill(t, 0), 0);
	CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
}

/* ---- tomb_chan_new ---- */

/* A channel made under the fault: ENOMEM whatever failed (tomb_chan_new(3)
 * has no other error for it), or a channel that works. */
static void sc_chan_new(struct fault_ctx *c, const void *param)
{
	const size_t *cap = param;
	unsigned long before;
	tomb_chan_t *ch;
	int err, want, one = 1, v = 0;

	fault_arm();
	before = fault_mark();
	errno = 0;
	ch = tomb_chan_new(sizeof(int), *cap);
	err = errno;
	want = fault_want(before, 0);
	fault_disarm();
	if (want != 0) {
		CHECK(c, ch == NULL);
		CHECK_INT(c, "errno of tomb_chan_new", err, ENOMEM);
		return;
	}
	if (!CHECK(c, ch != NULL))
		return;
	if (*cap > 0) {
		CHECK_INT(c, "tomb_chan_trysend", tomb_chan_trysend(ch, &one), 0);
		CHECK_INT(c, "tomb_chan_tryrecv", tomb_chan_tryrecv(ch, &v), 0);
		CHECK_INT(c, "the value", v, 1);
	} else {
		CHECK_INT(c, "tomb_chan_trysend", tomb_chan_trysend(ch, &one), EAGAIN);
	}
	CHECK_INT(c, "tomb_chan_free", tomb_chan_free(ch), 0);
}

static const size_t chan_unbuffered = 0, chan_buffered = 2;

/* ---- the library's waits (issue 16) ----
 *
 * Each scenario below has one thread of the library's block in one wait,
 * and something release it only once that thread sleeps in the kernel (a
 * futex wait: the library's waits and glibc's condition waits are that),
 * so that the walk meets the same waits in the same order in every run:
 * the k-th wait returns early (fault_arm_kinds(FAULT_WAITS)), its loop
 * waits again, and the release ends that second wait.  A wait that took an
 * early return for the event would return too soon, or with the wrong
 * result; one that lost the wake-up would hang (the watchdog).
 */

static bool past(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

/* Waits (yielding) until the thread *tid (or, if *tid is 0, the one called
 * `name`, whose id is put in *tid) sleeps in a futex wait (proc.h).  False if it did
 * not within the test's deadline. */
static bool await_asleep(pid_t *tid, const char *name)
{
	struct timespec end = test_deadline(10);

	while (*tid <= 0 || !thread_in_futex_wait(*tid)) {
		if (*tid <= 0 && name != NULL)
			*tid = thread_named(name);
		if (past(&end))
			return false;
		sched_yield();
	}
	return true;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The test's thread blocks in a public call on t; another thread releases
 * it once it sleeps. */
enum blocking { B_WAIT_DYING, B_COND_WAIT, B_CHAN_RECV, B_SLOT };

struct blocking_param {
	enum blocking what;
	bool no_waitv; /* as on a kernel without futex_waitv */
};

struct release {
	enum blocking what;
	tomb_t *t;
	tomb_cond_t cv;
	pthread_mutex_t m;
	bool flag;          /* under m */
	tomb_chan_t *ch;
	struct gate g;      /* B_SLOT: the worker that holds the slot */
	pid_t waiter;       /* the test's thread */
	sem_t about;        /* posted by it just before it blocks */
	bool late;          /* it never slept */
	int sent;           /* B_CHAN_RECV: tomb_chan_trysend's result */
};

static void release(struct release *r)
{
	int one = 1;

	sem_take(&r->about);
	r->late = !await_asleep(&r->waiter, NULL);
	switch (r->what) {
	case B_WAIT_DYING:
		tomb_kill(r->t, 5);
		break;
	case B_COND_WAIT:
		pthread_mutex_lock(&r->m);
		r->flag = true;
		tomb_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->m);
		break;
	case B_CHAN_RECV:
		r->sent = tomb_chan_trysend(r->ch, &one);
		break;
	case B_SLOT:
		break; /* the worker that holds the slot returns */
	}
}

static void *releaser_main(void *arg)
{
	release(arg);
	return NULL;
}

/* B_SLOT: the worker that holds the only slot returns once the test's
 * tomb_go waits for it. */
static int w_holds_slot(tomb_t *t, void *arg)
{
	struct release *r = arg;

	(void)t;
	started(&r->g);
	release(r);
	return 0;
}

static void sc_blocking(struct fault_ctx *c, const void *param)
{
	const struct blocking_param *p = param;
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 1};
	struct timespec end = test_deadline(10);
	struct release r = {.what = p->what, .m = PTHREAD_MUTEX_INITIALIZER,
	                    .waiter = gettid_()};
	pthread_t th;
	int err = -1, want = 0, v = 0, reason = 9;
	struct gate g;

	gate_init(&r.g);
	gate_init(&g);
	sem_init(&r.about, 0, 0);
	if (!CHECK(c, (r.t = tomb_new_opts(p->what == B_SLOT ? &o : NULL)) != NULL)) {
		sem_destroy(&r.about);
		return;
	}
	tomb_cond_init(&r.cv);
	if (p->what == B_CHAN_RECV &&
	    !CHECK(c, (r.ch = tomb_chan_new(sizeof(int), 0)) != NULL)) {
		tomb_free(r.t);
		sem_destroy(&r.about);
		return;
	}
	if (p->what == B_SLOT) {
		if (CHECK_INT(c, "tomb_go", tomb_go(r.t, w_holds_slot, &r), 0))
			sem_take(&r.g.started);
	} else if (pthread_create(&th, NULL, releaser_main, &r) != 0) {
		abort(); /* the test's own thread, not the library's */
	}
	fault_no_waitv(p->no_waitv);
	/* For the slot, the condition wait alone: the worker it starts
	 * sleeps (a futex wait) after it has said it started. */
	fault_arm_kinds(p->what == B_SLOT ? FAULT_KIND_BIT(FAULT_COND_WAIT)
	                                  : FAULT_WAITS);
	if (p->what == B_COND_WAIT)
		pthread_mutex_lock(&r.m);
	sem_post(&r.about);
	switch (p->what) {
	case B_WAIT_DYING:
		err = tomb_wait_dying(r.t, &end);
		reason = 5;
		break;
	case B_COND_WAIT:
		/* A spurious wake-up is the caller's to see: it loops. */
		err = 0;
		while (!r.flag && err == 0)
			err = tomb_cond_wait(r.t, &r.cv, &r.m, &end);
		pthread_mutex_unlock(&r.m);
		break;
	case B_CHAN_RECV:
		err = tomb_chan_recv(r.t, r.ch, &v, &end);
		CHECK_INT(c, "the value received", v, err == 0 ? 1 : 0);
		break;
	case B_SLOT:
		err = tomb_go(r.t, w_until_dying, &g);
		if (err == 0)
			sem_take(&g.started);
		break;
	}
	fault_disarm();
	fault_no_waitv(false);
	CHECK_INT(c, "the blocking call", err, want);
	if (p->what != B_SLOT)
		pthread_join(th, NULL);
	CHECK(c, !r.late);
	if (p->what == B_CHAN_RECV) {
		CHECK_INT(c, "tomb_chan_trysend", r.sent, 0);
		CHECK_INT(c, "tomb_chan_free", tomb_chan_free(r.ch), 0);
	}
	finish(c, r.t, reason, reason);
	gate_destroy(&g);
	gate_destroy(&r.g);
	sem_destroy(&r.about);
}

/* A thread of the library blocks in a condition wait (or a pool's thread
 * in its futex wait) until the test releases it. */
enum waiter { W_WAIT, W_TIMEDWAIT, W_OFF, W_WATCHER, W_POOL_FREE, W_TIMER,
              W_POOL_PARK };

struct waiter_param {
	enum waiter what;
};

struct waiter_data {
	struct gate g;
	pid_t waiter;  /* the thread that blocks */
	sem_t about;   /* W_OFF: posted by it just before it blocks */
	bool late;     /* it never slept */
	pid_t worker;  /* the worker's thread */
};

/* Returns once the test's thread sleeps. */
static int w_returns_once_asleep(tomb_t *t, void *arg)
{
	struct waiter_data *d = arg;

	(void)t;
	d->late = !await_asleep(&d->waiter, NULL);
	return 0;
}

/* Records its thread, and returns at once. */
static int w_records_tid(tomb_t *t, void *arg)
{
	struct waiter_data *d = arg;

	(void)t;
	d->worker = gettid_();
	started(&d->g);
	return 0;
}

/* A dying callback that returns once the test's thread sleeps in tomb_off. */
static void cb_until_asleep(tomb_t *t, void *arg)
{
	struct waiter_data *d = arg;

	(void)t;
	sem_post(&d->g.started);
	/* Not before: the test's thread sleeps in sem_wait for `started`. */
	sem_take(&d->about);
	d->late = !await_asleep(&d->waiter, NULL);
}

static int w_kills(tomb_t *t, void *arg)
{
	(void)arg;
	tomb_kill(t, 7);
	return TOMB_EDYING;
}

static void sc_waiter(struct fault_ctx *c, const void *param)
{
	const struct waiter_param *p = param;
	const unsigned conds = FAULT_KIND_BIT(FAULT_COND_WAIT) |
	                       FAULT_KIND_BIT(FAULT_COND_TIMEDWAIT);
	struct waiter_data d = {.waiter = gettid_()};
	struct timespec end = test_deadline(10);
	struct tomb_opts o = {0};
	tomb_hook_t h = TOMB_HOOK_INIT;
	tomb_pool_t *pool = NULL;
	int base = thread_count(), reason = 0;
	pid_t tid = 0;
	tomb_t *t;

	gate_init(&d.g);
	sem_init(&d.about, 0, 0);
	if (p->what == W_WAIT || p->what == W_TIMEDWAIT || p->what == W_POOL_FREE ||
	    p->what == W_POOL_PARK) {
		if (!CHECK(c, (pool = tomb_pool_new(NULL)) != NULL))
			goto out_pool;
		o.pool = pool;
	}
	if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL))
		goto out_pool;
	switch (p->what) {
	case W_WAIT:
	case W_TIMEDWAIT:
		/* tomb_wait sleeps on a pool's tomb (after a moment's spin)
		 * until the last worker returns. */
		CHECK_INT(c, "tomb_go", tomb_go(t, w_returns_once_asleep, &d), 0);
		fault_arm_kinds(conds);
		if (p->what == W_WAIT)
			reason = tomb_wait(t);
		else
			CHECK_INT(c, "tomb_timedwait", tomb_timedwait(t, &end, &reason), 0);
		fault_disarm();
		CHECK_INT(c, "the reason", reason, 0);
		CHECK(c, !d.late);
		break;
	case W_OFF:
		/* tomb_off waits for its callback, running in the worker's
		 * tomb_kill. */
		CHECK_INT(c, "tomb_on_dying", tomb_on_dying(t, cb_until_asleep, &d, &h), 0);
		CHECK_INT(c, "tomb_go", tomb_go(t, w_kills, NULL), 0);
		sem_take(&d.g.started);
		fault_arm_kinds(conds);
		sem_post(&d.about);
		CHECK_INT(c, "tomb_off", tomb_off(&h), EALREADY);
		fault_disarm();
		CHECK(c, !d.late);
		reason = 7;
		break;
	case W_WATCHER:
		/* The signal watcher, once t is dying, waits for the last
		 * worker before it gives the signals back. */
		CHECK_INT(c, "tomb_notify_signals",
		          tomb_notify_signals(t, watched_signals, 2, 0), 0);
		if (CHECK_INT(c, "tomb_go", tomb_go(t, w_until_go, &d.g), 0))
			sem_take(&d.g.started);
		fault_arm_kinds(conds);
		tomb_kill(t, 3);
		CHECK(c, await_asleep(&tid, "tomb-signals"));
		fault_disarm();
		sem_post(&d.g.go);
		reason = 3;
		break;
	case W_POOL_FREE:
		/* tomb_pool_free waits for its parked thread to exit. */
		if (CHECK_INT(c, "tomb_go", tomb_go(t, w_records_tid, &d), 0))
			sem_take(&d.g.started);
		CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
		CHECK_INT(c, "tomb_free", tomb_free(t), 0);
		CHECK(c, await_asleep(&d.worker, NULL));
		fault_arm_kinds(conds);
		CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
		fault_disarm();
		CHECK_INT(c, "threads", settled_thread_count(base), base);
		sem_destroy(&d.about);
		gate_destroy(&d.g);
		return;
	case W_POOL_PARK:
		/* The pool's thread parks after its worker, in a futex wait. */
		if (CHECK_INT(c, "tomb_go", tomb_go(t, w_records_tid, &d), 0))
			sem_take(&d.g.started);
		CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
		CHECK_INT(c, "tomb_free", tomb_free(t), 0);
		CHECK(c, await_asleep(&d.worker, NULL));
		if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL))
			goto out_pool;
		fault_arm_kinds(FAULT_KIND_BIT(FAULT_FUTEX_WAIT));
		if (CHECK_INT(c, "tomb_go", tomb_go(t, w_records_tid, &d), 0))
			sem_take(&d.g.started);
		CHECK_INT(c, "tomb_wait", tomb_wait(t), 0);
		CHECK(c, await_asleep(&d.worker, NULL));
		fault_disarm();
		break;
	case W_TIMER:
		/* The timer's thread sleeps until the first deadline. */
		{
			struct timespec later = tomb_deadline_ms(3600 * 1000);

			fault_arm_kinds(FAULT_KIND_BIT(FAULT_COND_TIMEDWAIT));
			CHECK_INT(c, "tomb_set_deadline", tomb_set_deadline(t, &later), 0);
			CHECK(c, await_asleep(&tid, "tomb-timer"));
			fault_disarm();
			CHECK_INT(c, "clearing", tomb_set_deadline(t, NULL), 0);
			reason = 4;
		}
		break;
	}
	finish(c, t, reason, reason);
out_pool:
	if (pool != NULL)
		CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
	CHECK_INT(c, "threads", settled_thread_count(base), base);
	sem_destroy(&d.about);
	gate_destroy(&d.g);
}

/* A waiter joins a worker's thread that lingers after its function (in a
 * thread-specific-data destructor, which runs after the library is done
 * with the thread), while the test's thread waits for that join: as a
 * second waiter of the tomb (join.c), or freeing the child tomb whose
 * thread the parent's waiter joins (tomb.c, disown).  The thread ends once
 * the test's thread sleeps. */
enum linger_case { L_SECOND_WAITER, L_FREE_CHILD };

struct linger_param {
	enum linger_case what;
};

struct linger_data {
	struct gate g;
	tomb_t *waited;   /* what the other waiter waits for */
	int waited_rc;
	pid_t waiter;     /* the other waiter's thread */
	sem_t ready;      /* posted once waiter is set */
	pid_t test;       /* the test's thread */
	sem_t about;      /* posted by the test's thread before it blocks */
	bool late;        /* it never slept */
};

static pthread_key_t linger_key;
static pthread_once_t linger_once = PTHREAD_ONCE_INIT;

static void linger(void *arg)
{
	struct linger_data *d = arg;

	sem_take(&d->about);
	d->late = !await_asleep(&d->test, NULL);
}

static void make_linger_key(void)
{
	if (pthread_key_create(&linger_key, linger) != 0)
		abort(); /* the test's own, not the library's */
}

static int w_lingers(tomb_t *t, void *arg)
{
	struct linger_data *d = arg;

	pthread_setspecific(linger_key, d);
	started(&d->g);
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : EPROTO;
}

static void *other_waiter(void *arg)
{
	struct linger_data *d = arg;

	d->waiter = gettid_();
	sem_post(&d->ready);
	d->waited_rc = tomb_wait(d->waited);
	return NULL;
}

static void sc_linger(struct fault_ctx *c, const void *param)
{
	const struct linger_param *p = param;
	struct linger_data d = {.test = gettid_()};
	struct tomb_opts o = {0};
	struct pollfd dead = {.events = POLLIN};
	tomb_t *parent = NULL, *t;
	pthread_t th;

	pthread_once(&linger_once, make_linger_key);
	gate_init(&d.g);
	sem_init(&d.about, 0, 0);
	sem_init(&d.ready, 0, 0);
	if (p->what == L_FREE_CHILD &&
	    !CHECK(c, (parent = tomb_new()) != NULL))
		goto out;
	o.parent = parent;
	if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL)) {
		if (parent != NULL)
			tomb_free(parent);
		goto out;
	}
	d.waited = parent != NULL ? parent : t;
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_lingers, &d), 0))
		sem_take(&d.g.started);
	CHECK_INT(c, "tomb_kill", tomb_kill(d.waited, 6), 0);
	/* Dead (the worker has returned: its thread lingers), so that the
	 * other waiter goes straight to the join. */
	dead.fd = tomb_dead_fd(d.waited);
	CHECK(c, dead.fd >= 0 && poll(&dead, 1, -1) == 1);
	if (pthread_create(&th, NULL, other_waiter, &d) != 0)
		abort(); /* the test's own thread, not the library's */
	sem_take(&d.ready);
	CHECK(c, await_asleep(&d.waiter, NULL));
	fault_arm_kinds(FAULT_KIND_BIT(FAULT_COND_WAIT));
	sem_post(&d.about);
	if (p->what == L_SECOND_WAITER)
		CHECK_INT(c, "tomb_wait", tomb_wait(t), 6);
	else
		CHECK_INT(c, "tomb_free of the child", tomb_free(t), 0);
	fault_disarm();
	pthread_join(th, NULL);
	CHECK(c, !d.late);
	CHECK_INT(c, "the other tomb_wait", d.waited_rc, 6);
	if (p->what == L_SECOND_WAITER)
		CHECK_INT(c, "tomb_free", tomb_free(t), 0);
	if (parent != NULL)
		CHECK_INT(c, "tomb_free of the parent", tomb_free(parent), 0);
out:
	sem_destroy(&d.ready);
	sem_destroy(&d.about);
	gate_destroy(&d.g);
}

static const struct linger_param linger_second = {L_SECOND_WAITER};
static const struct linger_param linger_child = {L_FREE_CHILD};

static const struct blocking_param block_dying = {B_WAIT_DYING, false};
static const struct blocking_param block_cond = {B_COND_WAIT, false};
static const struct blocking_param block_cond_fallback = {B_COND_WAIT, true};
static const struct blocking_param block_chan = {B_CHAN_RECV, false};
static const struct blocking_param block_chan_fallback = {B_CHAN_RECV, true};
static const struct blocking_param block_slot = {B_SLOT, false};

static const struct waiter_param waiter_wait = {W_WAIT};
static const struct waiter_param waiter_timedwait = {W_TIMEDWAIT};
static const struct waiter_param waiter_off = {W_OFF};
static const struct waiter_param waiter_watcher = {W_WATCHER};
static const struct waiter_param waiter_pool_free = {W_POOL_FREE};
static const struct waiter_param waiter_pool_park = {W_POOL_PARK};
static const struct waiter_param waiter_timer = {W_TIMER};

/* ---- a worker's exit or cancellation (issue 16) ----
 *
 * A worker that leaves by pthread_exit, or is cancelled, counts as a
 * return (tomb(7)): of ECANCELED, with its own message, while its tomb is
 * alive; of TOMB_EDYING, the reason unchanged, once it is dying.  Its
 * thread is joined; a pool loses it.  The worker below passes exit points
 * (FAULT_EXIT_POINT) where a user's worker could leave: alone, with a
 * sibling it started, after it killed its tomb, with a tomb_go waiting for
 * its slot; on its own thread or a pool's.  The walk makes it leave at
 * each by pthread_exit, and cancel itself there: the cancel, pending,
 * passes through the libtomb calls that follow (tomb_go, tomb_on_dying,
 * tomb_kill: none is a cancellation point) and acts at the next point, so
 * that the worker leaves in the state it had where it cancelled itself,
 * alive or dying.  A dying callback that the worker
 * runs (its kill's) has a point where a cancel comes too; it acts after
 * the kill has returned, callbacks running with cancellation disabled.
 * (The group lifetime is not walked: an exit is a return of ECANCELED or
 * TOMB_EDYING before any lifetime's rule, as under errgroup.)
 */
enum exit_where { X_PLAIN, X_POOL, X_ERRGROUP, X_SLOT, X_CALLBACK };

struct exit_param {
	enum exit_where where;
};

struct exit_data {
	enum exit_where where;
	struct gate g;      /* the worker's: started; go, for X_SLOT */
	struct gate b;      /* its sibling's */
	int reached;        /* exit points passed */
	tomb_hook_t h;      /* X_CALLBACK */
	tomb_t *t;          /* X_SLOT: the tomb_go waiting for the slot */
	pid_t slot_waiter;
	sem_t ready;        /* posted once slot_waiter is set */
	int slot_err;
};

static void cb_cancel_point(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	FAULT_CALLBACK_CANCEL_POINT();
}

/* sem_take with cancellation disabled, so that a pending cancel does not
 * act inside sem_wait: under ThreadSanitizer a cancel inside a blocking
 * call other than a condition wait leaves its interceptor half undone
 * (see test_exit.c). */
static void sem_take_nocancel(sem_t *s)
{
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	sem_take(s);
	pthread_setcancelstate(old, NULL);
}

static int w_exits(tomb_t *t, void *arg)
{
	struct exit_data *d = arg;

	started(&d->g);
	if (d->where == X_SLOT)
		sem_take(&d->g.go); /* a tomb_go waits for the slot now */
	FAULT_EXIT_POINT();
	d->reached = 1;
	/* (For X_SLOT, no sibling: the next point would be the same state
	 * as this one.) */
	if (d->where != X_SLOT) {
		if (tomb_go(t, w_until_dying, &d->b) == 0)
			sem_take_nocancel(&d->b.started);
		FAULT_EXIT_POINT();
	}
	d->reached = 2;
	if (d->where == X_CALLBACK)
		tomb_on_dying(t, cb_cancel_point, d, &d->h);
	tomb_kill(t, 5);
	FAULT_EXIT_POINT();
	d->reached = 3;
	return TOMB_EDYING;
}

static void *slot_waiter_main(void *arg)
{
	struct exit_data *d = arg;

	d->slot_waiter = gettid_();
	sem_post(&d->ready);
	d->slot_err = tomb_go(d->t, w_until_dying, &d->b);
	return NULL;
}

static void sc_exit(struct fault_ctx *c, const void *param)
{
	const struct exit_param *p = param;
	struct exit_data d = {.where = p->where, .h = TOMB_HOOK_INIT};
	struct tomb_opts o = {0};
	tomb_pool_t *pool = NULL;
	pthread_t th;
	int reason, want, left;
	tomb_t *t;

	gate_init(&d.g);
	gate_init(&d.b);
	sem_init(&d.ready, 0, 0);
	if (p->where == X_POOL && !CHECK(c, (pool = tomb_pool_new(NULL)) != NULL))
		goto out_pool;
	o.pool = pool;
	if (p->where == X_ERRGROUP || p->where == X_SLOT)
		o.lifetime = TOMB_LIFETIME_ERRGROUP;
	if (p->where == X_SLOT)
		o.limit = 1;
	if (!CHECK(c, (t = tomb_new_opts(&o)) != NULL))
		goto out_pool;
	d.t = t;
	fault_arm_kinds(FAULT_KIND_BIT(FAULT_WORKER_EXIT) |
	                FAULT_KIND_BIT(FAULT_CALLBACK_CANCEL));
	if (CHECK_INT(c, "tomb_go", tomb_go(t, w_exits, &d), 0))
		sem_take(&d.g.started);
	if (p->where == X_SLOT) {
		if (pthread_create(&th, NULL, slot_waiter_main, &d) != 0)
			abort(); /* the test's own thread, not the library's */
		sem_take(&d.ready);
		CHECK(c, await_asleep(&d.slot_waiter, NULL));
		sem_post(&d.g.go);
		pthread_join(th, NULL);
		/* Woken by the kill, the exit's or the worker's. */
		CHECK_INT(c, "the tomb_go that waited", d.slot_err, ECANCELED);
	}
	reason = tomb_wait(t);
	fault_disarm();
	/* Where the worker left (or cancelled itself): at the point after
	 * the last it passed. */
	left = fault_has_fired() ? d.reached + 1 : 0;
	want = left == 1 || left == 2 ? ECANCELED : 5;
	CHECK_INT(c, "tomb_wait", reason, want);
	if (want == ECANCELED)
		CHECK(c, strcmp(tomb_errmsg(t),
		                "a worker left by pthread_exit or cancellation") == 0);
	CHECK_INT(c, "tomb_count", (long long)tomb_count(t), 0);
	CHECK_INT(c, "tomb_free", tomb_free(t), 0);
out_pool:
	if (pool != NULL)
		CHECK_INT(c, "tomb_pool_free", tomb_pool_free(pool), 0);
	sem_destroy(&d.ready);
	gate_destroy(&d.g);
	gate_destroy(&d.b);
}

static const struct exit_param exit_plain = {X_PLAIN};
static const struct exit_param exit_pool = {X_POOL};
static const struct exit_param exit_errgroup = {X_ERRGROUP};
static const struct exit_param exit_slot = {X_SLOT};
static const struct exit_param exit_callback = {X_CALLBACK};

const struct fault_scenario fault_scenarios[] = {
	{"tomb_new", sc_new, &new_plain, NULL},
	{"tomb_new_opts", sc_new, &new_opts, NULL},
	{"tomb_new_opts child", sc_new, &new_child, NULL},
	{"tomb_new_opts child of dying", sc_new, &new_child_dying, NULL},
	{"tomb_go", sc_go, &go_plain, NULL},
	{"tomb_go_named", sc_go, &go_named, NULL},
	{"tomb_trygo", sc_go, &go_try, NULL},
	{"tomb_trygo at the limit", sc_trygo_at_limit, NULL, NULL},
	{"tomb_go killed meanwhile", sc_go, &go_killed, kill_at_fault},
	{"tomb_go last returns", sc_go_race, &race_tomb, last_returns_at_fault},
	{"tomb_go last returns, errgroup", sc_go_race, &race_errgroup,
	 last_returns_at_fault},
	{"tomb_go last returns, child", sc_go_race, &race_child,
	 last_returns_at_fault},
	{"tomb_go errgroup", sc_go_errgroup, NULL, NULL},
	{"tomb_go waiting for a slot", sc_go_slot, NULL, NULL},
	{"tomb_killf", sc_killf, NULL, NULL},
	{"tomb_dying_fd, tomb_dead_fd", sc_fds, NULL, NULL},
	{"tomb_notify_signals", sc_notify, &notify_reason, NULL},
	{"tomb_notify_signals fd first", sc_notify, &notify_fd_first, NULL},
	{"tomb_notify_signals then kill", sc_notify, &notify_killed, NULL},
	{"tomb_notify_signals dying", sc_notify, &notify_dying, NULL},
	{"tomb_notify_signals killed meanwhile", sc_notify_killed, NULL,
	 kill_at_fault},
	{"tomb_dump", sc_dump, NULL, NULL},
	{"tomb_pool_new, tomb_go on a pool", sc_pool, NULL, NULL},
	{"tomb_go on a pool with a kept record", sc_pool_spare, NULL, NULL},
	{"no acquisition", sc_no_acquisition, NULL, NULL},
	{"tomb_poll over 40 descriptors", sc_poll_many, NULL, NULL},
	{"tomb_set_deadline", sc_deadline, NULL, NULL},
	{"tomb_chan_new", sc_chan_new, &chan_unbuffered, NULL},
	{"tomb_chan_new buffered", sc_chan_new, &chan_buffered, NULL},
	{"tomb_wait_dying blocks", sc_blocking, &block_dying, NULL},
	{"tomb_cond_wait blocks", sc_blocking, &block_cond, NULL},
	{"tomb_cond_wait blocks, no futex_waitv", sc_blocking,
	 &block_cond_fallback, NULL},
	{"tomb_chan_recv blocks", sc_blocking, &block_chan, NULL},
	{"tomb_chan_recv blocks, no futex_waitv", sc_blocking,
	 &block_chan_fallback, NULL},
	{"tomb_go blocks for a slot", sc_blocking, &block_slot, NULL},
	{"tomb_wait sleeps", sc_waiter, &waiter_wait, NULL},
	{"tomb_timedwait sleeps", sc_waiter, &waiter_timedwait, NULL},
	{"tomb_off waits for its callback", sc_waiter, &waiter_off, NULL},
	{"the signal watcher waits", sc_waiter, &waiter_watcher, NULL},
	{"tomb_pool_free waits", sc_waiter, &waiter_pool_free, NULL},
	{"a pool's thread parks", sc_waiter, &waiter_pool_park, NULL},
	{"the timer's thread sleeps", sc_waiter, &waiter_timer, NULL},
	{"tomb_wait while another joins", sc_linger, &linger_second, NULL},
	{"tomb_free of a child being joined", sc_linger, &linger_child, NULL},
	{"a worker leaves", sc_exit, &exit_plain, NULL},
	{"a worker leaves, on a pool", sc_exit, &exit_pool, NULL},
	{"a worker leaves, errgroup", sc_exit, &exit_errgroup, NULL},
	{"a worker leaves, a tomb_go waiting", sc_exit, &exit_slot, NULL},
	{"a worker leaves, its callback cancelled", sc_exit, &exit_callback,
	 NULL},
};
const size_t fault_nscenarios =
	sizeof(fault_scenarios) / sizeof(fault_scenarios[0]);
