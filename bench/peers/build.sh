#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build.sh OUTDIR: build every peer benchmark this machine can build into
# OUTDIR (bench-jthread, bench-gcancellable, bench-gthreadpool, bench-openmp
# for openmp and openmp-passive, bench-go for go-tomb and go-errgroup).  A peer whose compiler or library is missing is reported
# on stdout as "skip IMPL: reason", its old binary removed, and the build
# goes on; bench/install-peers.sh installs them all from Debian.  A peer
# whose tools are present but whose source does not compile is a bug:
# that fails the build (exit 1) after trying the others.
#
# CC, CXX, CFLAGS and CXXFLAGS are honoured; BENCH_GOPATH (default
# /usr/share/gocode, where Debian's golang-*-dev packages put their
# sources) is where Go looks for tomb.v2 and errgroup, without network.
set -u
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
CC=${CC:-cc}
CXX=${CXX:-g++}
CFLAGS=${CFLAGS:--O2}
CXXFLAGS=${CXXFLAGS:--O2}
warn="-Wall -Wextra"
status=0
probe=$(mktemp -d) || exit 2
trap 'rm -rf "$probe"' EXIT

# skip IMPL... REASON: report, and remove a stale binary ($bin).
skip() {
	reason=$1
	shift
	for impl in "$@"; do
		echo "skip $impl: $reason"
	done
	rm -f "$bin"
}

# fresh BIN SRC...: true when BIN is newer than every SRC and this
# script: nothing to do, not even the probes.
fresh() {
	target=$1
	shift
	[ -e "$target" ] || return 1
	for f in "$@" "$src/build.sh"; do
		[ "$target" -nt "$f" ] || return 1
	done
}

# built IMPL STATUS: a compile failure with the tools present is a bug.
built() {
	if [ "$2" -ne 0 ]; then
		echo "build.sh: $1 failed to compile (see above)" >&2
		rm -f "$bin"
		status=1
	fi
}

# jthread: C++20 with std::jthread and std::stop_callback (GCC 10 and up).
bin=$out/bench-jthread
if fresh "$bin" "$src/jthread.cc" "$src/peer.h"; then
	:
elif ! command -v "$CXX" >/dev/null 2>&1; then
	skip "no C++ compiler ($CXX)" jthread
elif ! printf '%s\n' '#include <stop_token>' '#include <thread>' \
	'int main() { std::jthread t([](std::stop_token s) {' \
	'std::stop_callback c(s, [] {}); }); }' >"$probe/j.cc" ||
     ! "$CXX" -std=c++20 -pthread -o "$probe/j" "$probe/j.cc" 2>/dev/null; then
	skip "$CXX cannot build C++20 std::jthread" jthread
else
	# shellcheck disable=SC2086
	"$CXX" -std=c++20 $CXXFLAGS $warn -pthread -o "$bin" "$src/jthread.cc"
	built jthread $?
fi

# gcancellable: GIO (GCancellable) through pkg-config.
bin=$out/bench-gcancellable
if fresh "$bin" "$src/gcancellable.c" "$src/peer.h"; then
	:
elif ! command -v "$CC" >/dev/null 2>&1; then
	skip "no C compiler ($CC)" gcancellable
elif ! pkg-config --exists gio-2.0 2>/dev/null; then
	skip "pkg-config finds no gio-2.0 (libglib2.0-dev)" gcancellable
else
	# shellcheck disable=SC2086,SC2046
	"$CC" -std=gnu11 $CFLAGS $warn -pthread \
		$(pkg-config --cflags gio-2.0) -o "$bin" "$src/gcancellable.c" \
		$(pkg-config --libs gio-2.0)
	built gcancellable $?
fi

# gthreadpool: GLib's GThreadPool, stopped through GIO's GCancellable.
bin=$out/bench-gthreadpool
if fresh "$bin" "$src/gthreadpool.c" "$src/peer.h"; then
	:
elif ! command -v "$CC" >/dev/null 2>&1; then
	skip "no C compiler ($CC)" gthreadpool
elif ! pkg-config --exists gio-2.0 2>/dev/null; then
	skip "pkg-config finds no gio-2.0 (libglib2.0-dev)" gthreadpool
else
	# shellcheck disable=SC2086,SC2046
	"$CC" -std=gnu11 $CFLAGS $warn -pthread \
		$(pkg-config --cflags gio-2.0) -o "$bin" "$src/gthreadpool.c" \
		$(pkg-config --libs gio-2.0)
	built gthreadpool $?
fi

# openmp and openmp-passive: OpenMP 4.0 tasks and cancellation, through
# the compiler's -fopenmp (gcc's libgomp).
bin=$out/bench-openmp
if fresh "$bin" "$src/openmp.c" "$src/peer.h"; then
	:
elif ! command -v "$CC" >/dev/null 2>&1; then
	skip "no C compiler ($CC)" openmp openmp-passive
elif ! printf '%s\n' '#include <omp.h>' \
	'int main(void) { int c = omp_get_cancellation();' \
	'#pragma omp taskgroup' '{' '#pragma omp task' '{' \
	'#pragma omp cancel taskgroup' '}' '}' 'return c; }' >"$probe/o.c" ||
     ! "$CC" -fopenmp -o "$probe/o" "$probe/o.c" 2>/dev/null; then
	skip "$CC -fopenmp cannot build OpenMP 4.0 tasks (gcc's libgomp)" \
		openmp openmp-passive
else
	# shellcheck disable=SC2086
	"$CC" -std=gnu11 $CFLAGS $warn -fopenmp -pthread -o "$bin" \
		"$src/openmp.c"
	built openmp $?
fi

# go-tomb and go-errgroup: one Go program, GOPATH mode, no modules, no
# network; its build cache lives in OUTDIR.
bin=$out/bench-go
gopath=${BENCH_GOPATH:-/usr/share/gocode}
goenv=(GO111MODULE=off "GOPATH=$gopath" GOFLAGS= GOPROXY=off
	"GOCACHE=$out/.gocache")
if fresh "$bin" "$src/go/main.go"; then
	:
elif ! command -v go >/dev/null 2>&1; then
	skip "no go command (golang-go)" go-tomb go-errgroup
elif ! env "${goenv[@]}" go list gopkg.in/tomb.v2 >/dev/null 2>&1; then
	skip "gopkg.in/tomb.v2 not in $gopath (golang-gopkg-tomb.v2-dev)" \
		go-tomb go-errgroup
elif ! env "${goenv[@]}" go list golang.org/x/sync/errgroup >/dev/null 2>&1; then
	skip "errgroup not in $gopath (golang-golang-x-sync-dev)" \
		go-tomb go-errgroup
else
	(cd "$src/go" && env "${goenv[@]}" go build -o "$bin" .)
	built go $?
fi
exit $status
