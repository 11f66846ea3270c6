/* SPDX-License-Identifier: MIT */
/*
 * gcancellable.c: the GLib peer, impl "gcancellable": GThread workers
 * stopped through one GCancellable.
 *
 *	bench-gcancellable gcancellable METRIC N RUNS
 *
 * The blocking wait is the one GLib's own blocking calls use (GSocket,
 * GSubprocess): g_cancellable_make_pollfd() and g_poll() on that one
 * descriptor, g_cancellable_release_fd() after.  Every worker of a group
 * polls the same cancellable's eventfd, which g_cancellable_cancel() makes
 * readable once for all of them.  See README.md for each metric.
 */
#include <gio/gio.h>

#include "peer.h"

/* poll: ns per g_cancellable_is_cancelled() on a live cancellable. */
static long long poll_once(void *ctx, long iters)
{
	GCancellable *c = ctx;
	long seen = 0;
	long long t0, t1;
	long i;

	t0 = peer_now_ns();
	for (i = 0; i < iters; i++)
		seen += g_cancellable_is_cancelled(c);
	t1 = peer_now_ns();
	if (seen != 0)
		peer_die("g_cancellable_is_cancelled() was true before a cancel");
	return t1 - t0;
}

static void hook_fired(GCancellable *c, gpointer data)
{
	(void)c;
	++*(long *)data;
}

/* hook: ns per g_cancellable_connect() and g_cancellable_disconnect(). */
static long long hook_once(void *ctx, long iters)
{
	GCancellable *c = ctx;
	long fired = 0;
	long long t0, t1;
	long i;

	t0 = peer_now_ns();
	for (i = 0; i < iters; i++) {
		gulong id = g_cancellable_connect(c, G_CALLBACK(hook_fired),
						  &fired, NULL);

		if (id == 0)
			peer_die("g_cancellable_connect returned 0");
		g_cancellable_disconnect(c, id);
	}
	t1 = peer_now_ns();
	if (fired != 0)
		peer_die("a cancelled handler ran before a cancel");
	return t1 - t0;
}

static gpointer return_at_once(gpointer data)
{
	return data;
}

/* Starts n GThreads running `fn`, or dies saying how many started. */
static void start_threads(GThread **ts, long n, GThreadFunc fn, void *data,
			  GCancellable *on_failure)
{
	GError *err = NULL;
	long i, j;

	for (i = 0; i < n; i++) {
		/* No name: naming a thread costs a prctl the peers skip. */
		ts[i] = g_thread_try_new(NULL, fn, data, &err);
		if (ts[i] == NULL)
			break;
	}
	if (i == n)
		return;
	if (on_failure != NULL)
		g_cancellable_cancel(on_failure);
	for (j = 0; j < i; j++)
		g_thread_join(ts[j]);
	peer_die("started %ld of %ld GThreads: %s", i, n, err->message);
}

/* spawn: ns per GThread, for n that return at once, up to the last join. */
static long long spawn_once(long n)
{
	GThread **ts = g_new(GThread *, n);
	long long t0, t1;
	long i;

	t0 = peer_now_ns();
	start_threads(ts, n, return_at_once, NULL, NULL);
	for (i = 0; i < n; i++)
		g_thread_join(ts[i]);
	t1 = peer_now_ns();
	g_free(ts);
	return (t1 - t0) / n;
}

/*
 * n workers blocked in g_poll() on the group's cancellable.  `ready`
 * counts the workers about to poll; the last wakes the main thread.
 */
struct group {
	GCancellable *cancel;
	GMutex m;
	GCond ready_cond;	/* the hand-off to main */
	long ready;		/* under m */
	long n;
	const char *failed;	/* set by a worker whose setup failed, under m */
	GThread **ts;
};

static gpointer blocked_worker(gpointer data)
{
	struct group *g = data;
	GPollFD pfd;
	int ok = g_cancellable_make_pollfd(g->cancel, &pfd);

	g_mutex_lock(&g->m);
	if (!ok)
		g->failed = "g_cancellable_make_pollfd failed";
	if (++g->ready == g->n)
		g_cond_signal(&g->ready_cond);
	g_mutex_unlock(&g->m);
	if (!ok)
		return NULL;
	while (g_poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	g_cancellable_release_fd(g->cancel);
	return NULL;
}

static void group_start(struct group *g, long n)
{
	g->cancel = g_cancellable_new();
	g_mutex_init(&g->m);
	g_cond_init(&g->ready_cond);
	g->ready = 0;
	g->n = n;
	g->failed = NULL;
	g->ts = g_new(GThread *, n);
	start_threads(g->ts, n, blocked_worker, g, g->cancel);
	g_mutex_lock(&g->m);
	while (g->ready < n)
		g_cond_wait(&g->ready_cond, &g->m);
	g_mutex_unlock(&g->m);
	if (g->failed != NULL)
		peer_die("%s", g->failed);
	peer_settle(n); /* as bench-c: let them reach the kernel */
}

/* The kill and the wait: g_cancellable_cancel, then join every worker. */
static long long group_kill_and_free(struct group *g)
{
	long long t0, t1;
	long i;

	t0 = peer_now_ns();
	g_cancellable_cancel(g->cancel);
	for (i = 0; i < g->n; i++)
		g_thread_join(g->ts[i]);
	t1 = peer_now_ns();
	g_free(g->ts);
	g_cond_clear(&g->ready_cond);
	g_mutex_clear(&g->m);
	g_object_unref(g->cancel);
	return t1 - t0;
}

static long long kill_once(long n)
{
	struct group g;

	group_start(&g, n);
	return group_kill_and_free(&g);
}

/* Leaves the workers blocked: see peer_mem_result_exit. */
static void mem_once(const struct peer_args *a)
{
	long long before = peer_vmhwm();
	struct group g;

	group_start(&g, a->n);
	peer_mem_result_exit(a, peer_hwm_delta(before));
}

static void repeat(const struct peer_args *a, long long (*once)(long n))
{
	long r;

	once(a->n);	/* warm-up */
	for (r = 0; r < a->runs; r++)
		peer_result(a, once(a->n));
}

int main(int argc, char **argv)
{
	struct peer_args a = peer_parse(argc, argv);

	if (strcmp(a.impl, "gcancellable") != 0)
		peer_die("unknown impl \"%s\" (this program serves "
			 "\"gcancellable\")", a.impl);
	if (strcmp(a.metric, "poll") == 0 || strcmp(a.metric, "hook") == 0) {
		GCancellable *c = g_cancellable_new();

		peer_loop_metric(&a, a.metric[0] == 'p' ? poll_once : hook_once,
				 c);
		g_object_unref(c);
	} else if (strcmp(a.metric, "spawn") == 0) {
		repeat(&a, spawn_once);
	} else if (strcmp(a.metric, "kill") == 0) {
		repeat(&a, kill_once);
	} else if (strcmp(a.metric, "mem-rss") == 0) {
		/* At the default stack: g_thread_new cannot choose one. */
		if (!peer_mem_rerun(&a))
			mem_once(&a);
	} else {
		peer_die("unknown metric \"%s\"", a.metric);
	}
	return 0;
}
