/* SPDX-License-Identifier: MIT */
/* deadline.c: absolute CLOCK_MONOTONIC deadlines. */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000L

int tomb__check_deadline(const struct timespec *abstime)
{
	if (abstime == NULL)
		return 0;
	if (abstime->tv_sec < 0 || abstime->tv_nsec < 0 ||
	    abstime->tv_nsec >= NSEC_PER_SEC)
		return EINVAL;
	return 0;
}

int64_t tomb__now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec;
}

int64_t tomb__spin_end_ns(int64_t ns, const struct timespec *abstime)
{
	int64_t end = tomb__now_ns() + ns;
	int64_t sec;

	if (abstime == NULL)
		return end;
	sec = abstime->tv_sec; /* a time_t of 32 bits is never too far */
	if (sec < INT64_MAX / NSEC_PER_SEC - 1 &&
	    sec * NSEC_PER_SEC + abstime->tv_nsec < end)
		end = sec * NSEC_PER_SEC + abstime->tv_nsec;
	return end;
}

TOMB_EXPORT struct timespec tomb_deadline_ms(long long ms)
{
	/* A deadline too far to represent is as good as never: the farthest
	 * is half of int64_t's range, or with a time_t of 32 bits its
	 * largest less one (room for the carry of the nanoseconds). */
	const long long far = sizeof(time_t) > 4 ? (long long)(INT64_MAX / 2)
	                                         : (long long)INT32_MAX - 1;
	struct timespec now;
	long long sec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms <= 0)
		return now;
	sec = ms / 1000;
	if (sec > far - now.tv_sec)
		sec = far - now.tv_sec;
	now.tv_sec += (time_t)sec;
	now.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (now.tv_nsec >= NSEC_PER_SEC) {
		now.tv_sec++;
		now.tv_nsec -= NSEC_PER_SEC;
	}
	return now;
}
