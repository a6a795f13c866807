//! Score and lexicographic range specifications for sorted-set range commands, parsed
//! the way Redis 7.0's `zslParseRange` and `zslParseLexRange` parse them, and the rank
//! normalisation ZRANGE and ZREMRANGEBYRANK share.
//!
//! The parsers return `None` on bad input; the caller replies with Redis's
//! "ERR min or max is not a float" / "ERR min or max not valid string range item".
//!
//! Score bounds go through C `strtod` in Redis, not through the stricter `string2d` that
//! ZADD uses, and its quirks are observable, so they are reproduced: leading whitespace is
//! skipped (`" 5"` parses), an empty string parses as 0 (so `(` alone means "> 0"), and
//! the argument is read as a C string (anything after a NUL byte is ignored).
//!
//! Caveat: `strtod` also accepts hexadecimal floats (`0x1p3`); like
//! `rhea_resp::number::parse_f64`, these parsers reject them.

use bytes::Bytes;
use rhea_resp::number::is_decimal_float;

/// A score interval, `[min, max]` with either end optionally open (Redis's
/// `zrangespec`). Infinite ends come from `-inf` / `+inf`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    /// `(` on min: exclude scores equal to `min`.
    pub min_ex: bool,
    /// `(` on max: exclude scores equal to `max`.
    pub max_ex: bool,
}

impl ScoreRange {
    /// Parse ZRANGEBYSCORE-style bounds (`1.5`, `(1.5`, `-inf`, `+inf`, `inf`).
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_ex) = parse_score_bound(min)?;
        let (max, max_ex) = parse_score_bound(max)?;
        Some(ScoreRange { min, max, min_ex, max_ex })
    }

    /// `zslValueGteMin`.
    pub fn gte_min(&self, score: f64) -> bool {
        if self.min_ex { score > self.min } else { score >= self.min }
    }

    /// `zslValueLteMax`.
    pub fn lte_max(&self, score: f64) -> bool {
        if self.max_ex { score < self.max } else { score <= self.max }
    }

    pub fn contains(&self, score: f64) -> bool {
        self.gte_min(score) && self.lte_max(score)
    }

    /// A range no score can satisfy (the early exit of `zslIsInRange`).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }
}

/// One score bound: an optional `(` then a number in `strtod` syntax.
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let arg = c_string(arg);
    match arg.first() {
        Some(b'(') => Some((strtod_whole(&arg[1..])?, true)),
        _ => Some((strtod_whole(arg)?, false)),
    }
}

/// Redis reads range arguments through `char *`, so they end at the first NUL.
fn c_string(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&c| c == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// `strtod(s, &end)` followed by Redis's `end[0] == '\0' && !isnan(v)` check.
fn strtod_whole(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        // No conversion: strtod returns 0 and leaves `end` on the terminator.
        return Some(0.0);
    }
    // C isspace; a string of only spaces converts nothing and fails the check.
    let start = s.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let s = &s[start..];
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else if is_decimal_float(body) {
        // The grammar check leaves only ASCII digits, '.', 'e' and signs.
        std::str::from_utf8(body).ok()?.parse::<f64>().ok()?
    } else {
        // Includes "nan": Redis rejects NaN bounds.
        return None;
    };
    Some(if neg { -v } else { v })
}

/// One end of a ZRANGEBYLEX interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every string.
    NegInf,
    /// `+`: above every string.
    PosInf,
    /// `[x`: x itself is in range.
    Incl(Bytes),
    /// `(x`: x itself is not.
    Excl(Bytes),
}

impl LexBound {
    /// Parse one item as `zslParseLexRangeItem` does: `[` or `(` followed by any bytes,
    /// or exactly `-` / `+` (which Redis tests as C strings, so a NUL may follow).
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        let rest = arg.get(1..).unwrap_or_default();
        let alone = rest.first().is_none_or(|&c| c == 0);
        match arg.first()? {
            b'+' if alone => Some(LexBound::PosInf),
            b'-' if alone => Some(LexBound::NegInf),
            b'(' => Some(LexBound::Excl(Bytes::copy_from_slice(rest))),
            b'[' => Some(LexBound::Incl(Bytes::copy_from_slice(rest))),
            _ => None,
        }
    }

    /// Whether the bound itself is excluded; `-` and `+` count as exclusive in Redis.
    fn is_exclusive(&self) -> bool {
        !matches!(self, LexBound::Incl(_))
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self {
            LexBound::Incl(b) | LexBound::Excl(b) => Some(b),
            LexBound::NegInf | LexBound::PosInf => None,
        }
    }
}

/// A ZRANGEBYLEX interval (Redis's `zlexrangespec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange { min: LexBound::parse(min)?, max: LexBound::parse(max)? })
    }

    /// `zslLexValueGteMin`.
    pub fn gte_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(b) => member >= &b[..],
            LexBound::Excl(b) => member > &b[..],
        }
    }

    /// `zslLexValueLteMax`.
    pub fn lte_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => member <= &b[..],
            LexBound::Excl(b) => member < &b[..],
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.gte_min(member) && self.lte_max(member)
    }

    /// A range no member can satisfy: the `sdscmplex(min, max)` early exit of
    /// `zslIsInLexRange`, where `-` sorts below and `+` above every string.
    pub fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let cmp = match (&self.min, &self.max) {
            (LexBound::NegInf, LexBound::NegInf) | (LexBound::PosInf, LexBound::PosInf) => Equal,
            (LexBound::NegInf, _) | (_, LexBound::PosInf) => Less,
            (LexBound::PosInf, _) | (_, LexBound::NegInf) => Greater,
            (min, max) => min.bytes().cmp(&max.bytes()),
        };
        cmp == Greater || (cmp == Equal && (self.min.is_exclusive() || self.max.is_exclusive()))
    }
}

/// Turn ZRANGE-style `start`/`end` indexes (negative counts from the end) into an
/// inclusive, in-bounds rank pair, or None for an empty range. Mirrors the clamping in
/// `zrangeGenericCommand` and `zremrangeGenericCommand`.
pub fn normalize_rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    // Both are now in 0..len, so the conversions cannot fail.
    Some((start as usize, end.min(len - 1) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> Option<(f64, bool)> {
        parse_score_bound(s.as_bytes())
    }

    #[test]
    fn score_bounds_like_strtod() {
        assert_eq!(score("1.5"), Some((1.5, false)));
        assert_eq!(score("(1.5"), Some((1.5, true)));
        assert_eq!(score("-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(score("+inf"), Some((f64::INFINITY, false)));
        assert_eq!(score("inf"), Some((f64::INFINITY, false)));
        assert_eq!(score("(-Infinity"), Some((f64::NEG_INFINITY, true)));
        assert_eq!(score("1e3"), Some((1000.0, false)));
        assert_eq!(score("-1E-2"), Some((-0.01, false)));
        assert_eq!(score("5."), Some((5.0, false)));
        assert_eq!(score(".5"), Some((0.5, false)));
        assert_eq!(score("1e400"), Some((f64::INFINITY, false)), "overflow is inf, no error");
        assert_eq!(score("-0").map(|(v, _)| v.is_sign_negative()), Some(true));
        // strtod quirks Redis inherits.
        assert_eq!(score(" 7"), Some((7.0, false)));
        assert_eq!(score(""), Some((0.0, false)));
        assert_eq!(score("("), Some((0.0, true)));
        assert_eq!(parse_score_bound(b"3\0garbage"), Some((3.0, false)));
    }

    #[test]
    fn bad_score_bounds() {
        for bad in
            ["abc", "1.5x", "7 ", "  ", "((1", "nan", "-nan", "1e", "1e+", ".", "-", "+", "[1"]
        {
            assert_eq!(score(bad), None, "{bad:?}");
        }
        assert_eq!(score("0x10"), None, "hex floats are a documented caveat");
    }

    #[test]
    fn score_range_membership() {
        let r = ScoreRange::parse(b"(1", b"3").unwrap();
        assert!(!r.contains(1.0) && r.contains(1.5) && r.contains(3.0) && !r.contains(3.5));
        assert!(!r.is_empty());
        assert!(ScoreRange::parse(b"(2", b"2").unwrap().is_empty());
        assert!(!ScoreRange::parse(b"2", b"2").unwrap().is_empty());
        assert!(ScoreRange::parse(b"3", b"2").unwrap().is_empty());
        let all = ScoreRange::parse(b"-inf", b"+inf").unwrap();
        assert!(all.contains(f64::INFINITY) && all.contains(f64::NEG_INFINITY));
        let zero = ScoreRange::parse(b"0", b"0").unwrap();
        assert!(zero.contains(-0.0), "-0 and 0 compare equal");
    }

    #[test]
    fn lex_bounds() {
        assert_eq!(LexBound::parse(b"-"), Some(LexBound::NegInf));
        assert_eq!(LexBound::parse(b"+"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"+\0x"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"[a"), Some(LexBound::Incl(Bytes::from_static(b"a"))));
        assert_eq!(LexBound::parse(b"(a\0b"), Some(LexBound::Excl(Bytes::from_static(b"a\0b"))));
        assert_eq!(LexBound::parse(b"["), Some(LexBound::Incl(Bytes::new())));
        for bad in [&b""[..], b"a", b"-a", b"+inf", b"1"] {
            assert_eq!(LexBound::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lex_range_membership_and_emptiness() {
        let r = LexRange::parse(b"[b", b"(d").unwrap();
        assert!(!r.contains(b"a") && r.contains(b"b") && r.contains(b"cz") && !r.contains(b"d"));
        let all = LexRange::parse(b"-", b"+").unwrap();
        assert!(all.contains(b"") && all.contains(b"\xff") && !all.is_empty());
        assert!(!LexRange::parse(b"+", b"+").unwrap().contains(b"z"));
        let empty = |a: &[u8], b: &[u8]| LexRange::parse(a, b).unwrap().is_empty();
        assert!(empty(b"+", b"-"));
        assert!(empty(b"-", b"-"));
        assert!(empty(b"+", b"+"));
        assert!(empty(b"[b", b"[a"));
        assert!(empty(b"[a", b"(a"));
        assert!(empty(b"+", b"[a"));
        assert!(empty(b"[a", b"-"));
        assert!(!empty(b"[a", b"[a"));
        assert!(!empty(b"-", b"[a"));
        assert!(!empty(b"(a", b"+"));
    }

    #[test]
    fn rank_normalisation() {
        assert_eq!(normalize_rank_range(0, -1, 5), Some((0, 4)));
        assert_eq!(normalize_rank_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(normalize_rank_range(2, 1, 5), None);
        assert_eq!(normalize_rank_range(5, 10, 5), None);
        assert_eq!(normalize_rank_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(normalize_rank_range(0, -6, 5), None);
        assert_eq!(normalize_rank_range(0, 0, 0), None);
        assert_eq!(normalize_rank_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }
}
