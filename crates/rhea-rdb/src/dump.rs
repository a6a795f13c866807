//! DUMP / RESTORE payloads, as Redis 7.0's `createDumpPayload` and `verifyDumpPayload`
//! (`cluster.c`) frame them: one value in its RDB encoding, without key or metadata,
//! followed by a footer.
//!
//! ```text
//! +------+------------------------+------------------+---------------------------+
//! | type | value (rdbSaveObject)  | u16 LE version   | u64 LE CRC-64 of all that |
//! | 1 B  | as in an RDB file      | 10 (RDB_VERSION) | precedes (type..version)  |
//! +------+------------------------+------------------+---------------------------+
//! ```
//!
//! [`dump_payload`] writes exactly what [`crate::RdbWriter`] writes for the value (same
//! encodings, LZF with `rdbcompression yes`), so it is byte-identical to a real DUMP
//! wherever the writer is byte-identical to a real SAVE (see the crate Caveats).
//!
//! [`restore_payload`] checks the footer first, then decodes the value like the loader
//! does. Like 7.0's `restoreCommand` it reads the value from the start of the whole
//! payload and ignores whatever lies between the value's end and the footer.

use rhea_keyspace::Value;
use rhea_keyspace::limits::EncodingLimits;

use crate::crc64::crc64;
use crate::cursor::Cursor;
use crate::error::Error;
use crate::load_value::{is_value_type, read_value};
use crate::writer::{object_type, push_object};

/// The RDB version written into (and the newest accepted from) a payload.
pub const RDB_VERSION: u16 = 10;

/// The footer: 2 bytes of version, 8 of checksum.
const FOOTER: usize = 10;

/// Why a payload was refused; the server turns each into its RESTORE error.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Shorter than the footer, a version newer than ours, or a CRC mismatch
    /// (`ERR DUMP payload version or checksum are wrong`).
    #[error("DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The footer is fine but the value does not decode, is of a type we cannot hold
    /// (streams, modules), or is an empty aggregate (`ERR Bad data format`).
    #[error("Bad data format: {0}")]
    BadData(Error),
}

/// Serialise `value` as DUMP does. `compression` is the `rdbcompression` setting.
pub fn dump_payload(value: &Value, compression: bool) -> Vec<u8> {
    let mut out = vec![object_type(value)];
    push_object(&mut out, value, compression);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// `verifyDumpPayload`: at least a footer, a version no newer than ours, and the CRC-64
/// of everything before the checksum equal to the stored one.
pub fn verify_payload(payload: &[u8]) -> bool {
    if payload.len() < FOOTER {
        return false;
    }
    let (body, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    version <= RDB_VERSION && crc64(0, body).to_le_bytes() == crc
}

/// Decode a DUMP payload into a value whose encoding follows `limits` (as the loader
/// converts it). The footer is checked first ([`verify_payload`]).
pub fn restore_payload(payload: &[u8], limits: &EncodingLimits) -> Result<Value, PayloadError> {
    if !verify_payload(payload) {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut cur = Cursor::new(payload);
    let ty = cur.u8().map_err(PayloadError::BadData)?;
    if !is_value_type(ty) {
        return Err(PayloadError::BadData(cur.corrupt_at(0, format!("unknown value type {ty}"))));
    }
    match read_value(&mut cur, ty, limits).map_err(PayloadError::BadData)? {
        Some(v) => Ok(v),
        // `rdbLoadObject` reports an empty aggregate as an error to RESTORE.
        None => Err(PayloadError::BadData(cur.corrupt_at(0, "empty aggregate value"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhea_keyspace::Str;

    /// Real redis-server 7.0.15: `SET k x` then `DUMP k`.
    fn str_bytes(v: &Value) -> &[u8] {
        match v {
            Value::Str(s) => s.as_bytes(),
            _ => panic!("not a string"),
        }
    }

    const DUMP_X: &[u8] = b"\x00\x01x\x0a\x00\x22\x80\x86\x5f\xbd\xe8\x48\xd0";

    #[test]
    fn string_payload_matches_redis() {
        let v = Value::Str(Str::new(bytes::Bytes::from_static(b"x")));
        assert_eq!(dump_payload(&v, true), DUMP_X);
        let back = restore_payload(DUMP_X, &EncodingLimits::default()).unwrap();
        assert_eq!(str_bytes(&back), b"x");
    }

    #[test]
    fn footer_is_checked_before_the_value() {
        let limits = EncodingLimits::default();
        let too_short = &DUMP_X[..9];
        assert!(matches!(
            restore_payload(too_short, &limits),
            Err(PayloadError::VersionOrChecksum)
        ));
        for i in 0..DUMP_X.len() {
            let mut p = DUMP_X.to_vec();
            p[i] ^= 0x01;
            assert!(
                matches!(restore_payload(&p, &limits), Err(PayloadError::VersionOrChecksum)),
                "byte {i} flipped"
            );
        }
    }

    #[test]
    fn newer_version_is_refused_older_accepted() {
        let with_version = |ver: u16| {
            let mut p = vec![0x00, 0x01, b'x'];
            p.extend_from_slice(&ver.to_le_bytes());
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        assert!(verify_payload(&with_version(10)));
        assert!(verify_payload(&with_version(6)));
        assert!(verify_payload(&with_version(0)));
        assert!(!verify_payload(&with_version(11)));
        assert!(!verify_payload(&with_version(0x0100)));
    }

    #[test]
    fn bad_values_behind_a_good_footer() {
        let seal = |body: &[u8]| {
            let mut p = body.to_vec();
            p.extend_from_slice(&RDB_VERSION.to_le_bytes());
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        let limits = EncodingLimits::default();
        for body in [
            &b"\x08"[..],         // type 8 does not exist
            &b"\x14"[..],         // nor does 20
            &b"\x02\x00"[..],     // an empty set
            &b"\x0f\x00"[..],     // a stream
            &b"\x00\xc3\x05"[..], // LZF string cut short
        ] {
            let err = restore_payload(&seal(body), &limits).unwrap_err();
            assert!(matches!(err, PayloadError::BadData(_)), "{body:?}: {err}");
        }
        // Bytes between the value and the footer are ignored, as in 7.0.
        let v = restore_payload(&seal(b"\x00\x01xJUNK"), &limits).unwrap();
        assert_eq!(str_bytes(&v), b"x");
        // ... and a value may run on into the footer (the whole payload is its input).
        let v = restore_payload(&seal(b"\x00\x05x"), &limits).unwrap();
        assert_eq!(str_bytes(&v).len(), 5);
    }
}
