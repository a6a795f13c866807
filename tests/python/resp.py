"""Raw RESP client for byte-exact differential tests.

`RawConn.call(*args)` sends one multibulk command and returns the *exact bytes* of one
complete reply (RESP2 or RESP3), so tests can compare Rhea and real Redis byte for byte.
"""
import socket
import time


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConn:
    def __init__(self, port, host="127.0.0.1", timeout=5.0, unix=None):
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(unix)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line_end(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _reply_end(self, pos):
        """Return the index just past the reply starting at pos, reading as needed."""
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        eol = self._line_end(pos)
        head = self.buf[pos + 1:eol]
        nxt = eol + 2
        if t in b"+-:_,#(":
            return nxt
        if t in b"$=!":
            n = int(head)
            if n < 0:
                return nxt
            while len(self.buf) < nxt + n + 2:
                self._fill()
            return nxt + n + 2
        if t in b"*~>":
            n = int(head)
            for _ in range(max(n, 0)):
                nxt = self._reply_end(nxt)
            return nxt
        if t == b"%" or t == b"|":
            n = int(head)
            for _ in range(2 * n):
                nxt = self._reply_end(nxt)
            if t == b"|":  # attribute: the real reply follows
                return self._reply_end(nxt)
            return nxt
        raise ValueError("bad reply type %r in %r" % (t, self.buf[pos:pos + 50]))

    def read_reply(self):
        end = self._reply_end(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def call(self, *args):
        self.send_raw(encode(*args))
        return self.read_reply()

    def read_all_until_close(self, timeout=2.0):
        """Everything the server sends until it closes the connection."""
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data, True
                data += chunk
        except socket.timeout:
            return data, False


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def parse(buf, pos=0):
    """Decode one RESP2/RESP3 reply from bytes: (value, next position). Status and error
    texts become str, bulk and verbatim strings bytes, doubles float, maps flat lists."""
    t = buf[pos:pos + 1]
    eol = buf.index(b"\r\n", pos)
    head = buf[pos + 1:eol]
    nxt = eol + 2
    if t in (b"+", b"-"):
        return head.decode(), nxt
    if t == b":":
        return int(head), nxt
    if t == b",":
        return float(head), nxt
    if t == b"#":
        return head == b"t", nxt
    if t == b"_":
        return None, nxt
    if t in (b"$", b"="):
        n = int(head)
        if n < 0:
            return None, nxt
        return buf[nxt:nxt + n], nxt + n + 2
    if t in (b"*", b"~", b">"):
        n = int(head)
        if n < 0:
            return None, nxt
        out = []
        for _ in range(n):
            v, nxt = parse(buf, nxt)
            out.append(v)
        return out, nxt
    if t == b"%":
        out = []
        for _ in range(2 * int(head)):
            v, nxt = parse(buf, nxt)
            out.append(v)
        return out, nxt
    raise ValueError(buf[pos:pos + 40])


def value(conn, *args):
    """Send a command and decode its reply."""
    return parse(conn.call(*args))[0]


def unknown(reply):
    """Is this reply Redis's unknown (sub)command error?"""
    return reply.startswith(b"-ERR unknown command") or reply.startswith(b"-ERR unknown subcommand")


def hello3(pair):
    """Switch both connections of a Pair to RESP3; the HELLO maps must match except for
    the connection id, which differs between the servers."""
    a, b = pair.both("HELLO", "3")
    assert a.split(b"id\r\n")[0] == b.split(b"id\r\n")[0]
