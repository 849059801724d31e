#!/usr/bin/env bash
# lock.sh - lock handoff latency and lock/pool throughput: cachifyd against
# flock(2) and against the SET NX + 100 ms polling a Redis backend needs.
# Starts and stops cachifyd and redis-server itself in a temporary directory;
# drives them with build/lockbench. Run from the repository root (make bench
# does). Tunables: LOCK_N (handoffs), LOCK_KILL_N, LOCK_POLL_N,
# LOCK_CLIENTS, LOCK_SECONDS (per pairs run), LOCK_ROUNDS (runs per row).
set -euo pipefail

BENCH_NAME=lock
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
LOCKBENCH=${LOCKBENCH:-$BUILD/lockbench}
N=${LOCK_N:-2000}
KILL_N=${LOCK_KILL_N:-200}
POLL_N=${LOCK_POLL_N:-20}
CLIENTS=${LOCK_CLIENTS:-50}
SECONDS_PER=${LOCK_SECONDS:-5}
ROUNDS=${LOCK_ROUNDS:-2}		# runs per row (not redis polling); the best counts
RUN_TIMEOUT=60			# s, per lockbench run

need "$CACHIFYD" "$LOCKBENCH" redis-server redis-cli

start_servers

# run NAME ARGS...: runs lockbench, keeps its one result line in $DIR/NAME.
run() {
	local name=$1
	shift
	timeout "$RUN_TIMEOUT" "$LOCKBENCH" "$@" > "$DIR/$name" ||
		die "lockbench $* failed (status $?)"
	kill -0 "$C_PID" 2>/dev/null || die "cachifyd died during lockbench $1"
	kill -0 "$R_PID" 2>/dev/null || die "redis-server died during lockbench $1"
}


# measure NAME ROUND: one run of test NAME; $DIR/NAME keeps the best run so
# far (lowest p50 for latencies, highest pairs/s for throughput).
measure() {
	local key=p50_us sign=-1 new cur
	case $1 in
	h_cachify) run "$1.$2" handoff-cachify "$C_SOCK" "$N" ;;
	h_flock) run "$1.$2" handoff-flock "$DIR/flock.lock" "$N" ;;
	h_kill) run "$1.$2" kill-cachify "$C_SOCK" "$KILL_N" ;;
	r_cachify) run "$1.$2" rtt "$C_SOCK" "$N" ;;
	r_redis) run "$1.$2" rtt "$R_SOCK" "$N" ;;
	h_poll) run "$1.$2" handoff-redis-poll "$R_SOCK" "$POLL_N" ;;
	p_lock) run "$1.$2" pairs-cachify "$C_SOCK" "$CLIENTS" "$SECONDS_PER" lock ;;
	p_pool) run "$1.$2" pairs-cachify "$C_SOCK" "$CLIENTS" "$SECONDS_PER" pool ;;
	p_redis) run "$1.$2" pairs-redis "$R_SOCK" "$CLIENTS" "$SECONDS_PER" ;;
	esac
	case $1 in p_*) key=pairs_per_s sign=1 ;; esac
	if [ ! -f "$DIR/$1" ]; then
		cp "$DIR/$1.$2" "$DIR/$1"
		return
	fi
	# In tenths of a microsecond for latencies (one decimal printed).
	new=$(field "$DIR/$1.$2" "$key" | tr -d .)
	cur=$(field "$DIR/$1" "$key" | tr -d .)
	if ((sign * 10#$new > sign * 10#$cur)); then
		cp "$DIR/$1.$2" "$DIR/$1"
	fi
}

echo "lock.sh: handoffs N=$N (flock N=$N, kill -9 N=$KILL_N, redis polling N=$POLL_N);" \
	"pairs: $CLIENTS clients x ${SECONDS_PER} s, unpipelined"
echo "lock.sh: every row but redis polling is the best of $ROUNDS runs, order reversed each round"
for round in $(seq "$ROUNDS"); do
	order="h_cachify h_flock h_kill r_cachify r_redis p_lock p_pool p_redis"
	[ $((round % 2)) = 1 ] || order="p_redis p_pool p_lock r_redis r_cachify h_kill h_flock h_cachify"
	for t in $order; do
		measure "$t" "$round"
	done
done
measure h_poll 1

# Nothing may be left behind: session locks and pools die with their clients.
left=$(redis-cli -s "$C_SOCK" DBSIZE)
[ "$left" = 0 ] || die "cachifyd still has $left keys after every client closed"

fp50=$(field "$DIR/h_flock" p50_us)
fp99=$(field "$DIR/h_flock" p99_us)
echo
printf '%-34s %10s %10s %10s %12s %12s\n' "handoff (release -> waiter runs)" \
	"p50 us" "p99 us" "mean us" "p50/flock" "p99/flock"
row() { # LABEL NAME [no ratio]
	local p50 p99 r50=- r99=-
	p50=$(field "$DIR/$2" p50_us)
	p99=$(field "$DIR/$2" p99_us)
	if [ -z "${3:-}" ]; then
		r50=$(ratio "$p50" "$fp50")
		r99=$(ratio "$p99" "$fp99")
	fi
	printf '%-34s %10s %10s %10s %12s %12s\n' "$1" "$p50" "$p99" "$(field "$DIR/$2" mean_us)" \
		"$r50" "$r99"
}
row "cachifyd LOCK.ACQUIRE WAIT 0" h_cachify
row "flock(2) LOCK_EX" h_flock
row "redis SET NX PX + 100 ms poll" h_poll
row "cachifyd, holder killed -9" h_kill no-ratio
row "(floor) cachifyd PING round trip" r_cachify
row "(floor) redis PING round trip" r_redis

rp=$(field "$DIR/p_redis" pairs_per_s)
echo
printf '%-34s %10s %10s\n' "acquire + release, $CLIENTS clients" "pairs/s" "vs redis"
prow() { # LABEL NAME
	local v
	v=$(field "$DIR/$2" pairs_per_s)
	printf '%-34s %10s %10s\n' "$1" "$v" "$(ratio "$v" "$rp")"
}
prow "cachifyd LOCK.ACQUIRE + RELEASE" p_lock
prow "cachifyd POOL.ACQUIRE 4 + RELEASE" p_pool
prow "redis SET NX PX 30000 + DEL" p_redis

echo
hp50=$(field "$DIR/h_cachify" p50_us)
kp50=$(field "$DIR/h_kill" p50_us)
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
echo "targets (DESIGN.md):"
echo "  handoff p50 within 2x flock:  $(verdict "$hp50 <= 2 * $fp50") ($(ratio "$hp50" "$fp50"))"
echo "  killed holder p50 <= 2 ms:    $(verdict "$kp50 <= 2000") (${kp50} us)"
