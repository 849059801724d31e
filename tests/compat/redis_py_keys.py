#!/usr/bin/python3
"""redis_py_keys.py SOCKET - redis-py's keyspace calls against cachifyd.

scan_iter (MATCH, _type, 5000 keys), copy (replace, destination_db),
rename/renamenx, expireat/pexpireat, expiretime/pexpiretime, keys,
randomkey, touch, unlink, move and swapdb, with redis-py's own reply
conversions. Run with /usr/bin/python3 (Debian's python3-redis). Prints one
line per failed check and "ok" when all held; exits 0 only then (1 on a
failure, 2 if redis-py is missing). Checks are plain calls, not `assert`,
so `python3 -O` cannot skip them.
"""
import sys
import time

SCAN_KEYS = 5000

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def expect_error(fn, exc_type, text, what):
    try:
        fn()
    except exc_type as e:
        check(text in str(e), "%s: message %r lacks %r" % (what, str(e), text))
        return
    except Exception as e:  # noqa: BLE001 - any other class is a failure
        check(False, "%s: raised %s: %s" % (what, type(e).__name__, e))
        return
    check(False, "%s: no exception" % what)


def scan_checks(r):
    p = r.pipeline(transaction=False)
    for i in range(SCAN_KEYS):
        p.set("s:%d" % i, "v")
    p.execute()
    r.set("other", "v")
    want = set(("s:%d" % i).encode() for i in range(SCAN_KEYS))

    seen = list(r.scan_iter(match="s:*"))
    check(set(seen) == want, "scan_iter match: %d of %d keys" % (len(set(seen)), SCAN_KEYS))
    check(len(seen) == SCAN_KEYS, "scan_iter match: %d replies for %d keys (a stable table "
          "returns each once)" % (len(seen), SCAN_KEYS))
    seen = list(r.scan_iter(count=1000))
    check(set(seen) == want | {b"other"}, "scan_iter count=1000: %d keys" % len(set(seen)))
    seen = set(r.scan_iter(match="s:1*", count=100))
    check(seen == set(k for k in want if k.startswith(b"s:1")), "scan_iter s:1*")
    seen = set(r.scan_iter(_type="string"))
    check(seen == want | {b"other"}, "scan_iter _type=string: %d keys" % len(seen))
    r.execute_command("LOCK.ACQUIRE", "alock")
    seen = set(r.scan_iter(_type="lock"))
    check(seen == {b"alock"}, "scan_iter _type=lock: %r" % seen)
    seen = set(r.scan_iter(_type="hash"))
    check(seen == set(), "scan_iter _type=hash: %r" % seen)
    seen = set(r.scan_iter(match="s:4*", _type="string", count=50))
    check(seen == set(k for k in want if k.startswith(b"s:4")), "scan_iter match+_type")
    check(len(r.keys("s:*")) == SCAN_KEYS, "keys s:*")
    check(set(r.keys("s:1?")) == set(("s:1%d" % i).encode() for i in range(10)), "keys s:1?")
    check(r.keys("nomatch*") == [], "keys nomatch")
    r.flushdb()


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_keys.py SOCKET")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    sock = sys.argv[1]
    r = redis.Redis(unix_socket_path=sock)
    r1 = redis.Redis(unix_socket_path=sock, db=1)
    RE = redis.exceptions.ResponseError

    scan_checks(r)

    # copy, with replace and destination_db.
    r.set("src", "v1", ex=100)
    check(r.copy("src", "dst") is True, "copy")
    check(r.get("dst") == b"v1", "copy value")
    check(90 < r.ttl("dst") <= 100, "copy keeps the ttl")
    r.set("dst", "old")
    check(r.copy("src", "dst") is False, "copy onto an existing key")
    check(r.get("dst") == b"old", "copy without replace changed nothing")
    check(r.copy("src", "dst", replace=True) is True, "copy replace")
    check(r.get("dst") == b"v1", "copy replace value")
    check(r.copy("src", "src", destination_db=1) is True, "copy to db 1")
    check(r1.get("src") == b"v1", "copy to db 1 value")
    check(r.copy("missing", "x") is False, "copy of a missing key")
    expect_error(lambda: r.copy("src", "src"), RE, "source and destination objects are the same",
                 "copy onto itself")
    expect_error(lambda: r.copy("src", "x", destination_db=16), RE, "DB index is out of range",
                 "copy to db 16")

    # rename and renamenx; the ttl moves with the value.
    r.set("a", "va", ex=100)
    check(r.rename("a", "b") is True, "rename")
    check(r.get("b") == b"va" and r.exists("a") == 0, "rename moved the value")
    check(90 < r.ttl("b") <= 100, "rename moved the ttl")
    expect_error(lambda: r.rename("a", "c"), RE, "no such key", "rename of a missing key")
    r.set("c", "vc")
    check(r.renamenx("c", "b") is False, "renamenx onto an existing key")
    check(r.renamenx("c", "d") is True, "renamenx")
    check(r.get("d") == b"vc", "renamenx value")
    lock = r.execute_command("LOCK.ACQUIRE", "lk")
    expect_error(lambda: r.rename("lk", "z"), RE, "locks and pools cannot be renamed",
                 "rename of a lock")
    check(r.type("lk") == b"lock", "the lock stayed")
    r.execute_command("LOCK.RELEASE", "lk", lock[0])

    # expireat, pexpireat, expiretime, pexpiretime.
    r.set("e", "v")
    at = int(time.time()) + 1000
    check(r.expireat("e", at) is True, "expireat")
    check(r.expiretime("e") == at, "expiretime %r vs %r" % (r.expiretime("e"), at))
    check(r.pexpiretime("e") == at * 1000, "pexpiretime after expireat")
    check(r.expireat("e", at + 10, gt=True) is True, "expireat gt")
    check(r.expireat("e", at, gt=True) is False, "expireat gt, smaller")
    check(r.expireat("e", at, nx=True) is False, "expireat nx on a key with a ttl")
    check(r.pexpireat("e", at * 1000 + 123) is True, "pexpireat")
    check(r.pexpiretime("e") == at * 1000 + 123, "pexpiretime after pexpireat")
    check(r.pexpireat("e", at * 1000, lt=True) is True, "pexpireat lt")
    check(r.expireat("e", 1) is True and r.exists("e") == 0, "expireat in the past deletes")
    check(r.expiretime("e") == -2, "expiretime of a missing key")
    r.set("p", "v")
    check(r.expiretime("p") == -1, "expiretime without ttl")
    r.set("max", "v", pxat=9223372036854775807)
    check(r.pexpiretime("max") == 9223372036854775807, "pexpiretime of pxat max")

    # keys, randomkey, touch, unlink, move.
    r.flushdb()
    check(r.randomkey() is None, "randomkey on an empty db")
    r.mset({"k1": "1", "k2": "2", "k3": "3"})
    check(r.randomkey() in (b"k1", b"k2", b"k3"), "randomkey")
    check(sorted(r.keys()) == [b"k1", b"k2", b"k3"], "keys")
    check(r.touch("k1", "k2", "nope") == 2, "touch")
    check(r.unlink("k1", "nope") == 1, "unlink")
    check(r.exists("k1") == 0, "unlink removed")
    check(r.move("k2", 1) is True, "move")
    check(r1.get("k2") == b"2" and r.exists("k2") == 0, "move moved")
    check(r.move("missing", 1) is False, "move of a missing key")

    # swapdb.
    r.flushall()
    r.set("in0", "x")
    r1.set("in1", "y")
    check(r.swapdb(0, 1) is True, "swapdb")
    check(r.get("in1") == b"y" and r1.get("in0") == b"x", "swapdb swapped")
    expect_error(lambda: r.swapdb(0, 16), RE, "DB index is out of range", "swapdb 0 16")
    lock = r.execute_command("LOCK.ACQUIRE", "held")
    expect_error(lambda: r.swapdb(0, 1), RE, "SWAPDB refused: database 0", "swapdb with a lock")
    r.execute_command("LOCK.RELEASE", "held", lock[0])
    check(r.swapdb(1, 0) is True, "swapdb after the release")
    check(r.get("in0") == b"x", "swapped back")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
