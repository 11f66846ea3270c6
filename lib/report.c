/* SPDX-License-Identifier: MIT */
/* report.c: telling what a tomb is doing (who is stuck). */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>

struct dump {
	FILE *f;
	struct timespec now;
	int err;
};

static void dump_worker(const struct tomb_worker_info *w, void *arg)
{
	struct dump *d = arg;
	long long ns = (d->now.tv_sec - w->started.tv_sec) * 1000000000LL +
	               (d->now.tv_nsec - w->started.tv_nsec);

	if (fprintf(d->f, "  worker \"%s\" tid %d, running %lld.%03lld s\n",
	            w->name, (int)w->tid, ns / 1000000000LL,
	            ns % 1000000000LL / 1000000LL) < 0)
		d->err = EIO;
}

TOMB_EXPORT int tomb_dump(tomb_t *t, FILE *f)
{
	struct dump d = {.f = f, .err = 0};
	int reason, cancel_state;

	if (t == NULL || f == NULL)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	/* stdio may be a cancellation point, and the workers are listed with
	 * t's lock held: no cancel in here (tomb(7)). */
	cancel_state = tomb__nocancel_begin();
	clock_gettime(CLOCK_MONOTONIC, &d.now);
	reason = tomb_err(t);
	if (reason == TOMB_STILL_ALIVE)
		d.err = fprintf(f, "tomb \"%s\": alive, %zu workers running\n",
		                t->name, tomb_count(t)) < 0 ? EIO : 0;
	else
		d.err = fprintf(f, "tomb \"%s\": %s (reason %d: %s), %zu workers running\n",
		                t->name,
		                atomic_load(&t->state) & TOMB_S_DEAD ? "dead" : "dying",
		                reason, tomb_errmsg(t), tomb_count(t)) < 0 ? EIO : 0;
	tomb_foreach(t, dump_worker, &d);
	if (fflush(f) != 0)
		d.err = EIO;
	tomb__nocancel_end(cancel_state);
	return d.err;
}
