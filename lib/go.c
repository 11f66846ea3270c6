/* go.c: starting workers, and what happens when one returns. */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <stdlib.h>

/* What a new thread needs to run a worker; freed by the worker itself. */
struct start {
	tomb_t *t;
	tomb_fn *fn;
	void *arg;
};

/* The tomb lifetime (tomb.v2): a non-zero return kills with it, and the last
 * worker to return kills with 0.  Called with mu held, after live--. */
static bool worker_returned_locked(tomb_t *t, int rc)
{
	bool fire = false;

	if (rc == TOMB_STILL_ALIVE)
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_ALIVE);
	else if (rc == TOMB_EDYING && !tomb_dying(t))
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_EDYING);
	else if (rc != TOMB_EDYING && (rc != 0 || t->live == 0))
		fire = tomb__kill_locked(t, rc, NULL, NULL);
	tomb__settle_locked(t);
	return fire;
}

static void *worker_main(void *p)
{
	struct start st = *(struct start *)p;
	tomb_t *t = st.t;
	pthread_t prev;
	bool has_prev, fire;
	int rc;

	free(p);
	tomb__current = t;
	rc = st.fn(t, st.arg);
	tomb__current = NULL;

	tomb__lock(t);
	/* Join the chain: whoever joins this thread joins its predecessor. */
	has_prev = t->has_zombie;
	prev = t->zombie;
	t->zombie = pthread_self();
	t->has_zombie = true;
	t->live--;
	t->ended++;
	fire = worker_returned_locked(t, rc);
	tomb__unlock(t);
	/* The kill this return made runs the callbacks here, in the killing
	 * thread.  After that (or at once) t may be dead and freed: do not
	 * touch it again. */
	if (fire)
		tomb__fire_hooks(t);

	if (has_prev)
		pthread_join(prev, NULL);
	return NULL;
}

TOMB_EXPORT int tomb_go(tomb_t *t, tomb_fn *fn, void *arg)
{
	struct start *st;
	pthread_t th;
	uint64_t ended_before;
	bool fire = false;
	int err;

	if (t == NULL || fn == NULL)
		return EINVAL;
	st = malloc(sizeof(*st));
	if (st == NULL)
		return ENOMEM;
	st->t = t;
	st->fn = fn;
	st->arg = arg;

	tomb__lock(t);
	if (atomic_load_explicit(&t->state, memory_order_relaxed) & TOMB_S_DEAD) {
		tomb__unlock(t);
		free(st);
		return ESRCH;
	}
	/* Counted before it exists, so that t cannot become DEAD (or be freed)
	 * while the thread is being made, without holding mu across that. */
	t->live++;
	ended_before = t->ended;
	tomb__unlock(t);

	err = pthread_create(&th, NULL, worker_main, st);
	if (err == 0)
		return 0;

	/* Undo the count as if this call had never been made.  A worker that
	 * returned meanwhile saw our count and so did not act as the last one:
	 * if it was, act for it now. */
	free(st);
	tomb__lock(t);
	t->live--;
	if (t->live == 0 && t->ended != ended_before && !tomb_dying(t))
		fire = tomb__kill_locked(t, 0, NULL, NULL);
	tomb__settle_locked(t);
	tomb__unlock(t);
	if (fire)
		tomb__fire_hooks(t);
	return err;
}
