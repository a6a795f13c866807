"""Helpers for blocking-command scenarios run against both servers with several raw
connections (lists, sorted sets)."""
import socket
import time

from resp import RawConn, encode


def send(conn, *args):
    conn.send_raw(encode(*args))


def pending(conn, wait=0.2):
    """True if nothing arrives within `wait` seconds (the client is still blocked)."""
    conn.sock.settimeout(wait)
    try:
        conn.read_reply()
    except (socket.timeout, TimeoutError):
        return True
    finally:
        conn.sock.settimeout(5.0)
    return False


def settle():
    """Let the server register a just-sent blocking command before the next client acts."""
    time.sleep(0.08)


def on_both(rhea_server, redis_server, scenario):
    """Run `scenario(port)` against each server; assert identical results."""
    ours = scenario(rhea_server.port)
    theirs = scenario(redis_server.port)
    assert ours == theirs, "\n  rhea:  %r\n  redis: %r" % (ours, theirs)
    return theirs


def conns(port, n):
    return [RawConn(port) for _ in range(n)]
