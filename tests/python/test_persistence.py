"""RDB persistence: SAVE, restart, the final save on SIGTERM/SHUTDOWN, dumps exchanged
with real redis-server 7.0.15 in both directions (DEBUG DIGEST must agree), and refusal
to start on a corrupt file."""
import os
import re
import shutil
import signal
import subprocess
import time


from resp import RawConn
from servers import start_redis, start_rhea

DEBUG = ("--enable-debug-command", "yes")


def populate(c):
    """Every type in small and large encodings, with expiries, in several databases."""
    c.call("SET", "s", "hello")
    c.call("SET", "n", "12345")
    c.call("SET", "big", "x" * 500)
    c.call("SET", "ttl", "v", "EX", "3600")
    c.call("RPUSH", "l", "a", "1", "-5", "300")
    c.call("RPUSH", "biglist", *["item%d" % i for i in range(600)])
    c.call("HSET", "h", "f1", "v1", "f2", "2")
    c.call("HSET", "bighash", *sum((["f%d" % i, "v%d" % i] for i in range(700)), []))
    c.call("SADD", "ints", "1", "2", "3")
    c.call("SADD", "strs", "a", "b", "c")
    c.call("ZADD", "z", "1.5", "a", "-2", "b")
    c.call("ZADD", "bigz", *sum(([str(i * 0.5), "m%d" % i] for i in range(300)), []))
    c.call("SELECT", "3")
    c.call("SET", "in3", "three")
    c.call("SELECT", "15")
    c.call("HSET", "in15", "k", "v")
    c.call("SELECT", "0")


def digest(port):
    c = RawConn(port)
    d = c.call("DEBUG", "DIGEST")
    c.close()
    assert d.startswith(b"+") and d != b"+" + b"0" * 40 + b"\r\n"
    return d


def saved_dataset(start, kill=False):
    """Start a server, populate it, SAVE, stop it (SIGKILL if `kill`); returns the stopped
    server (its directory holds dump.rdb) and the dataset's DEBUG DIGEST."""
    srv = start(*DEBUG)
    c = RawConn(srv.port)
    populate(c)
    want = digest(srv.port)
    assert c.call("SAVE") == b"+OK\r\n"
    if kill:
        c.call("SET", "after-save", "lost")
    c.close()
    srv.stop(signal.SIGKILL if kill else signal.SIGTERM)
    return srv, want


def assert_restart_digest(start, cwd, want):
    """Start on `cwd`'s dump and check the loaded dataset's digest."""
    srv = start(*DEBUG, cwd=cwd)
    try:
        assert digest(srv.port) == want
    finally:
        srv.cleanup()


def test_save_then_restart_keeps_everything():
    srv = start_rhea(*DEBUG)
    d = srv.cwd
    try:
        c = RawConn(srv.port)
        populate(c)
        before = digest(srv.port)
        last = c.call("LASTSAVE")
        assert c.call("SAVE") == b"+OK\r\n"
        assert os.path.exists(os.path.join(d, "dump.rdb"))
        assert not [f for f in os.listdir(d) if f.startswith("temp-")]
        info = c.call("INFO", "persistence")
        assert b"rdb_changes_since_last_save:0\r\n" in info and b"rdb_saves:1\r\n" in info
        assert int(c.call("LASTSAVE")[1:-2]) >= int(last[1:-2])
        c.close()
    finally:
        srv.stop()
    again = start_rhea(*DEBUG, cwd=d)
    try:
        assert digest(again.port) == before
        assert "DB loaded from disk" in again.output()
        c = RawConn(again.port)
        assert c.call("OBJECT", "ENCODING", "bighash") == b"$9\r\nhashtable\r\n"
        assert 3500 < int(c.call("TTL", "ttl")[1:-2]) <= 3600
        c.close()
    finally:
        again.cleanup()


def test_sigterm_saves_when_save_points_are_set():
    srv = start_rhea("--save", "3600 1", *DEBUG)
    d = srv.cwd
    c = RawConn(srv.port)
    populate(c)
    before = digest(srv.port)
    c.close()
    assert srv.stop(signal.SIGTERM) == 0
    log = srv.output()
    assert "Saving the final RDB snapshot before exiting." in log
    assert "DB saved on disk" in log
    again = start_rhea(*DEBUG, cwd=d)
    try:
        assert digest(again.port) == before
    finally:
        again.cleanup()


def test_shutdown_nosave_and_save():
    srv = start_rhea("--save", "3600 1")
    c = RawConn(srv.port)
    c.call("SET", "k", "v")
    c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    c.read_all_until_close()
    assert srv.p.wait(10) == 0
    assert not os.path.exists(os.path.join(srv.cwd, "dump.rdb"))
    srv.cleanup()
    srv = start_rhea()  # no save points: a bare SHUTDOWN does not save, SHUTDOWN SAVE does
    c = RawConn(srv.port)
    c.call("SET", "k", "v")
    c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
    c.read_all_until_close()
    assert srv.p.wait(10) == 0
    assert os.path.exists(os.path.join(srv.cwd, "dump.rdb"))
    srv.cleanup()


def test_kill_9_after_save_keeps_the_snapshot():
    srv, want = saved_dataset(start_rhea, kill=True)
    assert_restart_digest(start_rhea, srv.cwd, want)


def test_real_redis_dump_loads_into_rhea():
    theirs, want = saved_dataset(start_redis)
    assert_restart_digest(start_rhea, theirs.cwd, want)


def test_rhea_dump_loads_into_real_redis_and_passes_check_rdb():
    ours, want = saved_dataset(start_rhea)
    path = os.path.join(ours.cwd, "dump.rdb")
    check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
    assert check.returncode == 0 and "RDB looks OK!" in check.stdout, check.stdout
    assert_restart_digest(start_redis, ours.cwd, want)


def test_corrupt_or_truncated_dump_refuses_to_start():
    ours = start_rhea()
    c = RawConn(ours.port)
    c.call("RPUSH", "l", *["x%d" % i for i in range(100)])
    assert c.call("SAVE") == b"+OK\r\n"
    c.close()
    ours.stop()
    path = os.path.join(ours.cwd, "dump.rdb")
    good = open(path, "rb").read()
    for bad in (good[: len(good) // 2], good[:-3] + b"\x00\x00\x00"):
        with open(path, "wb") as f:
            f.write(bad)
        r = subprocess.run([*start_args(), "--dir", ours.cwd], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 1, r.stdout
        assert "Fatal error loading the DB from %s/dump.rdb" % ours.cwd in r.stdout, r.stdout
        assert "offset" in r.stdout or "checksum" in r.stdout.lower(), r.stdout
        assert "Ready to accept connections" not in r.stdout
    shutil.rmtree(ours.cwd, ignore_errors=True)


def start_args():
    from servers import free_port, rhea_bin
    return [rhea_bin(), "server", "--port", str(free_port()), "--bind", "127.0.0.1"]


def test_failed_save_reports_and_shutdown_keeps_running():
    """Same steps on both servers: a non-empty directory where dump.rdb should go makes
    the final rename fail, even for root; a foreground SAVE failure leaves the bgsave
    status ok (so no MISCONF), and SHUTDOWN refuses to exit without its final save."""
    outs = []
    for start in (start_rhea, start_redis):
        srv = start("--save", "3600 1")
        c = RawConn(srv.port)
        blocker = os.path.join(srv.cwd, "dump.rdb")
        os.mkdir(blocker)
        open(os.path.join(blocker, "keep"), "w").close()
        try:
            c.call("SET", "k", "v")
            got = [c.call("SAVE"), info_field(c, "rdb_last_bgsave_status"),
                   info_field(c, "rdb_saves"), c.call("SHUTDOWN"), c.call("PING")]
            assert not [f for f in os.listdir(srv.cwd) if f.startswith("temp-")]
            log = srv.output()
            assert re.search(r"Error moving temp DB file temp-\d+\.rdb on the final destination "
                             r"dump\.rdb \(in server root dir .*\): Is a directory", log), log
            assert "Error trying to save the DB, can't exit." in log
            outs.append(got)
        finally:
            c.close()
            shutil.rmtree(blocker, ignore_errors=True)
            srv.cleanup()
    assert outs[0] == outs[1]
    assert outs[0][3] == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"

def test_check_rdb_matches_redis_check_rdb():
    from servers import rhea_bin
    theirs = start_redis()
    c = RawConn(theirs.port)
    populate(c)
    c.call("SAVE")
    c.close()
    theirs.stop()
    path = os.path.join(theirs.cwd, "dump.rdb")
    link = os.path.join(theirs.cwd, "redis-check-rdb")
    os.symlink(rhea_bin(), link)
    try:
        for argv in ([rhea_bin(), "check-rdb", path], [link, path]):
            ours = subprocess.run(argv, capture_output=True, text=True)
            real = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
            assert (ours.returncode, ours.stdout) == (real.returncode, real.stdout) == (0, real.stdout)
        good = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(good[: len(good) - 40])
        ours = subprocess.run([rhea_bin(), "check-rdb", path], capture_output=True, text=True)
        real = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
        assert ours.returncode == real.returncode == 1
        assert "--- RDB ERROR DETECTED ---" in ours.stdout and "[offset " in ours.stdout
    finally:
        theirs.cleanup()


def info_field(c, name):
    for line in c.call("INFO", "persistence").split(b"\r\n"):
        if line.startswith(name.encode() + b":"):
            return line.split(b":", 1)[1].decode()
    raise KeyError(name)


def wait_bgsave_done(c, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if info_field(c, "rdb_bgsave_in_progress") == "0":
            return
        time.sleep(0.05)
    raise AssertionError("BGSAVE did not finish")


def test_bgsave_is_a_point_in_time_snapshot():
    srv = start_rhea(*DEBUG)
    c = RawConn(srv.port)
    populate(c)
    before = digest(srv.port)
    assert c.call("BGSAVE") == b"+Background saving started\r\n"
    c.call("SET", "written-after-bgsave", "x")
    wait_bgsave_done(c)
    assert info_field(c, "rdb_last_bgsave_status") == "ok"
    assert info_field(c, "rdb_changes_since_last_save") == "1"
    c.close()
    srv.stop(signal.SIGKILL)
    again = start_rhea(*DEBUG, cwd=srv.cwd)
    try:
        assert digest(again.port) == before
    finally:
        again.cleanup()


def test_bgsave_in_progress_replies_like_redis():
    outs = []
    for start in (start_rhea, start_redis):
        srv = start(*DEBUG)
        c = RawConn(srv.port)
        try:
            c.call("DEBUG", "POPULATE", "400000", "key", "64")
            got = [c.call("BGSAVE"), c.call("BGSAVE"), c.call("BGSAVE", "SCHEDULE"),
                   c.call("SAVE"), c.call("BGSAVE", "NOW")]
            wait_bgsave_done(c)
            deadline = time.time() + 30
            while time.time() < deadline and info_field(c, "rdb_saves") != "2":
                time.sleep(0.05)
            got.append(info_field(c, "rdb_saves"))
            outs.append(got)
        finally:
            c.close()
            srv.cleanup()
    assert outs[0] == outs[1]
    assert outs[0][1] == b"-ERR Background save already in progress\r\n"


def test_save_points_trigger_a_background_save():
    srv = start_rhea("--save", "1 1")
    c = RawConn(srv.port)
    try:
        c.call("SET", "k", "v")
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(os.path.join(srv.cwd, "dump.rdb")):
            time.sleep(0.1)
        assert os.path.exists(os.path.join(srv.cwd, "dump.rdb"))
        assert "1 changes in 1 seconds. Saving..." in srv.output()
    finally:
        c.close()
        srv.cleanup()


def test_misconf_after_a_failed_background_save_like_redis():
    outs = []
    for start in (start_rhea, start_redis):
        srv = start("--save", "1 1")
        blocker = os.path.join(srv.cwd, "dump.rdb")
        os.mkdir(blocker)
        open(os.path.join(blocker, "keep"), "w").close()
        c = RawConn(srv.port)
        try:
            c.call("SET", "k", "v")
            deadline = time.time() + 15
            while time.time() < deadline and info_field(c, "rdb_last_bgsave_status") != "err":
                time.sleep(0.1)
            outs.append([c.call("SET", "k2", "v"), c.call("PING"), c.call("GET", "k"),
                         c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"),
                         c.call("SET", "k3", "v")])
        finally:
            c.close()
            shutil.rmtree(blocker, ignore_errors=True)
            srv.cleanup()
    assert outs[0] == outs[1]
    assert outs[0][0].startswith(b"-MISCONF Redis is configured to save RDB snapshots")
