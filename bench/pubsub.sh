#!/usr/bin/env bash
# pubsub.sh - PUBLISH fan-out: SUBS subscribers on one channel, a publisher
# (redis-benchmark, PUBLISH pipelined) sending N messages; reports messages
# delivered per second (N x SUBS over the time from the first publish to
# the last byte every subscriber read) for cachifyd and redis-server in one
# run. Subscribers are one python3 epoll loop that only counts bytes, so it
# stays out of the way. Both servers get `client-output-buffer-limit pubsub
# 0 0 0`: the bench measures fan-out, not who drops a slow reader first.
# Starts and stops its own servers in a temporary directory. Run from the
# repository root (make bench does).
# Tunables: PUBSUB_SUBS (default 100), PUBSUB_N (messages, default 50000),
# PUBSUB_SIZE (payload bytes, default 32), PUBSUB_ROUNDS (default 2; best).
set -euo pipefail

BENCH_NAME=pubsub
# shellcheck source=bench/common.bash
. "$(dirname "$0")/common.bash"

BUILD=${BUILD:-build}
CACHIFYD=${CACHIFYD:-$BUILD/cachifyd}
SUBS=${PUBSUB_SUBS:-100}
N=${PUBSUB_N:-50000}
SIZE=${PUBSUB_SIZE:-32}
ROUNDS=${PUBSUB_ROUNDS:-2}
RUN_TIMEOUT=120			# s, per run

need "$CACHIFYD" redis-server redis-cli redis-benchmark python3

start_servers --client-output-buffer-limit "pubsub 0 0 0"

# The subscribers: SUBS connections SUBSCRIBEd to "fan"; prints "ready",
# then reads until each has N messages' bytes and prints the seconds from
# its start signal (a line on stdin) to the last byte.
cat > "$DIR/subs.py" <<'PY'
import selectors, socket, sys, time
sock, subs, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
msg = b"*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$%d\r\n%s\r\n" % (size, b"x" * size)
conf = b"*3\r\n$9\r\nsubscribe\r\n$3\r\nfan\r\n:1\r\n"
sel = selectors.DefaultSelector()
left = {}
for _ in range(subs):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"SUBSCRIBE fan\r\n")
    got = b""
    while len(got) < len(conf):
        got += s.recv(len(conf) - len(got))
    if got != conf:
        sys.exit("bad confirmation %r" % got)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    left[s] = n * len(msg)
print("ready", flush=True)
sys.stdin.readline()
start = time.monotonic()
while left:
    for key, _ in sel.select(timeout=30):
        d = key.fileobj.recv(1 << 20)
        if not d:
            sys.exit("a subscriber was closed")
        left[key.fileobj] -= len(d)
        if left[key.fileobj] <= 0:
            sel.unregister(key.fileobj)
            del left[key.fileobj]
print("seconds=%.6f" % (time.monotonic() - start), flush=True)
PY

PAYLOAD=$(head -c "$SIZE" /dev/zero | tr '\0' x)

# run SOCK: one fan-out; prints delivered messages per second.
run() {
	local sock=$1 out=$DIR/out
	mkfifo "$DIR/go"
	timeout "$RUN_TIMEOUT" python3 "$DIR/subs.py" "$sock" "$SUBS" "$N" "$SIZE" \
		< "$DIR/go" > "$out" &
	local spid=$!
	exec 3> "$DIR/go"
	for _ in $(seq 300); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
	grep -q ready "$out" || die "subscribers did not start on $sock"
	echo go >&3
	timeout "$RUN_TIMEOUT" redis-benchmark -s "$sock" -n "$N" -c 10 -P 16 -q \
		PUBLISH fan "$PAYLOAD" > /dev/null || die "redis-benchmark failed on $sock"
	wait "$spid" || die "subscribers failed on $sock: $(cat "$out")"
	exec 3>&-
	rm -f "$DIR/go"
	awk -v n="$N" -v s="$SUBS" -F= '/^seconds=/ { printf "%d\n", n * s / $2 }' "$out"
}

best_c=0
best_r=0
echo "pubsub.sh: PUBLISH of $N x $SIZE-byte messages to $SUBS subscribers, best of $ROUNDS," \
	"order reversed each round"
for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then order="c r"; else order="r c"; fi
	for who in $order; do
		if [ "$who" = c ]; then
			v=$(run "$C_SOCK")
			((v > best_c)) && best_c=$v
		else
			v=$(run "$R_SOCK")
			((v > best_r)) && best_r=$v
		fi
	done
done
echo
printf '%-44s %14s %14s %8s\n' "fan-out" "cachifyd" "redis-server" "ratio"
printf '%-44s %14s %14s %8s\n' "messages delivered per s ($SUBS subscribers)" "$best_c" "$best_r" \
	"$(awk -v a="$best_c" -v b="$best_r" 'BEGIN { printf "%.2fx", a / b }')"
