#!/bin/sh
# SPDX-License-Identifier: MIT
# The condition-wait suite again, on the path for kernels without futex_waitv
# (and for valgrind, which does not know it): TOMB_FUTEX_WAITV=0 forces it.
set -eu
TOMB_FUTEX_WAITV=0 CK_RUN_SUITE=cond exec "${top_builddir:-.}/test/check_tomb"
