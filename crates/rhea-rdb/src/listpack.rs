//! Listpack blobs (Redis 7.0 `listpack.c`), as stored in RDB types 16, 17 and 18.
//!
//! ```text
//! <u32 LE total_bytes> <u16 LE count, 65535 = unknown> <entry>* FF
//! entry = <encoding + data> <backlen: size of encoding+data, 1..=5 bytes>
//!   0xxxxxxx            7-bit unsigned int       10xxxxxx <data>      string ≤ 63
//!   110xxxxx y          13-bit signed int        1110xxxx y <data>    string ≤ 4095
//!   F0 <u32 len> <data> string                   F1/F2/F3/F4          i16/i24/i32/i64 LE
//! ```
//!
//! The encoder stores strings that are canonical int64 decimals as the narrowest
//! integer, as `lpAppend` does. The decoder validates every entry, the backlen, the
//! header and the terminator, so a corrupt blob is an error, never a panic.

use bytes::Bytes;
use rhea_resp::number::parse_i64;

/// One decoded element.
#[derive(Clone, Debug, PartialEq)]
pub enum LpItem {
    Int(i64),
    Str(Bytes),
}

impl LpItem {
    /// The element as Redis hands it out: integers in decimal.
    pub fn into_bytes(self) -> Bytes {
        match self {
            LpItem::Int(v) => Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes()),
            LpItem::Str(b) => b,
        }
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    }
}

fn push_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    // Most significant 7-bit group first; every byte but the first has 0x80 set.
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

fn push_int(out: &mut Vec<u8>, v: i64) {
    let start = out.len();
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1 << 13) + v } else { v } as u16;
        out.push(0xC0 | (u >> 8) as u8);
        out.push((u & 0xff) as u8);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xF1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if i32::try_from(v).is_ok() {
        out.push(0xF3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
    let l = out.len() - start;
    push_backlen(out, l);
}

fn push_str(out: &mut Vec<u8>, s: &[u8]) {
    let start = out.len();
    let len = s.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.push(0xE0 | (len >> 8) as u8);
        out.push((len & 0xff) as u8);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
    let l = out.len() - start;
    push_backlen(out, l);
}

/// Builds a listpack blob element by element.
#[derive(Debug)]
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        ListpackWriter::new()
    }
}

impl ListpackWriter {
    pub fn new() -> ListpackWriter {
        ListpackWriter { buf: vec![0; 6], count: 0 }
    }

    /// Append a string element, as an integer if it is a canonical int64 decimal.
    pub fn push(&mut self, s: &[u8]) {
        match (s.len() <= 20).then(|| parse_i64(s)).flatten() {
            Some(v) => push_int(&mut self.buf, v),
            None => push_str(&mut self.buf, s),
        }
        self.count += 1;
    }

    /// Append an integer element.
    pub fn push_int(&mut self, v: i64) {
        push_int(&mut self.buf, v);
        self.count += 1;
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Size of the finished blob so far (header and terminator included).
    pub fn blob_len(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(0xFF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(65535) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// Encode `items` into one listpack blob.
pub fn encode<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut w = ListpackWriter::new();
    for it in items {
        w.push(it);
    }
    w.finish()
}

/// `lpDecodeBacklen`: read 7-bit groups backwards from `last` while the continuation
/// bit is set, at most five of them.
fn decode_backlen(blob: &[u8], last: usize) -> Option<usize> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut p = last;
    loop {
        let b = *blob.get(p)?;
        val |= usize::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        p = p.checked_sub(1)?;
    }
}

fn need(blob: &[u8], pos: usize, n: usize) -> Result<&[u8], &'static str> {
    blob.get(pos..pos + n).ok_or("listpack entry past the end")
}

/// Decode a whole blob into its elements, validating its structure.
pub fn decode(blob: &[u8]) -> Result<Vec<LpItem>, &'static str> {
    if blob.len() < 7 {
        return Err("listpack shorter than its header");
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err("listpack total_bytes does not match its length");
    }
    if blob[blob.len() - 1] != 0xFF {
        return Err("listpack does not end with FF");
    }
    let declared = usize::from(u16::from_le_bytes([blob[4], blob[5]]));
    let body = &blob[..blob.len() - 1];
    let mut items = Vec::with_capacity(declared.min(body.len()));
    let mut pos = 6;
    while pos < body.len() {
        let b = body[pos];
        let (item, size) = match b {
            0x00..=0x7F => (LpItem::Int(i64::from(b)), 1),
            0x80..=0xBF => {
                let len = usize::from(b & 0x3F);
                (LpItem::Str(Bytes::copy_from_slice(need(body, pos + 1, len)?)), 1 + len)
            }
            0xC0..=0xDF => {
                let lo = need(body, pos + 1, 1)?[0];
                let u = (i64::from(b & 0x1F) << 8) | i64::from(lo);
                let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
                (LpItem::Int(v), 2)
            }
            0xE0..=0xEF => {
                let lo = need(body, pos + 1, 1)?[0];
                let len = (usize::from(b & 0x0F) << 8) | usize::from(lo);
                (LpItem::Str(Bytes::copy_from_slice(need(body, pos + 2, len)?)), 2 + len)
            }
            0xF0 => {
                let l = need(body, pos + 1, 4)?;
                let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                if len > body.len() {
                    return Err("listpack string longer than the blob");
                }
                (LpItem::Str(Bytes::copy_from_slice(need(body, pos + 5, len)?)), 5 + len)
            }
            0xF1 => {
                let d = need(body, pos + 1, 2)?;
                (LpItem::Int(i64::from(i16::from_le_bytes([d[0], d[1]]))), 3)
            }
            0xF2 => {
                let d = need(body, pos + 1, 3)?;
                let v = i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8;
                (LpItem::Int(i64::from(v)), 4)
            }
            0xF3 => {
                let d = need(body, pos + 1, 4)?;
                (LpItem::Int(i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]]))), 5)
            }
            0xF4 => {
                let d = need(body, pos + 1, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(d);
                (LpItem::Int(i64::from_le_bytes(a)), 9)
            }
            _ => return Err("invalid listpack entry encoding"),
        };
        let bl = backlen_size(size);
        need(body, pos + size, bl)?;
        // `lpValidateNext`: the backlen is decoded backwards from its last byte as
        // `lpDecodeBacklen` does (a continuation bit may reach into the entry itself)
        // and must give the entry's size; non-canonical bytes that decode right pass.
        if decode_backlen(body, pos + size + bl - 1) != Some(size) {
            return Err("listpack entry backlen mismatch");
        }
        pos += size + bl;
        items.push(item);
    }
    if declared != 65535 && declared != items.len() {
        return Err("listpack count does not match its entries");
    }
    Ok(items)
}
