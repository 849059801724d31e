#!/usr/bin/env bash
# lib.sh - locks and pools through libcachify: cachify_lock_run and
# cachify_pooled calls per second (build/libbench, THREADS threads sharing
# one instance over the cachifyd client) next to the raw LOCK.ACQUIRE +
# RELEASE and POOL.ACQUIRE + RELEASE pairs per second on the same daemon,
# driven two ways: build/lockbench's one epoll loop over THREADS connections
# (the daemon's ceiling), and THREADS threads each blocking on its own socket
# (libbench raw-*: what any thread-per-call client pays in wakeups). Each
# library call is one pair, so "vs threads" is what the library itself
# costs. Starts and stops its own cachifyd in a temporary directory. Run
# from the repository root (make bench does).
# Tunables: LIB_THREADS (default 50), LIB_SECONDS (per run, default 3),
# LIB_ROUNDS (runs per row, default 2; the best counts).
set -euo pipefail

BENCH_NAME=lib
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
LOCKBENCH=${LOCKBENCH:-$BUILD/lockbench}
LIBBENCH=${LIBBENCH:-$BUILD/libbench}
THREADS=${LIB_THREADS:-50}
SECONDS_PER=${LIB_SECONDS:-3}
ROUNDS=${LIB_ROUNDS:-2}
RUN_TIMEOUT=60			# s, per run

need "$CACHIFYD" "$LOCKBENCH" "$LIBBENCH" redis-cli

start_cachifyd
SOCK=$C_SOCK

# measure NAME ROUND CMD...: one run; $DIR/NAME keeps the best (highest rate).
measure() {
	local name=$1 round=$2 key new cur
	shift 2
	timeout "$RUN_TIMEOUT" "$@" > "$DIR/$name.$round" || die "$* failed (status $?)"
	kill -0 "$C_PID" 2>/dev/null || die "cachifyd died during $*"
	case $name in raw_*) key=pairs_per_s ;; *) key=calls_per_s ;; esac
	new=$(field "$DIR/$name.$round" "$key")
	if [ -f "$DIR/$name" ]; then
		cur=$(field "$DIR/$name" "$key")
		((new > cur)) || return 0
	fi
	cp "$DIR/$name.$round" "$DIR/$name"
}

run() { # NAME ROUND
	case $1 in
	raw_lock) measure "$1" "$2" "$LOCKBENCH" pairs-cachify "$SOCK" "$THREADS" "$SECONDS_PER" lock ;;
	raw_pool) measure "$1" "$2" "$LOCKBENCH" pairs-cachify "$SOCK" "$THREADS" "$SECONDS_PER" pool ;;
	thr_lock) measure "$1" "$2" "$LIBBENCH" raw-lock "$SOCK" "$THREADS" "$SECONDS_PER" 0 ;;
	thr_pool) measure "$1" "$2" "$LIBBENCH" raw-pool "$SOCK" "$THREADS" "$SECONDS_PER" 0 ;;
	lib_lock) measure "$1" "$2" "$LIBBENCH" lock "$SOCK" "$THREADS" "$SECONDS_PER" "$THREADS" ;;
	lib_lock4) measure "$1" "$2" "$LIBBENCH" lock "$SOCK" "$THREADS" "$SECONDS_PER" 4 ;;
	lib_pool) measure "$1" "$2" "$LIBBENCH" pooled "$SOCK" "$THREADS" "$SECONDS_PER" "$THREADS" ;;
	lib_pool4) measure "$1" "$2" "$LIBBENCH" pooled "$SOCK" "$THREADS" "$SECONDS_PER" 4 ;;
	esac
}

echo "lib.sh: $THREADS threads or connections x ${SECONDS_PER} s, uncontended (a key each)," \
	"best of $ROUNDS runs, order reversed each round"
for round in $(seq "$ROUNDS"); do
	order="raw_lock thr_lock lib_lock lib_lock4 raw_pool thr_pool lib_pool lib_pool4"
	[ $((round % 2)) = 1 ] ||
		order="lib_pool4 lib_pool thr_pool raw_pool lib_lock4 lib_lock thr_lock raw_lock"
	for t in $order; do
		run "$t" "$round"
	done
done

left=$(redis-cli -s "$SOCK" DBSIZE)
[ "$left" = 0 ] || die "cachifyd still has $left keys after every client closed"

rl=$(field "$DIR/raw_lock" pairs_per_s)
rp=$(field "$DIR/raw_pool" pairs_per_s)
tl=$(field "$DIR/thr_lock" calls_per_s)
tp=$(field "$DIR/thr_pool" calls_per_s)
echo
printf '%-50s %10s %9s %11s\n' "acquire + release pairs, $THREADS at once" "per s" "vs epoll" "vs threads"
row() { # LABEL NAME KEY EPOLL THREADS
	local v
	v=$(field "$DIR/$2" "$3")
	printf '%-50s %10s %9s %11s\n' "$1" "$v" "$(ratio "$v" "$4")" "$(ratio "$v" "$5")"
}
row "raw LOCK.*, one epoll loop (lockbench)" raw_lock pairs_per_s "$rl" "$tl"
row "raw LOCK.*, a blocking thread each (libbench)" thr_lock calls_per_s "$rl" "$tl"
row "cachify_lock_run, max_idle $THREADS" lib_lock calls_per_s "$rl" "$tl"
row "cachify_lock_run, max_idle 4 (default)" lib_lock4 calls_per_s "$rl" "$tl"
row "raw POOL.* 4, one epoll loop (lockbench)" raw_pool pairs_per_s "$rp" "$tp"
row "raw POOL.* 4, a blocking thread each (libbench)" thr_pool calls_per_s "$rp" "$tp"
row "cachify_pooled, max_idle $THREADS" lib_pool calls_per_s "$rp" "$tp"
row "cachify_pooled, max_idle 4 (default)" lib_pool4 calls_per_s "$rp" "$tp"
