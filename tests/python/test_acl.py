"""ACL (users, the ACL command family, NOPERM enforcement, ACL LOG, the ACL file, user
lines in the config) compared with the real Redis 7.0.15.

ACL LIST / GETUSER name single commands in Redis's hash-table order, which changes
from run to run, so runs of `+cmd`/`-cmd` rules are compared as sorted lists; every
other token (flags, passwords, patterns, categories) is compared in place.
"""
import os
import re
import subprocess
import tempfile

import pytest

from resp import RawConn, parse, value
from servers import start_redis, start_rhea
from sentinel_util import start_sentinel

SINGLE = re.compile(r"^[+-][^@]")


def norm_rules(text):
    """Tokens of a rule string with each run of single-command rules sorted."""
    if isinstance(text, bytes):
        text = text.decode()
    tokens = []
    for t in text.split(" "):
        if t.startswith("(") and len(t) > 1:
            tokens += ["(", t[1:]]
        elif t.endswith(")") and len(t) > 1:
            tokens += [t[:-1], ")"]
        else:
            tokens.append(t)
    out, run = [], []
    for t in tokens:
        if SINGLE.match(t):
            run.append(t)
            continue
        out += sorted(run)
        run = []
        out.append(t)
    return out + sorted(run)


def norm_getuser(v):
    """A decoded GETUSER map with its command strings normalized."""
    if v is None:
        return None
    d = dict(zip(v[0::2], v[1::2]))
    d[b"commands"] = norm_rules(d[b"commands"])
    d[b"selectors"] = [
        {k: (norm_rules(x) if k == b"commands" else x) for k, x in zip(s[0::2], s[1::2])}
        for s in d[b"selectors"]]
    return d


def reset_acl(conn):
    for name in value(conn, "ACL", "USERS"):
        if name != b"default":
            conn.call("ACL", "DELUSER", name)
    assert conn.call("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*",
                     "+@all") == b"+OK\r\n"
    conn.call("ACL", "LOG", "RESET")
    conn.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels")


class Both:
    """Rhea and Redis side by side, with helpers for ACL outputs."""

    def __init__(self, ours, theirs):
        self.ours, self.theirs = ours, theirs

    def same(self, *args):
        a, b = self.ours.call(*args), self.theirs.call(*args)
        assert a == b, "%r\n  rhea:  %r\n  redis: %r" % (args, a, b)
        return a

    def both(self, *args):
        return self.ours.call(*args), self.theirs.call(*args)

    def same_list(self):
        a, b = value(self.ours, "ACL", "LIST"), value(self.theirs, "ACL", "LIST")
        assert [norm_rules(x) for x in a] == [norm_rules(x) for x in b], "\n%r\n%r" % (a, b)
        return a

    def same_getuser(self, name):
        a = norm_getuser(value(self.ours, "ACL", "GETUSER", name))
        b = norm_getuser(value(self.theirs, "ACL", "GETUSER", name))
        assert a == b, "\n%r\n%r" % (a, b)

    def login(self, user, password):
        """New connections to both, authenticated as `user`."""
        oc, tc = RawConn(self.ours.port_), RawConn(self.theirs.port_)
        pair = Both(oc, tc)
        pair.same("AUTH", user, password)
        return pair

    def close(self):
        self.ours.close()
        self.theirs.close()


@pytest.fixture
def acl(rhea_server, redis_server):
    o, t = RawConn(rhea_server.port), RawConn(redis_server.port)
    o.port_, t.port_ = rhea_server.port, redis_server.port
    for c in (o, t):
        c.call("FLUSHALL")
        reset_acl(c)
    yield Both(o, t)
    for c in (o, t):
        reset_acl(c)
    o.close()
    t.close()


# ===== SETUSER / GETUSER / LIST =====

RULE_SEQUENCES = [
    ["on", ">p1", "~k*", "%R~r*", "&ch*", "+get", "+config|get", "-@admin", "+@read"],
    ["(~x* +set)", "(%R~y* +get)"],
    ["+@all", "-get", "-set", "-@admin", "+config|get"],
    ["-@all", "+client|list", "+client|kill", "+acl"],
    ["+@all", "-client", "+client|id"],
    ["+select|0", "+get|x", "+select|1"],
    ["allcommands", "-select", "+select|0"],
    ["reset", "%R~a", "%W~a", "~b", "&x", "allchannels"],
    ["~a", "%R~a", "%W~b", "%RW~c", "%rw~d", "%R"],
    ["on", "nopass", "skip-sanitize-payload"],
    ["sanitize-payload", ">a", ">b", ">a", "<a", "#" + "0" * 64, "!" + "0" * 64],
    [">x", "nopass"],
    [">x", "resetpass"],
    ["allkeys", "resetkeys", "~z", "allchannels", "resetchannels", "&q"],
    ["+@hash", "+@string", "-hset"],
    ["+@all", "-@dangerous"],
    ["nocommands", "+@connection", "+@transaction"],
    ["(~a", "+get)", "clearselectors", "(&c +publish)"],
    ["()", "(allkeys allchannels allcommands)"],
    ["+GET", "+Config|GET", "ON", "~", "&"],
]


@pytest.mark.parametrize("rules", RULE_SEQUENCES, ids=range(len(RULE_SEQUENCES)))
def test_setuser_then_getuser_and_list(acl, rules):
    acl.same("ACL", "SETUSER", "u", *rules)
    acl.same_getuser("u")
    acl.same_list()
    # Applying the same rules to an existing user.
    acl.same("ACL", "SETUSER", "u", *rules)
    acl.same_getuser("u")
    acl.same_list()


BAD_RULES = [
    "foo", "+nosuch", "+get|x|y", "+config|nosuch", "-get|x", "+@nosuch", "-@nosuch",
    "#abc", "!abc", "#" + "A" * 64, "#" + "g" * 64, "<nopw", "!" + "1" * 64, "%~x", "%X~x",
    "%RR~x", "%WW~x", "(foo)", "(on)", "+select|0|1", "+acl|setuser|x", "+config|", "+|",
    "(~a  +get)", "-", "+", "x" * 5000, "~" + "*" * 10000,
]


@pytest.mark.parametrize("rule", BAD_RULES, ids=range(len(BAD_RULES)))
def test_setuser_bad_rules(acl, rule):
    acl.same("ACL", "SETUSER", "bad", "on", rule)
    # Nothing was created or changed by a failing SETUSER.
    acl.same("ACL", "USERS")
    acl.same("ACL", "SETUSER", "bad2", "on", ">pw")
    acl.same("ACL", "SETUSER", "bad2", "off", rule)
    acl.same_getuser("bad2")


def test_setuser_after_allkeys_allchannels(acl):
    acl.same("ACL", "SETUSER", "a", "allkeys", "~x")
    acl.same("ACL", "SETUSER", "a", "allkeys", "%R~x")
    acl.same("ACL", "SETUSER", "a", "allchannels", "&x")
    acl.same("ACL", "SETUSER", "a", "~*", "~y")
    acl.same("ACL", "SETUSER", "a", "%RW~*", "~y")
    acl.same_list()
    # `%RW~*` is a plain pattern, but it is described as `~*`: `~k* ~*` (which would load
    # back as `~*` alone), as Redis 7.0.15 does.
    acl.same("ACL", "SETUSER", "q", "~k*", "%RW~*")
    acl.same_getuser("q")
    acl.same_list()


def test_setuser_selector_parentheses(acl):
    acl.same("ACL", "SETUSER", "s", "(~x")
    acl.same("ACL", "SETUSER", "s", "on", "(~x", "+get")
    acl.same("ACL", "SETUSER", "s", "(~x", "+get)", "(~y")
    acl.same("ACL", "SETUSER", "s", "(~x", "(~y", "+get)")
    acl.same_list()
    acl.same_getuser("s")


def test_setuser_names_and_arity(acl):
    acl.same("ACL", "SETUSER", "a b", "on")
    acl.same("ACL", "SETUSER", "a\x00b")
    acl.same("ACL", "SETUSER", "tab\tx")
    acl.same("ACL", "SETUSER")
    acl.same("ACL", "SETUSER", "", "on")
    acl.same("ACL", "SETUSER", "plain")
    acl.same_list()
    acl.same("ACL", "USERS")


def test_getuser_resp3(acl):
    acl.both("HELLO", "3")
    acl.same("ACL", "SETUSER", "r3", "on", ">p", "~a", "&b", "+get")
    acl.same("ACL", "GETUSER", "r3")
    acl.same("ACL", "GETUSER", "nosuch")
    acl.same("ACL", "SETUSER", "r3", "(~x +set)")
    acl.same("ACL", "GETUSER", "r3")


def test_acl_subcommand_errors(acl):
    for args in [
        ("ACL",), ("ACL", "NOSUCH"), ("ACL", "CAT", "nosuch"), ("ACL", "CAT", "a", "b"),
        ("ACL", "GENPASS", "0"), ("ACL", "GENPASS", "4097"), ("ACL", "GENPASS", "x"),
        ("ACL", "GENPASS", "-1"), ("ACL", "GENPASS", "1", "2"), ("ACL", "DELUSER"),
        ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "nosuch", "default"),
        ("ACL", "DELUSER", "nosuch"), ("ACL", "WHOAMI", "x"), ("ACL", "USERS", "x"),
        ("ACL", "LIST", "x"), ("ACL", "GETUSER"), ("ACL", "GETUSER", "nosuch"),
        ("ACL", "LOG", "x"), ("ACL", "LOG", "reset", "x"), ("ACL", "LOG", "1", "2"),
        ("ACL", "LOAD"), ("ACL", "SAVE"), ("ACL", "LOAD", "x"), ("ACL", "HELP"),
        ("ACL", "HELP", "x"), ("ACL", "DRYRUN"), ("ACL", "DRYRUN", "nosuch", "get", "x"),
        ("ACL", "WHOAMI"), ("ACL", "USERS"), ("ACL", "CAT"), ("acl", "whoami"),
    ]:
        acl.same(*args)


def test_genpass_lengths(acl):
    for bits, chars in [(None, 64), ("1", 1), ("5", 2), ("8", 2), ("4096", 1024)]:
        args = ("ACL", "GENPASS") + ((bits,) if bits else ())
        a, b = value(acl.ours, *args), value(acl.theirs, *args)
        assert len(a) == len(b) == chars
        assert re.fullmatch(rb"[0-9a-f]+", a)
    assert value(acl.ours, "ACL", "GENPASS") != value(acl.ours, "ACL", "GENPASS")


def test_cat(acl):
    acl.same("ACL", "CAT")
    ours_cmds = set(value(acl.ours, "COMMAND", "LIST"))
    for cat in value(acl.theirs, "ACL", "CAT"):
        a = value(acl.ours, "ACL", "CAT", cat)
        b = value(acl.theirs, "ACL", "CAT", cat)
        assert len(a) == len(set(a))
        # Rhea lacks some of Redis's commands (streams, geo, scripting, ...): its list is
        # Redis's restricted to the commands Rhea has.
        assert set(a) == {c for c in b if c.split(b"|")[0] in ours_cmds}, cat
    a, b = value(acl.ours, "ACL", "CAT", "Admin"), value(acl.theirs, "ACL", "CAT", "Admin")
    assert set(a) <= set(b) and a


def test_deluser_counts_and_kicks(acl):
    acl.same("ACL", "SETUSER", "k", "on", ">pw", "+@all", "~*")
    acl.same("ACL", "SETUSER", "k2", "on", ">pw", "+@all", "~*")
    k = acl.login("k", "pw")
    k.same("ACL", "WHOAMI")
    listed = value(acl.ours, "CLIENT", "LIST")
    assert b"user=k " in listed
    acl.same("ACL", "DELUSER", "k", "k2", "nosuch")
    # The deleted user's connection is closed.
    for conn in (k.ours, k.theirs):
        data, closed = conn.read_all_until_close(2.0)
        assert closed and data == b""
    acl.same("ACL", "USERS")


def test_deluser_self_gets_reply_then_close(acl):
    acl.same("ACL", "SETUSER", "me", "on", ">pw", "+@all", "~*")
    me = acl.login("me", "pw")
    me.same("ACL", "DELUSER", "me")
    for conn in (me.ours, me.theirs):
        data, closed = conn.read_all_until_close(2.0)
        assert closed and data == b""


def test_client_list_user_and_kill_user(acl):
    acl.same("ACL", "SETUSER", "cl", "on", ">pw", "+@all", "~*")
    cl = acl.login("cl", "pw")
    for conn in (cl.ours, cl.theirs):
        info = value(conn, "CLIENT", "INFO")
        assert b" user=cl " in info
    acl.same("CLIENT", "KILL", "USER", "nosuch")
    acl.same("CLIENT", "KILL", "USER", "cl")
    cl.close()


# ===== AUTH / HELLO =====

def test_auth_with_users(acl):
    acl.same("ACL", "SETUSER", "a1", "on", ">secret", "+@all", "~*")
    acl.same("ACL", "SETUSER", "off1", "off", ">secret", "+@all", "~*")
    acl.same("ACL", "SETUSER", "np", "on", "nopass", "+@all", "~*")
    acl.same("AUTH", "a1", "wrong")
    acl.same("AUTH", "off1", "secret")
    acl.same("AUTH", "nobody", "secret")
    acl.same("AUTH", "np", "anything")
    acl.same("ACL", "WHOAMI")
    acl.same("AUTH", "a1", "secret")
    acl.same("ACL", "WHOAMI")
    acl.same("AUTH", "secret")
    acl.same("AUTH", "default", "x")
    acl.same("ACL", "WHOAMI")


def test_hello_auth_with_users(acl):
    acl.same("ACL", "SETUSER", "h", "on", ">pw", "+@all", "~*")
    h = Both(RawConn(acl.ours.port_), RawConn(acl.theirs.port_))
    h.same("HELLO", "2", "AUTH", "h", "bad")
    h.same("HELLO", "2", "AUTH", "nosuch", "pw")
    a, b = h.both("HELLO", "2", "AUTH", "h", "pw")
    assert re.sub(rb":\d+\r\n", b"", a) == re.sub(rb":\d+\r\n", b"", b)
    h.same("ACL", "WHOAMI")
    h.close()


def test_requirepass_and_default_user(acl):
    try:
        acl.same("CONFIG", "SET", "requirepass", "rp")
        acl.same_getuser("default")
        fresh = Both(RawConn(acl.ours.port_), RawConn(acl.theirs.port_))
        fresh.same("GET", "x")
        fresh.same("ACL", "WHOAMI")
        fresh.same("HELLO", "3")
        fresh.same("AUTH", "wrong")
        fresh.same("AUTH", "rp")
        fresh.same("ACL", "WHOAMI")
        fresh.close()
        acl.same("ACL", "SETUSER", "default", ">second")
        acl.same_getuser("default")
        acl.same("CONFIG", "GET", "requirepass")
    finally:
        acl.both("CONFIG", "SET", "requirepass", "")
    acl.same_getuser("default")
    # A disabled default user makes new connections authenticate.
    acl.same("ACL", "SETUSER", "default", "off")
    fresh = Both(RawConn(acl.ours.port_), RawConn(acl.theirs.port_))
    fresh.same("PING")
    fresh.same("AUTH", "x")
    fresh.close()
    acl.same("ACL", "SETUSER", "default", "on")


def test_reset_returns_to_default_user(acl):
    acl.same("ACL", "SETUSER", "r", "on", ">pw", "+@all", "~*")
    r = acl.login("r", "pw")
    r.same("ACL", "WHOAMI")
    r.same("RESET")
    r.same("ACL", "WHOAMI")
    r.close()


# ===== enforcement =====

def test_noperm_commands_subcommands_keys_channels(acl):
    acl.same("ACL", "SETUSER", "lim", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*",
             "+get", "+set", "+config|get", "+publish", "+subscribe", "+psubscribe",
             "+select|0", "+client", "-client|kill", "+mget", "+mset", "+object|encoding")
    lim = acl.login("lim", "pw")
    for args in [
        ("GET", "k1"), ("GET", "x1"), ("GET", "r1"), ("GET", "w1"), ("SET", "k1", "v"),
        ("SET", "r1", "v"), ("SET", "w1", "v"), ("SET", "w1", "v", "GET"), ("MGET", "k1", "x"),
        ("MSET", "k1", "1", "w2", "2"), ("MSET", "k1", "1", "r2", "2"), ("DEL", "k1"),
        ("CONFIG", "GET", "maxmemory"), ("CONFIG", "SET", "maxmemory", "0"),
        ("CLIENT", "KILL", "ID", "999999"), ("SELECT", "0"),
        ("SELECT", "1"), ("PUBLISH", "ch1", "m"), ("PUBLISH", "other", "m"),
        ("OBJECT", "ENCODING", "k1"), ("OBJECT", "ENCODING", "x"), ("OBJECT", "FREQ", "k1"),
        ("nosuchcmd",), ("GET",), ("ACL", "WHOAMI"), ("PING",), ("AUTH", "lim", "bad"),
    ]:
        lim.same(*args)
    lim.close()
    lim = acl.login("lim", "pw")
    lim.same("SUBSCRIBE", "nope")
    lim.close()
    lim = acl.login("lim", "pw")
    lim.same("PSUBSCRIBE", "ch*x")
    lim.same("PSUBSCRIBE", "ch*")
    lim.close()
    lim = acl.login("lim", "pw")
    lim.same("SUBSCRIBE", "ch1", "ch2")
    lim.close()


def test_selectors_enforced(acl):
    acl.same("ACL", "SETUSER", "sel", "on", ">pw", "~a*", "+get", "(~b* +set)",
             "(%R~c* +get +set)")
    sel = acl.login("sel", "pw")
    for args in [("GET", "a1"), ("SET", "a1", "v"), ("SET", "b1", "v"), ("GET", "b1"),
                 ("GET", "c1"), ("SET", "c1", "v"), ("GET", "z"), ("DEL", "a1")]:
        sel.same(*args)
    sel.close()
    for args in [("sel", "get", "a1"), ("sel", "set", "a1", "v"), ("sel", "set", "b1", "v"),
                 ("sel", "get", "c1"), ("sel", "set", "c1", "v"), ("sel", "del", "x")]:
        acl.same("ACL", "DRYRUN", *args)


def test_dryrun(acl):
    acl.same("ACL", "SETUSER", "d", "on", "nopass", "~a*", "&c*", "+get", "+publish",
             "+subscribe", "+select|1")
    for args in [("d", "get", "a1"), ("d", "get", "b1"), ("d", "set", "a1", "1"),
                 ("d", "nosuchcmd"), ("d", "get"), ("d", "publish", "c1", "x"),
                 ("d", "publish", "x", "x"), ("d", "config", "get", "x"),
                 ("d", "config"), ("d", "config", "nosuch"), ("d", "subscribe", "c1", "d1"),
                 ("d", "select", "1"), ("d", "select", "2"), ("d", "auth", "x"),
                 ("default", "get", "x"), ("nosuch", "get", "x")]:
        acl.same("ACL", "DRYRUN", *args)


def test_noperm_inside_multi(acl):
    acl.same("ACL", "SETUSER", "m", "on", ">pw", "~k*", "+multi", "+exec", "+get", "+set",
             "+discard")
    m = acl.login("m", "pw")
    m.same("MULTI")
    m.same("SET", "k1", "v")
    m.same("DEL", "k1")
    m.same("GET", "x")
    m.same("EXEC")
    m.same("MULTI")
    m.same("SET", "k1", "v")
    m.same("EXEC")
    m.close()
    entries_o = value(acl.ours, "ACL", "LOG")
    entries_t = value(acl.theirs, "ACL", "LOG")
    assert [log_shape(e) for e in entries_o] == [log_shape(e) for e in entries_t]


def test_exec_rechecks_rules_changed_after_queueing(acl):
    """Rules tightened between MULTI and EXEC: each refused command gets 7.0's NOPERM
    inside the EXEC reply (command, key and channel refusals), the others still run."""
    acl.same("ACL", "SETUSER", "t", "on", ">pw", "~*", "&*", "+@all")
    m = acl.login("t", "pw")
    m.same("MULTI")
    m.same("SET", "k1", "v")
    m.same("GET", "k1")
    m.same("SET", "other", "v")
    m.same("PUBLISH", "ch", "x")
    m.same("INCR", "n")
    acl.same("ACL", "SETUSER", "t", "resetkeys", "~k*", "resetchannels", "-incr")
    m.same("EXEC")
    m.same("GET", "other")
    m.close()
    entries_o = value(acl.ours, "ACL", "LOG")
    entries_t = value(acl.theirs, "ACL", "LOG")
    assert [log_shape(e) for e in entries_o] == [log_shape(e) for e in entries_t]


def test_noauth_before_noperm(acl):
    acl.same("ACL", "SETUSER", "default", ">pw", "-get")
    try:
        fresh = Both(RawConn(acl.ours.port_), RawConn(acl.theirs.port_))
        fresh.same("GET", "x")
        fresh.same("NOSUCH")
        fresh.same("AUTH", "pw")
        fresh.same("GET", "x")
        fresh.same("SET", "x", "1")
        fresh.close()
    finally:
        for c in (acl.ours, acl.theirs):
            reset_acl(c)


# ===== ACL LOG =====

def log_shape(entry):
    """An ACL LOG entry without its age and client-info values (kept as field names)."""
    d = dict(zip(entry[0::2], entry[1::2]))
    assert isinstance(d[b"age-seconds"], (bytes, float))
    assert b"id=" in d[b"client-info"]
    return [(k, None if k in (b"age-seconds", b"client-info") else v)
            for k, v in zip(entry[0::2], entry[1::2])]


def test_acl_log_entries(acl):
    acl.same("ACL", "SETUSER", "lg", "on", ">pw", "~k*", "&c*", "+get", "+publish")
    lg = acl.login("lg", "pw")
    lg.same("SET", "k", "v")
    lg.same("SET", "k", "v")
    lg.same("GET", "zz")
    lg.same("PUBLISH", "x", "m")
    lg.same("AUTH", "lg", "bad")
    lg.same("auth", "nosuch", "bad")
    lg.same("HELLO", "2", "AUTH", "lg", "bad")
    lg.close()
    a, b = value(acl.ours, "ACL", "LOG"), value(acl.theirs, "ACL", "LOG")
    assert len(a) == len(b) == 6
    assert [log_shape(e) for e in a] == [log_shape(e) for e in b]
    for n in ("2", "0", "-1", "100"):
        a, b = value(acl.ours, "ACL", "LOG", n), value(acl.theirs, "ACL", "LOG", n)
        assert [log_shape(e) for e in a] == [log_shape(e) for e in b]
    acl.same("ACL", "LOG", "RESET")
    acl.same("ACL", "LOG")


def test_acl_log_max_len(acl):
    acl.same("CONFIG", "SET", "acllog-max-len", "2")
    try:
        acl.same("ACL", "SETUSER", "ml", "on", ">pw", "~*")
        ml = acl.login("ml", "pw")
        for cmd in ("GET", "SET", "DEL", "INCR"):
            ml.same(cmd, "k", *(["v"] if cmd == "SET" else []))
        ml.close()
        a, b = value(acl.ours, "ACL", "LOG"), value(acl.theirs, "ACL", "LOG")
        assert len(a) == 2
        assert [log_shape(e) for e in a] == [log_shape(e) for e in b]
    finally:
        acl.both("CONFIG", "SET", "acllog-max-len", "128")


def test_acl_pubsub_default(acl):
    acl.same("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    acl.same("ACL", "SETUSER", "pd", "on", "(+get)")
    acl.same("ACL", "SETUSER", "pd2", "reset")
    acl.same_list()
    acl.same("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    acl.same("ACL", "SETUSER", "pd3", "reset")
    acl.same_list()


# ===== configuration: user lines, aclfile, CONFIG REWRITE =====

def start_both(config_text, **kw):
    return start_rhea(config_text=config_text, **kw), start_redis(config_text=config_text, **kw)


def list_of(port):
    c = RawConn(port)
    try:
        return [norm_rules(x) for x in value(c, "ACL", "LIST")]
    finally:
        c.close()


def test_user_lines_in_config_and_rewrite():
    conf = ("requirepass foo\nuser default on nopass ~* &* +@all\n"
            "user bob on >x ~* +@all\nuser carol %R~r* +get (~w* +set)\n")
    ours, theirs = start_both(conf)
    try:
        assert list_of(ours.port) == list_of(theirs.port)
        for s in (ours, theirs):
            c = RawConn(s.port)
            assert c.call("ACL", "SETUSER", "dave", "on", ">d", "~d*", "+@read") == b"+OK\r\n"
            assert c.call("ACL", "DELUSER", "bob") == b":1\r\n"
            assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            c.close()

        def users_in(s):
            with open(os.path.join(s.cwd, "redis.conf")) as f:
                return [norm_rules(l) for l in f.read().splitlines() if l.startswith("user ")]
        assert users_in(ours) == users_in(theirs)
        assert len(users_in(ours)) == 3
    finally:
        ours.cleanup()
        theirs.cleanup()


@pytest.mark.parametrize("conf", [
    "user bob on >x\nuser bob off\n",
    "user bob on foo\n",
    "user bob on ~* ~x\n",
    "user bob on #abc\n",
])
def test_bad_user_lines(conf):
    """Refused while the config is read: same exit and same FATAL report."""
    outs = []
    for start in (start_rhea, start_redis):
        try:
            s = start(config_text=conf)
        except RuntimeError as e:
            msg = str(e)
            outs.append(msg[msg.index("*** FATAL"):].split("\n")[:4] if "*** FATAL" in msg
                        else msg)
            continue
        s.cleanup()
        outs.append("started")
    assert outs[0] == outs[1], outs


@pytest.mark.parametrize("conf,expect", [
    ("user bob on +nosuch\n", "Error loading ACL rule '+nosuch' for the user named 'bob'"),
    ("user bob on >x\naclfile /nonexistent/users.acl\n", "Configuring Redis with users"),
    ("aclfile /nonexistent/users.acl\n", "Aborting Redis startup because of ACL errors"),
])
def test_acl_startup_errors(conf, expect):
    """Users that fail when the server starts: both exit with status 1 and log why."""
    from servers import free_port, rhea_bin
    for argv0 in ([rhea_bin(), "server"], ["redis-server"]):
        d = tempfile.mkdtemp(prefix="acl-start-")
        path = os.path.join(d, "redis.conf")
        write(path, conf + "port %d\nbind 127.0.0.1\n" % free_port())
        r = subprocess.run(argv0 + [path], cwd=d, capture_output=True, timeout=20)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode == 1, (argv0, out)
        assert expect in out, (argv0, out)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_aclfile_load_save_round_trip():
    d_o, d_t = tempfile.mkdtemp(prefix="rhea-"), tempfile.mkdtemp(prefix="redis-")
    text = ("user alice on >a ~a* &c* +get +set\n\n  user bob off nopass (~x +get)  \n"
            "user default on nopass ~* &* +@all\n")
    for d in (d_o, d_t):
        write(os.path.join(d, "users.acl"), text)
    ours = start_rhea(config_text="aclfile %s/users.acl\n" % d_o, cwd=d_o)
    theirs = start_redis(config_text="aclfile %s/users.acl\n" % d_t, cwd=d_t)
    try:
        o, t = RawConn(ours.port), RawConn(theirs.port)
        pair = Both(o, t)
        pair.ours.port_, pair.theirs.port_ = ours.port, theirs.port
        pair.same_list()
        alice = pair.login("alice", "a")
        pair.same("ACL", "SETUSER", "carol", "on", ">c", "~*", "+@all")
        pair.same("ACL", "SAVE")
        with open(os.path.join(d_o, "users.acl")) as f:
            saved_o = [norm_rules(l) for l in f.read().splitlines()]
        with open(os.path.join(d_t, "users.acl")) as f:
            saved_t = [norm_rules(l) for l in f.read().splitlines()]
        assert saved_o == saved_t and len(saved_o) == 4
        pair.same("ACL", "DELUSER", "carol")
        pair.same("ACL", "LOAD")
        pair.same_list()
        # ACL LOAD disconnects the clients of every user but the default one.
        for conn in (alice.ours, alice.theirs):
            data, closed = conn.read_all_until_close(2.0)
            assert closed and data == b""
        # Errors: nothing changes and every bad line is reported.
        for d in (d_o, d_t):
            write(os.path.join(d, "users.acl"),
                  "user ok on\nnotuser x\nuser bad foo\nuser ok off\nuser sp\tx on\n"
                  "user p (~x\n")
        a, b = pair.both("ACL", "LOAD")
        assert a.replace(d_o.encode(), b"D") == b.replace(d_t.encode(), b"D"), "\n%s\n%s" % (a, b)
        pair.same_list()
        os.remove(os.path.join(d_o, "users.acl"))
        os.remove(os.path.join(d_t, "users.acl"))
        a, b = pair.both("ACL", "LOAD")
        assert a.replace(d_o.encode(), b"D") == b.replace(d_t.encode(), b"D"), (a, b)
        # Without a default user, the file gets a fresh one.
        for d in (d_o, d_t):
            write(os.path.join(d, "users.acl"), "user solo on nopass +@all\n")
        pair.same("ACL", "LOAD")
        pair.same_list()
        # CONFIG REWRITE leaves users to the ACL file.
        pair.same("CONFIG", "REWRITE")
        for s in (ours, theirs):
            with open(os.path.join(s.cwd, "redis.conf")) as f:
                assert "\nuser " not in "\n" + f.read()
        pair.close()
    finally:
        ours.cleanup()
        theirs.cleanup()


# ===== sentinel mode =====

def test_acl_in_sentinel_mode():
    unused = start_redis()
    port = unused.port
    unused.cleanup()
    ours = start_sentinel("rhea", [("m", port, 2, {})])
    theirs = start_sentinel("redis", [("m", port, 2, {})])
    try:
        o, t = RawConn(ours.port), RawConn(theirs.port)
        pair = Both(o, t)
        pair.same("COMMAND", "COUNT")
        pair.same("ACL", "WHOAMI")
        pair.same("ACL", "USERS")
        pair.same("ACL", "CAT")
        a, b = value(o, "ACL", "CAT", "admin"), value(t, "ACL", "CAT", "admin")
        assert sorted(a) == sorted(b)
        pair.same("ACL", "SETUSER", "s", "on", "+get")
        pair.same("ACL", "SETUSER", "s", "on", "+ping", ">p")
        pair.same_list()
        pair.same("ACL", "DRYRUN", "s", "ping")
        pair.same("ACL", "DRYRUN", "s", "info")
        # The config flush writes the live users, as Redis's sentinel rewrite does.
        pair.same("ACL", "SETUSER", "peer", "on", ">pw", "+@all", "~*")
        pair.same("ACL", "DELUSER", "s")
        pair.same("SENTINEL", "FLUSHCONFIG")
        pair.close()
        users = []
        for s in (ours, theirs):
            with open(s.conf_path) as f:
                users.append([norm_rules(ln.encode()) for ln in f.read().splitlines()
                              if ln.startswith("user ")])
        assert users[0] == users[1] and len(users[0]) == 2, users
    finally:
        ours.cleanup()
        theirs.cleanup()
