/* SPDX-License-Identifier: MIT */
/*
 * tomb.hpp: libtomb for C++17 and later, header only, over the C API of
 * <tomb.h>: no ABI of its own, nothing to link but libtomb.  doc/cpp.md
 * tells how to use it.
 *
 *   libtomb::tomb t;                       // owns a tomb_t
 *   t.go([&](libtomb::tomb_ref w) {        // any callable is a worker
 *           while (!w.dying()) { ... }
 *   });
 *   t.kill(ESHUTDOWN, "stopping");
 *   int reason = t.wait();
 *   // ~tomb kills with 0, waits and frees, like std::jthread's destructor.
 *
 * Errors: a call that the C API lets fail on bad input or a lack of
 * resources (the constructor, go) throws std::system_error with the errno
 * value in its generic category; the rest return what the C call returns.
 * An exception that escapes a worker does not reach std::terminate: it
 * kills the tomb with libtomb::exception_reason (or a std::system_error's own
 * positive errno value) and its what() as the message.
 */
#ifndef TOMB_HPP
#define TOMB_HPP

#include <tomb.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#if __has_include(<version>)
#include <version>
#endif
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif

namespace libtomb {

/* The reason with which an exception that escapes a worker kills its tomb,
 * unless it is a std::system_error with a positive code of its own. */
inline constexpr int exception_reason = ENOTRECOVERABLE;

namespace detail {

/* Throws std::system_error for a non-zero errno value. */
inline void check(int err, const char *what)
{
	if (err != 0)
		throw std::system_error(err, std::generic_category(), what);
}

/* An absolute CLOCK_MONOTONIC deadline from any clock's time point.
 * std::chrono::steady_clock is CLOCK_MONOTONIC with libstdc++ and libc++ on
 * Linux, so its time points convert exactly; another clock's are moved onto
 * it by the difference between the two clocks' "now".  A time before the
 * clock's epoch becomes {0, 0}, which has passed. */
template <class Clock, class Duration>
timespec to_timespec(const std::chrono::time_point<Clock, Duration> &tp)
{
	using namespace std::chrono;
	steady_clock::duration since;
	if constexpr (std::is_same_v<Clock, steady_clock>) {
		since = duration_cast<steady_clock::duration>(tp.time_since_epoch());
	} else {
		since = (steady_clock::now() +
		         duration_cast<steady_clock::duration>(tp - Clock::now()))
		                .time_since_epoch();
	}
	timespec ts{};
	if (since.count() <= 0)
		return ts;
	auto s = duration_cast<seconds>(since);
	ts.tv_sec = static_cast<time_t>(s.count());
	ts.tv_nsec = static_cast<long>(duration_cast<nanoseconds>(since - s).count());
	return ts;
}

/* The deadline `d` from now. */
template <class Rep, class Period>
timespec from_now(const std::chrono::duration<Rep, Period> &d)
{
	return to_timespec(std::chrono::steady_clock::now() +
	                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
}

/* Kills t for the exception being handled (call inside a catch block). */
inline void kill_for_current_exception(tomb_t *t) noexcept
{
	try {
		throw;
	} catch (const std::system_error &e) {
		int code = e.code().value();
		bool errno_value = e.code().category() == std::generic_category() ||
		                   e.code().category() == std::system_category();
		tomb_killf(t, errno_value && code > 0 ? code : exception_reason, "%s",
		           e.what());
	} catch (const std::exception &e) {
		tomb_killf(t, exception_reason, "%s", e.what());
	} catch (...) {
		tomb_killf(t, exception_reason, "%s", "unknown exception");
	}
}

} // namespace detail

/*
 * A tomb that this object does not own: what a worker gets, and what every
 * call but the owner's wait, free and move take.  Copyable; valid while the
 * tomb is.
 */
class tomb_ref {
public:
	tomb_ref() noexcept = default;
	tomb_ref(tomb_t *t) noexcept : t_(t) {}

	tomb_t *get() const noexcept { return t_; }
	explicit operator bool() const noexcept { return t_ != nullptr; }

	bool dying() const noexcept { return tomb_dying(t_); }
	bool alive() const noexcept { return tomb_alive(t_); }
	int err() const noexcept { return tomb_err(t_); }
	const char *errmsg() const noexcept { return tomb_errmsg(t_); }
	const char *name() const noexcept { return tomb_name(t_); }
	std::size_t count() const noexcept { return tomb_count(t_); }

	int kill(int reason = 0) const noexcept { return tomb_kill(t_, reason); }
	int kill(int reason, const std::string &message) const noexcept
	{
		return tomb_killf(t_, reason, "%s", message.c_str());
	}

	/* Starts f on a new worker thread (or the tomb's pool): f is called
	 * with this tomb_ref if it takes one, else with nothing, and returns
	 * void (a return of 0) or a reason convertible to int.  f and what it
	 * captures are moved into the worker, which destroys them before it
	 * returns, so before the tomb's wait does.  Throws std::system_error
	 * (EINVAL, ESRCH, EAGAIN, ...) as tomb_go(3) fails, or std::bad_alloc;
	 * f is then destroyed unrun. */
	template <class F> void go(F &&f) const
	{
		detail::check(start(nullptr, std::forward<F>(f), false), "tomb_go");
	}
	/* The same, the worker's thread named (see tomb_go_named(3)). */
	template <class F> void go_named(const char *name, F &&f) const
	{
		detail::check(start(name, std::forward<F>(f), false), "tomb_go_named");
	}
	/* tomb_trygo(3): false (f destroyed unrun) where tomb_go would block
	 * for the limit, or once the tomb is dying or dead; otherwise as go. */
	template <class F> bool try_go(F &&f) const
	{
		int err = start(nullptr, std::forward<F>(f), true);
		if (err == EBUSY || err == ECANCELED || err == ESRCH)
			return false;
		detail::check(err, "tomb_trygo");
		return true;
	}

	/* Blocks until the tomb is dying. */
	void wait_dying() const noexcept { (void)tomb_wait_dying(t_, nullptr); }
	/* Blocks until the tomb is dying (true) or the time passes (false). */
	template <class Clock, class Duration>
	bool wait_dying_until(const std::chrono::time_point<Clock, Duration> &tp) const
	{
		timespec ts = detail::to_timespec(tp);
		return tomb_wait_dying(t_, &ts) == 0;
	}
	template <class Rep, class Period>
	bool wait_dying_for(const std::chrono::duration<Rep, Period> &d) const
	{
		timespec ts = detail::from_now(d);
		return tomb_wait_dying(t_, &ts) == 0;
	}

	/* Sleeps until the time: true when it passes, false as soon as the
	 * tomb is dying (tomb_sleep(3)). */
	template <class Clock, class Duration>
	bool sleep_until(const std::chrono::time_point<Clock, Duration> &tp) const
	{
		timespec ts = detail::to_timespec(tp);
		return tomb_sleep(t_, &ts) == 0;
	}
	template <class Rep, class Period>
	bool sleep_for(const std::chrono::duration<Rep, Period> &d) const
	{
		timespec ts = detail::from_now(d);
		return tomb_sleep(t_, &ts) == 0;
	}

private:
	template <class F> struct holder {
		std::decay_t<F> fn;

		static int run(tomb_t *t, void *arg) noexcept
		{
			/* Owns the callable from here on: destroyed on every
			 * way out, before the worker returns. */
			std::unique_ptr<holder> self(static_cast<holder *>(arg));
			try {
				return self->call(t);
			} catch (...) {
				detail::kill_for_current_exception(t);
				return TOMB_EDYING;
			}
		}

		int call(tomb_t *t)
		{
			using Fn = std::decay_t<F>;
			if constexpr (std::is_invocable_v<Fn &, tomb_ref>) {
				if constexpr (std::is_void_v<std::invoke_result_t<Fn &, tomb_ref>>) {
					std::invoke(fn, tomb_ref(t));
					return 0;
				} else {
					return static_cast<int>(std::invoke(fn, tomb_ref(t)));
				}
			} else {
				static_assert(std::is_invocable_v<Fn &>,
				              "a worker is called with a libtomb::tomb_ref, or with nothing");
				if constexpr (std::is_void_v<std::invoke_result_t<Fn &>>) {
					std::invoke(fn);
					return 0;
				} else {
					return static_cast<int>(std::invoke(fn));
				}
			}
		}
	};

	template <class F> int start(const char *name, F &&f, bool try_only) const
	{
		auto h = std::make_unique<holder<F>>(holder<F>{std::forward<F>(f)});
		int err;
		if (try_only)
			err = tomb_trygo(t_, &holder<F>::run, h.get());
		else if (name != nullptr)
			err = tomb_go_named(t_, name, &holder<F>::run, h.get());
		else
			err = tomb_go(t_, &holder<F>::run, h.get());
		if (err == 0)
			h.release(); /* the worker owns it now */
		return err;
	}

protected:
	tomb_t *t_ = nullptr;
};

/*
 * An owning tomb.  The destructor kills it with 0 (a reason given before
 * stays), waits for it, and frees it, like std::jthread's destructor
 * requests a stop and joins.  Movable, not copyable; a moved-from tomb
 * holds nothing, and its calls fail with EINVAL or do nothing.
 */
class tomb : public tomb_ref {
public:
	/* A new tomb; throws std::system_error (ENOMEM) on failure. */
	tomb() : tomb_ref(tomb_new())
	{
		if (t_ == nullptr)
			detail::check(errno != 0 ? errno : ENOMEM, "tomb_new");
	}
	/* A new tomb with options (tomb_new_opts(3)); throws
	 * std::system_error (EINVAL, ESRCH, ENOMEM) on failure. */
	explicit tomb(const tomb_opts &opts) : tomb_ref(tomb_new_opts(&opts))
	{
		if (t_ == nullptr)
			detail::check(errno != 0 ? errno : ENOMEM, "tomb_new_opts");
	}
	/* Takes ownership of a tomb_t from tomb_new (nullptr: holds none). */
	explicit tomb(tomb_t *owned) noexcept : tomb_ref(owned) {}

	tomb(const tomb &) = delete;
	tomb &operator=(const tomb &) = delete;
	tomb(tomb &&other) noexcept : tomb_ref(std::exchange(other.t_, nullptr)) {}
	tomb &operator=(tomb &&other) noexcept
	{
		if (this != &other) {
			reset();
			t_ = std::exchange(other.t_, nullptr);
		}
		return *this;
	}
	~tomb() { reset(); }

	/* Blocks until dead: the reason (tomb_wait(3)). */
	int wait() const noexcept { return tomb_wait(t_); }
	/* Blocks until dead (the reason) or until the time (nullopt). */
	template <class Clock, class Duration>
	std::optional<int>
	wait_until(const std::chrono::time_point<Clock, Duration> &tp) const
	{
		timespec ts = detail::to_timespec(tp);
		int reason = 0;
		if (tomb_timedwait(t_, &ts, &reason) != 0)
			return std::nullopt;
		return reason;
	}
	template <class Rep, class Period>
	std::optional<int> wait_for(const std::chrono::duration<Rep, Period> &d) const
	{
		return wait_until(std::chrono::steady_clock::now() +
		                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
	}

	/* Gives the tomb_t up: the caller frees it. */
	tomb_t *release() noexcept { return std::exchange(t_, nullptr); }

	/* Kills with 0, waits and frees the tomb held, if any.  From one of
	 * the tomb's own workers the wait fails (EDEADLK), and the tomb is
	 * then left to leak rather than freed under its workers. */
	void reset() noexcept
	{
		tomb_t *t = std::exchange(t_, nullptr);
		if (t == nullptr)
			return;
		(void)tomb_kill(t, 0);
		if (tomb_wait(t) != EDEADLK)
			(void)tomb_free(t);
	}
};

/*
 * A callback run once when the tomb is dying, registered for this object's
 * lifetime, like std::stop_callback: at once in the constructor if the tomb
 * is dying already, otherwise in the thread that kills it.  The destructor
 * unregisters it, and if it is running on another thread, waits for it to
 * return.  The callback must not throw (std::terminate, as with
 * std::stop_callback), and the tomb must outlive this object.
 */
template <class Callback> class dying_callback {
public:
	template <class C>
	explicit dying_callback(tomb_ref t, C &&cb) : cb_(std::forward<C>(cb))
	{
		detail::check(tomb_on_dying(t.get(), &fire, this, &hook_), "tomb_on_dying");
	}
	~dying_callback() { (void)tomb_off(&hook_); }
	dying_callback(const dying_callback &) = delete;
	dying_callback &operator=(const dying_callback &) = delete;

private:
	static void fire(tomb_t *, void *arg) noexcept
	{
		static_cast<dying_callback *>(arg)->cb_();
	}

	Callback cb_;
	tomb_hook_t hook_ = TOMB_HOOK_INIT;
};
template <class Callback>
dying_callback(tomb_ref, Callback) -> dying_callback<Callback>;

#if defined(__cpp_lib_jthread)
/*
 * C++20: a std::stop_source whose stop is requested when the tomb is dying,
 * for code that takes a std::stop_token (std::jthread, std::condition_
 * variable_any's waits, your own).  Like dying_callback, it lives on the
 * caller's side, and the tomb must outlive it.
 */
class stop_source {
public:
	explicit stop_source(tomb_ref t)
	{
		detail::check(tomb_on_dying(t.get(), &fire, &src_, &hook_), "tomb_on_dying");
	}
	~stop_source() { (void)tomb_off(&hook_); }
	stop_source(const stop_source &) = delete;
	stop_source &operator=(const stop_source &) = delete;

	std::stop_token get_token() const noexcept { return src_.get_token(); }

private:
	static void fire(tomb_t *, void *arg) noexcept
	{
		static_cast<std::stop_source *>(arg)->request_stop();
	}

	std::stop_source src_;
	tomb_hook_t hook_ = TOMB_HOOK_INIT;
};
#endif

} // namespace libtomb

#endif /* TOMB_HPP */
