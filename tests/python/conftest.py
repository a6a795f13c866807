"""Shared fixtures.

* `rhea` / `redis`: a fresh server per test module (flushed between tests).
* `pair`: a `Pair` that sends the same command to both and asserts byte-identical
  replies — the differential test primitive.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from resp import RawConn  # noqa: E402
from servers import start_redis, start_rhea  # noqa: E402


@pytest.fixture(scope="module")
def rhea_server():
    s = start_rhea()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def redis_server():
    s = start_redis()
    yield s
    s.cleanup()


@pytest.fixture
def rhea(rhea_server):
    c = RawConn(rhea_server.port)
    c.call("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def redis(redis_server):
    c = RawConn(redis_server.port)
    c.call("FLUSHALL")
    yield c
    c.close()


class Pair:
    """Two raw connections, one to Rhea and one to real Redis."""

    def __init__(self, ours, theirs):
        self.ours = ours
        self.theirs = theirs

    def same(self, *args):
        """Send to both; assert identical bytes; return them."""
        a = self.ours.call(*args)
        b = self.theirs.call(*args)
        assert a == b, "%r\n  rhea:  %r\n  redis: %r" % (args, a, b)
        return a

    def both(self, *args):
        """Send to both without comparing (setup steps); returns (ours, theirs)."""
        return self.ours.call(*args), self.theirs.call(*args)

    def script(self, commands):
        for c in commands:
            self.same(*c)


@pytest.fixture
def pair(rhea, redis):
    return Pair(rhea, redis)
