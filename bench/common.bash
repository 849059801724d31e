# common.bash - what every bench/*.sh script needs, sourced (not run: make
# bench runs bench/*.sh only): a temporary directory removed on exit, the
# servers it starts killed on exit, start-up waits, RSS and ratios.
#
# Before sourcing, set BENCH_NAME (for messages and the directory name).
# After it: DIR, C_SOCK, R_SOCK, and the functions below.

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# need TOOL...: every tool must be on PATH (or a path that exists).
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			die "$t not found (make all and make bench build it; apt-get install redis-server redis-tools)"
	done
}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/cachify-$BENCH_NAME.XXXXXX")
PIDS=()
bench_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

C_SOCK=$DIR/cachifyd.sock
R_SOCK=$DIR/redis.sock

# wait_ready SOCK PID NAME: PING until PONG (10 s at most).
wait_ready() {
	local tries
	for tries in $(seq 100); do
		if ! kill -0 "$2" 2>/dev/null; then
			[ -f "$DIR/redis.log" ] && tail -5 "$DIR/redis.log" >&2
			die "$3 exited at startup"
		fi
		[ "$(redis-cli -s "$1" PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	die "$3 did not answer PING on $1 within 10 s (tries: $tries)"
}

# start_cachifyd [ARG...]: cachifyd on C_SOCK with extra arguments; sets C_PID.
start_cachifyd() {
	"$CACHIFYD" -s "$C_SOCK" --loglevel warning "$@" 2>>"$DIR/cachifyd.log" &
	C_PID=$!
	PIDS+=("$C_PID")
	wait_ready "$C_SOCK" "$C_PID" cachifyd
}

# start_redis [ARG...]: redis-server on R_SOCK, no persistence; sets R_PID.
start_redis() {
	redis-server --port 0 --unixsocket "$R_SOCK" --save '' --appendonly no \
		--daemonize no --dir "$DIR" --logfile "$DIR/redis.log" "$@" &
	R_PID=$!
	PIDS+=("$R_PID")
	wait_ready "$R_SOCK" "$R_PID" redis-server
}

# start_servers [ARG...]: both, empty, with the same extra arguments.
start_servers() {
	start_cachifyd "$@"
	start_redis "$@"
}

stop_servers() {
	kill "$C_PID" "$R_PID" 2>/dev/null || true
	wait "$C_PID" 2>/dev/null || true
	wait "$R_PID" 2>/dev/null || true
	PIDS=()
}

# field FILE KEY: the value of KEY=value in a load generator's result line.
field() { # FILE KEY
	local v
	v=$(tr ' ' '\n' < "$1" | sed -n "s/^$2=//p")
	[ -n "$v" ] || die "no $2 in: $(cat "$1")"
	echo "$v"
}

# rb_bench SOCK PIPELINE N: runs redis-benchmark's $TESTS with $CLIENTS
# clients (within $BENCH_TIMEOUT s) and prints one "TEST rps" line per test
# (names without blanks: "MSET (10 keys)" becomes MSET_(10_keys)).
rb_bench() {
	local out err=$DIR/bench.err
	out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -s "$1" -q --csv -n "$3" -c "$CLIENTS" \
		-r 100000 -P "$2" -t "$TESTS" 2>"$err") ||
		{ cat "$err" >&2; die "redis-benchmark on $1 (-P $2) failed or timed out"; }
	# cachifyd has no save/appendonly config: redis-benchmark only warns.
	grep -v 'Could not fetch server CONFIG' "$err" >&2 || true
	echo "$out" | tr -d '"' | awk -F, 'NR > 1 { gsub(/ /, "_", $1); print $1, $2 }'
}

# record SERVER PIPELINE < "TEST rps" lines: keeps the best rate per
# (server, pipeline, test) in the associative array BEST.
declare -A BEST
record() {
	local test rps k
	while read -r test rps; do
		k="$1,$2,$test"
		if [ -z "${BEST[$k]:-}" ] || awk -v a="$rps" -v b="${BEST[$k]}" 'BEGIN { exit !(a > b) }'; then
			BEST[$k]=$rps
		fi
	done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ratio A B: A / B as "1.23x".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", b ? a / b : 0 }'; }
