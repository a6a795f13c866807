//! The client half of RESP2 that a link needs: encoding a command (`*N` multibulk, as
//! hiredis's `redisFormatCommandArgv`) and decoding replies into [`LinkReply`]s
//! (hiredis's reader: status, error, integer, bulk, nested arrays, `$-1`/`*-1` nulls).
//!
//! ```text
//!  +PONG\r\n            Status("PONG")      -ERR x\r\n      Error("ERR x")
//!  :1\r\n               Int(1)              $3\r\nabc\r\n  Bulk("abc")
//!  $-1\r\n / *-1\r\n    Null                *2\r\n:1\r\n$1\r\nx\r\n  Array([Int(1), Bulk("x")])
//! ```
//!
//! RESP3 types are never expected (a link never sends HELLO 3) and are a protocol error,
//! as they would be for hiredis in RESP2 mode. Bulk strings are converted lossily to
//! UTF-8: everything Sentinel reads (INFO, hello payloads, replies) is text.

use bytes::{Buf, BytesMut};

use crate::io::LinkReply;

/// Longest bulk string accepted (Redis's default `proto-max-bulk-len`).
const MAX_BULK: i64 = 512 * 1024 * 1024;
/// Largest array length accepted, and deepest nesting (hiredis allows 7 levels).
const MAX_ARRAY: i64 = 1024 * 1024;
const MAX_DEPTH: usize = 7;

/// A reply stream that cannot be parsed: the link is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

/// Append one command to `out` as a RESP multibulk.
pub fn encode_command(argv: &[String], out: &mut Vec<u8>) {
    rhea_resp::reply::push_header(out, b'*', argv.len() as i64);
    for a in argv {
        rhea_resp::reply::push_bulk(out, a.as_bytes());
    }
}

/// Take one complete reply off the front of `buf`; `Ok(None)` when more bytes are
/// needed (nothing is consumed then).
pub fn decode(buf: &mut BytesMut) -> Result<Option<LinkReply>, ProtocolError> {
    let mut pos = 0;
    match parse(buf, &mut pos, 0)? {
        Some(r) => {
            buf.advance(pos);
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

/// The line starting at `*pos` (without its CRLF), advancing `*pos` past it.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let rel = buf[start..].windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some(&buf[start..start + rel])
}

fn int_of(s: &[u8]) -> Result<i64, ProtocolError> {
    rhea_resp::number::parse_i64(s)
        .ok_or_else(|| ProtocolError(format!("bad integer {:?}", String::from_utf8_lossy(s))))
}

fn parse(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<LinkReply>, ProtocolError> {
    if *pos >= buf.len() {
        return Ok(None);
    }
    let tag = buf[*pos];
    let mut p = *pos + 1;
    let Some(l) = line(buf, &mut p) else {
        if buf.len() - *pos > 64 * 1024 {
            return Err(ProtocolError("header line too long".into()));
        }
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(l).into_owned();
    let reply = match tag {
        b'+' => LinkReply::Status(text()),
        b'-' => LinkReply::Error(text()),
        b':' => LinkReply::Int(int_of(l)?),
        b'$' => {
            let n = int_of(l)?;
            if n < 0 {
                LinkReply::Null
            } else if n > MAX_BULK {
                return Err(ProtocolError("bulk too long".into()));
            } else {
                let n = n as usize;
                if buf.len() < p + n + 2 {
                    return Ok(None);
                }
                if &buf[p + n..p + n + 2] != b"\r\n" {
                    return Err(ProtocolError("bulk not terminated by CRLF".into()));
                }
                let s = String::from_utf8_lossy(&buf[p..p + n]).into_owned();
                p += n + 2;
                LinkReply::Bulk(s)
            }
        }
        b'*' => {
            let n = int_of(l)?;
            if n < 0 {
                LinkReply::Null
            } else if n > MAX_ARRAY || depth >= MAX_DEPTH {
                return Err(ProtocolError("array too long or too deep".into()));
            } else {
                let mut items = Vec::with_capacity((n as usize).min(64));
                for _ in 0..n {
                    match parse(buf, &mut p, depth + 1)? {
                        Some(r) => items.push(r),
                        None => return Ok(None),
                    }
                }
                LinkReply::Array(items)
            }
        }
        other => return Err(ProtocolError(format!("unexpected reply type byte {other:#04x}"))),
    };
    *pos = p;
    Ok(Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<LinkReply> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(r) = decode(&mut buf).unwrap() {
            out.push(r);
        }
        assert!(buf.is_empty(), "left over: {buf:?}");
        out
    }

    #[test]
    fn scalars_nulls_and_nesting() {
        let got = all(b"+PONG\r\n-ERR no\r\n:-7\r\n$3\r\na\rb\r\n$-1\r\n*-1\r\n$0\r\n\r\n");
        assert_eq!(
            got,
            vec![
                LinkReply::Status("PONG".into()),
                LinkReply::Error("ERR no".into()),
                LinkReply::Int(-7),
                LinkReply::bulk("a\rb"),
                LinkReply::Null,
                LinkReply::Null,
                LinkReply::bulk(""),
            ]
        );
        let got = all(b"*3\r\n$7\r\nmessage\r\n*2\r\n:1\r\n$-1\r\n*0\r\n");
        assert_eq!(
            got,
            vec![LinkReply::Array(vec![
                LinkReply::bulk("message"),
                LinkReply::Array(vec![LinkReply::Int(1), LinkReply::Null]),
                LinkReply::Array(vec![]),
            ])]
        );
    }

    #[test]
    fn partial_input_consumes_nothing() {
        let full = b"*2\r\n$5\r\nhello\r\n:42\r\n";
        for cut in 0..full.len() {
            let mut buf = BytesMut::from(&full[..cut]);
            assert_eq!(decode(&mut buf).unwrap(), None, "cut at {cut}");
            assert_eq!(buf.len(), cut);
        }
        assert_eq!(all(full).len(), 1);
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [&b"?x\r\n"[..], b":12a\r\n", b"$3\r\nabcde\r\n", b"%1\r\n"] {
            assert!(decode(&mut BytesMut::from(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encodes_multibulk() {
        let mut out = Vec::new();
        encode_command(&["PING".into(), "".into()], &mut out);
        assert_eq!(out, b"*2\r\n$4\r\nPING\r\n$0\r\n\r\n");
    }
}
