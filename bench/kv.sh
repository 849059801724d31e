#!/usr/bin/env bash
# kv.sh - cachifyd against redis-server on Unix sockets, in one run: the
# redis-benchmark tests that apply to cachifyd's data types (unpipelined and
# -P 16), MULTI/EXEC transactions pipelined (build/lockbench multi), and RSS
# for 1M keys.
# Starts and stops both servers itself in a temporary directory; run from the
# repository root (make bench does). Tunables: KV_N, KV_NP (requests per test
# unpipelined / pipelined), KV_ROUNDS (runs per cell), KV_KEYS (memory test),
# KV_TESTS (redis-benchmark -t list), KV_MULTI_SECONDS (per MULTI/EXEC run).
set -euo pipefail

BENCH_NAME=kv
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
N=${KV_N:-200000}		# requests per test, unpipelined
NP=${KV_NP:-1000000}		# requests per test, -P 16
KEYS=${KV_KEYS:-1000000}	# keys for the memory test
ROUNDS=${KV_ROUNDS:-2}		# runs per cell; the best counts
CLIENTS=50
# redis-benchmark's default list minus what needs lists, sets, hashes or
# sorted sets (not in cachifyd yet).
TESTS=${KV_TESTS:-ping_inline,ping_mbulk,set,get,incr,mset}
MULTI_SECONDS=${KV_MULTI_SECONDS:-3}
MULTI_DEPTH=16			# transactions written at once per connection
LOCKBENCH=${LOCKBENCH:-$BUILD/lockbench}
BENCH_TIMEOUT=90		# s, per redis-benchmark run

need "$CACHIFYD" "$LOCKBENCH" redis-server redis-cli redis-benchmark

# ---- throughput ------------------------------------------------------------

# multi SOCK: prints "MULTI/EXEC tx/s" (MULTI_DEPTH transactions in flight
# per connection, each MULTI, SET, INCR, EXEC with its replies checked).
multi() {
	local out
	out=$(timeout "$BENCH_TIMEOUT" "$LOCKBENCH" multi "$1" "$CLIENTS" "$MULTI_SECONDS" \
		"$MULTI_DEPTH") || die "lockbench multi on $1 failed or timed out"
	echo "MULTI/EXEC $(echo "$out" | sed -n 's/.*tx_per_s=\([0-9]*\).*/\1/p')"
}

start_servers
NTESTS=$(echo "$TESTS" | tr , '\n' | wc -l)
echo "kv.sh: redis-benchmark -c $CLIENTS -r 100000 -t $TESTS; -n $N unpipelined, -n $NP with -P 16;"
echo "kv.sh: MULTI/EXEC: $CLIENTS connections x $MULTI_DEPTH transactions in flight, ${MULTI_SECONDS} s;"
echo "kv.sh: each cell is the best of $ROUNDS runs, servers alternating"
for round in $(seq "$ROUNDS"); do
	for p in 1 16; do
		n=$N
		[ "$p" = 1 ] || n=$NP
		if [ $((round % 2)) = 1 ]; then order="cachifyd redis"; else order="redis cachifyd"; fi
		for s in $order; do
			if [ "$s" = cachifyd ]; then sock=$C_SOCK; else sock=$R_SOCK; fi
			rb_bench "$sock" "$p" "$n" > "$DIR/rows"
			[ "$(wc -l < "$DIR/rows")" = "$NTESTS" ] ||
				die "not $NTESTS rows from redis-benchmark on $s: $(cat "$DIR/rows")"
			record "$s" "$p" < "$DIR/rows"
			if [ "$p" = 16 ]; then
				record "$s" "$p" < <(multi "$sock")
			fi
		done
	done
done

echo
printf '%-22s %14s %14s %18s\n' test "cachifyd rps" "redis rps" "cachifyd/redis"
ROWS=$(awk '{ print $1 }' "$DIR/rows" | grep -v MULTI/EXEC)
for p in 1 16; do
	for t in $ROWS $([ "$p" = 16 ] && echo MULTI/EXEC); do
		c=${BEST[cachifyd,$p,$t]} r=${BEST[redis,$p,$t]}
		if [ "$p" = 1 ]; then name=$t; else name="$t -P 16"; fi
		[ "$t" = MULTI/EXEC ] && name="MULTI/EXEC tx"
		printf '%-22s %14.0f %14.0f %17.2fx\n' "$name" "$c" "$r" \
			"$(awk -v a="$c" -v b="$r" 'BEGIN { print a / b }')"
	done
done

# ---- memory ----------------------------------------------------------------

# Fresh servers, so the throughput run's keys and allocator state do not count.
stop_servers
start_servers

# 16-byte keys ("key:" + 12 digits), 32-byte values, as one RESP stream.
awk -v n="$KEYS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\nvalue:%026d\r\n", i, i
}' > "$DIR/load.resp"

# load NAME SOCK PID: prints "before after" RSS in kB.
load() {
	local before after out dbsize
	before=$(rss_kb "$3")
	out=$(timeout 120 redis-cli -s "$2" --pipe < "$DIR/load.resp" 2>&1) ||
		{ echo "$out" >&2; die "redis-cli --pipe into $1 failed or timed out"; }
	echo "$out" | grep -q "errors: 0, replies: $KEYS" ||
		{ echo "$out" >&2; die "redis-cli --pipe into $1: errors or missing replies"; }
	dbsize=$(redis-cli -s "$2" DBSIZE)
	[ "$dbsize" = "$KEYS" ] || die "$1: DBSIZE is '$dbsize' after the load, expected $KEYS"
	sleep 0.5	# let a lazily freeing allocator settle
	after=$(rss_kb "$3")
	echo "$before $after"
}

load cachifyd "$C_SOCK" "$C_PID" > "$DIR/rss.cachifyd"
load redis-server "$R_SOCK" "$R_PID" > "$DIR/rss.redis"
read -r c_before c_after < "$DIR/rss.cachifyd"
read -r r_before r_after < "$DIR/rss.redis"

echo
echo "kv.sh: memory, $KEYS keys of 16 bytes with 32-byte values (VmRSS, MiB); DBSIZE = $KEYS on both"
printf '%-12s %14s %14s %18s\n' "" cachifyd redis cachifyd/redis
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '%-12s %14s %14s %18s\n' "RSS before" "$(mib "$c_before")" "$(mib "$r_before")" "-"
printf '%-12s %14s %14s %17.2fx\n' "RSS after" "$(mib "$c_after")" "$(mib "$r_after")" \
	"$(awk -v a="$c_after" -v b="$r_after" 'BEGIN { print a / b }')"
printf '%-12s %14s %14s %17.2fx\n' "delta" "$(mib $((c_after - c_before)))" \
	"$(mib $((r_after - r_before)))" \
	"$(awk -v a=$((c_after - c_before)) -v b=$((r_after - r_before)) 'BEGIN { print a / b }')"
printf '%-12s %14.1f %14.1f %18s\n' "bytes/key" \
	"$(awk -v k=$((c_after - c_before)) -v n="$KEYS" 'BEGIN { print k * 1024 / n }')" \
	"$(awk -v k=$((r_after - r_before)) -v n="$KEYS" 'BEGIN { print k * 1024 / n }')" "-"
stop_servers
