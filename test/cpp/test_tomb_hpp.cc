/* SPDX-License-Identifier: MIT */
/*
 * <tomb.hpp>'s tests, and the C idioms of <tomb.h> as C++ writes them.
 * test/cpp.sh builds this file with every C++ compiler it finds, as C++17
 * and as C++20, and runs it.  No test framework: CHECK records a failure,
 * and only this program's main thread checks.  Threads hand off with the
 * tomb's own waits and with atomics read after a wait has returned; nothing
 * sleeps to synchronise.
 */
#include <tomb.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>

using namespace std::chrono_literals;
namespace {

/* Inside a namespace: at global scope, `tomb` is the C struct tomb. */
using libtomb::tomb;
using libtomb::tomb_ref;

int passed, failed;
const char *current;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			std::printf("FAIL: %s: %s:%d: %s\n", current, __FILE__,      \
			            __LINE__, #cond);                          \
			++failed_here;                                         \
		}                                                              \
	} while (0)

int failed_here;

/* The threads of this process, from /proc/self/task. */
int thread_count()
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	if (d == nullptr)
		return -1;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			++n;
	closedir(d);
	return n;
}

/* thread_count(), given up to 2 s to come down to `expected`: a joined
 * thread may still be listed for a moment (as test/proc.c's
 * settled_thread_count). */
int settled_thread_count(int expected)
{
	auto end = std::chrono::steady_clock::now() + 2s;
	int n;
	while ((n = thread_count()) > expected && std::chrono::steady_clock::now() < end)
		std::this_thread::yield();
	return n;
}

/* A one-shot hand-off on a mutex and a condition variable (which valgrind's
 * Helgrind and DRD understand, unlike std::future's atomics). */
struct gate {
	std::mutex m;
	std::condition_variable cv;
	bool open = false;
	void release()
	{
		std::lock_guard<std::mutex> lk(m);
		open = true;
		cv.notify_all();
	}
	void wait()
	{
		std::unique_lock<std::mutex> lk(m);
		cv.wait(lk, [this] { return open; });
	}
};

/* Counts the instances alive of itself, copies and moves included. */
struct probe {
	static std::atomic<int> live;
	probe() { ++live; }
	probe(const probe &) { ++live; }
	probe(probe &&) noexcept { ++live; }
	~probe() { --live; }
};
std::atomic<int> probe::live{0};

static_assert(!std::is_copy_constructible_v<tomb>, "a tomb is not copyable");
static_assert(!std::is_copy_assignable_v<tomb>, "a tomb is not copyable");
static_assert(std::is_nothrow_move_constructible_v<tomb>, "a tomb moves");
static_assert(std::is_nothrow_move_assignable_v<tomb>, "a tomb moves");
static_assert(std::is_copy_constructible_v<tomb_ref>, "a tomb_ref copies");

void test_destructor_kills_and_waits()
{
	std::atomic<bool> returned{false};
	{
		tomb t;
		t.go([&](tomb_ref w) {
			w.wait_dying();
			returned = true;
		});
	}
	CHECK(returned);
}

void test_worker_return_is_the_reason()
{
	tomb t;
	t.go([] { return EIO; });
	CHECK(t.wait() == EIO);
	CHECK(std::strcmp(t.errmsg(), std::strerror(EIO)) == 0);

	tomb u;
	u.go([](tomb_ref) {});
	CHECK(u.wait() == 0);
}

void test_captured_state_destroyed_before_wait_returns()
{
	tomb t;
	t.go([p = probe()](tomb_ref w) {
		(void)p;
		w.wait_dying();
		return TOMB_EDYING;
	});
	t.go([p = probe()] { (void)p; });
	CHECK(probe::live > 0);
	t.kill(ESHUTDOWN);
	CHECK(t.wait() == ESHUTDOWN);
	CHECK(probe::live == 0);
}

void test_go_failure_destroys_the_callable()
{
	tomb t;
	t.kill(EIO);
	CHECK(t.wait() == EIO);
	bool thrown = false;
	try {
		t.go([p = probe()] { (void)p; });
	} catch (const std::system_error &e) {
		thrown = e.code().value() == ESRCH;
	}
	CHECK(thrown);
	CHECK(probe::live == 0);

	tomb moved_from;
	tomb other(std::move(moved_from));
	thrown = false;
	try {
		moved_from.go([] {});
	} catch (const std::system_error &e) {
		thrown = e.code().value() == EINVAL;
	}
	CHECK(thrown);
}

void test_exception_kills_with_its_message()
{
	tomb t;
	t.go([](tomb_ref w) {
		w.wait_dying();
		return TOMB_EDYING;
	});
	t.go([] { throw std::runtime_error("the disk is on fire"); });
	CHECK(t.wait() == libtomb::exception_reason);
	CHECK(std::strcmp(t.errmsg(), "the disk is on fire") == 0);

	tomb s;
	s.go([] { throw std::system_error(EPIPE, std::generic_category(), "write"); });
	CHECK(s.wait() == EPIPE);
	CHECK(std::string(s.errmsg()).find("write") == 0);

	tomb u;
	u.go([] { throw 42; });
	CHECK(u.wait() == libtomb::exception_reason);
	CHECK(std::strcmp(u.errmsg(), "unknown exception") == 0);

	/* An earlier reason stays the reason.  The first worker holds v
	 * alive (not dead) until the second has started. */
	gate started;
	tomb v;
	v.go([&started](tomb_ref w) {
		w.wait_dying();
		started.wait();
		return TOMB_EDYING;
	});
	v.kill(ECONNRESET, "first");
	v.go([] { throw std::runtime_error("second"); });
	started.release();
	CHECK(v.wait() == ECONNRESET);
	CHECK(std::strcmp(v.errmsg(), "first") == 0);
}

void test_kill_with_message()
{
	tomb t;
	CHECK(t.alive() && !t.dying());
	CHECK(t.err() == TOMB_STILL_ALIVE);
	CHECK(t.kill(ETIMEDOUT, std::string("took ") + "too long") == ETIMEDOUT);
	CHECK(t.dying() && !t.alive());
	CHECK(t.wait() == ETIMEDOUT);
	CHECK(std::strcmp(t.errmsg(), "took too long") == 0);
}

void test_move()
{
	tomb a;
	tomb_t *p = a.get();
	tomb b(std::move(a));
	CHECK(a.get() == nullptr);
	CHECK(b.get() == p);

	/* Assigning over a tomb with a worker kills, waits and frees it. */
	std::atomic<bool> returned{false};
	tomb c;
	c.go([&](tomb_ref w) {
		w.wait_dying();
		returned = true;
	});
	c = std::move(b);
	CHECK(returned);
	CHECK(c.get() == p);
	CHECK(b.get() == nullptr);
	CHECK(b.wait() == EINVAL); /* a moved-from tomb holds nothing */

	tomb_t *raw = c.release();
	CHECK(raw == p);
	tomb d(raw);
	CHECK(d.get() == p);
}

void test_chrono_deadlines()
{
	tomb t;
	/* Each of these can only time out: nothing kills t yet. */
	CHECK(t.sleep_for(1ms));
	CHECK(t.sleep_until(std::chrono::steady_clock::now() + 1ms));
	CHECK(t.sleep_until(std::chrono::system_clock::now() + 1ms));
	CHECK(t.sleep_until(std::chrono::steady_clock::time_point{}));
	CHECK(!t.wait_dying_for(1ms));
	CHECK(!t.wait_dying_until(std::chrono::system_clock::now() - 1h));
	t.go([](tomb_ref w) {
		w.wait_dying();
		return TOMB_EDYING;
	});
	CHECK(!t.wait_for(1ms).has_value());
	CHECK(!t.wait_until(std::chrono::system_clock::now() + 1ms).has_value());
	t.kill(EIO);
	CHECK(t.wait_dying_for(1h));
	CHECK(!t.sleep_for(1h));
	std::optional<int> r = t.wait_for(1h);
	CHECK(r.has_value() && *r == EIO);
}

void test_dying_callback()
{
	tomb t;
	std::thread::id where;
	int runs = 0;
	{
		libtomb::dying_callback never(t, [&] { ++runs; });
	}
	{
		libtomb::dying_callback cb(t, [&] {
			++runs;
			where = std::this_thread::get_id();
		});
		CHECK(runs == 0);
		t.kill(EIO);
		/* It ran in the killing thread, before the kill returned. */
		CHECK(runs == 1);
		CHECK(where == std::this_thread::get_id());
	}
	/* On a dying tomb, at once in the constructor. */
	libtomb::dying_callback late(t, [&] { ++runs; });
	CHECK(runs == 2);
	CHECK(t.wait() == EIO);
}

#if defined(__cpp_lib_jthread)
void test_stop_source()
{
	tomb t;
	libtomb::stop_source src(t);
	std::stop_token tok = src.get_token();
	CHECK(tok.stop_possible() && !tok.stop_requested());
	/* A std::jthread that takes the token stops when the tomb dies. */
	std::atomic<bool> stopped{false};
	std::jthread j([tok, &stopped] {
		std::mutex m;
		std::condition_variable_any cv;
		std::unique_lock<std::mutex> lk(m);
		cv.wait(lk, tok, [] { return false; });
		stopped = true;
	});
	t.kill(ECANCELED);
	j.join();
	CHECK(stopped);
	CHECK(tok.stop_requested());
	CHECK(t.wait() == ECANCELED);
}
#endif

void test_limit_and_try_go()
{
	tomb_opts o = {};
	o.limit = 1;
	o.name = "limited";
	tomb t(o);
	CHECK(std::strcmp(t.name(), "limited") == 0);
	t.go_named("holder", [](tomb_ref w) {
		w.wait_dying();
		return TOMB_EDYING;
	});
	CHECK(t.count() == 1);
	CHECK(!t.try_go([p = probe()] { (void)p; }));
	CHECK(probe::live == 0);
	t.kill(0);
	CHECK(!t.try_go([] {})); /* dying (ECANCELED) or dead (ESRCH) */
	CHECK(t.wait() == 0);
}

/* The C interface's idioms, as C++ writes them. */
void test_c_idioms()
{
	/* C: struct tomb_opts o = {0}; C++: {} (or, in C++20, designated
	 * initialisers in declaration order). */
	tomb_opts o = {};
	o.lifetime = TOMB_LIFETIME_ERRGROUP;
	tomb_t *t = tomb_new_opts(&o);
	CHECK(t != nullptr);
#if __cplusplus >= 202002L
	/* Designated initialisers: C++20, in declaration order; gcc's -Wextra
	 * then warns about each field left out (C does not). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
	tomb_opts child = {.parent = t, .lifetime = TOMB_LIFETIME_GROUP};
#pragma GCC diagnostic pop
	tomb_t *c = tomb_new_opts(&child);
	CHECK(c != nullptr);
	CHECK(tomb_kill(c, 0) == 0);
	CHECK(tomb_wait(c) == 0);
	CHECK(tomb_free(c) == 0);
#endif
	/* C: (int[]){SIGINT, SIGTERM}, a compound literal, is not C++: name
	 * the array. */
	static const int sigs[] = {SIGUSR1, SIGUSR2};
	CHECK(tomb_notify_signals(t, sigs, 2, 0) == 0);
	tomb_cond_t cond = TOMB_COND_INIT;
	tomb_hook_t hook = TOMB_HOOK_INIT;
	(void)hook;
	CHECK(tomb_cond_destroy(&cond) == 0);
	/* No warning to silence: tomb_wait_dying is not TOMB_WUR. */
	CHECK(tomb_kill(t, 0) == 0);
	tomb_wait_dying(t, nullptr);
	int reason = -1;
	CHECK(tomb_timedwait(t, nullptr, &reason) == 0 && reason == 0);
	CHECK(tomb_free(t) == 0);
}

struct test_case {
	const char *name;
	void (*fn)();
};

} // namespace

int main()
{
	const test_case tests[] = {
		{"destructor_kills_and_waits", test_destructor_kills_and_waits},
		{"worker_return_is_the_reason", test_worker_return_is_the_reason},
		{"captured_state_destroyed_before_wait_returns",
		 test_captured_state_destroyed_before_wait_returns},
		{"go_failure_destroys_the_callable", test_go_failure_destroys_the_callable},
		{"exception_kills_with_its_message", test_exception_kills_with_its_message},
		{"kill_with_message", test_kill_with_message},
		{"move", test_move},
		{"chrono_deadlines", test_chrono_deadlines},
		{"dying_callback", test_dying_callback},
#if defined(__cpp_lib_jthread)
		{"stop_source", test_stop_source},
#endif
		{"limit_and_try_go", test_limit_and_try_go},
		{"c_idioms", test_c_idioms},
	};
	const char *only = std::getenv("TOMB_HPP_CASE");
	/* A sanitizer's runtime may start a thread of its own at the first
	 * thread creation (ThreadSanitizer does): before the count is taken. */
	std::thread([] {}).join();
	int baseline = thread_count();
	for (const test_case &tc : tests) {
		if (only != nullptr && std::strcmp(only, tc.name) != 0)
			continue;
		current = tc.name;
		failed_here = 0;
		tc.fn();
		/* No thread and no captured state left behind. */
		CHECK(settled_thread_count(baseline) == baseline);
		CHECK(probe::live == 0);
		if (failed_here == 0)
			++passed;
		else
			++failed;
	}
	std::printf("%s: %d passed, %d failed\n", __cplusplus >= 202002L ? "C++20" : "C++17",
	            passed, failed);
	return failed == 0 ? 0 : 1;
}
