//! Argument parsing shared by the command families, with Redis's error texts.

use bytes::Bytes;
use rhea_resp::Reply;
use rhea_resp::number::{parse_f64, parse_i64};

pub const SYNTAX_ERR: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";

/// `getLongLongFromObjectOrReply`.
pub fn int_arg(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(|| Reply::err(NOT_INTEGER))
}

/// `getPositiveLongFromObjectOrReply` with a custom message (as many commands use).
pub fn int_arg_msg(a: &[u8], msg: &str) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(|| Reply::err(format!("ERR {msg}")))
}

/// `getLongDoubleFromObjectOrReply` / `getDoubleFromObjectOrReply`.
pub fn float_arg(a: &[u8]) -> Result<f64, Reply> {
    parse_f64(a).ok_or_else(|| Reply::err(NOT_FLOAT))
}

/// `getRangeLongFromObjectOrReply(min, LONG_MAX, msg)`: Redis reports both a non-integer
/// and an out-of-range value with the caller's message.
pub fn ranged_arg(a: &[u8], min: i64, msg: &str) -> Result<i64, Reply> {
    match parse_i64(a) {
        Some(v) if v >= min => Ok(v),
        _ => Err(Reply::err(format!("ERR {msg}"))),
    }
}

/// Parsed `numkeys key… <where> [COUNT n]` of LMPOP/BLMPOP and ZMPOP/BZMPOP; `E` is the
/// family's end (LEFT|RIGHT or MIN|MAX).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mpop<E> {
    /// Index of the first key in argv.
    pub first_key: usize,
    pub numkeys: usize,
    pub end: E,
    pub count: i64,
}

/// The parsing shared by `lmpopGenericCommand` and `zmpopGenericCommand`; `numkeys_idx`
/// is 1 for the plain and 2 for the blocking forms, `parse_end` reads the `<where>` word.
pub fn parse_mpop<E>(
    args: &[Bytes],
    numkeys_idx: usize,
    parse_end: impl Fn(&[u8]) -> Result<E, Reply>,
) -> Result<Mpop<E>, Reply> {
    let numkeys = ranged_arg(&args[numkeys_idx], 1, "numkeys should be greater than 0")?;
    let where_idx = (numkeys_idx as i64).saturating_add(numkeys).saturating_add(1);
    if where_idx >= args.len() as i64 {
        return Err(Reply::err(SYNTAX_ERR));
    }
    let where_idx = where_idx as usize;
    let end = parse_end(&args[where_idx])?;
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count == -1 && is(&args[j], "count") && j + 1 < args.len() {
            count = ranged_arg(&args[j + 1], 1, "count should be greater than 0")?;
            j += 2;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
    }
    Ok(Mpop { first_key: numkeys_idx + 1, numkeys: numkeys as usize, end, count: count.max(1) })
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(a: &[u8], opt: &str) -> bool {
    a.eq_ignore_ascii_case(opt.as_bytes())
}

pub fn bulk(b: &Bytes) -> Reply {
    Reply::Bulk(b.clone())
}

/// Upper-case text of an argument for error messages.
pub fn text(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

/// Unwrap a `Result<T, Reply>` inside a handler, returning the error reply.
#[macro_export]
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}
