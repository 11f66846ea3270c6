#!/bin/sh
# SPDX-License-Identifier: MIT
# The model of the tomb's state machine (model/tomb.pml), checked with spin:
# an exhaustive search of the real model must find no error and complete;
# each mutant that breaks a hand-shake must be caught, with the failure it
# breaks (so that the check cannot pass by checking nothing); and MUTANT=6,
# a harmless reordering, must pass (so that the futexes are not modelled
# more loosely than the kernel's).  Skipped (77) when spin is not installed.
set -eu
# The real model needs about 1040 MB (MUTANT=6 a little more); -w23 gives
# pan a hash table of 2^23 slots (64 MB) for the ~18 million states (chains
# resolve the conflicts; the search stays exhaustive).
model=tomb.pml
memlim=2048
pan_opts=-w23
. "${top_srcdir:-.}/test/spin-lib.sh"

# The two exhaustive searches run in the background, on the second core,
# while the mutants (which stop at their first error) run here.
verify model &
model_pid=$!
verify mutant6 -DMUTANT=6 &
mutant6_pid=$!
for n in 1 2 3 4 5 7 8 9 10 11 12 15 16 17; do
	verify mutant$n -DMUTANT=$n || true
done
# The errgroup lifetime's mutants search that lifetime alone (1,
# LT_ERRGROUP): the first lifetime's 4 million states come first otherwise.
for n in 13 14; do
	verify mutant$n -DMUTANT=$n -DLIFETIME_ONLY=1 || true
done
wait $model_pid || true
wait $mutant6_pid || true

must_pass model
must_fail mutant1 'invalid end state'
must_fail mutant2 'invalid end state'
must_fail mutant3 'invalid end state'
must_fail mutant4 'assertion violated (r==first)'
must_fail mutant5 'invalid end state'
must_fail mutant7 'assertion violated  !(freed)'
must_fail mutant8 'assertion violated (((started'
must_fail mutant9 'assertion violated (((started'
must_fail mutant10 'assertion violated ((((cl&'
must_fail mutant11 'assertion violated (refs'
must_fail mutant12 'assertion violated (err!=14)'
must_fail mutant13 'assertion violated (((lifetime'
must_fail mutant14 'invalid end state'
must_fail mutant15 'assertion violated fd_sig'
must_fail mutant16 'assertion violated fd_sig'
must_fail mutant17 'assertion violated fd_sig'
must_pass mutant6
[ $keep -eq 0 ] || echo "the verifiers and their reports are kept in $work"
exit $status
