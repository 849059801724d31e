#!/usr/bin/python3
"""diff.py - differential tests: the same commands to redis-server and cachifyd.

    diff.py [--cachify-sock SOCK | --cachifyd BIN] [--redis-server BIN]
            [--protocol PROTOCOL.md] CASEFILE...

Starts a private redis-server (Debian's, on a Unix socket in a temporary
directory), and cachifyd too unless --cachify-sock names a running one. Sends
every command line of the case files to both, reads one reply from each and
compares the raw bytes. Prints one block per mismatch and a summary line;
exits 0 when everything matched, 1 on a mismatch, 2 when it cannot run.

Case files (tests/diff/cases/*.txt):
  # comment, blank lines            ignored
  ---                               new case: connections closed, FLUSHALL
  SET k "a\\x00b"                   words split as redis-cli does: "..." with
                                    \\xHH \\n \\r \\t \\a \\b escapes, '...' literal
  @b GET k                          on connection b (default: main)
  sorted: KEYS *                    array replies compared with elements sorted
  near 2: TTL k                     integers (also in arrays) may differ by 2
  shape: TIME                       only reply types and array lengths compared
  known D3: OBJECT ENCODING k       run on both, not compared; D3 must be an id
                                    in PROTOCOL.md's "Differences from Redis"
  raw: "PING\\r\\n"                   the words' bytes sent as they are
  replies 3: SUBSCRIBE a b c        reads (and compares) 3 replies, not one:
                                    SUBSCRIBE confirms each channel apart
  @w replies 0: BLPOP q 0           sends and reads nothing: a command that
                                    blocks; !read @w 1 reads its reply later
  !sleep 120                        pause (ms)
  !read @sub 2                      reads 2 pending replies (published messages,
                                    keyspace events) on connection sub, no command
  !quiet @sub 100                   nothing arrives on sub within 100 ms, on
                                    either server (no message was published)
Prefixes combine in this order: @conn, then one of sorted/near/shape/known/raw/
replies N.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPLY_TIMEOUT_S = 10.0
START_TIMEOUT_S = 10.0


class CaseError(Exception):
    """A malformed case line: a bug in the case file, reported as a failure."""


# ---- words ---------------------------------------------------------------

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a"}


def split_words(line):
    """Splits a command line into byte strings the way redis-cli does."""
    words, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i == n:
            return words
        cur = bytearray()
        if line[i] == '"':
            i += 1
            while True:
                if i == n:
                    raise CaseError("unbalanced double quote")
                ch = line[i]
                if ch == "\\" and i + 1 < n:
                    nxt = line[i + 1]
                    if nxt == "x" and i + 3 < n and re.match(r"[0-9a-fA-F]{2}", line[i + 2:i + 4]):
                        cur.append(int(line[i + 2:i + 4], 16))
                        i += 4
                        continue
                    cur += ESCAPES.get(nxt, nxt.encode())
                    i += 2
                    continue
                if ch == '"':
                    i += 1
                    break
                cur += ch.encode()
                i += 1
        elif line[i] == "'":
            i += 1
            while True:
                if i == n:
                    raise CaseError("unbalanced single quote")
                ch = line[i]
                if ch == "\\" and i + 1 < n and line[i + 1] == "'":
                    cur += b"'"
                    i += 2
                    continue
                if ch == "'":
                    i += 1
                    break
                cur += ch.encode()
                i += 1
        else:
            while i < n and line[i] not in " \t":
                cur += line[i].encode()
                i += 1
            words.append(bytes(cur))
            continue
        if i < n and line[i] not in " \t":
            raise CaseError("a closing quote must be followed by a blank")
        words.append(bytes(cur))


def encode(words):
    out = [b"*%d\r\n" % len(words)]
    for w in words:
        out.append(b"$%d\r\n%s\r\n" % (len(w), w))
    return b"".join(out)


# ---- replies -------------------------------------------------------------

class Closed(Exception):
    pass


class Conn:
    """One RESP2 connection that reads exactly one reply at a time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(REPLY_TIMEOUT_S)
        self.sock.connect(path)
        self.buf = b""
        self.closed = False

    def close(self):
        self.sock.close()

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no reply within %.0f s" % REPLY_TIMEOUT_S)
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            raise Closed()
        self.buf += chunk

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _parse(self, pos):
        """(value, next position) for the reply starting at pos."""
        end = self._line(pos)
        kind, body = self.buf[pos:pos + 1], self.buf[pos + 1:end]
        nxt = end + 2
        if kind in (b"+", b"-"):
            return (kind.decode(), body), nxt
        if kind == b":":
            return (":", int(body)), nxt
        if kind == b"$":
            n = int(body)
            if n < 0:
                return ("$", None), nxt
            while len(self.buf) < nxt + n + 2:
                self._fill()
            return ("$", self.buf[nxt:nxt + n]), nxt + n + 2
        if kind == b"*":
            n = int(body)
            if n < 0:
                return ("*", None), nxt
            items = []
            for _ in range(n):
                item, nxt = self._parse(nxt)
                items.append(item)
            return ("*", items), nxt
        raise ValueError("not a RESP2 reply: %r" % self.buf[pos:end + 2])

    def reply(self):
        """(raw bytes, parsed value) of the next reply; ('<closed>', None) on EOF."""
        if self.closed and not self.buf:
            return b"<closed>", None
        try:
            value, used = self._parse(0)
        except Closed:
            return b"<closed>" + (b" after " + self.buf if self.buf else b""), None
        raw, self.buf = self.buf[:used], self.buf[used:]
        return raw, value


def shape(v):
    if v is None:
        return None
    kind, body = v
    if kind == "*" and body is not None:
        return ("*", [shape(x) for x in body])
    if kind in ("$", "*"):
        return (kind, body is None)
    return (kind,)


def near(a, b, tol):
    if a is None or b is None or a[0] != b[0]:
        return a == b
    if a[0] == ":":
        return abs(a[1] - b[1]) <= tol
    if a[0] == "*" and a[1] is not None and b[1] is not None:
        return len(a[1]) == len(b[1]) and all(near(x, y, tol) for x, y in zip(a[1], b[1]))
    return a == b


def sorted_value(v):
    if v is None or v[0] != "*" or v[1] is None:
        return v
    return ("*", sorted(v[1], key=repr))


# ---- servers -------------------------------------------------------------

def wait_socket(path, proc, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with status %d at start" % (what, proc.returncode))
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("%s did not listen on %s within %.0f s" % (what, path, START_TIMEOUT_S))


def start(argv, sock, log, what):
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    wait_socket(sock, proc, what)
    return proc


def known_ids(protocol_md):
    ids, on = set(), False
    with open(protocol_md, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                on = line.strip() == "## Differences from Redis"
            m = on and re.match(r"\| (D\d+) \|", line)
            if m:
                ids.add(m.group(1))
    return ids


# ---- running cases -------------------------------------------------------

PREFIX = re.compile(r"(sorted|shape|raw|near (\d+)|known (D\d+)|replies (\d+)): ")
PUSH_LINE = re.compile(r"!(read|quiet) @(\w+) (\d+)$")


class Runner:
    def __init__(self, rsock, csock, known):
        self.socks = (rsock, csock)
        self.known = known
        self.conns = {}
        self.mismatches = 0
        self.commands = 0
        self.skipped = 0

    def conn(self, name):
        if name not in self.conns:
            self.conns[name] = (Conn(self.socks[0]), Conn(self.socks[1]))
        return self.conns[name]

    def reset(self):
        for r, c in self.conns.values():
            r.close()
            c.close()
        self.conns = {}
        r, c = self.conn("main")
        for x in (r, c):
            x.send(encode([b"FLUSHALL"]))
            raw, _ = x.reply()
            if raw != b"+OK\r\n":
                raise RuntimeError("FLUSHALL answered %r" % raw)

    def report(self, where, line, rraw, craw, why):
        self.mismatches += 1
        print("%s: %s\n  %s\n  redis:    %r\n  cachifyd: %r" % (where, line, why, rraw, craw))

    def compare_replies(self, where, line, r, c, n):
        """Reads n replies from each side and compares them byte for byte."""
        for i in range(n):
            rraw, craw = r.reply()[0], c.reply()[0]
            if rraw != craw:
                self.report(where, line, rraw, craw, "reply %d of %d differs" % (i + 1, n))
                return

    def pushes(self, where, line, m):
        """!read @conn N: N replies nobody asked for; !quiet @conn MS: none."""
        r, c = self.conn(m.group(2))
        if m.group(1) == "read":
            self.compare_replies(where, line, r, c, int(m.group(3)))
            return
        time.sleep(int(m.group(3)) / 1000.0)
        for x in (r, c):
            x.sock.setblocking(False)
            try:
                x.buf += x.sock.recv(65536)
            except OSError:
                pass
            x.sock.settimeout(REPLY_TIMEOUT_S)
        if r.buf or c.buf:
            self.report(where, line, r.buf, c.buf, "something arrived")
            r.buf = c.buf = b""

    def run_line(self, where, line):
        if line.startswith("!sleep "):
            time.sleep(int(line.split()[1]) / 1000.0)
            return
        m = PUSH_LINE.match(line)
        if m:
            self.pushes(where, line, m)
            return
        if line.startswith("!"):
            raise CaseError("unknown directive")
        name = "main"
        m = re.match(r"@(\w+) ", line)
        if m:
            name, line = m.group(1), line[m.end():]
        mode, arg = "exact", None
        m = PREFIX.match(line)
        if m:
            line = line[m.end():]
            mode = m.group(1).split()[0]
            arg = m.group(2) or m.group(3) or m.group(4)
            if mode == "known" and arg not in self.known:
                raise CaseError("%s is not in PROTOCOL.md's differences table" % arg)
        words = split_words(line)
        if not words:
            raise CaseError("no command")
        data = b"".join(words) if mode == "raw" else encode(words)
        r, c = self.conn(name)
        r.send(data)
        c.send(data)
        self.commands += 1
        if mode == "replies":
            self.compare_replies(where, line, r, c, int(arg))
            return
        (rraw, rv), (craw, cv) = r.reply(), c.reply()
        if mode == "known":
            self.skipped += 1
        elif mode in ("exact", "raw"):
            if rraw != craw:
                self.report(where, line, rraw, craw, "replies differ")
        elif mode == "sorted":
            if sorted_value(rv) != sorted_value(cv):
                self.report(where, line, rraw, craw, "replies differ (sorted)")
        elif mode == "near":
            if not near(rv, cv, int(arg)):
                self.report(where, line, rraw, craw, "replies differ by more than %s" % arg)
        elif mode == "shape":
            if shape(rv) != shape(cv):
                self.report(where, line, rraw, craw, "reply shapes differ")

    def run_file(self, path):
        self.reset()
        with open(path, encoding="utf-8") as f:
            for no, raw in enumerate(f, 1):
                line = raw.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                where = "%s:%d" % (os.path.basename(path), no)
                if line.strip() == "---":
                    self.reset()
                    continue
                try:
                    self.run_line(where, line)
                except CaseError as e:
                    self.mismatches += 1
                    print("%s: %s\n  bad case line: %s" % (where, line, e))
                except TimeoutError as e:
                    self.mismatches += 1
                    print("%s: %s\n  %s" % (where, line, e))
                    self.reset()


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cachify-sock")
    ap.add_argument("--cachifyd")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--protocol", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "PROTOCOL.md"))
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args(argv)
    if not args.cachify_sock and not args.cachifyd:
        ap.error("give --cachify-sock or --cachifyd")
    if not shutil.which(args.redis_server):
        print("FAIL: %s not found (install redis-server: scripts/deps)" % args.redis_server)
        return 2

    tmp = tempfile.mkdtemp(prefix="cachify-diff.")
    procs = []
    try:
        rsock = os.path.join(tmp, "redis.sock")
        with open(os.path.join(tmp, "redis.log"), "w") as log:
            procs.append(start([args.redis_server, "--port", "0", "--unixsocket", rsock,
                                "--save", "", "--appendonly", "no", "--dir", tmp],
                               rsock, log, "redis-server"))
        csock = args.cachify_sock
        if not csock:
            csock = os.path.join(tmp, "cachifyd.sock")
            with open(os.path.join(tmp, "cachifyd.log"), "w") as log:
                procs.append(start([args.cachifyd, "-s", csock, "--dir", tmp], csock, log,
                                   "cachifyd"))
        runner = Runner(rsock, csock, known_ids(args.protocol))
        for path in args.cases:
            runner.run_file(path)
        print("diff: %d file(s), %d command(s), %d mismatch(es), %d known difference(s) skipped"
              % (len(args.cases), runner.commands, runner.mismatches, runner.skipped))
        return 1 if runner.mismatches else 0
    except (RuntimeError, OSError) as e:
        print("FAIL: %s" % e)
        return 2
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
