"""Real client programs against Rhea: redis-py (RESP2 and RESP3) and redis-cli, with the
results compared to the same program against real redis-server where meaningful."""
import subprocess
import time

import pytest
import redis

from resp import RawConn


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def py(request, rhea_server):
    r = redis.Redis(port=rhea_server.port, protocol=request.param, decode_responses=True)
    r.flushall()
    yield r
    r.close()


def test_redis_py_types_round_trip(py):
    assert py.set("s", "v", ex=100) is True
    assert py.get("s") == "v" and 0 < py.ttl("s") <= 100
    assert py.incrbyfloat("f", 0.1) == pytest.approx(0.1)
    py.rpush("l", "a", "b", "c")
    assert py.lrange("l", 0, -1) == ["a", "b", "c"]
    py.hset("h", mapping={"x": "1", "y": "2"})
    assert py.hgetall("h") == {"x": "1", "y": "2"}
    py.sadd("st", "a", "b")
    assert py.smembers("st") == {"a", "b"}
    py.zadd("z", {"a": 1.5, "b": 0.5})
    assert [tuple(x) for x in py.zrange("z", 0, -1, withscores=True)] == [("b", 0.5), ("a", 1.5)]
    assert py.zscore("z", "a") == 1.5
    assert py.type("z") == "zset"
    assert sorted(py.scan_iter("*")) == ["f", "h", "l", "s", "st", "z"]


def test_redis_py_transactions_and_watch(py, rhea_server):
    with py.pipeline() as p:
        p.watch("counter")
        p.multi()
        p.incr("counter")
        p.incr("counter")
        assert p.execute() == [1, 2]
    other = redis.Redis(port=rhea_server.port)
    with py.pipeline() as p:
        p.watch("counter")
        other.set("counter", 100)
        p.multi()
        p.incr("counter")
        with pytest.raises(redis.WatchError):
            p.execute()
    other.close()


def test_redis_py_pubsub(py, rhea_server):
    ps = py.pubsub()
    ps.subscribe("news")
    ps.psubscribe("n*")
    assert ps.get_message(timeout=2)["type"] == "subscribe"
    assert ps.get_message(timeout=2)["type"] == "psubscribe"
    assert py.publish("news", "hello") == 2
    got = [ps.get_message(timeout=2) for _ in range(2)]
    assert sorted(m["type"] for m in got) == ["message", "pmessage"]
    assert all(m["data"] == "hello" for m in got)
    ps.close()


def test_redis_py_blocking_pop(py, rhea_server):
    other = redis.Redis(port=rhea_server.port, decode_responses=True)
    t0 = time.time()
    assert py.blpop(["q"], timeout=0.2) is None
    # Deadlines are whole milliseconds from the server's clock (as in Redis), so the
    # wait measured here can be up to 1 ms shorter than 0.2 s.
    assert time.time() - t0 >= 0.199
    other.rpush("q", "job")
    assert py.blpop(["q"], timeout=1) in (("q", "job"), ["q", "job"])
    other.close()


def test_active_expiry_without_access(rhea_server):
    c = RawConn(rhea_server.port)
    c.call("FLUSHALL")
    for i in range(200):
        c.call("SET", "k%d" % i, "v", "PX", "50")
    c.call("SET", "keep", "v")
    # DBSIZE never expires keys itself: only the active cycle can shrink it.
    deadline = time.time() + 5
    while time.time() < deadline and c.call("DBSIZE") != b":1\r\n":
        time.sleep(0.1)
    assert c.call("DBSIZE") == b":1\r\n"
    c.close()


def test_resp3_pubsub_push_frames(rhea_server, redis_server):
    outs = []
    for srv in (rhea_server, redis_server):
        sub, pub = RawConn(srv.port), RawConn(srv.port)
        got = [sub.call("HELLO", "3")[:10], sub.call("SUBSCRIBE", "c")]
        got.append(pub.call("PUBLISH", "c", "m"))
        got.append(sub.read_reply())
        got.append(sub.call("GET", "nokey"))
        got.append(sub.call("PING"))
        got.append(sub.call("UNSUBSCRIBE"))
        outs.append(got)
        sub.close()
        pub.close()
    assert outs[0] == outs[1]


def cli(port, *args, stdin=None):
    r = subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin,
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout, r.stderr


def test_redis_cli_same_output(rhea_server, redis_server):
    script = ("SET a 1\nINCRBY a 41\nGET a\nRPUSH l x y\nLRANGE l 0 -1\nHSET h f v\nHGETALL h\n"
              "ZADD z 1 m 2 n\nZRANGE z 0 -1 WITHSCORES\nTYPE l\nNOSUCHCMD\nGET\nOBJECT ENCODING a\n"
              "DEL a l h z\n")
    outs = []
    for srv in (rhea_server, redis_server):
        cli(srv.port, "FLUSHALL")
        outs.append(cli(srv.port, stdin=script))
    assert outs[0] == outs[1]
    assert "42" in outs[0][1]


def test_redis_cli_pipe_mode(rhea_server, redis_server):
    proto = "".join("*3\r\n$3\r\nSET\r\n$%d\r\nkey%d\r\n$1\r\nv\r\n" % (len("key%d" % i), i)
                    for i in range(1000))
    for srv in (rhea_server, redis_server):
        cli(srv.port, "FLUSHALL")
        code, out, _ = cli(srv.port, "--pipe", stdin=proto)
        assert code == 0 and "errors: 0, replies: 1000" in out, out
        assert cli(srv.port, "DBSIZE")[1].strip() == "1000"


def test_redis_cli_info_and_scan(rhea_server):
    code, out, _ = cli(rhea_server.port, "INFO", "server")
    assert code == 0 and "redis_version:7.0.15" in out
    cli(rhea_server.port, "FLUSHALL")
    cli(rhea_server.port, "MSET", "a", "1", "b", "2", "c", "3")
    code, out, _ = cli(rhea_server.port, "--scan", "--pattern", "*")
    assert sorted(out.split()) == ["a", "b", "c"]


def test_new_key_events_across_families(rhea_server, redis_server):
    cmds = [("SET", "s", "1"), ("SET", "s", "2"), ("RPUSH", "l", "a"), ("RPUSH", "l", "b"),
            ("SADD", "st", "1"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "m"),
            ("INCR", "n"), ("APPEND", "ap", "x"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
            ("COPY", "s", "s2"), ("RENAME", "s2", "s3"), ("SUNIONSTORE", "u", "st"),
            ("SELECT", "1"), ("SET", "x", "1"), ("MOVE", "x", "0"), ("SELECT", "0")]
    outs = []
    for srv in (rhea_server, redis_server):
        admin, sub = RawConn(srv.port), RawConn(srv.port)
        admin.call("FLUSHALL")
        admin.call("CONFIG", "SET", "notify-keyspace-events", "KEAn")
        sub.call("PSUBSCRIBE", "__keyevent@*")
        for c in cmds:
            admin.call(*c)
        admin.call("PING")
        events = []
        sub.sock.settimeout(0.5)
        try:
            while True:
                events.append(sub.read_reply())
        except OSError:
            pass
        admin.call("CONFIG", "SET", "notify-keyspace-events", "")
        outs.append(events)
        admin.close()
        sub.close()
    assert outs[0] == outs[1]
    assert any(b"__keyevent@0__:new" in e for e in outs[0])


def test_config_set_listener_params_refused_not_ignored(rhea_server):
    c = RawConn(rhea_server.port)
    before = c.call("CONFIG", "GET", "port")
    r = c.call("CONFIG", "SET", "port", "1", "hz", "20")
    assert r.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'port') - ")
    assert c.call("CONFIG", "GET", "port") == before
    assert c.call("CONFIG", "GET", "hz") == b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "all or nothing"
    assert c.call("CONFIG", "SET", "hz", "20") == b"+OK\r\n"
    assert c.call("CONFIG", "SET", "hz", "10") == b"+OK\r\n"
    c.close()


def test_resp3_client_sees_its_own_expired_event():
    from servers import start_redis, start_rhea
    servers = [start_rhea("--enable-debug-command", "yes"),
               start_redis("--enable-debug-command", "yes")]
    outs = []
    try:
        for srv in servers:
            c = RawConn(srv.port)
            # Only the lazy expiry inside GET may remove the key.
            assert c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
            c.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
            c.call("HELLO", "3")
            c.call("SUBSCRIBE", "__keyevent@0__:expired")
            c.call("SET", "soon", "v", "PX", "20")
            time.sleep(0.1)
            # The expiry announces the key to this very client before GET's reply.
            c.send_raw(b"*2\r\n$3\r\nGET\r\n$4\r\nsoon\r\n")
            outs.append([c.read_reply(), c.read_reply()])
            c.close()
    finally:
        for srv in servers:
            srv.cleanup()
    assert outs[0] == outs[1]
    assert outs[0][0].startswith(b">3\r\n$7\r\nmessage\r\n")
