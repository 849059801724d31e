#!/usr/bin/env bash
# async.sh - libcachify's async face on ONE thread against its blocking face
# on ASYNC_THREADS threads (default 50), on one cachifyd, in the same run
# (build/asyncbench): lock acquire + release pairs per second, cached hits
# per second, and what N concurrent lock waits on one thread cost the client
# (heap from mallinfo2, and RSS) before they are all granted.
# The async rows run ASYNC_THREADS chains (the same concurrency) and 4x as
# many (what one thread affords: a chain costs a few hundred bytes, a
# thread a stack). Starts and stops its own cachifyd in a temporary
# directory. Run from the repository root (make bench does).
# Tunables: ASYNC_THREADS (50), ASYNC_SECONDS (per run, 3), ASYNC_ROUNDS
# (runs per row, 2; the best counts), ASYNC_WAITS (10000).
set -euo pipefail

BENCH_NAME=async
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
ASYNCBENCH=${ASYNCBENCH:-$BUILD/asyncbench}
THREADS=${ASYNC_THREADS:-50}
SECONDS_PER=${ASYNC_SECONDS:-3}
ROUNDS=${ASYNC_ROUNDS:-2}
WAITS=${ASYNC_WAITS:-10000}
RUN_TIMEOUT=120			# s, per run

need "$CACHIFYD" "$ASYNCBENCH" redis-cli
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > WAITS + 100 )) || die "ulimit -n $(ulimit -n) is too low for $WAITS waits"

start_cachifyd --maxclients $((WAITS + 1000))
SOCK=$C_SOCK

measure() { # NAME ROUND ARGS...: $DIR/NAME keeps the best run
	local name=$1 round=$2 new cur
	shift 2
	timeout "$RUN_TIMEOUT" "$ASYNCBENCH" "$@" > "$DIR/$name.$round" || die "asyncbench $* failed"
	kill -0 "$C_PID" 2>/dev/null || die "cachifyd died during asyncbench $*"
	new=$(field "$DIR/$name.$round" ops_per_s)
	if [ -f "$DIR/$name" ]; then
		cur=$(field "$DIR/$name" ops_per_s)
		((new > cur)) || return 0
	fi
	cp "$DIR/$name.$round" "$DIR/$name"
}

echo "async.sh: one thread (async) vs $THREADS threads (blocking) x ${SECONDS_PER} s," \
	"a key each, best of $ROUNDS runs, order reversed each round"
for round in $(seq "$ROUNDS"); do
	order="lb la la4 cb ca ca4"
	[ $((round % 2)) = 1 ] || order="ca4 ca cb la4 la lb"
	for t in $order; do
		case $t in
		lb) measure lb "$round" lock-blocking "$SOCK" "$THREADS" "$SECONDS_PER" ;;
		la) measure la "$round" lock-async "$SOCK" "$THREADS" "$SECONDS_PER" ;;
		la4) measure la4 "$round" lock-async "$SOCK" $((4 * THREADS)) "$SECONDS_PER" ;;
		cb) measure cb "$round" cached-blocking "$SOCK" "$THREADS" "$SECONDS_PER" ;;
		ca) measure ca "$round" cached-async "$SOCK" "$THREADS" "$SECONDS_PER" ;;
		ca4) measure ca4 "$round" cached-async "$SOCK" $((4 * THREADS)) "$SECONDS_PER" ;;
		esac
	done
done
timeout "$RUN_TIMEOUT" "$ASYNCBENCH" waits "$SOCK" "$WAITS" > "$DIR/waits" || die "asyncbench waits failed"
redis-cli -s "$SOCK" DEL PYC-ab:w-lock >/dev/null

lb=$(field "$DIR/lb" ops_per_s)
cb=$(field "$DIR/cb" ops_per_s)
echo
printf '%-58s %10s %12s\n' "" "per s" "vs blocking"
row() { # LABEL NAME BASE
	local v
	v=$(field "$DIR/$2" ops_per_s)
	printf '%-58s %10s %12s\n' "$1" "$v" "$(ratio "$v" "$3")"
}
row "lock acquire+release, blocking, $THREADS threads" lb "$lb"
row "lock acquire+release, async, 1 thread, $THREADS chains" la "$lb"
row "lock acquire+release, async, 1 thread, $((4 * THREADS)) chains" la4 "$lb"
row "cached hits, blocking, $THREADS threads" cb "$cb"
row "cached hits, async, 1 thread, $THREADS chains" ca "$cb"
row "cached hits, async, 1 thread, $((4 * THREADS)) chains" ca4 "$cb"
echo
echo "$WAITS concurrent lock waits on one thread:" \
	"$(field "$DIR/waits" heap_bytes_per_wait) B heap and" \
	"$(field "$DIR/waits" rss_bytes_per_wait) B RSS each (target < 2048)," \
	"all $(field "$DIR/waits" granted) granted, $(field "$DIR/waits" handoffs_per_s) handoffs/s"
