#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/scale.sh: the kill of many workers (issue 21, item 6): N = 30,000
# blocked workers at 16 KiB stacks, on threads of their own (tomb) and
# through a pool (tomb-pool), against the raw pthread baseline (joined
# threads) and the park baseline (pthread-park) at the same N, with the
# peak RSS each run added.  `make bench-scale` runs it from the build
# directory; `make bench BENCH_SMOKE=1` runs it at N = 1000, once, only to
# show that it works.
#
#   scale.sh BINDIR OUT.json
#
# BENCH_SCALE_N sets N (30000), BENCH_RUNS the runs per median (3).  Each
# run is a process of its own (`bench-c IMPL scale N 1`), the impls in
# turns: a second run in one process would reuse the stacks glibc cached.
# First it prints the limits of this machine that a thread count meets,
# and what N needs of each; an impl whose needs pass a limit is skipped.
set -euo pipefail

bindir=${1:?usage: scale.sh BINDIR OUT.json}
out=${2:?usage: scale.sh BINDIR OUT.json}
n=${BENCH_SCALE_N:-30000}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	runs=1
else
	runs=${BENCH_RUNS:-3}
fi
impls="pthread pthread-park tomb tomb-pool"
raw=$(mktemp)
trap 'rm -f "$raw" "$raw.med"' EXIT

# The limits.  Every thread is a task with a pid of its own (pid_max,
# counted over the whole machine, and threads-max), counted against
# RLIMIT_NPROC (ulimit -u; root is exempt); every thread stack is two
# mappings, the stack and its guard page (vm.max_map_count, per process).
# RLIMIT_STACK (ulimit -s) is the default stack of a thread that sets
# none; these all set 16 KiB.
read_limit() { cat "/proc/sys/$1" 2>/dev/null || echo unknown; }
pid_max=$(read_limit kernel/pid_max)
threads_max=$(read_limit kernel/threads-max)
map_max=$(read_limit vm/max_map_count)
nproc_lim=$(ulimit -u)
stack_lim=$(ulimit -s)
tasks=$(awk '{ split($4, f, "/"); print f[2] }' /proc/loadavg)
# One process's needs: N workers and a few threads of the library's own
# (the timer, the signal watcher: 4 is a bound); 2 mappings per thread
# and 300 for the program, its libraries and malloc's arenas (2,030
# mappings with 1,000 parked threads, measured here).
need_threads=$((n + 4))
need_maps=$((2 * n + 300))

limits_line() { # name limit need note
	local verdict=ok
	if [ "$2" = unknown ] || [ "$2" = unlimited ]; then
		verdict="no limit read"
	elif [ "$3" -gt "$2" ]; then
		verdict="BINDS: N is too many"
	elif [ $(($3 * 10)) -gt $(($2 * 8)) ]; then
		verdict="close: over 80% used"
	fi
	printf '  %-34s %10s  needs %8s  %s\n' "$1" "$2" "$3" "$verdict${4:+ ($4)}"
}
echo "bench-scale: N = $n, $runs run(s) of each; the limits of this machine:" >&2
{
	limits_line "kernel.pid_max (whole machine)" "$pid_max" \
		$((need_threads + tasks)) "$tasks tasks running now"
	limits_line "kernel.threads-max" "$threads_max" $((need_threads + tasks))
	if [ "$(id -u)" -eq 0 ]; then
		limits_line "ulimit -u (RLIMIT_NPROC)" "$nproc_lim" "$need_threads" \
			"root is exempt"
	else
		limits_line "ulimit -u (RLIMIT_NPROC)" "$nproc_lim" "$need_threads"
	fi
	limits_line "vm.max_map_count (per process)" "$map_max" "$need_maps"
	printf '  %-34s %10s  (KiB; the default stack, unused: 16 KiB set)\n' \
		"ulimit -s (RLIMIT_STACK)" "$stack_lim"
} >&2

fits=1
if [ "$pid_max" != unknown ] && [ $((need_threads + tasks)) -gt "$pid_max" ]; then fits=0; fi
if [ "$map_max" != unknown ] && [ "$need_maps" -gt "$map_max" ]; then fits=0; fi
if [ ! -x "$bindir/bench-c" ]; then
	echo "bench-scale: $bindir/bench-c was not built" >&2
	exit 1
fi
if [ $fits -eq 0 ]; then
	echo "skip scale: N = $n passes a limit above" | tee -a "$raw" >&2
else
	for _ in $(seq "$runs"); do
		for i in $impls; do
			"$bindir/bench-c" "$i" scale "$n" 1 >>"$raw" ||
				echo "skip scale $i bench-c failed (exit $?)" >>"$raw"
		done
	done
fi

# Medians, one record per (metric, impl, n), as run.sh writes them.
awk '
	$1 == "skip" { next }
	NF == 4 { key = $1 " " $2 " " $3; v[key] = v[key] " " $4 }
	END {
		for (k in v) {
			c = split(substr(v[k], 2), a, " ")
			for (i = 2; i <= c; i++)
				for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			print k, c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2, c
		}
	}' "$raw" | sort -k1,1 -k2,2 >"$raw.med"
awk 'BEGIN { printf "[" }
	{
		unit = ($1 == "scale-rss") ? "bytes" : "ns"
		printf "%s\n  {\"metric\": \"%s\", \"impl\": \"%s\", \"n\": %d, \"median_ns\": %s, \"runs\": %d, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, unit
	}
	END { print "\n]" }' "$raw.med" >"$out"

echo
printf '%-13s %12s %14s %16s\n' impl "kill (ms)" "peak RSS (MiB)" "RSS per worker"
awk -v impls="$impls" -v n="$n" '
	{ m[$1, $2] = $4 }
	END {
		k = split(impls, im, " ")
		for (i = 1; i <= k; i++) {
			if (!(("scale-kill", im[i]) in m)) {
				printf "%-13s %12s\n", im[i], "-"
				continue
			}
			printf "%-13s %12.1f %14.1f %14.0f B\n", im[i],
				m["scale-kill", im[i]] / 1e6,
				m["scale-rss", im[i]] / 1048576,
				m["scale-rss", im[i]] / n
		}
		print ""
		print "ratios of medians (no target):"
		split("tomb pthread tomb-pool pthread tomb-pool pthread-park tomb-pool tomb", p, " ")
		for (i = 1; i < 8; i += 2) {
			a = "scale-kill" SUBSEP p[i]; b = "scale-kill" SUBSEP p[i + 1]
			if ((a in m) && (b in m) && m[b] > 0)
				printf "  kill n=%d: %-12s / %-12s %6.2f\n", n, p[i], p[i + 1], m[a] / m[b]
		}
	}' "$raw.med"
echo
grep '^skip' "$raw" | sort -u | sed 's/^/  /' || true
echo "bench-scale: wrote $out"
