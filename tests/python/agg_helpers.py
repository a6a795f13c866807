"""Helpers for differential tests of aggregate types (hashes, sets) whose hashtable
iteration order, or whose random commands, legitimately differ from real Redis.

`decode` turns raw reply bytes into Python values so tests can compare sorted contents,
check membership and counts, while the reply *type* (first byte) and length are still
compared exactly.
"""
import re


class Err(str):
    """An error reply's text."""


class RSet(list):
    """A RESP3 set reply (`~`)."""


class RMap(list):
    """A RESP3 map reply (`%`), as a list of (key, value) pairs."""


def decode(raw):
    value, end = _decode(raw, 0)
    assert end == len(raw), "trailing bytes in %r" % raw
    return value


def _line(raw, pos):
    end = raw.index(b"\r\n", pos)
    return raw[pos + 1:end], end + 2


def _decode(raw, pos):
    t = raw[pos:pos + 1]
    head, nxt = _line(raw, pos)
    if t == b"+":
        return head.decode(), nxt
    if t == b"-":
        return Err(head.decode()), nxt
    if t == b":":
        return int(head), nxt
    if t == b"_":
        return None, nxt
    if t == b",":
        return float(head), nxt
    if t == b"#":
        return head == b"t", nxt
    if t == b"$":
        n = int(head)
        if n < 0:
            return None, nxt
        return raw[nxt:nxt + n], nxt + n + 2
    if t in (b"*", b"~"):
        n = int(head)
        if n < 0:
            return None, nxt
        items = []
        for _ in range(n):
            v, nxt = _decode(raw, nxt)
            items.append(v)
        return (RSet(items) if t == b"~" else items), nxt
    if t == b"%":
        pairs = RMap()
        for _ in range(int(head)):
            k, nxt = _decode(raw, nxt)
            v, nxt = _decode(raw, nxt)
            pairs.append((k, v))
        return pairs, nxt
    raise ValueError("unsupported reply %r" % raw[pos:pos + 20])


def header(raw):
    """The first line of a reply: its type and length."""
    return raw.split(b"\r\n", 1)[0]


def flat_pairs(items):
    """[f1, v1, f2, v2] -> [(f1, v1), (f2, v2)]"""
    assert len(items) % 2 == 0
    return list(zip(items[0::2], items[1::2]))


def same_sorted(pair, *args, pairs=False):
    """Send to both; the reply headers must match and the elements (or field/value pairs
    of a flat or map reply) must be equal as sorted lists. Returns the decoded value."""
    a, b = pair.both(*args)
    assert header(a) == header(b), "%r\n  rhea:  %r\n  redis: %r" % (args, a[:200], b[:200])
    da, db = decode(a), decode(b)
    if pairs:
        if isinstance(da, RMap):
            ka, kb = list(da), list(db)
        else:
            ka, kb = flat_pairs(da), flat_pairs(db)
    else:
        ka, kb = list(da), list(db)
    assert sorted(ka) == sorted(kb), "%r\n  rhea:  %r\n  redis: %r" % (args, ka, kb)
    return da


def encoding(conn, key):
    return conn.call("OBJECT", "ENCODING", key)


def same_encoding(pair, key):
    return pair.same("OBJECT", "ENCODING", key)


def info_field(conn, section, field):
    raw = conn.call("INFO", section)
    text = decode(raw).decode()
    m = re.search(r"^%s:(\S+)" % re.escape(field), text, re.M)
    assert m, "no %s in INFO %s" % (field, section)
    return int(m.group(1))


def scan_all(conn, cmd, key, *opts):
    """Run a full HSCAN/SSCAN iteration; returns (elements in order, number of calls)."""
    cursor = b"0"
    out = []
    calls = 0
    while True:
        reply = decode(conn.call(cmd, key, cursor, *opts))
        cursor, items = reply
        out.extend(items)
        calls += 1
        if cursor == b"0":
            return out, calls
        assert calls < 100000


def collect_events(conn, timeout=0.3):
    """Drain pub/sub messages from a subscribed RawConn: [(channel, payload), ...]."""
    conn.sock.settimeout(timeout)
    events = []
    try:
        while True:
            msg = decode(conn.read_reply())
            if msg[0] == b"pmessage":
                events.append((msg[2], msg[3]))
    except OSError:
        pass
    conn.sock.settimeout(5.0)
    return events
