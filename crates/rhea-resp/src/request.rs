//! Incremental request decoder: one call takes one complete command off the front of the
//! buffer, or says that more bytes are needed.
//!
//! Mirrors Redis 7.0 `processMultibulkBuffer` / `processInlineBuffer`:
//! * the first byte `*` selects multibulk, anything else is an inline command;
//! * `*0`, `*-1` and an empty inline line are consumed without producing a command;
//! * every breach of a limit is a [`ParseError`] carrying Redis's text, after which the
//!   connection replies `-ERR <text>` and closes.

use bytes::{Buf, Bytes, BytesMut};

use crate::number::parse_i64;
use crate::split::split_args;

/// Longest inline request, `*<n>` line or `$<len>` line Redis buffers without a newline.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// The limits that depend on configuration and on the client's state.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len` (512 MiB by default); ignored for the master link.
    pub max_bulk_len: i64,
    /// The client must authenticate before it may send big requests.
    pub unauthenticated: bool,
    /// The replication link from our master is exempt from the bulk limit.
    pub is_master_link: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: 512 * 1024 * 1024, unauthenticated: false, is_master_link: false }
    }
}

/// One decoded step.
#[derive(Debug, PartialEq)]
pub enum Request {
    /// A command and its arguments.
    Command(Vec<Bytes>),
    /// Bytes consumed that carry no command (`*0\r\n`, an empty inline line).
    Empty { inline: bool },
}

/// A protocol violation: the text after `-ERR `.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct ParseError(pub String);

impl ParseError {
    fn new(s: &str) -> ParseError {
        ParseError(format!("Protocol error: {s}"))
    }
}

/// Take one request off the front of `buf`. `Ok(None)` means more bytes are needed and
/// nothing was consumed.
pub fn parse_request(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Request>, ParseError> {
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] == b'*' { parse_multibulk(buf, limits) } else { parse_inline(buf) }
}

fn parse_inline(buf: &mut BytesMut) -> Result<Option<Request>, ParseError> {
    let Some(nl) = buf.iter().position(|&c| c == b'\n') else {
        if buf.len() > INLINE_MAX_SIZE {
            return Err(ParseError::new("too big inline request"));
        }
        return Ok(None);
    };
    let line_end = if nl > 0 && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    let args = split_args(&buf[..line_end])
        .ok_or_else(|| ParseError::new("unbalanced quotes in request"))?;
    buf.advance(nl + 1);
    if args.is_empty() {
        return Ok(Some(Request::Empty { inline: true }));
    }
    Ok(Some(Request::Command(args.into_iter().map(Bytes::from).collect())))
}

/// Find the `\r` ending a header line starting at `from`; Redis requires one more byte
/// after it (the `\n`, not checked).
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    let rel = buf[from..].iter().position(|&c| c == b'\r')?;
    let cr = from + rel;
    if cr + 1 < buf.len() { Some(cr) } else { None }
}

fn parse_multibulk(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Request>, ParseError> {
    let Some(cr) = header_end(buf, 0) else {
        if buf.len() > INLINE_MAX_SIZE {
            return Err(ParseError::new("too big mbulk count string"));
        }
        return Ok(None);
    };
    let count = parse_i64(&buf[1..cr]).filter(|&n| n <= i32::MAX as i64);
    let Some(count) = count else {
        return Err(ParseError::new("invalid multibulk length"));
    };
    if limits.unauthenticated && count > 10 {
        return Err(ParseError::new("unauthenticated multibulk length"));
    }
    let mut pos = cr + 2;
    if count <= 0 {
        buf.advance(pos);
        return Ok(Some(Request::Empty { inline: false }));
    }
    // Validate every header and find where the request ends before copying anything, so
    // a partial request costs no allocation. The spans of a short command stay on the
    // stack (a `Vec` for them was one more allocation per command).
    let count = count as usize;
    let mut inline = [(0usize, 0usize); INLINE_SPANS];
    let mut spilled = Vec::new();
    for i in 0..count {
        let Some((start, end)) = next_bulk(buf, pos, limits)? else { return Ok(None) };
        if i < INLINE_SPANS {
            inline[i] = (start, end);
        } else {
            if spilled.is_empty() {
                spilled.extend_from_slice(&inline);
            }
            spilled.push((start, end));
        }
        pos = end + 2;
    }
    let spans = if count <= INLINE_SPANS { &inline[..count] } else { &spilled[..] };
    let args = spans.iter().map(|&(s, e)| Bytes::copy_from_slice(&buf[s..e])).collect();
    buf.advance(pos);
    Ok(Some(Request::Command(args)))
}

/// Arguments whose spans [`parse_multibulk`] keeps on the stack.
const INLINE_SPANS: usize = 8;

/// The bulk string whose `$<len>` header starts at `pos`: its payload's span, or `None`
/// when `buf` does not hold all of it yet.
fn next_bulk(
    buf: &BytesMut,
    pos: usize,
    limits: &Limits,
) -> Result<Option<(usize, usize)>, ParseError> {
    if pos >= buf.len() {
        return Ok(None);
    }
    let Some(cr) = header_end(buf, pos) else {
        if buf.len() - pos > INLINE_MAX_SIZE {
            return Err(ParseError::new("too big bulk count string"));
        }
        return Ok(None);
    };
    if buf[pos] != b'$' {
        return Err(ParseError(format!(
            "Protocol error: expected '$', got '{}'",
            buf[pos] as char
        )));
    }
    let len = match parse_i64(&buf[pos + 1..cr]) {
        Some(l) if l >= 0 && (limits.is_master_link || l <= limits.max_bulk_len) => l,
        _ => return Err(ParseError::new("invalid bulk length")),
    };
    if limits.unauthenticated && len > 16384 {
        return Err(ParseError::new("unauthenticated bulk length"));
    }
    let start = cr + 2;
    let end = start + len as usize;
    if end + 2 > buf.len() {
        return Ok(None);
    }
    Ok(Some((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<Option<Request>, ParseError> {
        let mut b = BytesMut::from(input);
        parse_request(&mut b, &Limits::default())
    }

    fn cmd(v: &[&str]) -> Request {
        Request::Command(v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect())
    }

    /// Commands longer and shorter than the spans kept on the stack parse whole; every
    /// proper prefix of one is incomplete and consumes nothing.
    #[test]
    fn commands_of_any_length_parse_and_their_prefixes_wait() {
        for n in [1usize, 7, 8, 9, 20] {
            let words: Vec<String> = (0..n).map(|i| format!("arg{i}")).collect();
            let mut wire = format!("*{n}\r\n").into_bytes();
            for w in &words {
                wire.extend_from_slice(format!("${}\r\n{w}\r\n", w.len()).as_bytes());
            }
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            assert_eq!(parse(&wire).unwrap(), Some(cmd(&refs)));
            for cut in 1..wire.len() {
                let mut b = BytesMut::from(&wire[..cut]);
                assert_eq!(parse_request(&mut b, &Limits::default()).unwrap(), None, "cut {cut}");
                assert_eq!(b.len(), cut);
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        assert_eq!(parse(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").unwrap(), Some(cmd(&["GET", "k"])));
        assert_eq!(parse(b"*2\r\n$3\r\nGET\r\n$1\r\n").unwrap(), None);
        assert_eq!(parse(b"GET k\r\n").unwrap(), Some(cmd(&["GET", "k"])));
        assert_eq!(parse(b"GET k").unwrap(), None);
        assert_eq!(parse(b"\r\n").unwrap(), Some(Request::Empty { inline: true }));
        assert_eq!(parse(b"*0\r\n").unwrap(), Some(Request::Empty { inline: false }));
        assert_eq!(parse(b"*-1\r\n").unwrap(), Some(Request::Empty { inline: false }));
    }

    #[test]
    fn protocol_errors_use_redis_wording() {
        let e = |b: &[u8]| parse(b).unwrap_err().0;
        assert_eq!(e(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(e(b"*1\r\nx\r\n"), "Protocol error: expected '$', got 'x'");
        assert_eq!(e(b"*1\r\n$-2\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(e(b"*3000000000\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(e(b"\"abc\r\n"), "Protocol error: unbalanced quotes in request");
        assert_eq!(e(&vec![b'a'; 70000]), "Protocol error: too big inline request");
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; 70000]);
        assert_eq!(e(&big), "Protocol error: too big mbulk count string");
    }

    #[test]
    fn unauthenticated_limits() {
        let lim = Limits { unauthenticated: true, ..Limits::default() };
        let mut b = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            parse_request(&mut b, &lim).unwrap_err().0,
            "Protocol error: unauthenticated multibulk length"
        );
        let mut b = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            parse_request(&mut b, &lim).unwrap_err().0,
            "Protocol error: unauthenticated bulk length"
        );
    }
}
