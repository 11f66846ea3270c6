/* SPDX-License-Identifier: MIT */
/* main.c: runs every suite; Check prints the summary line CI reads. */
#include "helpers.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(make_state_suite());
	int failed;

	srunner_add_suite(sr, make_kill_suite());
	srunner_add_suite(sr, make_go_suite());
	srunner_add_suite(sr, make_wait_suite());
	srunner_add_suite(sr, make_sleep_suite());
	srunner_add_suite(sr, make_cond_suite());
	srunner_add_suite(sr, make_hook_suite());
	srunner_add_suite(sr, make_fd_suite());
	srunner_add_suite(sr, make_lifetime_suite());
	srunner_add_suite(sr, make_limit_suite());
	srunner_add_suite(sr, make_report_suite());
	srunner_add_suite(sr, make_tree_suite());
	srunner_add_suite(sr, make_signal_suite());
	srunner_add_suite(sr, make_pool_suite());
	srunner_add_suite(sr, make_errors_suite());
	srunner_add_suite(sr, make_exit_suite());
	srunner_add_suite(sr, make_race_suite());
	srunner_add_suite(sr, make_chan_suite());
	srunner_add_suite(sr, make_io_suite());
	srunner_add_suite(sr, make_deadline_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
