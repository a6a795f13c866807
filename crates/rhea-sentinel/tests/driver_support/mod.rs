//! Test-only harness for the driver tests: real `redis-server` processes (data nodes and
//! `--sentinel` ones), in-process Rhea sentinels behind a tiny RESP front end, a
//! recording [`Host`], and a blocking RESP client. Loopback only; every process started
//! here is killed by pid when its guard drops.
//!
//! The front end is deliberately minimal (PING, SENTINEL, PUBLISH, INFO, CLIENT, AUTH,
//! ROLE): the production one is rhea-server in sentinel mode.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rhea_resp::{Limits, Protocol, Reply, Request, parse_request};
use rhea_sentinel::config::model::{MasterConfig, SentinelConfig};
use rhea_sentinel::driver::{self, Host, SentinelHandle};
use rhea_sentinel::{LinkReply, LogLevel, Options, Sentinel, SplitMix64, Timing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const MASTER: &str = "mymaster";

// ===== small utilities =====

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Poll `cond` every 50 ms until it holds; panic with `what` after `timeout`.
pub fn wait_for(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One command to `127.0.0.1:port` on a fresh connection.
pub fn call(port: u16, args: &[&str]) -> Result<LinkReply, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut out = Vec::new();
    driver::resp2::encode_command(&argv, &mut out);
    s.write_all(&out).map_err(|e| e.to_string())?;
    let mut buf = BytesMut::new();
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(r) = driver::resp2::decode(&mut buf).map_err(|e| e.0)? {
            return Ok(r);
        }
        let n = s.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A server reply as a link would decode it (so one set of helpers reads both).
pub fn as_link_reply(r: &Reply) -> LinkReply {
    driver::resp2::decode(&mut BytesMut::from(&r.to_resp2()[..])).unwrap().unwrap()
}

/// An array of RESP2 maps (flat key/value arrays), as SENTINEL REPLICAS returns.
pub fn maps(r: &LinkReply) -> Vec<HashMap<String, String>> {
    let LinkReply::Array(items) = r else { return Vec::new() };
    items.iter().map(map).collect()
}

pub fn map(r: &LinkReply) -> HashMap<String, String> {
    let mut m = HashMap::new();
    if let LinkReply::Array(kv) = r {
        for pair in kv.chunks(2) {
            if let [LinkReply::Bulk(k), LinkReply::Bulk(v)] = pair {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    m
}

/// `[ip, port]` of GET-MASTER-ADDR-BY-NAME.
pub fn addr(r: &LinkReply) -> Option<(String, u16)> {
    match r {
        LinkReply::Array(v) => match &v[..] {
            [LinkReply::Bulk(ip), LinkReply::Bulk(port)] => Some((ip.clone(), port.parse().ok()?)),
            _ => None,
        },
        _ => None,
    }
}

/// A field of an INFO text.
pub fn info_field(info: &str, key: &str) -> Option<String> {
    info.lines().find_map(|l| l.strip_prefix(&format!("{key}:")).map(|v| v.trim().to_string()))
}

pub fn redis_info(port: u16, section: &str) -> Option<String> {
    match call(port, &["INFO", section]).ok()? {
        LinkReply::Bulk(s) => Some(s),
        _ => None,
    }
}

/// Whether `SET key value` on `127.0.0.1:port` succeeds (a live, writable master).
pub fn can_write(port: u16, key: &str) -> bool {
    matches!(call(port, &["SET", key, "1"]), Ok(LinkReply::Status(s)) if s == "OK")
}

pub fn kill_signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
}

// ===== real redis-server processes =====

/// A `redis-server` (data node or `--sentinel`), killed with SIGKILL on drop.
pub struct RedisProc {
    pub port: u16,
    pub dir: PathBuf,
    conf: PathBuf,
    sentinel: bool,
    child: Option<Child>,
}

impl RedisProc {
    fn start(dir: &Path, name: &str, port: u16, body: &str, sentinel: bool) -> RedisProc {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join(if sentinel { "sentinel.conf" } else { "redis.conf" });
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {d}\nlogfile {d}/log.txt\n{body}",
            d = dir.display()
        );
        std::fs::write(&conf, text).unwrap();
        let mut p = RedisProc { port, dir, conf, sentinel, child: None };
        p.restart();
        p
    }

    /// A data node; `replicaof` is the master's port.
    pub fn server(dir: &Path, name: &str, replicaof: Option<u16>) -> RedisProc {
        // No diskless-sync delay: a replica being reconfigured syncs at once (the 5 s
        // default would outlast the tests' 3 s failover-timeout).
        // DEBUG SLEEP from loopback (7.0 refuses DEBUG by default).
        let mut body = "save \"\"\nappendonly no\nrepl-diskless-sync-delay 0\n\
                        enable-debug-command local\n"
            .to_string();
        if let Some(m) = replicaof {
            body.push_str(&format!("replicaof 127.0.0.1 {m}\n"));
        }
        RedisProc::start(dir, name, free_port(), &body, false)
    }

    /// A real Redis 7.0 sentinel monitoring `MASTER` at `master_port`.
    pub fn sentinel(dir: &Path, name: &str, master_port: u16, quorum: u32) -> RedisProc {
        let body = format!(
            "sentinel monitor {MASTER} 127.0.0.1 {master_port} {quorum}\n\
             sentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 3000\n"
        );
        RedisProc::start(dir, name, free_port(), &body, true)
    }

    pub fn restart(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.arg(&self.conf);
        if self.sentinel {
            cmd.arg("--sentinel");
        }
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        self.child = Some(child);
        let port = self.port;
        wait_for(
            Duration::from_secs(10),
            "redis-server answers PING",
            || matches!(call(port, &["PING"]), Ok(LinkReply::Status(s)) if s == "PONG"),
        );
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log.txt")).unwrap_or_default()
    }
}

impl Drop for RedisProc {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            kill_signal(c.id(), "-CONT");
        }
        self.kill();
    }
}

// ===== the recording host =====

/// Records every published event with the time it arrived; prints logs when
/// `RHEA_TEST_LOG` is set.
pub struct Recorder {
    pub name: String,
    events: Mutex<Vec<(Instant, String, String)>>,
    pub flushes: Mutex<usize>,
    pub crashes: Mutex<Vec<String>>,
    verbose: bool,
}

impl Recorder {
    pub fn new(name: &str) -> Arc<Recorder> {
        Arc::new(Recorder {
            name: name.to_string(),
            events: Mutex::new(Vec::new()),
            flushes: Mutex::new(0),
            crashes: Mutex::new(Vec::new()),
            verbose: std::env::var_os("RHEA_TEST_LOG").is_some(),
        })
    }

    /// Messages of every `kind` event, in order.
    pub fn messages(&self, kind: &str) -> Vec<String> {
        let ev = self.events.lock().unwrap();
        ev.iter().filter(|(_, k, _)| k == kind).map(|(_, _, m)| m.clone()).collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.messages(kind).len()
    }

    pub fn first_at(&self, kind: &str) -> Option<Instant> {
        let ev = self.events.lock().unwrap();
        ev.iter().find(|(_, k, _)| k == kind).map(|(t, _, _)| *t)
    }

    /// All events as `(kind, message)`.
    pub fn all(&self) -> Vec<(String, String)> {
        let ev = self.events.lock().unwrap();
        ev.iter().map(|(_, k, m)| (k.clone(), m.clone())).collect()
    }
}

impl Host for Recorder {
    fn publish(&self, channel: &str, message: &str) {
        self.events.lock().unwrap().push((Instant::now(), channel.into(), message.into()));
    }

    fn log(&self, level: LogLevel, msg: &str) {
        if self.verbose {
            eprintln!("{} [{}] {} {}", driver::now_ms() % 100_000, self.name, level.mark(), msg);
        }
    }

    fn flush_config(&self, state: &SentinelConfig) -> Result<(), String> {
        assert!(state.myid.is_some());
        *self.flushes.lock().unwrap() += 1;
        Ok(())
    }

    fn crash(&self, reason: &str) {
        self.crashes.lock().unwrap().push(reason.into());
    }
}

// ===== in-process Rhea sentinels =====

/// A driver and its test front end on `port`.
pub struct RheaSentinel {
    pub port: u16,
    pub handle: SentinelHandle,
    pub rec: Arc<Recorder>,
    server: tokio::task::JoinHandle<()>,
}

/// The timing the older tests use, as `SENTINEL DEBUG info-period 1000 ping-period 500
/// script-retry-delay 300` on top of Rhea's defaults.
///
/// INFO every second makes role changes visible fast. The shorter ping period was a
/// workaround for a flap Redis has with down-after 1000: after `+switch-master` the
/// reconnect to the new master waited one ping period after the last attempt on the dead
/// old one, so with ping-period == down-after the new master could be flagged `+sdown`
/// before it was even pinged. Rhea now reconnects at once and starts the new master's
/// clock at its first PING (see `rhea_sentinel::timing`); the timing tests use the
/// defaults.
pub fn test_timing() -> Timing {
    Timing { info_period: 1000, ping_period: 500, script_retry_delay: 300, ..Timing::default() }
}

/// The same knobs for a real sentinel.
pub fn tune_real_sentinel(port: u16) {
    let r = call(port, &["SENTINEL", "DEBUG", "info-period", "1000", "ping-period", "500"]);
    assert_eq!(r, Ok(LinkReply::Status("OK".into())), "SENTINEL DEBUG on {port}");
}

impl RheaSentinel {
    pub fn start(rt: &tokio::runtime::Runtime, name: &str, master_port: u16) -> RheaSentinel {
        RheaSentinel::start_with_quorum(rt, name, master_port, 2)
    }

    pub fn start_with_quorum(
        rt: &tokio::runtime::Runtime,
        name: &str,
        master_port: u16,
        quorum: u32,
    ) -> RheaSentinel {
        RheaSentinel::start_full(rt, name, master_port, quorum, None)
    }

    /// With an optional notification script for the master.
    pub fn start_full(
        rt: &tokio::runtime::Runtime,
        name: &str,
        master_port: u16,
        quorum: u32,
        notification_script: Option<&Path>,
    ) -> RheaSentinel {
        RheaSentinel::start_custom(
            rt,
            name,
            master_port,
            quorum,
            notification_script,
            1000,
            test_timing(),
        )
    }

    /// Everything chosen: down-after-milliseconds (failover-timeout 3000) and timing.
    pub fn start_custom(
        rt: &tokio::runtime::Runtime,
        name: &str,
        master_port: u16,
        quorum: u32,
        notification_script: Option<&Path>,
        down_after_ms: u64,
        timing: Timing,
    ) -> RheaSentinel {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut conf = SentinelConfig::default();
        let mut mc = MasterConfig::new(MASTER, "127.0.0.1", master_port, quorum);
        mc.down_after_ms = down_after_ms;
        mc.failover_timeout_ms = 3000;
        mc.notification_script = notification_script.map(|p| p.display().to_string());
        conf.masters.push(mc);
        let options = Options { port, timing, ..Options::default() };
        let seed = u64::from(port) ^ (driver::unix_ms() as u64).rotate_left(17);
        let (core, actions) = Sentinel::new(
            &conf,
            options,
            Box::new(SplitMix64::new(seed)),
            driver::now_ms(),
            driver::unix_ms(),
        );
        let rec = Recorder::new(name);
        let handle = driver::spawn(core, actions, rec.clone()).unwrap();
        let server = rt.spawn(serve(listener, handle.clone(), port));
        RheaSentinel { port, handle, rec, server }
    }

    /// `SENTINEL <args…>` through the handle, decoded as a link would.
    pub fn sentinel(&self, args: &[&str]) -> LinkReply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        as_link_reply(&self.handle.command(&argv))
    }

    pub fn master_addr(&self) -> Option<(String, u16)> {
        addr(&self.sentinel(&["get-master-addr-by-name", MASTER]))
    }
}

impl Drop for RheaSentinel {
    fn drop(&mut self) {
        self.server.abort();
        self.handle.shutdown();
    }
}

async fn serve(listener: tokio::net::TcpListener, handle: SentinelHandle, port: u16) {
    while let Ok((sock, _)) = listener.accept().await {
        tokio::spawn(connection(sock, handle.clone(), port));
    }
}

async fn connection(mut sock: tokio::net::TcpStream, handle: SentinelHandle, port: u16) {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        match sock.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut out = Vec::new();
        loop {
            match parse_request(&mut buf, &Limits::default()) {
                Ok(Some(Request::Command(args))) => {
                    front_end_command(&handle, port, &args).encode(Protocol::Resp2, &mut out)
                }
                Ok(Some(Request::Empty { .. })) => {}
                Ok(None) => break,
                Err(e) => {
                    Reply::err(format!("ERR {}", e.0)).encode(Protocol::Resp2, &mut out);
                    let _ = sock.write_all(&out).await;
                    return;
                }
            }
        }
        if sock.write_all(&out).await.is_err() {
            return;
        }
    }
}

fn front_end_command(handle: &SentinelHandle, port: u16, args: &[bytes::Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let rest: Vec<Vec<u8>> = args[1..].iter().map(|a| a.to_vec()).collect();
    match name.as_str() {
        "ping" => Reply::simple("PONG"),
        "sentinel" => handle.command(&rest),
        "publish" if rest.len() == 2 => handle.publish(&rest[0], &rest[1]),
        "info" => Reply::bulk_str(&format!(
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:sentinel\r\nrun_id:{}\r\ntcp_port:{port}\r\n\r\n{}",
            handle.myid(),
            handle.info_section()
        )),
        "client" | "auth" => Reply::ok(),
        _ => Reply::err(format!("ERR unknown command '{name}'")),
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}
