//! A bounds-checked reader over the bytes of an RDB, which knows its offset so every
//! error can say where it happened. Lengths and string encodings per RDB v10:
//!
//! ```text
//! 00xxxxxx            6-bit length         01xxxxxx yyyyyyyy   14-bit length (BE)
//! 80 <u32 BE>         32-bit length        81 <u64 BE>         64-bit length
//! C0 i8 · C1 i16 LE · C2 i32 LE            C3 <len clen> <len ulen> <clen bytes>  LZF
//! ```

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::lzf;

/// The most an LZF stream can expand: a 3-byte back reference yields 264 bytes.
const LZF_MAX_RATIO: u64 = 89;

/// A length field: a plain length, or one of the `11xxxxxx` special encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    Num(u64),
    Enc(u8),
}

pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Everything consumed so far (for the checksum).
    pub fn consumed(&self) -> &'a [u8] {
        &self.buf[..self.pos]
    }

    pub fn corrupt_at(&self, offset: usize, what: impl Into<String>) -> Error {
        Error::Corrupt { offset: offset as u64, what: what.into() }
    }

    pub fn corrupt(&self, what: impl Into<String>) -> Error {
        self.corrupt_at(self.pos, what)
    }

    pub fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(self.corrupt(format!("unexpected end of file reading {n} bytes")));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub fn i32_le(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub fn i64_le(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub fn u64_le(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub fn f64_le(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    pub fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Num(u64::from(b & 0x3F)),
            1 => Len::Num((u64::from(b & 0x3F) << 8) | u64::from(self.u8()?)),
            2 => match b {
                0x80 => Len::Num(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Len::Num(u64::from_be_bytes(self.array()?)),
                _ => {
                    return Err(
                        self.corrupt_at(self.pos - 1, format!("unknown length encoding {b:#04x}"))
                    );
                }
            },
            _ => Len::Enc(b & 0x3F),
        })
    }

    /// A plain length. Like `rdbLoadLen`, a special-encoding byte (`11xxxxxx`) read
    /// where a length is expected counts as the length in its low six bits.
    pub fn length(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Num(n) => Ok(n),
            Len::Enc(e) => Ok(u64::from(e)),
        }
    }

    /// A count of items that each take at least `min_item_bytes`: rejects counts the
    /// rest of the input cannot hold, so callers may pre-allocate `min(count, ...)`.
    pub fn count(&mut self, min_item_bytes: u64) -> Result<u64> {
        let at = self.pos;
        let n = self.length()?;
        if n.saturating_mul(min_item_bytes) > self.remaining() as u64 {
            return Err(self.corrupt_at(at, format!("count {n} larger than the rest of the file")));
        }
        Ok(n)
    }

    /// A string in any of its encodings.
    pub fn string(&mut self) -> Result<Bytes> {
        let at = self.pos;
        match self.len_or_enc()? {
            Len::Num(n) => Ok(Bytes::copy_from_slice(self.take(n)?)),
            Len::Enc(0) => Ok(int_bytes(i64::from(self.u8()? as i8))),
            Len::Enc(1) => Ok(int_bytes(i64::from(i16::from_le_bytes(self.array()?)))),
            Len::Enc(2) => Ok(int_bytes(i64::from(self.i32_le()?))),
            Len::Enc(3) => {
                let clen = self.length()?;
                let ulen = self.length()?;
                if ulen > clen.saturating_mul(LZF_MAX_RATIO).saturating_add(8) {
                    return Err(self.corrupt_at(at, "LZF uncompressed length is impossible"));
                }
                let data = self.take(clen)?;
                // `lzf_decompress` returns how much it wrote, 0 on any error, and
                // `rdbLoadLzfStringObject` compares that with the length: a declared
                // length of 0 therefore loads an empty string whatever the data.
                if ulen == 0 {
                    return Ok(Bytes::new());
                }
                lzf::decompress(data, ulen as usize)
                    .map(Bytes::from)
                    .map_err(|e| self.corrupt_at(at, e))
            }
            Len::Enc(e) => Err(self.corrupt_at(at, format!("unknown string encoding {e}"))),
        }
    }
}

pub fn int_bytes(v: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_byte_as_a_length_is_its_low_bits() {
        // `rdbLoadLen` with no `isencoded` pointer: C5 reads as 5.
        assert_eq!(Cursor::new(&[0xC5]).length().unwrap(), 5);
        assert_eq!(Cursor::new(&[0xFF]).length().unwrap(), 63);
        assert!(Cursor::new(&[0x82]).length().is_err(), "0x82..0xBF are not lengths");
    }

    #[test]
    fn lzf_string_of_declared_length_zero_is_empty() {
        // clen 3, ulen 0, three bytes of anything: Redis's comparison 0 == 0 passes.
        let mut cur = Cursor::new(&[0xC3, 0x03, 0x00, 0xE0, 0xFF, 0x01, 0x7F]);
        assert_eq!(cur.string().unwrap(), Bytes::new());
        assert_eq!(cur.remaining(), 1);
        // ... but the bytes must be there.
        assert!(Cursor::new(&[0xC3, 0x09, 0x00, 0x01]).string().is_err());
        // With a real length the data must decompress to exactly that.
        assert!(Cursor::new(&[0xC3, 0x02, 0x03, 0x00, b'a']).string().is_err());
    }
}
