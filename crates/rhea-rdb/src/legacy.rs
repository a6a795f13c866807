//! Read-only decoders for the pre-7.0 compact blobs: ziplist (RDB types 10, 12, 13 and
//! quicklist v1 nodes, type 14) and zipmap (type 9). Loading converts them to the 7.0
//! value types, as Redis does.
//!
//! ```text
//! ziplist: <u32 zlbytes> <u32 zltail> <u16 zllen> <entry>* FF          (all LE)
//!   entry = <prevlen: u8 < 254 | FE u32> <encoding> <data>
//!   00llllll | 01llllll l | 80 <u32 BE>  string      C0 i16 · D0 i32 · E0 i64
//!   F0 i24 · FE i8 · F1..=FD immediate 0..=12
//! zipmap:  <u8 zmlen> (<len> key <len> <u8 free> value <free bytes>)* FF
//!   len = u8 < 254 | FE u32 LE
//! ```

use bytes::Bytes;

fn get(blob: &[u8], pos: usize, n: usize) -> Result<&[u8], &'static str> {
    blob.get(pos..pos.checked_add(n).ok_or("length overflow")?).ok_or("entry past the end")
}

fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn int_bytes(v: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes())
}

/// Decode a ziplist into its elements (integers in decimal).
pub fn ziplist_decode(blob: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    if blob.len() < 11 {
        return Err("ziplist shorter than its header");
    }
    if u32_le(blob) as usize != blob.len() {
        return Err("ziplist zlbytes does not match its length");
    }
    if blob[blob.len() - 1] != 0xFF {
        return Err("ziplist does not end with FF");
    }
    let declared = usize::from(u16::from_le_bytes([blob[8], blob[9]]));
    let end = blob.len() - 1;
    let mut out = Vec::with_capacity(declared.min(end));
    let mut pos = 10;
    while pos < end {
        pos += if blob[pos] == 0xFE { 5 } else { 1 };
        let b = *get(blob, pos, 1)?.first().ok_or("entry past the end")?;
        let (item, size) = match b >> 6 {
            0 => {
                let len = usize::from(b & 0x3F);
                (Bytes::copy_from_slice(get(blob, pos + 1, len)?), 1 + len)
            }
            1 => {
                let lo = get(blob, pos + 1, 1)?[0];
                let len = (usize::from(b & 0x3F) << 8) | usize::from(lo);
                (Bytes::copy_from_slice(get(blob, pos + 2, len)?), 2 + len)
            }
            2 => {
                let l = get(blob, pos + 1, 4)?;
                let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                (Bytes::copy_from_slice(get(blob, pos + 5, len)?), 5 + len)
            }
            _ => match b {
                0xC0 => {
                    let d = get(blob, pos + 1, 2)?;
                    (int_bytes(i64::from(i16::from_le_bytes([d[0], d[1]]))), 3)
                }
                0xD0 => (int_bytes(i64::from(u32_le(get(blob, pos + 1, 4)?) as i32)), 5),
                0xE0 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(get(blob, pos + 1, 8)?);
                    (int_bytes(i64::from_le_bytes(a)), 9)
                }
                0xF0 => {
                    let d = get(blob, pos + 1, 3)?;
                    (int_bytes(i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8)), 4)
                }
                0xFE => (int_bytes(i64::from(get(blob, pos + 1, 1)?[0] as i8)), 2),
                0xF1..=0xFD => (int_bytes(i64::from(b & 0x0F) - 1), 1),
                _ => return Err("invalid ziplist entry encoding"),
            },
        };
        pos += size;
        out.push(item);
    }
    if pos != end {
        return Err("ziplist entry past the end");
    }
    if declared != 65535 && declared != out.len() {
        return Err("ziplist count does not match its entries");
    }
    Ok(out)
}

fn zipmap_len(blob: &[u8], pos: &mut usize) -> Result<usize, &'static str> {
    let b = get(blob, *pos, 1)?[0];
    match b {
        0..=253 => {
            *pos += 1;
            Ok(usize::from(b))
        }
        254 => {
            let v = u32_le(get(blob, *pos + 1, 4)?) as usize;
            *pos += 5;
            Ok(v)
        }
        _ => Err("zipmap length is the end marker"),
    }
}

/// Decode a zipmap into its `(key, value)` pairs.
pub fn zipmap_decode(blob: &[u8]) -> Result<Vec<(Bytes, Bytes)>, &'static str> {
    if blob.len() < 2 {
        return Err("zipmap too short");
    }
    let mut pos = 1;
    let mut out = Vec::new();
    loop {
        if get(blob, pos, 1)?[0] == 0xFF {
            pos += 1;
            break;
        }
        let klen = zipmap_len(blob, &mut pos)?;
        let key = Bytes::copy_from_slice(get(blob, pos, klen)?);
        pos += klen;
        let vlen = zipmap_len(blob, &mut pos)?;
        let free = usize::from(get(blob, pos, 1)?[0]);
        pos += 1;
        let val = Bytes::copy_from_slice(get(blob, pos, vlen)?);
        pos += vlen + free;
        out.push((key, val));
    }
    if pos != blob.len() {
        return Err("zipmap has trailing bytes");
    }
    Ok(out)
}
