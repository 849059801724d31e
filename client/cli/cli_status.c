/* cli_status.c - `cachify locks` (alias `status`): who holds which lock or
 * pool slot, like lslocks. Keys come from SCAN ... TYPE lock / TYPE pool,
 * details from LOCK.INFO / POOL.INFO, all through cachify_client_call;
 * printed as a table or (--json) a JSON array.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SCAN_COUNT "1000" /* buckets per SCAN round trip */

struct row {
	char *key; /* borrowed from the key list */
	size_t klen;
	const char *type;          /* "lock" or "pool" */
	const cachify_reply *info; /* the holder's field/value pairs (borrowed) */
	long long size, max;       /* pools: slots in use, the max-size of the last taker */
	long long waiters;
};

struct keys {
	cachify_reply **scans; /* SCAN replies, kept: keys point into them */
	size_t nscans;
	const cachify_reply **key; /* distinct keys, with their type */
	const char **type;
	size_t n;
};

/* Every key of one type, each once (SCAN may repeat a key). 0 or an exit code. */
static int scan_type(struct cli *g, const char *type, struct keys *k)
{
	char cursor[32] = "0";

	do {
		const char *argv[] = {"SCAN", cursor, "COUNT", SCAN_COUNT, "TYPE", type};
		cachify_reply *r, **ns;
		const cachify_reply *list;
		int rc = cli_call(g, &r, 6, argv);

		if (rc != 0)
			return cli_fail(g, rc, "SCAN");
		if (r->type != CACHIFY_REPLY_ARRAY || r->elements != 2 || !r->element[0]->str ||
		    r->element[1]->type != CACHIFY_REPLY_ARRAY) {
			cli_warn(g, "SCAN: %s",
			         r->type == CACHIFY_REPLY_ERROR ? r->str : "unexpected reply");
			cachify_reply_free(r);
			return CLI_EXIT_FAIL;
		}
		ns = realloc(k->scans, (k->nscans + 1) * sizeof *ns);
		if (!ns) {
			cachify_reply_free(r);
			return cli_fail(g, CACHIFY_ENOMEM, "SCAN");
		}
		k->scans = ns;
		k->scans[k->nscans++] = r;
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		list = r->element[1];
		for (size_t i = 0; i < list->elements; i++) {
			const cachify_reply *key = list->element[i], **nk;
			const char **nt;
			bool seen = false;

			for (size_t j = 0; j < k->n && !seen; j++)
				seen = k->key[j]->len == key->len &&
				       memcmp(k->key[j]->str, key->str, key->len) == 0;
			if (seen || !key->str)
				continue;
			nk = realloc(k->key, (k->n + 1) * sizeof *nk);
			if (nk)
				k->key = nk;
			nt = nk ? realloc(k->type, (k->n + 1) * sizeof *nt) : NULL;
			if (!nt)
				return cli_fail(g, CACHIFY_ENOMEM, "SCAN");
			k->type = nt;
			k->key[k->n] = key;
			k->type[k->n++] = type;
		}
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return (cli_ifield(x->info, "fence") > cli_ifield(y->info, "fence")) -
	       (cli_ifield(x->info, "fence") < cli_ifield(y->info, "fence"));
}

/* A key or name for the table: printable ASCII kept, the rest \xHH. */
static void put_safe(struct cli_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f && c != '\\')
			cli_buf_add(b, &s[i], 1);
		else
			cli_buf_printf(b, "\\x%02x", c);
	}
}

static void print_table(const struct row *rows, size_t n)
{
	struct cli_buf b = {0};

	printf("%-32s %-9s %-20s %-6s %-7s %-6s %-16s %-10s %-10s %s\n", "KEY", "TYPE", "FENCE",
	       "CLIENT", "PID", "UID", "NAME", "HELD", "TTL", "WAITERS");
	for (size_t i = 0; i < n; i++) {
		const cachify_reply *name = cli_field(rows[i].info, "name");
		char held[32], ttl[32], type[48];

		b.len = 0;
		put_safe(&b, rows[i].key, rows[i].klen);
		cli_buf_add(&b, "", 1); /* keeps b.data non-NULL */
		cli_fmt_ms(held, sizeof held, cli_ifield(rows[i].info, "held-ms"));
		cli_fmt_ms(ttl, sizeof ttl, cli_ifield(rows[i].info, "ttl-ms"));
		if (strcmp(rows[i].type, "pool") == 0)
			snprintf(type, sizeof type, "pool %lld/%lld", rows[i].size, rows[i].max);
		else
			snprintf(type, sizeof type, "lock");
		printf("%-32s %-9s %-20lld %-6lld %-7lld %-6lld ", b.data, type,
		       cli_ifield(rows[i].info, "fence"), cli_ifield(rows[i].info, "client-id"),
		       cli_ifield(rows[i].info, "pid"), cli_ifield(rows[i].info, "uid"));
		b.len = 0;
		if (name && name->str && name->len)
			put_safe(&b, name->str, name->len);
		else
			cli_buf_add(&b, "-", 1);
		cli_buf_add(&b, "", 1);
		printf("%-16s %-10s %-10s %lld\n", b.data, held, ttl, rows[i].waiters);
	}
	cli_buf_free(&b);
}

static int print_json(const struct row *rows, size_t n)
{
	struct cli_buf b = {0};
	int rc = cli_buf_add(&b, "[", 1);

	for (size_t i = 0; i < n && rc == 0; i++) {
		const cachify_reply *r = rows[i].info, *name = cli_field(r, "name"),
		                    *id = cli_field(r, "id");
		long long ttl = cli_ifield(r, "ttl-ms");

		rc |= cli_buf_printf(&b, "%s{\"key\": ", i ? ",\n " : "\n ");
		rc |= cli_buf_json_str(&b, rows[i].key, rows[i].klen);
		rc |= cli_buf_printf(&b, ", \"type\": \"%s\"", rows[i].type);
		if (id && id->str) {
			rc |= cli_buf_printf(&b, ", \"slot\": ");
			rc |= cli_buf_json_str(&b, id->str, id->len);
			rc |= cli_buf_printf(&b, ", \"size\": %lld, \"max\": %lld", rows[i].size,
			                     rows[i].max);
		}
		rc |= cli_buf_printf(&b,
		                     ", \"fence\": %lld, \"client_id\": %lld, \"pid\": %lld, "
		                     "\"uid\": %lld, \"name\": ",
		                     cli_ifield(r, "fence"), cli_ifield(r, "client-id"), cli_ifield(r, "pid"),
		                     cli_ifield(r, "uid"));
		if (name && name->str && name->len)
			rc |= cli_buf_json_str(&b, name->str, name->len);
		else
			rc |= cli_buf_add(&b, "null", 4);
		rc |= cli_buf_printf(&b, ", \"held_ms\": %lld, \"ttl_ms\": ", cli_ifield(r, "held-ms"));
		rc |= ttl < 0 ? cli_buf_add(&b, "null", 4) : cli_buf_printf(&b, "%lld", ttl);
		rc |= cli_buf_printf(&b, ", \"session\": %s, \"waiters\": %lld}",
		                     cli_ifield(r, "session") == 1 ? "true" : "false", rows[i].waiters);
	}
	rc |= cli_buf_printf(&b, "%s]\n", n ? "\n" : "");
	if (rc == 0)
		rc = cli_write_all(1, b.data, b.len);
	cli_buf_free(&b);
	return rc == 0 ? 0 : CLI_EXIT_FAIL;
}

/* Adds the rows of one key (a lock: one; a pool: one per slot). A key gone
 * since SCAN adds nothing. infos keeps the replies rows point into. */
static int add_rows(struct cli *g, const cachify_reply *key, const char *type,
                    struct cli_buf *rowbuf, struct cli_buf *infos)
{
	bool pool = strcmp(type, "pool") == 0;
	const char *argv[] = {pool ? "POOL.INFO" : "LOCK.INFO", key->str};
	size_t lens[] = {strlen(argv[0]), key->len};
	struct row row = {.key = key->str, .klen = key->len, .type = type};
	const cachify_reply *slots;
	cachify_reply *r;
	int rc = cli_callv(g, &r, 2, argv, lens);

	if (rc != 0)
		return cli_fail(g, rc, argv[0]);
	if (r->type != CACHIFY_REPLY_ARRAY || cli_buf_add(infos, &r, sizeof r) != 0) {
		cachify_reply_free(r); /* gone, or turned into another type since SCAN */
		return 0;
	}
	row.waiters = cli_ifield(r, "waiters");
	if (!pool) {
		row.info = r;
		return cli_buf_add(rowbuf, &row, sizeof row) == 0 ? 0 : CLI_EXIT_FAIL;
	}
	row.size = cli_ifield(r, "size");
	row.max = cli_ifield(r, "max");
	slots = cli_field(r, "slots");
	for (size_t i = 0; slots && i < slots->elements; i++) {
		row.info = slots->element[i];
		if (cli_buf_add(rowbuf, &row, sizeof row) != 0)
			return CLI_EXIT_FAIL;
	}
	return 0;
}

int cli_cmd_locks(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	struct keys k = {0};
	struct cli_buf rows = {0}, infos = {0};
	bool json = false;
	size_t nrows;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		json = true;
	}
	if (optind < argc)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_connect(g)) != 0)
		return rc;
	rc = scan_type(g, "lock", &k);
	if (rc == 0)
		rc = scan_type(g, "pool", &k);
	for (size_t i = 0; rc == 0 && i < k.n; i++)
		rc = add_rows(g, k.key[i], k.type[i], &rows, &infos);
	if (rc == 0) {
		nrows = rows.len / sizeof(struct row);
		if (nrows)
			qsort(rows.data, nrows, sizeof(struct row), cmp_key);
		if (json)
			rc = print_json((const struct row *)rows.data, nrows);
		else
			print_table((const struct row *)rows.data, nrows);
	}
	for (size_t i = 0; i < infos.len / sizeof(cachify_reply *); i++)
		cachify_reply_free(((cachify_reply **)infos.data)[i]);
	for (size_t i = 0; i < k.nscans; i++)
		cachify_reply_free(k.scans[i]);
	free(k.scans);
	free(k.key);
	free(k.type);
	cli_buf_free(&rows);
	cli_buf_free(&infos);
	return rc;
}
