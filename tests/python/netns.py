"""Throw-away network namespaces for multi-host tests.

`Lab(["srv", "cli"])` creates one namespace per host, each with a veth into a shared
bridge namespace, addresses 192.0.2.2, .3, … (TEST-NET-1, never routed), and loopback up.
Everything is removed on `close()`: the processes started through `spawn` (by pid) and
then the namespaces. Names carry the test's pid so parallel runs never collide.
"""
import os
import shutil
import subprocess


def available():
    """Namespaces need root and iproute2."""
    return os.geteuid() == 0 and shutil.which("ip") is not None


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


class Lab:
    def __init__(self, hosts, subnet="192.0.2"):
        self.tag = "rh%d" % os.getpid()
        self.bridge_ns = "%s-br" % self.tag
        self.hosts = {}
        self.bridge_ports = {}  # host -> its veth's end in the bridge namespace
        self.procs = []
        self.created = []
        try:
            _ip("netns", "add", self.bridge_ns)
            self.created.append(self.bridge_ns)
            self.exec_in(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge")
            self.exec_in(self.bridge_ns, "ip", "link", "set", "br0", "up")
            for i, name in enumerate(hosts):
                ns = "%s-%s" % (self.tag, name)
                addr = "%s.%d" % (subnet, i + 2)
                _ip("netns", "add", ns)
                self.created.append(ns)
                veth_host, veth_br = "v%d%s" % (i, self.tag[-6:]), "b%d%s" % (i, self.tag[-6:])
                _ip("link", "add", veth_host, "netns", ns, "type", "veth", "peer", "name", veth_br,
                    "netns", self.bridge_ns)
                self.exec_in(ns, "ip", "link", "set", veth_host, "name", "eth0")
                self.exec_in(ns, "ip", "addr", "add", addr + "/24", "dev", "eth0")
                self.exec_in(ns, "ip", "link", "set", "eth0", "up")
                self.exec_in(ns, "ip", "link", "set", "lo", "up")
                self.exec_in(self.bridge_ns, "ip", "link", "set", veth_br, "master", "br0")
                self.exec_in(self.bridge_ns, "ip", "link", "set", veth_br, "up")
                self.hosts[name] = (ns, addr)
                self.bridge_ports[name] = veth_br
        except Exception:
            self.close()
            raise

    def ns(self, host):
        return self.hosts[host][0]

    def addr(self, host):
        return self.hosts[host][1]

    def set_connected(self, host, up):
        """Cut `host` off the bridge (or reconnect it) by taking its veth's bridge end
        down (up): the host keeps its address and route, its packets are silently
        dropped (no RST, no ICMP) as across a real partition."""
        self.exec_in(self.bridge_ns, "ip", "link", "set", self.bridge_ports[host],
                     "up" if up else "down")

    def exec_in(self, ns, *argv, check=True, timeout=30):
        return subprocess.run(["ip", "netns", "exec", ns, *argv], check=check,
                              capture_output=True, text=True, timeout=timeout)

    def run(self, host, *argv, check=True, timeout=30):
        return self.exec_in(self.ns(host), *argv, check=check, timeout=timeout)

    def spawn(self, host, argv, log_path, cwd=None):
        """Start a long-running process inside `host` (in directory `cwd` if given);
        ended by pid in close(). `ip netns exec` execs the program, so the returned
        Popen's pid is the program's own and signals sent to it reach the program."""
        log = open(log_path, "wb")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *argv],
                             stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        self.procs.append((p, log))
        return p

    def close(self):
        for p, log in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log.close()
        self.procs = []
        for ns in reversed(self.created):
            _ip("netns", "del", ns, check=False)
        self.created = []


# ---------------------------------------------------------------------------------------
# Running Python code inside a namespace. setns(2) moves only the calling thread, and a
# thread started by a thread that joined a namespace starts in that namespace too, so a
# function run by `run_in` (and every thread it starts) talks only over the lab's bridge
# while the test process's other threads stay where they were.

_CLONE_NEWNET = 0x40000000
_libc = None


def _ns_path(ns):
    return os.path.join("/var/run/netns", ns)


def enter(ns):
    """Move the calling thread into network namespace `ns`."""
    global _libc
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(_ns_path(ns), os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            import ctypes
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (ns, os.strerror(err)))
    finally:
        os.close(fd)
    assert_in(ns)


def assert_in(ns):
    """Fail unless the calling thread is in namespace `ns` (guards against sending lab
    traffic from the host's namespace)."""
    here = os.stat("/proc/thread-self/ns/net")
    want = os.stat(_ns_path(ns))
    if (here.st_dev, here.st_ino) != (want.st_dev, want.st_ino):
        raise AssertionError("thread %d is not in network namespace %s" % (
            __import__("threading").get_ident(), ns))


def run_in(ns, fn, *args):
    """Run `fn(*args)` in a new thread inside namespace `ns`; return its result or
    re-raise its exception in the caller."""
    import threading
    out = {}

    def body():
        try:
            enter(ns)
            out["value"] = fn(*args)
        except BaseException as e:  # re-raised in the caller's thread
            out["error"] = e

    t = threading.Thread(target=body, name="netns-" + ns, daemon=True)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")
