"""What a master propagates for each executed write command: the CASES table.

Each case runs commands on a master while a `FakeReplica` reads the stream, and asserts
the exact argv lists propagated between two markers. The master is a parameter
(`MASTERS`); today only the real redis-server 7.0.15 runs, Rhea joins once it has a
master side. `crates/rhea-server/src/repl/rewrite.rs` unit-tests the same cases (by id)
without a server.

Notation in `want`: forms are space-separated argv; `{+N}` is an absolute unix time in ms
equal to the command's time plus N ms; `{P}` is the DUMP payload `P`. A callable `want`
gets the decoded replies (the run commands', then the blocked client's) and returns the
forms. MULTI/EXEC appear where the master wraps one call's several forms.
"""
import time
from dataclasses import dataclass, field

import pytest

from resp import RawConn, encode, parse
from repl_util import FakeReplica
from servers import start_redis, start_rhea

# How each master under test starts: disk-based sync avoids the 5 s diskless delay, DEBUG
# SET-ACTIVE-EXPIRE keeps expired keys around until a command touches them.
# Cases using commands Rhea lacks (COMMAND INFO is nil) are skipped there.
MASTERS = {
    "redis": lambda: start_redis("--repl-diskless-sync", "no", "--enable-debug-command", "yes"),
    "rhea": lambda: start_rhea("--repl-diskless-sync", "no", "--enable-debug-command", "yes"),
}

# DUMP of the string "x" (RDB 10), valid RESTORE input for any 7.0 server.
P = bytes.fromhex("0001780a002280865fbde848d0")


@dataclass
class Case:
    name: str
    run: list  # commands of the writing client
    want: object  # forms, or callable(replies) -> forms
    setup: list = field(default_factory=list)  # propagation not checked
    teardown: list = field(default_factory=list)
    config: dict = field(default_factory=dict)  # CONFIG SET for this case only
    block: tuple = None  # a blocking command sent first on another client


def C(name, run, want, setup=None, **kw):
    """A case; `run` and `setup` are one command (a str or tuple) or a list of them."""
    def cmds(x):
        return [] if x is None else [x] if isinstance(x, (str, tuple)) else list(x)
    return Case(name, cmds(run), want, setup=cmds(setup), **kw)


def srems(key, members):
    """One SREM per popped member in reply order, wrapped when more than one."""
    forms = ["SREM %s %s" % (key, m.decode()) for m in members]
    return ["MULTI"] + forms + ["EXEC"] if len(forms) > 1 else forms


NO_ACTIVE_EXPIRE = dict(setup=["DEBUG SET-ACTIVE-EXPIRE 0"], teardown=["DEBUG SET-ACTIVE-EXPIRE 1"])
LAZY_ALL = {"lazyfree-lazy-server-del": "yes", "lazyfree-lazy-user-del": "yes", "lazyfree-lazy-expire": "yes"}

CASES = [
    # ===== strings =====
    C("set-plain", "set k v", ["set k v"]),
    C("set-ex", "set k v EX 100", ["SET k v PXAT {+100000}"]),
    C("set-px-nx-get", "set k v NX PX 100000 GET", ["SET k v PXAT {+100000}"]),
    C("set-exat", "SET k v EXAT 99999999999", ["SET k v PXAT 99999999999000"]),
    C("set-pxat-lower", "set k v pxat 99999999999999", ["SET k v PXAT 99999999999999"]),
    C("set-exat-past", "SET k v EXAT 1", ["SET k v PXAT 1000"]),
    C("set-keepttl", "set k v keepttl", ["set k v keepttl"], setup="SET k old EX 100"),
    C("set-get-stripped", "set k v xx GET keepttl get", ["set k v xx keepttl"], setup="SET k old"),
    C("setex", "setex k 100 v", ["SET k v PXAT {+100000}"]),
    C("psetex", "PSETEX k 100000 v", ["SET k v PXAT {+100000}"]),
    C("getset", "getset k v", ["SET k v"], setup="SET k old"),
    C("setnx-verbatim", "setnx k v", ["setnx k v"]),
    # A key found expired by a command is deleted first: one call, two forms.
    C("set-over-expired-key", "SET k v", ["MULTI", "DEL k", "SET k v", "EXEC"],
      setup=NO_ACTIVE_EXPIRE["setup"] + ["SET k old PXAT 1"], teardown=NO_ACTIVE_EXPIRE["teardown"]),
    C("get-expired-key", "GET k", ["DEL k"],
      setup=NO_ACTIVE_EXPIRE["setup"] + ["SET k old PXAT 1"], teardown=NO_ACTIVE_EXPIRE["teardown"]),
    # ===== GETEX / GETDEL =====
    C("getex-ex", "getex k ex 100", ["PEXPIREAT k {+100000}"], setup="SET k v"),
    C("getex-pxat", "GETEX k PXAT 99999999999999", ["PEXPIREAT k 99999999999999"], setup="SET k v"),
    C("getex-persist", "GETEX k PERSIST", ["PERSIST k"], setup="SET k v EX 100"),
    C("getex-persist-no-ttl", "GETEX k PERSIST", [], setup="SET k v"),
    C("getex-no-option", "GETEX k", [], setup="SET k v"),
    C("getex-past", "GETEX k EXAT 1", ["DEL k"], setup="SET k v"),
    C("getex-past-lazy", "getex k pxat 1", ["UNLINK k"], setup="SET k v",
      config={"lazyfree-lazy-expire": "yes"}),
    C("getex-past-user-del", "GETEX k EXAT 1", ["DEL k"], setup="SET k v",
      config={"lazyfree-lazy-user-del": "yes", "lazyfree-lazy-server-del": "yes"}),
    C("getdel", "getdel k", ["DEL k"], setup="SET k v"),
    C("getdel-lazy", "GETDEL k", ["UNLINK k"], setup="SET k v", config={"lazyfree-lazy-user-del": "yes"}),
    C("getdel-expire-lazy", "GETDEL k", ["DEL k"], setup="SET k v",
      config={"lazyfree-lazy-expire": "yes", "lazyfree-lazy-server-del": "yes"}),
    C("getdel-missing", "GETDEL k", []),
    # ===== EXPIRE family =====
    C("expire", "expire k 100", ["PEXPIREAT k {+100000}"], setup="SET k v"),
    C("pexpire-nx", "PEXPIRE k 100000 nx", ["PEXPIREAT k {+100000} nx"], setup="SET k v"),
    C("expireat", "EXPIREAT k 99999999999", ["PEXPIREAT k 99999999999000"], setup="SET k v"),
    C("pexpireat", "pexpireat k 99999999999999", ["pexpireat k 99999999999999"], setup="SET k v"),
    C("expire-gt-not-set", "EXPIRE k 10 GT", [], setup="SET k v EX 100"),
    C("expire-missing", "EXPIRE nope 100", []),
    C("expire-past", "EXPIRE k -1", ["DEL k"], setup="SET k v"),
    C("pexpireat-past-lazy", "PEXPIREAT k 1", ["UNLINK k"], setup="SET k v",
      config={"lazyfree-lazy-expire": "yes"}),
    C("expire-past-server-del", "EXPIRE k 0", ["DEL k"], setup="SET k v",
      config={"lazyfree-lazy-server-del": "yes", "lazyfree-lazy-user-del": "yes"}),
    C("persist-verbatim", "persist k", ["persist k"], setup="SET k v EX 100"),
    # ===== float increments =====
    C("incrbyfloat", "INCRBYFLOAT f 1.5", ["SET f 2.5 KEEPTTL"], setup="SET f 1"),
    C("incrbyfloat-exp", "incrbyfloat f 1e3", ["SET f 6000 KEEPTTL"], setup="SET f 5.0e3"),
    C("hincrbyfloat", "hincrbyfloat h a 1.5", ["HSET h a 2.5"], setup="HSET h a 1"),
    C("hincrbyfloat-new-field", "HINCRBYFLOAT h b 2.0e2", ["HSET h b 200"], setup="HSET h a 1"),
    # ===== sets =====
    C("spop", "spop s", ["SREM s a"], setup="SADD s a"),
    C("spop-count-some", "SPOP s 2", lambda r: srems("s", r[0]), setup="SADD s a b c"),
    C("spop-count-one", "spop s 1", lambda r: srems("s", r[0]), setup="SADD s a b c"),
    C("spop-count-case3", "SPOP s 9", lambda r: srems("s", r[0]), setup="SADD s m0 m1 m2 m3 m4 m5 m6 m7 m8 m9"),
    C("spop-count-all", "SPOP s 2", ["DEL s"], setup="SADD s a b"),
    C("spop-count-more", "SPOP s 5", ["DEL s"], setup="SADD s a b"),
    C("spop-count-all-lazy", "SPOP s 3", ["DEL s"], setup="SADD s a b c", config=LAZY_ALL),
    C("spop-zero", "SPOP s 0", [], setup="SADD s a b"),
    # 7.0.15 sends one SREM per member (7.2 batches 1024 per SREM).
    C("spop-big", "SPOP s 2500", lambda r: srems("s", r[0]),
      setup=("SADD", "s", *["m%d" % i for i in range(3000)])),
    C("srandmember", ["SRANDMEMBER s", "SRANDMEMBER s -5"], [], setup="SADD s a b c"),
    # ===== lists =====
    C("blpop-now", "blpop nope l 0", ["LPOP l"], setup="RPUSH l a b"),
    C("brpop-now", "BRPOP nope l 0", ["RPOP l"], setup="RPUSH l a b"),
    C("blpop-served", "RPUSH l a b", ["RPUSH l a b", "LPOP l"], block="blpop nope l 0"),
    C("brpop-served", "LPUSH l a b", ["LPUSH l a b", "RPOP l"], block="brpop l 0"),
    C("blpop-served-by-exec", ["MULTI", "RPUSH l a", "SET x 1", "EXEC"],
      ["MULTI", "RPUSH l a", "SET x 1", "EXEC", "LPOP l"], block="blpop l 0"),
    C("blmove-now", "blmove l d Right LEFT 0", ["LMOVE l d Right LEFT"], setup="RPUSH l a b"),
    # Served later, the sides are Redis's own lowercase words, not the client's.
    C("blmove-served", "RPUSH l a", ["RPUSH l a", "LMOVE l d left right"], block="BLMOVE l d LEFT RIGHT 0"),
    C("blmove-served-mixed", "RPUSH l a", ["RPUSH l a", "LMOVE l d right left"], block="blmove l d Right Left 0"),
    C("brpoplpush-now", "brpoplpush l d 0", ["RPOPLPUSH l d"], setup="RPUSH l a b"),
    C("brpoplpush-served", "RPUSH l a b", ["RPUSH l a b", "RPOPLPUSH l d"], block="brpoplpush l d 0"),
    C("lmpop", "LMPOP 2 nope l LEFT COUNT 10", ["LPOP l 3"], setup="RPUSH l a b c"),
    C("lmpop-no-count", "lmpop 1 l right", ["RPOP l 1"], setup="RPUSH l a b c"),
    C("blmpop-now", "BLMPOP 0 1 l RIGHT count 2", ["RPOP l 2"], setup="RPUSH l a b c"),
    C("blmpop-served", "RPUSH l a b c", ["RPUSH l a b c", "RPOP l 3"], block="blmpop 0 2 x l right count 5"),
    C("lmove-verbatim", ["LMOVE l d LEFT RIGHT", "rpoplpush d d"], ["LMOVE l d LEFT RIGHT", "rpoplpush d d"],
      setup="RPUSH l a b"),
    # ===== sorted sets =====
    C("bzpopmin-now", "bzpopmin z 0", ["ZPOPMIN z"], setup="ZADD z 1 a 2 b 3 c"),
    C("bzpopmax-served", "ZADD z 1 a 2 b", ["ZADD z 1 a 2 b", "ZPOPMAX z"], block="BZPOPMAX z 0"),
    C("zmpop", "ZMPOP 1 z MIN COUNT 10", ["ZPOPMIN z 3"], setup="ZADD z 1 a 2 b 3 c"),
    C("zmpop-no-count", "zmpop 2 nope z max", ["ZPOPMAX z 1"], setup="ZADD z 1 a 2 b 3 c"),
    C("bzmpop-now", "bzmpop 0 1 z max COUNT 2", ["ZPOPMAX z 2"], setup="ZADD z 1 a 2 b 3 c"),
    C("bzmpop-served", "ZADD z 1 a 2 b", ["ZADD z 1 a 2 b", "ZPOPMIN z 2"], block="BZMPOP 0 1 z MIN count 5"),
    C("zpop-verbatim", "zpopmax z", ["zpopmax z"], setup="ZADD z 1 a 2 b 3 c"),
    # ===== RESTORE =====
    C("restore-relative", ("restore", "r", "100000", P), ["restore r {+100000} {P} ABSTTL"]),
    C("restore-relative-options", ("RESTORE", "r", "100", P, "replace", "idletime", "5"),
      ["RESTORE r {+100} {P} replace idletime 5 ABSTTL"], setup="SET r old"),
    C("restore-no-ttl", ("RESTORE", "r", "0", P), ["RESTORE r 0 {P}"]),
    C("restore-absttl", ("RESTORE", "r", "99999999999999", P, "ABSTTL"), ["RESTORE r 99999999999999 {P} ABSTTL"]),
    C("restore-past", ("RESTORE", "r", "1", P, "REPLACE", "ABSTTL"), ["DEL r"], setup="SET r old"),
    C("restore-past-lazy", ("RESTORE", "r", "1", P, "REPLACE", "ABSTTL"), ["DEL r"], setup="SET r old",
      config=LAZY_ALL),
    # ===== forced and verbatim =====
    C("publish", "PUBLISH ch hi", ["PUBLISH ch hi"]),
    C("publish-lower", "publish ch hi", ["publish ch hi"]),
    C("del-verbatim", "DEL k nope", ["DEL k nope"], setup="SET k v"),
    C("flushall-empty", "flushall", ["flushall"]),
]


def argv_of(cmd):
    return cmd.split(" ") if isinstance(cmd, str) else list(cmd)


class At:
    """An absolute unix time in ms: the command's own time plus `delta`."""

    def __init__(self, delta):
        self.delta = delta

    def __repr__(self):
        return "{+%d}" % self.delta


def want_forms(case, replies):
    forms = case.want(replies) if callable(case.want) else case.want
    out = []
    for f in forms:
        argv = []
        for a in f.split(" "):
            if a == "{P}":
                argv.append(P)
            elif a.startswith("{+"):
                argv.append(At(int(a[2:-1])))
            else:
                argv.append(a.encode())
        out.append(argv)
    return out


def same_form(want, got, t0, t1):
    if len(want) != len(got):
        return False
    for w, g in zip(want, got):
        if isinstance(w, At):
            if not (g.isdigit() and t0 + w.delta <= int(g) <= t1 + w.delta):
                return False
        elif w != g:
            return False
    return True


class Link:
    """A master, a writing client, a client that blocks, and a fake replica."""

    def __init__(self, master):
        self.master = master
        self.c = RawConn(master.port)
        self.blocker = RawConn(master.port)
        self.replica = FakeReplica(master.port)
        self.marks = 0
        self.known = {}
        self.sync()

    def sync(self):
        """Send a marker write and return what was propagated before it."""
        self.marks += 1
        mark = ["SET", "__mark__", str(self.marks)]
        assert self.c.call(*mark) == b"+OK\r\n"
        return self.replica.forms_until([a.encode() for a in mark])

    def implements(self, name):
        if name not in self.known:
            info = self.c.call("COMMAND", "INFO", name)
            self.known[name] = info != b"*1\r\n*-1\r\n"
        return self.known[name]

    def wait_blocked(self, n):
        deadline = time.time() + 10
        while b"blocked_clients:%d\r\n" % n not in self.c.call("INFO", "clients"):
            assert time.time() < deadline, "the blocking command did not block"
            time.sleep(0.01)

    def run(self, case):
        """Run one case; returns (forms propagated by `run`, decoded replies, t0, t1)."""
        self.c.call("FLUSHALL")
        saved = {}
        for k, v in case.config.items():
            saved[k] = parse(self.c.call("CONFIG", "GET", k))[0][1]
            assert self.c.call("CONFIG", "SET", k, v) == b"+OK\r\n"
        try:
            for cmd in case.setup:
                reply = self.c.call(*argv_of(cmd))
                assert not reply.startswith(b"-"), (cmd, reply)
            if case.block:
                self.blocker.send_raw(encode(*argv_of(case.block)))
                self.wait_blocked(1)
            self.sync()
            t0 = int(time.time() * 1000)
            replies = [parse(self.c.call(*argv_of(cmd)))[0] for cmd in case.run]
            if case.block:
                replies.append(parse(self.blocker.read_reply())[0])
            t1 = int(time.time() * 1000)
            return self.sync(), replies, t0, t1
        finally:
            for cmd in case.teardown:
                self.c.call(*argv_of(cmd))
            for k, v in saved.items():
                self.c.call("CONFIG", "SET", k, v)


@pytest.fixture(scope="module", params=sorted(MASTERS))
def link(request):
    master = MASTERS[request.param]()
    try:
        yield Link(master)
    finally:
        master.cleanup()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_propagated_forms(link, case):
    cmds = case.setup + case.run + ([case.block] if case.block else [])
    missing = sorted(n for n in {argv_of(c)[0].lower() for c in cmds} if not link.implements(n))
    if missing:
        pytest.skip("the master does not implement %s" % ", ".join(missing))
    got, replies, t0, t1 = link.run(case)
    want = want_forms(case, replies)
    ok = len(want) == len(got) and all(same_form(w, g, t0, t1) for w, g in zip(want, got))
    assert ok, "\n  want: %r\n  got:  %r\n  replies: %r" % (want, got, replies)


def test_cases_have_unique_ids():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
