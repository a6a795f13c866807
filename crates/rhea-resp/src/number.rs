//! Number parsing and formatting exactly as Redis 7.0 does it (`util.c`).

/// Strict signed 64-bit parse, as Redis's `string2ll`: optional `-`, no `+`, no leading
/// zeros (except "0" itself), no spaces, no overflow. `-0` is rejected as in Redis.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 { None } else { Some((v as i128).wrapping_neg() as i64) }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Unsigned variant of [`parse_i64`] (`string2ull`-like, no sign allowed).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    if !(b'1'..=b'9').contains(&s[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parse a double the way Redis's `string2d`/`getDoubleFromObject` accept it: `strtod`
/// syntax over the whole string, no leading space, not NaN. `inf`, `+inf`, `-inf` and
/// `infinity` (any case) are accepted, as strtod does.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    if text.ends_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if body == "inf" || body == "infinity" {
        return Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    // strtod accepts hex floats and "nan"; Redis rejects NaN and we do not support hex
    // floats (a documented caveat).
    if body.starts_with("nan") || body.starts_with("0x") {
        return None;
    }
    if !body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-')) {
        return None;
    }
    let v: f64 = lower.parse().ok()?;
    if v.is_nan() { None } else { Some(v) }
}

/// `digits [. digits] [(e|E) [+|-] digits]` with at least one mantissa digit, the whole
/// of `s` (a shorter valid prefix would leave `strtod`'s end pointer short of the NUL,
/// which Redis treats as an invalid number). Shared by ZADD scores and range bounds.
pub fn is_decimal_float(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(s);
    let mut i = int;
    let mut frac = 0;
    if s.get(i) == Some(&b'.') {
        frac = digits(&s[i + 1..]);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(&s[i..]);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == s.len()
}

/// `printf("%.17g", v)` for finite values, `inf`/`-inf`/`nan` otherwise.
pub fn fmt_g17(v: f64) -> String {
    fmt_g(v, 17)
}

/// `printf("%.<prec>g", v)` with glibc's rounding (Rust's exponent formatting is exact).
pub fn fmt_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = sci.split_once('e').expect("exponent present");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_fraction_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, sign, exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_fraction_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// Redis's `ld2string(..., LD_STR_HUMAN)` used by INCRBYFLOAT / HINCRBYFLOAT: `%.17Lf`
/// with trailing zeros (and a trailing dot) removed. We compute in f64, so values whose
/// 80-bit long double result differs in the last digits are a documented caveat; for the
/// values users store (decimal fractions with ≤ 15 significant digits) the output matches.
pub fn fmt_human(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Integers print exactly without a fraction; others use 17 significant digits,
    // which is what a long double round-trip of an f64 input shows in practice.
    if v == v.trunc() && v.abs() < 1e17 {
        return format!("{}", v as i128);
    }
    let g = fmt_g(v, 17);
    if !g.contains('e') {
        return g;
    }
    // %Lf never uses exponent notation: expand it.
    let digits = format!("{:.17}", v);
    trim_fraction_zeros(&digits).to_string()
}

/// Write an integer into `out` without allocating.
pub fn push_int(out: &mut Vec<u8>, v: i64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-0", b"01", b"+1", b" 1", b"1 ", b"1a", b"-"] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn g17_matches_printf() {
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1.0), "1");
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(-2.25), "-2.25");
        assert_eq!(fmt_g17(1e17), "1e+17");
        assert_eq!(fmt_g17(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(fmt_g17(0.0001), "0.0001");
        assert_eq!(fmt_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(fmt_g17(0.0), "0");
        assert_eq!(fmt_g17(-0.0), "-0");
        assert_eq!(fmt_g17(3.0e-300), "3.0000000000000002e-300");
    }

    #[test]
    fn human_format() {
        assert_eq!(fmt_human(10.5), "10.5");
        assert_eq!(fmt_human(3.0), "3");
        assert_eq!(fmt_human(5.0e3), "5000");
    }

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b""), None);
    }
}
