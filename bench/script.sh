#!/usr/bin/env bash
# script.sh - the cost of a script: redis-py's lock-release script by
# EVALSHA on cachifyd and on redis-server, against cachifyd's own
# LOCK.RELEASE, in one run (redis-benchmark, 50 clients, unpipelined).
# Every request takes the "not the owner" path (the key holds another
# token), so each one reads, compares and answers without changing the
# data: the same work in all three rows.
# Starts and stops both servers itself in a temporary directory; run from the
# repository root (make bench does). Tunables: SCRIPT_N (requests per row),
# SCRIPT_ROUNDS (runs per row; the best counts).
set -euo pipefail

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
N=${SCRIPT_N:-200000}
ROUNDS=${SCRIPT_ROUNDS:-2}
CLIENTS=50
BENCH_TIMEOUT=90 # s, per redis-benchmark run
# redis-py's Lock.LUA_RELEASE_SCRIPT (redis/lock.py), byte for byte.
RELEASE='
        local token = redis.call('"'"'get'"'"', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('"'"'del'"'"', KEYS[1])
        return 1
    '

die() { echo "script.sh: $*" >&2; exit 1; }

for t in "$CACHIFYD" redis-server redis-cli redis-benchmark; do
	command -v "$t" >/dev/null || die "$t not found (make all; apt-get install redis-server redis-tools)"
done

DIR=$(mktemp -d "${TMPDIR:-/tmp}/cachify-script.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

C_SOCK=$DIR/cachifyd.sock
R_SOCK=$DIR/redis.sock

wait_ready() {
	local tries
	for tries in $(seq 100); do
		kill -0 "$2" 2>/dev/null || die "$3 exited at startup"
		[ "$(redis-cli -s "$1" PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	die "$3 did not answer PING on $1 within 10 s (tries: $tries)"
}

"$CACHIFYD" -s "$C_SOCK" --loglevel warning &
C_PID=$!
PIDS+=("$C_PID")
redis-server --port 0 --unixsocket "$R_SOCK" --save '' --appendonly no \
	--daemonize no --dir "$DIR" --logfile "$DIR/redis.log" &
R_PID=$!
PIDS+=("$R_PID")
wait_ready "$C_SOCK" "$C_PID" cachifyd
wait_ready "$R_SOCK" "$R_PID" redis-server

# The held lock: a plain key on both for the script, a real lock on
# cachifyd for LOCK.RELEASE (DETACH: it outlives redis-cli's connection).
C_SHA=$(redis-cli -s "$C_SOCK" SCRIPT LOAD "$RELEASE")
R_SHA=$(redis-cli -s "$R_SOCK" SCRIPT LOAD "$RELEASE")
[ "$C_SHA" = "$R_SHA" ] || die "SCRIPT LOAD: cachifyd $C_SHA, redis-server $R_SHA"
redis-cli -s "$C_SOCK" SET lk owner-token >/dev/null
redis-cli -s "$R_SOCK" SET lk owner-token >/dev/null
redis-cli -s "$C_SOCK" LOCK.ACQUIRE held TOKEN owner-token DETACH >/dev/null
[ "$(redis-cli -s "$C_SOCK" EVALSHA "$C_SHA" 1 lk other)" = 0 ] || die "cachifyd: release by a non-owner did not answer 0"
[ "$(redis-cli -s "$R_SOCK" EVALSHA "$R_SHA" 1 lk other)" = 0 ] || die "redis-server: release by a non-owner did not answer 0"

# rps SOCK ARGS...: the best requests/s of ROUNDS runs.
rps() {
	local sock=$1 best=0 r out
	shift
	for r in $(seq "$ROUNDS"); do
		out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -s "$sock" -q -n "$N" -c "$CLIENTS" "$@") ||
			die "redis-benchmark $* failed"
		r=$(echo "$out" | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1)
		[ -n "$r" ] || die "no result from redis-benchmark $*: $out"
		best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
	done
	echo "$best"
}

C_EVAL=$(rps "$C_SOCK" EVALSHA "$C_SHA" 1 lk other)
C_LOCK=$(rps "$C_SOCK" LOCK.RELEASE held other)
R_EVAL=$(rps "$R_SOCK" EVALSHA "$R_SHA" 1 lk other)

# Nothing was released: every request took the not-owner path.
[ "$(redis-cli -s "$C_SOCK" GET lk)" = owner-token ] || die "cachifyd: the key changed"
[ "$(redis-cli -s "$R_SOCK" GET lk)" = owner-token ] || die "redis-server: the key changed"

echo "script.sh: release by a non-owner, $CLIENTS clients, unpipelined, best of $ROUNDS x $N requests"
printf '%-40s %14s %10s\n' "row" "requests/s" "vs redis"
printf '%-40s %14.0f %9.2fx\n' "redis-server EVALSHA (redis-py release)" "$R_EVAL" 1
printf '%-40s %14.0f %9.2fx\n' "cachifyd EVALSHA (redis-py release)" "$C_EVAL" \
	"$(awk -v a="$C_EVAL" -v b="$R_EVAL" 'BEGIN { print a / b }')"
printf '%-40s %14.0f %9.2fx\n' "cachifyd LOCK.RELEASE" "$C_LOCK" \
	"$(awk -v a="$C_LOCK" -v b="$R_EVAL" 'BEGIN { print a / b }')"
