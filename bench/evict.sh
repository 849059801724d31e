#!/usr/bin/env bash
# evict.sh - maxmemory policies of cachifyd against redis-server's, in one
# run: the same Zipf cache workload (build/evictbench: GET, SET on a miss)
# under each policy, with maxmemory a quarter of the working set; reports the
# hit ratio, the keys each server holds at the end and the commands per
# second, and a row without a limit for what eviction costs. Starts and
# stops both servers itself in a temporary directory; run from the
# repository root (make bench does). Tunables: EVICT_REQUESTS, EVICT_KEYS,
# EVICT_ZIPF, EVICT_SEED, EVICT_WARMUP, EVICT_FRACTION (maxmemory as a
# fraction of the working set), EVICT_POLICIES, EVICT_ROUNDS (runs per row;
# the best ops/s counts).
set -euo pipefail

BENCH_NAME=evict
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
EVICTBENCH=${EVICTBENCH:-$BUILD/evictbench}
REQUESTS=${EVICT_REQUESTS:-1000000}
KEYS=${EVICT_KEYS:-100000}
ZIPF=${EVICT_ZIPF:-0.99}
SEED=${EVICT_SEED:-1}
WARMUP=${EVICT_WARMUP:-200000}	# requests that fill the cache, not counted
FRACTION=${EVICT_FRACTION:-0.25}
POLICIES=${EVICT_POLICIES:-"unlimited allkeys-lru allkeys-lfu allkeys-random volatile-lru volatile-lfu volatile-random volatile-ttl"}
ROUNDS=${EVICT_ROUNDS:-2}
TTL=3600			# s, on every key for the volatile-* rows
RUN_TIMEOUT=300			# s, per run

need "$CACHIFYD" "$EVICTBENCH" redis-server redis-cli

HZ=$(getconf CLK_TCK)
bytes=$("$EVICTBENCH" size "$KEYS" "$SEED" | sed -n 's/.*bytes=//p')
MAXMEMORY=$(awk -v b="$bytes" -v f="$FRACTION" 'BEGIN { printf "%d", b * f }')

echo "evict.sh: $REQUESTS GETs (SET on a miss) over $KEYS keys, Zipf s=$ZIPF, values 100-1000" \
	"bytes ($bytes in all), seed $SEED; the first $WARMUP fill the cache and are not counted"
echo "evict.sh: maxmemory $MAXMEMORY bytes ($FRACTION of the values); volatile-* rows set" \
	"EX $TTL on every key; ops/s: best of $ROUNDS fresh runs, servers alternating"
# cpu_ticks PID: user + system CPU time the process used so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run_one NAME SOCK PID TTL POLICY: one evictbench run into $DIR/NAME (kept
# only if its ops/s beat an earlier round's), with the server's CPU time per
# command (cpu_us=), and $DIR/NAME.keys.
run_one() {
	local t0 t1
	t0=$(cpu_ticks "$3")
	timeout "$RUN_TIMEOUT" "$EVICTBENCH" run "$2" "$REQUESTS" "$KEYS" "$ZIPF" "$4" "$SEED" \
		"$WARMUP" > "$DIR/$1.new" || die "evictbench on $1 ($5) failed (status $?)"
	kill -0 "$3" 2>/dev/null || die "$1 died during $5"
	t1=$(cpu_ticks "$3")
	awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$(field "$DIR/$1.new" commands)" \
		'BEGIN { printf " cpu_us=%.2f\n", t * 1e6 / hz / n }' >> "$DIR/$1.new"
	redis-cli -s "$2" DBSIZE > "$DIR/$1.keys"
	[ "$(field "$DIR/$1.new" ooms)" = 0 ] || echo "evict.sh: $1 refused SETs under $5" >&2
	if [ ! -f "$DIR/$1" ] || awk -v a="$(field "$DIR/$1.new" ops_per_s)" \
		-v b="$(field "$DIR/$1" ops_per_s)" 'BEGIN { exit !(a > b) }'; then
		mv "$DIR/$1.new" "$DIR/$1"
	fi
}

echo
printf '%-16s %8s %8s %6s %8s %8s %9s %10s %10s %6s %7s %7s\n' policy "hit cfyd" "hit red" \
	ratio "keys cfy" "keys red" "hit @red" "ops/s cfy" "ops/s red" ratio "us cfy" "us red"
n=0
for p in $POLICIES; do
	mem=$MAXMEMORY policy=$p ttl=0
	if [ "$p" = unlimited ]; then
		mem=0 policy=noeviction
	fi
	case $p in volatile-*) ttl=$TTL ;; esac
	rm -f "$DIR/cachifyd" "$DIR/redis" "$DIR/scaled"
	for round in $(seq "$ROUNDS"); do
		start_servers --maxmemory "$mem" --maxmemory-policy "$policy"
		if [ $(((n + round) % 2)) = 1 ]; then
			run_one cachifyd "$C_SOCK" "$C_PID" "$ttl" "$p"
			run_one redis "$R_SOCK" "$R_PID" "$ttl" "$p"
		else
			run_one redis "$R_SOCK" "$R_PID" "$ttl" "$p"
			run_one cachifyd "$C_SOCK" "$C_PID" "$ttl" "$p"
		fi
		stop_servers
	done
	ck=$(cat "$DIR/cachifyd.keys") rk=$(cat "$DIR/redis.keys")
	at=-
	if [ "$mem" != 0 ]; then
		# cachifyd again with maxmemory scaled to hold as many keys as
		# redis-server did: the policies compared apart from memory use.
		start_servers --maxmemory "$(awk -v m="$mem" -v c="$ck" -v r="$rk" 'BEGIN { printf "%d", m * r / c }')" --maxmemory-policy "$policy"
		run_one scaled "$C_SOCK" "$C_PID" "$ttl" "$p"
		stop_servers
		at=$(field "$DIR/scaled" hit_ratio)
		[ "$p" != allkeys-lru ] || LRU_KEYS=$rk
	fi
	ch=$(field "$DIR/cachifyd" hit_ratio) rh=$(field "$DIR/redis" hit_ratio)
	co=$(field "$DIR/cachifyd" ops_per_s) ro=$(field "$DIR/redis" ops_per_s)
	printf '%-16s %8s %8s %5.2fx %8s %8s %9s %10s %10s %5.2fx %7s %7s\n' "$p" "$ch" "$rh" \
		"$(awk -v a="$ch" -v b="$rh" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
		"$ck" "$rk" "$at" "$co" "$ro" "$(awk -v a="$co" -v b="$ro" 'BEGIN { print a / b }')" \
		"$(field "$DIR/cachifyd" cpu_us)" "$(field "$DIR/redis" cpu_us)"
	n=$((n + 1))
done
if [ -n "${LRU_KEYS:-}" ]; then
	"$EVICTBENCH" lru "$LRU_KEYS" "$REQUESTS" "$KEYS" "$ZIPF" "$SEED" "$WARMUP" > "$DIR/lru"
	echo
	echo "evict.sh: exact LRU holding $LRU_KEYS keys (redis-server's allkeys-lru count)," \
		"simulated in process: hit ratio $(field "$DIR/lru" hit_ratio)"
fi
