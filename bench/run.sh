#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh: runs every benchmark program for every impl, metric and size,
# prints a table of medians and the issue's target ratios, and writes every
# median to bench-results.json.  `make bench` runs it from the build
# directory; BENCH_SMOKE=1 makes a quick run (small sizes, 1 run each) that
# only shows nothing has rotted.
#
#   run.sh BINDIR OUT.json
#
# BINDIR holds bench-c (tomb, tomb-pool, pthread, pthread-park) and, where
# they could be built, the peers (bench-jthread, bench-gcancellable,
# bench-gthreadpool, bench-openmp, bench-go).  Each is run as
# `PROG IMPL METRIC N RUNS` and prints "METRIC IMPL N VALUE" per run or
# "skip METRIC IMPL reason" (bench/README.md).  In smoke mode it also runs
# scale.sh at N = 1000 (`make bench-scale` is its full run).
set -euo pipefail

bindir=${1:?usage: run.sh BINDIR OUT.json}
out=${2:?usage: run.sh BINDIR OUT.json}
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	runs=1 spawn_ns="1 100" kill_ns="1 10" mem_n=100 small_per_turn=1
else
	runs=${BENCH_RUNS:-7} spawn_ns="1 100 1000" kill_ns="1 10 100 1000"
	mem_n=10000
	# The spawns and kills of 1 and 10 workers last tens of
	# microseconds, and one of them varies by 2 to 3 times between
	# turns on this shared machine: each turn takes this many of them
	# (one process, after its warm-up), so that their medians rest on
	# 5 x $runs samples.
	small_per_turn=${BENCH_SMALL_PER_TURN:-5}
fi
# Deadlines (issue 22): the sizes of deadline-late, and the pending count
# of deadline-set's large case.
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	deadline_ns="1 10" deadline_set_n=100
else
	deadline_ns="1 1000" deadline_set_n=10000
fi

# impl -> the program that measures it.  tomb-posix is bench-c's tomb
# against the library built with the portable backend (issue 20; `make
# bench` builds it in BINDIR/posix, Makefile.am); as_impl gives the impl
# name such a program knows it by.
declare -A prog=(
	[tomb]=bench-c [tomb-pool]=bench-c [pthread]=bench-c
	[pthread-park]=bench-c
	[jthread]=bench-jthread [gcancellable]=bench-gcancellable
	[gthreadpool]=bench-gthreadpool
	[openmp]=bench-openmp [openmp-passive]=bench-openmp
	[go-tomb]=bench-go [go-errgroup]=bench-go
	[tomb-posix]=posix/build/bench/bench-c
)
declare -A as_impl=([tomb-posix]=tomb)
# The table's columns; the impls that measure poll, hook and mem-rss; those
# that start workers (spawn); those whose kill the targets compare, in
# turns (issue 21: the park baseline and every thread-based peer).
impls="pthread pthread-park tomb tomb-pool tomb-posix jthread gthreadpool openmp
openmp-passive gcancellable go-tomb go-errgroup"
flag_impls="pthread tomb tomb-pool tomb-posix jthread go-tomb go-errgroup
gcancellable"
spawn_impls="pthread tomb tomb-pool tomb-posix jthread gthreadpool openmp
openmp-passive gcancellable go-tomb go-errgroup"
kill_impls="pthread pthread-park jthread gthreadpool openmp openmp-passive
gcancellable tomb/kill-cond tomb-pool/kill-cond tomb-posix/kill-cond"

# Runs one measurement, $runs runs by default; its lines go to $raw.
measure() { # impl metric n [runs]
	local p=$bindir/${prog[$1]}
	local line
	if [ ! -x "$p" ]; then
		echo "skip $2 $1 ${prog[$1]} was not built" >>"$raw"
		return
	fi
	local status=0
	if [ -n "${as_impl[$1]:-}" ]; then
		# Its lines under this impl's name ("skip METRIC IMPL ..." too).
		"$p" "${as_impl[$1]}" "$2" "$3" "${4:-$runs}" |
			awk -v i="$1" '{ if ($1 == "skip") $3 = i; else $2 = i; print }' \
			>>"$raw" || status=$?
	elif [ "$2" = poll ] && [ "${prog[$1]}" != bench-c ]; then
		# Below a nanosecond: the peers count picoseconds, and the
		# record keeps ns with decimals, as bench-c prints them.
		BENCH_LOOP_SCALE=1000 "$p" "$1" "$2" "$3" "${4:-$runs}" |
			awk '$1 == "skip" { print; next } { $4 = sprintf("%.3f", $4 / 1000); print }' \
			>>"$raw" || status=$?
	else
		"$p" "$1" "$2" "$3" "${4:-$runs}" >>"$raw" || status=$?
	fi
	[ $status -eq 0 ] ||
		echo "skip $2 $1 $(basename "$p") failed (exit $status)" >>"$raw"
}

# Shows the median so far of (impl, metric, n), or its skip.
show() { # impl metric n
	awk -v i="$1" -v m="$2" -v n="$3" '
		$1 == "skip" && $2 == m && $3 == i { s = "skip"; next }
		$1 == m && $2 == i && $3 == n { a[++k] = $4 + 0 }
		END {
			if (k == 0) { printf "  %-12s %-13s n=%-6s %s\n", i, m, n, s; exit }
			for (x = 2; x <= k; x++)
				for (y = x; y > 1 && a[y - 1] > a[y]; y--) {
					t = a[y]; a[y] = a[y - 1]; a[y - 1] = t
				}
			printf "  %-12s %-13s n=%-6s %s\n", i, m, n, k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}' "$raw" >&2
}

# The impls compared in a ratio are measured in turns, one run each per
# turn (each turn a new process, after its own warm-up), so that a slow
# minute of this shared machine falls on all of them, not on one.
# An impl given as IMPL/METRIC is measured on that metric instead.
# Spawns and kills of at most 10 workers take $small_per_turn samples
# a turn.
rounds() { # metric n impl...
	local m=$1 n=$2 r i per=1
	shift 2
	case $m in
	spawn | kill | kill-read) [ "$n" -gt 10 ] || per=$small_per_turn ;;
	esac
	for r in $(seq "$runs"); do
		for i in "$@"; do
			case $i in
			*/*) measure "${i%/*}" "${i#*/}" "$n" "$per" ;;
			*) measure "$i" "$m" "$n" "$per" ;;
			esac
		done
	done
	for i in "$@"; do
		case $i in
		*/*) show "${i%/*}" "${i#*/}" "$n" ;;
		*) show "$i" "$m" "$n" ;;
		esac
	done
}

echo "bench: $runs run(s) of each; medians below" >&2
rounds poll 1 $flag_impls
for n in $spawn_ns; do
	rounds spawn "$n" $spawn_impls
done
for n in $kill_ns; do
	# The ratios' impls in turns; the other ways and Go after them.
	rounds kill "$n" $kill_impls
	for i in go-tomb go-errgroup; do
		measure "$i" kill "$n"; show "$i" kill "$n"
	done
	for m in kill-sleep kill-poll-fd; do
		for i in tomb tomb-pool; do measure "$i" "$m" "$n"; show "$i" "$m" "$n"; done
	done
	# OpenMP's own way to see a cancel is a polled cancellation point.
	for i in tomb tomb-pool openmp openmp-passive; do
		measure "$i" kill-spin "$n"; show "$i" kill-spin "$n"
	done
done
# Issue 17: a kill reaching workers blocked in tomb_read, in turns with
# kill-cond (its target's denominator), and tomb_read's cost on ready data
# in turns with a bare read(2) plus one poll(2) (impl pthread).
for n in $kill_ns; do
	rounds kill-read "$n" tomb/kill-cond tomb/kill-read
done
rounds read 1 pthread tomb
for i in $flag_impls; do measure "$i" hook 1; show "$i" hook 1; done
for i in pthread tomb tomb-pool; do measure "$i" mem "$mem_n"; show "$i" mem "$mem_n"; done
for i in $flag_impls; do measure "$i" mem-rss "$mem_n"; show "$i" mem-rss "$mem_n"; done
# Deadlines (issue 22): the timer against clock_nanosleep, in turns.
for n in $deadline_ns; do
	rounds deadline-late "$n" pthread tomb
done
for n in 1 "$deadline_set_n"; do
	measure tomb deadline-set "$n"; show tomb deadline-set "$n"
done

# Channels (issue 18): tomb channels against the hand-made baselines in
# bench.c (pthread: a mutex and two condition variables; a futex
# ping-pong), and chan-kill against kill-cond.
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	chan_values=10000 chan_trips=1000 chan_kill_ns="1 10"
else
	chan_values=1000000 chan_trips=100000 chan_kill_ns="1 100 1000"
fi
rounds chan-stream "$chan_values" pthread tomb tomb-posix
rounds chan-pingpong "$chan_trips" pthread tomb tomb-posix
for n in $chan_kill_ns; do
	rounds chan-kill "$n" tomb/kill-cond tomb/chan-kill
done

# Medians: one record per (metric, impl, n).
awk '
	$1 == "skip" { next }
	NF == 4 { key = $1 " " $2 " " $3; v[key] = v[key] " " $4; c[key]++ }
	END {
		for (k in v) {
			n = split(substr(v[k], 2), a, " ")
			for (i = 2; i <= n; i++)        # insertion sort, n is small
				for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			print k, med, n
		}
	}' "$raw" | sort -k1,1 -k3,3n -k2,2 >"$raw.med"

# bench-results.json: metric, impl, n, median_ns (bytes for mem, mem-rss),
# runs, and the unit.
awk 'BEGIN { printf "[" }
	{
		unit = ($1 ~ /^mem/) ? "bytes" : "ns"
		printf "%s\n  {\"metric\": \"%s\", \"impl\": \"%s\", \"n\": %d, \"median_ns\": %s, \"runs\": %d, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, unit
	}
	END { print "\n]" }' "$raw.med" >"$out"

# The table: one row per metric and n, one column per impl.
echo
printf '%-13s %6s' metric n
for i in $impls; do printf ' %14s' "$i"; done
echo
awk -v impls="$impls" '
	{ key = $1 " " $3; m[key, $2] = $4; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
	END {
		ni = split(impls, im, " ")
		for (r = 1; r <= k; r++) {
			split(order[r], f, " ")
			printf "%-13s %6s", f[1], f[2]
			for (i = 1; i <= ni; i++)
				printf " %14s", ((order[r], im[i]) in m) ? m[order[r], im[i]] : "-"
			printf "\n"
		}
	}' "$raw.med"

# The issues' targets, as ratios of medians from this run.
echo
echo "targets (ratio of medians; target in brackets):"
awk -v big="$deadline_set_n" '
	{ m[$1 " " $2 " " $3] = $4 }
	function ratio(label, a, b, target,   r) {
		if (!(a in m) || !(b in m) || m[b] == 0) {
			printf "  %-52s  n/a\n", label
			return
		}
		r = m[a] / m[b]
		printf "  %-52s %6.2f  [<= %s] %s\n", label, r, target, r <= target ? "met" : "NOT MET"
	}
	# Of two keys, the one with the smaller median (issue 21: the faster
	# Go peer, the faster OpenMP wait policy); b if a was not measured.
	function faster(a, b) {
		if (!(a in m))
			return b
		return (b in m) && m[b] < m[a] ? b : a
	}
	function impl_of(k,   f) {
		split(k, f, " ")
		return f[2]
	}
	END {
		ratio("poll: tomb / pthread", "poll tomb 1", "poll pthread 1", 1.5)
		for (n = 1; n <= 1000; n = (n == 1 ? 100 : n * 10)) {
			ratio("spawn n=" n ": tomb / pthread", "spawn tomb " n, "spawn pthread " n, 1.10)
			ratio("spawn n=" n ": tomb-pool / pthread", "spawn tomb-pool " n, "spawn pthread " n, 0.25)
		}
		for (n = 1; n <= 1000; n *= 10) {
			ratio("kill n=" n ": tomb kill-cond / pthread", "kill-cond tomb " n, "kill pthread " n, 1.25)
			ratio("kill n=" n ": tomb kill-cond / jthread", "kill-cond tomb " n, "kill jthread " n, 1.0)
		}
		ratio("kill n=1000: tomb-pool / tomb (kill-cond)", "kill-cond tomb-pool 1000", "kill-cond tomb 1000", 0.5)
		# The portable backend (issue 20): within 2 x the raw baseline.
		for (n = 1; n <= 1000; n = (n == 1 ? 100 : n * 10))
			ratio("spawn n=" n ": tomb-posix / pthread", "spawn tomb-posix " n, "spawn pthread " n, 2)
		for (n = 1; n <= 1000; n *= 10)
			ratio("kill n=" n ": tomb-posix kill-cond / pthread", "kill-cond tomb-posix " n, "kill pthread " n, 2)
		# Issue 21: the pool against Go, GThreadPool and OpenMP tasks
		# when starting short workers; against the park baseline and
		# every thread-based peer when killing blocked ones.
		for (n = 1; n <= 1000; n = (n == 1 ? 100 : n * 10)) {
			g = faster("spawn go-tomb " n, "spawn go-errgroup " n)
			ratio("spawn n=" n ": tomb-pool / faster Go (" impl_of(g) ")", "spawn tomb-pool " n, g, n == 1000 ? 1.0 : 2.0)
		}
		for (n = 100; n <= 1000; n *= 10) {
			ratio("spawn n=" n ": tomb-pool / gthreadpool", "spawn tomb-pool " n, "spawn gthreadpool " n, 1.0)
			o = faster("spawn openmp " n, "spawn openmp-passive " n)
			ratio("spawn n=" n ": tomb-pool / " impl_of(o), "spawn tomb-pool " n, o, 1.0)
		}
		for (n = 1; n <= 1000; n *= 10) {
			if (n != 10)
				ratio("kill n=" n ": tomb-pool kill-cond / pthread-park", "kill-cond tomb-pool " n, "kill pthread-park " n, n == 1 ? 1.25 : 1.0)
			ratio("kill n=" n ": tomb-pool kill-cond / jthread", "kill-cond tomb-pool " n, "kill jthread " n, 1.0)
			ratio("kill n=" n ": tomb-pool kill-cond / gthreadpool", "kill-cond tomb-pool " n, "kill gthreadpool " n, 1.0)
			o = faster("kill openmp " n, "kill openmp-passive " n)
			ratio("kill n=" n ": tomb-pool kill-cond / " impl_of(o), "kill-cond tomb-pool " n, o, 1.0)
			ratio("kill n=" n ": tomb-pool kill-cond / gcancellable", "kill-cond tomb-pool " n, "kill gcancellable " n, 1.0)
		}
		for (k in m) {
			split(k, f, " ")
			if (f[1] == "chan-stream" && f[2] == "tomb")
				ratio("chan-stream: tomb / mutex+cond queue", k, "chan-stream pthread " f[3], 1.0)
			if (f[1] == "chan-pingpong" && f[2] == "tomb")
				ratio("chan-pingpong: tomb / futex", k, "chan-pingpong pthread " f[3], 1.25)
			if (f[1] ~ /^chan-(stream|pingpong)$/ && f[2] == "tomb-posix")
				ratio(f[1] ": tomb-posix / pthread", k, f[1] " pthread " f[3], 2)
			if (f[1] == "chan-kill" && f[2] == "tomb")
				ratio("chan-kill n=" f[3] ": tomb / kill-cond", k, "kill-cond tomb " f[3], 1.25)
		}
		# Issue 17.
		for (n = 1; n <= 1000; n *= 10)
			ratio("kill-read n=" n ": tomb / tomb kill-cond", "kill-read tomb " n, "kill-cond tomb " n, 1.25)
		ratio("read: tomb_read / read+poll", "read tomb 1", "read pthread 1", 1.5)
		# Deadlines (issue 22).
		for (k in m) {
			split(k, f, " ")
			if (f[1] == "deadline-late" && f[2] == "tomb")
				ratio("deadline-late n=" f[3] ": tomb / pthread", k, "deadline-late pthread " f[3], 2)
		}
		ratio("deadline-set: n=" big " / n=1", "deadline-set tomb " big, "deadline-set tomb 1", 2)
		for (k in m) {
			split(k, f, " ")
			if (f[1] == "mem" && f[2] == "tomb")
				printf "  %-52s %6d  [<= 256 bytes] %s\n", "mem: bookkeeping bytes per tomb worker", m[k], m[k] <= 256 ? "met" : "NOT MET"
		}
	}' "$raw.med"
echo
grep '^skip' "$raw" | sort -u | sed 's/^/  /' || true
rm -f "$raw.med"
echo "bench: wrote $out"
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	# Scale (issue 21): its own target, `make bench-scale`; here only
	# 1000 workers, to show that it still runs.
	echo
	BENCH_SCALE_N=1000 bash "$(dirname "$0")/scale.sh" "$bindir" "$raw.scale"
	rm -f "$raw.scale"
fi
