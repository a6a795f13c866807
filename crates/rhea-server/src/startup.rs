//! Startup helpers: command-line flags handled before the config, daemonizing, the logo,
//! and the translation of the loaded configuration into what the process and the engine
//! need.

use std::process::Stdio;

use crate::config::LoadedConfig;
use crate::engine::settings::Settings;
use crate::log::Level;

/// Set in the environment of the re-executed daemon child.
pub const DAEMON_ENV: &str = "RHEA_DAEMONIZED";

/// What the process (not the engine) needs from the configuration.
pub struct Startup {
    pub port: u16,
    pub bind: Vec<String>,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u64,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub loglevel: Level,
    pub logfile: Option<String>,
    pub daemonize: bool,
    pub pidfile: Option<String>,
    pub always_show_logo: bool,
    pub io_threads: usize,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
}

/// `-v`/`--version` and `-h`/`--help`: answered without loading any config.
pub fn early_flags(args: &[String]) -> Option<i32> {
    match args.first().map(String::as_str) {
        Some("-v") | Some("--version") => {
            println!("{}", crate::config::version_line());
            Some(0)
        }
        Some("-h") | Some("--help") => {
            // Redis prints its usage to stderr and exits 1.
            eprint!("{}", crate::config::usage());
            Some(1)
        }
        _ => None,
    }
}

/// The name the binary was started under (`redis-server` or `rhea server`).
pub fn program_name() -> String {
    let argv0 = std::env::args().next().unwrap_or_default();
    let base = argv0.rsplit('/').next().unwrap_or("rhea").to_string();
    if base == "rhea" { "rhea server".into() } else { base }
}

/// Start a detached copy of this process (same argv[0] and arguments) and return the
/// parent's exit code. Forking a multi-threaded process is unsafe, and this happens
/// before any thread exists, but re-executing needs no unsafe code at all.
pub fn daemonize(_args: &[String]) -> i32 {
    use std::os::unix::process::CommandExt;
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Can't daemonize: {e}");
            return 1;
        }
    };
    let spawned = std::process::Command::new(exe)
        .arg0(argv0)
        .args(argv)
        .env(DAEMON_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("Can't daemonize: {e}");
            1
        }
    }
}

/// Our own startup picture; the information lines match Redis's (` PID: <pid>` etc.).
pub fn logo(port: u16, pid: u32) -> String {
    let art = [
        "              .-~~~-.              ",
        "            .'  _ _  '.            ",
        "           /   (_X_)   \\           ",
        "          |   .-' '-.   |          ",
        "          |  /  RHEA \\  |          ",
        "           \\ \\       / /           ",
        "            '.'-...-'.'            ",
        "              '-...-'              ",
    ];
    let info = [
        format!("Redis {} (00000000/0) 64 bit", crate::REDIS_VERSION),
        String::new(),
        "Running in standalone mode".to_string(),
        format!("Port: {port}"),
        format!("PID: {pid}"),
        String::new(),
        "Rhea: HA Redis in one binary".to_string(),
        String::new(),
    ];
    let mut out = String::new();
    for (a, i) in art.iter().zip(info.iter()) {
        out.push_str(a);
        out.push_str("    ");
        out.push_str(i);
        out.push('\n');
    }
    out.push('\n');
    out
}

impl Startup {
    pub fn from_config(l: &LoadedConfig) -> Startup {
        let c = &l.config;
        Startup {
            port: c.port,
            bind: c.bind.clone(),
            tcp_backlog: tcp_backlog(c),
            tcp_keepalive: c.tcp_keepalive.as_secs(),
            unixsocket: c.unixsocket.clone().filter(|s| !s.is_empty()),
            unixsocketperm: c.unixsocketperm,
            loglevel: crate::engine::log_level(c.loglevel),
            logfile: Some(c.logfile.clone()).filter(|s| !s.is_empty()),
            daemonize: c.daemonize,
            pidfile: c.pidfile.clone().filter(|s| !s.is_empty()),
            always_show_logo: c.always_show_logo,
            // One I/O worker: on small machines more threads only compete with the
            // engine thread (Redis's own `io-threads` default is 1 as well).
            io_threads: 1,
            proto_max_bulk_len: c.proto_max_bulk_len.min(i64::MAX as u64) as i64,
            client_query_buffer_limit: c.client_query_buffer_limit.min(usize::MAX as u64) as usize,
        }
    }
}

/// `tcp-backlog` is an inert table row; read its value if set, else Redis's 511.
fn tcp_backlog(c: &crate::config::Config) -> i32 {
    c.get(&[b"tcp-backlog"])
        .first()
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(511)
}

/// The engine's settings for a loaded configuration.
pub fn settings_from(l: &LoadedConfig) -> Settings {
    Settings::from_config(&l.config)
}
