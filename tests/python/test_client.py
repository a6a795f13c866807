"""CLIENT subcommands, compared with Redis 7.0 byte for byte where the output is
deterministic, and by behaviour (who gets killed, who waits) where it is not."""
import re
import socket
import time

import pytest

from admin_util import call, client_line_fields, value
from resp import RawConn, encode


def test_identity(pair):
    pair.same("CLIENT", "GETNAME")
    pair.same("CLIENT", "SETNAME", "a b")
    pair.same("CLIENT", "SETNAME", "x\ny")
    pair.same("CLIENT", "SETNAME", "myname")
    pair.same("CLIENT", "GETNAME")
    pair.same("CLIENT", "SETNAME", "")
    pair.same("CLIENT", "GETNAME")
    a, b = pair.both("CLIENT", "ID")
    assert re.fullmatch(rb":\d+\r\n", a) and re.fullmatch(rb":\d+\r\n", b)


@pytest.mark.parametrize("args", [
    ("CLIENT",),
    ("CLIENT", "FOO"),
    ("CLIENT", "HELP"),
    ("CLIENT", "HELP", "x"),
    ("CLIENT", "ID", "x"),
    ("CLIENT", "INFO", "x"),
    ("CLIENT", "SETNAME"),
    ("CLIENT", "GETNAME", "x"),
    ("CLIENT", "KILL"),
    ("CLIENT", "KILL", "1.2.3.4:5"),
    ("CLIENT", "KILL", "a", "b", "c"),
    ("CLIENT", "KILL", "ID", "abc"),
    ("CLIENT", "KILL", "ID", "0"),
    ("CLIENT", "KILL", "ID", "-5"),
    ("CLIENT", "KILL", "ID", "999999"),
    ("CLIENT", "KILL", "ID", "5", "TYPE"),
    ("CLIENT", "KILL", "TYPE", "foo"),
    ("CLIENT", "KILL", "TYPE", "master"),
    ("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "foo"),
    ("CLIENT", "KILL", "USER", "nobody"),
    ("CLIENT", "KILL", "MAXAGE", "10"),
    ("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"),
    ("CLIENT", "LIST", "TYPE"),
    ("CLIENT", "LIST", "TYPE", "foo"),
    ("CLIENT", "LIST", "ID"),
    ("CLIENT", "LIST", "ID", "abc"),
    ("CLIENT", "LIST", "ID", "999999"),
    ("CLIENT", "LIST", "foo"),
    ("CLIENT", "LIST", "TYPE", "master"),
    ("CLIENT", "PAUSE", "abc"),
    ("CLIENT", "PAUSE", "-1"),
    ("CLIENT", "PAUSE", "10", "foo"),
    ("CLIENT", "PAUSE", "1", "write", "extra"),
    ("CLIENT", "PAUSE", "0"),
    ("CLIENT", "UNPAUSE"),
    ("CLIENT", "UNPAUSE", "x"),
    ("CLIENT", "UNBLOCK", "1", "foo"),
    ("CLIENT", "UNBLOCK", "abc"),
    ("CLIENT", "UNBLOCK", "abc", "foo"),
    ("CLIENT", "UNBLOCK", "1", "2", "3"),
    ("CLIENT", "UNBLOCK", "999999"),
    ("CLIENT", "UNBLOCK", "999999", "ERROR"),
    ("CLIENT", "REPLY", "foo"),
    ("CLIENT", "REPLY", "ON"),
    ("CLIENT", "NO-EVICT", "foo"),
    ("CLIENT", "NO-EVICT", "on"),
    ("CLIENT", "NO-EVICT", "OFF"),
    ("CLIENT", "TRACKING", "foo"),
    ("CLIENT", "TRACKING", "off"),
    ("CLIENT", "TRACKING", "off", "bcast"),
    ("CLIENT", "TRACKING", "on", "foo"),
    ("CLIENT", "TRACKINGINFO"),
    ("CLIENT", "GETREDIR"),
    ("CLIENT", "CACHING", "yes"),
    ("CLIENT", "CACHING", "foo"),
])
def test_errors_and_fixed_replies(pair, args):
    pair.same(*args)


def test_resp3_shapes(pair):
    pair.both("HELLO", "3")
    pair.same("CLIENT", "TRACKINGINFO")
    pair.same("CLIENT", "GETNAME")
    a, b = pair.both("CLIENT", "INFO")
    assert a.startswith(b"=") and b"\r\ntxt:id=" in a
    assert b.startswith(b"=") and b"\r\ntxt:id=" in b
    a, b = pair.both("CLIENT", "LIST")
    assert a.startswith(b"=") and a.endswith(b"\n\r\n")


def test_list_and_info_format(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        c, other = RawConn(srv.port), RawConn(srv.port)
        other.call("CLIENT", "SETNAME", "other")
        info = call(c, "CLIENT", "INFO")
        assert info.endswith(b"\n") and info.count(b"\n") == 1
        lst = call(c, "CLIENT", "LIST").decode()
        lines = [line for line in lst.split("\n") if line]
        assert len(lines) >= 2
        mine = [line for line in lines if "cmd=client|list" in line]
        assert len(mine) == 1, (srv.name, lst)
        assert len([line for line in lines if " name=other " in line]) == 1
        c.close()
        other.close()


def test_list_field_names_match_redis(rhea_server, redis_server):
    fields = []
    for srv in (rhea_server, redis_server):
        c = RawConn(srv.port)
        fields.append((client_line_fields(call(c, "CLIENT", "INFO")),
                       client_line_fields(call(c, "CLIENT", "LIST").split(b"\n")[0])))
        c.close()
    assert fields[0] == fields[1]


def test_info_line_values(rhea_server):
    c = RawConn(rhea_server.port)
    c.call("CLIENT", "SETNAME", "me")
    c.call("SELECT", "3")
    line = call(c, "CLIENT", "INFO").decode()
    d = dict(f.split("=", 1) for f in line.strip().split(" "))
    assert d["name"] == "me"
    assert d["db"] == "3"
    assert d["cmd"] == "client|info"
    assert d["flags"] == "N"
    assert d["laddr"] == "127.0.0.1:%d" % rhea_server.port
    assert d["resp"] == "2"
    assert d["user"] == "default"
    assert d["id"] == str(value(c.call("CLIENT", "ID")))
    c.close()


def test_list_filters(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        a, sub = RawConn(srv.port), RawConn(srv.port)
        sub.call("SUBSCRIBE", "ch")
        pubsub = call(a, "CLIENT", "LIST", "TYPE", "pubsub").decode()
        assert pubsub.count("\n") == 1 and "sub=1" in pubsub and "flags=P" in pubsub
        normal = call(a, "CLIENT", "LIST", "TYPE", "NORMAL").decode()
        assert "flags=P" not in normal
        myid = call(a, "CLIENT", "ID")
        by_id = call(a, "CLIENT", "LIST", "ID", str(myid), "999999", str(myid)).decode()
        assert by_id.count("\n") == 2 and by_id.count("id=%d " % myid) == 2
        a.close()
        sub.close()


def closed(conn, timeout=2.0):
    conn.sock.settimeout(timeout)
    try:
        data = conn.sock.recv(100)
        return data == b""
    except (socket.timeout, ConnectionError):
        return False


def addr_of(conn):
    host, port = conn.sock.getsockname()
    return "%s:%d" % (host, port)


def live(port):
    """A connection the server has certainly registered (it answered a PING)."""
    c = RawConn(port)
    assert c.call("PING") == b"+PONG\r\n"
    return c


def kill_scenario(port):
    """Run the same CLIENT KILL sequence on one server; return what happened."""
    out = []
    me, v1, v2, v3 = (live(port) for _ in range(4))
    # Old form against another connection: +OK, that one is closed.
    out.append(me.call("CLIENT", "KILL", addr_of(v1)))
    out.append(closed(v1))
    # New form by ID: count.
    out.append(me.call("CLIENT", "KILL", "ID", str(call(v2, "CLIENT", "ID"))))
    out.append(closed(v2))
    # New form by ADDR and LADDR; SKIPME defaults to yes so the caller survives.
    out.append(me.call("CLIENT", "KILL", "ADDR", addr_of(v3), "SKIPME", "yes"))
    out.append(closed(v3))
    w1, w2 = live(port), live(port)
    # Counts include connections of earlier tests still being torn down: only bound them.
    out.append(value(me.call("CLIENT", "KILL", "LADDR", "127.0.0.1:%d" % port, "TYPE", "normal")) >= 2)
    out.append((closed(w1), closed(w2)))
    out.append(me.call("PING"))
    # USER default matches everyone; SKIPME no also takes the caller, after its reply.
    x = live(port)
    out.append(value(me.call("CLIENT", "KILL", "USER", "default", "SKIPME", "no")) >= 2)
    out.append(closed(x))
    out.append(closed(me))
    # Old form against oneself: +OK, then the connection closes.
    y = live(port)
    out.append(y.call("CLIENT", "KILL", addr_of(y)))
    out.append(closed(y))
    for c in (me, v1, v2, v3, w1, w2, x, y):
        c.close()
    return out


def test_kill_variants(rhea_server, redis_server):
    ours = kill_scenario(rhea_server.port)
    theirs = kill_scenario(redis_server.port)
    assert ours == theirs
    assert ours[0] == b"+OK\r\n" and ours[1] is True
    assert ours[2] == b":1\r\n"


def test_kill_type_skipme(rhea_server, redis_server):
    """The sentinel form `CLIENT KILL TYPE normal` spares the caller unless SKIPME no."""
    for srv in (rhea_server, redis_server):
        me, other = live(srv.port), live(srv.port)
        # At least `other`; connections of earlier tests may still be closing.
        assert value(me.call("CLIENT", "KILL", "TYPE", "normal")) >= 1, srv.name
        assert closed(other)
        assert me.call("PING") == b"+PONG\r\n"
        sub = live(srv.port)
        sub.call("SUBSCRIBE", "x")
        assert me.call("CLIENT", "KILL", "TYPE", "pubsub") == b":1\r\n"
        assert closed(sub)
        assert value(me.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no")) >= 1
        assert closed(me)
        for c in (me, other, sub):
            c.close()


def timed_call(conn, *args):
    t0 = time.time()
    r = conn.call(*args)
    return r, time.time() - t0


def test_pause_write_delays_writes_only(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        admin, reader, writer = (RawConn(srv.port) for _ in range(3))
        assert admin.call("CLIENT", "PAUSE", "600", "WRITE") == b"+OK\r\n"
        r, dt = timed_call(reader, "PING")
        assert r == b"+PONG\r\n" and dt < 0.3, (srv.name, dt)
        r, dt = timed_call(reader, "CLIENT", "ID")
        assert dt < 0.3
        r, dt = timed_call(writer, "PUBLISH", "ch", "x")
        assert r == b":0\r\n" and dt > 0.3, (srv.name, dt)
        admin.call("CLIENT", "UNPAUSE")
        for c in (admin, reader, writer):
            c.close()


def test_pause_write_with_keys(pair, rhea_server, redis_server):
    """SET waits for the pause to end; GET does not."""
    pair.both("SET", "k", "v")
    for srv in (rhea_server, redis_server):
        admin, reader, writer = (RawConn(srv.port) for _ in range(3))
        admin.call("CLIENT", "PAUSE", "500", "WRITE")
        r, dt = timed_call(reader, "GET", "k")
        assert r == b"$1\r\nv\r\n" and dt < 0.3, (srv.name, dt)
        r, dt = timed_call(writer, "SET", "k", "w")
        assert r == b"+OK\r\n" and dt > 0.3, (srv.name, dt)
        for c in (admin, reader, writer):
            c.close()


def test_pause_all_delays_everything(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        admin, other = RawConn(srv.port), RawConn(srv.port)
        assert admin.call("CLIENT", "PAUSE", "700", "ALL") == b"+OK\r\n"
        t0 = time.time()
        other.send_raw(encode("PING"))
        other.sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            other.sock.recv(10)
        other.sock.settimeout(5)
        assert other.read_reply() == b"+PONG\r\n"
        assert time.time() - t0 > 0.6, srv.name
        admin.close()
        other.close()


def test_unpause_releases_writers(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        admin, writer = RawConn(srv.port), RawConn(srv.port)
        admin.call("CLIENT", "PAUSE", "10000", "WRITE")
        t0 = time.time()
        writer.send_raw(encode("PUBLISH", "ch", "x"))
        time.sleep(0.2)
        assert admin.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.read_reply() == b":0\r\n"
        assert time.time() - t0 < 2, srv.name
        admin.close()
        writer.close()


def test_reply_off_skip(rhea_server, redis_server):
    outs = []
    for srv in (rhea_server, redis_server):
        c = RawConn(srv.port)
        c.send_raw(encode("CLIENT", "REPLY", "SKIP") + encode("PING", "a")
                   + encode("PING", "b") + encode("CLIENT", "REPLY", "OFF")
                   + encode("PING", "c") + encode("CLIENT", "REPLY", "SKIP")
                   + encode("PING", "d") + encode("CLIENT", "REPLY", "ON")
                   + encode("PING", "e") + encode("CLIENT", "REPLY", "SKIP")
                   + encode("CLIENT", "REPLY", "ON") + encode("PING", "f")
                   + encode("QUIT"))
        data, was_closed = c.read_all_until_close()
        outs.append(data)
        assert was_closed
        c.close()
    assert outs[0] == outs[1]
    assert outs[0] == b"$1\r\nb\r\n+OK\r\n$1\r\ne\r\n+OK\r\n$1\r\nf\r\n+OK\r\n"


def has_command(conn, name):
    return call(conn, "COMMAND", "INFO", name)[0] is not None


def test_unblock(rhea_server, redis_server):
    outs = []
    for srv in (rhea_server, redis_server):
        admin, blocked = RawConn(srv.port), RawConn(srv.port)
        if not has_command(admin, "blpop"):
            pytest.skip("BLPOP not implemented yet")
        bid = call(blocked, "CLIENT", "ID")
        got = []
        for reason in (None, "TIMEOUT", "ERROR"):
            blocked.send_raw(encode("BLPOP", "nolist", "0"))
            time.sleep(0.1)
            args = ["CLIENT", "UNBLOCK", str(bid)] + ([reason] if reason else [])
            got.append(admin.call(*args))
            got.append(blocked.read_reply())
        got.append(admin.call("CLIENT", "UNBLOCK", str(bid)))
        outs.append(got)
        admin.close()
        blocked.close()
    assert outs[0] == outs[1]
    assert outs[0][-2].startswith(b"-UNBLOCKED")
