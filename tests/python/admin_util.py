"""Helpers for the admin/client/debug tests: a RESP decoder into Python values, INFO
parsing, and a pair of servers started with the same extra arguments."""
import re

from resp import RawConn
from servers import start_redis, start_rhea


class Err(str):
    """An error reply, kept distinct from a status reply."""


def parse(b, i=0):
    """Decode one RESP2/RESP3 reply from bytes; returns (value, next index). Maps become
    lists of alternating keys and values, as in RESP2."""
    t = b[i:i + 1]
    j = b.index(b"\r\n", i)
    head = b[i + 1:j]
    n = j + 2
    if t == b"+":
        return head.decode(), n
    if t == b"-":
        return Err(head.decode()), n
    if t in b":":
        return int(head), n
    if t == b"_":
        return None, n
    if t in b"$=":
        size = int(head)
        if size < 0:
            return None, n
        return b[n:n + size], n + size + 2
    if t in b"*~>":
        size = int(head)
        if size < 0:
            return None, n
        out = []
        for _ in range(size):
            v, n = parse(b, n)
            out.append(v)
        return out, n
    if t == b"%":
        out = []
        for _ in range(2 * int(head)):
            v, n = parse(b, n)
            out.append(v)
        return out, n
    raise ValueError("unsupported reply type %r" % t)


def value(raw):
    return parse(raw)[0]


def call(conn, *args):
    return value(conn.call(*args))


def info_sections(text):
    """INFO text -> list of (section title, [field names])."""
    if isinstance(text, bytes):
        text = text.decode()
    sections = []
    for line in text.split("\r\n"):
        if line.startswith("# "):
            sections.append((line[2:], []))
        elif line:
            assert sections, "field before any section: %r" % line
            sections[-1][1].append(line.split(":", 1)[0])
    return sections


def info_fields(text):
    """INFO text -> {field: value}."""
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


CLIENT_FIELD = re.compile(r"(\S+?)=")


def client_line_fields(line):
    """Field names of one CLIENT LIST line, in order."""
    if isinstance(line, bytes):
        line = line.decode()
    return [f.split("=", 1)[0] for f in line.strip().split(" ")]


class ServerPair:
    """A Rhea and a real Redis started with the same extra arguments."""

    def __init__(self, *extra):
        self.rhea = start_rhea(*extra)
        try:
            self.redis = start_redis(*extra)
        except Exception:
            self.rhea.cleanup()
            raise

    def both(self):
        return (self.rhea, self.redis)

    def conns(self):
        return RawConn(self.rhea.port), RawConn(self.redis.port)

    def cleanup(self):
        self.rhea.cleanup()
        self.redis.cleanup()
