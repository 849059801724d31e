/* check_security.c - security.c on its own: how the id lists and `user`
 * turn into uids and gids. Peers, sockets and the user switch are driven
 * through the real daemon in check_ops.c.
 *
 * The lists are set here without config_set(), which already refuses what
 * is not an id or a name: security.c must not rely on that to stay safe.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "config.h"
#include "security.h"

/* security_validate() on the defaults with one field replaced. */
static int validate_with(const char *name, const char *value, char *err)
{
	struct config c;
	char **field;
	int rc;

	config_defaults(&c);
	if (strcmp(name, "user") == 0)
		field = &c.user;
	else if (strcmp(name, "allow-uid") == 0)
		field = &c.allow_uid;
	else if (strcmp(name, "allow-gid") == 0)
		field = &c.allow_gid;
	else
		field = &c.admin_uid;
	free(*field);
	*field = strdup(value);
	ck_assert_ptr_nonnull(*field);
	err[0] = '\0';
	rc = security_validate(&c, err);
	config_free(&c);
	return rc;
}

/* strtoul() read "4294967296" as 2^32, which (uid_t) made 0: root. */
START_TEST(test_security_ids_beyond_uid_t_are_refused_not_wrapped)
{
	static const char *const cases[][2] = {
		{"user", "4294967296"},
		{"allow-uid", "4294967296"},
		{"allow-uid", "4294967295"}, /* (uid_t)-1: "no uid" */
		{"admin-uid", "99999999999999999999"},
		{"allow-gid", "4294967296"},
		{"allow-gid", "18446744073709551616"},
	};
	char err[CONFIG_ERR_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(validate_with(cases[i][0], cases[i][1], err) == -1,
			      "%s %s accepted", cases[i][0], cases[i][1]);
		ck_assert_msg(strstr(err, cases[i][0]) == err && strstr(err, cases[i][1]) != NULL,
			      "%s %s: %s", cases[i][0], cases[i][1], err);
	}
}
END_TEST

START_TEST(test_security_id_with_trailing_junk_is_not_an_id)
{
	char err[CONFIG_ERR_MAX];

	ck_assert_int_eq(validate_with("allow-uid", "1000abc", err), -1);
	ck_assert_str_eq(err, "allow-uid: no such user '1000abc'");
	ck_assert_int_eq(validate_with("allow-gid", "1000abc", err), -1);
	ck_assert_str_eq(err, "allow-gid: no such group '1000abc'");
	ck_assert_int_eq(validate_with("user", "0 ", err), -1);
	ck_assert_str_eq(err, "user: no such user '0 '");
}
END_TEST

START_TEST(test_security_decimal_ids_need_no_passwd_entry)
{
	char err[CONFIG_ERR_MAX];

	ck_assert_msg(validate_with("allow-uid", "0,4294967294,0001000", err) == 0, "%s", err);
	ck_assert_msg(validate_with("allow-gid", "socket,4294967294", err) == 0, "%s", err);
	ck_assert_msg(validate_with("user", "0", err) == 0, "%s", err);
}
END_TEST

Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("ids");

	tcase_add_test(tc, test_security_ids_beyond_uid_t_are_refused_not_wrapped);
	tcase_add_test(tc, test_security_id_with_trailing_junk_is_not_an_id);
	tcase_add_test(tc, test_security_decimal_ids_need_no_passwd_entry);
	suite_add_tcase(s, tc);
	return s;
}
