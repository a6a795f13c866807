"""A replica in the middle of an RDB transfer: INFO replication's `master_sync_*` lines.

A hand-made master (a socket in this test) answers the handshake with `+FULLRESYNC`, sends
part of an RDB payload and then stalls, so the replica stays in the transfer state. A real
redis-server replica and a Rhea replica go through exactly the same exchange, and their
INFO replication is compared: field names in order, and the transfer figures themselves
(total, read, left and percentage — negative for the EOF-marked form, as Redis computes
it).
"""
import socket
import threading
import time

import pytest

from resp import RawConn
from servers import free_port, start_redis, start_rhea

REPLID = b"a" * 40
PARTIAL = b"REDIS0010" + b"\xfa" + b"x" * 990  # 1000 bytes of a payload that never ends


class StallingMaster:
    """Accepts one replica, completes the handshake, sends `preamble` + PARTIAL, stalls."""

    def __init__(self, preamble):
        self.preamble = preamble
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = free_port()
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(1)
        self.conn = None
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.sock.accept()
        self.conn = conn
        buf = b""
        while b"PSYNC" not in buf:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            # One +PONG / +OK per command received so far, in order.
            replies = b""
            while True:
                if buf.startswith(b"*1\r\n$4\r\nPING\r\n"):
                    replies += b"+PONG\r\n"
                    buf = buf[len(b"*1\r\n$4\r\nPING\r\n"):]
                elif buf.startswith(b"*") and b"REPLCONF" in buf.split(b"\r\n", 3)[2]:
                    n = int(buf[1:buf.index(b"\r\n")])
                    parts = buf.split(b"\r\n", 1 + 2 * n)
                    if len(parts) < 2 + 2 * n:
                        break
                    buf = parts[-1]
                    replies += b"+OK\r\n"
                else:
                    break
            conn.sendall(replies)
        conn.sendall(b"+FULLRESYNC " + REPLID + b" 0\r\n" + self.preamble + PARTIAL)

    def close(self):
        for s in (self.conn, self.sock):
            if s is not None:
                s.close()


def replication_info(proc):
    conn = RawConn(proc.port)
    try:
        raw = conn.call("INFO", "replication")
    finally:
        conn.close()
    text = raw.split(b"\r\n", 1)[1].decode()
    return [tuple(line.split(":", 1)) for line in text.splitlines() if ":" in line]


@pytest.mark.parametrize("preamble", [b"$EOF:" + b"m" * 40 + b"\r\n", b"$5000\r\n"],
                         ids=["eof", "sized"])
def test_transfer_progress_like_redis(preamble):
    seen = {}
    for kind, start in (("redis", start_redis), ("rhea", start_rhea)):
        master = StallingMaster(preamble)
        proc = start("--replicaof", "127.0.0.1", str(master.port))
        try:
            deadline = time.time() + 10
            while True:
                fields = dict(replication_info(proc))
                if fields.get("master_sync_read_bytes") == str(len(PARTIAL)):
                    break
                assert time.time() < deadline, fields
                time.sleep(0.05)
            seen[kind] = replication_info(proc)
        finally:
            proc.stop()
            master.close()
    names = {k: [n for n, _ in v] for k, v in seen.items()}
    assert names["rhea"] == names["redis"]
    transfer = ("master_sync_in_progress", "master_sync_total_bytes", "master_sync_read_bytes",
                "master_sync_left_bytes", "master_sync_perc", "master_link_status")
    for kind in seen:
        seen[kind] = {n: v for n, v in seen[kind] if n in transfer}
    assert seen["rhea"] == seen["redis"]
    assert seen["redis"]["master_sync_in_progress"] == "1"
