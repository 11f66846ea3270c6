#!/bin/sh
# SPDX-License-Identifier: MIT
# The channel suite again, on the path for kernels without futex_waitv
# (and for valgrind): TOMB_FUTEX_WAITV=0 forces it (see lib/chan.c).
set -eu
TOMB_FUTEX_WAITV=0 CK_RUN_SUITE=chan exec "${top_builddir:-.}/test/check_tomb"
