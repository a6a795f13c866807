//! Start-up: sentinel.conf to ([`LoadedConfig`], [`SentinelConfig`]), as 7.0.15's
//! `main()` does in Sentinel mode:
//!
//! 1. `loadServerConfig` reads the file, stdin and the options with the server's loader
//!    in Sentinel mode (port 26379, protected-mode no); `sentinel …` lines are queued.
//!    An ordinary bad line is reported first, whatever the position of the sentinel lines.
//! 2. `loadSentinelConfigFromQueue` applies the queue in three passes (the global
//!    settings of `preMonitorCfgName`, then `monitor`, then the rest, each in file
//!    order); the first refused line is reported with its own line number and text.
//! 3. `sentinelCheckConfigFile`: there must be a config file and it must be writable.

use std::io::Read;
use std::path::Path;

use rhea_server::config::{ConfigError, LoadedConfig, SentinelLine, load_sentinel_mode, strerror};

use super::addr::{Resolve, SystemResolver};
use super::directive::{apply, pass};
use super::model::SentinelConfig;

/// A configuration Sentinel can start with.
#[derive(Clone, Debug)]
pub struct LoadedSentinel {
    /// The server options (`port`, `bind`, `requirepass`, `dir`, `logfile`, …) and the
    /// absolute path of the config file, which every later rewrite replaces.
    pub server: LoadedConfig,
    /// The `sentinel …` directives. `myid` is `None` when the file has none: the caller
    /// must then pick one and flush the file before anything else (`sentinelIsRunning`).
    pub sentinel: SentinelConfig,
}

/// Why Sentinel cannot start. Every case ends the process with exit status 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// A configuration error: Redis's FATAL block on stderr (or, for a file that cannot
    /// be opened, a warning log line); see [`ConfigError::fatal_report`].
    Config(ConfigError),
    /// Started without a config file.
    NoConfigFile,
    /// The config file cannot be written (`access(W_OK)` failed).
    NotWritable { path: String, reason: String },
}

impl LoadError {
    /// Exactly what Redis prints: the FATAL block for [`LoadError::Config`] (trailing
    /// newline included), otherwise the message of the warning it logs.
    pub fn report(&self) -> String {
        match self {
            LoadError::Config(e) => e.fatal_report(),
            LoadError::NoConfigFile => {
                "Sentinel needs config file on disk to save state. Exiting...".to_string()
            }
            LoadError::NotWritable { path, reason } => {
                format!("Sentinel config file {path} is not writable: {reason}. Exiting...")
            }
        }
    }

    /// True when Redis reports this through its logger (a `#` warning line on stdout)
    /// rather than the FATAL block on stderr.
    pub fn is_log_message(&self) -> bool {
        match self {
            LoadError::Config(e) => e.is_log_message(),
            LoadError::NoConfigFile | LoadError::NotWritable { .. } => true,
        }
    }
}

impl From<ConfigError> for LoadError {
    fn from(e: ConfigError) -> Self {
        LoadError::Config(e)
    }
}

/// Load a Sentinel's configuration from the command line arguments after the program
/// name, as `redis-sentinel /path/sentinel.conf [--option value …]` (or `redis-server
/// /path/sentinel.conf --sentinel`; a bare `--sentinel` is ignored here). Reads standard
/// input when `-` is given, resolves hostnames with the system resolver when the file
/// says `resolve-hostnames yes`.
pub fn load_sentinel_config(args: &[String]) -> Result<LoadedSentinel, LoadError> {
    load_sentinel_config_with(args, &mut std::io::stdin().lock(), &SystemResolver)
}

/// [`load_sentinel_config`] with standard input and name resolution supplied by the
/// caller.
pub fn load_sentinel_config_with(
    args: &[String],
    stdin: &mut dyn Read,
    resolver: &dyn Resolve,
) -> Result<LoadedSentinel, LoadError> {
    let (server, lines) = load_sentinel_mode(args, stdin)?;
    let sentinel = apply_sentinel_lines(&lines, resolver)?;
    check_config_file(server.path.as_deref())?;
    Ok(LoadedSentinel { server, sentinel })
}

/// `loadSentinelConfigFromQueue`: apply the queued lines in Redis's three passes.
pub fn apply_sentinel_lines(
    lines: &[SentinelLine],
    resolver: &dyn Resolve,
) -> Result<SentinelConfig, ConfigError> {
    let mut cfg = SentinelConfig::default();
    for p in 0..3 {
        for l in lines.iter().filter(|l| pass(&l.args[0]) == p) {
            apply(&mut cfg, &l.args, resolver).map_err(|reason| l.error(reason))?;
        }
    }
    Ok(cfg)
}

/// `sentinelCheckConfigFile`.
pub fn check_config_file(path: Option<&Path>) -> Result<(), LoadError> {
    let path = path.ok_or(LoadError::NoConfigFile)?;
    // Opening for writing (no create, no truncate) fails exactly when access(W_OK) does
    // for a regular file, without needing libc.
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(LoadError::NotWritable {
            path: path.to_string_lossy().into_owned(),
            reason: strerror(&e),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedSentinel, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.conf");
        std::fs::write(&path, text).unwrap();
        load_sentinel_config_with(
            &[path.to_string_lossy().into_owned()],
            &mut std::io::empty(),
            &SystemResolver,
        )
    }

    #[test]
    fn global_settings_apply_before_monitor_lines() {
        let l = load(
            "sentinel known-replica m 127.0.0.1 7001\nsentinel monitor m 127.0.0.1 7000 2\n\
             sentinel current-epoch 3\nsentinel config-epoch m 5\nsentinel current-epoch 4\n",
        )
        .unwrap();
        assert_eq!(l.sentinel.current_epoch, 5);
        assert_eq!(l.sentinel.masters[0].known_replicas, vec![("127.0.0.1".to_string(), 7001)]);
        assert_eq!(l.server.config.port, 26379);
    }

    #[test]
    fn errors_keep_their_line() {
        let e = load("port 26400\nsentinel monitor m 127.0.0.1 7000 0\n").unwrap_err();
        assert_eq!(
            e.report(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line 2\n>>> 'sentinel monitor m 127.0.0.1 7000 0'\nQuorum must be 1 or greater.\n"
        );
    }

    #[test]
    fn a_config_file_is_required() {
        let e = load_sentinel_config_with(&[], &mut std::io::empty(), &SystemResolver);
        assert_eq!(e.unwrap_err(), LoadError::NoConfigFile);
    }
}
