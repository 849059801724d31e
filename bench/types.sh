#!/usr/bin/env bash
# types.sh - hashes, sorted sets and lists, cachifyd against redis-server in
# one run: redis-benchmark's tests for those types (unpipelined and -P 16),
# then memory per element for one 1M-field hash, one 1M-member sorted set
# and one 1M-item list (the big encodings), and for 100k small hashes and
# sorted sets of 10 elements (the packed ones), as VmRSS growth.
# Run from the repository root (make bench does). Tunables: TYPES_N,
# TYPES_NP (requests per test unpipelined / pipelined), TYPES_ROUNDS (runs
# per cell; the best counts), TYPES_ELEMS (elements of the big objects),
# TYPES_SMALL (small objects), TYPES_TESTS (redis-benchmark -t list).
set -euo pipefail

BENCH_NAME=types
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
N=${TYPES_N:-200000}
NP=${TYPES_NP:-1000000}
ROUNDS=${TYPES_ROUNDS:-2}
ELEMS=${TYPES_ELEMS:-1000000}
SMALL=${TYPES_SMALL:-100000}
TESTS=${TYPES_TESTS:-lpush,rpush,lpop,rpop,hset,zadd,zpopmin,lrange_100,lrange_600}
CLIENTS=50
BENCH_TIMEOUT=120		# s, per redis-benchmark run

need "$CACHIFYD" redis-server redis-cli redis-benchmark

start_servers
echo "types.sh: redis-benchmark -c $CLIENTS -r 100000 -t $TESTS; -n $N unpipelined, -n $NP with -P 16;"
echo "types.sh: each cell is the best of $ROUNDS runs, servers alternating"
for round in $(seq "$ROUNDS"); do
	for p in 1 16; do
		n=$N
		[ "$p" = 1 ] || n=$NP
		if [ $((round % 2)) = 1 ]; then order="cachifyd redis"; else order="redis cachifyd"; fi
		for s in $order; do
			if [ "$s" = cachifyd ]; then sock=$C_SOCK; else sock=$R_SOCK; fi
			redis-cli -s "$sock" FLUSHALL > /dev/null
			rb_bench "$sock" "$p" "$n" > "$DIR/rows"
			[ -s "$DIR/rows" ] || die "no rows from redis-benchmark on $s"
			record "$s" "$p" < "$DIR/rows"
		done
	done
done

echo
printf '%-26s %14s %14s %16s\n' test "cachifyd rps" "redis rps" "cachifyd/redis"
for p in 1 16; do
	while read -r t _; do
		c=${BEST[cachifyd,$p,$t]:-0} r=${BEST[redis,$p,$t]:-0}
		name=$t
		[ "$p" = 1 ] || name="$t -P 16"
		printf '%-26s %14.0f %14.0f %16s\n' "$name" "$c" "$r" "$(ratio "$c" "$r")"
	done < "$DIR/rows"
done

# ---- memory ----------------------------------------------------------------

# gen KIND COUNT: the RESP stream that builds one kind of data set.
#   hash / zset / list: one key of COUNT elements, 100 per command
#   smallhash / smallzset: COUNT keys of 10 elements each
gen() {
	awk -v kind="$1" -v n="$2" '
	function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
	BEGIN {
		if (kind == "hash" || kind == "zset" || kind == "list") {
			cmd = kind == "hash" ? "HSET" : kind == "zset" ? "ZADD" : "RPUSH"
			per = kind == "list" ? 1 : 2
			for (i = 0; i < n; i += 100) {
				m = n - i < 100 ? n - i : 100
				printf "*%d\r\n%s%s", 2 + m * per, bulk(cmd), bulk("big")
				for (j = i; j < i + m; j++) {
					if (kind == "hash")
						printf "%s%s", bulk(sprintf("field:%08d", j)), bulk(sprintf("value:%08d", j))
					else if (kind == "zset")
						printf "%s%s", bulk(j * 1.5), bulk(sprintf("member:%08d", j))
					else
						printf "%s", bulk(sprintf("item:%08d", j))
				}
			}
		} else {
			cmd = kind == "smallhash" ? "HSET" : "ZADD"
			for (i = 0; i < n; i++) {
				printf "*22\r\n%s%s", bulk(cmd), bulk(sprintf("key:%08d", i))
				for (j = 0; j < 10; j++)
					if (cmd == "HSET")
						printf "%s%s", bulk("f" j), bulk(sprintf("v%08d", j))
					else
						printf "%s%s", bulk(j), bulk(sprintf("m%08d", j))
			}
		}
	}'
}

# load SOCK PID FILE: prints the VmRSS growth in kB of loading FILE.
load() {
	local before after out
	before=$(rss_kb "$2")
	out=$(timeout 300 redis-cli -s "$1" --pipe < "$3" 2>&1) ||
		{ echo "$out" >&2; die "redis-cli --pipe into $1 failed or timed out"; }
	echo "$out" | grep -q "errors: 0," || { echo "$out" >&2; die "redis-cli --pipe into $1: errors"; }
	sleep 0.5
	after=$(rss_kb "$2")
	echo $((after - before))
}

echo
echo "types.sh: memory (VmRSS growth; fresh servers per data set)"
printf '%-34s %12s %12s %14s %10s\n' "data set" "cachifyd B/el" "redis B/el" "cachifyd/redis" encoding
for kind in hash zset list smallhash smallzset; do
	case $kind in
	small*) count=$SMALL elems=$((SMALL * 10)) label="$SMALL ${kind#small}es x 10" key=key:00000000 ;;
	*) count=$ELEMS elems=$ELEMS label="one $kind of $ELEMS" key=big ;;
	esac
	label=${label/zsetes/zsets}
	gen "$kind" "$count" > "$DIR/load.resp"
	stop_servers
	start_servers
	c=$(load "$C_SOCK" "$C_PID" "$DIR/load.resp")
	r=$(load "$R_SOCK" "$R_PID" "$DIR/load.resp")
	enc=$(redis-cli -s "$C_SOCK" OBJECT ENCODING "$key")
	[ "$enc" = "$(redis-cli -s "$R_SOCK" OBJECT ENCODING "$key")" ] ||
		die "$kind: cachifyd encodes $key as $enc, redis-server as $(redis-cli -s "$R_SOCK" OBJECT ENCODING "$key")"
	printf '%-34s %12.1f %12.1f %14s %10s\n' "$label" \
		"$(awk -v k="$c" -v n="$elems" 'BEGIN { print k * 1024 / n }')" \
		"$(awk -v k="$r" -v n="$elems" 'BEGIN { print k * 1024 / n }')" "$(ratio "$c" "$r")" "$enc"
done
