# SPDX-License-Identifier: MIT
# spin-lib.sh: what test/spin.sh and test/spin-chan.sh share, sourced by
# both after they set
#   model      the model's file under model/ (tomb.pml, chan.pml);
#   memlim     pan's memory bound in MB: past it the search stops,
#              reporting "Search not completed", rather than swap;
#   pan_opts   options of ./pan (a hash table's size, for instance).
# It skips the test (77) when spin is not installed or TOMB_SKIP_MODELS is
# 1, copies the model into a work directory (kept when a check fails), and
# defines verify, must_pass and must_fail.

if [ "${TOMB_SKIP_MODELS:-0}" = 1 ]; then
	# .ci/run's sanitizer builds: the model is the same in every build,
	# and checked in the others.
	echo "SKIP: TOMB_SKIP_MODELS=1"
	exit 77
fi
if ! command -v spin >/dev/null 2>&1; then
	echo "SKIP: spin is not installed (Debian: apt-get install spin)"
	exit 77
fi
src="${top_srcdir:-.}"
cc="${CC:-cc}"
work=$(mktemp -d)
keep=0
cleanup() { [ $keep -eq 1 ] || rm -rf "$work"; }
trap cleanup EXIT
cp "$src/model/$model" "$work/$model"
status=0
fail() { echo "FAIL: $*"; status=1; keep=1; }

# verify NAME [SPIN_OPTIONS]: generates, compiles and runs the verifier of
# the model in $work/NAME; pan's report lands in $work/NAME/pan.out (which
# is missing if the verifier could not be built).
#   -DSAFETY     safety only (assertions and invalid end states), no cycles;
#   -DCOLLAPSE   lossless compression of the stored states (about half the
#                memory); the search stays exhaustive (no bitstate, no hash
#                compaction);
#   -DMEMLIM     see memlim above;
#   -O0          pan.c's huge functions take longer to compile at -O2 than
#                the seconds it saves on the search.
verify() {
	name=$1
	shift
	mkdir "$work/$name"
	echo "$@" >"$work/$name/opts"
	(
		cd "$work/$name"
		spin "$@" -a "../$model" >spin.out 2>&1 || { cat spin.out; exit 1; }
		$cc -O0 -w -DSAFETY -DCOLLAPSE -DMEMLIM="$memlim" -o pan pan.c \
			>cc.out 2>&1 || { cat cc.out; exit 1; }
		# shellcheck disable=SC2086
		./pan $pan_opts -n >pan.tmp 2>&1
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
			"cp ../$model . && spin -t -p $(cat "$work/$name/opts") $model"
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
