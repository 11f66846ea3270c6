#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/plot.sh: plots kill latency against the number of blocked workers,
# one line per implementation and way of blocking, from bench-results.json
# (as run.sh writes it: one record per line).  Needs gnuplot (gnuplot-nox).
#
#   plot.sh bench-results.json OUT.png
set -eu
in=${1:?usage: plot.sh bench-results.json OUT.png}
out=${2:?usage: plot.sh bench-results.json OUT.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# One data file per series: "n median_us", sorted by n.
awk -v dir="$dir" '
	/"metric": "kill/ {
		match($0, /"metric": "[^"]*"/); m = substr($0, RSTART + 11, RLENGTH - 12)
		match($0, /"impl": "[^"]*"/);   i = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"n": [0-9]+/);       n = substr($0, RSTART + 5, RLENGTH - 5)
		match($0, /"median_ns": [0-9.]+/); v = substr($0, RSTART + 13, RLENGTH - 13)
		series = (m == "kill") ? i : i " " substr(m, 6)
		file = dir "/" series
		print n, v / 1000 >> file
		if (!(series in seen)) { seen[series] = 1; print series >> (dir "/.list") }
	}' "$in"
[ -s "$dir/.list" ] || { echo "plot.sh: no kill records in $in" >&2; exit 1; }

{
	echo "set terminal pngcairo size 900,600 font ',10'"
	echo "set output '$out'"
	echo "set title 'Time from the kill to the wait returning, N workers blocked (median)'"
	echo "set xlabel 'blocked workers (N)'"
	echo "set ylabel 'microseconds'"
	echo "set logscale xy"
	echo "set key top left"
	echo "set grid"
	printf "plot"
	sep=
	while IFS= read -r s; do
		sort -n "$dir/$s" >"$dir/$s.sorted"
		printf "%s '%s' using 1:2 with linespoints title '%s'" "$sep" "$dir/$s.sorted" "$s"
		sep=", \\
    "
	done <"$dir/.list"
	echo
} >"$dir/plot.gp"
gnuplot "$dir/plot.gp"
echo "plot.sh: wrote $out"
