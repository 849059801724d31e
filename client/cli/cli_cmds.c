/* cli_cmds.c - the cachify tool's command table: each subcommand's name,
 * entry point, one-line summary, usage line and --help text. Texts only;
 * cli.c dispatches through the table and prints the help. The --help of
 * lock, pool, once and cached says where their defaults differ from the
 * reference's (py-cachify's lock, pool, once, cached) and why.
 */
#include <stddef.h>
#include <string.h>

#include "cli.h"

#define ADDR_HELP                                                                                  \
	"  -u, --url URL      unix:PATH or unix://PATH[?db=N] (default: $CACHIFY_URL,\n"           \
	"                     else " CLI_SYSTEM_SOCKET ", else the socket\n"                 \
	"                     of `make run` in the checkout cachify was built in)\n"               \
	"      --prefix P     key prefix shared with the library (default PYC-)\n"                 \
	"      --name NAME    this connection's name in `cachify locks` (default:\n"               \
	"                     cachify:COMMAND, COMMAND the guarded command or subcommand)\n"       \
	"  -h, --help         this help\n"

#define COMMON_HELP "  -s, --socket PATH  cachifyd's socket (as -u PATH)\n" ADDR_HELP

#define RUN_EXIT_HELP                                                                              \
	"Its exit status is cachify's (128+N if killed by signal N); SIGINT, SIGTERM and\n"        \
	"SIGHUP are forwarded to it. cachify's own failures: 125 cannot connect or\n"              \
	"internal error, 126 cannot execute, 127 not found, 2 bad arguments; lock and\n"        \
	"pool: 122 the grant was lost mid-run (--on-lost).\n"

#define RUN_HELP                                                                                   \
	"The command gets CACHIFY_KEY (the full key) and CACHIFY_FENCE (the grant's\n"             \
	"fencing token) in its environment.\n" RUN_EXIT_HELP

#define WAIT_HELP                                                                                  \
	"  -v, --verbose             report the wait and the acquisition on stderr\n"              \
	"While it waits, on a terminal (or with -v), cachify shows on stderr who holds\n"          \
	"the key (pid, name, for how long), how many wait, and for how long it waited.\n"

#define LOST_HELP                                                                                  \
	"      --on-lost=fail|warn|kill  when the grant is lost mid-run (TTL ran out,\n"            \
	"                            DEL, cachifyd gone): fail (default) exits 122\n"              \
	"                            whatever CMD's status; warn only warns; kill also\n"          \
	"                            sends SIGTERM to CMD at once\n"

const struct cli_cmd_def cli_cmds[] = {
    {"lock", cli_cmd_lock, "run a command while holding a lock (like flock)",
     "[-s] [-n | -w DURATION] [-E CODE] [-t TTL] [-v] [--on-lost=MODE] KEY\n"
     "       {-c STRING | [--] CMD [ARGS...]}",
     "Runs CMD while holding the lock KEY (prefix + KEY + \"-lock\"), like flock(1).\n"
     "The lock belongs to cachify's connection: if cachify dies, the lock is free\n"
     "at once.\n\n"
     "  -s, --shared              a shared (reader) hold: other readers may hold KEY\n"
     "                            too; a writer (no -s) waits for all of them\n"
     "  -n, --nonblock            fail at once if the lock is held\n"
     "  -w, --timeout DURATION    wait at most DURATION (default: forever)\n"
     "  -E, --conflict-exit-code CODE  exit status when locked or timed out (default 1)\n"
     "  -t, --ttl TTL             the lock expires after TTL even if CMD still runs\n"
     "                            (whole seconds; default: held until CMD exits)\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n" LOST_HELP WAIT_HELP
     "      --socket PATH         cachifyd's socket (-s is --shared here)\n" ADDR_HELP "\n"
     "Defaults that differ from the reference's lock (nowait=True, exp 30 s):\n"
     "cachify waits (like flock, what a script guarding a job wants; -n is the\n"
     "reference's nowait) and sets no TTL (the lock dies with cachify's\n"
     "connection, so a crashed holder cannot keep it, and a long job cannot\n"
     "outlive a TTL it did not choose).\n\n" RUN_HELP
     "\nExample:\n  cachify lock -w 30s backup -- rsync -a /src/ /dst/\n"},
    {"once", cli_cmd_once, "run a command unless a run of the same key is in progress",
     "[-n] [-E CODE] [-v] KEY {-c STRING | [--] CMD [ARGS...]}",
     "Runs CMD unless a run of KEY is already in progress. Then, by default,\n"
     "waits for that run and exits with its exit status; with -n exits at once\n"
     "with the conflict code. If the awaited run left no status (its cachify\n"
     "was killed), the waiter runs CMD itself.\n\n"
     "  -n, --nonblock            do not wait for a run in progress\n"
     "  -E, --conflict-exit-code CODE  exit status with -n (default 1)\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n"
     "  -v, --verbose             say whether CMD ran or was waited for\n"
     "While it waits, on a terminal (or with -v), cachify shows on stderr who runs\n"
     "KEY (pid, name, for how long) and for how long it waited.\n" COMMON_HELP "\n"
     "Defaults that differ from the reference's once (skip when locked, return\n"
     "return_on_locked): cachify waits for the run in progress and exits with its\n"
     "status, so `cachify once KEY cmd && next` means \"cmd succeeded\" for every\n"
     "caller; -n (with -E) is the reference's skip.\n\n" RUN_HELP
     "\nExample:\n  cachify once nightly-report -- ./make-report.sh\n"},
    {"pool", cli_cmd_pool, "run a command in one of SIZE slots (a counting semaphore)",
     "[-n | -w DURATION] [-E CODE] [-t TTL] [-v] [--on-lost=MODE] KEY SIZE\n"
     "       {-c STRING | [--] CMD...}",
     "Runs CMD in one of SIZE slots of the pool KEY, so at most SIZE runs of\n"
     "KEY go at once (a counting semaphore, like GNU sem in the foreground).\n"
     "The slot belongs to cachify's connection; the child also gets\n"
     "CACHIFY_SLOT (the slot's id).\n\n"
     "  -n, --nonblock            fail at once if all slots are taken\n"
     "  -w, --timeout DURATION    wait at most DURATION (default: forever)\n"
     "  -E, --conflict-exit-code CODE  exit status when full or timed out (default 1)\n"
     "  -t, --ttl TTL             the slot expires after TTL even if CMD still runs\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n" LOST_HELP WAIT_HELP COMMON_HELP
     "\n"
     "Defaults that differ from the reference's pool (no wait when full, slot TTL\n"
     "600 s): cachify waits for a slot in arrival order (-n is the reference's\n"
     "behaviour) and sets no TTL (the slot dies with cachify's connection, so a\n"
     "job longer than 10 minutes keeps its slot).\n\n" RUN_HELP
     "\nExample:\n  cachify pool -w 5m encoders 4 -- ffmpeg -i in.mov out.mp4\n"},
    {"cached", cli_cmd_cached, "replay a command's cached output and status, or run it once",
     "[--ttl DURATION] [--force | --reset] [--discard-failures] [--hit-exit-code N] [-v]\n"
     "       KEY {-c STRING | [--] CMD...}",
     "Replays the cached run of KEY (stdout, stderr and exit status, byte for\n"
     "byte) or, on a miss, runs CMD once and caches it. Callers arriving while\n"
     "it runs wait and replay its result.\n\n"
     "  --ttl DURATION            keep the result this long (whole seconds)\n"
     "  --force                   run CMD again and replace the cached result\n"
     "  --reset                   only forget the cached result (no CMD needed)\n"
     "  --discard-failures        do not cache a run that exits non-zero\n"
     "  --hit-exit-code N         exit N when the result was replayed (a hit)\n"
     "  -v, --verbose             say on stderr whether it was a hit or a miss\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n" COMMON_HELP "\n"
     "The default TTL is the reference's (default_cache_ttl None): results are\n"
     "kept until --reset, --force, `cachify del --cached KEY` or cachifyd's\n"
     "eviction; pass --ttl to bound them.\n\n"
     "The command gets CACHIFY_KEY (the full key) in its environment.\n" RUN_EXIT_HELP
     "\nExample:\n  cachify cached --ttl 1h git-tags -- git ls-remote --tags origin\n"},
    {"get", cli_cmd_get, "print a key's value", "[KEYOPTS] KEY",
     "Prints the value of prefix + KEY (exactly its bytes; a newline is added on a\n"
     "terminal). Exits 1 if absent, with a hint when the key exists in another\n"
     "form (without the prefix, or as a cached run, lock, once or pool).\n\n"
     "KEYOPTS (for get, set, del and ttl):\n"
     "  --no-prefix               KEY as given, without the prefix\n"
     "  --cached, --lock, --once, --pool\n"
     "                            the key `cachify cached/lock/once/pool KEY` uses\n"
     "                            (prefix + KEY + \"-cached\", ...)\n" COMMON_HELP
     "\nExample:\n  cachify get build-id\n"},
    {"set", cli_cmd_set, "set a key (from an argument or stdin)",
     "[KEYOPTS] [--ttl DURATION] [--nx] KEY [VALUE]",
     "Sets prefix + KEY to VALUE, or to standard input without VALUE (binary\n"
     "safe). KEYOPTS as for get.\n\n"
     "  --ttl DURATION            expire after DURATION (whole seconds)\n"
     "  --nx                      only if KEY does not exist (else exit 1)\n" COMMON_HELP
     "\nExample:\n  cachify set --ttl 10m build-id 4711\n"},
    {"del", cli_cmd_del, "delete keys (force-releases locks and pools)", "[KEYOPTS] KEY...",
     "Deletes prefix + KEY for each KEY (a lock or pool is force-released) and\n"
     "prints how many existed. Exits 1 if none did. KEYOPTS as for get.\n\n" COMMON_HELP
     "\nExample:\n  cachify del --cached git-tags\n"},
    {"ttl", cli_cmd_ttl, "print the seconds a key has left", "[KEYOPTS] KEY",
     "Prints the seconds prefix + KEY has left (decimals), or -1 if it never\n"
     "expires. Exits 1 if it does not exist. KEYOPTS as for get.\n\n" COMMON_HELP
     "\nExample:\n  cachify ttl --cached inventory\n"},
    {"is-locked", cli_cmd_is_locked, "exit 0 if a lock (or once run) is held, else 1",
     "[--once] [-v] KEY",
     "Exits 0 if the lock KEY (prefix + KEY + \"-lock\") is held, 1 if it is free\n"
     "(the reference's is_locked).\n\n"
     "  --once                    the once key instead (prefix + KEY + \"-once\")\n"
     "  -v, --verbose             print who holds it\n" COMMON_HELP
     "\nExample:\n  cachify is-locked backup || echo free\n"},
    {"release", cli_cmd_release, "release a lock: force, or by its token",
     "[--once] [--token TOKEN] KEY",
     "Releases the lock KEY (prefix + KEY + \"-lock\"). Without --token it is a\n"
     "force release (the reference's release): whoever holds it loses it, and a\n"
     "warning names them. Exits 0 if released, 1 if it was not held (or, with\n"
     "--token, not held by that token).\n\n"
     "  --once                    the once key instead (prefix + KEY + \"-once\")\n"
     "      --token TOKEN         release only the hold of TOKEN\n" COMMON_HELP
     "\nExample:\n  cachify release backup\n"},
    {"ping", cli_cmd_ping, "check that cachifyd answers", "",
     "Checks that cachifyd answers: prints PONG, or exits 125.\n\n" COMMON_HELP
     "\nExample:\n  cachify -s /tmp/cachifyd.sock ping\n"},
    {"info", cli_cmd_info, "print cachifyd's INFO (or as JSON)", "[--json] [SECTION]",
     "Prints cachifyd's INFO text (sections: server, clients, memory, stats,\n"
     "locks, pools, keyspace, all).\n\n"
     "  --json                    one JSON object: {\"section\": {\"field\": value}};\n"
     "                            numbers as numbers, keyspace lines as objects\n" COMMON_HELP
     "\nExample:\n  cachify info --json stats\n"},
    {"metrics", cli_cmd_metrics, "print INFO as Prometheus text (node_exporter textfile)", "",
     "Prints cachifyd's INFO in the Prometheus text exposition format: every\n"
     "numeric field as cachify_FIELD with # HELP and # TYPE (counter for totals,\n"
     "gauge otherwise), the keyspace as cachify_db_keys{db=\"N\"} and friends.\n"
     "For node_exporter's textfile collector, write it atomically:\n"
     "  cachify metrics > DIR/cachify.prom.$$ && mv DIR/cachify.prom.$$ DIR/cachify.prom\n\n" COMMON_HELP
     "\nExample:\n  cachify metrics | grep cachify_connected_clients\n"},
    {"raw", cli_cmd_raw, "send any command and print the reply like redis-cli",
     "[--raw | --no-raw] [CMD [ARGS...]]",
     "Sends any command and prints the reply as redis-cli does: (integer) 1,\n"
     "(nil), (error) ..., numbered arrays on a terminal; bare values otherwise.\n"
     "Without CMD and on a terminal, reads commands line by line (quotes as in\n"
     "redis-cli). Exits 1 if the (last) reply is an error.\n\n"
     "  --raw                     bare values even on a terminal\n"
     "  --no-raw                  formatted replies even when piped\n" COMMON_HELP
     "\nExample:\n  cachify raw LOCK.INFO PYC-backup-lock\n"},
    {"locks", cli_cmd_locks, "list who holds which lock or pool slot", "[--json]",
     "Lists who holds which lock or pool slot (like lslocks): key, type,\n"
     "fence, client id, pid, uid, client name, held for, ttl, waiters.\n\n"
     "  --json                    print a JSON array of objects\n" COMMON_HELP
     "\nExample:\n  cachify locks --json\n"},
    {"status", cli_cmd_locks, "another name for locks", "[--json]",
     "Another name for `cachify locks`.\n\n"
     "  --json                    print a JSON array of objects\n" COMMON_HELP
     "\nExample:\n  cachify status\n"},
    {"help", cli_cmd_help, "this list, or a command's help", "[COMMAND]",
     "Prints the list of commands, or COMMAND's help (as COMMAND --help).\n"
     "\nExample:\n  cachify help lock\n"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct cli_cmd_def *cli_find_cmd(const char *name)
{
	for (const struct cli_cmd_def *d = cli_cmds; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}
