#!/usr/bin/python3
"""redis_py_strings.py SOCKET - the string family through redis-py.

Each call is redis-py's own method (Debian's python3-redis), so its argument
encoding and reply parsing meet cachifyd's replies as they meet Redis's.
Run with /usr/bin/python3. Prints one line per failed check and exits 0 only
if every check held (1 otherwise, 2 if redis-py itself is missing).
"""
import sys
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def expect_error(fn, text, what):
    import redis
    try:
        fn()
    except redis.exceptions.ResponseError as e:
        check(text in str(e), "%s: message %r lacks %r" % (what, str(e), text))
        return
    except Exception as e:  # noqa: BLE001 - any other class is a failure
        check(False, "%s: raised %s: %s" % (what, type(e).__name__, e))
        return
    check(False, "%s: no exception" % what)


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_strings.py SOCKET")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    r = redis.Redis(unix_socket_path=sys.argv[1])
    r.flushdb()

    # SET with KEEPTTL keeps the TTL; a plain SET drops it.
    check(r.set("k", "v", ex=100) is True, "set ex")
    check(r.set("k", "w", keepttl=True) is True, "set keepttl")
    check(98 <= r.ttl("k") <= 100, "ttl after keepttl: %r" % r.ttl("k"))
    check(r.get("k") == b"w", "value after keepttl")
    check(r.set("k", "x", nx=True, get=True) == b"w", "set nx get on an existing key")
    check(r.set("k", "x") is True and r.ttl("k") == -1, "plain set drops the ttl")
    check(r.set("k", "y", exat=int(time.time()) + 100) is True, "set exat")
    check(98 <= r.ttl("k") <= 100, "ttl after exat: %r" % r.ttl("k"))
    check(r.set("k", "z", pxat=int(time.time() * 1000) + 100000) is True, "set pxat")
    check(98000 <= r.pttl("k") <= 100000, "pttl after pxat: %r" % r.pttl("k"))

    # GETEX with each option.
    r.set("g", "val")
    check(r.getex("g") == b"val" and r.ttl("g") == -1, "getex without options")
    check(r.getex("g", ex=50) == b"val", "getex ex")
    check(48 <= r.ttl("g") <= 50, "ttl after getex ex: %r" % r.ttl("g"))
    check(r.getex("g", px=40000) == b"val", "getex px")
    check(38000 <= r.pttl("g") <= 40000, "pttl after getex px: %r" % r.pttl("g"))
    check(r.getex("g", exat=int(time.time()) + 30) == b"val", "getex exat")
    check(28 <= r.ttl("g") <= 30, "ttl after getex exat: %r" % r.ttl("g"))
    check(r.getex("g", pxat=int(time.time() * 1000) + 20000) == b"val", "getex pxat")
    check(18000 <= r.pttl("g") <= 20000, "pttl after getex pxat: %r" % r.pttl("g"))
    check(r.getex("g", persist=True) == b"val" and r.ttl("g") == -1, "getex persist")
    check(r.getex("nokey", ex=10) is None, "getex on a missing key")
    expect_error(lambda: r.execute_command("GETEX", "g", "EX", "0"),
                 "invalid expire time in 'getex' command", "getex ex 0")

    # GETDEL and GETSET.
    check(r.getdel("g") == b"val" and r.exists("g") == 0, "getdel")
    check(r.getdel("g") is None, "getdel on a missing key")
    check(r.getset("gs", "1") is None, "getset on a missing key")
    r.expire("gs", 100)
    check(r.getset("gs", "2") == b"1" and r.ttl("gs") == -1, "getset drops the ttl")

    # APPEND, SETRANGE, GETRANGE, SUBSTR, STRLEN, binary safe.
    check(r.append("a", "Hello") == 5, "append to a new key")
    check(r.append("a", b" \x00World") == 12, "append binary")
    check(r.get("a") == b"Hello \x00World", "appended value: %r" % r.get("a"))
    check(r.strlen("a") == 12 and r.strlen("nokey") == 0, "strlen")
    check(r.setrange("a", 0, "J") == 12 and r.get("a") == b"Jello \x00World", "setrange")
    check(r.setrange("sr", 3, "x") == 4 and r.get("sr") == b"\x00\x00\x00x", "setrange pads")
    check(r.getrange("a", 0, 4) == b"Jello", "getrange")
    check(r.getrange("a", -5, -1) == b"World", "getrange negative")
    check(r.getrange("a", 5, 1) == b"", "getrange empty")
    check(r.substr("a", 0, 2) == b"Jel", "substr")
    check(r.substr("a", -5) == b"World", "substr to the end")

    # INCRBYFLOAT: redis-py parses the bulk reply as a float. The values are
    # exact in binary, so the text is the same whether long double is 80
    # bits or (under valgrind) 64: incrbyfloat.txt checks rounding.
    r.set("f", "10.5")
    check(r.incrbyfloat("f", 0.25) == 10.75, "incrbyfloat 10.5 + 0.25")
    check(r.get("f") == b"10.75", "incrbyfloat stored text: %r" % r.get("f"))
    r.set("f", "3.0e3")
    check(r.incrbyfloat("f", 0) == 3000.0 and r.get("f") == b"3000", "incrbyfloat 3.0e3")
    check(r.incrbyfloat("f", -3000.5) == -0.5 and r.get("f") == b"-0.5", "incrbyfloat negative")
    r.expire("f", 100)
    check(r.incrbyfloat("newf", 2) == 2.0 and r.get("newf") == b"2", "incrbyfloat a new key")
    check(98 <= r.ttl("f") and r.incrbyfloat("f", 1) == 0.5 and r.ttl("f") > 0,
          "incrbyfloat keeps the ttl")
    expect_error(lambda: r.incrbyfloat("f", "abc"), "value is not a valid float",
                 "incrbyfloat abc")
    expect_error(lambda: r.incrbyfloat("a", 1), "value is not a valid float", "incrbyfloat text")

    # MSETNX: all or nothing.
    check(r.msetnx({"m1": "1", "m2": "2"}) is True, "msetnx on new keys")
    check(r.msetnx({"m2": "x", "m3": "3"}) is False, "msetnx with one existing key")
    check(r.mget("m1", "m2", "m3") == [b"1", b"2", None], "msetnx wrote nothing")

    # LCS and its shapes (redis-py returns the raw RESP2 replies).
    r.mset({"key1": "ohmytext", "key2": "mynewtext"})
    check(r.lcs("key1", "key2") == b"mytext", "lcs")
    check(r.lcs("key1", "key2", len=True) == 6, "lcs len")
    idx = r.lcs("key1", "key2", idx=True, minmatchlen=4, withmatchlen=True)
    check(idx == [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6], "lcs idx: %r" % idx)
    expect_error(lambda: r.lcs("key1", "key2", len=True, idx=True),
                 "If you want both the length and indexes", "lcs len idx")

    # SETNX / SETEX / PSETEX.
    check(r.setnx("nx", "1") is True and r.setnx("nx", "2") is False, "setnx")
    check(r.setex("se", 100, "v") is True and 98 <= r.ttl("se") <= 100, "setex")
    check(r.psetex("pse", 100000, "v") is True and 98000 <= r.pttl("pse") <= 100000, "psetex")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
