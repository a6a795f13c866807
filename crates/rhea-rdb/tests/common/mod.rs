//! Shared test helpers: a comparable model of a dataset, a real `redis-server` harness
//! (free port, own temp dir, stopped by pid on drop) and a minimal RESP2 client.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rhea_keyspace::{Db, Value};
use rhea_resp::number::parse_f64;

/// A value in a form that compares independently of encoding and iteration order.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    /// Ascending (score, member) order, as ZRANGE gives it.
    ZSet(Vec<(Vec<u8>, f64)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyModel {
    pub value: Model,
    pub expire_ms: Option<i64>,
    pub encoding: String,
}

/// db → key → model.
pub type DataModel = BTreeMap<u64, BTreeMap<Vec<u8>, KeyModel>>;

/// Redis 7.0.15's real defaults (`config.c`): note `hash-max-listpack-entries` is 512.
pub fn real_limits() -> rhea_keyspace::limits::EncodingLimits {
    rhea_keyspace::limits::EncodingLimits {
        hash_max_listpack_entries: 512,
        ..rhea_keyspace::limits::EncodingLimits::default()
    }
}

pub fn real_opts() -> rhea_rdb::LoadOptions {
    rhea_rdb::LoadOptions { limits: real_limits(), ..rhea_rdb::LoadOptions::default() }
}

pub fn value_model(v: &Value) -> Model {
    match v {
        Value::Str(s) => Model::Str(s.as_bytes().to_vec()),
        Value::List(l) => Model::List(l.iter().map(|b| b.to_vec()).collect()),
        Value::Set(s) => Model::Set(s.iter().map(|m| m.to_bytes().to_vec()).collect()),
        Value::Hash(h) => Model::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Value::ZSet(z) => Model::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
    }
}

pub fn dbs_model(dbs: &[Db]) -> DataModel {
    let mut out = DataModel::new();
    for (i, db) in dbs.iter().enumerate() {
        for (k, e) in db.dict.iter() {
            out.entry(i as u64).or_default().insert(
                k.to_vec(),
                KeyModel {
                    value: value_model(e.value()),
                    expire_ms: db.get_expire(k),
                    encoding: e.value().encoding_name().to_string(),
                },
            );
        }
    }
    out
}

// ===== RESP client =====

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            Reply::Status(s) => s.as_bytes().to_vec(),
            other => panic!("not a string reply: {other:?}"),
        }
    }
    pub fn array(&self) -> Vec<Reply> {
        match self {
            Reply::Array(Some(a)) => a.clone(),
            other => panic!("not an array reply: {other:?}"),
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("not an integer reply: {other:?}"),
        }
    }
}

pub struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    pub fn connect(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn { r: BufReader::new(s.try_clone()?), w: s })
    }

    pub fn send(&mut self, args: &[&[u8]]) {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&buf).unwrap();
    }

    pub fn read(&mut self) -> Reply {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).unwrap();
        assert!(line.len() >= 3, "connection closed");
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' => Reply::Status(body),
            b'-' => Reply::Error(body),
            b':' => Reply::Int(body.parse().unwrap()),
            b'$' => {
                let n: i64 = body.parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut b = vec![0; n as usize + 2];
                self.r.read_exact(&mut b).unwrap();
                b.truncate(n as usize);
                Reply::Bulk(Some(b))
            }
            b'*' => {
                let n: i64 = body.parse().unwrap();
                if n < 0 {
                    return Reply::Array(None);
                }
                Reply::Array(Some((0..n).map(|_| self.read()).collect()))
            }
            c => panic!("unexpected reply type {c}"),
        }
    }

    pub fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        self.send(args);
        let r = self.read();
        if let Reply::Error(e) = &r {
            panic!(
                "command {:?} failed: {e}",
                args.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>()
            );
        }
        r
    }

    /// Send many commands pipelined, checking none failed.
    pub fn pipeline(&mut self, cmds: &[Vec<Vec<u8>>]) {
        for chunk in cmds.chunks(500) {
            for c in chunk {
                let args: Vec<&[u8]> = c.iter().map(|a| &a[..]).collect();
                self.send(&args);
            }
            for _ in chunk {
                let r = self.read();
                assert!(!matches!(r, Reply::Error(_)), "pipeline error {r:?}");
            }
        }
    }
}

// ===== real redis-server =====

pub struct RealRedis {
    child: Child,
    pub port: u16,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RealRedis {
    /// Start `redis-server` in `dir` loading `dbfilename` if present. Extra args are
    /// appended (`--maxmemory-policy allkeys-lru`, …). The port is picked free; if
    /// another process takes it first (the server exits, or a PING is answered by a
    /// server with another pid) a new port is tried.
    pub fn start(dir: &Path, dbfilename: &str, extra: &[&str]) -> RealRedis {
        for _ in 0..10 {
            if let Some(r) = Self::try_start(dir, dbfilename, extra) {
                return r;
            }
        }
        let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
        panic!("redis-server did not start\n{log}");
    }

    fn try_start(dir: &Path, dbfilename: &str, extra: &[&str]) -> Option<RealRedis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
            .arg(dir)
            .args(["--dbfilename", dbfilename, "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes", "--logfile", "redis.log"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let mut r = RealRedis { child, port };
        let pid_line = format!("process_id:{}", r.child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = r.child.try_wait() {
                return None;
            }
            if let Ok(mut c) = Conn::connect(port) {
                c.send(&[b"INFO", b"server"]);
                if let Reply::Bulk(Some(info)) = c.read() {
                    return String::from_utf8_lossy(&info)
                        .lines()
                        .any(|l| l == pid_line)
                        .then_some(r);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port).unwrap()
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn score(b: &[u8]) -> f64 {
    parse_f64(b).unwrap_or_else(|| panic!("bad score {:?}", String::from_utf8_lossy(b)))
}

/// Read every key of dbs 0..16 through ordinary commands.
pub fn server_model(c: &mut Conn) -> DataModel {
    let mut out = DataModel::new();
    for db in 0..16u64 {
        c.cmd(&[b"SELECT", db.to_string().as_bytes()]);
        for key in c.cmd(&[b"KEYS", b"*"]).array() {
            let key = key.bytes();
            let ty = c.cmd(&[b"TYPE", &key]).bytes();
            let value = match &ty[..] {
                b"string" => Model::Str(c.cmd(&[b"GET", &key]).bytes()),
                b"list" => Model::List(
                    c.cmd(&[b"LRANGE", &key, b"0", b"-1"])
                        .array()
                        .iter()
                        .map(Reply::bytes)
                        .collect(),
                ),
                b"set" => Model::Set(
                    c.cmd(&[b"SMEMBERS", &key]).array().iter().map(Reply::bytes).collect(),
                ),
                b"hash" => {
                    let a = c.cmd(&[b"HGETALL", &key]).array();
                    Model::Hash(a.chunks(2).map(|p| (p[0].bytes(), p[1].bytes())).collect())
                }
                b"zset" => {
                    let a = c.cmd(&[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]).array();
                    Model::ZSet(a.chunks(2).map(|p| (p[0].bytes(), score(&p[1].bytes()))).collect())
                }
                other => panic!("unexpected type {}", String::from_utf8_lossy(other)),
            };
            let exp = c.cmd(&[b"PEXPIRETIME", &key]).int();
            let encoding =
                String::from_utf8(c.cmd(&[b"OBJECT", b"ENCODING", &key]).bytes()).unwrap();
            out.entry(db)
                .or_default()
                .insert(key, KeyModel { value, expire_ms: (exp >= 0).then_some(exp), encoding });
        }
    }
    c.cmd(&[b"SELECT", b"0"]);
    out
}

/// Compare models key by key with a readable failure.
pub fn assert_models_eq(got: &DataModel, want: &DataModel) {
    for (db, keys) in want {
        let g = got.get(db).unwrap_or_else(|| panic!("db {db} missing"));
        for (k, v) in keys {
            let gv = g
                .get(k)
                .unwrap_or_else(|| panic!("db {db} key {:?} missing", String::from_utf8_lossy(k)));
            let name = String::from_utf8_lossy(k);
            assert_eq!(gv.encoding, v.encoding, "encoding of db {db} key {name:?}");
            assert_eq!(gv.expire_ms, v.expire_ms, "expiry of db {db} key {name:?}");
            if gv.value != v.value {
                let (g, w) = (format!("{:?}", gv.value), format!("{:?}", v.value));
                let at = g.bytes().zip(w.bytes()).position(|(a, b)| a != b).unwrap_or(0);
                let lo = at.saturating_sub(80);
                panic!(
                    "value of db {db} key {name:?} differs at char {at}:\n got  …{}\n want …{}",
                    &g[lo..(at + 80).min(g.len())],
                    &w[lo..(at + 80).min(w.len())]
                );
            }
        }
        assert_eq!(g.len(), keys.len(), "db {db} key count");
    }
    assert_eq!(got.len(), want.len(), "db count");
}
