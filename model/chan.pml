/* SPDX-License-Identifier: MIT */
/*
 * chan.pml: a Spin model of the channel protocol of lib/chan.c and
 * lib/chan_select.c (test/spin-chan.sh checks it in `make check`).
 *
 * What it models: two unbuffered channels c0 and c1, each a mutex, a
 * closed flag and two FIFO queues of entries (blocked operations); two
 * threads, each making one call that takes the tomb:
 *   SelA  tomb_chan_select {recv c0, recv c1}
 *   SelB  tomb_chan_select {send 2 on c1, send 1 on c0}  (the opposite
 *         order: its channels are still locked c0 first)
 * and a controller that does nothing, or kills the tomb, or closes c0 or
 * c1 and then kills (a close alone can leave a thread blocked for good, as
 * in Go; the kill then ends it).  A plain send or receive is a select of
 * one operation here, as it is the same protocol in chan.c; -DPLAIN adds
 * two such threads (S: tomb_chan_send 3 on c0, R: tomb_chan_recv from c0),
 * a search too large for `make check` (over 12 million states).  The
 * calls can always all complete without kill or close, so a thread left
 * blocked at the end is a lost wake-up or a deadlock: spin reports it as
 * an invalid end state.
 *
 * A waiter's word (W_* and W_ASLEEP, as in lib/chan.h) is claimed exactly
 * once by a compare-and-swap from W_WAITING: to W_CLAIMED by the thread
 * that completes one of its operations (which then writes the value and
 * the result under the channel's lock, unlocks, and exchanges the word to
 * W_DONE, waking the waiter only if W_ASLEEP was set), or to W_CANCELED
 * by the waiter itself once the tomb is dying.  The futexes are modelled
 * as the kernel keeps them: a futex wait sleeps (`sleeping`) only if the
 * word still holds the value given (futex_waitv: and the tomb is alive),
 * and only a wake ends the sleep: the claimer's (on the word) or the
 * kill's (one wake of every sleeper on the tomb's state word; its
 * `sleepers` count is model/tomb.pml's).  Deadlines end a wait as the
 * kill does, for one thread; the fallback path for kernels without
 * futex_waitv (a tomb_on_dying callback that makes the same
 * compare-and-swap) and spurious wake-ups are not modelled.
 *
 * Checked at the end (the checker process, once every thread returned):
 * each value was received exactly as many times as its send reported
 * success (0 or 1: never twice, never lost), and no entry is left queued.
 *
 * MUTANTS (spin -DMUTANT=n), each of which spin must catch:
 *   1  a select polls under the locks, unlocks, and queues its entries
 *      without looking again: a sender that came in between queues too,
 *      and both sleep: an invalid end state.
 *   2  a claimer tests the word and sets it in two steps instead of one
 *      compare-and-swap: a waiter is claimed twice (two senders, or a
 *      sender and its own cancel), and a value is lost or overwritten:
 *      the exactly-once assertion.
 *   3  the waiter sleeps on its word alone, not on the tomb's state: a
 *      kill does not wake it: an invalid end state.
 *   4  SelB locks its channels in the order of its operations, c1 then
 *      c0, not by address: it and SelA deadlock: an invalid end state.
 *   5  the waiter sleeps without setting W_ASLEEP: the claimer makes no
 *      wake, and the waiter sleeps on: an invalid end state.
 *   6  a claim drops W_ASLEEP (W_WAITING|W_ASLEEP -> W_CLAIMED): the same
 *      lost wake-up, from the claimer's side.
 */
#ifndef MUTANT
#define MUTANT 0
#endif

#define W_WAITING 0
#define W_CLAIMED 1
#define W_DONE 2
#define W_STATE 3
#define W_ASLEEP 4
#define W_CANCELED 3

#define OK 0
#define EPIPE 32
#define EAGAIN 11
#define ECANCELED 125

#define SEND 1
#define RECV 2

/* The threads: 0 SelA, 1 SelB, and with -DPLAIN 2 S and 3 R as well. */
#ifdef PLAIN
#define NW 4
#else
#define NW 2
#endif

/* Operation k of waiter w is opX[w * 2 + k]; entry ids are w * 2 + k + 1
 * (0: an empty queue slot). */
byte opchan[8], opdir[8], opval[8], nops[4];

byte word[4];   /* W_* and W_ASLEEP: the futex word of each waiter */
byte sleeping[4]; /* in the kernel: 1 on its word and the tomb's state
                   * (futex_waitv), 2 on its word alone; 0 awake */
byte chosen[4]; /* written by the claimer before W_DONE */
byte result[4]; /* likewise: OK or EPIPE */
byte rval[4];   /* the value a claimer gave a receive */
bool dying;      /* the tomb's DYING bit */

bool lk[2];      /* each channel's mutex */
bool closed[2];
/* The queues of entry ids: the receivers (RQ) and senders (SQ) of channel
 * c are q[qi * 4 + 2c] (the head) and q[qi * 4 + 2c + 1]. */
#define RQ 0
#define SQ 1
byte q[8];

/* Ghost counts for the exactly-once check. */
byte sent_ok[4], recv_n[4];
byte finished;

inline lock(c)
{
	atomic { !lk[c] -> lk[c] = true }
}

inline unlock(c)
{
	lk[c] = false
}

inline push(qi, c, e)
{
	if
	:: q[qi * 4 + 2 * c] == 0 -> q[qi * 4 + 2 * c] = e
	:: else -> assert(q[qi * 4 + 2 * c + 1] == 0); q[qi * 4 + 2 * c + 1] = e
	fi
}

/* Pops the head of q on channel c into e (0 if empty). */
inline pop(qi, c, e)
{
	e = q[qi * 4 + 2 * c];
	q[qi * 4 + 2 * c] = q[qi * 4 + 2 * c + 1];
	q[qi * 4 + 2 * c + 1] = 0
}

/* Takes e off q on channel c if it is still there. */
inline unqueue(qi, c, e)
{
	if
	:: q[qi * 4 + 2 * c] == e ->
	   q[qi * 4 + 2 * c] = q[qi * 4 + 2 * c + 1]; q[qi * 4 + 2 * c + 1] = 0
	:: q[qi * 4 + 2 * c + 1] == e -> q[qi * 4 + 2 * c + 1] = 0
	:: else -> skip
	fi
}

/* The claim: W_WAITING -> W_CLAIMED, once.  MUTANT 2 tests and sets in
 * two steps. */
inline claim(w, won)
{
#if MUTANT == 2
	if
	:: (word[w] & W_STATE) == W_WAITING ->
	   word[w] = W_CLAIMED | (word[w] & W_ASLEEP); won = true
	:: else -> won = false
	fi
#elif MUTANT == 6
	atomic {
		if
		:: (word[w] & W_STATE) == W_WAITING -> word[w] = W_CLAIMED; won = true
		:: else -> won = false
		fi
	}
#else
	atomic {
		if
		:: (word[w] & W_STATE) == W_WAITING ->
		   word[w] = W_CLAIMED | (word[w] & W_ASLEEP); won = true
		:: else -> won = false
		fi
	}
#endif
}

/* tomb__chan_wake: the exchange to W_DONE, then the futex wake, made
 * only if the waiter said it sleeps (W_ASLEEP); a wake reaches a thread
 * in the kernel on that word, either way it sleeps. */
inline wake_w(w, old)
{
	atomic { old = word[w]; word[w] = W_DONE };
	if
	:: old & W_ASLEEP -> sleeping[w] = 0
	:: else -> skip
	fi
}

/* With channel c locked: the first queued entry of q whose waiter this
 * thread claims, dropping the others (claim_first in chan.c); 0 if none. */
inline claim_first(qi, c, e, won)
{
	do
	:: pop(qi, c, e);
	   if
	   :: e == 0 -> break
	   :: else ->
	      claim((e - 1) / 2, won);
	      if
	      :: won -> break
	      :: else -> skip
	      fi
	   fi
	od
}

/* With c locked: op i (send of opval[i] or receive) of the calling
 * thread, if it can complete now: err OK, EPIPE or EAGAIN; got the value
 * received; wake the waiter the caller must make W_DONE after unlocking
 * (9: none). */
inline try_op(i, c, err, got, wake)
{
	wake = 9;
	if
	:: opdir[i] == SEND ->
	   if
	   :: closed[c] -> err = EPIPE
	   :: else ->
	      claim_first(RQ, c, e, won);
	      if
	      :: e != 0 ->
	         wake = (e - 1) / 2;
	         rval[wake] = opval[i];
	         chosen[wake] = (e - 1) % 2;
	         result[wake] = OK;
	         err = OK
	      :: else -> err = EAGAIN
	      fi
	   fi
	:: else ->
	   claim_first(SQ, c, e, won);
	   if
	   :: e != 0 ->
	      wake = (e - 1) / 2;
	      got = opval[e - 1];
	      chosen[wake] = (e - 1) % 2;
	      result[wake] = OK;
	      err = OK
	   :: else ->
	      if
	      :: closed[c] -> err = EPIPE
	      :: else -> err = EAGAIN
	      fi
	   fi
	fi
}

/* Locks or unlocks the channels of waiter me, by address (MUTANT 4: SelB
 * by the order of its operations). */
inline lock_mine(me)
{
	if
	:: nops[me] == 1 -> lock(opchan[me * 2])
#if MUTANT == 4
	:: nops[me] == 2 && me == 1 -> lock(1); lock(0)
	:: nops[me] == 2 && me != 1 -> lock(0); lock(1)
#else
	:: nops[me] == 2 -> lock(0); lock(1)
#endif
	fi
}

inline unlock_mine(me)
{
	if
	:: nops[me] == 1 -> unlock(opchan[me * 2])
	:: else -> unlock(0); unlock(1)
	fi
}

/* One thread's call: a select of nops[me] operations (one: a plain send
 * or receive, which chan.c does the same way). */
proctype Waiter(byte me)
{
	byte k, i, c, e, err, got, wake, first, x, old;
	bool won, done;

	if
	:: dying -> goto out /* ECANCELED at once */
	:: else -> skip
	fi;
	/* The poll order: either, at random. */
	if
	:: first = 0
	:: nops[me] == 2 -> first = 1
	fi;
	lock_mine(me);
	err = EAGAIN;
	k = 0;
	do
	:: k < nops[me] && err == EAGAIN ->
	   i = me * 2 + (first + k) % nops[me];
	   c = opchan[i];
	   try_op(i, c, err, got, wake);
	   if
	   :: err != EAGAIN -> chosen[me] = i - me * 2; result[me] = err
	   :: else -> skip
	   fi;
	   k++
	:: else -> break
	od;
	if
	:: err != EAGAIN ->
	   unlock_mine(me);
	   if
	   :: wake != 9 -> wake_w(wake, old)
	   :: else -> skip
	   fi;
	   done = true;
	   goto account
	:: else -> skip
	fi;
#if MUTANT == 1
	unlock_mine(me);
	lock_mine(me);
#endif
	/* Queue one entry per operation, then sleep. */
	k = 0;
	do
	:: k < nops[me] ->
	   i = me * 2 + k;
	   if
	   :: opdir[i] == SEND -> push(SQ, opchan[i], i + 1)
	   :: else -> push(RQ, opchan[i], i + 1)
	   fi;
	   k++
	:: else -> break
	od;
	unlock_mine(me);

	/* tomb__chan_sleep */
	do
	:: x = word[me];
	   if
	   :: (x & W_STATE) == W_DONE -> done = true; break
	   :: else -> skip
	   fi;
	   /* W_ASLEEP before each futex wait (MUTANT 5: never). */
	   won = true;
#if MUTANT != 5
	   if
	   :: (x & W_ASLEEP) == 0 ->
	      atomic {
	         if
	         :: word[me] == x -> x = x | W_ASLEEP; word[me] = x
	         :: else -> won = false
	         fi
	      }
	   :: else -> skip
	   fi;
#endif
	   if
	   :: !won -> skip /* the word changed: look again */
	   :: won && (x & W_STATE) == W_CLAIMED ->
	      /* futex_wait(word, x): sleeps only if the word is still x. */
	      atomic {
	         if
	         :: word[me] == x -> sleeping[me] = 2
	         :: else -> skip
	         fi
	      };
	      (sleeping[me] == 0)
	   :: won && (x & W_STATE) == W_WAITING && dying ->
	      atomic {
	         if
	         :: (word[me] & W_STATE) == W_WAITING -> word[me] = W_CANCELED; won = false
	         :: else -> skip
	         fi
	      };
	      if
	      :: !won -> done = false; break /* canceled */
	      :: else -> skip
	      fi
	   :: won && (x & W_STATE) == W_WAITING && !dying ->
	      /* futex_waitv(word == x, state == alive); MUTANT 3: the word
	       * alone, which the kill does not wake. */
	      atomic {
	         if
#if MUTANT == 3
	         :: word[me] == x -> sleeping[me] = 2
#else
	         :: word[me] == x && !dying -> sleeping[me] = 1
#endif
	         :: else -> skip
	         fi
	      };
	      (sleeping[me] == 0)
	   fi
	od;

	/* Off every queue it is still on. */
	lock_mine(me);
	k = 0;
	do
	:: k < nops[me] ->
	   i = me * 2 + k;
	   if
	   :: opdir[i] == SEND -> unqueue(SQ, opchan[i], i + 1)
	   :: else -> unqueue(RQ, opchan[i], i + 1)
	   fi;
	   k++
	:: else -> break
	od;
	unlock_mine(me);
	if
	:: done -> got = rval[me]
	:: else -> skip
	fi;

account:
	/* What the call reports: op chosen[me] happened with result[me]. */
	if
	:: done && result[me] == OK ->
	   i = me * 2 + chosen[me];
	   if
	   :: opdir[i] == SEND -> sent_ok[opval[i]]++
	   :: else -> assert(got != 0); recv_n[got]++
	   fi
	:: else -> skip
	fi;
out:
	finished++
}

/* tomb_chan_close(c) */
inline close_chan(c)
{
	lock(c);
	closed[c] = true;
	/* Claim every queued entry; at most four (two per queue). */
	claim_first(RQ, c, e2, w2);
	l1 = e2;
	claim_first(RQ, c, e2, w2);
	l2 = e2;
	claim_first(SQ, c, e2, w2);
	l3 = e2;
	claim_first(SQ, c, e2, w2);
	l4 = e2;
	if :: l1 != 0 -> chosen[(l1 - 1) / 2] = (l1 - 1) % 2; result[(l1 - 1) / 2] = EPIPE :: else -> skip fi;
	if :: l2 != 0 -> chosen[(l2 - 1) / 2] = (l2 - 1) % 2; result[(l2 - 1) / 2] = EPIPE :: else -> skip fi;
	if :: l3 != 0 -> chosen[(l3 - 1) / 2] = (l3 - 1) % 2; result[(l3 - 1) / 2] = EPIPE :: else -> skip fi;
	if :: l4 != 0 -> chosen[(l4 - 1) / 2] = (l4 - 1) % 2; result[(l4 - 1) / 2] = EPIPE :: else -> skip fi;
	unlock(c);
	if :: l1 != 0 -> wake_w((l1 - 1) / 2, old) :: else -> skip fi;
	if :: l2 != 0 -> wake_w((l2 - 1) / 2, old) :: else -> skip fi;
	if :: l3 != 0 -> wake_w((l3 - 1) / 2, old) :: else -> skip fi;
	if :: l4 != 0 -> wake_w((l4 - 1) / 2, old) :: else -> skip fi
}

/* The kill: DYING, then one wake of every sleeper on the state word
 * (tomb__after_kill; model/tomb.pml checks its `sleepers` count). */
inline kill()
{
	dying = true;
	atomic {
		k = 0;
		do
		:: k < 4 ->
		   if
		   :: sleeping[k] == 1 -> sleeping[k] = 0
		   :: else -> skip
		   fi;
		   k++
		:: else -> break
		od
	}
}

proctype Controller()
{
	byte e2, l1, l2, l3, l4, old, k;
	bool w2;

	if
	:: skip
	:: kill()
	:: close_chan(0); kill()
	:: close_chan(1); kill()
	fi;
	finished++
}

proctype Checker()
{
	byte v;

	finished == NW + 1;
	v = 1;
	do
	:: v < 4 ->
	   assert(recv_n[v] == sent_ok[v]);
	   assert(recv_n[v] <= 1);
	   v++
	:: else -> break
	od;
	v = 0;
	do
	:: v < 8 -> assert(q[v] == 0); v++
	:: else -> break
	od
}

init {
	/* SelA: recv c0, recv c1. */
	opchan[0] = 0; opdir[0] = RECV;
	opchan[1] = 1; opdir[1] = RECV;
	nops[0] = 2;
	/* SelB: send 2 on c1, send 1 on c0. */
	opchan[2] = 1; opdir[2] = SEND; opval[2] = 2;
	opchan[3] = 0; opdir[3] = SEND; opval[3] = 1;
	nops[1] = 2;
	/* S: send 3 on c0. */
	opchan[4] = 0; opdir[4] = SEND; opval[4] = 3;
	nops[2] = 1;
	/* R: recv from c0. */
	opchan[6] = 0; opdir[6] = RECV;
	nops[3] = 1;
	atomic {
		run Waiter(0);
		run Waiter(1);
#ifdef PLAIN
		run Waiter(2);
		run Waiter(3);
#endif
		run Controller();
		run Checker()
	}
}
