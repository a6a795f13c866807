//! A software x87 `long double` (80-bit extended precision), just enough for
//! INCRBYFLOAT: parse like `strtold`, add with IEEE round-to-nearest-even, and print
//! like `printf("%.17Lf")`.
//!
//! Why not `f64`: Redis computes INCRBYFLOAT in `long double` (64-bit mantissa on
//! x86-64) and prints 17 *decimals*, so `0.1 + 0.2` stores `0.3` where `f64` gives
//! `0.30000000000000004`, and `1000.1` keeps digits `f64` cannot. Clients observe the
//! stored text, so we reproduce the arithmetic exactly.
//!
//! Every value is a dyadic rational `±mant × 2^exp`; parsing and addition are done
//! exactly with a small big-integer type and rounded once, which is what a correctly
//! rounding `strtold` and the FPU produce.
//!
//! ```text
//! format   sign | 15-bit exponent | 64-bit mantissa (explicit leading bit)
//! range    top bit position ≤ 16383 (max ≈ 1.19e4932), lowest bit ≥ 2^-16445
//! ```

use std::cmp::Ordering;

/// Highest position of the leading mantissa bit (`LDBL_MAX_EXP - 1`).
const MAX_TOP_BIT: i64 = 16383;
/// Weight of the lowest bit of the smallest subnormal: 2^(-16382 - 63).
const MIN_LOW_BIT: i64 = -16445;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer inputs are refused by `string2ld`.
const MAX_CHARS: usize = 5 * 1024;

/// A long double value. `Finite` is `±mant × 2^exp` with `mant != 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LongDouble {
    Zero { neg: bool },
    Finite { neg: bool, mant: u64, exp: i64 },
    Inf { neg: bool },
    NaN,
}

impl LongDouble {
    pub fn from_i64(v: i64) -> LongDouble {
        if v == 0 {
            return LongDouble::Zero { neg: false };
        }
        LongDouble::Finite { neg: v < 0, mant: v.unsigned_abs(), exp: 0 }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Zero { .. } | LongDouble::Finite { .. })
    }

    /// `string2ld`: the whole string must be a `strtold` number, with no leading space,
    /// not NaN, and not out of range (overflow, or underflow to zero).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        // `string2ld` also demands that strtold consumed all `slen` bytes, so an embedded
        // NUL is trailing garbage here (the grammar below rejects it).
        if s[0].is_ascii_whitespace() || s[0] == 0x0b {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Some(LongDouble::Inf { neg });
        }
        let parsed =
            if lower.starts_with(b"0x") { parse_hex(&lower[2..]) } else { parse_dec(&lower) }?;
        let v = match parsed {
            Parsed::Zero => return Some(LongDouble::Zero { neg }),
            Parsed::Exact { n, exp, sticky } => round(neg, n, exp, sticky),
            Parsed::Overflow => LongDouble::Inf { neg },
            Parsed::Underflow => LongDouble::Zero { neg },
        };
        // ERANGE with HUGE_VAL or zero is refused by Redis; a subnormal result is kept.
        match v {
            LongDouble::Finite { .. } => Some(v),
            _ => None,
        }
    }

    /// `a + b` as the FPU computes it (also available as `+`). The method form needs no
    /// trait import at call sites.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: LongDouble) -> LongDouble {
        use LongDouble::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => NaN,
            (Inf { neg: a }, Inf { neg: b }) => {
                if a == b {
                    Inf { neg: a }
                } else {
                    NaN
                }
            }
            (Inf { neg }, _) | (_, Inf { neg }) => Inf { neg },
            (Zero { neg: a }, Zero { neg: b }) => Zero { neg: a && b },
            (Zero { .. }, x) | (x, Zero { .. }) => x,
            (Finite { neg: na, mant: ma, exp: ea }, Finite { neg: nb, mant: mb, exp: eb }) => {
                let e = ea.min(eb);
                let a = Big::from_u64(ma).shl((ea - e) as usize);
                let b = Big::from_u64(mb).shl((eb - e) as usize);
                if na == nb {
                    return round(na, a.add(&b), e, false);
                }
                match a.cmp(&b) {
                    Ordering::Equal => Zero { neg: false },
                    Ordering::Greater => round(na, a.sub(&b), e, false),
                    Ordering::Less => round(nb, b.sub(&a), e, false),
                }
            }
        }
    }

    /// `ld2string(.., LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and dot removed, `-0`
    /// shown as `0`.
    pub fn to_human(&self) -> String {
        let (neg, digits) = match *self {
            LongDouble::NaN => return "nan".into(),
            LongDouble::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
            LongDouble::Zero { neg } => (neg, "0".to_string()),
            LongDouble::Finite { neg, mant, exp } => (neg, scaled_decimal(mant, exp)),
        };
        let digits = format!("{digits:0>18}");
        let (int, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut out = String::with_capacity(digits.len() + 2);
        if neg {
            out.push('-');
        }
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" { "0".into() } else { out }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    fn add(self, other: LongDouble) -> LongDouble {
        LongDouble::add(self, other)
    }
}

/// `mant × 2^exp × 10^17`, rounded half-to-even to an integer, in decimal (glibc's
/// `%.17Lf` rounding of the exact binary value).
fn scaled_decimal(mant: u64, exp: i64) -> String {
    let scaled = u128::from(mant) * 100_000_000_000_000_000u128;
    if exp >= 0 {
        return Big::from_u128(scaled).shl(exp as usize).to_decimal();
    }
    let shift = (-exp) as u32;
    // scaled < 2^121: past that shift the value is below half a unit and rounds to 0.
    if shift >= 122 {
        return "0".into();
    }
    let q = scaled >> shift;
    let rem = scaled & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let q = if rem > half || (rem == half && q & 1 == 1) { q + 1 } else { q };
    q.to_string()
}

enum Parsed {
    Zero,
    /// `n × 2^exp`, plus whether nonzero bits were cut below `n`.
    Exact {
        n: Big,
        exp: i64,
        sticky: bool,
    },
    Overflow,
    Underflow,
}

/// Digits, an optional fraction and an optional exponent, consuming everything.
fn split_mantissa(
    s: &[u8],
    is_digit: fn(u8) -> bool,
    exp_char: u8,
) -> Option<(Vec<u8>, usize, i64)> {
    let mut i = 0;
    let mut digits = Vec::new();
    while i < s.len() && is_digit(s[i]) {
        digits.push(s[i]);
        i += 1;
    }
    let mut frac = 0;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && is_digit(s[i]) {
            digits.push(s[i]);
            frac += 1;
            i += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let mut exp: i64 = 0;
    if i < s.len() && s[i] == exp_char {
        i += 1;
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
        while i < s.len() && s[i].is_ascii_digit() {
            // Saturate: anything this large is out of range anyway.
            exp = (exp * 10 + i64::from(s[i] - b'0')).min(1 << 40);
            i += 1;
        }
        if i == start {
            return None;
        }
        if neg {
            exp = -exp;
        }
    }
    (i == s.len()).then_some((digits, frac, exp))
}

fn parse_dec(s: &[u8]) -> Option<Parsed> {
    let (digits, frac, exp) = split_mantissa(s, |c| c.is_ascii_digit(), b'e')?;
    let first = digits.iter().position(|&c| c != b'0');
    let Some(first) = first else { return Some(Parsed::Zero) };
    let digits = &digits[first..];
    let exp10 = exp - frac as i64;
    // Decimal magnitude: the value lies in [10^mag, 10^(mag+1)).
    let mag = digits.len() as i64 - 1 + exp10;
    if mag > 4933 {
        return Some(Parsed::Overflow);
    }
    if mag < -4952 {
        return Some(Parsed::Underflow);
    }
    let mut n = Big::default();
    for chunk in digits.chunks(9) {
        let v = chunk.iter().fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'));
        n = n.mul_small(10u32.pow(chunk.len() as u32)).add_small(v);
    }
    if exp10 >= 0 {
        let n = n.mul(&Big::pow10(exp10 as u32));
        return Some(Parsed::Exact { n, exp: 0, sticky: false });
    }
    // n / 10^k with about 66 quotient bits, so the rounding bits are exact; bits of a
    // very long n beyond that only matter as "something nonzero was cut".
    let d = Big::pow10((-exp10) as u32);
    let (num, exp2, cut) = if n.bits() > d.bits() + 66 {
        let drop = n.bits() - d.bits() - 66;
        (n.shr(drop), drop as i64, n.any_below(drop))
    } else {
        let shift = 66 + d.bits() - n.bits();
        (n.shl(shift), -(shift as i64), false)
    };
    let (q, rem_nonzero) = num.div_rem_nonzero(&d);
    Some(Parsed::Exact { n: q, exp: exp2, sticky: rem_nonzero || cut })
}

fn parse_hex(s: &[u8]) -> Option<Parsed> {
    let (digits, frac, exp) = split_mantissa(s, |c| c.is_ascii_hexdigit(), b'p')?;
    let first = digits.iter().position(|&c| c != b'0');
    let Some(first) = first else { return Some(Parsed::Zero) };
    let digits = &digits[first..];
    let exp2 = exp - 4 * frac as i64;
    let top = 4 * digits.len() as i64 + exp2;
    if top > MAX_TOP_BIT + 2 {
        return Some(Parsed::Overflow);
    }
    if top < MIN_LOW_BIT - 2 {
        return Some(Parsed::Underflow);
    }
    let mut n = Big::default();
    for &c in digits {
        let v = (c as char).to_digit(16).expect("hex digit");
        n = n.mul_small(16).add_small(v);
    }
    Some(Parsed::Exact { n, exp: exp2, sticky: false })
}

/// Round `±(n × 2^exp + sticky)` to the long double grid (round half to even).
fn round(neg: bool, n: Big, exp: i64, sticky: bool) -> LongDouble {
    if n.is_zero() {
        return LongDouble::Zero { neg };
    }
    let top = exp + n.bits() as i64 - 1;
    let low = (top - 63).max(MIN_LOW_BIT);
    let (mant, low) = if low <= exp {
        // Exact: fits in 64 bits at this exponent (sticky bits lie below the grid only
        // when low < exp, which cannot happen together with sticky input).
        (n.low_u128(), exp)
    } else {
        let shift = (low - exp) as usize;
        let q = n.shr(shift).low_u128();
        let half = n.bit(shift - 1);
        let below = sticky || n.any_below(shift - 1);
        let q = if half && (below || q & 1 == 1) { q + 1 } else { q };
        (q, low)
    };
    let (mant, low) = if mant >> 64 != 0 { (mant >> 1, low + 1) } else { (mant, low) };
    if mant == 0 {
        return LongDouble::Zero { neg };
    }
    let top = low + 127 - i64::from(mant.leading_zeros());
    if top > MAX_TOP_BIT {
        return LongDouble::Inf { neg };
    }
    LongDouble::Finite { neg, mant: mant as u64, exp: low }
}

// ===== a minimal unsigned big integer =====

/// Little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn from_u64(v: u64) -> Big {
        Big::from_u128(u128::from(v))
    }

    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    fn trim(mut self) -> Big {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn bits(&self) -> usize {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.limbs.get(i / 32).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// Is any bit below position `i` set?
    fn any_below(&self, i: usize) -> bool {
        let whole = (i / 32).min(self.limbs.len());
        if self.limbs[..whole].iter().any(|&l| l != 0) {
            return true;
        }
        let part = i % 32;
        part != 0 && self.limbs.get(whole).is_some_and(|l| l & ((1u32 << part) - 1) != 0)
    }

    fn low_u128(&self) -> u128 {
        self.limbs.iter().take(4).rev().fold(0u128, |acc, &l| acc << 32 | u128::from(l))
    }

    fn shl(&self, n: usize) -> Big {
        if self.is_zero() {
            return Big::default();
        }
        let (words, bits) = (n / 32, n % 32);
        let mut limbs = vec![0u32; words];
        let mut carry = 0u32;
        for &l in &self.limbs {
            if bits == 0 {
                limbs.push(l);
            } else {
                limbs.push(l << bits | carry);
                carry = l >> (32 - bits);
            }
        }
        limbs.push(carry);
        Big { limbs }.trim()
    }

    fn shr(&self, n: usize) -> Big {
        let (words, bits) = (n / 32, n % 32);
        if words >= self.limbs.len() {
            return Big::default();
        }
        let src = &self.limbs[words..];
        let limbs = (0..src.len())
            .map(|i| {
                let hi = src.get(i + 1).copied().unwrap_or(0);
                if bits == 0 { src[i] } else { src[i] >> bits | hi << (32 - bits) }
            })
            .collect();
        Big { limbs }.trim()
    }

    fn add(&self, o: &Big) -> Big {
        let mut limbs = Vec::with_capacity(self.limbs.len().max(o.limbs.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.limbs.len().max(o.limbs.len()) {
            let s = u64::from(*self.limbs.get(i).unwrap_or(&0))
                + u64::from(*o.limbs.get(i).unwrap_or(&0))
                + carry;
            limbs.push(s as u32);
            carry = s >> 32;
        }
        limbs.push(carry as u32);
        Big { limbs }.trim()
    }

    /// `self - o`; requires `self >= o`.
    fn sub(&self, o: &Big) -> Big {
        let mut limbs = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let mut d =
                i64::from(self.limbs[i]) - i64::from(*o.limbs.get(i).unwrap_or(&0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += 1 << 32;
                borrow = 1;
            }
            limbs.push(d as u32);
        }
        Big { limbs }.trim()
    }

    fn mul_small(&self, m: u32) -> Big {
        let mut limbs = Vec::with_capacity(self.limbs.len() + 1);
        let mut carry = 0u64;
        for &l in &self.limbs {
            let p = u64::from(l) * u64::from(m) + carry;
            limbs.push(p as u32);
            carry = p >> 32;
        }
        limbs.push(carry as u32);
        Big { limbs }.trim()
    }

    fn add_small(&self, a: u32) -> Big {
        self.add(&Big::from_u64(u64::from(a)))
    }

    fn mul(&self, o: &Big) -> Big {
        let mut acc = vec![0u64; self.limbs.len() + o.limbs.len() + 1];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in o.limbs.iter().enumerate() {
                let t = acc[i + j] + u64::from(a) * u64::from(b) + carry;
                acc[i + j] = t & 0xffff_ffff;
                carry = t >> 32;
            }
            acc[i + o.limbs.len()] += carry;
        }
        Big { limbs: acc.into_iter().map(|v| v as u32).collect() }.trim()
    }

    fn pow10(n: u32) -> Big {
        let mut r = Big::from_u64(1);
        let mut left = n;
        while left > 0 {
            let step = left.min(9);
            r = r.mul_small(10u32.pow(step));
            left -= step;
        }
        r
    }

    /// `(self / d, self % d != 0)` for a quotient of modest size (bit-serial division).
    fn div_rem_nonzero(&self, d: &Big) -> (Big, bool) {
        let mut rem = self.clone();
        let mut q = Big::default();
        if self.cmp(d) == Ordering::Less {
            return (q, !rem.is_zero());
        }
        let top = self.bits() - d.bits();
        for i in (0..=top).rev() {
            let t = d.shl(i);
            if rem.cmp(&t) != Ordering::Less {
                rem = rem.sub(&t);
                q = q.add(&Big::from_u64(1).shl(i));
            }
        }
        (q, !rem.is_zero())
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut chunks = Vec::new();
        let mut cur = self.limbs.clone();
        while !cur.is_empty() {
            let mut rem = 0u64;
            for l in cur.iter_mut().rev() {
                let v = rem << 32 | u64::from(*l);
                *l = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            chunks.push(rem as u32);
            while cur.last() == Some(&0) {
                cur.pop();
            }
        }
        let mut s = chunks.pop().expect("nonzero").to_string();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, o: &Big) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Big {
    fn cmp(&self, o: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&o.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(o.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).unwrap();
        let b = LongDouble::parse(b.as_bytes()).unwrap();
        a.add(b).to_human()
    }

    fn show(s: &str) -> String {
        LongDouble::parse(s.as_bytes()).map(|v| v.to_human()).unwrap_or_else(|| "ERR".into())
    }

    #[test]
    fn human_format_matches_redis() {
        assert_eq!(show("10.5"), "10.5");
        assert_eq!(show("3.0e3"), "3000");
        assert_eq!(show("0.1"), "0.1");
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(show("-0.0"), "0");
        assert_eq!(show("1e-20"), "0");
        assert_eq!(show("-1e-20"), "0");
        assert_eq!(show("5.0e3"), "5000");
        assert_eq!(incr("10.50", "0.1"), "10.6");
        assert_eq!(show("0x1p3"), "8");
        assert_eq!(show("1.5"), "1.5");
    }

    #[test]
    fn strtold_rules() {
        for bad in [
            "", " 1", "1 ", "abc", "1e", "1e+", ".", "-", "nan", "NaN", "0x", "1x", "1e5000",
            "1e-5000", "1\x002",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(LongDouble::parse(b"inf"), Some(LongDouble::Inf { neg: false }));
        assert_eq!(LongDouble::parse(b"-Infinity"), Some(LongDouble::Inf { neg: true }));
        assert_eq!(LongDouble::parse(b"0e-5000"), Some(LongDouble::Zero { neg: false }));
        assert_eq!(LongDouble::parse(b"1.").map(|v| v.to_human()), Some("1".into()));
        assert_eq!(LongDouble::parse(b"+.5").map(|v| v.to_human()), Some("0.5".into()));
    }

    #[test]
    fn extended_precision_rounding() {
        // 2^64 + 1 is not representable: ties to even.
        assert_eq!(incr("18446744073709551616", "1"), "18446744073709551616");
        assert_eq!(incr("18446744073709551616", "3"), "18446744073709551620");
        assert_eq!(LongDouble::from_i64(i64::MIN).to_human(), "-9223372036854775808");
        let big = LongDouble::parse(b"1e4932").unwrap();
        assert!(!big.add(big).is_finite());
        let inf = LongDouble::parse(b"inf").unwrap();
        assert_eq!(inf.add(LongDouble::parse(b"-inf").unwrap()), LongDouble::NaN);
    }

    #[test]
    fn big_basics() {
        let a = Big::pow10(30);
        assert_eq!(a.to_decimal(), format!("1{}", "0".repeat(30)));
        assert_eq!(a.shl(5).shr(5), a);
        let (q, r) = a.div_rem_nonzero(&Big::from_u64(7));
        assert_eq!(q.to_decimal(), "142857142857142857142857142857");
        assert!(r);
        assert_eq!(a.sub(&Big::from_u64(1)).to_decimal(), "9".repeat(30));
    }
}
