/* SPDX-License-Identifier: MIT */
/*
 * main.c: runs every suite; Check prints the summary line CI reads.
 *
 * TOMB_CHECK_JOBS=N (2 to 8) runs the suites in N processes at once, each
 * printing its own summary line; the run fails if any process failed.  For
 * the sanitizer builds on a machine with several CPUs (.ci/run), where a
 * test's fork costs a second or more, so that a suite's time goes with its
 * number of tests: the errors suite, with more tests than all the others
 * together (240 of 459), has a process of its own, and the other suites
 * are dealt to the other processes in turn.  The processes are forked
 * before any test has started a thread.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static Suite *(*const suites[])(void) = {
	make_state_suite,  make_kill_suite,     make_go_suite,
	make_wait_suite,   make_sleep_suite,    make_cond_suite,
	make_hook_suite,   make_fd_suite,       make_lifetime_suite,
	make_limit_suite,  make_report_suite,   make_tree_suite,
	make_signal_suite, make_pool_suite,     make_errors_suite,
	make_exit_suite,   make_race_suite,     make_chan_suite,
	make_io_suite,     make_deadline_suite, make_pool_waiter_suite,
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))
#define MAX_JOBS 8

/* The process, of jobs, that runs suite i. */
static long process_of(size_t i, long jobs)
{
	size_t k = 0; /* suites before i other than the errors suite */

	if (jobs <= 1)
		return 0;
	if (suites[i] == make_errors_suite)
		return 0;
	for (size_t j = 0; j < i; j++)
		if (suites[j] != make_errors_suite)
			k++;
	return 1 + (long)(k % (size_t)(jobs - 1));
}

/* Runs the suites of process `me` of `jobs`: EXIT_SUCCESS if every test
 * passed. */
static int run(long me, long jobs)
{
	SRunner *sr = NULL;
	int failed;

	for (size_t i = 0; i < NSUITES; i++) {
		if (process_of(i, jobs) != me)
			continue;
		if (sr == NULL)
			sr = srunner_create(suites[i]());
		else
			srunner_add_suite(sr, suites[i]());
	}
	if (sr == NULL)
		return EXIT_SUCCESS;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(void)
{
	const char *env = getenv("TOMB_CHECK_JOBS");
	long jobs = env != NULL ? strtol(env, NULL, 10) : 1;
	pid_t pid[MAX_JOBS];
	int status = EXIT_SUCCESS;

	if (jobs <= 1)
		return run(0, 1);
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	fflush(NULL); /* nothing buffered is written twice */
	for (long j = 0; j < jobs; j++) {
		pid[j] = fork();
		if (pid[j] < 0) {
			perror("check_tomb: fork");
			return EXIT_FAILURE;
		}
		if (pid[j] == 0)
			exit(run(j, jobs)); /* exit: leak checks run */
	}
	for (long j = 0; j < jobs; j++) {
		int st;

		while (waitpid(pid[j], &st, 0) < 0)
			continue; /* EINTR */
		if (!WIFEXITED(st) || WEXITSTATUS(st) != EXIT_SUCCESS)
			status = EXIT_FAILURE;
	}
	return status;
}
