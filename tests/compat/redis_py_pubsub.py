#!/usr/bin/python3
"""redis_py_pubsub.py SOCKET - redis-py's pub/sub against cachifyd.

pubsub() with subscribe/get_message, listen, psubscribe, handlers,
unsubscribe and its subscribed-mode bookkeeping, PUBSUB CHANNELS/NUMSUB/
NUMPAT through redis-py's helpers, and keyspace notifications (including
cachifyd's lock events) seen by a redis-py pubsub. Run with /usr/bin/python3
(Debian's python3-redis). Prints one line per failed check and "ok" when all
held; exits 0 only then (1 on a failure, 2 if redis-py is missing). Checks
are plain calls, not `assert`, so `python3 -O` cannot skip them.
"""
import sys
import threading
import time

WAIT_S = 5.0  # the longest any message may take to arrive

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def next_message(p, what):
    """The next message (not a subscription confirmation), or None."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if m is not None:
            return m
    check(False, "%s: no message within %.0f s" % (what, WAIT_S))
    return None


def confirmations(p, n, what):
    """Reads n confirmation messages; returns their types and counts."""
    got = []
    deadline = time.monotonic() + WAIT_S
    while len(got) < n and time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m is not None:
            got.append((m["type"], m["channel"], m["data"]))
    check(len(got) == n, "%s: %d confirmation(s), want %d" % (what, len(got), n))
    return got


def channel_checks(r):
    p = r.pubsub()
    p.subscribe("news", "sport")
    got = confirmations(p, 2, "subscribe")
    check(got == [("subscribe", b"news", 1), ("subscribe", b"sport", 2)],
          "subscribe confirmations: %r" % got)
    check(p.subscribed, "pubsub.subscribed after subscribe")
    check(r.publish("news", "hello") == 1, "publish to one subscriber")
    m = next_message(p, "message")
    check(m is not None and m["type"] == "message" and m["channel"] == b"news"
          and m["data"] == b"hello", "message: %r" % (m,))
    check(r.publish("nobody", "x") == 0, "publish to nobody")
    check(sorted(r.pubsub_channels()) == [b"news", b"sport"], "pubsub_channels")
    check(r.pubsub_channels("s*") == [b"sport"], "pubsub_channels with a pattern")
    check(r.pubsub_numsub("news", "none") == [(b"news", 1), (b"none", 0)], "pubsub_numsub")

    # Binary payloads and handlers.
    seen = []
    p.subscribe(**{"bin": lambda msg: seen.append(msg["data"])})
    confirmations(p, 1, "subscribe with a handler")
    r.publish("bin", b"\x00\xff\r\n")
    deadline = time.monotonic() + WAIT_S
    while not seen and time.monotonic() < deadline:
        p.get_message(timeout=0.1)
    check(seen == [b"\x00\xff\r\n"], "handler got %r" % seen)

    # Patterns, with a pmessage naming the pattern.
    p.psubscribe("n*")
    confirmations(p, 1, "psubscribe")
    check(r.pubsub_numpat() == 1, "pubsub_numpat")
    check(r.publish("news", "both") == 2, "publish counts channel and pattern")
    a, b = next_message(p, "message 1"), next_message(p, "message 2")
    kinds = sorted([(a or {}).get("type"), (b or {}).get("type")])
    check(kinds == ["message", "pmessage"], "message and pmessage: %r %r" % (a, b))
    pm = a if (a or {}).get("type") == "pmessage" else b
    check(pm is not None and pm["pattern"] == b"n*", "pmessage pattern: %r" % (pm,))

    # Unsubscribing everything leaves subscribed mode.
    p.unsubscribe()
    p.punsubscribe()
    confirmations(p, 4, "unsubscribe all")
    check(not p.subscribed, "pubsub.subscribed after unsubscribing everything")
    check(r.pubsub_numpat() == 0 and r.pubsub_channels() == [], "nothing left subscribed")
    p.close()


def listen_checks(r):
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("feed")
    got = []

    def reader():
        for m in p.listen():
            if m["type"] == "message":
                got.append(m["data"])
                if len(got) == 3:
                    return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + WAIT_S
    while r.pubsub_numsub("feed")[0][1] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(3):
        r.publish("feed", "m%d" % i)
    t.join(WAIT_S)
    check(got == [b"m0", b"m1", b"m2"], "listen() got %r" % got)
    p.close()


def keyspace_checks(r):
    r.config_set("notify-keyspace-events", "KEA")
    check(r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"},
          "config_get notify-keyspace-events")
    p = r.pubsub()
    p.psubscribe("__keyspace@0__:*")
    confirmations(p, 1, "psubscribe keyspace")
    r.set("k", "v", ex=100)
    events = [next_message(p, "set"), next_message(p, "expire")]
    check([(e or {}).get("data") for e in events] == [b"set", b"expire"],
          "SET EX events: %r" % events)
    check(events[0] is not None and events[0]["channel"] == b"__keyspace@0__:k",
          "keyspace channel: %r" % (events[0],))
    r.delete("k")
    check((next_message(p, "del") or {}).get("data") == b"del", "DEL event")
    r.set("t", "v", px=30)
    next_message(p, "set")
    next_message(p, "expire")
    check((next_message(p, "expired") or {}).get("data") == b"expired", "expired event")

    # cachifyd's own: wait for a lock's release without polling.
    r.config_set("notify-keyspace-events", "KL")
    token, _ = r.execute_command("LOCK.ACQUIRE", "job-lock", "PX", "10000")
    check((next_message(p, "lock.acquire") or {}).get("data") == b"lock.acquire",
          "lock.acquire event")
    r.execute_command("LOCK.RELEASE", "job-lock", token)
    m = next_message(p, "lock.release")
    check(m is not None and m["data"] == b"lock.release"
          and m["channel"] == b"__keyspace@0__:job-lock", "lock.release event: %r" % (m,))
    r.config_set("notify-keyspace-events", "")
    p.close()


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_pubsub.py SOCKET")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    r = redis.Redis(unix_socket_path=sys.argv[1])
    r.flushall()
    channel_checks(r)
    listen_checks(r)
    keyspace_checks(r)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
