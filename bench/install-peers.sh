#!/bin/sh
# SPDX-License-Identifier: MIT
# install-peers.sh: install from Debian what the peer benchmarks need
# (bench/peers/build.sh builds them).  Only missing packages are
# installed, so a second run costs one dpkg-query per package.
# Run it as root, or with sudo available.
set -eu

# g++ for C++20 std::jthread; Go with the Debian-packaged sources of
# gopkg.in/tomb.v2 and golang.org/x/sync (built with GOPATH, no network);
# GLib for GCancellable and GThreadPool; gcc's OpenMP runtime, libgomp
# (omp.h comes with gcc); gnuplot for doc/benchmarks.md's plot.
packages="g++ golang-go golang-gopkg-tomb.v2-dev golang-golang-x-sync-dev
libglib2.0-dev gcc libgomp1 pkgconf gnuplot-nox"

missing=
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	     grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-peers: all installed"
	exit 0
fi

echo "install-peers: installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
# Update the package lists only when an install cannot find a package
# (a fresh container has none): one update, then one retry.
# shellcheck disable=SC2086
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	--no-install-recommends $missing; then
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing
fi
