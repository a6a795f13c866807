//! Redis's log line format, process-wide.
//!
//! `pid:R dd Mon yyyy hh:mm:ss.mmm L message`, where R is the role (`C` before the server
//! is set up, `M` master, `S` replica, `X` sentinel) and L the level mark
//! (`.` debug, `-` verbose, `*` notice, `#` warning), as 7.0.15 `serverLogRaw` writes it.
//! Lines go to stdout or to `logfile`, filtered by `loglevel`.
//!
//! Caveat: timestamps are UTC; Redis uses the local time zone (the same thing on the
//! servers and containers this targets, which run in UTC).

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            _ => None,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static ROLE: AtomicU8 = AtomicU8::new(b'C');
static FILE: Mutex<Option<String>> = Mutex::new(None);

/// Set the minimum level and the destination (`None` or empty: stdout).
pub fn configure(level: Level, logfile: Option<&str>) {
    LEVEL.store(level as u8, Ordering::Relaxed);
    let mut f = FILE.lock().unwrap_or_else(|p| p.into_inner());
    *f = logfile.filter(|s| !s.is_empty()).map(str::to_string);
}

/// Set the role character printed after the pid.
pub fn set_role(role: char) {
    ROLE.store(role as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Write one line at `level`.
pub fn log(level: Level, msg: &str) {
    if !enabled(level) {
        return;
    }
    let line = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(SystemTime::now()),
        level.mark(),
        msg
    );
    write_raw(&line);
}

/// Write text as it is (the startup logo).
pub fn write_raw(text: &str) {
    let dest = FILE.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match dest {
        Some(path) => {
            if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
                let _ = f.write_all(text.as_bytes());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `25 Nov 2026 01:02:03.456` in UTC.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        day,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[macro_export]
macro_rules! notice { ($($a:tt)*) => { $crate::log::log($crate::log::Level::Notice, &format!($($a)*)) } }
#[macro_export]
macro_rules! warning { ($($a:tt)*) => { $crate::log::log($crate::log::Level::Warning, &format!($($a)*)) } }
#[macro_export]
macro_rules! verbose { ($($a:tt)*) => { $crate::log::log($crate::log::Level::Verbose, &format!($($a)*)) } }
#[macro_export]
macro_rules! debug { ($($a:tt)*) => { $crate::log::log($crate::log::Level::Debug, &format!($($a)*)) } }

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_like_redis() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_577_082_456);
        assert_eq!(timestamp(t), "25 Nov 2026 03:24:42.456");
        assert_eq!(timestamp(UNIX_EPOCH), "01 Jan 1970 00:00:00.000");
    }
}
