//! Redis's number and unit conventions for configuration values: `memtoull` (memory
//! units), libc `strtoll` as Redis calls it, the memory notation CONFIG REWRITE writes
//! (`rewriteConfigFormatMemory`), `%f` with trailing zeros trimmed (`trimDoubleString`),
//! and `strerror` text for I/O errors.

use std::io;

/// The part of `s` a C function sees: everything before the first NUL byte.
pub fn cstr(s: &[u8]) -> &[u8] {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    &s[..end]
}

/// Redis's `memtoull`: a run of digits followed by an optional unit, `b`, `k` (1000),
/// `kb` (1024), `m`, `mb`, `g` or `gb`, in any case. `None` where Redis sets its error flag.
///
/// Mirrors 7.0 quirks: an empty digit run is 0 (`"kb"` and `""` are valid and mean 0),
/// and a digit run that overflows saturates to `u64::MAX` (Redis ignores `ERANGE`), while
/// an overflow caused by the unit multiplier is an error.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    let s = cstr(s);
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits_end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    let unit = s[digits_end..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits_end >= 128 {
        return None;
    }
    let val = s[..digits_end]
        .iter()
        .fold(0u64, |acc, d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    if val > u64::MAX / mul {
        return None;
    }
    Some(val * mul)
}

/// What `strtoll(s, &end, base)` leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strtoll {
    /// The converted value (saturated on overflow, 0 when there were no digits).
    pub value: i64,
    /// `*end == '\0'`: the whole (C) string was consumed.
    pub complete: bool,
    /// `errno == ERANGE`.
    pub overflow: bool,
}

/// libc `strtoll` on the C string in `s`: optional leading whitespace, an optional sign,
/// then digits of `base`. With no digits at all `end` stays at the start, so only the
/// empty string counts as complete, exactly as Redis's `*eptr == '\0'` tests see it.
pub fn strtoll(s: &[u8], base: u32) -> Strtoll {
    let s = cstr(s);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut mag: u128 = 0;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(base)) {
        mag = (mag * u128::from(base) + u128::from(d)).min(u128::from(u64::MAX) + 1);
        i += 1;
    }
    if i == start {
        return Strtoll { value: 0, complete: s.is_empty(), overflow: false };
    }
    let limit = if neg { i64::MAX as u128 + 1 } else { i64::MAX as u128 };
    let overflow = mag > limit;
    let mag = mag.min(limit);
    let value = if neg { (mag as i128).wrapping_neg() as i64 } else { mag as i64 };
    Strtoll { value, complete: i == s.len(), overflow }
}

/// `rewriteConfigFormatMemory`: the largest of `gb`, `mb`, `kb` that divides `bytes`.
/// Takes a signed value because Redis passes a `long long` (so `u64::MAX` prints as -1).
pub fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    const GB: i64 = 1024 * 1024 * 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// `sprintf("%f")` followed by Redis's `trimDoubleString` (trailing zeros, then a
/// trailing dot, removed).
pub fn format_trimmed_f64(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// libc `strerror` text of an I/O error ("No such file or directory"), without the
/// " (os error 2)" suffix Rust's `Display` adds.
pub fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let suffix = format!(" (os error {code})");
            text.strip_suffix(&suffix).unwrap_or(&text).to_string()
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtoull_units_and_quirks() {
        assert_eq!(memtoull(b"5gb"), Some(5 << 30));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2Mb"), Some(2 << 20));
        assert_eq!(memtoull(b"3m"), Some(3_000_000));
        assert_eq!(memtoull(b"7b"), Some(7));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"kb"), Some(0));
        assert_eq!(memtoull(b"18446744073709551616"), Some(u64::MAX));
        assert_eq!(memtoull(b"18446744073709551615kb"), None);
        for bad in [&b"-1"[..], b"1.5gb", b"5xb", b"+1", b" 1", b"1 "] {
            assert_eq!(memtoull(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strtoll_like_libc() {
        let r = strtoll(b"+60", 10);
        assert_eq!((r.value, r.complete), (60, true));
        assert_eq!(strtoll(b"", 10), Strtoll { value: 0, complete: true, overflow: false });
        assert!(!strtoll(b" ", 10).complete);
        assert!(!strtoll(b"+", 10).complete);
        assert!(!strtoll(b"1e3", 10).complete);
        assert_eq!(strtoll(b"-0", 10).value, 0);
        assert_eq!(strtoll(b"0777", 8).value, 0o777);
        assert!(!strtoll(b"9", 8).complete);
        let big = strtoll(b"99999999999999999999", 10);
        assert_eq!((big.value, big.overflow, big.complete), (i64::MAX, true, true));
        assert_eq!(strtoll(b"-9223372036854775808", 10).value, i64::MIN);
    }

    #[test]
    fn memory_notation() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(1024), "1kb");
        assert_eq!(format_memory(2_000_000), "2000000");
        assert_eq!(format_memory(-1), "-1");
    }

    #[test]
    fn trimmed_doubles() {
        assert_eq!(format_trimmed_f64(50.0), "50");
        assert_eq!(format_trimmed_f64(99.9), "99.9");
        assert_eq!(format_trimmed_f64(99.99), "99.99");
    }

    #[test]
    fn strerror_text() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&e), "No such file or directory");
    }
}
