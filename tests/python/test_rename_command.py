"""`rename-command` in redis.conf against Redis 7.0: the renamed command answers to its
new name only, a command renamed to "" is gone, and COMMAND keeps reporting the
command's own name. Both servers load the same file; replies compare byte for byte."""
import pytest

from conftest import Pair
from resp import RawConn
from servers import start_redis, start_rhea

LONG_NAME = "a-renamed-set-with-a-name-longer-than-any-command"
RENAMES = (
    "rename-command CONFIG xconfig\n"
    "rename-command FLUSHALL \"\"\n"
    "rename-command GET get2\n"
    "rename-command get2 Get3\n"
    "rename-command MGET get\n"
    "rename-command SET %s\n" % LONG_NAME
)


@pytest.fixture(scope="module")
def renamed():
    servers = [start_rhea(config_text=RENAMES), start_redis(config_text=RENAMES)]
    conns = [RawConn(s.port) for s in servers]
    yield Pair(*conns)
    for c in conns:
        c.close()
    for s in servers:
        s.cleanup()


def test_commands_answer_to_their_new_names(renamed):
    renamed.script([
        (LONG_NAME, "k", "v"),
        (LONG_NAME.upper(), "k2", "v2"),
        ("GET3", "k"),
        ("get3", "k"),
        # MGET now answers to "get", with MGET's arity and reply.
        ("get", "k", "k2", "nokey"),
        ("get",),
        ("xconfig", "get", "maxmemory"),
        ("xconfig", "nosuch"),
        ("MULTI",),
        ("get3", "k"),
        ("EXEC",),
    ])


def test_old_names_are_unknown(renamed):
    renamed.script([
        ("SET", "k", "v"),
        ("GET2", "k"),
        ("MGET", "k"),
        ("CONFIG", "GET", "maxmemory"),
        ("FLUSHALL",),
        ("MULTI",),
        ("FLUSHALL",),
        ("EXEC",),
    ])


def test_command_count_drops_the_removed_command(renamed):
    """Rhea has fewer commands than Redis (no streams, scripting, …), so compare what
    the renames changed: FLUSHALL is gone, the renamed ones still count once."""
    plain = [start_rhea(), start_redis()]
    try:
        for s, conn in zip(plain, (renamed.ours, renamed.theirs)):
            before = RawConn(s.port).call("COMMAND", "COUNT")
            after = conn.call("COMMAND", "COUNT")
            assert int(before[1:]) - int(after[1:]) == 1, (before, after)
    finally:
        for s in plain:
            s.cleanup()


def test_command_reports_the_commands_own_names(renamed):
    renamed.script([
        ("COMMAND", "INFO", "get3", "get2", "GET", "xconfig|get", "config", LONG_NAME),
        ("COMMAND", "GETKEYS", "get3", "k"),
        ("COMMAND", "GETKEYS", "get", "a", "b"),
        ("COMMAND", "LIST", "FILTERBY", "PATTERN", "flushal*"),
        ("COMMAND", "LIST", "FILTERBY", "PATTERN", "xconf*"),
    ])


def test_rewrite_keeps_the_rename_lines():
    servers = [start_rhea(config_text=RENAMES), start_redis(config_text=RENAMES)]
    try:
        texts = []
        for s in servers:
            c = RawConn(s.port)
            assert c.call("xconfig", "set", "maxmemory", "1mb") == b"+OK\r\n"
            assert c.call("xconfig", "rewrite") == b"+OK\r\n"
            c.close()
            with open("%s/redis.conf" % s.cwd) as f:
                texts.append(f.read())
        for text in texts:
            assert text.startswith(RENAMES), text
            assert "maxmemory 1mb" in text
    finally:
        for s in servers:
            s.cleanup()
