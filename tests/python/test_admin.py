"""INFO, COMMAND, TIME, MONITOR, SLOWLOG, LATENCY, SHUTDOWN, LASTSAVE and ROLE against
Redis 7.0: byte-identical where the output is deterministic, structurally otherwise
(INFO's section headers and field names, in order)."""
import os
import re
import time

import pytest

from admin_util import ServerPair, call, info_fields, info_sections, value
from resp import RawConn, encode
from servers import start_redis, start_rhea

# Sections whose field names depend on what ran (per command, per error code, per db).
DATA_SECTIONS = {"Commandstats", "Errorstats", "Latencystats", "Keyspace"}


def info_text(conn, *sections):
    return call(conn, "INFO", *sections)


@pytest.mark.parametrize("sections", [
    (), ("default",), ("all",), ("everything",), ("DEFAULT",), ("server",), ("clients",),
    ("memory",), ("persistence",), ("stats",), ("replication",), ("cpu",), ("modules",),
    ("cluster",), ("keyspace", "server"), ("CPU", "Memory"), ("module_list",),
])
def test_info_structure(pair, sections):
    pair.both("SET", "k", "v")
    ours = info_sections(info_text(pair.ours, *sections))
    theirs = info_sections(info_text(pair.theirs, *sections))
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    for (name, a), (_, b) in zip(ours, theirs):
        if name not in DATA_SECTIONS:
            assert a == b, name


def test_info_data_sections(rhea_server, redis_server):
    """After the same commands, the per-command, per-error and per-db lines agree."""
    got = []
    for srv in (rhea_server, redis_server):
        c = RawConn(srv.port)
        c.call("FLUSHALL")
        c.call("CONFIG", "RESETSTAT")
        c.call("SET", "a", "1")
        c.call("SET", "b", "2", "EX", "100")
        c.call("GET", "a")
        c.call("NOSUCH")
        c.call("GET")
        c.call("SELECT", "2")
        c.call("SET", "x", "y")
        c.call("SELECT", "0")
        text = info_text(c, "commandstats", "errorstats", "keyspace", "latencystats")
        secs = dict(info_sections(text))
        fields = info_fields(text)
        got.append((sorted(secs["Commandstats"]), secs["Errorstats"], secs["Keyspace"],
                    sorted(secs["Latencystats"]), fields["db0"].rsplit(",", 1)[0],
                    fields["db2"], fields["errorstat_ERR"]))
        cs = fields["cmdstat_get"]
        assert re.fullmatch(r"calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,"
                            r"failed_calls=0", cs), (srv.name, cs)
        c.close()
    assert got[0] == got[1]


def test_info_values(rhea_server):
    c = RawConn(rhea_server.port)
    f = info_fields(info_text(c, "everything"))
    assert f["redis_version"] == "7.0.15"
    assert f["tcp_port"] == str(rhea_server.port)
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"]) and f["master_replid"] != f["run_id"]
    assert f["process_id"] == str(rhea_server.pid)
    assert int(f["connected_clients"]) >= 1
    assert int(f["used_memory"]) > 0 and f["used_memory_human"][-1] in "BKMG"
    assert f["role"] == "master" and f["master_replid2"] == "0" * 40
    assert re.fullmatch(r"\d+\.\d{6}", f["used_cpu_user_main_thread"])
    assert f["rdb_last_bgsave_status"] == "ok" and f["cluster_enabled"] == "0"
    assert abs(int(f["server_time_usec"]) / 1e6 - time.time()) < 5
    # The replication id is stable.
    assert info_fields(info_text(c, "replication"))["master_replid"] == f["master_replid"]
    c.close()


def test_info_replication_exact(pair):
    a = info_text(pair.ours, "replication").decode()
    b = info_text(pair.theirs, "replication").decode()
    scrub = lambda t: re.sub(r"master_replid:[0-9a-f]{40}", "master_replid:X", t)  # noqa: E731
    assert scrub(a) == scrub(b)


def test_info_unknown_and_resp3(pair):
    pair.same("INFO", "nosuch")
    pair.same("INFO", "cluster")
    pair.same("INFO", "modules")
    pair.both("HELLO", "3")
    pair.same("INFO", "nosuch")
    pair.same("INFO", "cluster")
    a = pair.ours.call("INFO")
    assert a.startswith(b"=") and b"\r\ntxt:# Server\r\n" in a and a.endswith(b"\r\n\r\n")


# ===== COMMAND =====

def entries_by_name(conn, names):
    return {n: e for n, e in zip(names, call(conn, "COMMAND", "INFO", *names))}


def normalize(entry):
    """A COMMAND INFO entry with subcommands reduced to their normalized entries, sorted
    (Redis lists them in hash-table order)."""
    head = entry[:9]
    subs = sorted((normalize(s) for s in entry[9]), key=lambda s: s[0])
    return head + [subs]


def test_command_info_matches_redis(rhea_server, redis_server):
    """Every command Rhea registers must be described exactly as Redis describes it."""
    ours, theirs = RawConn(rhea_server.port), RawConn(redis_server.port)
    names = [n.decode() for n in call(ours, "COMMAND", "LIST")]
    top = [n for n in names if "|" not in n]
    a = entries_by_name(ours, top)
    b = entries_by_name(theirs, top)
    diffs = []
    for n in top:
        if b[n] is None:
            diffs.append((n, "unknown to Redis"))
        elif normalize(a[n]) != normalize(b[n]):
            diffs.append((n, normalize(a[n]), normalize(b[n])))
    ours.close()
    theirs.close()
    unexpected = [d for d in diffs if d[0] not in KNOWN_TABLE_DIFFS]
    assert not unexpected, "\n".join(repr(d) for d in unexpected)
    if diffs:
        pytest.xfail("known table differences: %s" % ", ".join(d[0] for d in diffs))


# Rows of other families' tables known to differ from Redis (reported to their owners):
# ECHO lacks LOADING|STALE.
KNOWN_TABLE_DIFFS = set()


def test_command_info_bytes_for_leaf_commands(pair):
    for name in ["get", "info", "time", "monitor", "lastsave", "role", "shutdown", "debug",
                 "client|kill", "client|list", "slowlog|get", "latency|doctor", "command|info",
                 "ping", "publish", "GET", "Client|List", "nosuch", "a|b|c", "client|nosuch"]:
        pair.same("COMMAND", "INFO", name)
    pair.both("HELLO", "3")
    pair.same("COMMAND", "INFO", "get", "client|list", "nosuch")


def test_command_count_and_list(rhea_server, redis_server):
    ours, theirs = RawConn(rhea_server.port), RawConn(redis_server.port)
    our_names = {n.decode() for n in call(ours, "COMMAND", "LIST")}
    their_names = {n.decode() for n in call(theirs, "COMMAND", "LIST")}
    assert our_names <= their_names, our_names - their_names
    top = {n for n in our_names if "|" not in n}
    assert call(ours, "COMMAND", "COUNT") == len(top)
    assert len(call(ours, "COMMAND")) == len(top)
    assert len(call(ours, "COMMAND", "INFO")) == len(top)
    for filt in [("PATTERN", "cl*"), ("PATTERN", "CLIENT|*"), ("ACLCAT", "connection"),
                 ("ACLCAT", "Admin"), ("ACLCAT", "dangerous"), ("ACLCAT", "slow"),
                 ("ACLCAT", "nosuch"), ("MODULE", "x")]:
        a = {n.decode() for n in call(ours, "COMMAND", "LIST", "FILTERBY", *filt)}
        b = {n.decode() for n in call(theirs, "COMMAND", "LIST", "FILTERBY", *filt)}
        assert a == b & our_names, filt
    ours.close()
    theirs.close()


@pytest.mark.parametrize("args", [
    ("COMMAND", "LIST", "foo"),
    ("COMMAND", "LIST", "FILTERBY"),
    ("COMMAND", "LIST", "FILTERBY", "foo", "x"),
    ("COMMAND", "COUNT", "x"),
    ("COMMAND", "HELP"),
    ("COMMAND", "FOO"),
    ("COMMAND", "DOCS", "nosuch"),
    ("COMMAND", "GETKEYS"),
    ("COMMAND", "GETKEYS", "get"),
    ("COMMAND", "GETKEYS", "nosuch", "x"),
    ("COMMAND", "GETKEYS", "ping", "x"),
    ("COMMAND", "GETKEYS", "client", "list"),
    ("COMMAND", "GETKEYS", "get", "a"),
    ("COMMAND", "GETKEYS", "get", "a", "b"),
    ("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"),
    ("COMMAND", "GETKEYS", "set", "k", "v", "EX", "10"),
    ("COMMAND", "GETKEYS", "del", "a", "b", "c"),
    ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"),
    ("COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"),
    ("COMMAND", "GETKEYS", "blpop", "a", "b", "0"),
    ("COMMAND", "GETKEYS", "lmove", "a", "b", "LEFT", "RIGHT"),
    ("COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b"),
    ("COMMAND", "GETKEYS", "zunionstore", "d", "x", "a", "b"),
])
def test_command_fixed_replies(pair, args):
    if args[1].upper().startswith("GETKEYS") and len(args) > 3:
        known = value(pair.ours.call("COMMAND", "INFO", args[2]))[0]
        if known is None and args[2] not in ("nosuch",):
            pytest.skip("%s not implemented yet" % args[2])
    pair.same(*args)


def test_command_docs_shape(pair):
    a = call(pair.ours, "COMMAND", "DOCS", "get", "client", "nosuch")
    names = a[0::2]
    assert names == [b"get", b"client"] or names == [b"client"]
    doc = dict(zip(a[-1][0::2], a[-1][1::2]))
    assert doc[b"group"] == b"connection" and doc[b"since"] == b"2.4.0"
    assert b"client|list" in doc[b"subcommands"][0::2]


# ===== TIME, LASTSAVE, ROLE =====

def test_time_lastsave_role(pair):
    secs, usecs = call(pair.ours, "TIME")
    assert abs(int(secs) - time.time()) < 3 and 0 <= int(usecs) < 1_000_000
    raw = pair.ours.call("TIME")
    assert re.fullmatch(rb"\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d+\r\n", raw)
    last = call(pair.ours, "LASTSAVE")
    assert isinstance(last, int) and last <= time.time()
    pair.same("ROLE")
    pair.same("TIME", "x")
    pair.same("LASTSAVE", "x")
    pair.same("ROLE", "x")


# ===== MONITOR =====

MONITOR_LINE = re.compile(rb'\+\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" "k" "v\\x00"\r\n')


def test_monitor(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        mon, c = RawConn(srv.port), RawConn(srv.port)
        assert mon.call("MONITOR") == b"+OK\r\n"
        c.call("set", "k", "v\x00")
        line = mon.read_reply()
        assert MONITOR_LINE.fullmatch(line), (srv.name, line)
        # Admin commands are not shown; a second MONITOR gets no reply at all.
        c.call("CLIENT", "LIST")
        c.call("select", "2")
        line = mon.read_reply()
        # Fed after execution, so the line shows the database selected by the command.
        assert re.fullmatch(rb'\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "select" "2"\r\n', line), line
        mon.send_raw(encode("MONITOR") + encode("PING"))
        assert mon.read_reply() == b"+PONG\r\n"
        assert "flags=O" in call(c, "CLIENT", "LIST").decode(), srv.name
        mon.close()
        c.close()


def test_monitor_inside_multi(pair):
    pair.same("MULTI")
    pair.same("MONITOR")
    pair.same("EXEC")


# ===== SLOWLOG =====

@pytest.fixture(scope="module")
def slow_pair():
    p = ServerPair("--slowlog-log-slower-than", "0", "--slowlog-max-len", "5")
    yield p
    p.cleanup()


def test_slowlog(slow_pair):
    outs = []
    for srv in slow_pair.both():
        c = RawConn(srv.port)
        assert c.call("SLOWLOG", "RESET") == b"+OK\r\n"
        c.call("CLIENT", "SETNAME", "slowpoke")
        c.call("PING", "x" * 200)
        c.call("ECHO", "hi")
        c.call("PING", *["a"] * 40)
        # RESET itself is logged after it ran; the log keeps the 5 newest entries.
        entries = call(c, "SLOWLOG", "GET")
        assert len(entries) == 5, (srv.name, entries)
        for e in entries:
            assert len(e) == 6 and isinstance(e[0], int) and isinstance(e[2], int)
            assert abs(e[1] - time.time()) < 5
            assert e[4] == ("127.0.0.1:%d" % c.sock.getsockname()[1]).encode()
        assert [e[5] for e in entries] == [b"slowpoke"] * 4 + [b""]
        assert entries[0][0] > entries[1][0]
        outs.append([e[3] for e in entries])
        outs.append(call(c, "SLOWLOG", "LEN"))
        outs.append(len(call(c, "SLOWLOG", "GET", "1")))
        outs.append(len(call(c, "SLOWLOG", "GET", "-1")))
        for _ in range(10):
            c.call("PING")
        outs.append(call(c, "SLOWLOG", "LEN"))
        c.close()
    assert outs[:5] == outs[5:]
    assert outs[0][0][-1] == b"... (10 more arguments)" and len(outs[0][0]) == 32
    assert outs[0][2][1] == b"x" * 128 + b"... (72 more bytes)"


@pytest.mark.parametrize("args", [
    ("SLOWLOG", "HELP"), ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "abc"),
    ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "FOO"), ("SLOWLOG",),
    ("SLOWLOG", "RESET"), ("SLOWLOG", "GET"), ("SLOWLOG", "LEN"),
])
def test_slowlog_fixed_replies(pair, args):
    pair.same(*args)


# ===== LATENCY =====

@pytest.mark.parametrize("args", [
    ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "command"), ("LATENCY", "RESET"),
    ("LATENCY", "RESET", "foo", "bar"), ("LATENCY", "DOCTOR"), ("LATENCY", "GRAPH", "command"),
    ("LATENCY", "HELP"), ("LATENCY", "FOO"), ("LATENCY",), ("LATENCY", "HISTORY"),
    ("LATENCY", "HISTOGRAM", "nosuch"),
])
def test_latency_fixed_replies(pair, args):
    pair.same(*args)


def test_latency_doctor_enabled_and_resp3(pair):
    pair.same("CONFIG", "SET", "latency-monitor-threshold", "100")
    pair.same("LATENCY", "DOCTOR")
    pair.same("CONFIG", "SET", "latency-monitor-threshold", "0")
    pair.both("HELLO", "3")
    pair.same("LATENCY", "DOCTOR")


def test_latency_histogram_shape(pair):
    pair.both("PING")
    a = call(pair.ours, "LATENCY", "HISTOGRAM", "ping", "nosuch")
    assert a[0] == b"ping" and a[1][0] == b"calls" and a[1][2] == b"histogram_usec"
    assert a[1][1] >= 1 and len(a[1][3]) % 2 == 0 and a[1][3][1] == a[1][1]


# ===== SHUTDOWN =====

@pytest.mark.parametrize("args", [
    ("SHUTDOWN", "foo"), ("SHUTDOWN", "save", "nosave"), ("SHUTDOWN", "abort", "now"),
    ("SHUTDOWN", "ABORT"), ("SHUTDOWN", "nosave", "abort"),
])
def test_shutdown_errors(pair, args):
    pair.same(*args)


def test_shutdown_in_multi(pair):
    pair.same("MULTI")
    pair.same("SHUTDOWN")
    pair.same("EXEC")


@pytest.mark.parametrize("args", [("SHUTDOWN",), ("SHUTDOWN", "NOSAVE", "NOW", "FORCE")])
def test_shutdown_exits(args):
    for start in (start_rhea, start_redis):
        srv = start()
        try:
            c = RawConn(srv.port)
            # Nothing pipelined after SHUTDOWN runs: the PING gets no reply either.
            c.send_raw(encode(*args) + encode("PING"))
            data, was_closed = c.read_all_until_close(timeout=5)
            assert (data, was_closed) == (b"", True), srv.name
            assert srv.p.wait(10) == 0, srv.name
            log = srv.output()
            i = log.index("User requested shutdown...")
            assert log.index("Redis is now ready to exit, bye bye...", i) > i
            c.close()
        finally:
            srv.cleanup()
            assert not os.path.exists(srv.cwd)
