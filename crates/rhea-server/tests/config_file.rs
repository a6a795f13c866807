//! The configuration module against the real `redis-server` 7.0.15: the same bad files and
//! command lines must produce the same FATAL report, `CONFIG GET *` the same names and
//! values, CONFIG SET the same answers, and CONFIG REWRITE the same file. Every test that
//! needs the real server skips (with a printed reason) when `redis-server` is not
//! installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rhea_server::config::{self, ConfigError, Support};

// ===== helpers =====

fn redis_server_available() -> bool {
    let ok =
        Command::new("redis-server").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: redis-server is not installed, nothing to compare with");
    }
    ok
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Run the real server on `args` expecting it to stop by itself (a config error, or
/// "not listening anywhere" with `--port 0`); returns (exit code, stdout, stderr).
fn run_real(args: &[String], cwd: &Path, stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new("redis-server")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("redis-server {args:?} did not stop");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// A real server for CONFIG commands, killed on drop.
struct RealServer {
    child: Child,
    conn: Option<BufReader<TcpStream>>,
}

impl RealServer {
    fn start(args: &[String], cwd: &Path, port: u16) -> RealServer {
        let mut server = RealServer {
            child: Command::new("redis-server")
                .args(args)
                .current_dir(cwd)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
            conn: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.conn.is_none() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => server.conn = Some(BufReader::new(s)),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        server
    }

    /// Send one command; `Ok` holds a flattened reply, `Err` an error reply.
    fn call(&mut self, args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.conn().get_mut().write_all(&req).unwrap();
        self.read_reply()
    }

    fn conn(&mut self) -> &mut BufReader<TcpStream> {
        self.conn.as_mut().expect("connected")
    }

    fn read_reply(&mut self) -> Result<Vec<Vec<u8>>, String> {
        let mut line = Vec::new();
        self.conn().read_until(b'\n', &mut line).unwrap();
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' | b':' => Ok(vec![body.into_bytes()]),
            b'-' => Err(body),
            b'$' => {
                let n: usize = body.parse().unwrap();
                let mut buf = vec![0; n + 2];
                self.conn().read_exact(&mut buf).unwrap();
                buf.truncate(n);
                Ok(vec![buf])
            }
            b'*' => {
                let n: usize = body.parse().unwrap();
                let mut items = Vec::new();
                for _ in 0..n {
                    items.extend(self.read_reply()?);
                }
                Ok(items)
            }
            other => panic!("unexpected reply type {other}"),
        }
    }

    fn config_get(&mut self, pattern: &str) -> Vec<(String, Vec<u8>)> {
        let flat = self.call(&[b"CONFIG", b"GET", pattern.as_bytes()]).unwrap();
        flat.chunks(2)
            .map(|kv| (String::from_utf8_lossy(&kv[0]).into_owned(), kv[1].clone()))
            .collect()
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ours(args: &[String], stdin: &[u8]) -> Result<config::LoadedConfig, ConfigError> {
    config::load_with_stdin(args, &mut &stdin[..])
}

// ===== start-up =====

const SEED_NODE1: &str = "# Main part\nbind 192.168.0.2\nrequirepass somepassword\nmasterauth somepassword\n\
                          protected-mode yes\nport 6379\n# Small tuning\ntcp-keepalive 0\nmaxmemory 5gb\n\
                          maxmemory-policy volatile-lru\n";

#[test]
fn seed_configs_load() {
    let seed_dir = Path::new("/work/shared/seed/configs");
    let dir = tempfile::tempdir().unwrap();
    for node in 1..=3 {
        let path = seed_dir.join(format!("redis-node{node}.conf"));
        let path = if path.exists() {
            path
        } else {
            // Outside the lab: the same content, inline.
            let p = dir.path().join(format!("node{node}.conf"));
            let mut text = SEED_NODE1.replace("192.168.0.2", &format!("192.168.0.{}", node + 1));
            if node > 1 {
                text.push_str("slaveof 192.168.0.2 6379\n");
            }
            std::fs::write(&p, text).unwrap();
            p
        };
        let loaded = ours(&[path.to_string_lossy().into_owned()], b"").unwrap();
        let c = &loaded.config;
        assert_eq!(loaded.path.as_deref(), Some(path.as_path()));
        assert_eq!(c.bind, vec![format!("192.168.0.{}", node + 1)]);
        assert_eq!(c.requirepass.as_deref(), Some(&b"somepassword"[..]));
        assert_eq!(c.masterauth.as_deref(), Some(&b"somepassword"[..]));
        assert!(c.protected_mode);
        assert_eq!(c.port, 6379);
        assert!(c.tcp_keepalive.is_zero());
        assert_eq!(c.maxmemory, 5 * 1024 * 1024 * 1024);
        assert_eq!(c.maxmemory_policy, config::MaxmemoryPolicy::VolatileLru);
        let master = (node > 1).then(|| ("192.168.0.2".to_string(), 6379));
        assert_eq!(c.replicaof, master);
    }
}

/// Bad files, each failing at start-up; the report must be Redis's, byte for byte.
const BAD_FILES: &[&str] = &[
    "port 7000\nfoobar 1\n",
    "# c\n\nprotected-mode maybe\n",
    "port 70000\n",
    "port 1 2\n",
    "port\n",
    "requirepass \"abc\n",
    "requirepass \"abc\"d\n",
    "maxmemory-policy lru\n",
    "maxmemory 5xb\n",
    "maxmemory -1\n",
    "save 60\n",
    "save \"60 1 30\"\n",
    "save 0 1\n",
    "save \"60 1\"\nport x\n",
    "client-output-buffer-limit normal 1 2\n",
    "client-output-buffer-limit master 1 2 3\n",
    "client-output-buffer-limit replica 1 2 -3\n",
    "slaveof 1.2.3.4\n",
    "slaveof 1.2.3.4 70000\n",
    "replicaof a b c\n",
    "sentinel monitor m 1.2.3.4 6379 2\n",
    "sentinel\nport x\n",
    "dbfilename /tmp/x.rdb\n",
    "dbfilename \"a\\\\b\"\n",
    "appendfilename \"\"\n",
    "appenddirname \"a/b\"\n",
    "dir /nonexistent/dir\n",
    "dir /etc/passwd\n",
    "logfile /nonexistent/dir/log\n",
    "   port   abc   \n",
    "\tport\t99999\r\n",
    "PORT 99999\n",
    "oom-score-adj-values 0 200 9999\n",
    "notify-keyspace-events Q\n",
    "notify-keyspace-events a b\n",
    "list-max-ziplist-entries 5\nlist-max-ziplist-entries 5 6\n",
    "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
    "port \"\"\n",
    "unixsocketperm 800\n",
    "unixsocketperm 1000\n",
    "hz abc\n",
    "maxmemory-clients 101%\n",
    "maxmemory-clients -5\n",
    "proto-max-bulk-len 100\n",
    "set-max-intset-entries -1\n",
    "maxclients 0\n",
    "databases 0\n",
    "list-max-listpack-size -9999999999\n",
    "activedefrag yes\n",
    "latency-tracking-info-percentiles 50 101\n",
    "latency-tracking-info-percentiles abc\n",
    "shutdown-on-sigint save nosave\n",
    "shutdown-on-sigterm foo\n",
    "cluster-announce-hostname a_b\n",
    "proc-title-template \"{foo}\"\n",
    "mymod.conf\n",
    "include /nonexistent/file.conf\n",
    "loglevel notice\nmaxmemory 1gb\nsave 900 1\n\n\nrequirepass \"a b\" c\n",
    "rename-command nosuchcmd x\n",
    "rename-command GET SET\n",
    "rename-command get x\nrename-command GET y\n",
    "rename-command CONFIG\n",
    "rename-command CONFIG a b\n",
];

#[test]
fn bad_files_fail_like_redis() {
    if !redis_server_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut mismatches = Vec::new();
    for (i, text) in BAD_FILES.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.conf"));
        std::fs::write(&path, text).unwrap();
        // `--port 0` makes a real server that unexpectedly accepts the file stop at once.
        let args = vec![path.to_string_lossy().into_owned(), "--port".into(), "0".into()];
        let (code, stdout, stderr) = run_real(&args, dir.path(), b"");
        let err = ours(&args, b"").expect_err(text);
        let report = err.fatal_report();
        let same = if err.is_log_message() {
            stdout.trim_end().ends_with(&format!("# {}", report.trim_end()))
        } else {
            stderr == report
        };
        if code != 1 || !same {
            mismatches
                .push(format!("{text:?}\n  redis ({code}): {stdout}{stderr}\n  rhea: {report}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn command_lines_fail_like_redis() {
    if !redis_server_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.conf");
    std::fs::write(&file, "loglevel notice\n# nothing wrong here\n").unwrap();
    let file = file.to_string_lossy().into_owned();
    let missing = dir.path().join("missing.conf").to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, &[u8])> = vec![
        (strings(&["--port", "99999"]), b""),
        (strings(&["--port 99999"]), b""),
        (strings(&["--port", "1 2"]), b""),
        (strings(&["--port"]), b""),
        (strings(&["--save", "--port", "99999"]), b""),
        (strings(&["--requirepass", "a b", "--port", "99999"]), b""),
        (strings(&["--save", "60", "1", "30", "--port", "0"]), b""),
        (strings(&["--maxmemory-policy", "foo"]), b""),
        (strings(&["--port", "1", "extra"]), b""),
        (vec![file.clone(), "--port".into(), "99999".into()], b""),
        (vec![file.clone(), "-".into(), "--port".into(), "y".into()], b"port 7\n"),
        (strings(&["-"]), b"port x\n"),
        (vec![missing, "--port".into(), "0".into()], b""),
        (vec!["--port".into(), "0".into(), "--include".into(), "/nonexistent.conf".into()], b""),
    ];
    let mut mismatches = Vec::new();
    for (args, stdin) in &cases {
        let (code, stdout, stderr) = run_real(args, dir.path(), stdin);
        let report = match ours(args, stdin) {
            Ok(_) => "<accepted>".to_string(),
            Err(e) if e.is_log_message() => {
                let r = e.fatal_report();
                if stdout.trim_end().ends_with(&format!("# {}", r.trim_end())) {
                    stderr.clone()
                } else {
                    r
                }
            }
            Err(e) => e.fatal_report(),
        };
        if code != 1 || report != stderr {
            mismatches
                .push(format!("{args:?}\n  redis ({code}): {stdout}{stderr}\n  rhea: {report}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn default_only_parameters_are_refused_clearly() {
    for (line, name) in [
        ("appendonly yes", "appendonly"),
        ("cluster-enabled yes", "cluster-enabled"),
        ("tls-port 6380", "tls-port"),
        ("io-threads-do-reads yes", "io-threads-do-reads"),
        ("supervised systemd", "supervised"),
    ] {
        let args = strings(&["--port", "0", &format!("--{line}")]);
        let e = ours(&args, b"").unwrap_err();
        let ConfigError::Line { reason, .. } = &e else { panic!("{e:?}") };
        assert!(reason.contains(name) && reason.contains("not supported by Rhea yet"), "{reason}");
        let p = config::lookup(name.as_bytes()).unwrap().0;
        assert_eq!(p.support, Support::DefaultOnly);
    }
    // The default value itself is fine.
    assert!(ours(&strings(&["--appendonly", "no", "--tls-port", "0"]), b"").is_ok());
}

/// Files that load: every value must come out as in Redis (`{port}` and `{dir}` are
/// filled in; extra command-line arguments follow the file).
const GOOD_FILES: &[(&str, &[&str])] = &[
    ("save 60 1\nsave \"\"\n", &[]),
    ("save \"\"\nsave 60 1\nsave \"30 2\"\n", &[]),
    ("save 60 1\ninclude {dir}/inc.conf\nsave 30 2\nsave 10 3\n", &[]),
    ("save 60 1\n", &["--save", ""]),
    ("save 60 1\n", &["--save", "--hz", "20"]),
    (
        "slave-read-only no\nhash-max-ziplist-entries 7\nlua-time-limit 9\nmin-slaves-to-write 1\nslaveof 127.0.0.1 1\n",
        &[],
    ),
    (
        "client-output-buffer-limit \"replica 1mb 2mb 3\"\nshutdown-on-sigint save now\nnotify-keyspace-events KEA\n\
         unixsocketperm 0770\nunixsocket {dir}/r.sock\nhz 0\nmaxmemory-clients 10%\nrepl-backlog-size 1\n",
        &[],
    ),
    (
        "bind 127.0.0.1\nlogfile {dir}/log.txt\nMaxMemory 5GB\nmaxmemory-policy ALLKEYS-LFU\n",
        &["--loglevel", "warning"],
    ),
    (
        "latency-tracking-info-percentiles \"1 2.5\"\noom-score-adj-values -1 0 1\nbind 127.0.0.1 -::1\n",
        &[],
    ),
    ("list-max-ziplist-entries 5\nlua-replicate-commands yes\nsentinel\nreplicaof no one\n", &[]),
    ("requirepass s3cret\nmasterauth \"a b\"\nmasteruser bob\n", &[]),
];

#[test]
fn good_files_load_like_redis() {
    if !redis_server_available() {
        return;
    }
    for (text, extra) in GOOD_FILES {
        eprintln!("case {text:?} {extra:?}");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let port = free_port();
        std::fs::write(dir.path().join("inc.conf"), "maxmemory 1mb\n").unwrap();
        let body = format!("port {port}\ndir {d}\n{}", text.replace("{dir}", &d));
        let path = dir.path().join("good.conf");
        std::fs::write(&path, body).unwrap();
        let mut args = vec![path.to_string_lossy().into_owned()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let cfg = ours(&args, b"").unwrap().config;
        let mut real = RealServer::start(&args, dir.path(), port);
        if let Some(pass) = &cfg.requirepass {
            real.call(&[b"AUTH", pass]).unwrap();
        }
        let mut theirs = real.config_get("*");
        let mut mine = cfg.get(&[b"*"]);
        theirs.sort();
        mine.sort();
        let diff: Vec<String> = mine
            .iter()
            .zip(&theirs)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("{a:?} vs redis {b:?}"))
            .collect();
        assert!(
            mine.len() == theirs.len() && diff.is_empty(),
            "{text:?} {extra:?}:\n{}",
            diff.join("\n")
        );
    }
}

// ===== CONFIG GET / SET =====

#[test]
fn config_get_all_matches_redis() {
    if !redis_server_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = strings(&["--port", &port.to_string(), "--dir", &dir.path().to_string_lossy()]);
    let mut real = RealServer::start(&args, dir.path(), port);
    let cfg = ours(&args, b"").unwrap().config;
    let mut theirs = real.config_get("*");
    let mut mine = cfg.get(&[b"*"]);
    theirs.sort();
    mine.sort();
    let show = |v: &[(String, Vec<u8>)]| {
        v.iter()
            .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(show(&mine), show(&theirs));
    // Hidden parameters answer to their exact name only.
    for name in ["key-load-delay", "rdb-key-save-delay", "watchdog-period", "use-exit-on-panic"] {
        assert_eq!(cfg.get(&[name.as_bytes()]), real.config_get(name));
    }
    for pats in [
        &["PORT"][..],
        &["port", "PORT"],
        &["PORT", "p*t"],
        &["SLAVE*", "replica-read-only"],
        &["nosuch"],
    ] {
        let pats_b: Vec<&[u8]> = pats.iter().map(|p| p.as_bytes()).collect();
        let mut args: Vec<&[u8]> = vec![b"CONFIG", b"GET"];
        args.extend(&pats_b);
        let flat = real.call(&args).unwrap();
        let mut theirs: Vec<(String, Vec<u8>)> = flat
            .chunks(2)
            .map(|kv| (String::from_utf8_lossy(&kv[0]).into_owned(), kv[1].clone()))
            .collect();
        let mut mine = cfg.get(&pats_b);
        theirs.sort();
        mine.sort();
        assert_eq!(mine, theirs, "{pats:?}");
    }
}

/// Values tried on every mutable parameter, then the parameter is put back.
const PROBES: &[&str] = &[
    "",
    "abc",
    "-1",
    "0",
    "1",
    "7",
    "0777",
    "1kb",
    "2mb",
    "1G",
    "10%",
    "yes",
    "no",
    "YES",
    "2147483648",
    "18446744073709551616",
    "a b",
    "60 1",
    "-0",
];

/// Extra values per parameter, and the parameters whose probes must be chosen by hand
/// (values that would cut the test's own connection off).
fn probes_for(name: &str) -> Option<Vec<&'static str>> {
    let extra: &[&str] = match name {
        "port" | "bind" | "requirepass" => return None,
        "client-output-buffer-limit" => {
            return Some(vec![
                "",
                "abc",
                "replica 1mb 2k 3",
                "pubsub 64mb 16mb 30 replica 1 2 3",
                "master 1 2 3",
                "normal 1 2",
                "REPLICA 1 2 -3",
                "replica 1 2 3 pubsub x 2 3",
                "slave 256mb 64mb 60",
            ]);
        }
        // A huge maxclients makes Redis probe file-descriptor limits for minutes.
        "maxclients" => return Some(vec!["", "abc", "-1", "0", "4294967296", "1", "100", "1k"]),
        "maxmemory-clients" => {
            return Some(vec![
                "",
                "x",
                "-5",
                "0",
                "0%",
                "10%",
                "100%",
                "101%",
                "200%",
                "18446744073709551616",
                "-0",
            ]);
        }
        "loglevel" => &["debug", "VERBOSE", "warning", "loud"],
        "maxmemory-policy" => &["allkeys-lru", "volatile-ttl", "lru"],
        "repl-diskless-load" => &["swapdb", "on-empty-db", "disk"],
        "appendfsync" => &["always", "everysec"],
        "oom-score-adj" => &["no", "relative"],
        "acl-pubsub-default" => &["allchannels", "AllChannels", "resetchannels"],
        "sanitize-dump-payload" => &["clients", "yes"],
        "cluster-preferred-endpoint-type" => &["hostname", "unknown-endpoint"],
        "propagation-error-behavior" => &["panic", "panic-on-replicas", "ignore"],
        "shutdown-on-sigint" | "shutdown-on-sigterm" => {
            &["save now", "nosave force", "save nosave", "default now", "Default", "force force"]
        }
        "tls-auth-clients" => &["optional", "no"],
        "notify-keyspace-events" => &["KEA", "Ex", "g$lshzxet", "gd$lshzxetnmK", "Q", "A"],
        "save" => &["60 1 30 2", "60 ", "60  1", "+60 -0", "0 1"],
        "latency-tracking-info-percentiles" => &["99.99 1e1", "50 101", "0.5 100 abc"],
        "oom-score-adj-values" => &["0 200 9999", "1 201 801", "-2000 0 2000"],
        "activedefrag" => &["yes"],
        "cluster-announce-hostname" => &["a_b", "a-b.c"],
        "proc-title-template" => &["{title}", "{foo}", "{title} {port}", "{{"],
        "hz" => &["500", "501", "100000"],
        _ => &[],
    };
    Some(PROBES.iter().chain(extra).copied().collect())
}

/// Real-server errors that come from side effects (binding, file descriptors, TLS), which
/// the engine applies after `Config::set`; the value is then copied from the real server.
const APPLY_ERRORS: &[&str] =
    &["Unable to", "The operating system", "Failed to", "not able to handle"];

#[test]
fn config_set_matches_redis() {
    if !redis_server_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = strings(&["--port", &port.to_string(), "--dir", &dir.path().to_string_lossy()]);
    let mut real = RealServer::start(&args, dir.path(), port);
    let mut cfg = ours(&args, b"").unwrap().config;
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut names: Vec<&str> = config::params().iter().map(|p| p.name).collect();
    names.extend([
        "slave-read-only",
        "hash-max-ziplist-entries",
        "lua-time-limit",
        "slaveof",
        "SLAVE-PRIORITY",
    ]);
    for name in names {
        let Some(probes) = probes_for(name) else { continue };
        let original = real.config_get(name).pop().map(|(_, v)| v).unwrap_or_default();
        for value in probes.iter().map(|v| v.as_bytes()).chain([original.as_slice()]) {
            let mine = cfg.set(&[(name.as_bytes(), value)]);
            if mine.as_ref().is_err_and(|e| e.contains("not supported by Rhea yet")) {
                continue;
            }
            let theirs = real.call(&[b"CONFIG", b"SET", name.as_bytes(), value]).map(|_| ());
            if let Err(e) = &theirs
                && mine.is_ok()
                && APPLY_ERRORS.iter().any(|a| e.contains(a))
            {
                let now = real.config_get(name).pop().unwrap().1;
                cfg.set(&[(name.as_bytes(), &now)]).unwrap();
                continue;
            }
            compared += 1;
            let same_result = match (&mine, &theirs) {
                (Ok(_), Ok(())) => true,
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            let (got_mine, got_theirs) = (cfg.get(&[name.as_bytes()]), real.config_get(name));
            if !same_result || got_mine != got_theirs {
                mismatches.push(format!(
                    "CONFIG SET {name} {:?}: redis {theirs:?} {got_theirs:?} / rhea {mine:?} {got_mine:?}",
                    String::from_utf8_lossy(value)
                ));
                if let Some((_, v)) = got_theirs.first() {
                    let _ = cfg.set(&[(name.as_bytes(), v)]);
                }
            }
        }
    }
    // Several parameters at once: validation order, duplicates, atomicity.
    let multi: &[&[&str]] = &[
        &["maxmemory", "1", "foo", "bar", "daemonize", "yes"],
        &["daemonize", "yes", "foo", "bar"],
        &["port", "6379", "PORT", "6380"],
        &["maxmemory", "1mb", "maxmemory-policy", "nope"],
        &["maxmemory", "2mb", "slave-read-only", "no", "replica-read-only", "yes"],
        &["maxmemory", "0", "dir", "/tmp"],
    ];
    for pairs in multi {
        let p: Vec<(&[u8], &[u8])> =
            pairs.chunks(2).map(|kv| (kv[0].as_bytes(), kv[1].as_bytes())).collect();
        let mine = cfg.set(&p).map(|_| ());
        let mut cmd: Vec<&[u8]> = vec![b"CONFIG", b"SET"];
        cmd.extend(pairs.iter().map(|s| s.as_bytes()));
        let theirs = real.call(&cmd).map(|_| ());
        if mine != theirs {
            mismatches.push(format!("CONFIG SET {pairs:?}: redis {theirs:?} / rhea {mine:?}"));
        }
    }
    let mut theirs = real.config_get("*");
    let mut mine = cfg.get(&[b"*"]);
    theirs.sort();
    mine.sort();
    if mine != theirs {
        mismatches.push("final CONFIG GET * differs".into());
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    assert!(compared > 2000, "only {compared} values compared");
}

// ===== CONFIG REWRITE =====

/// Lines before the signature must be identical; the appended block may be in another
/// order (Redis appends in hash-table order).
fn assert_same_rewrite(mine: &str, theirs: &str) {
    let split = |s: &str| -> (String, Vec<String>) {
        match s.split_once("# Generated by CONFIG REWRITE\n") {
            Some((head, tail)) => {
                let mut t: Vec<String> = tail.lines().map(str::to_string).collect();
                t.sort();
                (head.to_string(), t)
            }
            None => (s.to_string(), Vec::new()),
        }
    };
    assert_eq!(split(mine), split(theirs), "\n--- rhea ---\n{mine}--- redis ---\n{theirs}");
}

fn rewrite_scenario(original: &str, sets: &[(&str, &str)], replicaof: Option<(&str, u16)>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let text = original
        .replace("{port}", &port.to_string())
        .replace("{dir}", &dir.path().to_string_lossy());
    let real_path = dir.path().join("real.conf");
    let our_path = dir.path().join("ours.conf");
    std::fs::write(&real_path, &text).unwrap();
    std::fs::write(&our_path, &text).unwrap();
    let mut real = RealServer::start(&[real_path.to_string_lossy().into_owned()], dir.path(), port);
    let mut cfg = ours(&[our_path.to_string_lossy().into_owned()], b"").unwrap().config;
    if let Some(pass) = &cfg.requirepass {
        real.call(&[b"AUTH", pass]).unwrap();
    }
    for (name, value) in sets {
        real.call(&[b"CONFIG", b"SET", name.as_bytes(), value.as_bytes()]).unwrap();
        cfg.set(&[(name.as_bytes(), value.as_bytes())]).unwrap();
    }
    if let Some((host, p)) = replicaof {
        real.call(&[b"REPLICAOF", host.as_bytes(), p.to_string().as_bytes()]).unwrap();
        cfg.replicaof = Some((host.to_string(), p));
    }
    real.call(&[b"CONFIG", b"REWRITE"]).unwrap();
    cfg.rewrite(&our_path).unwrap();
    let theirs = std::fs::read_to_string(&real_path).unwrap();
    let mine = std::fs::read_to_string(&our_path).unwrap();
    assert_same_rewrite(&mine, &theirs);
    // And what we wrote loads back to the same values.
    let again = ours(&[our_path.to_string_lossy().into_owned()], b"").unwrap().config;
    assert_eq!(again.get(&[b"*"]), cfg.get(&[b"*"]));
}

#[test]
fn rewrite_matches_redis() {
    if !redis_server_available() {
        return;
    }
    rewrite_scenario(
        "# Redis test config\nport {port}\nbind 127.0.0.1\ndir {dir}\n\n# persistence\nsave 900 1\n\
         save 300 10\nSAVE 60 10000\nhash-max-ziplist-entries 100\nslave-read-only yes\n   maxmemory 1gb\n\
         requirepass \"foo bar\"\nloglevel notice\n\n\n\n# end\n",
        &[
            ("maxmemory", "2000000"),
            ("hash-max-listpack-entries", "200"),
            ("maxmemory-policy", "allkeys-lru"),
            ("timeout", "0"),
            ("notify-keyspace-events", "Ex"),
        ],
        Some(("127.0.0.1", 1)),
    );
    rewrite_scenario(
        "port {port}\ndir {dir}\n",
        &[
            ("save", "10 1 20 2"),
            ("client-output-buffer-limit", "pubsub 64mb 16mb 30 replica 1 1024 5"),
            ("oom-score-adj-values", "1 201 801"),
            ("maxmemory-clients", "5%"),
            ("hz", "20"),
            ("masterauth", "x y"),
            ("appendfsync", "always"),
            ("latency-tracking-info-percentiles", ""),
            ("proto-max-bulk-len", "1gb"),
            ("replica-announce-ip", ""),
        ],
        None,
    );
    rewrite_scenario(
        "bind * -::*\nport {port}\nport {port}\ndir {dir}\nslaveof 127.0.0.1 1\nmaxmemory 0\n\
         appendonly no\nnotify-keyspace-events \"\"\nrequirepass \"\"\nmasterauth \"\"\nlogfile \"\"\n\
         pidfile \"\"\ndbfilename dump.rdb\nuser default on nopass ~* &* +@all\nlist-max-ziplist-entries 5\n\
         lua-time-limit 100\nmin-slaves-to-write 0\n# Generated by CONFIG REWRITE\nsave \"\"\n",
        &[("maxmemory", "1mb")],
        None,
    );
    // `rename-command` lines are kept where they are, spacing included.
    rewrite_scenario(
        "port {port}\ndir {dir}\nrename-command FLUSHALL \"\"\nrename-command  GET  get2\n\
         rename-command get2 GET3\n",
        &[("maxmemory", "1mb")],
        None,
    );
}
