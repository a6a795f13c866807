"""A hand-made replica for reading a master's replication stream in tests.

`FakeReplica(port)` does what a replica does up to the stream (PING, REPLCONF
listening-port and capa, `PSYNC ? -1`), swallows the RDB in either framing (`$<len>` or
diskless `$EOF:<mark>`) and then hands out the stream as raw bytes or as argv lists.
"""
import re
import socket
import time

from resp import RawConn, encode, parse

FULLRESYNC = re.compile(rb"\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n")


class FakeReplica:
    def __init__(self, port, timeout=10.0):
        self.conn = RawConn(port, timeout=timeout)
        self.sock = self.conn.sock
        assert self.conn.call("PING") == b"+PONG\r\n"
        assert self.conn.call("REPLCONF", "listening-port", "7777") == b"+OK\r\n"
        assert self.conn.call("REPLCONF", "capa", "eof", "capa", "psync2") == b"+OK\r\n"
        self.conn.send_raw(encode("PSYNC", "?", "-1"))
        self.buf = b""
        line = self._line()
        m = FULLRESYNC.fullmatch(line + b"\r\n")
        assert m, line
        self.replid, self.offset = m.group(1).decode(), int(m.group(2))
        self._skip_rdb()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("master closed the link")
        self.buf += chunk

    def _line(self):
        """The next CRLF line, skipping the bare `\\n` keepalives a master sends while it
        prepares the RDB."""
        while True:
            self.buf = self.buf.lstrip(b"\n")
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _skip_rdb(self):
        head = self._line()
        assert head.startswith(b"$"), head
        if head.startswith(b"$EOF:"):
            mark = head[5:]
            while True:  # the RDB ends with the same 40 bytes; nothing follows before an ACK
                i = self.buf.find(mark)
                if i >= 0:
                    self.buf = self.buf[i + len(mark):]
                    self.conn.send_raw(encode("REPLCONF", "ACK", "0"))
                    return
                self._fill()
        size = int(head[1:])
        while len(self.buf) < size:
            self._fill()
        self.buf = self.buf[size:]  # no CRLF after the payload

    def read_raw(self, quiet=0.5):
        """All stream bytes received until the master has been silent for `quiet` s."""
        self.sock.settimeout(quiet)
        try:
            while True:
                self._fill()
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(10.0)
        data, self.buf = self.buf, b""
        return data

    def forms_until(self, marker, timeout=10.0):
        """The propagated argv lists (bytes) before the command `marker` (a list of
        bytes, consumed too). The master's keepalive PINGs are left out."""
        out = []
        deadline = time.time() + timeout
        while True:
            while self.buf:
                try:
                    argv, n = parse(self.buf)
                except (ValueError, IndexError):
                    break  # incomplete
                if n > len(self.buf):
                    break  # a bulk cut short
                self.buf = self.buf[n:]
                if argv == marker:
                    return out
                if [a.upper() for a in argv] != [b"PING"]:
                    out.append(argv)
            if time.time() > deadline:
                raise TimeoutError("no marker %r; got %r" % (marker, out))
            self._fill()

    def close(self):
        self.conn.close()
