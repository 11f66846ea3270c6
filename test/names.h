/* SPDX-License-Identifier: MIT */
/*
 * names.h: the names of errno values and signals for the tests' messages
 * and expectations, from glibc's helpers where configure found them and
 * from portable code elsewhere (musl).  Call them from the test's own
 * thread: the portable code may use strerror.
 */
#ifndef TOMB_TEST_NAMES_H
#define TOMB_TEST_NAMES_H

/* An errno value's name ("EINVAL"), or "" for one this does not know. */
const char *test_errno_name(int err);

/* What the C library's strerror says of an errno value, or NULL for a
 * value that is none (what lib/ calls an unknown reason). */
const char *test_errno_desc(int err);

/* A signal's abbreviation ("TERM"), or "?" for one this does not know. */
const char *test_signal_abbrev(int signo);

#endif
