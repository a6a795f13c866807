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
