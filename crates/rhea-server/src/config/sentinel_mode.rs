//! What the server's configuration does differently when the process is a Sentinel
//! (7.0.15 `server.c` `main()` with `server.sentinel_mode`, and `initSentinelConfig`):
//!
//! * two defaults change before the file is read: `port` is 26379 and `protected-mode`
//!   is `no` ("Sentinel must be exposed"). The parameter table keeps Redis's ordinary
//!   defaults, so CONFIG REWRITE writes `port 26379` and `protected-mode no` even when the
//!   file never mentioned them, exactly as redis-sentinel does;
//! * `sentinel <directive> …` lines are not errors: they are queued with their line
//!   number and text ([`SentinelLine`], Redis's `queueSentinelConfig`) and handed to the
//!   Sentinel after the whole configuration has been read, so a bad one is reported only
//!   if every ordinary line was fine;
//! * CONFIG REWRITE leaves `save` alone and files `sentinel` lines by their first word
//!   (see [`super::render_sentinel`]).
//!
//! Checking that the file exists and is writable (`sentinelCheckConfigFile`) is the
//! Sentinel's business: see `rhea_sentinel::config`.

use std::io::Read;

use super::settings::Config;
use super::{ConfigError, LoadedConfig, parse};

/// `REDIS_SENTINEL_PORT`.
pub const SENTINEL_PORT: u16 = 26379;

/// One `sentinel …` line of the configuration, as queued in Sentinel mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelLine {
    /// 1-based line number within the text that held it (the file, an included file, or
    /// the stdin + command-line options text), as Redis reports it.
    pub line: usize,
    /// The line with surrounding blanks trimmed, for the FATAL report.
    pub text: String,
    /// The arguments after `sentinel` (at least one), unquoted.
    pub args: Vec<Vec<u8>>,
}

impl SentinelLine {
    /// The FATAL error Redis prints when the Sentinel rejects this line
    /// (`loadSentinelConfigFromQueue`'s `loaderr` block).
    pub fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::Line { line: self.line, text: self.text.clone(), reason: reason.into() }
    }
}

impl Config {
    /// The defaults of a Sentinel process (`initSentinelConfig`).
    pub fn sentinel_default() -> Config {
        Config { port: SENTINEL_PORT, protected_mode: false, ..Config::default() }
    }
}

/// Load the server part of a Sentinel's configuration from the command line arguments
/// after the program name (the same syntax as [`super::load`]), starting from
/// [`Config::sentinel_default`]. Returns the `sentinel …` lines in the order they were
/// read; the Sentinel must apply them and report a rejected one with
/// [`SentinelLine::error`].
pub fn load_sentinel_mode(
    args: &[String],
    stdin: &mut dyn Read,
) -> Result<(LoadedConfig, Vec<SentinelLine>), ConfigError> {
    parse::load_sentinel_mode(args, stdin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<(LoadedConfig, Vec<SentinelLine>), ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.conf");
        std::fs::write(&path, text).unwrap();
        load_sentinel_mode(&[path.to_string_lossy().into_owned()], &mut std::io::empty())
    }

    #[test]
    fn sentinel_lines_are_queued_with_their_line() {
        let (loaded, lines) = load(
            "# c\nsentinel monitor m 127.0.0.1 6379 2\n\n  SENTINEL  myid \"abc\"  \nsentinel\n",
        )
        .unwrap();
        assert_eq!(loaded.config.port, 26379);
        assert!(!loaded.config.protected_mode);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[1].line, 4);
        assert_eq!(lines[1].text, "SENTINEL  myid \"abc\"");
        assert_eq!(lines[1].args, vec![b"myid".to_vec(), b"abc".to_vec()]);
    }

    #[test]
    fn ordinary_errors_still_win() {
        let e = load("sentinel foo\nport x\n").unwrap_err();
        assert!(matches!(e, ConfigError::Line { line: 2, .. }));
    }

    #[test]
    fn outside_sentinel_mode_a_sentinel_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.conf");
        std::fs::write(&path, "sentinel myid x\n").unwrap();
        let e = super::super::load_with_stdin(
            &[path.to_string_lossy().into_owned()],
            &mut std::io::empty(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            ConfigError::Line {
                line: 1,
                text: "sentinel myid x".into(),
                reason: "sentinel directive while not in sentinel mode".into()
            }
        );
    }
}
