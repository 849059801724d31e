#!/usr/bin/python3
"""once_cross.py SOCKET MODE KEY - the Python side of check_client_daemon.c's
cross-language once test, as py-cachify would do it with a redis-py client
on cachifyd's socket (Debian's python3-redis: run with /usr/bin/python3).

Modes:
  hold        SET KEY NX EX 30, as py-cachify's once takes its lock; must set it
  release     DEL KEY, as py-cachify's once gives it back; must delete one key
  check-held  KEY is held by someone else: GET is truthy (py-cachify's
              "is locked") and SET NX fails

Exit status: 0 when every check held, 1 otherwise (one FAIL line each), 2 if
redis-py is missing or the arguments are wrong.
"""
import sys


def main():
    if len(sys.argv) != 4:
        print("usage: once_cross.py SOCKET hold|release|check-held KEY")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    sock, mode, key = sys.argv[1:]
    r = redis.Redis(unix_socket_path=sock)
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL: " + what)

    if mode == "hold":
        check(r.set(key, "python", nx=True, ex=30) is True, "SET %s NX EX 30 did not set" % key)
        ttl = r.ttl(key)
        check(0 < ttl <= 30, "TTL %s is %r, want 1..30" % (key, ttl))
    elif mode == "release":
        check(r.delete(key) == 1, "DEL %s did not delete one key" % key)
    elif mode == "check-held":
        check(bool(r.get(key)), "GET %s is falsy: not locked" % key)
        check(r.set(key, "python", nx=True, ex=30) is None, "SET %s NX succeeded over a holder" % key)
    else:
        print("unknown mode %r" % mode)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
