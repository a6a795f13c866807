//! Writing RDB v10 the way Redis 7.0.15's `rdbSave` does, so real Redis and
//! `redis-check-rdb` accept the file:
//!
//! ```text
//! REDIS0010  aux(redis-ver, redis-bits, ctime, used-mem, [repl-*], aof-base)  [F5 library]*
//! per non-empty db: FE db FB keys expires, then per key [FC ms] [F8 idle | F9 freq] type key value
//! FF <u64 LE CRC64 of everything before, or 0 with rdbchecksum no>
//! ```
//!
//! Encodings chosen per value (mirrors `rdbSaveObjectType`): lists as
//! LIST_QUICKLIST_2 with PACKED listpack nodes of ≤ 8 KB (`list-max-listpack-size -2`);
//! intset sets as SET_INTSET, others SET; listpack hashes as HASH_LISTPACK, others
//! HASH; listpack zsets as ZSET_LISTPACK, others ZSET_2 (highest score first). Every
//! string slot, blobs included, goes through `rdbSaveRawString`'s choice: integer
//! encoding for short canonical decimals, LZF for strings over 20 bytes when it saves
//! at least 4 bytes (with `rdbcompression yes`), else raw.

use std::io::Write;

use rhea_keyspace::hash::Hash;
use rhea_keyspace::set::{Set, SetMember};
use rhea_keyspace::zset::ZSet;
use rhea_keyspace::{Db, Value};
use rhea_resp::number::{fmt_g17, parse_i64};

use crate::crc64::crc64;
use crate::listpack::ListpackWriter;
use crate::types::*;
use crate::{intset, lzf};

/// Quicklist node size limit for `list-max-listpack-size -2`.
const QUICKLIST_NODE_BYTES: usize = 8192;

/// Replication info saved as aux fields (present when the server has a backlog).
#[derive(Clone, Debug)]
pub struct ReplAux {
    pub stream_db: u32,
    /// 40 hex characters.
    pub repl_id: String,
    pub offset: i64,
}

/// What goes into the header and how strings are encoded.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// `rdbcompression`: LZF for strings over 20 bytes.
    pub compression: bool,
    /// `rdbchecksum`: write the CRC64 (else 0).
    pub checksum: bool,
    /// `ctime` aux field, Unix seconds.
    pub ctime: i64,
    /// `used-mem` aux field, bytes.
    pub used_mem: i64,
    pub repl: Option<ReplAux>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { compression: true, checksum: true, ctime: 0, used_mem: 0, repl: None }
    }
}

/// Per-key metadata written before the value.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyMeta {
    pub expire_ms: Option<i64>,
    /// F8: seconds idle (write only under LRU policies).
    pub idle_s: Option<u64>,
    /// F9: LFU counter (write only under LFU policies).
    pub lfu_freq: Option<u8>,
}

/// A streaming RDB writer. Call [`RdbWriter::select_db`], then
/// [`RdbWriter::write_key`] per key, then [`RdbWriter::finish`].
pub struct RdbWriter<W: Write> {
    out: W,
    crc: u64,
    compression: bool,
    checksum: bool,
    buf: Vec<u8>,
}

impl<W: Write> RdbWriter<W> {
    /// Write the magic and the aux fields.
    pub fn new(out: W, opts: &WriteOptions) -> std::io::Result<RdbWriter<W>> {
        let mut w = RdbWriter {
            out,
            crc: 0,
            compression: opts.compression,
            checksum: opts.checksum,
            buf: Vec::with_capacity(1 << 16),
        };
        w.buf.extend_from_slice(b"REDIS0010");
        w.aux(b"redis-ver", b"7.0.15");
        w.aux(b"redis-bits", b"64");
        w.aux(b"ctime", opts.ctime.to_string().as_bytes());
        w.aux(b"used-mem", opts.used_mem.to_string().as_bytes());
        if let Some(r) = &opts.repl {
            w.aux(b"repl-stream-db", r.stream_db.to_string().as_bytes());
            w.aux(b"repl-id", r.repl_id.as_bytes());
            w.aux(b"repl-offset", r.offset.to_string().as_bytes());
        }
        w.aux(b"aof-base", b"0");
        w.flush_buf()?;
        Ok(w)
    }

    fn aux(&mut self, key: &[u8], value: &[u8]) {
        self.buf.push(OP_AUX);
        self.string(key);
        self.string(value);
    }

    fn flush_buf(&mut self) -> std::io::Result<()> {
        self.crc = crc64(self.crc, &self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// `F5` + a function library's source code; Redis writes one per library, after
    /// the aux fields and before the first db.
    pub fn write_function(&mut self, code: &[u8]) -> std::io::Result<()> {
        self.buf.push(OP_FUNCTION2);
        self.string(code);
        self.flush_buf()
    }

    /// `FE db` and the `FB` size hint.
    pub fn select_db(&mut self, db: u32, keys: u64, expires: u64) -> std::io::Result<()> {
        self.buf.push(OP_SELECTDB);
        push_len(&mut self.buf, u64::from(db));
        self.buf.push(OP_RESIZEDB);
        push_len(&mut self.buf, keys);
        push_len(&mut self.buf, expires);
        self.flush_buf()
    }

    /// One key with its metadata and value.
    pub fn write_key(&mut self, key: &[u8], value: &Value, meta: KeyMeta) -> std::io::Result<()> {
        if let Some(ms) = meta.expire_ms {
            self.buf.push(OP_EXPIRETIME_MS);
            self.buf.extend_from_slice(&ms.to_le_bytes());
        }
        if let Some(idle) = meta.idle_s {
            self.buf.push(OP_IDLE);
            push_len(&mut self.buf, idle);
        }
        if let Some(freq) = meta.lfu_freq {
            self.buf.push(OP_FREQ);
            self.buf.push(freq);
        }
        self.value(key, value);
        if self.buf.len() >= 1 << 16 {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// `FF` and the checksum; returns the inner writer (flushed).
    pub fn finish(mut self) -> std::io::Result<W> {
        self.buf.push(OP_EOF);
        self.flush_buf()?;
        let crc = if self.checksum { self.crc } else { 0 };
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn string(&mut self, s: &[u8]) {
        push_string(&mut self.buf, s, self.compression);
    }

    /// `rdbSaveObjectType`, the key, then `rdbSaveObject`.
    fn value(&mut self, key: &[u8], value: &Value) {
        self.buf.push(object_type(value));
        self.string(key);
        push_object(&mut self.buf, value, self.compression);
    }
}

// ===== value encoding (shared with DUMP payloads) =====

/// The RDB type byte `rdbSaveObjectType` writes for `value`, from its encoding.
pub fn object_type(value: &Value) -> u8 {
    match value {
        Value::Str(_) => T_STRING,
        Value::List(_) => T_LIST_QUICKLIST_2,
        Value::Set(s) if s.encoding_name() == "intset" => T_SET_INTSET,
        Value::Set(_) => T_SET,
        Value::Hash(h) if h.encoding_name() == "listpack" => T_HASH_LISTPACK,
        Value::Hash(_) => T_HASH,
        Value::ZSet(z) if z.encoding_name() == "listpack" => T_ZSET_LISTPACK,
        Value::ZSet(_) => T_ZSET_2,
    }
}

/// The value's encoding without its type byte, as `rdbSaveObject` writes it for the
/// type [`object_type`] names; `compression` is `rdbcompression`.
pub fn push_object(out: &mut Vec<u8>, value: &Value, compression: bool) {
    match value {
        Value::Str(s) => push_string(out, s.as_bytes(), compression),
        Value::List(l) => {
            let nodes = pack_list(l.iter().map(|b| &b[..]));
            push_len(out, nodes.len() as u64);
            for node in nodes {
                push_len(out, QUICKLIST_NODE_PACKED);
                push_string(out, &node, compression);
            }
        }
        Value::Set(s) => push_set(out, s, compression),
        Value::Hash(h) => push_hash(out, h, compression),
        Value::ZSet(z) => push_zset(out, z, compression),
    }
}

fn push_set(out: &mut Vec<u8>, s: &Set, compression: bool) {
    if s.encoding_name() == "intset" {
        let ints: Vec<i64> = s
            .iter()
            .map(|m| match m {
                SetMember::Int(i) => i,
                SetMember::Str(b) => parse_i64(b).unwrap_or_default(),
            })
            .collect();
        push_string(out, &intset::encode(&ints), compression);
    } else {
        push_len(out, s.len() as u64);
        for m in s.iter() {
            push_string(out, &m.to_bytes(), compression);
        }
    }
}

fn push_hash(out: &mut Vec<u8>, h: &Hash, compression: bool) {
    if h.encoding_name() == "listpack" {
        let mut lp = ListpackWriter::new();
        for (f, v) in h.iter() {
            lp.push(f);
            lp.push(v);
        }
        push_string(out, &lp.finish(), compression);
    } else {
        push_len(out, h.len() as u64);
        for (f, v) in h.iter() {
            push_string(out, f, compression);
            push_string(out, v, compression);
        }
    }
}

fn push_zset(out: &mut Vec<u8>, z: &ZSet, compression: bool) {
    if z.encoding_name() == "listpack" {
        let mut lp = ListpackWriter::new();
        for (m, s) in z.iter() {
            lp.push(m);
            push_score(&mut lp, s);
        }
        push_string(out, &lp.finish(), compression);
    } else {
        // ZSET_2 is written from the tail: highest score first.
        push_len(out, z.len() as u64);
        for (m, s) in z.iter().rev() {
            push_string(out, m, compression);
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
}

/// A listpack score as `zzlInsertAt` stores it: `d2string`'s text, which the listpack
/// turns into an integer when it is one (so integral scores below 2^52 are ints).
fn push_score(lp: &mut ListpackWriter, s: f64) {
    if s == 0.0 {
        if s.is_sign_negative() { lp.push(b"-0") } else { lp.push_int(0) }
    } else if s > -4_503_599_627_370_495.0 && s < 4_503_599_627_370_496.0 && s.trunc() == s {
        lp.push_int(s as i64);
    } else {
        lp.push(fmt_g17(s).as_bytes());
    }
}

/// Split list elements into listpack nodes of at most 8 KB (at least one element each),
/// exactly as a sequence of RPUSHes fills quicklist nodes in Redis 7.0.
pub fn pack_list<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let mut nodes = Vec::new();
    let mut lp = ListpackWriter::new();
    for it in items {
        // Redis's `_quicklistNodeAllowInsert`: current bytes + element length + an
        // 8-byte overhead estimate must stay within the limit.
        if lp.count() > 0 && lp.blob_len() + it.len() + 8 > QUICKLIST_NODE_BYTES {
            nodes.push(std::mem::take(&mut lp).finish());
        }
        lp.push(it);
    }
    if lp.count() > 0 {
        nodes.push(lp.finish());
    }
    nodes
}

/// The shortest length encoding.
pub fn push_len(out: &mut Vec<u8>, n: u64) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push((n & 0xff) as u8);
    } else if let Ok(n32) = u32::try_from(n) {
        out.push(0x80);
        out.extend_from_slice(&n32.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A string as `rdbSaveRawString` writes it: integer, LZF or raw.
pub fn push_string(out: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= 11
        && let Some(v) = parse_i64(s)
    {
        if let Ok(v8) = i8::try_from(v) {
            out.extend_from_slice(&[0xC0, v8 as u8]);
            return;
        } else if let Ok(v16) = i16::try_from(v) {
            out.push(0xC1);
            out.extend_from_slice(&v16.to_le_bytes());
            return;
        } else if let Ok(v32) = i32::try_from(v) {
            out.push(0xC2);
            out.extend_from_slice(&v32.to_le_bytes());
            return;
        }
    }
    if compression
        && s.len() > 20
        && let Some(c) = lzf::compress(s, s.len() - 4)
    {
        out.push(0xC3);
        push_len(out, c.len() as u64);
        push_len(out, s.len() as u64);
        out.extend_from_slice(&c);
        return;
    }
    push_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Write whole databases (index = db number; empty dbs are skipped), Redis's `rdbSave`.
pub fn write_dbs<W: Write>(out: W, dbs: &[Db], opts: &WriteOptions) -> std::io::Result<W> {
    let mut w = RdbWriter::new(out, opts)?;
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i as u32, db.len() as u64, db.expires_len() as u64)?;
        for (key, entry) in db.dict.iter() {
            let meta = KeyMeta { expire_ms: db.get_expire(key), ..KeyMeta::default() };
            w.write_key(key, entry.value(), meta)?;
        }
    }
    w.finish()
}
