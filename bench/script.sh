#!/usr/bin/env bash
# script.sh - what a Redis lock library's scripts cost, in one run: redis-py's
# lock-release script by EVALSHA on redis-server and on cachifyd
# (redis-benchmark, a release by a non-owner: reads, compares, changes
# nothing), and whole lock cycles as redis-py runs them (SET NX PX, then the
# release script) on both, next to cachifyd's LOCK.ACQUIRE + LOCK.RELEASE
# (build/lockbench). 50 clients, one request in flight each.
# Starts and stops both servers itself in a temporary directory; run from the
# repository root (make bench does). Tunables: SCRIPT_N (redis-benchmark
# requests per row), SCRIPT_SECONDS (per lockbench run), SCRIPT_ROUNDS (runs
# per row; the best counts).
set -euo pipefail

BENCH_NAME=script
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
N=${SCRIPT_N:-200000}
ROUNDS=${SCRIPT_ROUNDS:-2}
SECONDS_PER=${SCRIPT_SECONDS:-3}
LOCKBENCH=${LOCKBENCH:-$BUILD/lockbench}
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

need "$CACHIFYD" "$LOCKBENCH" redis-server redis-cli redis-benchmark

start_servers

# The held lock of the non-owner rows: a plain key holding its owner's token.
C_SHA=$(redis-cli -s "$C_SOCK" SCRIPT LOAD "$RELEASE")
R_SHA=$(redis-cli -s "$R_SOCK" SCRIPT LOAD "$RELEASE")
[ "$C_SHA" = "$R_SHA" ] || die "SCRIPT LOAD: cachifyd $C_SHA, redis-server $R_SHA"
redis-cli -s "$C_SOCK" SET lk owner-token >/dev/null
redis-cli -s "$R_SOCK" SET lk owner-token >/dev/null
[ "$(redis-cli -s "$C_SOCK" EVALSHA "$C_SHA" 1 lk other)" = 0 ] || die "cachifyd: release by a non-owner did not answer 0"
[ "$(redis-cli -s "$R_SOCK" EVALSHA "$R_SHA" 1 lk other)" = 0 ] || die "redis-server: release by a non-owner did not answer 0"

# rps SOCK ARGS...: the best requests/s of ROUNDS redis-benchmark runs.
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

# pairs MODE SOCK ARGS...: the best pairs/s of ROUNDS lockbench runs.
pairs() {
	local mode=$1 sock=$2 best=0 r out
	shift 2
	for r in $(seq "$ROUNDS"); do
		out=$(timeout "$BENCH_TIMEOUT" "$LOCKBENCH" "$mode" "$sock" "$CLIENTS" "$SECONDS_PER" "$@") ||
			die "lockbench $mode failed: $out"
		r=$(echo "$out" | grep -o 'pairs_per_s=[0-9]*' | cut -d= -f2)
		[ -n "$r" ] || die "no result from lockbench $mode: $out"
		best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
	done
	echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

R_EVAL=$(rps "$R_SOCK" EVALSHA "$R_SHA" 1 lk other)
C_EVAL=$(rps "$C_SOCK" EVALSHA "$C_SHA" 1 lk other)
R_PAIRS=$(pairs pairs-script "$R_SOCK" "$R_SHA")
C_PAIRS=$(pairs pairs-script "$C_SOCK" "$C_SHA")
C_LOCK=$(pairs pairs-cachify "$C_SOCK" lock)

# Nothing was released by a non-owner.
[ "$(redis-cli -s "$C_SOCK" GET lk)" = owner-token ] || die "cachifyd: the key changed"
[ "$(redis-cli -s "$R_SOCK" GET lk)" = owner-token ] || die "redis-server: the key changed"

echo "script.sh: $CLIENTS clients, one request in flight each; best of $ROUNDS runs"
printf '%-58s %12s %9s\n' "row" "per second" "vs redis"
printf '%-58s %12.0f %8sx\n' "redis-server: EVALSHA release by a non-owner (requests)" "$R_EVAL" 1.00
printf '%-58s %12.0f %8sx\n' "cachifyd:     EVALSHA release by a non-owner (requests)" "$C_EVAL" \
	"$(ratio "$C_EVAL" "$R_EVAL")"
printf '%-58s %12.0f %8sx\n' "redis-server: SET NX PX + EVALSHA release (pairs)" "$R_PAIRS" 1.00
printf '%-58s %12.0f %8sx\n' "cachifyd:     SET NX PX + EVALSHA release (pairs)" "$C_PAIRS" \
	"$(ratio "$C_PAIRS" "$R_PAIRS")"
printf '%-58s %12.0f %8sx\n' "cachifyd:     LOCK.ACQUIRE + LOCK.RELEASE (pairs)" "$C_LOCK" \
	"$(ratio "$C_LOCK" "$R_PAIRS")"
