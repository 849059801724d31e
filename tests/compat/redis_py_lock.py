#!/usr/bin/python3
"""redis_py_lock.py SOCKET - redis-py's Lock, unchanged, against cachifyd.

Lock releases, extends and reacquires with Lua scripts (EVALSHA, loading
them on NOSCRIPT), so this is what scripting is for. Checks: blocking and
non-blocking acquire, a waiter that gets the lock when it is released,
release by its owner, release by a non-owner (LockNotOwnedError), release
of an expired lock, extend (added and replacing), reacquire, expiry,
locked()/owned(), the context manager, the scripts after SCRIPT FLUSH, and
a pipeline next to them. Run with /usr/bin/python3 (Debian's python3-redis).
Prints one line per failed check and "ok" when all held; exits 0 only then
(1 on a failure, 2 if redis-py is missing).
"""
import sys
import threading
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def expect_raise(fn, exc_type, what):
    try:
        fn()
    except exc_type:
        return
    except Exception as e:  # noqa: BLE001 - any other class is a failure
        check(False, "%s: raised %s: %s" % (what, type(e).__name__, e))
        return
    check(False, "%s: no exception" % what)


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_lock.py SOCKET")
        return 2
    try:
        import redis
        from redis.exceptions import LockError, LockNotOwnedError
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    sock = sys.argv[1]
    r = redis.Redis(unix_socket_path=sock)
    r2 = redis.Redis(unix_socket_path=sock)
    r.flushall()

    # Non-blocking acquire, and a second one that fails at once.
    a = r.lock("res", timeout=10)
    b = r2.lock("res", timeout=10)
    check(a.acquire(blocking=False) is True, "first non-blocking acquire")
    check(b.acquire(blocking=False) is False, "second non-blocking acquire fails")
    check(a.locked() and a.owned() and not b.owned(), "locked/owned")
    check(r.get("res") == a.local.token, "the token is the value")

    # A non-owner's release: LockNotOwnedError; the lock stays.
    b.local.token = b"someone-else"
    expect_raise(b.release, LockNotOwnedError, "release by a non-owner")
    check(r.get("res") == a.local.token, "lock kept after a foreign release")

    # Extend: added to the TTL, or replacing it.
    check(a.extend(20) is True, "extend adds")
    check(25000 <= r.pttl("res") <= 30000, "extend added 20 s: pttl %d" % r.pttl("res"))
    check(a.extend(5, replace_ttl=True) is True, "extend replaces")
    check(r.pttl("res") <= 5000, "replace_ttl: pttl %d" % r.pttl("res"))
    check(a.reacquire() is True, "reacquire")
    check(9000 <= r.pttl("res") <= 10000, "reacquire reset the TTL: pttl %d" % r.pttl("res"))

    # Release by the owner.
    a.release()
    check(r.exists("res") == 0, "released")
    expect_raise(a.release, LockError, "release twice")
    expect_raise(lambda: a.extend(1), LockError, "extend a released lock")

    # Blocking acquire: a waiter gets it when the holder releases.
    h = r.lock("res2", timeout=10)
    check(h.acquire(), "holder acquires")
    got = {}

    def waiter():
        w = r2.lock("res2", timeout=10, sleep=0.01)
        got["ok"] = w.acquire(blocking=True, blocking_timeout=5)
        got["at"] = time.monotonic()
        if got["ok"]:
            w.release()

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.2)
    released = time.monotonic()
    h.release()
    t.join(10)
    check(got.get("ok") is True, "blocked waiter acquired after release")
    check(got.get("at", 0) >= released, "waiter acquired only after the release")

    # Blocking with a timeout that runs out.
    h = r.lock("res3", timeout=10)
    check(h.acquire(), "holder acquires res3")
    start = time.monotonic()
    check(r2.lock("res3", sleep=0.01).acquire(blocking_timeout=0.3) is False,
          "blocking_timeout runs out")
    check(time.monotonic() - start >= 0.25, "it waited")
    h.release()

    # Expiry: the lock goes by itself; its owner's release then fails.
    e = r.lock("res4", timeout=0.2)
    check(e.acquire(), "short lock")
    time.sleep(0.4)
    check(r.exists("res4") == 0, "expired")
    expect_raise(e.release, LockNotOwnedError, "release after expiry")
    check(r2.lock("res4").acquire(blocking=False), "someone else takes it after expiry")

    # The context manager.
    with r.lock("res5", timeout=5) as lk:
        check(lk.owned(), "owned inside with")
    check(r.exists("res5") == 0, "released after with")

    # The scripts are loaded again after SCRIPT FLUSH (NOSCRIPT, then load).
    r.script_flush()
    f = r.lock("res6", timeout=5)
    check(f.acquire(), "acquire after flush")
    f.release()
    check(r.exists("res6") == 0, "release after flush")

    # A pipeline next to the scripts, unchanged.
    with r.pipeline() as p:
        p.set("pk", "1").incr("pk").eval("return redis.call('get', KEYS[1])", 1, "pk")
        res = p.execute()
    check(res == [True, 2, b"2"], "pipeline with EVAL: %r" % (res,))
    with r.pipeline(transaction=False) as p:
        p.get("pk").evalsha(r.script_load("return ARGV[1]"), 0, "x")
        res = p.execute()
    check(res == [b"2", b"x"], "pipeline with EVALSHA: %r" % (res,))

    if failures:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
