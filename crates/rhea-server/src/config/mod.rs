//! # Configuration: redis.conf, the command line, CONFIG GET/SET/REWRITE
//!
//! Everything here mirrors Redis 7.0.15's `config.c` (and the argv part of `main()`),
//! checked against the real `redis-server` 7.0.15: the same parameter names, aliases,
//! defaults, bounds, parsing quirks and error texts.
//!
//! ## Layout
//! * [`mod@params`]: THE parameter table (one row per parameter, after `static_configs[]`),
//!   with each row's [`Support`] level.
//! * `settings`: the typed [`Config`] the engine reads (`cfg.port`, `cfg.maxmemory`, …).
//! * `kinds` / `special` / `checks` / `units`: how each type of value is parsed,
//!   validated, printed and rewritten, with Redis's error messages.
//! * `parse`: the command line and redis.conf text, `include`, the FATAL report.
//! * `runtime`: [`Config::get`], [`Config::set`], [`Config::rewrite`].
//! * `rewrite`: CONFIG REWRITE's line-preserving algorithm and the atomic file swap.
//! * `sentinel_mode`: what changes when the process is a Sentinel (defaults, queued
//!   `sentinel …` lines, the rewrite hooks `rhea_sentinel::config` builds on).
//!
//! ## Flow
//! ```text
//! argv ─▶ load(): [file] + [stdin] + "\n" + options-as-lines ─▶ one line at a time:
//!         split_args ─▶ table lookup (name or alias) ─▶ parse + validate + store
//!                                   │ error: ConfigError ─▶ fatal_report(), exit 1
//!                                   ▼
//!                          LoadedConfig { config, path }
//! CONFIG GET  ─▶ Config::get(patterns)     (globs over names and aliases)
//! CONFIG SET  ─▶ Config::set(pairs)        (all or nothing; returns changed names)
//! CONFIG REWRITE ─▶ Config::rewrite(path)  (temp file, fsync, rename)
//! ```
//!
//! ## Support policy
//! Directives Rhea does not implement yet are accepted only if harmless, never silently
//! ignored when they change behaviour. Each row is [`Support::Supported`] (stored in a
//! typed field; persistence, replication and eviction parameters are stored now for the
//! features that use them), [`Support::Inert`] (any valid value is accepted and echoed,
//! because none can change what a Rhea server observably does) or
//! [`Support::DefaultOnly`] (only the default is accepted; anything else is a FATAL
//! config error at start-up and an error from CONFIG SET).
//!
//! ## Caveats
//! * `dir` is validated (a `chdir` would succeed) and stored as an absolute path; the
//!   process itself must change into [`Config::dir`] at start-up and after CONFIG SET dir.
//!   Redis changes directory while parsing, so relative `include`s and the log file check
//!   are resolved against the `dir` seen so far, as there.
//! * `rename-command`, ACL `user` lines (except the `user default …` line CONFIG REWRITE
//!   itself writes, when it agrees with `requirepass`), `loadmodule` and module
//!   parameters are refused with a FATAL error that says Rhea does not support them.
//! * A bare `sentinel` line (what `--sentinel` becomes) is ignored as in Redis; the
//!   binary must pick the sentinel role from argv before calling [`load`] or
//!   [`load_sentinel_mode`].
//! * CONFIG REWRITE appends new lines in table order; Redis uses its hash-table order.
//! * `proc-title-template` is validated with `{unixsocket}` and `{config-file}` taken as
//!   empty; Redis uses their current values.

mod checks;
mod error;
mod kinds;
pub mod params;
mod parse;
mod rewrite;
mod runtime;
mod sentinel_mode;
mod settings;
pub(crate) mod sha256;
mod special;
mod units;

use std::io::Read;
use std::path::PathBuf;

pub use error::ConfigError;
pub use params::{Param, Support, lookup, params};
pub use rewrite::{
    OverwriteError, OverwriteStage, RewriteState, overwrite_file, read_old_file, render_sentinel,
};
pub use runtime::{SetContext, set_failed_error};
pub use sentinel_mode::{SENTINEL_PORT, SentinelLine, load_sentinel_mode};
pub use settings::{
    ClientOutputBufferLimits, ClientsMemoryLimit, Config, LogLevel, MaxmemoryPolicy, ObufLimit,
    PropagationErrorBehavior, ProtectedAction, ReplDisklessLoad, ShutdownFlags,
};
pub use special::notify;
pub use units::{memtoull, strerror};

/// The result of start-up configuration.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub config: Config,
    /// Absolute path of the config file (what CONFIG REWRITE rewrites); `None` when the
    /// server was started without one.
    pub path: Option<PathBuf>,
    /// `-` was given: the configuration was (also) read from standard input. Redis logs
    /// "Reading config from stdin" in that case.
    pub from_stdin: bool,
}

/// Load the configuration from the command line arguments after the program name, as
/// `redis-server [/path/to/redis.conf] [-] [--directive arg…]…` does. `-v`/`--version`
/// and `-h`/`--help` are not handled here (see [`version_line`] and [`usage`]).
pub fn load(args: &[String]) -> Result<LoadedConfig, ConfigError> {
    load_with_stdin(args, &mut std::io::stdin().lock())
}

/// [`load`] with standard input supplied by the caller (for tests).
pub fn load_with_stdin(args: &[String], stdin: &mut dyn Read) -> Result<LoadedConfig, ConfigError> {
    parse::load_from(args, stdin)
}

/// What `redis-server -v` prints (without the newline), in Redis's format so tools that
/// parse it keep working; the build id is a hash of Rhea's version.
pub fn version_line() -> String {
    let id = format!("rhea-{}", env!("CARGO_PKG_VERSION"));
    let build = id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!(
        "Redis server v={} sha=00000000:0 malloc=libc bits=64 build={build:x}",
        crate::REDIS_VERSION
    )
}

/// What `redis-server --help` prints (to stderr, then exit 1), word for word from 7.0.15.
pub fn usage() -> String {
    [
        "Usage: ./redis-server [/path/to/redis.conf] [options] [-]",
        "       ./redis-server - (read config from stdin)",
        "       ./redis-server -v or --version",
        "       ./redis-server -h or --help",
        "       ./redis-server --test-memory <megabytes>",
        "       ./redis-server --check-system",
        "",
        "Examples:",
        "       ./redis-server (run the server with default conf)",
        "       echo 'maxmemory 128mb' | ./redis-server -",
        "       ./redis-server /etc/redis/6379.conf",
        "       ./redis-server --port 7777",
        "       ./redis-server --port 7777 --replicaof 127.0.0.1 8888",
        "       ./redis-server /etc/myredis.conf --loglevel verbose -",
        "       ./redis-server /etc/myredis.conf --loglevel verbose",
        "",
        "Sentinel mode:",
        "       ./redis-server /etc/sentinel.conf --sentinel",
        "",
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line_keeps_redis_prefix() {
        assert!(
            version_line()
                .starts_with("Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=")
        );
    }

    #[test]
    fn no_arguments_means_defaults() {
        let l = load_with_stdin(&[], &mut std::io::empty()).unwrap();
        assert_eq!(l.config, Config::default());
        assert!(l.path.is_none());
    }
}
