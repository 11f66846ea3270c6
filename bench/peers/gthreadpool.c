/* SPDX-License-Identifier: MIT */
/*
 * gthreadpool.c: the GLib thread-pool peer, impl "gthreadpool": tasks
 * pushed to a GThreadPool, stopped through one GCancellable.
 *
 *	bench-gthreadpool gthreadpool METRIC N RUNS
 *
 * GThreadPool has no call that waits for the tasks pushed so far (only
 * g_thread_pool_free, which ends the pool), so a group counts its tasks:
 * each task lowers `left` as it returns, and the one that makes it 0 wakes
 * the main thread.  The pool is made once per process, before any timing,
 * and exclusive, so all its threads are started at once and kept, as
 * tomb-pool's are after its warm-up.  See README.md for each metric.
 */
#include <gio/gio.h>

#include "peer.h"

/*
 * A batch of tasks and the main thread's wait for them.  The cancellable
 * is the kill's; spawn's tasks never look at it.
 */
struct group {
	GCancellable *cancel;
	GMutex m;
	GCond cond;		/* ready == n, or left == 0: the hand-offs */
	long n;
	long ready;		/* under m: blocked tasks about to poll */
	long left;		/* under m: tasks not yet returned */
	const char *failed;	/* under m: a task's setup that failed */
};

/* Counts a returned task; the last one wakes the main thread. */
static void task_returned(struct group *g)
{
	g_mutex_lock(&g->m);
	if (--g->left == 0)
		g_cond_signal(&g->cond);
	g_mutex_unlock(&g->m);
}

static void wait_returned(struct group *g)
{
	g_mutex_lock(&g->m);
	while (g->left > 0)
		g_cond_wait(&g->cond, &g->m);
	g_mutex_unlock(&g->m);
}

/* spawn's task: returns at once. */
static void return_at_once(gpointer data, gpointer pool_data)
{
	(void)data;
	task_returned(pool_data);
}

/*
 * kill's task: blocks in g_poll() on the cancellable's descriptor, the
 * wait GLib's own blocking calls make (as bench-gcancellable's workers).
 */
static void blocked_task(gpointer data, gpointer pool_data)
{
	struct group *g = pool_data;
	GPollFD pfd;
	int ok = g_cancellable_make_pollfd(g->cancel, &pfd);

	(void)data;
	g_mutex_lock(&g->m);
	if (!ok)
		g->failed = "g_cancellable_make_pollfd failed";
	if (++g->ready == g->n)
		g_cond_signal(&g->cond);
	g_mutex_unlock(&g->m);
	if (ok) {
		while (g_poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		g_cancellable_release_fd(g->cancel);
	}
	task_returned(g);
}

/* An exclusive pool of `threads` threads running `fn` on `g`. */
static GThreadPool *pool_new(GFunc fn, struct group *g, long threads)
{
	GError *err = NULL;
	GThreadPool *p = g_thread_pool_new(fn, g, (gint)threads, TRUE, &err);

	if (p == NULL)
		peer_die("g_thread_pool_new(%ld threads): %s", threads,
			 err->message);
	return p;
}

/* Pushes n tasks (the data is unused, but must not be NULL). */
static void push(GThreadPool *p, long n)
{
	GError *err = NULL;
	long i;

	for (i = 0; i < n; i++)
		if (!g_thread_pool_push(p, GINT_TO_POINTER(1), &err))
			peer_die("g_thread_pool_push: %s", err->message);
}

/*
 * spawn: ns per task, for n that return at once, from before the first
 * push to the main thread's wake by the last return.  The pool has one
 * thread per CPU: trivial tasks need no more.
 */
static long long spawn_once(GThreadPool *p, struct group *g)
{
	long long t0, t1;

	g_mutex_lock(&g->m);
	g->left = g->n;
	g_mutex_unlock(&g->m);
	t0 = peer_now_ns();
	push(p, g->n);
	wait_returned(g);
	t1 = peer_now_ns();
	return (t1 - t0) / g->n;
}

/*
 * kill: n tasks blocked on a new cancellable, each on a pool thread of its
 * own (a blocked task holds its thread: the pool has n); ns from
 * g_cancellable_cancel() to the main thread's wake by the last return.
 */
static long long kill_once(GThreadPool *p, struct group *g)
{
	long long t0, t1;

	g->cancel = g_cancellable_new();
	g_mutex_lock(&g->m);
	g->ready = 0;
	g->left = g->n;
	g_mutex_unlock(&g->m);
	push(p, g->n);
	g_mutex_lock(&g->m);
	while (g->ready < g->n)
		g_cond_wait(&g->cond, &g->m);
	g_mutex_unlock(&g->m);
	if (g->failed != NULL)
		peer_die("%s", g->failed);
	peer_settle(g->n); /* as bench-c: let them reach the kernel */
	t0 = peer_now_ns();
	g_cancellable_cancel(g->cancel);
	wait_returned(g);
	t1 = peer_now_ns();
	g_object_unref(g->cancel);
	g->cancel = NULL;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct peer_args a = peer_parse(argc, argv);
	long long (*once)(GThreadPool *p, struct group *g);
	struct group g = {.n = a.n};
	GThreadPool *p;
	long r;

	if (strcmp(a.impl, "gthreadpool") != 0)
		peer_die("unknown impl \"%s\" (this program serves "
			 "\"gthreadpool\")", a.impl);
	if (strcmp(a.metric, "spawn") == 0) {
		once = spawn_once;
		p = pool_new(return_at_once, &g, (long)g_get_num_processors());
	} else if (strcmp(a.metric, "kill") == 0) {
		once = kill_once;
		p = pool_new(blocked_task, &g, a.n);
	} else if (strcmp(a.metric, "poll") == 0 ||
		   strcmp(a.metric, "hook") == 0) {
		peer_skip(&a, "the same GCancellable call as gcancellable's");
		return 0;
	} else if (strcmp(a.metric, "mem-rss") == 0) {
		peer_skip(&a, "not measured (a pool of n blocked tasks is n "
			  "GThreads, as gcancellable's)");
		return 0;
	} else {
		peer_die("unknown metric \"%s\"", a.metric);
	}
	g_mutex_init(&g.m);
	g_cond_init(&g.cond);
	once(p, &g);	/* warm-up */
	for (r = 0; r < a.runs; r++)
		peer_result(&a, once(p, &g));
	g_thread_pool_free(p, FALSE, TRUE);
	g_cond_clear(&g.cond);
	g_mutex_clear(&g.m);
	return 0;
}
