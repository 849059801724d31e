#!/usr/bin/python3
"""redis_py.py SOCKET - drive cachifyd with redis-py (Debian's python3-redis).

Run with /usr/bin/python3: another python3 first on PATH may not see the
Debian package. Prints one line per failed check and exits 0 only if every
check held (1 otherwise, 2 if redis-py itself is missing). Checks are plain
functions, not `assert`, so `python3 -O` cannot skip them.
"""
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def expect_error(fn, exc_type, text, what):
    try:
        fn()
    except exc_type as e:
        check(type(e) is exc_type, "%s: raised %s, not %s" % (what, type(e).__name__, exc_type.__name__))
        check(text in str(e), "%s: message %r lacks %r" % (what, str(e), text))
        return
    except Exception as e:  # noqa: BLE001 - any other class is a failure
        check(False, "%s: raised %s: %s" % (what, type(e).__name__, e))
        return
    check(False, "%s: no exception" % what)


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py.py SOCKET")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    sock = sys.argv[1]
    r = redis.Redis(unix_socket_path=sock)

    # Basics and binary safety.
    check(r.ping() is True, "ping")
    check(r.set("a", "1") is True, "set a")
    check(r.get("a") == b"1", "get a")
    key, val = b"bin\x00key\r\n", b"v\x00a\r\nl\xff\x00"
    check(r.set(key, val) is True, "set binary")
    check(r.get(key) == val, "get binary: %r" % r.get(key))
    check(r.get("missing") is None, "get missing")

    # SET options.
    check(r.set("nx", "1", nx=True) is True, "set nx on a new key")
    check(r.set("nx", "2", nx=True) is None, "set nx on an existing key")
    check(r.get("nx") == b"1", "nx kept the first value")
    check(r.set("xx", "1", xx=True) is None, "set xx on a missing key")
    check(r.set("ex", "v", ex=100) is True, "set ex")
    ttl = r.ttl("ex")
    check(98 <= ttl <= 100, "ttl after ex=100: %r" % ttl)
    check(r.set("px", "v", px=100000) is True, "set px")
    pttl = r.pttl("px")
    check(95000 < pttl <= 100000, "pttl after px=100000: %r" % pttl)
    check(r.set("nx", "3", get=True) == b"1", "set get returns the old value")

    # INCR family.
    check(r.incr("counter") == 1, "incr")
    check(r.incr("counter", 10) == 11, "incrby")
    check(r.decr("counter") == 10, "decr")
    check(r.decr("counter", 20) == -10, "decrby")

    # EXPIRE and TTL.
    r.set("e", "v")
    check(r.ttl("e") == -1, "ttl without expiry")
    check(r.ttl("nope") == -2, "ttl of a missing key")
    check(r.expire("e", 50) is True, "expire")
    check(48 <= r.ttl("e") <= 50, "ttl after expire 50")
    check(r.pexpire("e", 40000) is True, "pexpire")
    check(35000 < r.pttl("e") <= 40000, "pttl after pexpire")
    check(r.persist("e") is True, "persist")
    check(r.ttl("e") == -1, "ttl after persist")
    check(r.expire("nope", 10) is False, "expire on a missing key")

    # EXISTS counts duplicates; DELETE; TYPE; MSET/MGET.
    check(r.exists("a", "a", "missing") == 2, "exists counts duplicates")
    check(r.type("a") == b"string", "type string")
    check(r.type("missing") == b"none", "type none")
    check(r.mset({"m1": "1", "m2": "2"}) is True, "mset")
    check(r.mget("m1", "m2", "m3") == [b"1", b"2", None], "mget")
    check(r.delete("m1", "m2", "m3") == 2, "delete")

    # A pipeline without MULTI: 100 commands in one write.
    p = r.pipeline(transaction=False)
    for i in range(100):
        if i % 2 == 0:
            p.set("p:%d" % i, i)
        else:
            p.incr("pcount")
    res = p.execute()
    check(len(res) == 100, "pipeline returned %d results" % len(res))
    check(all(x is True for x in res[0::2]), "pipeline sets")
    check(res[1::2] == list(range(1, 51)), "pipeline incrs: %r" % res[1::2][:5])
    check(r.get("p:98") == b"98", "pipeline wrote its keys")

    # Databases: db=5 is SELECTed on connect and isolated from db 0.
    r5 = redis.Redis(unix_socket_path=sock, db=5)
    check(r5.dbsize() == 0, "db 5 starts empty")
    check(r5.set("only5", "x") is True, "set in db 5")
    check(r5.get("only5") == b"x", "get in db 5")
    check(r.get("only5") is None, "db 0 does not see db 5")
    check(r5.get("a") is None, "db 5 does not see db 0")
    check(r5.dbsize() == 1, "db 5 size")

    # SCAN through scan_iter, with MATCH and COUNT.
    p = r.pipeline(transaction=False)
    for i in range(300):
        p.set("scan:%d" % i, "v")
    p.execute()
    keys = set(r.scan_iter(match="scan:*", count=50))
    check(keys == set(("scan:%d" % i).encode() for i in range(300)),
          "scan_iter found %d of 300 keys" % len(keys))
    everything = set(r.scan_iter())
    check(len(everything) == r.dbsize(), "scan_iter over db 0 vs dbsize")

    # INFO, parsed by redis-py.
    info = r.info()
    check("redis_version" in info, "info has redis_version")
    check(info.get("connected_clients", 0) >= 2, "info connected_clients")
    db0 = info.get("db0", {})
    check(db0.get("keys") == r.dbsize(), "info db0 keys %r vs dbsize %r" % (db0, r.dbsize()))
    check(db0.get("expires") == 2, "info db0 expires (ex and px): %r" % db0)
    check(r.info("keyspace").get("db5", {}).get("keys") == 1, "info keyspace db5")

    # Client names.
    check(r.client_setname("py-test") is True, "client setname")
    check(r.client_getname() in ("py-test", b"py-test"), "client getname")
    check(isinstance(r.client_id(), int), "client id")

    # decode_responses works as with Redis.
    rd = redis.Redis(unix_socket_path=sock, decode_responses=True)
    check(rd.get("a") == "1", "decode_responses get")

    # Error replies map to redis-py's classes.
    RE = redis.exceptions.ResponseError
    expect_error(lambda: r.execute_command("NOSUCHCMD", "a"), RE,
                 "unknown command 'NOSUCHCMD'", "unknown command")
    expect_error(lambda: r.execute_command("SET", "k", "v", "EX", "0"), RE,
                 "invalid expire time in 'set' command", "set ex 0")
    expect_error(lambda: r.incr("a", "x"), RE, "not an integer", "incrby x")
    r.set("text", "abc")
    expect_error(lambda: r.incr("text"), RE, "not an integer", "incr on text")
    check(r.get("k") is None, "failed set wrote nothing")
    # The connection is still usable after errors.
    check(r.ping() is True, "ping after errors")

    r5.flushdb()
    check(r5.dbsize() == 0, "flushdb in db 5")
    check(r.dbsize() > 0, "flushdb in db 5 left db 0 alone")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
