#!/usr/bin/python3
"""redis_py_tx.py SOCKET - redis-py's transactions and pipelines on cachifyd.

Run with /usr/bin/python3 (Debian's python3-redis), as redis_py.py. Checks
pipeline(transaction=True/False) with many commands, errors inside
pipelines (raise_on_error False and True), queuing errors (EXECABORT), and
WATCH's optimistic retry loop under contention: r.transaction(fn, key) in
threads and the explicit watch/multi/execute loop in processes, each
incrementing one counter, whose final value must be exact. Prints one line
per failed check; exits 0 only if every check held.
"""
import multiprocessing
import sys
import threading

failures = []

INCREMENTS = 1000  # total increments per contention check
WORKERS = 2        # competing threads or processes


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def incr_with_watch_loop(sock, key, n, retries):
    """The explicit optimistic loop: WATCH, read, MULTI, write, EXEC; again
    on WatchError. Counts its retries into retries (a shared Value)."""
    import redis

    r = redis.Redis(unix_socket_path=sock)
    with r.pipeline() as pipe:
        for _ in range(n):
            while True:
                try:
                    pipe.watch(key)
                    cur = int(pipe.get(key) or 0)
                    pipe.multi()
                    pipe.set(key, cur + 1)
                    pipe.execute()
                    break
                except redis.WatchError:
                    with retries.get_lock():
                        retries.value += 1
                    continue


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_tx.py SOCKET")
        return 2
    try:
        import redis
    except ImportError as e:
        print("FAIL: cannot import redis (install python3-redis): %s" % e)
        return 2
    sock = sys.argv[1]
    r = redis.Redis(unix_socket_path=sock)
    RE = redis.exceptions.ResponseError
    r.flushall()

    # A transaction of many commands, then the same without MULTI.
    for tx in (True, False):
        p = r.pipeline(transaction=tx)
        for i in range(500):
            p.set("k:%d" % i, i)
            p.incr("counter:%s" % tx)
        p.get("k:499")
        p.mget("k:0", "k:1", "missing")
        res = p.execute()
        check(len(res) == 1002, "pipeline(transaction=%s): %d replies" % (tx, len(res)))
        check(res[0] is True and res[1] == 1 and res[999] == 500,
              "pipeline(transaction=%s) replies %r" % (tx, res[:4]))
        check(res[1000] == b"499", "pipeline(transaction=%s) get %r" % (tx, res[1000]))
        check(res[1001] == [b"0", b"1", None], "pipeline(transaction=%s) mget" % tx)

    # A runtime error inside a transaction: the other commands still ran.
    r.set("text", "abc")
    for tx in (True, False):
        p = r.pipeline(transaction=tx)
        p.set("before:%s" % tx, 1).incr("text").set("after:%s" % tx, 2)
        res = p.execute(raise_on_error=False)
        check(len(res) == 3 and res[0] is True and res[2] is True,
              "raise_on_error=False (transaction=%s): %r" % (tx, res))
        check(isinstance(res[1], RE) and "not an integer" in str(res[1]),
              "raise_on_error=False error element (transaction=%s): %r" % (tx, res[1]))
        check(r.get("after:%s" % tx) == b"2", "commands after the error ran (transaction=%s)" % tx)
        p = r.pipeline(transaction=tx)
        p.set("x", 1).incr("text").set("y", 2)
        try:
            p.execute(raise_on_error=True)
            check(False, "raise_on_error=True (transaction=%s): no exception" % tx)
        except RE as e:
            check("not an integer" in str(e), "raise_on_error=True message %r" % str(e))
        check(r.get("y") == b"2", "raise_on_error=True still ran the rest (transaction=%s)" % tx)

    # A queuing error discards the whole transaction (EXECABORT).
    r.delete("q1", "q2")
    p = r.pipeline(transaction=True)
    p.set("q1", 1)
    p.execute_command("NOSUCHCMD", "a")
    p.set("q2", 2)
    try:
        p.execute()
        check(False, "queuing error: no exception")
    except RE as e:
        check("unknown command" in str(e) or "EXECABORT" in str(e),
              "queuing error message %r" % str(e))
    check(r.get("q1") is None and r.get("q2") is None, "queuing error: nothing ran")
    check(r.ping() is True, "connection usable after EXECABORT")

    # WATCH then a foreign write: WatchError, and nothing ran.
    r.set("w", 1)
    with r.pipeline() as p:
        p.watch("w")
        r.set("w", 2)
        p.multi()
        p.set("w", 100)
        try:
            p.execute()
            check(False, "watch: no WatchError")
        except redis.WatchError:
            pass
    check(r.get("w") == b"2", "watch: aborted transaction wrote %r" % r.get("w"))

    # r.transaction(fn, key) in competing threads.
    r.set("tcount", 0)

    def tx_incr(pipe):
        cur = int(pipe.get("tcount") or 0)
        pipe.multi()
        pipe.set("tcount", cur + 1)

    def thread_body(n):
        rr = redis.Redis(unix_socket_path=sock)
        for _ in range(n):
            rr.transaction(tx_incr, "tcount")

    threads = [threading.Thread(target=thread_body, args=(INCREMENTS // WORKERS,))
               for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(r.get("tcount") == str(INCREMENTS).encode(),
          "r.transaction threads: counter %r, want %d" % (r.get("tcount"), INCREMENTS))

    # The explicit loop in competing processes.
    r.delete("pcount")
    retries = multiprocessing.Value("i", 0)
    procs = [multiprocessing.Process(target=incr_with_watch_loop,
                                     args=(sock, "pcount", INCREMENTS // WORKERS, retries))
             for _ in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        check(p.exitcode == 0, "worker process exit code %r" % p.exitcode)
    check(r.get("pcount") == str(INCREMENTS).encode(),
          "watch loop processes: counter %r, want %d (retries %d)"
          % (r.get("pcount"), INCREMENTS, retries.value))

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
