/* SPDX-License-Identifier: MIT */
/*
 * fault.h: what the fault-injection driver (fault.c) and its scenarios
 * (fault_scenarios.c) share.
 *
 * A scenario is a short run of public calls.  The driver runs it once with
 * nothing failing, to count the calls that can fail, then again and again
 * with the 1st, the 2nd, ... of them failing (with each errno its kind can
 * fail with), until a run reaches no k-th call.  When a later call of the
 * failed kind was made in such a run, it runs again with the failure
 * persistent (that call and every later one of its kind fail).  Then it
 * runs the scenario once more with each wait of the library that it
 * reaches returning early at its first call (fault_wake_early), unless it
 * walks waits (or a worker's exits) call by call itself.  The
 * scenario arms the injection (fault_arm, or fault_arm_kinds) around the
 * calls under test only, checks what each returned, and ends by killing,
 * waiting for and freeing every tomb it made; the driver then checks that
 * nothing leaked and that no check failed.  Only the test's thread checks;
 * workers record.
 */
#ifndef TOMB_FAULT_H
#define TOMB_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "fault_inject.h"
#include "tomb.h"

/* One run of a scenario. */
struct fault_ctx {
	const char *scenario;
	unsigned long k;    /* the counted call made to fail; 0: none */
	int variant;        /* which of its kind's errno values */
	bool persistent;    /* and every later call of its kind */
	int wake;           /* a wait pass: the variant of the early returns;
	                       -1: not one */
	int failures;       /* checks that failed in this run */
	void *data;         /* the scenario's, for its on_fault hook */
};

struct fault_scenario {
	const char *name;
	void (*run)(struct fault_ctx *c, const void *param);
	const void *param;
	/* Called with the ctx by the call made to fail, if not NULL. */
	fault_hook_fn *on_fault;
};

/* The table, in fault_scenarios.c. */
extern const struct fault_scenario fault_scenarios[];
extern const size_t fault_nscenarios;

/* Reports a failed check of this run, on stderr. */
void fault_check_failed(struct fault_ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(c, cond)                                                      \
	((cond) ? true                                                      \
	        : (fault_check_failed((c), __LINE__, "%s", #cond), false))
#define CHECK_INT(c, what, got, want)                                       \
	fault_check_int((c), __LINE__, (what), (got), (want))
bool fault_check_int(struct fault_ctx *c, int line, const char *what,
                     long long got, long long want);

/* Whether a fault has fired in this run yet. */
bool fault_has_fired(void);

/* Taken before a public call: the failures so far (fault_failures). */
unsigned long fault_mark(void);

/* Whether a call made to fail has failed since the mark. */
bool fault_failed_since(unsigned long mark);

/* What a public call must return, given the mark taken before it: `ok`
 * (what it returns on success), or the errno of the fault that fired
 * during the call, unless the library absorbs that kind. */
int fault_want(unsigned long mark, int ok);

/* Whether the fault of this run hit this kind of call. */
bool fault_fired_kind(int kind);

#endif
