#!/bin/sh
# SPDX-License-Identifier: MIT
# The model of the tomb's state machine (model/tomb.pml), checked with spin:
# an exhaustive search of the real model must find no error and complete;
# each mutant that breaks a hand-shake must be caught, with the failure it
# breaks (so that the check cannot pass by checking nothing); and MUTANT=6,
# a harmless reordering, must pass (so that the futexes are not modelled
# more loosely than the kernel's).  Skipped (77) when spin is not installed.
set -eu
src="${top_srcdir:-.}"
cc="${CC:-cc}"

if ! command -v spin >/dev/null 2>&1; then
	echo "SKIP: spin is not installed (Debian: apt-get install spin)"
	exit 77
fi

work=$(mktemp -d)
keep=0
cleanup() { [ $keep -eq 1 ] || rm -rf "$work"; }
trap cleanup EXIT
cp "$src/model/tomb.pml" "$work/tomb.pml"
status=0
fail() { echo "FAIL: $*"; status=1; keep=1; }

# verify NAME [SPIN_OPTIONS]: generates, compiles and runs the verifier of
# the model in $work/NAME; pan's report lands in $work/NAME/pan.out (which
# is missing if the verifier could not be built).
#   -DSAFETY     safety only (assertions and invalid end states), no cycles;
#   -DCOLLAPSE   lossless compression of the stored states (about half the
#                memory); the search stays exhaustive (no bitstate, no hash
#                compaction);
#   -DMEMLIM     stop, reporting "Search not completed", past 2 GB rather
#                than swap (the real model needs about 560 MB, MUTANT=6
#                about 580 MB);
#   -O0          pan.c's huge functions take longer to compile at -O2 than
#                the ~2 s it saves on the search;
#   -w23         a hash table of 2^23 slots (64 MB) for the ~13 million
#                states (chains resolve the conflicts; the search stays
#                exhaustive).
verify() {
	name=$1
	shift
	mkdir "$work/$name"
	echo "$@" >"$work/$name/opts"
	(
		cd "$work/$name"
		spin "$@" -a ../tomb.pml >spin.out 2>&1 || { cat spin.out; exit 1; }
		# shellcheck disable=SC2086
		$cc -O0 -w -DSAFETY -DCOLLAPSE -DMEMLIM=2048 -o pan pan.c \
			>cc.out 2>&1 || { cat cc.out; exit 1; }
		./pan -w23 -n >pan.tmp 2>&1
		mv pan.tmp pan.out
	)
}

# Whether pan's report says the search ran to its end (an error stops it
# too; a depth or memory limit makes it incomplete).
incomplete() {
	grep -q -i -e 'search not completed' -e 'max search depth too small' \
		-e 'MEMLIM bound' -e 'out of memory' "$1"
}

# summary FILE: the numbers spin printed.
summary() {
	stored=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1")
	trans=$(sed -n 's/^ *\([0-9.e+]*\) transitions.*/\1/p' "$1")
	depth=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$1")
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$1")
	mem=$(sed -n 's/^ *\([0-9.]*\)[[:space:]]*total actual memory usage.*/\1/p' "$1")
	echo "$stored states, $trans transitions, depth $depth, ${mem} MB, ${secs} s"
}

# must_pass NAME: judges the report of a finished `verify NAME`.
must_pass() {
	name=$1
	out="$work/$name/pan.out"
	if [ ! -f "$out" ]; then
		fail "$name: no report: the verifier could not be built (see above) or did not finish"
	elif ! grep -q 'errors: 0$' "$out" || grep -q 'errors: [1-9]' "$out"; then
		grep -E '^pan:[0-9]|errors:' "$out"
		fail "$name: spin found an error; replay it in $work/$name with" \
			"cp ../tomb.pml . && spin -t -p $(cat "$work/$name/opts") tomb.pml"
	elif incomplete "$out"; then
		grep -i -E 'not completed|too small|MEMLIM' "$out"
		fail "$name: the search did not complete"
	else
		echo "PASS: $name: no error, search completed: $(summary "$out")"
	fi
}

# must_fail NAME WHAT: the search of a finished `verify NAME` must have
# stopped at an error whose message starts with WHAT.
must_fail() {
	name=$1
	what=$2
	out="$work/$name/pan.out"
	if [ ! -f "$out" ]; then
		fail "$name: no report: the verifier could not be built (see above) or did not finish"
	elif grep -q 'errors: [1-9]' "$out" && grep -q "^pan:1: $what" "$out"; then
		echo "PASS: $name caught: $(grep '^pan:1:' "$out") after" \
			"$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$out") states"
	else
		grep -E '^pan:[0-9]|errors:' "$out" || true
		fail "$name: spin did not find the expected '$what'"
	fi
}

# The two exhaustive searches run in the background, on the second core,
# while the mutants (which stop at their first error) run here.
verify model &
model_pid=$!
verify mutant6 -DMUTANT=6 &
mutant6_pid=$!
for n in 1 2 3 4 5 7 8 9 10 11 12 13 14; do
	verify mutant$n -DMUTANT=$n || true
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
must_pass mutant6
[ $keep -eq 0 ] || echo "the verifiers and their reports are kept in $work"
exit $status
