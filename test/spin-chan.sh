#!/bin/sh
# SPDX-License-Identifier: MIT
# The model of the channel protocol (model/chan.pml), checked with spin as
# test/spin.sh checks the tomb's: an exhaustive search of the real model
# must find no error and complete, and each mutant (see the model's
# comment) must be caught with the failure it breaks, so that the check
# cannot pass by checking nothing.  Skipped (77) when spin is not
# installed.
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
cp "$src/model/chan.pml" "$work/chan.pml"
status=0
fail() { echo "FAIL: $*"; status=1; keep=1; }

# verify NAME [SPIN_OPTIONS]: builds and runs the verifier in $work/NAME
# (safety only, compressed states, exhaustive; about 570 000 states and
# 150 MB for the real model).
verify() {
	name=$1
	shift
	mkdir "$work/$name"
	echo "$@" >"$work/$name/opts"
	(
		cd "$work/$name"
		spin "$@" -a ../chan.pml >spin.out 2>&1 || { cat spin.out; exit 1; }
		$cc -O0 -w -DSAFETY -DCOLLAPSE -DMEMLIM=1024 -o pan pan.c \
			>cc.out 2>&1 || { cat cc.out; exit 1; }
		./pan -n >pan.tmp 2>&1
		mv pan.tmp pan.out
	)
}

incomplete() {
	grep -q -i -e 'search not completed' -e 'max search depth too small' \
		-e 'MEMLIM bound' -e 'out of memory' "$1"
}

must_pass() {
	out="$work/$1/pan.out"
	if [ ! -f "$out" ]; then
		fail "$1: no report: the verifier could not be built or did not finish"
	elif ! grep -q 'errors: 0$' "$out" || grep -q 'errors: [1-9]' "$out"; then
		grep -E '^pan:[0-9]|errors:' "$out"
		fail "$1: spin found an error; replay it in $work/$1 with" \
			"cp ../chan.pml . && spin -t -p $(cat "$work/$1/opts") chan.pml"
	elif incomplete "$out"; then
		fail "$1: the search did not complete"
	else
		echo "PASS: $1: no error, search completed:" \
			"$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out") states"
	fi
}

must_fail() {
	out="$work/$1/pan.out"
	if [ ! -f "$out" ]; then
		fail "$1: no report: the verifier could not be built or did not finish"
	elif grep -q 'errors: [1-9]' "$out" && grep -q "^pan:1: $2" "$out"; then
		echo "PASS: $1 caught: $(grep '^pan:1:' "$out")"
	else
		grep -E '^pan:[0-9]|errors:' "$out" || true
		fail "$1: spin did not find the expected '$2'"
	fi
}

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
