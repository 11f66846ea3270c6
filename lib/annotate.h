/* SPDX-License-Identifier: MIT */
/*
 * annotate.h: tells valgrind's Helgrind and DRD what the library's atomics
 * and futexes order, which they cannot see for themselves.  Not installed.
 *
 * Both tools know pthread mutexes, condition variables, semaphores, create
 * and join, but they take a C11 atomic load or store for a plain access and
 * a futex for an unrelated system call.  So:
 *
 *   TOMB_ANN_ATOMIC(p)  p points to an atomic object: its own accesses are
 *                       never a data race (C11 5.1.2.4), so the tools stop
 *                       checking its bytes.  Call it where the object is
 *                       made (or, for process-wide ones, before each use);
 *                       memory that is freed and reused is checked again.
 *   TOMB_ANN_RELEASE(p) just before a release (or stronger) store or
 *                       read-modify-write of *p ...
 *   TOMB_ANN_ACQUIRE(p) ... and just after the acquire (or stronger) load
 *                       of *p that saw it: what the releasing thread did
 *                       before happens before what this one does after.
 *   TOMB_ANN_FORGET(p)  when *p is freed: the next object at that address
 *                       does not inherit the releases made on this one.
 *   TOMB_ANN_UNCHECKED(p)  *p is a pthread object whose bytes the tools
 *                       would check as plain memory where only the C
 *                       library's calls touch them (see tomb_free): they
 *                       stop checking them, as they already do inside the
 *                       C library (their default suppressions); its lock
 *                       and unlock still order as before.
 *
 * Helgrind and DRD both take valgrind/helgrind.h's client requests.  Outside
 * valgrind a client request is a few instructions that do nothing, so the
 * library is built with them whenever the header is there (configure checks
 * for it), and without it they expand to nothing.
 *
 * ThreadSanitizer needs none of this: it knows C11 atomics, and every futex
 * here waits on a word whose atomic accesses carry the ordering.
 */
#ifndef TOMB_ANNOTATE_H
#define TOMB_ANNOTATE_H

#ifdef HAVE_VALGRIND_HELGRIND_H
#include <valgrind/helgrind.h>

#define TOMB_ANN_ATOMIC(p) \
	ANNOTATE_BENIGN_RACE_SIZED((p), sizeof(*(p)), "C11 atomic object")
#define TOMB_ANN_RELEASE(p) ANNOTATE_HAPPENS_BEFORE(p)
#define TOMB_ANN_ACQUIRE(p) ANNOTATE_HAPPENS_AFTER(p)
#define TOMB_ANN_FORGET(p) ANNOTATE_HAPPENS_BEFORE_FORGET_ALL(p)
#define TOMB_ANN_UNCHECKED(p) \
	ANNOTATE_BENIGN_RACE_SIZED((p), sizeof(*(p)), "a pthread object")
/* Whether a valgrind tool runs the program: one thread at a time, so that
 * a thread that spins waiting for another only delays it. */
#define TOMB_ON_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#define TOMB_ANN_ATOMIC(p) ((void)(p))
#define TOMB_ANN_RELEASE(p) ((void)(p))
#define TOMB_ANN_ACQUIRE(p) ((void)(p))
#define TOMB_ANN_FORGET(p) ((void)(p))
#define TOMB_ANN_UNCHECKED(p) ((void)(p))
#define TOMB_ON_VALGRIND() 0
#endif

#endif
