/* main.c - cachifyd's command line: find the configuration, apply the
 * overrides, test it (-t/-T) or run the server in the foreground.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "persist.h"
#include "server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cachifyd [-c FILE | FILE] [-s SOCKET] [--directive value ...]\n"
		"                [--ignore-snapshot] [-t] [-T] [-v...] [-V] [-h]\n"
		"\n"
		"  -c FILE, FILE   configuration file (redis.conf syntax); none by default\n"
		"  -s SOCKET       listen on this Unix socket (same as --unixsocket)\n"
		"  --NAME VALUE    set any directive of cachifyd.conf, after the file\n"
		"  --ignore-snapshot  start empty: move the snapshot file aside (never\n"
		"                  deleted) instead of loading it\n"
		"  -t              test the configuration and exit (0 valid, 1 not;\n"
		"                  also checks that dir is writable)\n"
		"  -T              test it and print the effective configuration\n"
		"  -v              more logging: -v verbose, -vv debug\n"
		"  -V              print the version and exit\n"
		"  -h              this help\n"
		"\n"
		"Example: cachifyd /etc/cachifyd/cachifyd.conf -s /run/cachifyd/cachifyd.sock\n");
}

static void print_directive(void *ctx, const char *name, const char *value)
{
	(void)ctx;
	printf("%s \"%s\"\n", name, value);
}

int main(int argc, char **argv)
{
	char err[CONFIG_ERR_MAX];
	const char *file = NULL;
	int test = 0, verbose = 0;
	int rc;

	/* glibc keeps freed small chunks in fastbins and merges them all on
	 * the next large allocation: after a mass expiry or FLUSHALL that one
	 * malloc took 15-38 ms (measured). Without fastbins frees coalesce as
	 * they happen and no single call pays for all of them. */
	mallopt(M_MXFAST, 0);

	server.overrides = calloc((size_t)argc * 2 + 4, sizeof *server.overrides);
	if (!server.overrides) {
		fprintf(stderr, "cachifyd: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("cachifyd %s\n", CACHIFY_VERSION);
			return 0;
		} else if (strcmp(a, "--ignore-snapshot") == 0) {
			server.ignore_snapshot = true;
		} else if (strcmp(a, "-t") == 0) {
			test = test ? test : 1;
		} else if (strcmp(a, "-T") == 0) {
			test = 2;
		} else if (a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			verbose += (int)strlen(a + 1);
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "-s") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cachifyd: %s needs an argument\n", a);
				usage(stderr);
				return 2;
			}
			if (a[1] == 'c') {
				file = argv[++i];
			} else {
				server.overrides[server.noverrides++] = "unixsocket";
				server.overrides[server.noverrides++] = argv[++i];
			}
		} else if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
			if (i + 1 >= argc) {
				fprintf(stderr, "cachifyd: %s needs a value\n", a);
				return 2;
			}
			server.overrides[server.noverrides++] = argv[i] + 2;
			server.overrides[server.noverrides++] = argv[++i];
		} else if (a[0] != '-' && !file) {
			file = a;
		} else {
			fprintf(stderr, "cachifyd: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (verbose) {
		server.overrides[server.noverrides++] = "loglevel";
		server.overrides[server.noverrides++] = verbose > 1 ? "debug" : "verbose";
	}
	if (file && !(server.config_file = strdup(file))) {
		fprintf(stderr, "cachifyd: out of memory\n");
		return 1;
	}

	if (server_load_config(&server.cfg, err) != 0) {
		fprintf(stderr, "cachifyd: %s\n", err);
		rc = 1;
		goto out;
	}
	if (test && persist_check_dir(&server.cfg, true, err) != 0) {
		fprintf(stderr, "cachifyd: %s\n", err);
		rc = 1;
		goto out;
	}
	if (test) {
		if (test == 2)
			config_get(&server.cfg, "*", print_directive, NULL);
		fprintf(stderr, "cachifyd: configuration %s is valid\n",
			file ? file : "(defaults)");
		rc = 0;
		goto out;
	}
	if (log_open(server.cfg.loglevel, server.cfg.logfile, err, sizeof err) != 0) {
		fprintf(stderr, "cachifyd: %s\n", err);
		rc = 1;
		goto out;
	}
	log_set_format(server.cfg.log_format);
	rc = server_init() == 0 ? server_run() : 1;
out:
	server_free();
	log_close();
	free(server.overrides);
	return rc;
}
