#!/bin/sh
# SPDX-License-Identifier: MIT
#
# watchdog.sh SECONDS CKLOG COMMAND...: runs COMMAND (which may begin with
# VAR=value assignments) with Check's per-test log in CKLOG, and fails if it
# has not ended within SECONDS.  Then it says which test was running (the
# last test CKLOG names is the one before it), what each thread of the
# command's processes was blocked in (/proc: name, wchan, system call), and
# kills them.
#
# The suites under valgrind run in one process (CK_FORK=no), where Check
# times out no test: without this, a test that hangs there hangs CI until
# its own limit, and says nothing of where (CI of 2026-12-05 did that, in
# the io suite of helgrind or DRD).
set -u
limit=$1
cklog=$2
shift 2
rm -f "$cklog"
CK_LOG_FILE_NAME=$cklog
export CK_LOG_FILE_NAME
env "$@" &
pid=$!

# The process and its descendants (libtool's wrapper may fork).
tree() {
	echo "$1"
	for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tree "$child"
	done
}

waited=0
while kill -0 "$pid" 2>/dev/null; do
	if [ "$waited" -ge "$limit" ]; then
		echo "watchdog.sh: '$*' still runs after $limit s" >&2
		echo "watchdog.sh: the last lines of $cklog (the test after the" \
		     "last one named hangs):" >&2
		tail -n 3 "$cklog" >&2 2>/dev/null
		for p in $(tree "$pid"); do
			for task in /proc/"$p"/task/*; do
				echo "watchdog.sh: pid $p task ${task##*/}:" \
				     "$(cat "$task"/comm 2>/dev/null)" \
				     "wchan=$(cat "$task"/wchan 2>/dev/null)" \
				     "syscall=$(cut -d' ' -f1 "$task"/syscall 2>/dev/null)" >&2
			done
		done
		for p in $(tree "$pid"); do
			kill -9 "$p" 2>/dev/null
		done
		wait "$pid" 2>/dev/null
		exit 1
	fi
	sleep 1
	waited=$((waited + 1))
done
wait "$pid"
