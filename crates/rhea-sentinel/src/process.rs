//! The Sentinel process: `rhea sentinel sentinel.conf`, `redis-sentinel sentinel.conf`
//! or `redis-server sentinel.conf --sentinel`.
//!
//! Redis runs Sentinel as a mode of redis-server, and so does Rhea: the configuration is
//! loaded by [`crate::config::load_sentinel_config`] (the server's loader plus the
//! `sentinel` lines), the engine of `rhea-server` serves clients with Sentinel's command
//! table ([`rhea_server::server::run`] with a sentinel factory), and the sans-IO core runs
//! on the [`crate::driver`] thread. This module is the glue: the engine's
//! [`SentinelHooks`] answered through the driver's [`SentinelHandle`], and the driver's
//! [`Host`] answered through the engine's [`Publisher`], the server's log and
//! [`crate::config::flush_config`].
//!
//! `rhea-sentinel` depends on `rhea-server` (not the other way round, and unlike the
//! layout in `style.md` B2, where role crates are independent): Sentinel *is* a server
//! mode in Redis, and sharing the loader, the networking, CLIENT/HELLO/ACL and pub/sub
//! is what makes it behave like redis-sentinel on the wire.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rhea_resp::Reply;
use rhea_server::config::Config;
use rhea_server::engine::sentinel::{Publisher, SentinelHooks};
use rhea_server::log::{self, Level};

use crate::config::{FLUSH_OK_LOG, SentinelConfig, flush_config, load_sentinel_config};
use crate::driver::{self, Host, SentinelHandle};
use crate::{LogLevel, Options, Sentinel, SplitMix64, Timing};

/// Entry point: `args` excludes the program name (and a `--sentinel` flag is ignored).
/// Returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    if let Some(code) = rhea_server::startup::early_flags(args) {
        return code;
    }
    // Redis knows it is a sentinel before it logs anything (`checkForSentinelMode`).
    log::set_role('X');
    let loaded = match load_sentinel_config(args) {
        Ok(l) => l,
        Err(e) => {
            if e.is_log_message() {
                log::log(Level::Warning, &e.report());
            } else {
                eprint!("{}", e.report());
            }
            return 1;
        }
    };
    let Some(path) = loaded.server.path.clone() else {
        // load_sentinel_config refuses to start without a file.
        return 1;
    };
    let server_config = loaded.server.config.clone();
    let state = loaded.sentinel;
    let factory = Box::new(move |publisher: Publisher| -> Box<dyn SentinelHooks> {
        let options = Options {
            port: server_config.port,
            requirepass: server_config
                .requirepass
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            timing: Timing::default(),
            resolver: Default::default(),
        };
        let host = Arc::new(ProcessHost {
            publisher,
            path,
            server: server_config,
            users: Mutex::new(None),
        });
        let rng = Box::new(SplitMix64::new(random_seed()));
        let (core, actions) =
            Sentinel::new(&state, options, rng, driver::now_ms(), driver::unix_ms());
        match driver::spawn(core, actions, host.clone()) {
            Ok(handle) => Box::new(Hooks(handle, host)),
            Err(e) => {
                log::log(Level::Warning, &format!("Failed starting the Sentinel thread: {e}"));
                std::process::exit(1);
            }
        }
    });
    rhea_server::server::run(args, loaded.server, Some(factory))
}

/// A seed for run ids and jitter: 8 bytes of `/dev/urandom`, as Redis reads its random
/// hex characters from there; the clock and pid if it cannot be read.
fn random_seed() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_ne_bytes(b),
        Err(_) => driver::unix_ms() as u64 ^ (u64::from(std::process::id()) << 32),
    }
}

/// The engine's view of the running Sentinel.
struct Hooks(SentinelHandle, Arc<ProcessHost>);

impl SentinelHooks for Hooks {
    fn command(&self, args: &[Bytes]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.0.command(&argv)
    }

    fn publish(&self, channel: &[u8], message: &[u8]) -> Reply {
        self.0.publish(channel, message)
    }

    /// The lines only: the engine writes the `# Sentinel` title as for every section.
    fn info_section(&self) -> String {
        let text = self.0.info_section();
        text.strip_prefix("# Sentinel\r\n").map(str::to_string).unwrap_or(text)
    }

    fn master_names(&self) -> Vec<String> {
        self.0.inspect(|s, _| s.master_names())
    }

    fn users_changed(&self, user_lines: Vec<String>) {
        *self.1.users.lock().unwrap_or_else(|e| e.into_inner()) = Some(user_lines);
    }
}

/// The driver's view of this process.
struct ProcessHost {
    publisher: Publisher,
    path: PathBuf,
    server: Config,
    /// The live ACL users' lines once an ACL command changed them (`None`: the `user`
    /// lines the file was loaded with still hold).
    users: Mutex<Option<Vec<String>>>,
}

impl Host for ProcessHost {
    fn publish(&self, channel: &str, message: &str) {
        self.publisher.publish(channel, message);
    }

    fn log(&self, level: LogLevel, msg: &str) {
        let level = match level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Verbose => Level::Verbose,
            LogLevel::Notice => Level::Notice,
            LogLevel::Warning => Level::Warning,
        };
        log::log(level, msg);
    }

    /// Redis's `sentinelFlushConfig` logging: the step that failed, then (from the
    /// driver) the "not able to save" warning with the reason.
    fn flush_config(&self, state: &SentinelConfig) -> Result<(), String> {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut live;
        let server = match users {
            Some(lines) => {
                live = self.server.clone();
                live.acl_rewrite_lines = lines;
                &live
            }
            None => &self.server,
        };
        match flush_config(&self.path, server, state) {
            Ok(()) => {
                log::log(Level::Notice, FLUSH_OK_LOG);
                Ok(())
            }
            Err(e) => {
                let mut lines = e.log_lines();
                let last = lines.pop().unwrap_or_default();
                for l in lines {
                    log::log(Level::Warning, &l);
                }
                Err(last.rsplit("!!!: ").next().unwrap_or_default().to_string())
            }
        }
    }

    fn crash(&self, _reason: &str) {
        std::process::exit(99);
    }
}
