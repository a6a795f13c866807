//! The C number parsers `sentinelHandleConfiguration` uses, with glibc's exact leniency:
//! `atoi` (a prefix of digits, anything after ignored, 0 when there is none, wrapped into
//! an `int`) and `strtoull` (the same, negative numbers wrap around, overflow saturates).
//! `sentinel down-after-milliseconds m 5000ms` is 5000 in Redis, so it must be here too.

/// The argument as C sees it: up to the first NUL.
fn cstr(s: &[u8]) -> &[u8] {
    s.iter().position(|&c| c == 0).map_or(s, |n| &s[..n])
}

/// Leading blanks (`isspace`), an optional sign, then the digits that follow.
fn sign_and_digits(s: &[u8]) -> (bool, &[u8]) {
    let s = cstr(s);
    let start = s.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
    let mut s = start.map_or(&[][..], |i| &s[i..]);
    let mut negative = false;
    if let [sign @ (b'+' | b'-'), rest @ ..] = s {
        negative = *sign == b'-';
        s = rest;
    }
    let end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    (negative, &s[..end])
}

/// The magnitude of a digit string, saturated at `u128::MAX` (far above any C type).
fn magnitude(digits: &[u8]) -> u128 {
    digits.iter().fold(0u128, |v, d| v.saturating_mul(10).saturating_add(u128::from(d - b'0')))
}

/// glibc `atoi`: `(int) strtol(s, NULL, 10)`; `strtol` saturates at the `long` range and
/// the cast keeps the low 32 bits.
pub(crate) fn atoi(s: &[u8]) -> i32 {
    let (negative, digits) = sign_and_digits(s);
    let m = magnitude(digits);
    let long = if negative {
        if m > i64::MAX as u128 + 1 { i64::MIN } else { (m as i128).wrapping_neg() as i64 }
    } else if m > i64::MAX as u128 {
        i64::MAX
    } else {
        m as i64
    };
    long as i32
}

/// glibc `strtoull(s, NULL, 10)`: out of range is `ULLONG_MAX`, `-n` is `2^64 - n`.
pub(crate) fn strtoull(s: &[u8]) -> u64 {
    let (negative, digits) = sign_and_digits(s);
    let m = magnitude(digits);
    if m > u128::from(u64::MAX) {
        return u64::MAX;
    }
    let v = m as u64;
    if negative { v.wrapping_neg() } else { v }
}

/// Redis's `yesnotoi`: `yes`/`no` in any case.
pub(crate) fn yesno(s: &[u8]) -> Option<bool> {
    let s = cstr(s);
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// `strlen`.
pub(crate) fn strlen(s: &[u8]) -> usize {
    cstr(s).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_glibc() {
        assert_eq!(atoi(b"5000"), 5000);
        assert_eq!(atoi(b"  +12abc"), 12);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b"-7"), -7);
        assert_eq!(atoi(b"4294967297"), 1);
        assert_eq!(atoi(b"2147483648"), i32::MIN);
        assert_eq!(atoi(b"99999999999999999999"), -1);
        assert_eq!(atoi(b"-99999999999999999999"), 0);
        assert_eq!(atoi(b"- 1"), 0);
    }

    #[test]
    fn strtoull_like_glibc() {
        assert_eq!(strtoull(b"42"), 42);
        assert_eq!(strtoull(b"-1"), u64::MAX);
        assert_eq!(strtoull(b"18446744073709551616"), u64::MAX);
        assert_eq!(strtoull(b"-18446744073709551616"), u64::MAX);
        assert_eq!(strtoull(b"x"), 0);
        assert_eq!(strtoull(b"\t9z"), 9);
    }

    #[test]
    fn yesno_any_case() {
        assert_eq!(yesno(b"YES"), Some(true));
        assert_eq!(yesno(b"No"), Some(false));
        assert_eq!(yesno(b"1"), None);
    }
}
