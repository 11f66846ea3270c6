#!/bin/sh
# SPDX-License-Identifier: MIT
# The model of the channel protocol (model/chan.pml), checked with spin as
# test/spin.sh checks the tomb's: an exhaustive search of the real model
# must find no error and complete, and each mutant (see the model's
# comment) must be caught with the failure it breaks, so that the check
# cannot pass by checking nothing.  Skipped (77) when spin is not
# installed.
set -eu
# About 570 000 states and 150 MB for the real model.
model=chan.pml
memlim=1024
pan_opts=
. "${top_srcdir:-.}/test/spin-lib.sh"

verify model &
model_pid=$!
for n in 1 2 3 4 5 6; do
	verify mutant$n -DMUTANT=$n || true
done
wait $model_pid || true

must_pass model
must_fail mutant1 'invalid end state'
must_fail mutant2 'assertion violated (recv_n'
must_fail mutant3 'invalid end state'
must_fail mutant4 'invalid end state'
must_fail mutant5 'invalid end state'
must_fail mutant6 'invalid end state'
[ $keep -eq 0 ] || echo "the verifiers and their reports are kept in $work"
exit $status
