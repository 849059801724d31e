/* check_suites.h - one constructor per test suite (see check_main.c). */
#ifndef CACHIFY_CHECK_SUITES_H
#define CACHIFY_CHECK_SUITES_H

#include <check.h>

Suite *resp_suite(void);
Suite *keymatch_suite(void);
Suite *config_suite(void);
Suite *security_suite(void);
Suite *store_suite(void);
Suite *lp_suite(void);
Suite *evict_suite(void);
Suite *dispatch_suite(void);
Suite *grant_suite(void);
Suite *server_suite(void);
Suite *compat_suite(void);
Suite *lock_suite(void);
Suite *shared_suite(void);
Suite *log_suite(void);
Suite *ops_suite(void);
Suite *acl_suite(void);
Suite *client_suite(void);
Suite *client_daemon_suite(void);
Suite *client_rw_suite(void);
Suite *client_everyday_suite(void);
Suite *async_suite(void);
Suite *async_daemon_suite(void);
Suite *cli_suite(void);
Suite *cli_wait_suite(void);
Suite *cli_parity_suite(void);
Suite *string_suite(void);
Suite *hash_suite(void);
Suite *diff_suite(void);
Suite *info_suite(void);
Suite *keys_suite(void);
Suite *zset_suite(void);
Suite *multi_suite(void);
Suite *list_suite(void);
Suite *block_suite(void);
Suite *conn_suite(void);
Suite *script_suite(void);
Suite *pubsub_suite(void);
Suite *snapshot_suite(void);

#endif /* CACHIFY_CHECK_SUITES_H */
