#!/usr/bin/env bash
# persist.sh - snapshots: cachifyd's SAVE and start-up load against
# redis-server's RDB SAVE and restart, for PERSIST_KEYS keys of 16 bytes with
# 32-byte values, in one run: save time, file size, load time; then GET
# latency (redis-benchmark percentiles) idle and while background saves run
# back to back, on both.
# Starts and stops the servers itself in a temporary directory; run from the
# repository root (make bench does). Tunables: PERSIST_KEYS, PERSIST_GETS
# (GETs per latency run), PERSIST_ROUNDS (runs per cell; the best counts).
set -euo pipefail

BENCH_NAME=persist
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
KEYS=${PERSIST_KEYS:-1000000}
GETS=${PERSIST_GETS:-400000}
ROUNDS=${PERSIST_ROUNDS:-2}
CLIENTS=50
BENCH_TIMEOUT=120	# s, per redis-benchmark run

need "$CACHIFYD" redis-server redis-cli redis-benchmark

now_ms() { date +%s%3N; }

# pong SOCK PID NAME: waits, polling without sleeps, until PING answers PONG
# (redis-server answers -LOADING while it loads). 120 s at most.
pong() {
	local end=$(($(now_ms) + 120000))
	until [ "$(redis-cli -s "$1" PING 2>/dev/null)" = PONG ]; do
		kill -0 "$2" 2>/dev/null || die "$3 exited while loading"
		[ "$(now_ms)" -lt "$end" ] || die "$3 did not load within 120 s"
	done
}

# 16-byte keys ("key:" + 12 digits, the names redis-benchmark's -r uses) with
# 32 random hex digits as values: data a cache holds, which neither side can
# compress much (redis-server compresses RDB strings with LZF by default).
awk -v n="$KEYS" 'BEGIN {
	srand(42)
	for (i = 0; i < n; i++) {
		v = ""
		for (j = 0; j < 4; j++)
			v = v sprintf("%08x", int(rand() * 4294967296))
		printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\n%s\r\n", i, v
	}
}' > "$DIR/load.resp"

fill() { # NAME SOCK
	local out
	out=$(timeout 120 redis-cli -s "$2" --pipe < "$DIR/load.resp" 2>&1) ||
		{ echo "$out" >&2; die "redis-cli --pipe into $1 failed or timed out"; }
	[ "$(redis-cli -s "$2" DBSIZE)" = "$KEYS" ] || die "$1: DBSIZE is not $KEYS after the load"
}

# timed_save NAME SOCK: ms SAVE takes, seen by the client.
timed_save() {
	local t0 r
	t0=$(now_ms)
	r=$(redis-cli -s "$2" SAVE)
	[ "$r" = OK ] || die "$1: SAVE answered '$r'"
	echo $(($(now_ms) - t0))
}

# ---- save, size, load ------------------------------------------------------

mkdir -p "$DIR/c" "$DIR/r"
declare -A SAVE_MS LOAD_MS SELF_MS
for round in $(seq "$ROUNDS"); do
	rm -f "$DIR"/c/* "$DIR"/r/*
	start_cachifyd --dir "$DIR/c"
	fill cachifyd "$C_SOCK"
	start_redis --dir "$DIR/r"
	fill redis-server "$R_SOCK"
	for s in cachifyd redis; do
		if [ "$s" = cachifyd ]; then sock=$C_SOCK; else sock=$R_SOCK; fi
		ms=$(timed_save "$s" "$sock")
		if [ -z "${SAVE_MS[$s]:-}" ] || [ "$ms" -lt "${SAVE_MS[$s]}" ]; then SAVE_MS[$s]=$ms; fi
	done
	stop_servers
	C_BYTES=$(stat -c %s "$DIR/c/cachifyd.snap")
	R_BYTES=$(stat -c %s "$DIR/r/dump.rdb")

	# Restart each on its file: the time from exec to the first PONG.
	: > "$DIR/cachifyd.log"
	t0=$(now_ms)
	"$CACHIFYD" -s "$C_SOCK" --dir "$DIR/c" 2>>"$DIR/cachifyd.log" &
	C_PID=$!
	PIDS+=("$C_PID")
	pong "$C_SOCK" "$C_PID" cachifyd
	ms=$(($(now_ms) - t0))
	[ "$(redis-cli -s "$C_SOCK" DBSIZE)" = "$KEYS" ] || die "cachifyd: keys missing after the load"
	self=$(sed -n 's/.* loaded: .* in \([0-9]*\) ms$/\1/p' "$DIR/cachifyd.log")
	if [ -z "${LOAD_MS[cachifyd]:-}" ] || [ "$ms" -lt "${LOAD_MS[cachifyd]}" ]; then
		LOAD_MS[cachifyd]=$ms SELF_MS[cachifyd]=$self
	fi
	: > "$DIR/redis.log"
	t0=$(now_ms)
	redis-server --port 0 --unixsocket "$R_SOCK" --save '' --appendonly no --daemonize no \
		--dir "$DIR/r" --logfile "$DIR/redis.log" &
	R_PID=$!
	PIDS+=("$R_PID")
	pong "$R_SOCK" "$R_PID" redis-server
	ms=$(($(now_ms) - t0))
	[ "$(redis-cli -s "$R_SOCK" DBSIZE)" = "$KEYS" ] || die "redis-server: keys missing after the load"
	self=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$DIR/redis.log" |
		awk '{ printf "%d", $1 * 1000 }')
	if [ -z "${LOAD_MS[redis]:-}" ] || [ "$ms" -lt "${LOAD_MS[redis]}" ]; then
		LOAD_MS[redis]=$ms SELF_MS[redis]=$self
	fi
	stop_servers
done

echo "persist.sh: $KEYS keys of 16 bytes with 32-byte random hex values; best of $ROUNDS rounds"
printf '%-26s %12s %12s %16s\n' "" cachifyd redis cachifyd/redis
printf '%-26s %12s %12s %16s\n' "SAVE (ms, client)" "${SAVE_MS[cachifyd]}" "${SAVE_MS[redis]}" \
	"$(ratio "${SAVE_MS[cachifyd]}" "${SAVE_MS[redis]}")"
printf '%-26s %12s %12s %16s\n' "file (bytes)" "$C_BYTES" "$R_BYTES" "$(ratio "$C_BYTES" "$R_BYTES")"
printf '%-26s %12s %12s %16s\n' "start to PONG (ms)" "${LOAD_MS[cachifyd]}" "${LOAD_MS[redis]}" \
	"$(ratio "${LOAD_MS[cachifyd]}" "${LOAD_MS[redis]}")"
printf '%-26s %12s %12s %16s\n' "load, own log (ms)" "${SELF_MS[cachifyd]}" "${SELF_MS[redis]}" \
	"$(ratio "${SELF_MS[cachifyd]}" "${SELF_MS[redis]}")"

# ---- GET latency while saving ------------------------------------------------

# gets SOCK: "rps p50 p99 max" of redis-benchmark GET over the loaded keys.
gets() {
	local out
	out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -s "$1" -q --csv -n "$GETS" -c "$CLIENTS" \
		-r "$KEYS" -t get 2>/dev/null) || die "redis-benchmark GET on $1 failed"
	echo "$out" | tr -d '"' | awk -F, 'NR > 1 { print $2, $5, $7, $8 }'
}

# saving SOCK: runs gets while BGSAVE runs back to back (a new child as soon
# as the last is done); prints the gets line and the number of saves.
saving() {
	local before after loop out
	before=$(redis-cli -s "$1" INFO persistence | sed -n 's/^rdb_saves:\([0-9]*\).*/\1/p')
	[ -n "$before" ] || before=0
	(
		while :; do
			redis-cli -s "$1" BGSAVE SCHEDULE >/dev/null 2>&1 || true
			sleep 0.02
		done
	) &
	loop=$!
	out=$(gets "$1")
	kill "$loop"
	wait "$loop" 2>/dev/null || true
	while [ "$(redis-cli -s "$1" INFO persistence | sed -n 's/^rdb_bgsave_in_progress:\([0-9]\).*/\1/p')" = 1 ]; do
		sleep 0.05
	done
	after=$(redis-cli -s "$1" INFO persistence | sed -n 's/^rdb_saves:\([0-9]*\).*/\1/p')
	echo "$out $((${after:-0} - before))"
}

rm -f "$DIR"/c/* "$DIR"/r/*
start_cachifyd --dir "$DIR/c"
fill cachifyd "$C_SOCK"
start_redis --dir "$DIR/r"
fill redis-server "$R_SOCK"
declare -A LAT
for round in $(seq "$ROUNDS"); do
	for s in cachifyd redis; do
		if [ "$s" = cachifyd ]; then sock=$C_SOCK; else sock=$R_SOCK; fi
		for m in idle saving; do
			if [ "$m" = idle ]; then line=$(gets "$sock"); else line=$(saving "$sock"); fi
			read -r _rps _p50 p99 _max _n <<< "$line"
			k="$s,$m"
			if [ -z "${LAT[$k]:-}" ] ||
				awk -v a="$p99" -v b="$(echo "${LAT[$k]}" | awk '{ print $3 }')" 'BEGIN { exit !(a < b) }'; then
				LAT[$k]=$line
			fi
		done
	done
done
stop_servers

echo
echo "persist.sh: GET, redis-benchmark -c $CLIENTS -n $GETS -r $KEYS; 'saving': BGSAVE back to back during the run"
printf '%-22s %10s %10s %10s %10s %8s %12s\n' "" rps "p50 ms" "p99 ms" "max ms" saves "p99/idle"
for s in cachifyd redis; do
	idle99=$(echo "${LAT[$s,idle]}" | awk '{ print $3 }')
	for m in idle saving; do
		read -r rps p50 p99 max n <<< "${LAT[$s,$m]}"
		printf '%-22s %10.0f %10s %10s %10s %8s %12s\n' "$s $m" "$rps" "$p50" "$p99" "$max" \
			"${n:--}" "$(ratio "$p99" "$idle99")"
	done
done
