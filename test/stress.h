/* SPDX-License-Identifier: MIT */
/*
 * stress.h: the pieces the randomised stress program shares between its
 * files.  stress.c explains what the program does and how to run it.
 *
 *   stress.c        options, the random streams, failures, the drivers'
 *                   loop, the watchdog, and the end-of-run checks
 *   stress_gen.c    the shared tombs: slots, generations, what is checked
 *                   on them, and retiring them
 *   stress_work.c   the kinds of worker, and the dying callbacks
 *   stress_ops.c    the table of operations the drivers pick from
 */
#ifndef TOMB_STRESS_H
#define TOMB_STRESS_H

#include "proc.h"
#include "tomb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
	NSLOTS = 8,             /* shared tombs: a small forest, see stress_gen.c */
	MAX_DRIVERS = 32,
	HOOKS_PER_GEN = 4,      /* callback records per tomb */
	ATTEMPTS_CAP = 1024,    /* non-zero reasons remembered per tomb */
	GEN_WORKERS_CAP = 400,  /* workers a tomb starts before it is retired */
	LIVE_PER_TOMB_CAP = 12, /* no tomb_go while a tomb runs this many */
	LIVE_TOTAL_CAP = 96,    /* nor while the whole run does */
	BLOCK_MS_MAX = 8,       /* the longest a bounded wait of a worker lasts */
	/* Every non-zero reason is REASON_BASE plus a ticket (see below): far
	 * from the errno values the library itself might report. */
	REASON_BASE = 1000,
};

/* A random stream: xorshift64*, seeded through splitmix64 from the run's
 * seed and a stream number, so each driver has its own, reproducible one. */
struct rng {
	uint64_t s;
};
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
unsigned rng_below(struct rng *r, unsigned n); /* 0 .. n-1 */
bool rng_percent(struct rng *r, unsigned percent);

/*
 * Tickets order the kills: each non-zero reason is REASON_BASE + the ticket
 * taken just before it was given (by a kill, or a worker's return), and a
 * kill takes another ticket once it has returned.  If a kill with reason A
 * returned (ticket end_A) before reason B was even given (B - REASON_BASE >
 * end_A), B cannot be the reason in force: A came first.
 */
uint64_t ticket_take(void);
int reason_new(void);

/* Two pools every driver's tombs may share, made before the drivers start
 * and freed (tomb_pool_free joins their threads) after the last tomb. */
extern tomb_pool_t *stress_pools[2];

/* The run's seed, printed first and in every failure. */
extern uint64_t stress_seed;

/* Reports a broken invariant (the first few are printed, with the seed and
 * the thread's role) and stops the run, which then exits 1.  Returns, so
 * that the caller can back out; a run that then hangs is ended by the
 * watchdog. */
void stress_fail(const char *file, int line, const char *fmt, ...)
	TOMB_PRINTF(3, 4);
#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond))                                               \
			stress_fail(__FILE__, __LINE__,                    \
			            "(" #cond ") " __VA_ARGS__);           \
	} while (0)

/* What this thread is, for failure messages ("driver 3", "worker"...). */
extern _Thread_local const char *stress_who;

/* Whether the run should stop (budget spent, or a failure). */
extern atomic_bool stress_stop;

/* Whether fd is a descriptor that poll says is readable now. */
bool fd_readable(int fd);

/* Counters for the report at the end; relaxed atomics. */
struct stress_stats {
	_Atomic uint64_t workers_started, go_refused, resource_errors;
	_Atomic uint64_t generations, children, retires, freed_alive;
	_Atomic uint64_t kills, waits_dead, waits_timed_out;
	_Atomic uint64_t hooks_fired, hooks_at_once, cond_signals;
	_Atomic uint64_t found_alive, found_dying, found_dead; /* slot_enter */
	_Atomic uint64_t live_workers; /* running now, for LIVE_TOTAL_CAP */
};
extern struct stress_stats stats;
#define STAT_ADD(field, n) \
	atomic_fetch_add_explicit(&stats.field, (n), memory_order_relaxed)

/* The kinds of worker (stress_work.c). */
enum worker_kind {
	WK_ZERO,     /* returns 0 */
	WK_REASON,   /* returns a new reason */
	WK_EDYING,   /* tomb_wait_dying, then TOMB_EDYING */
	WK_SLEEP,    /* tomb_sleep */
	WK_COND,     /* tomb_cond_wait on its tomb's condition variable */
	WK_POLL,     /* poll on tomb_dying_fd and tomb_dead_fd */
	WK_SPIN,     /* spins on tomb_dying, yielding */
	WK_KILL,     /* kills its own tomb with a new reason */
	WK_SELFWAIT, /* waits for its own tomb and its ancestors: EDEADLK */
	WK_GO,       /* starts one more worker (of another kind) on its tomb */
	WK_COUNT
};

struct gen;

/* A worker the test started (or tried to), in its tomb's list for ever. */
struct worker_rec {
	struct worker_rec *next; /* the generation's list; push only */
	struct gen *g;
	int kind;      /* enum worker_kind */
	int ms;        /* how long it may block: -1 for until dying */
	bool flag;     /* the kind's variant (TOMB_EDYING or 0, killf, ...) */
	uint64_t seed; /* WK_GO: the stream of the worker it starts */
	_Atomic int go_err; /* tomb_go's result; GO_PENDING until it returned */
	atomic_bool ran;      /* its function started */
	atomic_bool returned; /* its function is about to return */
	struct exit_probe probe; /* its thread has exited */
};
#define GO_PENDING (-1)

/* A callback record: one of a tomb's tomb_on_dying hooks, owned by
 * whichever thread moves `state` from FREE or ARMED to BUSY. */
enum { HR_FREE, HR_BUSY, HR_ARMED };
struct hook_rec {
	_Atomic int state;
	tomb_hook_t hook;
	struct gen *g;
	bool kill;       /* the callback kills its tomb too, with a new reason */
	bool killf;      /* ... through tomb_killf */
	_Atomic unsigned fires; /* times the callback ran, ever */
	unsigned expected;      /* runs tomb_off has accounted for (BUSY owner's) */
};

/*
 * A generation: one tomb and everything the test knows about it.  A slot
 * holds one generation at a time; a driver's private child is one too.
 * The fields above `started` are fixed before anyone else sees it.
 */
struct gen {
	tomb_t *t;
	char name[24];      /* "s3.g17", or "d2c.g40" for driver 2's child */
	unsigned long long id;
	int slot;           /* -1 for a private child */
	struct gen *parent; /* the parent tomb's generation, or NULL */
	int lifetime;
	int limit;          /* the limit it was made with; 0: none, ever */
	bool pooled;        /* its workers run on a pool */
	tomb_pool_t *own_pool; /* a pool made for it alone, freed after it */
	int dying_fd, dead_fd; /* asked for when it was made, or -1 */
	pthread_mutex_t cmu;   /* WK_COND's mutex (error-checking) */
	tomb_cond_t cond;

	_Atomic uint64_t started;   /* tomb_go calls made on it, ever */
	_Atomic int max_limit;      /* the highest limit it has had */
	atomic_bool seen_dying;     /* somebody saw it dying */
	atomic_bool seen_dead;      /* somebody saw it dead */
	atomic_bool retire_claimed; /* a driver will retire it */
	_Atomic int seen_reason;    /* the first non-zero reason seen, or 0 */
	_Atomic unsigned nattempts; /* non-zero reasons given, ever */
	_Atomic int attempts[ATTEMPTS_CAP];
	_Atomic uint64_t min_end;   /* the first ticket a kill with a non-zero
	                             * reason returned at (UINT64_MAX: none) */
	_Atomic(struct worker_rec *) workers;
	struct hook_rec hooks[HOOKS_PER_GEN];
};

/* A driver: a thread that runs random operations. */
struct driver {
	int id;
	pthread_t th;
	struct rng rng;
	char who[24];
	_Atomic uint64_t ops;        /* operations finished (the watchdog's pulse) */
	_Atomic(const char *) op;    /* the operation running now */
	_Atomic int op_slot;         /* its slot, or -1 */
	_Atomic(struct gen *) child; /* its private child, while one exists */
	atomic_bool active;          /* the watchdog watches it */
	int retire_slot;             /* a slot it claimed to retire, or -1 */
	uint64_t *counts;            /* per operation, summed at the end */
};

/* stress_gen.c */
struct slot {
	pthread_rwlock_t lock;  /* shared to use the generation, exclusive to
	                         * replace it (and those of the slot's subtree) */
	int parent;             /* the parent slot (a lower index), or -1 */
	_Atomic(struct gen *) gen; /* NULL when it could not be made */
};
extern struct slot slots[NSLOTS];
extern FILE *stress_devnull;

void slots_init(struct rng *r);
/* Picks a slot at random and takes its shared lock: its generation, or
 * NULL (nothing taken) if it has none. */
struct gen *slot_enter(struct driver *d, int *s);
/* Releases slot s; claims g for retirement if it is dead or used up. */
void slot_leave(struct driver *d, int s, struct gen *g);
/* Kills slot s's generation, waits for it and its subtree, checks them,
 * frees them, and (if recreate) makes new ones. */
void slot_retire(struct driver *d, int s, bool recreate);

/* A new generation named prefix.g<id>; NULL if the parent is dead. */
struct gen *gen_new(struct rng *r, int slot, struct gen *parent,
                    const char *prefix);
void gen_attempt(struct gen *g, int reason); /* a non-zero reason is given */
void gen_kill_returned(struct gen *g);       /* a kill with it returned */
/* Checks what anyone may check at any time. */
void gen_observe(struct gen *g);
/* Checks what a wait that returned 0 with `reason` implies. */
void gen_saw_dead(struct gen *g, int reason);
/* Kills g with a random reason (TOMB_EDYING too if edying) and checks. */
void gen_kill(struct gen *g, struct rng *r, bool edying);
/* For the sole owner of a dead g and its dead subtree: checks everything,
 * unregisters its callbacks and frees it; false (g leaked) on failure. */
bool gen_finish(struct gen *g, int reason);
/* Frees what the test keeps about g, once its tomb is freed. */
void gen_discard(struct gen *g);
void gen_dump(struct gen *g, FILE *f);

/* stress_work.c */
extern const char *const worker_kind_names[WK_COUNT];
enum { HOW_GO, HOW_GO_NAMED, HOW_TRYGO };
/* Starts a worker of a random kind on g; the go's result, or -1 if the
 * caps said no. */
int worker_start(struct gen *g, struct rng *r, int how, bool from_worker);
/* Registers one of g's free hook records: the record, or NULL if the one
 * picked was taken. */
struct hook_rec *hook_register(struct gen *g, struct rng *r);
bool hook_unregister(struct gen *g, struct rng *r);
/* For g's sole owner: unregisters every armed hook (each must have run if
 * g is dead) and checks every record's count of runs. */
void hooks_finish(struct gen *g, bool dead);

/* stress_ops.c */
struct op {
	const char *name;
	unsigned weight;
	void (*run)(struct driver *d);
};
extern const struct op stress_ops[];
extern const size_t stress_nops;

#endif
