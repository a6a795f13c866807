//! `check-rdb`: verify a whole file and report what it holds and, if it is damaged,
//! what is wrong and where (the library half of `rhea check-rdb FILE`).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::reader::{Event, LoadOptions, parse};

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub version: Option<u32>,
    /// Aux fields as text, in file order.
    pub aux: Vec<(String, String)>,
    /// Keys per db.
    pub keys_per_db: BTreeMap<u64, u64>,
    pub expires: u64,
    pub empty_keys: u64,
    pub functions: u64,
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
}

/// Walk `data` completely (every value decoded, checksum verified). Never panics.
pub fn check(data: &[u8]) -> CheckReport {
    let mut r = CheckReport::default();
    if data.len() >= 9 && &data[..5] == b"REDIS" {
        r.version = std::str::from_utf8(&data[5..9]).ok().and_then(|v| v.parse().ok());
    }
    let opts = LoadOptions::default();
    let res = parse(data, &opts, |ev| {
        match ev {
            Event::Aux { key, value } => r.aux.push((
                String::from_utf8_lossy(&key).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            )),
            Event::Function(_) => r.functions += 1,
            Event::Key(k) => {
                *r.keys_per_db.entry(k.db).or_default() += 1;
                r.expires += u64::from(k.expire_ms.is_some());
            }
            Event::EmptyKey { .. } => r.empty_keys += 1,
            Event::SelectDb { .. } | Event::ResizeDb { .. } => {}
        }
        Ok(())
    });
    match res {
        Ok(summary) => {
            r.end = Some(summary.end);
            r.trailing_bytes = data.len() as u64 - summary.end;
        }
        Err(e) => r.error = Some(e),
    }
    r
}
