//! `check-rdb`: verify a whole file and report what it holds and, if it is damaged,
//! what is wrong and where (the library half of `rhea check-rdb FILE`).
//! [`CheckReport::render`] prints it in `redis-check-rdb`'s line format.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::Error;
use crate::reader::{Event, LoadOptions, parse_with_offsets};

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub version: Option<u32>,
    /// Aux fields as text, in file order.
    pub aux: Vec<(String, String)>,
    /// Keys per db.
    pub keys_per_db: BTreeMap<u64, u64>,
    pub expires: u64,
    /// Keys whose expiry is at or before the `now_ms` given to [`check_at`].
    pub already_expired: u64,
    pub empty_keys: u64,
    pub functions: u64,
    /// `(offset after the record, text)` progress lines, as redis-check-rdb logs them.
    pub lines: Vec<(u64, String)>,
    /// The stored checksum (`Some(0)`: saved without one).
    pub stored_checksum: Option<u64>,
    /// Offset just past EOF+checksum when the file is valid.
    pub end: Option<u64>,
    pub trailing_bytes: u64,
    /// The first fault, if any; `None` means the file is valid.
    pub error: Option<Error>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn total_keys(&self) -> u64 {
        self.keys_per_db.values().sum()
    }

    /// The report as `redis-check-rdb FILE` prints it.
    pub fn render(&self, file_name: &str) -> String {
        let mut out = format!("[offset 0] Checking RDB file {file_name}\n");
        for (off, line) in &self.lines {
            let _ = writeln!(out, "[offset {off}] {line}");
        }
        match (&self.error, self.end) {
            (None, Some(end)) => {
                if self.stored_checksum == Some(0) {
                    let _ = writeln!(
                        out,
                        "[offset {end}] RDB file was saved with checksum disabled: no check performed."
                    );
                } else if self.stored_checksum.is_some() {
                    let _ = writeln!(out, "[offset {end}] Checksum OK");
                }
                let _ = writeln!(out, "[offset {end}] \\o/ RDB looks OK! \\o/");
            }
            (err, _) => {
                out.push_str("--- RDB ERROR DETECTED ---\n");
                let (off, msg) = match err {
                    Some(e) => (
                        e.offset().map_or(String::new(), |o| format!("[offset {o}] ")),
                        e.to_string(),
                    ),
                    None => (String::new(), "unknown error".into()),
                };
                let _ = writeln!(out, "{off}{msg}");
            }
        }
        let _ = writeln!(out, "[info] {} keys read", self.total_keys());
        let _ = writeln!(out, "[info] {} expires", self.expires);
        let _ = writeln!(out, "[info] {} already expired", self.already_expired);
        out
    }
}

/// Walk `data` completely (every value decoded, checksum verified). Never panics.
pub fn check(data: &[u8]) -> CheckReport {
    check_at(data, None)
}

/// As [`check`], counting keys already expired at `now_ms`.
pub fn check_at(data: &[u8], now_ms: Option<i64>) -> CheckReport {
    let mut r = CheckReport::default();
    if data.len() >= 9 && &data[..5] == b"REDIS" {
        r.version = std::str::from_utf8(&data[5..9]).ok().and_then(|v| v.parse().ok());
    }
    let opts = LoadOptions::default();
    let res = parse_with_offsets(data, &opts, |ev, end| {
        match ev {
            Event::Aux { key, value } => {
                let (k, v) = (String::from_utf8_lossy(&key), String::from_utf8_lossy(&value));
                r.lines.push((end, format!("AUX FIELD {k} = '{v}'")));
                r.aux.push((k.into_owned(), v.into_owned()));
            }
            Event::Function(_) => r.functions += 1,
            Event::Key(k) => {
                *r.keys_per_db.entry(k.db).or_default() += 1;
                if let Some(when) = k.expire_ms {
                    r.expires += 1;
                    r.already_expired += u64::from(now_ms.is_some_and(|now| when < now));
                }
            }
            Event::EmptyKey { .. } => r.empty_keys += 1,
            Event::SelectDb { db, .. } => r.lines.push((end, format!("Selecting DB ID {db}"))),
            Event::ResizeDb { .. } => {}
        }
        Ok(())
    });
    match res {
        Ok(summary) => {
            r.end = Some(summary.end);
            r.stored_checksum = summary.stored_checksum;
            r.trailing_bytes = data.len() as u64 - summary.end;
        }
        Err(e) => r.error = Some(e),
    }
    r
}
