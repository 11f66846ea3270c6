#!/bin/sh
# SPDX-License-Identifier: MIT
# The stress test (test/stress.c), short: STRESS_SECONDS (default 4) with
# futex_waitv, then as long again on the fallback path of tomb_cond_wait
# (TOMB_FUTEX_WAITV=0).  STRESS_SEED replays a seed a failure printed.
set -eu
stress="${top_builddir:-.}/test/stress"
secs="${STRESS_SECONDS:-4}"
seed=
[ -z "${STRESS_SEED:-}" ] || seed="--seed $STRESS_SEED"
# shellcheck disable=SC2086 # split on purpose
"$stress" --seconds "$secs" $seed
# shellcheck disable=SC2086
TOMB_FUTEX_WAITV=0 "$stress" --seconds "$secs" $seed
