//! The reply value and its RESP2/RESP3 encoder.
//!
//! ```text
//! Reply            RESP3                 RESP2 downgrade
//! Simple("OK")     +OK\r\n               same
//! Error("ERR x")   -ERR x\r\n            same (CR/LF in the text become spaces)
//! Int(1)           :1\r\n                same
//! Bulk(b"hi")      $2\r\nhi\r\n          same
//! Null             _\r\n                 $-1\r\n
//! NullArray        _\r\n                 *-1\r\n
//! Double(1.5)      ,1.5\r\n              $3\r\n1.5\r\n   (%.17g)
//! Bool(true)       #t\r\n                :1\r\n
//! Map(n pairs)     %n\r\n…               *2n\r\n…
//! Set(n)           ~n\r\n…               *n\r\n…
//! Push(n)          >n\r\n…               *n\r\n…
//! Verbatim(txt,s)  =len\r\ntxt:s\r\n     bulk of s
//! ```

use bytes::Bytes;
use std::borrow::Cow;

use crate::number::fmt_g17;

/// The protocol a client speaks, chosen with HELLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// A reply value. Error replies are values too: `Error` carries the full text including
/// its code (`"ERR syntax error"`, `"WRONGTYPE Operation …"`).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A status line; `Cow` so that the common constant ones (`+OK`) allocate nothing.
    Simple(Cow<'static, str>),
    Error(String),
    Int(i64),
    Bulk(Bytes),
    Null,
    NullArray,
    Double(f64),
    Bool(bool),
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    Verbatim(&'static str, Bytes),
    /// Bytes already in wire form, written as they are (shared pub/sub payloads).
    Raw(Bytes),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple(Cow::Borrowed("OK"))
    }

    pub fn simple(s: impl Into<Cow<'static, str>>) -> Reply {
        Reply::Simple(s.into())
    }

    /// An error reply. `text` is prefixed with `ERR ` unless it already starts with an
    /// upper-case error code followed by a space, as Redis's `addReplyError` does with `-`.
    pub fn err(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn bulk_str(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Append the wire form of this reply for `proto` to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut Vec<u8>) {
        let r3 = proto == Protocol::Resp3;
        match self {
            Reply::Simple(s) => {
                out.push(b'+');
                push_line_text(out, s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(s) => {
                out.push(b'-');
                push_line_text(out, s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Int(n) => push_header(out, b':', *n),
            Reply::Bulk(b) => push_bulk(out, b),
            Reply::Null => out.extend_from_slice(if r3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NullArray => out.extend_from_slice(if r3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Double(d) => {
                let text = fmt_g17(*d);
                if r3 {
                    out.push(b',');
                    out.extend_from_slice(text.as_bytes());
                    out.extend_from_slice(b"\r\n");
                } else {
                    push_bulk(out, text.as_bytes());
                }
            }
            Reply::Bool(b) => out.extend_from_slice(match (r3, b) {
                (true, true) => b"#t\r\n",
                (true, false) => b"#f\r\n",
                (false, true) => b":1\r\n",
                (false, false) => b":0\r\n",
            }),
            Reply::Array(items) => {
                push_header(out, b'*', items.len() as i64);
                items.iter().for_each(|i| i.encode(proto, out));
            }
            Reply::Set(items) => {
                push_header(out, if r3 { b'~' } else { b'*' }, items.len() as i64);
                items.iter().for_each(|i| i.encode(proto, out));
            }
            Reply::Push(items) => {
                push_header(out, if r3 { b'>' } else { b'*' }, items.len() as i64);
                items.iter().for_each(|i| i.encode(proto, out));
            }
            Reply::Map(pairs) => {
                if r3 {
                    push_header(out, b'%', pairs.len() as i64);
                } else {
                    push_header(out, b'*', 2 * pairs.len() as i64);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Reply::Verbatim(fmt, body) => {
                if r3 {
                    push_header(out, b'=', (body.len() + 4) as i64);
                    out.extend_from_slice(fmt.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(body);
                    out.extend_from_slice(b"\r\n");
                } else {
                    push_bulk(out, body);
                }
            }
            Reply::Raw(b) => out.extend_from_slice(b),
        }
    }

    /// Convenience: the RESP2 bytes of this reply.
    pub fn to_resp2(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(Protocol::Resp2, &mut v);
        v
    }
}

/// `<prefix><n>\r\n`
pub fn push_header(out: &mut Vec<u8>, prefix: u8, n: i64) {
    out.push(prefix);
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `$<len>\r\n<bytes>\r\n`
pub fn push_bulk(out: &mut Vec<u8>, b: &[u8]) {
    push_header(out, b'$', b.len() as i64);
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Status and error texts cannot carry CR or LF: Redis replaces them with spaces.
fn push_line_text(out: &mut Vec<u8>, s: &[u8]) {
    out.extend(s.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
}

impl From<&str> for Reply {
    fn from(s: &str) -> Reply {
        Reply::bulk_str(s)
    }
}

impl From<i64> for Reply {
    fn from(n: i64) -> Reply {
        Reply::Int(n)
    }
}

impl From<Bytes> for Reply {
    fn from(b: Bytes) -> Reply {
        Reply::Bulk(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, p: Protocol) -> String {
        let mut v = Vec::new();
        r.encode(p, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn downgrades() {
        let m = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, Protocol::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Protocol::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Null, Protocol::Resp2), "$-1\r\n");
        assert_eq!(enc(&Reply::NullArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(enc(&Reply::NullArray, Protocol::Resp3), "_\r\n");
        assert_eq!(enc(&Reply::Double(0.1), Protocol::Resp2), "$19\r\n0.10000000000000001\r\n");
        assert_eq!(enc(&Reply::Double(f64::INFINITY), Protocol::Resp3), ",inf\r\n");
        assert_eq!(
            enc(&Reply::Verbatim("txt", Bytes::from_static(b"hi")), Protocol::Resp3),
            "=6\r\ntxt:hi\r\n"
        );
        assert_eq!(enc(&Reply::err("ERR a\r\nb"), Protocol::Resp2), "-ERR a  b\r\n");
    }
}
