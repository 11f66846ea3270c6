/* futex.c: thin wrappers over the Linux futex system call. */
#include "config.h"

#include "futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
               "a futex word must be a plain 32-bit word");

int tomb_futex_wait(_Atomic uint32_t *word, uint32_t expected,
                    const struct timespec *abstime)
{
	/* FUTEX_WAIT_BITSET takes an absolute deadline on CLOCK_MONOTONIC. */
	long rc = syscall(SYS_futex, word,
	                  FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
	                  abstime, NULL, FUTEX_BITSET_MATCH_ANY);
	return rc == 0 ? 0 : errno;
}

void tomb_futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
	        INT_MAX, NULL, NULL, 0);
}
