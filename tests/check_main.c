/* check_main.c - the one Check runner: every module's suite, in order.
 *
 * Each tests/check_<module>.c exports one <module>_suite(). Set
 * CK_RUN_SUITE=<name> to run one suite, CK_FORK=no to debug in-process.
 */
#include <check.h>
#include <stdlib.h>

#include "check_suites.h"

int main(void)
{
	SRunner *sr = srunner_create(resp_suite());
	int failed;

	srunner_add_suite(sr, keymatch_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, security_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, lp_suite());
	srunner_add_suite(sr, evict_suite());
	srunner_add_suite(sr, dispatch_suite());
	srunner_add_suite(sr, grant_suite());
	srunner_add_suite(sr, server_suite());
	srunner_add_suite(sr, compat_suite());
	srunner_add_suite(sr, lock_suite());
	srunner_add_suite(sr, shared_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, ops_suite());
	srunner_add_suite(sr, acl_suite());
	srunner_add_suite(sr, client_suite());
	srunner_add_suite(sr, client_daemon_suite());
	srunner_add_suite(sr, client_rw_suite());
	srunner_add_suite(sr, client_everyday_suite());
	srunner_add_suite(sr, async_suite());
	srunner_add_suite(sr, async_daemon_suite());
	srunner_add_suite(sr, cli_suite());
	srunner_add_suite(sr, cli_wait_suite());
	srunner_add_suite(sr, cli_parity_suite());
	srunner_add_suite(sr, string_suite());
	srunner_add_suite(sr, hash_suite());
	srunner_add_suite(sr, diff_suite());
	srunner_add_suite(sr, info_suite());
	srunner_add_suite(sr, keys_suite());
	srunner_add_suite(sr, zset_suite());
	srunner_add_suite(sr, multi_suite());
	srunner_add_suite(sr, list_suite());
	srunner_add_suite(sr, block_suite());
	srunner_add_suite(sr, conn_suite());
	srunner_add_suite(sr, script_suite());
	srunner_add_suite(sr, pubsub_suite());
	srunner_add_suite(sr, snapshot_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
