/* SPDX-License-Identifier: MIT */
/*
 * jthread.cc: the C++20 peer, impl "jthread": std::jthread, std::stop_token,
 * std::condition_variable_any and std::stop_callback.
 *
 *	bench-jthread jthread METRIC N RUNS
 *
 * A group of workers that one kill stops is, in C++20, one std::stop_source
 * whose token every worker holds: each jthread's own stop_source stops only
 * that thread, so "kill" and "mem-rss" share one source (one request_stop,
 * like tomb_kill), while "spawn" uses the token each jthread gives its
 * function.  See README.md for what each metric measures.
 */
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "peer.h"

namespace {

/* poll: ns per stop_requested() on a token nobody stops. */
long long poll_once(void *ctx, long iters)
{
	const std::stop_token &tok = *static_cast<std::stop_token *>(ctx);
	long seen = 0;

	long long t0 = peer_now_ns();
	for (long i = 0; i < iters; i++)
		seen += tok.stop_requested();
	long long t1 = peer_now_ns();
	/* Using the sum keeps the loads in the loop. */
	if (seen != 0)
		peer_die("stop_requested() was true with no stop requested");
	return t1 - t0;
}

/* hook: ns per std::stop_callback constructed and destroyed. */
long long hook_once(void *ctx, long iters)
{
	const std::stop_token &tok = *static_cast<std::stop_token *>(ctx);
	long fired = 0;

	long long t0 = peer_now_ns();
	for (long i = 0; i < iters; i++) {
		std::stop_callback cb(tok, [&fired] { fired++; });
	}
	long long t1 = peer_now_ns();
	if (fired != 0)
		peer_die("a stop_callback ran with no stop requested");
	return t1 - t0;
}

/* spawn: ns per jthread, for n that return at once, up to the last join. */
long long spawn_once(long n)
{
	std::vector<std::jthread> ts;

	ts.reserve(n);
	long long t0 = peer_now_ns();
	for (long i = 0; i < n; i++)
		ts.emplace_back([](std::stop_token) {});
	for (auto &t : ts)
		t.join();
	return (peer_now_ns() - t0) / n;
}

/*
 * n workers blocked in condition_variable_any::wait(lock, token, pred) on
 * one shared stop_source.  `ready` counts the workers that hold `m` just
 * before their wait; the last one wakes the main thread through
 * `ready_cv`.  Since each worker releases `m` only inside its wait, the
 * main thread holding `m` with ready == n knows all n are in the wait.
 */
struct group {
	std::stop_source stop;
	std::mutex m;
	std::condition_variable_any cv;	/* the workers' wait */
	std::condition_variable ready_cv;	/* the hand-off to main */
	long ready = 0;			/* under m */
	long n;
	bool work = false;		/* under m; never set: only a stop wakes */
	std::vector<std::jthread> ts;

	explicit group(long count) : n(count) { ts.reserve(count); }

	void worker()
	{
		std::stop_token tok = stop.get_token();
		std::unique_lock<std::mutex> lk(m);

		if (++ready == n)
			ready_cv.notify_one();
		cv.wait(lk, tok, [this] { return work; });
	}

	/* Starts n blocked workers; a start failure stops and joins the rest. */
	void start()
	{
		try {
			for (long i = 0; i < n; i++)
				ts.emplace_back([this] { worker(); });
		} catch (const std::system_error &e) {
			long started = (long)ts.size();

			stop.request_stop();
			ts.clear();	/* joins */
			peer_die("started %ld of %ld jthreads: %s", started, n,
				 e.what());
		}
		std::unique_lock<std::mutex> lk(m);
		ready_cv.wait(lk, [this] { return ready == n; });
		lk.unlock();
		peer_settle(n); /* as bench-c: let them reach the kernel */
	}

	/* The kill and the wait: request_stop, then join every worker. */
	long long kill_and_join()
	{
		long long t0 = peer_now_ns();
		stop.request_stop();
		for (auto &t : ts)
			t.join();
		return peer_now_ns() - t0;
	}
};

long long kill_once(long n)
{
	group g(n);

	g.start();
	return g.kill_and_join();
}

/* Leaves the workers blocked: see peer_mem_result_exit. */
[[noreturn]] void mem_once(const peer_args &a)
{
	long long before = peer_vmhwm();
	group *g = new group(a.n);

	g->start();
	peer_mem_result_exit(&a, peer_hwm_delta(before));
}

void repeat(const peer_args &a, long long (*once)(long n), int warmups)
{
	for (int i = 0; i < warmups; i++)
		once(a.n);
	for (long r = 0; r < a.runs; r++)
		peer_result(&a, once(a.n));
}

void run(const peer_args &a)
{
	std::string metric = a.metric;

	if (metric == "poll" || metric == "hook") {
		std::stop_source src;
		std::stop_token tok = src.get_token();

		peer_loop_metric(&a, metric == "poll" ? poll_once : hook_once,
				 &tok);
	} else if (metric == "spawn") {
		repeat(a, spawn_once, 1);
	} else if (metric == "kill") {
		repeat(a, kill_once, 1);
	} else if (metric == "mem-rss") {
		/* At the default stack: std::jthread cannot choose one. */
		if (!peer_mem_rerun(&a))
			mem_once(a);
	} else {
		peer_die("unknown metric \"%s\"", a.metric);
	}
}

} // namespace

int main(int argc, char **argv)
{
	peer_args a = peer_parse(argc, argv);

	if (std::string(a.impl) != "jthread")
		peer_die("unknown impl \"%s\" (this program serves \"jthread\")",
			 a.impl);
	try {
		run(a);
	} catch (const std::exception &e) {
		peer_die("%s %s: %s", a.impl, a.metric, e.what());
	}
	return 0;
}
