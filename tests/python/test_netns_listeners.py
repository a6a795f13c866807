"""Protected mode and multiple bind addresses, seen from another host.

Two namespaces: `srv` (192.0.2.2) runs the server bound to 127.0.0.1 and its namespace
address; `cli` (192.0.2.3) connects over the veth. Real redis-server runs the same way
and the bytes each client receives are compared.
"""
import os
import tempfile
import time

import pytest

import netns
from servers import rhea_bin

pytestmark = pytest.mark.skipif(not netns.available(), reason="needs root and iproute2")

CLIENT = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
payload = sys.argv[3].encode().decode("unicode_escape").encode("latin1")
if payload:
    s.sendall(payload)
data = b""
s.settimeout(2)
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.write(data.hex())
'''


def talk(lab, host, addr, port, payload):
    out = lab.run(host, "python3", "-c", CLIENT, addr, str(port), payload)
    return bytes.fromhex(out.stdout.strip())


def wait_listening(lab, host, addr, port):
    for _ in range(200):
        r = lab.run(host, "python3", "-c",
                    "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)",
                    addr, str(port), check=False)
        if r.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("server in namespace did not start")


@pytest.fixture
def lab():
    lab = netns.Lab(["srv", "cli"])
    yield lab
    lab.close()


def start_both(lab, extra):
    d = tempfile.mkdtemp(prefix="netns-")
    srv_addr = lab.addr("srv")
    lab.spawn("srv", ["redis-server", "--port", "7001", "--bind", "127.0.0.1", srv_addr,
                      "--save", "", "--dir", d] + extra, os.path.join(d, "redis.log"))
    lab.spawn("srv", [rhea_bin(), "server", "--port", "7002", "--bind", "127.0.0.1", srv_addr,
                      "--save", "", "--dir", d] + extra, os.path.join(d, "rhea.log"))
    for port in (7001, 7002):
        wait_listening(lab, "srv", "127.0.0.1", port)
        wait_listening(lab, "cli", srv_addr, port)
    return srv_addr


def test_protected_mode_denies_remote_clients(lab):
    srv_addr = start_both(lab, [])
    # Nothing is sent: the server refuses at accept time and closes, and unread client
    # bytes would turn that close into a reset that can destroy the reply in flight.
    remote = [talk(lab, "cli", srv_addr, p, "") for p in (7001, 7002)]
    assert remote[0].startswith(b"-DENIED Redis is running in protected mode")
    assert remote[0] == remote[1]
    local = [talk(lab, "srv", "127.0.0.1", p, "PING\\r\\n") for p in (7001, 7002)]
    assert local == [b"+PONG\r\n", b"+PONG\r\n"]


def test_password_lifts_protected_mode_and_requires_auth(lab):
    srv_addr = start_both(lab, ["--requirepass", "pw"])
    payload = "PING\\r\\nAUTH wrong\\r\\nAUTH pw\\r\\nPING\\r\\nQUIT\\r\\n"
    remote = [talk(lab, "cli", srv_addr, p, payload) for p in (7001, 7002)]
    assert remote[0] == remote[1]
    assert remote[0].endswith(b"+PONG\r\n+OK\r\n")


def test_protected_mode_off_allows_remote(lab):
    srv_addr = start_both(lab, ["--protected-mode", "no"])
    remote = [talk(lab, "cli", srv_addr, p, "PING\\r\\nQUIT\\r\\n") for p in (7001, 7002)]
    assert remote == [b"+PONG\r\n+OK\r\n"] * 2


SEED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "seed", "configs")


@pytest.mark.skipif(not os.path.exists(os.path.join(SEED, "redis-node1.conf")),
                    reason="seed configs not present")
def test_seed_node1_config_starts_unchanged_but_bind(lab):
    """The seed's node-1 file, with only `bind 192.168.0.2` rewritten, serves clients."""
    with open(os.path.join(SEED, "redis-node1.conf")) as f:
        original = f.read()
    text = original.replace("bind 192.168.0.2", "bind " + lab.addr("srv"))
    assert text != original and text.count("\n") == original.count("\n")
    d = tempfile.mkdtemp(prefix="seed-")
    conf = os.path.join(d, "redis-node1.conf")
    with open(conf, "w") as f:
        f.write(text)
    # In its own directory: the seed's save points write dump.rdb there at shutdown.
    lab.spawn("srv", [rhea_bin(), "server", conf], os.path.join(d, "rhea.log"), cwd=d)
    srv_addr = lab.addr("srv")
    wait_listening(lab, "cli", srv_addr, 6379)
    got = talk(lab, "cli", srv_addr, 6379,
               "PING\\r\\nAUTH somepassword\\r\\nPING\\r\\n"
               "CONFIG GET maxmemory\\r\\nCONFIG GET maxmemory-policy\\r\\nQUIT\\r\\n")
    assert got == (b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n"
                   b"*2\r\n$9\r\nmaxmemory\r\n$10\r\n5368709120\r\n"
                   b"*2\r\n$16\r\nmaxmemory-policy\r\n$12\r\nvolatile-lru\r\n+OK\r\n")
