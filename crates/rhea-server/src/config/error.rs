//! Start-up configuration errors, reported the way Redis 7.0 reports them
//! (`loadServerConfigFromString`'s `loaderr` block and `loadServerConfig`'s open failure).

use std::fmt;

/// Why the configuration could not be loaded. The process prints
/// [`ConfigError::fatal_report`] and exits with status 1, as Redis does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A directive was rejected. `line` is 1-based within the file (or stdin + options
    /// text) that holds it, `text` is the line with surrounding blanks trimmed.
    Line { line: usize, text: String, reason: String },
    /// A check made after every line was read (for instance the log file cannot be
    /// opened); Redis prints no line for these.
    Global { reason: String },
    /// The config file or an `include`d file could not be opened. Redis logs this as an
    /// ordinary warning log line (to stdout, before logging is configured) rather than
    /// printing the FATAL block.
    Open { path: String, reason: String },
}

impl ConfigError {
    pub(crate) fn line(line: usize, text: &[u8], reason: impl Into<String>) -> ConfigError {
        ConfigError::Line {
            line,
            text: String::from_utf8_lossy(text).into_owned(),
            reason: reason.into(),
        }
    }

    /// Exactly what Redis writes, trailing newline included. For [`ConfigError::Line`]
    /// and [`ConfigError::Global`] this is the block Redis prints to stderr:
    ///
    /// ```text
    ///
    /// *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
    /// Reading the configuration file, at line 2
    /// >>> 'port 99999'
    /// argument must be between 0 and 65535 inclusive
    /// ```
    ///
    /// For [`ConfigError::Open`] it is the message of the warning Redis logs
    /// (`Fatal error, can't open config file '<path>': <strerror>`); see
    /// [`ConfigError::is_log_message`].
    pub fn fatal_report(&self) -> String {
        let head = format!("\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n", crate::REDIS_VERSION);
        match self {
            ConfigError::Line { line, text, reason } => format!(
                "{head}Reading the configuration file, at line {line}\n>>> '{text}'\n{reason}\n"
            ),
            ConfigError::Global { reason } => format!("{head}{reason}\n"),
            ConfigError::Open { path, reason } => {
                format!("Fatal error, can't open config file '{path}': {reason}\n")
            }
        }
    }

    /// True when Redis reports this error through its logger (`# ` warning line on
    /// stdout) instead of the FATAL block on stderr.
    pub fn is_log_message(&self) -> bool {
        matches!(self, ConfigError::Open { .. })
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Line { line, text, reason } => {
                write!(f, "config line {line} ('{text}'): {reason}")
            }
            ConfigError::Global { reason } => f.write_str(reason),
            ConfigError::Open { path, reason } => {
                write!(f, "can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_matches_redis_block() {
        let e =
            ConfigError::line(2, b"port 99999", "argument must be between 0 and 65535 inclusive");
        assert_eq!(
            e.fatal_report(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line 2\n>>> 'port 99999'\nargument must be between 0 and 65535 inclusive\n"
        );
        let g = ConfigError::Global { reason: "Can't open the log file: Permission denied".into() };
        assert_eq!(
            g.fatal_report(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: \
             Permission denied\n"
        );
        assert!(!g.is_log_message());
    }
}
