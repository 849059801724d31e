/* check_ops.c - cachifyd as an operator meets it: `make install`, the
 * systemd units and snippets, socket activation, sd_notify, peer
 * credentials and admin commands, the socket directory check, the user
 * switch, shutdown under load, and the man pages.
 *
 * Tests run the real programs (make, systemd-analyze, systemd-socket-
 * activate, setpriv, groff) on temporary directories; a client of another
 * uid is a short Python script run under setpriv as nobody. Protocol
 * details are check_server.c's; the directive table is check_config.c's.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "config.h"
#include "harness.h"
#include "notify.h"

#define T_SLOW_MS(ms)  ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define T_PATH	       (H_PATH_MAX + 64)
#define T_EXEC_MS      T_SLOW_MS(60000) /* bound on make, systemd-analyze, ... */
#define T_PEER_MS      T_SLOW_MS(20000) /* bound on one run of the nobody client */
#define T_NOTIFY_MAX   8192		/* bytes of one notification */
#define T_MANY_CLIENTS 1000

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define T_SANITIZED 1
#endif
#endif

/* ---- local helpers ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < size, "path or message too long: %s", buf);
}

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set: run the suites through `make check`", name);
	return v;
}

/* Is prog on PATH (or an executable path)? */
static bool have_program(const char *prog)
{
	const char *argv[] = {"sh", "-c", "command -v \"$0\" >/dev/null", prog, NULL};
	int status = h_exec(argv, NULL, NULL, NULL, T_EXEC_MS);

	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Runs argv, asserting exit status 0; prints its output when it fails.
 * Returns its standard output (new; free it). */
static char *run_ok_at(const char *file, int line, const char *dir, const char *const *argv)
{
	char out[T_PATH], err[T_PATH];
	char *o, *e;
	int status;

	fmt(out, sizeof out, "%s/run.out", dir);
	fmt(err, sizeof err, "%s/run.err", dir);
	status = h_exec(argv, NULL, out, err, T_EXEC_MS);
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s:%d: %s exited with status 0x%x\nstdout:\n%s\nstderr:\n%s", file, line,
		      argv[0], status, o ? o : "", e ? e : "");
	free(e);
	return o ? o : strdup("");
}
#define run_ok(dir, argv) run_ok_at(__FILE__, __LINE__, dir, argv)

/* A fresh directory of mode 0755 under /tmp, so that nobody can reach
 * sockets in it whatever TMPDIR is. */
static void public_dir(char *buf, size_t size)
{
	fmt(buf, size, "/tmp/cachify-ops.XXXXXX");
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_int_eq(chmod(buf, 0755), 0);
}

static void expect_file_at(const char *file, int line, const char *path, mode_t type, mode_t perm)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "%s:%d: %s: %s", file, line, path, strerror(errno));
	ck_assert_msg((st.st_mode & S_IFMT) == type, "%s:%d: %s has type 0%o, not 0%o", file, line,
		      path, st.st_mode & S_IFMT, type);
	if (perm)
		ck_assert_msg((st.st_mode & 07777) == perm, "%s:%d: %s has mode %04o, not %04o",
			      file, line, path, st.st_mode & 07777, perm);
}
#define expect_file(path, type, perm) expect_file_at(__FILE__, __LINE__, path, type, perm)

static void expect_missing_at(const char *file, int line, const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == -1 && errno == ENOENT, "%s:%d: %s still exists", file,
		      line, path);
}
#define expect_missing(path) expect_missing_at(__FILE__, __LINE__, path)

/* Files a and b have the same bytes. */
static void expect_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *sa = h_slurp(a, &la), *sb = h_slurp(b, &lb);

	ck_assert_msg(sa && sb, "cannot read %s or %s", a, b);
	ck_assert_msg(la == lb && memcmp(sa, sb, la) == 0, "%s differs from %s", a, b);
	free(sa);
	free(sb);
}

static void expect_contains(const char *hay, const char *needle, const char *what)
{
	ck_assert_msg(strstr(hay, needle) != NULL, "%s lacks '%s':\n%s", what, needle, hay);
}

/* Waits up to timeout_ms for path to exist. */
static bool wait_for_path(const char *path, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	struct stat st;

	while (lstat(path, &st) != 0) {
		if (h_now_ms() >= deadline)
			return false;
		h_sleep_ms(10);
	}
	return true;
}

/* Starts argv in the background with stdout and stderr appended to log;
 * it dies with the test. The pid. */
static pid_t spawn(const char *const *argv, const char *log)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int in = open("/dev/null", O_RDONLY);
		sigset_t none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || fd < 0 || in < 0)
			_exit(126);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Waits up to timeout_ms for pid: its status, or -1 if still running. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (h_now_ms() >= deadline)
			return -1;
		h_sleep_ms(5);
	}
}

static void kill_and_reap(pid_t pid)
{
	if (pid > 0 && kill(pid, SIGKILL) == 0)
		waitpid(pid, NULL, 0);
}

/* Spawns d with args and waits until it refuses to start: the log. */
static char *expect_refusal(struct h_daemon *d, const char *const *args)
{
	int status;

	h_daemon_spawn(d, args);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	if (status == -1)
		h_log_dump(d);
	ck_assert_msg(status != -1, "cachifyd started on %s", d->sock);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x", status);
	return h_daemon_log(d);
}

/* ---- make install -------------------------------------------------------------- */

/* A systemd directory as pkg-config tells `make install`, or its fallback. */
static void systemd_dir(const char *dir, const char *var, const char *fallback, char *buf,
			size_t size)
{
	char arg[64];
	const char *argv[] = {"pkg-config", arg, "systemd", NULL};
	char out[T_PATH];
	char *s;
	int status;

	fmt(arg, sizeof arg, "--variable=%s", var);
	fmt(out, sizeof out, "%s/pkg.out", dir);
	status = h_exec(argv, NULL, out, NULL, T_EXEC_MS);
	s = h_slurp(out, NULL);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && s && s[0] == '/')
		fmt(buf, size, "%s", s);
	else
		fmt(buf, size, "%s", fallback);
	free(s);
}

/* `make -C SRC BUILD=... target vars...` as the user would, in a clean
 * make environment (the runner may itself run under make). */
static void make_in(const char *dir, const char *target, const char *const *vars)
{
	char build[T_PATH];
	const char *argv[40];
	size_t n = 0;
	char *out;

	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MAKEOVERRIDES");
	fmt(build, sizeof build, "BUILD=%s", env_or_fail("CACHIFY_BUILD"));
	argv[n++] = "make";
	argv[n++] = "--no-print-directory";
	argv[n++] = "-C";
	argv[n++] = env_or_fail("CACHIFY_SRC");
	argv[n++] = build;
#ifdef T_SANITIZED
	argv[n++] = "SAN=1";
#endif
	for (size_t i = 0; vars && vars[i]; i++) {
		ck_assert(n < sizeof argv / sizeof argv[0] - 2);
		argv[n++] = vars[i];
	}
	argv[n++] = target;
	argv[n] = NULL;
	out = run_ok(dir, argv);
	free(out);
}

/* dir/root/rel. */
static const char *at(const char *root, const char *rel)
{
	static char buf[4][T_PATH];
	static int k;

	k = (k + 1) % 4;
	fmt(buf[k], sizeof buf[k], "%s%s", root, rel);
	return buf[k];
}

/* pkg-config's answer for libcachify from the .pc files in pcdir (new). */
static char *pkg_config(const char *dir, const char *pcdir, const char *a1, const char *a2)
{
	const char *argv[] = {"pkg-config", a1, a2, "libcachify", NULL};
	char *out, *nl;

	if (!a2) {
		argv[2] = "libcachify";
		argv[3] = NULL;
	}
	ck_assert_int_eq(setenv("PKG_CONFIG_PATH", pcdir, 1), 0);
	out = run_ok(dir, argv);
	unsetenv("PKG_CONFIG_PATH");
	nl = out + strlen(out);
	while (nl > out && (nl[-1] == '\n' || nl[-1] == ' '))
		*--nl = '\0';
	return out;
}

#define expect_pkg_config(dir, pcdir, a1, a2, want)                               \
	do {                                                                      \
		char *got_ = pkg_config(dir, pcdir, a1, a2);                      \
		ck_assert_msg(strcmp(got_, want) == 0, "pkg-config %s %s: '%s', want '%s'", \
			      a1, a2 ? a2 : "", got_, want);                      \
		free(got_);                                                       \
	} while (0)

/* The installed .pc, staged under root for prefix, answers for prefix as
 * it is, and for the staged copy with --define-prefix (a relocated
 * install), without PKG_CONFIG_SYSROOT_DIR. */
static void expect_pc_relocates(const char *dir, const char *root, const char *prefix,
				const char *pcrel)
{
	char pcdir[T_PATH], want[2 * T_PATH];

	fmt(pcdir, sizeof pcdir, "%s%s", root, pcrel);
	fmt(want, sizeof want, "-L%s/lib -lcachify", prefix);
	expect_pkg_config(dir, pcdir, "--libs", NULL, want);
	fmt(want, sizeof want, "%s/include", prefix);
	expect_pkg_config(dir, pcdir, "--variable=includedir", NULL, want);
	fmt(want, sizeof want, "-L%s%s/lib -lcachify", root, prefix);
	expect_pkg_config(dir, pcdir, "--define-prefix", "--libs", want);
	fmt(want, sizeof want, "%s%s/include", root, prefix);
	expect_pkg_config(dir, pcdir, "--define-prefix", "--variable=includedir", want);
}

/* The build tree's libcachify.pc points at the checkout's header and the
 * build's libraries, written from ${prefix}. */
START_TEST(test_build_tree_pc_points_at_the_checkout)
{
	struct h_daemon *d = h_daemon_new();
	const char *src = env_or_fail("CACHIFY_SRC"), *build = env_or_fail("CACHIFY_BUILD");
	char want[2 * T_PATH], path[T_PATH];
	char *s;

	fmt(want, sizeof want, "-I%s/client/include", src);
	expect_pkg_config(d->dir, build, "--cflags", NULL, want);
	fmt(want, sizeof want, "-L%s -lcachify", build);
	expect_pkg_config(d->dir, build, "--libs", NULL, want);
	fmt(path, sizeof path, "%s/libcachify.pc", build);
	s = h_slurp(path, NULL);
	ck_assert_ptr_nonnull(s);
	fmt(want, sizeof want, "prefix=%s\nincludedir=${prefix}/client/include\n", src);
	ck_assert_msg(strncmp(s, want, strlen(want)) == 0, "libcachify.pc:\n%s", s);
	free(s);
	h_daemon_free(d);
}
END_TEST

/* `make run` prints, before it starts the daemon, the lines that point a
 * client at its socket: `make run-env` is that step. */
START_TEST(test_make_run_prints_the_cachify_url_of_its_socket)
{
	struct h_daemon *d = h_daemon_new();
	const char *src = env_or_fail("CACHIFY_SRC");
	const char *argv[] = {"make", "--no-print-directory", "-s", "-C", src, "run-env", NULL};
	char want[4 * T_PATH], *out, *mk;

	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	out = run_ok(d->dir, argv);
	fmt(want, sizeof want,
	    "# cachifyd listens on %s/run/cachifyd.sock; in another shell:\n"
	    "export CACHIFY_URL=unix://%s/run/cachifyd.sock\n"
	    "redis-cli -s %s/run/cachifyd.sock\n",
	    src, src, src);
	ck_assert_str_eq(out, want);
	free(out);
	/* ...and run calls it before it execs the daemon on that socket. */
	mk = h_slurp(h_src_path("Makefile"), NULL);
	ck_assert_ptr_nonnull(mk);
	expect_contains(mk, " run-env\n\texec ./$(CACHIFYD) cachifyd.conf -s $(RUN_SOCK) "
			    "--dir $(CURDIR)/run\n",
			"Makefile");
	free(mk);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_install_lays_out_every_file_and_keeps_a_modified_config)
{
	struct h_daemon *d = h_daemon_new();
	char root[T_PATH], destdir[T_PATH + 16], units[T_PATH], sysusers[T_PATH], tmpfiles[T_PATH];
	char lib[T_PATH], cli[T_PATH], link[64], conf[T_PATH];
	const char *vars[] = {destdir, NULL};
	struct stat st;
	ssize_t n;
	char *s;

	fmt(root, sizeof root, "%s/stage", d->dir);
	fmt(destdir, sizeof destdir, "DESTDIR=%s", root);
	systemd_dir(d->dir, "systemdsystemunitdir", "/lib/systemd/system", units, sizeof units);
	systemd_dir(d->dir, "sysusersdir", "/usr/lib/sysusers.d", sysusers, sizeof sysusers);
	systemd_dir(d->dir, "tmpfilesdir", "/usr/lib/tmpfiles.d", tmpfiles, sizeof tmpfiles);
	make_in(d->dir, "install", vars);

	/* Programs, libraries, header, pkg-config file. */
	expect_file(at(root, "/usr/local/sbin/cachifyd"), S_IFREG, 0755);
	expect_same_file(at(root, "/usr/local/sbin/cachifyd"), h_cachifyd());
	fmt(cli, sizeof cli, "%s/cachify", env_or_fail("CACHIFY_BUILD"));
	if (stat(cli, &st) == 0)
		expect_file(at(root, "/usr/local/bin/cachify"), S_IFREG, 0755);
	else
		expect_missing(at(root, "/usr/local/bin/cachify"));
	expect_file(at(root, "/usr/local/lib/libcachify.a"), S_IFREG, 0644);
	expect_file(at(root, "/usr/local/lib/libcachify.so.0"), S_IFREG, 0755);
	expect_file(at(root, "/usr/local/lib/libcachify.so"), S_IFLNK, 0);
	n = readlink(at(root, "/usr/local/lib/libcachify.so"), link, sizeof link - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, "libcachify.so.0");
	{
		const char *argv[] = {"readelf", "-d", lib, NULL};

		fmt(lib, sizeof lib, "%s", at(root, "/usr/local/lib/libcachify.so.0"));
		s = run_ok(d->dir, argv);
		expect_contains(s, "Library soname: [libcachify.so.0]", "readelf -d");
		free(s);
	}
	expect_file(at(root, "/usr/local/include/cachify.h"), S_IFREG, 0644);
	expect_same_file(at(root, "/usr/local/include/cachify.h"),
			 h_src_path("client/include/cachify.h"));
	s = h_slurp(at(root, "/usr/local/lib/pkgconfig/libcachify.pc"), NULL);
	ck_assert_ptr_nonnull(s);
	expect_contains(s, "prefix=/usr/local\n", "libcachify.pc");
	expect_contains(s, "libdir=${prefix}/lib\n", "libcachify.pc");
	expect_contains(s, "includedir=${prefix}/include\n", "libcachify.pc");
	expect_contains(s, "-lcachify", "libcachify.pc");
	ck_assert_msg(strstr(s, env_or_fail("CACHIFY_SRC")) == NULL,
		      "libcachify.pc still points at the build tree:\n%s", s);
	free(s);
	expect_pc_relocates(d->dir, root, "/usr/local", "/usr/local/lib/pkgconfig");

	/* Configuration, systemd files, man pages. */
	fmt(conf, sizeof conf, "%s", at(root, "/etc/cachifyd/cachifyd.conf"));
	expect_file(conf, S_IFREG, 0644);
	expect_same_file(conf, h_src_path("cachifyd.conf"));
	expect_file(at(at(root, units), "/cachifyd.service"), S_IFREG, 0644);
	expect_file(at(at(root, units), "/cachifyd.socket"), S_IFREG, 0644);
	s = h_slurp(at(at(root, units), "/cachifyd.service"), NULL);
	expect_contains(s, "\nExecStart=/usr/local/sbin/cachifyd /etc/cachifyd/cachifyd.conf\n",
			"cachifyd.service");
	/* Snapshots land in the state directory the service runs in. */
	expect_contains(s, "\nStateDirectory=cachifyd\n", "cachifyd.service");
	expect_contains(s, "\nWorkingDirectory=/var/lib/cachifyd\n", "cachifyd.service");
	free(s);
	expect_same_file(at(at(root, units), "/cachifyd.socket"), h_src_path("systemd/cachifyd.socket"));
	expect_file(at(at(root, sysusers), "/cachifyd.conf"), S_IFREG, 0644);
	expect_same_file(at(at(root, sysusers), "/cachifyd.conf"),
			 h_src_path("systemd/cachifyd.sysusers"));
	expect_file(at(at(root, tmpfiles), "/cachifyd.conf"), S_IFREG, 0644);
	expect_same_file(at(at(root, tmpfiles), "/cachifyd.conf"),
			 h_src_path("systemd/cachifyd.tmpfiles"));
	expect_file(at(root, "/usr/local/share/man/man8/cachifyd.8"), S_IFREG, 0644);
	expect_file(at(root, "/usr/local/share/man/man5/cachifyd.conf.5"), S_IFREG, 0644);
	expect_file(at(root, "/usr/local/share/man/man3/libcachify.3"), S_IFREG, 0644);

	/* The installed daemon accepts the installed configuration. */
	{
		char bin[T_PATH];
		const char *argv[] = {bin, "-t", conf, NULL};

		fmt(bin, sizeof bin, "%s", at(root, "/usr/local/sbin/cachifyd"));
		free(run_ok(d->dir, argv));
	}

	/* A second install keeps the administrator's edits. */
	s = h_slurp(conf, NULL);
	ck_assert_ptr_nonnull(s);
	{
		size_t len = strlen(s) + 64;
		char *edited = malloc(len);

		ck_assert_ptr_nonnull(edited);
		fmt(edited, len, "%s\n# local change\nmaxclients 77\n", s);
		h_write_file(conf, edited);
		make_in(d->dir, "install", vars);
		free(s);
		s = h_slurp(conf, NULL);
		ck_assert_str_eq(s, edited);
		free(edited);
	}
	free(s);
	expect_file(at(root, "/usr/local/sbin/cachifyd"), S_IFREG, 0755);

	/* Uninstall takes everything back but the configuration. */
	make_in(d->dir, "uninstall", vars);
	expect_missing(at(root, "/usr/local/sbin/cachifyd"));
	expect_missing(at(root, "/usr/local/bin/cachify"));
	expect_missing(at(root, "/usr/local/lib/libcachify.a"));
	expect_missing(at(root, "/usr/local/lib/libcachify.so.0"));
	expect_missing(at(root, "/usr/local/lib/libcachify.so"));
	expect_missing(at(root, "/usr/local/include/cachify.h"));
	expect_missing(at(root, "/usr/local/lib/pkgconfig/libcachify.pc"));
	expect_missing(at(at(root, units), "/cachifyd.service"));
	expect_missing(at(at(root, units), "/cachifyd.socket"));
	expect_missing(at(at(root, sysusers), "/cachifyd.conf"));
	expect_missing(at(at(root, tmpfiles), "/cachifyd.conf"));
	expect_missing(at(root, "/usr/local/share/man/man8/cachifyd.8"));
	expect_missing(at(root, "/usr/local/share/man/man5/cachifyd.conf.5"));
	expect_missing(at(root, "/usr/local/share/man/man3/libcachify.3"));
	expect_file(conf, S_IFREG, 0644);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_install_honours_every_directory_variable)
{
	struct h_daemon *d = h_daemon_new();
	char root[T_PATH], v[12][T_PATH + 32];
	const char *vars[13];
	char *s;

	fmt(root, sizeof root, "%s/stage", d->dir);
	fmt(v[0], sizeof v[0], "DESTDIR=%s", root);
	fmt(v[1], sizeof v[1], "PREFIX=/opt/c");
	fmt(v[2], sizeof v[2], "BINDIR=/opt/c/userbin");
	fmt(v[3], sizeof v[3], "SBINDIR=/opt/c/adminbin");
	fmt(v[4], sizeof v[4], "LIBDIR=/opt/c/lib64");
	fmt(v[5], sizeof v[5], "INCLUDEDIR=/opt/c/inc");
	fmt(v[6], sizeof v[6], "MANDIR=/opt/c/man");
	fmt(v[7], sizeof v[7], "SYSCONFDIR=/opt/c/etc");
	fmt(v[8], sizeof v[8], "SYSTEMDUNITDIR=/opt/c/units");
	fmt(v[9], sizeof v[9], "SYSUSERSDIR=/opt/c/sysusers");
	fmt(v[10], sizeof v[10], "TMPFILESDIR=/opt/c/tmpfiles");
	fmt(v[11], sizeof v[11], "PKGCONFIGDIR=/opt/c/pc");
	for (int i = 0; i < 12; i++)
		vars[i] = v[i];
	vars[12] = NULL;
	make_in(d->dir, "install", vars);

	expect_file(at(root, "/opt/c/adminbin/cachifyd"), S_IFREG, 0755);
	expect_file(at(root, "/opt/c/lib64/libcachify.so.0"), S_IFREG, 0755);
	expect_file(at(root, "/opt/c/lib64/libcachify.so"), S_IFLNK, 0);
	expect_file(at(root, "/opt/c/lib64/libcachify.a"), S_IFREG, 0644);
	expect_file(at(root, "/opt/c/inc/cachify.h"), S_IFREG, 0644);
	expect_file(at(root, "/opt/c/man/man8/cachifyd.8"), S_IFREG, 0644);
	expect_file(at(root, "/opt/c/etc/cachifyd/cachifyd.conf"), S_IFREG, 0644);
	expect_file(at(root, "/opt/c/sysusers/cachifyd.conf"), S_IFREG, 0644);
	expect_file(at(root, "/opt/c/tmpfiles/cachifyd.conf"), S_IFREG, 0644);
	s = h_slurp(at(root, "/opt/c/pc/libcachify.pc"), NULL);
	ck_assert_ptr_nonnull(s);
	expect_contains(s, "prefix=/opt/c\n", "libcachify.pc");
	expect_contains(s, "libdir=${prefix}/lib64\n", "libcachify.pc");
	expect_contains(s, "includedir=${prefix}/inc\n", "libcachify.pc");
	free(s);
	s = h_slurp(at(root, "/opt/c/units/cachifyd.service"), NULL);
	ck_assert_ptr_nonnull(s);
	expect_contains(s, "\nExecStart=/opt/c/adminbin/cachifyd /opt/c/etc/cachifyd/cachifyd.conf\n",
			"cachifyd.service");
	ck_assert_msg(strstr(s, "/usr/local") == NULL, "a default path is left:\n%s", s);
	free(s);
	expect_file(at(root, "/opt/c/units/cachifyd.socket"), S_IFREG, 0644);
	h_daemon_free(d);
}
END_TEST

/* ---- systemd units and snippets ------------------------------------------------- */

/*
 * systemd-analyze verify checks that ExecStart's program exists and is
 * executable and that the man pages in Documentation= are found, so the
 * units are verified exactly as `make install` wrote them, for a prefix
 * in a temporary directory where the daemon and man pages really are
 * installed (its --root does not help: it wants a whole OS tree).
 */
START_TEST(test_units_pass_systemd_analyze_verify)
{
	struct h_daemon *d = h_daemon_new();
	char pre[T_PATH], v[5][T_PATH + 32], man[T_PATH], socket_unit[T_PATH], service[T_PATH];
	const char *vars[6];
	char out[T_PATH], err[T_PATH];
	const char *argv[] = {"systemd-analyze", "verify", socket_unit, service, NULL};
	char *so, *se, *s;
	int status;

	if (!have_program("systemd-analyze")) {
		ck_abort_msg("systemd-analyze is not installed: scripts/deps installs it");
	}
	fmt(pre, sizeof pre, "%s/prefix", d->dir);
	fmt(v[0], sizeof v[0], "PREFIX=%s/usr", pre);
	fmt(v[1], sizeof v[1], "SYSCONFDIR=%s/etc", pre);
	fmt(v[2], sizeof v[2], "SYSTEMDUNITDIR=%s/units", pre);
	fmt(v[3], sizeof v[3], "SYSUSERSDIR=%s/sysusers", pre);
	fmt(v[4], sizeof v[4], "TMPFILESDIR=%s/tmpfiles", pre);
	for (int i = 0; i < 5; i++)
		vars[i] = v[i];
	vars[5] = NULL;
	make_in(d->dir, "install", vars);
	fmt(socket_unit, sizeof socket_unit, "%s/units/cachifyd.socket", pre);
	fmt(service, sizeof service, "%s/units/cachifyd.service", pre);
	s = h_slurp(service, NULL);
	ck_assert_ptr_nonnull(s);
	fmt(man, sizeof man, "\nExecStart=%s/usr/sbin/cachifyd %s/etc/cachifyd/cachifyd.conf\n",
	    pre, pre);
	expect_contains(s, man, "installed cachifyd.service");
	free(s);

	fmt(man, sizeof man, "%s/usr/share/man", pre);
	setenv("MANPATH", man, 1);
	fmt(out, sizeof out, "%s/verify.out", d->dir);
	fmt(err, sizeof err, "%s/verify.err", d->dir);
	status = h_exec(argv, NULL, out, err, T_EXEC_MS);
	so = h_slurp(out, NULL);
	se = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && so && !*so && se && !*se,
		      "systemd-analyze verify: status 0x%x\nstdout:\n%s\nstderr:\n%s", status,
		      so ? so : "", se ? se : "");
	free(so);
	free(se);
	h_daemon_free(d);
}
END_TEST

/* A uid or gid field of an /etc/passwd or /etc/group line for name. */
static long id_in(const char *path, const char *name, int field)
{
	char *s = h_slurp(path, NULL), want[128];
	const char *p;
	long id;

	ck_assert_msg(s != NULL, "%s: %s", path, strerror(errno));
	fmt(want, sizeof want, "%s:", name);
	p = strncmp(s, want, strlen(want)) == 0 ? s : strstr(s, want);
	while (p && p != s && p[-1] != '\n')
		p = strstr(p + 1, want);
	ck_assert_msg(p != NULL, "%s has no %s:\n%s", path, name, s);
	for (int i = 0; i < field; i++)
		p = strchr(p, ':') + 1;
	id = strtol(p, NULL, 10);
	free(s);
	return id;
}

START_TEST(test_sysusers_and_tmpfiles_snippets_make_user_group_and_directory)
{
	struct h_daemon *d = h_daemon_new();
	char root[T_PATH], rootarg[T_PATH + 16], sysusers[T_PATH], tmpfiles[T_PATH], run[T_PATH];
	const char *su[] = {"systemd-sysusers", rootarg, sysusers, NULL};
	const char *tf[] = {"systemd-tmpfiles", rootarg, "--create", tmpfiles, NULL};
	struct stat st;
	long uid;

	if (!have_program("systemd-sysusers") || !have_program("systemd-tmpfiles")) {
		ck_abort_msg("systemd-sysusers/systemd-tmpfiles are not installed: scripts/deps installs it");
	}
	fmt(root, sizeof root, "%s/root", d->dir);
	fmt(rootarg, sizeof rootarg, "--root=%s", root);
	fmt(sysusers, sizeof sysusers, "%s", h_src_path("systemd/cachifyd.sysusers"));
	fmt(tmpfiles, sizeof tmpfiles, "%s", h_src_path("systemd/cachifyd.tmpfiles"));
	fmt(run, sizeof run, "%s/run", root);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(at(root, "/etc"), 0755), 0);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	free(run_ok(d->dir, su));
	uid = id_in(at(root, "/etc/passwd"), "cachifyd", 2);
	ck_assert_int_gt(uid, 0);
	ck_assert_int_eq(id_in(at(root, "/etc/passwd"), "cachifyd", 3),
			 id_in(at(root, "/etc/group"), "cachifyd", 2));
	ck_assert_int_gt(id_in(at(root, "/etc/group"), "cachify", 2), 0);

	free(run_ok(d->dir, tf));
	ck_assert_int_eq(stat(at(root, "/run/cachifyd"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_msg((st.st_mode & 07777) == 02755, "mode %04o", st.st_mode & 07777);
	ck_assert_int_eq((long)st.st_uid, uid);
	ck_assert_int_eq((long)st.st_gid, id_in(at(root, "/etc/group"), "cachify", 2));
	h_daemon_free(d);
}
END_TEST

/* ---- socket activation ----------------------------------------------------------- */

/* The arguments of systemd-socket-activate that pass the sanitizers'
 * settings on (it gives its child a nearly empty environment). */
static size_t pass_sanitizer_env(const char **argv, size_t n)
{
	static const char *const names[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (getenv(names[i])) {
			argv[n++] = "-E";
			argv[n++] = names[i];
		}
	}
	return n;
}

START_TEST(test_socket_activation_serves_a_client_that_connected_before_the_daemon)
{
	struct h_daemon *d = h_daemon_new();
	char sock[T_PATH];
	const char *argv[16];
	struct h_client *c;
	struct resp_reply *r;
	struct stat st;
	size_t n = 0;
	pid_t pid;
	int status;
	char *log;

	if (!have_program("systemd-socket-activate")) {
		ck_abort_msg("systemd-socket-activate is not installed: scripts/deps installs it");
	}
	fmt(sock, sizeof sock, "%s/activated.sock", d->dir);
	argv[n++] = "systemd-socket-activate";
	argv[n++] = "-l";
	argv[n++] = sock;
	n = pass_sanitizer_env(argv, n);
	argv[n++] = h_cachifyd();
	argv[n++] = "--loglevel";
	argv[n++] = "verbose";
	argv[n] = NULL;
	pid = spawn(argv, d->log);
	ck_assert_msg(wait_for_path(sock, T_SLOW_MS(10000)), "no socket at %s", sock);

	/* The socket listens, the daemon is not running yet. */
	log = h_daemon_log(d);
	ck_assert_msg(strstr(log, " ready: pid ") == NULL, "started early:\n%s", log);
	free(log);
	c = h_connect_path(sock);
	h_call_status(c, "PONG", "PING");
	ck_assert(h_log_wait(d, "(from systemd)", T_SLOW_MS(5000)));
	r = h_call(c, "CONFIG", "GET", "unixsocket");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[1]->str, sock);
	resp_reply_free(r);
	h_ok(c, "SET", "k", "v");

	/* SIGTERM: a clean exit that leaves the socket unit's file alone. */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = wait_exit(pid, T_SLOW_MS(10000));
	if (status == -1)
		kill_and_reap(pid);
	ck_assert_msg(status != -1, "still running after SIGTERM");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		h_log_dump(d);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	ck_assert_msg(lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode),
		      "the activated socket file was removed");
	ck_assert(h_read_until_eof(c, T_SLOW_MS(2000), NULL));
	h_close(c);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_socket_activation_refuses_a_datagram_socket)
{
	struct h_daemon *d = h_daemon_new();
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *argv[16];
	size_t n = 0;
	pid_t pid;
	int fd, status;
	char *log;

	if (!have_program("systemd-socket-activate")) {
		ck_abort_msg("systemd-socket-activate is not installed: scripts/deps installs it");
	}
	fmt(sa.sun_path, sizeof sa.sun_path, "%s/dgram.sock", d->dir);
	argv[n++] = "systemd-socket-activate";
	argv[n++] = "--datagram";
	argv[n++] = "-l";
	argv[n++] = sa.sun_path;
	n = pass_sanitizer_env(argv, n);
	argv[n++] = h_cachifyd();
	argv[n] = NULL;
	pid = spawn(argv, d->log);
	ck_assert(wait_for_path(sa.sun_path, T_SLOW_MS(10000)));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sendto(fd, "PING", 4, 0, (struct sockaddr *)&sa, sizeof sa), 4);
	close(fd);
	status = wait_exit(pid, T_SLOW_MS(10000));
	if (status == -1)
		kill_and_reap(pid);
	log = h_daemon_log(d);
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "status 0x%x:\n%s", status, log);
	expect_contains(log, "not a stream socket", "log");
	free(log);
	h_daemon_free(d);
}
END_TEST

/* Starts cachifyd (as d->pid) with LISTEN_PID/LISTEN_FDS as given ("$$":
 * its own pid) and fd 3 open on fd3 (a path opened read-only, or NULL for
 * none); -s names d->sock. */
static void spawn_with_listen_env(struct h_daemon *d, const char *listen_pid, const char *fd3)
{
	char script[1024];
	const char *argv[] = {"sh", "-c", script, "cachifyd", NULL};

	fmt(script, sizeof script,
	    "LISTEN_PID=%s LISTEN_FDS=1 LISTEN_FDNAMES=x; export LISTEN_PID LISTEN_FDS "
	    "LISTEN_FDNAMES; exec '%s' -s '%s' %s%s%s",
	    listen_pid, h_cachifyd(), d->sock, fd3 ? "3<'" : "", fd3 ? fd3 : "", fd3 ? "'" : "");
	d->pid = spawn(argv, d->log);
}

START_TEST(test_passed_fd_that_is_not_a_socket_is_refused)
{
	struct h_daemon *d = h_daemon_new();
	int status;
	char *log;

	spawn_with_listen_env(d, "$$", "/dev/null");
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	log = h_daemon_log(d);
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "status 0x%x:\n%s", status, log);
	expect_contains(log, "LISTEN_FDS: fd 3 is not a socket", "log");
	/* It did not fall back to a socket of its own. */
	expect_missing(d->sock);
	free(log);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_listen_fds_meant_for_another_pid_are_ignored)
{
	struct h_daemon *d = h_daemon_new();
	struct h_client *c;

	spawn_with_listen_env(d, "1", NULL);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	ck_assert(!h_log_wait(d, "(from systemd)", 0));
	h_daemon_finish(d);
}
END_TEST

/* ---- sd_notify ------------------------------------------------------------------- */

struct notify_rx {
	int fd;
	char seen[16384]; /* every message so far, for failure messages */
	size_t nseen;
};

/* Binds a datagram socket at path ('@' for abstract) and exports it as
 * NOTIFY_SOCKET for daemons spawned afterwards. */
static void notify_rx_open(struct notify_rx *rx, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;

	memset(rx, 0, sizeof *rx);
	rx->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(rx->fd, 0);
	fmt(sa.sun_path, sizeof sa.sun_path, "%s", path);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';
		len--;
	}
	ck_assert_msg(bind(rx->fd, (struct sockaddr *)&sa, len) == 0, "bind %s: %s", path,
		      strerror(errno));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
}

/* Reads notifications until one contains needle (copied to msg), for up to
 * timeout_ms. */
static bool notify_wait(struct notify_rx *rx, const char *needle, int timeout_ms, char *msg,
			size_t size)
{
	int64_t deadline = h_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = rx->fd, .events = POLLIN};
		int64_t left = deadline - h_now_ms();
		char buf[T_NOTIFY_MAX];
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		n = recv(rx->fd, buf, sizeof buf - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (rx->nseen + (size_t)n + 2 < sizeof rx->seen) {
			memcpy(rx->seen + rx->nseen, buf, (size_t)n);
			rx->nseen += (size_t)n;
			memcpy(rx->seen + rx->nseen, "|", 2);
			rx->nseen++;
		}
		if (strstr(buf, needle)) {
			if (msg)
				fmt(msg, size, "%s", buf);
			return true;
		}
	}
}

#define notify_expect(rx, needle, msg)                                                            \
	ck_assert_msg(notify_wait(rx, needle, T_SLOW_MS(10000), msg, sizeof msg),                 \
		      "no notification with '%s'; got: %s", needle, (rx)->seen)

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

START_TEST(test_notify_ready_status_reloading_and_stopping)
{
	struct h_daemon *d = h_daemon_new();
	struct notify_rx rx;
	char path[T_PATH], conf[T_PATH], msg[T_NOTIFY_MAX];
	const char *args[] = {conf, NULL};
	struct h_client *c, *c2;
	struct resp_reply *r;
	uint64_t before, after, mono;
	const char *p;
	int status;

	fmt(path, sizeof path, "%s/notify", d->dir);
	fmt(conf, sizeof conf, "%s/cachifyd.conf", d->dir);
	h_write_file(conf, "loglevel notice\n");
	notify_rx_open(&rx, path);
	h_daemon_spawn(d, args);
	notify_expect(&rx, "READY=1", msg);
	expect_contains(msg, "STATUS=0 clients, 0 keys, 0 locks, 0 pools", "READY message");
	/* READY=1 comes once the socket listens: a client gets in at once. */
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");

	/* STATUS follows what changes. */
	c2 = h_connect(d);
	h_ok(c, "SET", "a", "1");
	h_ok(c, "SET", "b", "2");
	r = h_call(c2, "LOCK.ACQUIRE", "job");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	notify_expect(&rx, "STATUS=2 clients, 3 keys, 1 locks, 0 pools", msg);

	/* SIGHUP: RELOADING=1 with the time, the new level, READY=1 again,
	 * and the clients are still there. */
	h_write_file(conf, "loglevel debug\n");
	before = monotonic_usec();
	h_daemon_kill(d, SIGHUP);
	notify_expect(&rx, "RELOADING=1", msg);
	after = monotonic_usec();
	p = strstr(msg, "MONOTONIC_USEC=");
	ck_assert_msg(p != NULL, "no MONOTONIC_USEC in '%s'", msg);
	mono = strtoull(p + strlen("MONOTONIC_USEC="), NULL, 10);
	ck_assert_msg(mono >= before && mono <= after, "MONOTONIC_USEC=%llu not in [%llu, %llu]",
		      (unsigned long long)mono, (unsigned long long)before,
		      (unsigned long long)after);
	notify_expect(&rx, "READY=1", msg);
	r = h_call(c, "CONFIG", "GET", "loglevel");
	ck_assert_str_eq(r->element[1]->str, "debug");
	resp_reply_free(r);
	h_call_bulk(c, "1", "GET", "a");
	h_call_status(c2, "PONG", "PING");

	/* SIGTERM: STOPPING=1, then a clean exit. */
	h_daemon_kill(d, SIGTERM);
	notify_expect(&rx, "STOPPING=1", msg);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	h_close(c);
	h_close(c2);
	close(rx.fd);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_notify_to_an_abstract_socket_with_watchdog_pings)
{
	struct h_daemon *d = h_daemon_new();
	struct notify_rx rx;
	char name[108], msg[T_NOTIFY_MAX];
	int pings = 0;

	fmt(name, sizeof name, "@cachify-test-%d-%lld", (int)getpid(), (long long)h_now_ms());
	notify_rx_open(&rx, name);
	setenv("WATCHDOG_USEC", "200000", 1);
	unsetenv("WATCHDOG_PID");
	h_daemon_spawn(d, NULL);
	notify_expect(&rx, "READY=1", msg);
	/* One ping every 100 ms: three within a generous bound. */
	while (pings < 3 && notify_wait(&rx, "WATCHDOG=1", T_SLOW_MS(3000), msg, sizeof msg))
		pings++;
	ck_assert_msg(pings == 3, "%d WATCHDOG=1 pings; got: %s", pings, rx.seen);
	close(rx.fd);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_watchdog_for_another_pid_sends_no_pings)
{
	struct h_daemon *d = h_daemon_new();
	struct notify_rx rx;
	char path[T_PATH], msg[T_NOTIFY_MAX];

	fmt(path, sizeof path, "%s/notify", d->dir);
	notify_rx_open(&rx, path);
	setenv("WATCHDOG_USEC", "100000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	h_daemon_spawn(d, NULL);
	notify_expect(&rx, "READY=1", msg);
	ck_assert_msg(!notify_wait(&rx, "WATCHDOG=1", 1000, msg, sizeof msg),
		      "pinged for another process: %s", rx.seen);
	close(rx.fd);
	h_daemon_finish(d);
}
END_TEST

/* In process: WATCHDOG_USEC is read by the one number helper, so only a
 * positive decimal that fits turns the watchdog on. */
START_TEST(test_watchdog_usec_must_be_a_positive_decimal)
{
	static const struct {
		const char *usec;
		int64_t want;
	} cases[] = {
		{"250000", 250000}, {"0250000", 250000}, {"9223372036854775807", INT64_MAX},
		{"0", 0}, {"", 0}, {"-5", 0}, {"+5", 0}, {" 5", 0}, {"5 ", 0}, {"5x", 0},
		{"1e6", 0}, {"9223372036854775808", 0}, {"99999999999999999999", 0},
	};
	char name[108];

	fmt(name, sizeof name, "@cachify-test-%d-%lld", (int)getpid(), (long long)h_now_ms());
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		setenv("NOTIFY_SOCKET", name, 1);
		setenv("WATCHDOG_USEC", cases[i].usec, 1);
		unsetenv("WATCHDOG_PID");
		notify_init();
		ck_assert_msg(notify_enabled(), "WATCHDOG_USEC=%s: no socket", cases[i].usec);
		ck_assert_msg(notify_watchdog_usec() == cases[i].want, "WATCHDOG_USEC=%s: %lld",
			      cases[i].usec, (long long)notify_watchdog_usec());
		notify_free();
	}
	/* WATCHDOG_PID is read the same way: "0<pid>" is us, "<pid>x" is not. */
	for (int us = 0; us < 2; us++) {
		char pid[32];

		fmt(pid, sizeof pid, us ? "0%d" : "%dx", (int)getpid());
		setenv("NOTIFY_SOCKET", name, 1);
		setenv("WATCHDOG_USEC", "1000", 1);
		setenv("WATCHDOG_PID", pid, 1);
		notify_init();
		ck_assert_msg(notify_watchdog_usec() == (us ? 1000 : 0), "WATCHDOG_PID=%s", pid);
		notify_free();
	}
}
END_TEST

/* ---- peer credentials and admin commands ----------------------------------------- */

/* A client for another uid: connects, sends the request (Python escapes
 * such as \r\n), reads until `lines` CRLFs (0: until EOF), and prints what
 * it got, marking how the connection ended. */
static const char peer_py[] =
	"import socket, sys\n"
	"s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
	"s.settimeout(float(sys.argv[4]))\n"
	"out = b''\n"
	"try:\n"
	"    s.connect(sys.argv[1])\n"
	"    data = sys.argv[2].encode().decode('unicode_escape').encode('latin-1')\n"
	"    if data:\n"
	"        s.sendall(data)\n"
	"    want = int(sys.argv[3])\n"
	"    while True:\n"
	"        b = s.recv(65536)\n"
	"        if not b:\n"
	"            out += b'<EOF>'\n"
	"            break\n"
	"        out += b\n"
	"        if want and out.count(b'\\r\\n') >= want:\n"
	"            break\n"
	"except ConnectionResetError:\n"
	"    out += b'<RESET>'\n"
	"except BrokenPipeError:\n"
	"    out += b'<EPIPE>'\n"
	"except socket.timeout:\n"
	"    out += b'<TIMEOUT>'\n"
	"except OSError as e:\n"
	"    out += ('<%s>' % e).encode()\n"
	"sys.stdout.buffer.write(out)\n";

struct peer_env {
	char dir[T_PATH];    /* public: mode 0755 under /tmp */
	char script[T_PATH]; /* peer_py */
	char uid[16], gid[16];
	const char *python;
};

static void peer_env_init(struct peer_env *pe, struct h_daemon *d)
{
	struct passwd *pw = getpwnam("nobody");

	ck_assert_msg(pw != NULL, "no user nobody");
	ck_assert_msg(have_program("setpriv"), "setpriv is not installed (scripts/deps)");
	public_dir(pe->dir, sizeof pe->dir);
	fmt(pe->script, sizeof pe->script, "%s/peer.py", pe->dir);
	h_write_file(pe->script, peer_py);
	ck_assert_int_eq(chmod(pe->script, 0644), 0);
	fmt(pe->uid, sizeof pe->uid, "%u", (unsigned)pw->pw_uid);
	fmt(pe->gid, sizeof pe->gid, "%u", (unsigned)pw->pw_gid);
	/* A system python: a user's shims (pyenv...) may be out of nobody's reach. */
	pe->python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	fmt(d->sock, sizeof d->sock, "%s/sock", pe->dir);
}

/* Runs the peer as nobody (with the supplementary groups given, or none)
 * and returns what it printed (new). */
static char *peer_run(struct peer_env *pe, const char *groups, const char *request, int lines)
{
	char regid[32], reuid[32], grp[64], timeout[16], nlines[16], out[T_PATH + 16];
	char sock[T_PATH + 16];
	const char *argv[16];
	size_t n = 0;
	int status;
	char *s;

	fmt(reuid, sizeof reuid, "--reuid=%s", pe->uid);
	fmt(regid, sizeof regid, "--regid=%s", pe->gid);
	fmt(timeout, sizeof timeout, "%d", T_SLOW_MS(10000) / 1000);
	fmt(nlines, sizeof nlines, "%d", lines);
	fmt(out, sizeof out, "%s/peer.out", pe->dir);
	fmt(sock, sizeof sock, "%s/sock", pe->dir);
	argv[n++] = "setpriv";
	argv[n++] = reuid;
	argv[n++] = regid;
	if (groups) {
		fmt(grp, sizeof grp, "--groups=%s", groups);
		argv[n++] = grp;
	} else {
		argv[n++] = "--clear-groups";
	}
	argv[n++] = pe->python;
	argv[n++] = pe->script;
	argv[n++] = sock;
	argv[n++] = request;
	argv[n++] = nlines;
	argv[n++] = timeout;
	argv[n] = NULL;
	status = h_exec(argv, NULL, out, NULL, T_PEER_MS);
	s = h_slurp(out, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the nobody client failed: status 0x%x, output: %s", status, s ? s : "");
	ck_assert_ptr_nonnull(s);
	return s;
}

static void peer_env_free(struct peer_env *pe)
{
	h_rm_rf(pe->dir);
}

static void expect_output(char *got, const char *want)
{
	ck_assert_msg(strcmp(got, want) == 0, "the nobody client got:\n%s\nwanted:\n%s", got, want);
	free(got);
}

START_TEST(test_peer_of_another_uid_is_refused_before_any_byte_and_root_is_accepted)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", NULL};
	struct peer_env pe;
	struct h_client *c;
	struct resp_reply *r;
	char want[256];

	peer_env_init(&pe, d);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d); /* root's readiness probe got in */
	fmt(want, sizeof want,
	    "-NOPERM uid %s (gid %s) may not use this server: see allow-uid and allow-gid\r\n<EOF>",
	    pe.uid, pe.gid);
	/* Silent: the error comes without a request. */
	expect_output(peer_run(&pe, NULL, "", 0), want);
	/* Talking first changes nothing: no PONG, one error line, EOF. */
	expect_output(peer_run(&pe, NULL, "PING\\r\\nSET k v\\r\\n", 0), want);
	ck_assert(h_log_wait(d, "refused a client", T_SLOW_MS(2000)));

	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_call_nil(c, "GET", "k");
	r = h_call(c, "INFO", "stats");
	ck_assert_int_eq(r->type, RESP_BULK);
	expect_contains(r->str, "\r\nrejected_peer_connections:2\r\n", "INFO stats");
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

START_TEST(test_allowed_uid_that_is_not_admin_gets_noperm_for_admin_commands)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", "--allow-uid", "root,nobody", NULL};
	struct peer_env pe;
	struct h_client *c;
	char want[1024];

	peer_env_init(&pe, d);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_ok(c, "SET", "k", "v");
	fmt(want, sizeof want,
	    "+PONG\r\n+OK\r\n"
	    "-NOPERM User nobody has no permissions to run the 'flushall' command\r\n"
	    "-NOPERM User nobody has no permissions to run the 'config' command\r\n"
	    "-NOPERM User nobody has no permissions to run the 'shutdown' command\r\n"
	    "$1\r\nv\r\n");
	expect_output(peer_run(&pe, NULL,
			       "PING\\r\\nSET n 1\\r\\nFLUSHALL\\r\\nCONFIG GET maxclients\\r\\n"
			       "SHUTDOWN NOSAVE\\r\\nGET k\\r\\n",
			       7),
		      want);
	/* Nothing was flushed, the daemon still runs, root is an admin. */
	h_call_bulk(c, "v", "GET", "k");
	h_call_bulk(c, "1", "GET", "n");
	h_ok(c, "FLUSHALL");
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

START_TEST(test_admin_uid_may_shut_the_daemon_down)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", "--allow-uid", "root,nobody",
			      "--admin-uid", "nobody", NULL};
	struct peer_env pe;
	struct h_client *c;
	int status;

	peer_env_init(&pe, d);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	/* root is not in this admin-uid. */
	h_call_error(c, "NOPERM User root has no permissions to run the 'config' command", "CONFIG",
		     "GET", "hz");
	expect_output(peer_run(&pe, NULL, "PING\\r\\nSHUTDOWN\\r\\n", 0), "+PONG\r\n<EOF>");
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status 0x%x", status);
	expect_missing(d->sock);
	ck_assert(h_log_wait(d, "SHUTDOWN from client", 0));
	ck_assert(h_read_until_eof(c, T_SLOW_MS(2000), NULL));
	h_close(c);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

START_TEST(test_allow_gid_matches_supplementary_groups)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", "--allow-uid", "root",
			      "--allow-gid", "4242", NULL};
	struct peer_env pe;
	char want[256];

	peer_env_init(&pe, d);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	expect_output(peer_run(&pe, "4242", "PING\\r\\n", 1), "+PONG\r\n");
	expect_output(peer_run(&pe, "17,4242,99", "PING\\r\\n", 1), "+PONG\r\n");
	fmt(want, sizeof want,
	    "-NOPERM uid %s (gid %s) may not use this server: see allow-uid and allow-gid\r\n<EOF>",
	    pe.uid, pe.gid);
	expect_output(peer_run(&pe, "17", "PING\\r\\n", 0), want);
	expect_output(peer_run(&pe, NULL, "PING\\r\\n", 0), want);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

/* The default allow-gid is the socket file's group. A setgid directory
 * gives the socket its group, as tmpfiles.d/cachifyd.conf sets up
 * /run/cachifyd. */
START_TEST(test_default_allow_gid_is_the_socket_files_group)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", NULL};
	struct peer_env pe;
	struct stat st;
	char *s;

	peer_env_init(&pe, d);
	ck_assert_int_eq(chown(pe.dir, 0, 4243), 0);
	ck_assert_int_eq(chmod(pe.dir, 02755), 0);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert_int_eq((int)st.st_gid, 4243);
	expect_output(peer_run(&pe, "4243", "PING\\r\\n", 1), "+PONG\r\n");
	s = peer_run(&pe, "4244", "", 0);
	ck_assert_msg(strncmp(s, "-NOPERM ", 8) == 0, "not refused: %s", s);
	free(s);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

START_TEST(test_everyone_star_lets_any_uid_in)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", "--allow-uid", "*", NULL};
	struct peer_env pe;

	peer_env_init(&pe, d);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	expect_output(peer_run(&pe, NULL, "PING\\r\\n", 1), "+PONG\r\n");
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

/* ---- socket directory, user switch ------------------------------------------------ */

START_TEST(test_socket_directory_writable_by_others_is_refused)
{
	static const struct {
		mode_t mode;
		const char *why;
	} cases[] = {
		{0775, "is group-writable (mode 0775)"},
		{0757, "is world-writable (mode 0757)"},
		{01777, "is world-writable (mode 1777)"},
	};
	struct h_daemon *d = h_daemon_new();
	char sub[T_PATH];
	char *log;

	fmt(sub, sizeof sub, "%s/sockdir", d->dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	fmt(d->sock, sizeof d->sock, "%s/sock", sub);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(chmod(sub, cases[i].mode), 0);
		log = expect_refusal(d, NULL);
		expect_contains(log, cases[i].why, "log");
		expect_contains(log, sub, "log");
		free(log);
		expect_missing(d->sock);
	}
	/* Writable by its owner only (the setgid bit is fine): it starts. */
	ck_assert_int_eq(chmod(sub, 02755), 0);
	h_daemon_spawn(d, NULL);
	h_daemon_wait_ready(d);
	h_daemon_finish(d);
}
END_TEST

/* Regression: a root daemon started in a 0755 directory owned by nobody;
 * that user could rename its own socket onto the path and receive a root
 * client's commands. */
START_TEST(test_socket_directory_owned_by_another_user_is_refused)
{
	struct h_daemon *d = h_daemon_new();
	char sub[T_PATH];
	char *log;

	if (geteuid() != 0) {
		h_daemon_free(d);
		return; /* only root can give the directory away */
	}
	fmt(sub, sizeof sub, "%s/sockdir", d->dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chown(sub, 65534, 65534), 0);
	fmt(d->sock, sizeof d->sock, "%s/sock", sub);
	log = expect_refusal(d, NULL);
	expect_contains(log, "is owned by uid 65534", "log");
	free(log);
	expect_missing(d->sock);
	ck_assert_int_eq(chown(sub, 0, 0), 0);
	h_daemon_spawn(d, NULL);
	h_daemon_wait_ready(d);
	h_daemon_finish(d);
}
END_TEST

/* Regression: at shutdown the daemon unlinked whatever file was at the
 * socket path, even one that replaced its socket. */
START_TEST(test_shutdown_leaves_a_file_that_replaced_the_socket)
{
	struct h_daemon *d = h_daemon_start(NULL);
	char moved[T_PATH];
	struct stat st;

	fmt(moved, sizeof moved, "%s.moved", d->sock);
	ck_assert_int_eq(rename(d->sock, moved), 0);
	h_write_file(d->sock, "not the daemon's\n");
	ck_assert_int_eq(h_daemon_stop(d), 0);
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert(h_log_wait(d, "no longer the socket this daemon bound", T_SLOW_MS(1000)));
	h_daemon_free(d);
}
END_TEST

/* /proc/PID/status field ("Uid:"), first value. */
static long proc_status_id(pid_t pid, const char *field)
{
	char path[64], *s;
	const char *p;
	long v;

	fmt(path, sizeof path, "/proc/%d/status", (int)pid);
	s = h_slurp(path, NULL);
	ck_assert_ptr_nonnull(s);
	p = strstr(s, field);
	ck_assert_ptr_nonnull(p);
	v = strtol(p + strlen(field), NULL, 10);
	free(s);
	return v;
}

START_TEST(test_user_directive_switches_to_that_user_after_binding)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--user", "nobody", NULL};
	struct peer_env pe;
	struct passwd *pw = getpwnam("nobody");
	struct h_client *c;
	struct stat st;
	int status;

	ck_assert_ptr_nonnull(pw);
	peer_env_init(&pe, d);
	/* The directory is the user's, so it can remove its socket at exit. */
	ck_assert_int_eq(chown(pe.dir, pw->pw_uid, pw->pw_gid), 0);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	ck_assert_int_eq(proc_status_id(d->pid, "Uid:"), (long)pw->pw_uid);
	ck_assert_int_eq(proc_status_id(d->pid, "Gid:"), (long)pw->pw_gid);
	ck_assert(h_log_wait(d, "switched to user nobody", 0));
	/* Bound as root: the file is root's; root, in allow-uid, gets in. */
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert_int_eq((int)st.st_uid, 0);
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_kill(d, SIGTERM);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	expect_missing(d->sock);
	h_daemon_finish(d);
	peer_env_free(&pe);
}
END_TEST

START_TEST(test_unknown_user_or_group_fails_the_config_test)
{
	static const char *const cases[][3] = {
		{"--user", "no-such-user-cachify", "user: no such user 'no-such-user-cachify'"},
		{"--allow-uid", "root,no-such-user-cachify",
		 "allow-uid: no such user 'no-such-user-cachify'"},
		{"--allow-gid", "no-such-group-cachify",
		 "allow-gid: no such group 'no-such-group-cachify'"},
		{"--admin-uid", "root;x", "invalid value 'root;x' for 'admin-uid'"},
	};
	struct h_daemon *d = h_daemon_new();
	char err[T_PATH];

	fmt(err, sizeof err, "%s/err", d->dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[] = {h_cachifyd(), "-t", cases[i][0], cases[i][1], NULL};
		int status = h_exec(argv, NULL, NULL, err, T_EXEC_MS);
		char *s = h_slurp(err, NULL);

		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s %s: status 0x%x",
			      cases[i][0], cases[i][1], status);
		expect_contains(s, cases[i][2], "stderr");
		free(s);
	}
	h_daemon_free(d);
}
END_TEST

/* Hardening finding: the log was opened as root with fopen(), following a
 * symlink planted where it goes (say by the unprivileged `user`, if it can
 * write to the log directory) and appending to whatever it named. Links,
 * FIFOs (fopen blocked on them forever) and hard links are now refused. */
START_TEST(test_logfile_that_is_a_link_or_not_a_regular_file_is_refused)
{
	static const char *const cases[][2] = {
		{"symlink.log", "is a symbolic link"},
		{"fifo.log", "is not a regular file"},
		{"dir.log", "is not a regular file"},
		{"hardlink.log", "has 2 hard links"},
	};
	struct h_daemon *d = h_daemon_new();
	char target[T_PATH], path[T_PATH], want[T_PATH + 64];
	const char *args[] = {"--logfile", path, NULL};
	struct stat st;
	char *log, *s;
	int status;

	fmt(target, sizeof target, "%s/precious", d->dir);
	h_write_file(target, "secret\n");
	fmt(path, sizeof path, "%s/symlink.log", d->dir);
	ck_assert_int_eq(symlink(target, path), 0);
	fmt(path, sizeof path, "%s/fifo.log", d->dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	fmt(path, sizeof path, "%s/dir.log", d->dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	fmt(path, sizeof path, "%s/hardlink.log", d->dir);
	ck_assert_int_eq(link(target, path), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fmt(path, sizeof path, "%s/%s", d->dir, cases[i][0]);
		log = expect_refusal(d, args);
		fmt(want, sizeof want, "cachifyd: logfile %s %s", path, cases[i][1]);
		expect_contains(log, want, "stderr");
		free(log);
		expect_missing(d->sock);
	}
	s = h_slurp(target, NULL);
	ck_assert_str_eq(s, "secret\n");
	free(s);

	/* A new file: created owner-writable, group-readable, and written to. */
	fmt(path, sizeof path, "%s/new.log", d->dir);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	status = h_daemon_stop(d);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_gt(st.st_size, 0);
	h_daemon_free(d);
}
END_TEST

/* The hardening finding itself: `cachifyd -t /dev/zero` grew to 24 GB and
 * was killed. Outside sanitizer builds (ASan needs terabytes of address
 * space) the daemon runs under a 1 GiB address-space cap, so a regression
 * fails here with ENOMEM instead of eating the machine. */
START_TEST(test_config_test_of_dev_zero_fails_promptly_on_the_line_limit)
{
	struct h_daemon *d = h_daemon_new();
	char err[T_PATH], want[128];
#ifdef T_SANITIZED
	const char *argv[] = {h_cachifyd(), "-t", "/dev/zero", NULL};
#else
	const char *argv[] = {"sh", "-c", "ulimit -v 1048576 && exec \"$0\" -t /dev/zero",
			      h_cachifyd(), NULL};
#endif
	int64_t start = h_now_ms();
	int status;
	char *s;

	fmt(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, NULL, NULL, err, T_SLOW_MS(10000));
	s = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x: %s", status,
		      s ? s : "");
	fmt(want, sizeof want, "cachifyd: /dev/zero:1: line too long (limit %d bytes)",
	    CONFIG_LINE_MAX);
	expect_contains(s, want, "stderr");
	ck_assert_int_lt(h_now_ms() - start, T_SLOW_MS(5000));
	free(s);
	h_daemon_free(d);
}
END_TEST

/* ---- shutdown ------------------------------------------------------------------- */

START_TEST(test_sigterm_with_1000_clients_exits_0_within_5s_and_removes_the_socket)
{
	struct h_daemon *d;
	struct h_client *probe;
	int fds[T_MANY_CLIENTS];
	char buf[7];
	int64_t start, took;
	int status, eofs = 0;

	ck_assert_int_ge(h_raise_nofile(T_MANY_CLIENTS * 2 + 200), T_MANY_CLIENTS * 2 + 200);
	d = h_daemon_start("--maxclients", "2000", NULL);
	for (int i = 0; i < T_MANY_CLIENTS; i++) {
		fds[i] = h_connect_fd(d->sock);
		ck_assert_msg(fds[i] >= 0, "client %d: %s", i, strerror(errno));
		ck_assert_int_eq(send(fds[i], "PING\r\n", 6, MSG_NOSIGNAL), 6);
	}
	for (int i = 0; i < T_MANY_CLIENTS; i++) {
		size_t got = 0;

		while (got < sizeof buf) {
			ssize_t n = read(fds[i], buf + got, sizeof buf - got);

			ck_assert_msg(n > 0, "client %d: no PONG", i);
			got += (size_t)n;
		}
		ck_assert(memcmp(buf, "+PONG\r\n", 7) == 0);
	}
	probe = h_connect(d);
	h_call_status(probe, "PONG", "PING");

	start = h_now_ms();
	h_daemon_kill(d, SIGTERM);
	status = h_daemon_wait_exit(d, T_SLOW_MS(5000));
	took = h_now_ms() - start;
	if (status == -1)
		h_log_dump(d);
	ck_assert_msg(status != -1, "still running %d ms after SIGTERM with %d clients",
		      T_SLOW_MS(5000), T_MANY_CLIENTS);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	ck_assert_int_le(took, T_SLOW_MS(5000));
	expect_missing(d->sock);
	for (int i = 0; i < T_MANY_CLIENTS; i++) {
		struct pollfd pfd = {.fd = fds[i], .events = POLLIN};

		if (poll(&pfd, 1, 0) == 1 && read(fds[i], buf, sizeof buf) == 0)
			eofs++;
		close(fds[i]);
	}
	ck_assert_int_eq(eofs, T_MANY_CLIENTS);
	h_close(probe);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shutdown_command_stops_like_sigterm)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	size_t n = 99;
	int status;

	h_call_error(c, "ERR syntax error", "SHUTDOWN", "LATER");
	h_call_error(c, "ERR syntax error", "SHUTDOWN", "NOSAVE", "SAVE");
	/* Replies already due are flushed; SHUTDOWN itself has none. */
	h_send_str(c, "PING\r\nSHUTDOWN NOSAVE\r\nPING\r\n");
	h_expect_status(c, "PONG");
	ck_assert(h_read_until_eof(c, T_SLOW_MS(5000), &n));
	ck_assert_uint_eq(n, 0);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status 0x%x", status);
	expect_missing(d->sock);
	ck_assert(h_read_until_eof(other, T_SLOW_MS(2000), NULL));
	h_close(c);
	h_close(other);
	h_daemon_finish(d);
}
END_TEST

/* ---- man pages ------------------------------------------------------------------ */

START_TEST(test_man_pages_render_without_warnings)
{
	static const char *const pages[] = {"man/cachifyd.8", "man/cachifyd.conf.5",
					    "man/libcachify.3", "man/cachify.1"};
	struct h_daemon *d = h_daemon_new();
	char out[T_PATH], err[T_PATH], page[T_PATH];
	const char *argv[] = {"groff", "-ww", "-man", "-Tutf8", page, NULL};
	int rendered = 0;

	fmt(out, sizeof out, "%s/man.out", d->dir);
	fmt(err, sizeof err, "%s/man.err", d->dir);
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		struct stat st;
		int status;
		char *so, *se;

		fmt(page, sizeof page, "%s", h_src_path(pages[i]));
		/* cachify.1 belongs to the CLI; the other three must exist. */
		if (i == 3 && stat(page, &st) != 0)
			continue;
		status = h_exec(argv, NULL, out, err, T_EXEC_MS);
		so = h_slurp(out, NULL);
		se = h_slurp(err, NULL);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && se && !*se,
			      "groff -ww %s: status 0x%x:\n%s", pages[i], status, se ? se : "");
		ck_assert_msg(so && strlen(so) > 500, "%s rendered to almost nothing", pages[i]);
		if (i < 3) {
			static const char *const titles[] = {"CACHIFYD(8)", "CACHIFYD.CONF(5)",
							     "LIBCACHIFY(3)"};

			ck_assert_msg(strncmp(so, titles[i], strlen(titles[i])) == 0,
				      "%s does not start with its title %s", pages[i], titles[i]);
		}
		free(so);
		free(se);
		rendered++;
	}
	ck_assert_int_ge(rendered, 3);
	h_daemon_free(d);
}
END_TEST

/* cachifyd.conf(5) describes every directive of the table. */
START_TEST(test_config_man_page_documents_every_directive)
{
	char *s = h_slurp(h_src_path("man/cachifyd.conf.5"), NULL);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; config_directive_name(i) != NULL; i++) {
		const char *name = config_directive_name(i);
		char roff[128] = ".BI ";
		size_t n = strlen(roff);

		/* In roff a '-' is written "\-". */
		for (const char *p = name; *p && n + 3 < sizeof roff; p++) {
			if (*p == '-')
				roff[n++] = '\\';
			roff[n++] = *p;
		}
		roff[n++] = ' ';
		roff[n] = '\0';
		ck_assert_msg(strstr(s, roff) != NULL, "cachifyd.conf.5 lacks a '%s' entry", roff);
	}
	free(s);
}
END_TEST

Suite *ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc;

	tc = tcase_create("install");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_install_lays_out_every_file_and_keeps_a_modified_config);
	tcase_add_test(tc, test_install_honours_every_directory_variable);
	tcase_add_test(tc, test_build_tree_pc_points_at_the_checkout);
	tcase_add_test(tc, test_make_run_prints_the_cachify_url_of_its_socket);
	tcase_add_test(tc, test_units_pass_systemd_analyze_verify);
	tcase_add_test(tc, test_sysusers_and_tmpfiles_snippets_make_user_group_and_directory);
	tcase_add_test(tc, test_man_pages_render_without_warnings);
	tcase_add_test(tc, test_config_man_page_documents_every_directive);
	suite_add_tcase(s, tc);

	tc = tcase_create("systemd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_socket_activation_serves_a_client_that_connected_before_the_daemon);
	tcase_add_test(tc, test_socket_activation_refuses_a_datagram_socket);
	tcase_add_test(tc, test_passed_fd_that_is_not_a_socket_is_refused);
	tcase_add_test(tc, test_listen_fds_meant_for_another_pid_are_ignored);
	tcase_add_test(tc, test_notify_ready_status_reloading_and_stopping);
	tcase_add_test(tc, test_notify_to_an_abstract_socket_with_watchdog_pings);
	tcase_add_test(tc, test_watchdog_for_another_pid_sends_no_pings);
	tcase_add_test(tc, test_watchdog_usec_must_be_a_positive_decimal);
	suite_add_tcase(s, tc);

	tc = tcase_create("security");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_peer_of_another_uid_is_refused_before_any_byte_and_root_is_accepted);
	tcase_add_test(tc, test_allowed_uid_that_is_not_admin_gets_noperm_for_admin_commands);
	tcase_add_test(tc, test_admin_uid_may_shut_the_daemon_down);
	tcase_add_test(tc, test_allow_gid_matches_supplementary_groups);
	tcase_add_test(tc, test_default_allow_gid_is_the_socket_files_group);
	tcase_add_test(tc, test_everyone_star_lets_any_uid_in);
	tcase_add_test(tc, test_socket_directory_writable_by_others_is_refused);
	tcase_add_test(tc, test_socket_directory_owned_by_another_user_is_refused);
	tcase_add_test(tc, test_shutdown_leaves_a_file_that_replaced_the_socket);
	tcase_add_test(tc, test_user_directive_switches_to_that_user_after_binding);
	tcase_add_test(tc, test_unknown_user_or_group_fails_the_config_test);
	tcase_add_test(tc, test_logfile_that_is_a_link_or_not_a_regular_file_is_refused);
	tcase_add_test(tc, test_config_test_of_dev_zero_fails_promptly_on_the_line_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("shutdown");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigterm_with_1000_clients_exits_0_within_5s_and_removes_the_socket);
	tcase_add_test(tc, test_shutdown_command_stops_like_sigterm);
	suite_add_tcase(s, tc);
	return s;
}
