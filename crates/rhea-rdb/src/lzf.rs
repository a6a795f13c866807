//! LZF, the compressor Redis uses for long strings in RDB files (liblzf's format).
//!
//! ```text
//! 000LLLLL <L+1 literal bytes>                     literal run, 1..=32 bytes
//! LLLooooo oooooooo                                back reference, L in 1..=6: copy L+2
//! 111ooooo LLLLLLLL oooooooo                       back reference: copy L+9
//!          distance = (o + 1), may overlap the bytes being produced
//! ```
//!
//! The compressor reproduces liblzf's match search as Redis builds it, so its output is
//! byte-identical to Redis's (tested against real `SAVE` output). One residual
//! difference: liblzf leaves its hash table uninitialised, so Redis may rarely find a
//! match through a stale slot that a zeroed table does not; both outputs are valid.

const HASH_LOG: u32 = 16;
const MAX_LIT: usize = 32;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// liblzf's "very fast" slot function over the rolling 32-bit history `h`.
fn slot(h: u32) -> usize {
    ((h >> (24 - HASH_LOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HASH_LOG) - 1)) as usize
}

/// Compress `input` into at most `out_len` bytes, or `None` if it does not fit (Redis
/// passes `len - 4`, so compression must save at least four bytes) or input is empty.
///
/// Mirrors liblzf's `lzf_compress` as Redis builds it (16-bit hash, "very fast" mode:
/// the two positions before a match's end are re-hashed), including its conservative
/// output-space checks, so the bytes equal Redis's for the same input.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    TABLE.with(|cell| {
        let mut t = cell.borrow_mut();
        let base = t.base;
        t.base += input.len() as u64 + 1;
        compress_with(input, out_len, &mut Table { slots: &mut t.slots, base })
    })
}

/// The 64K-slot hash table, kept per thread between calls: zeroing 512 KiB for every
/// string dominated the time of a save. Instead every call gets a fresh `base`, and a
/// slot holding a value at or below it is empty (an entry of an earlier string).
struct Reused {
    slots: Vec<u64>,
    base: u64,
}

thread_local! {
    static TABLE: std::cell::RefCell<Reused> =
        std::cell::RefCell::new(Reused { slots: vec![0; 1 << HASH_LOG], base: 0 });
}

struct Table<'a> {
    slots: &'a mut [u64],
    base: u64,
}

impl Table<'_> {
    /// Position + 1 stored in `slot` by this call, 0 if empty (liblzf: `ref > in_data`).
    fn get(&self, slot: usize) -> usize {
        let raw = self.slots[slot];
        if raw > self.base { (raw - self.base) as usize } else { 0 }
    }

    fn set(&mut self, slot: usize, pos_plus_one: usize) {
        self.slots[slot] = self.base + pos_plus_one as u64;
    }
}

/// Append one literal byte to the open run; a full run (32 bytes) gets its control
/// byte and the next run's control byte is reserved.
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    out[*op] = byte;
    *op += 1;
    *lit += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

fn compress_with(input: &[u8], out_len: usize, table: &mut Table<'_>) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out = vec![0u8; out_len + 4];
    let mut op = 1; // byte 0 is the first literal run's control byte
    let mut lit = 0usize;
    let mut ip = 0usize;
    let byte = |i: usize| u32::from(input[i]);
    let mut hval = if n >= 2 { (byte(0) << 8) | byte(1) } else { 0 };
    while ip + 2 < n {
        hval = (hval << 8) | byte(ip + 2);
        let s = slot(hval);
        let r = table.get(s);
        table.set(s, ip + 1);
        let matched = r > 1 && {
            let r = r - 1;
            ip - r - 1 < MAX_OFF && input[r..r + 3] == input[ip..ip + 3]
        };
        if matched {
            let r = r - 1;
            let off = ip - r - 1;
            let maxlen = (n - ip - 2).min(MAX_REF);
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            if lit > 0 {
                out[op - lit - 1] = (lit - 1) as u8;
            } else {
                op -= 1;
            }
            let mut len = 2;
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            let l = len - 2;
            ip += 1;
            if l < 7 {
                out[op] = ((off >> 8) + (l << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (l - 7) as u8;
                op += 2;
            }
            out[op] = (off & 0xff) as u8;
            op += 2; // the reference's last byte, then the next run's control byte
            lit = 0;
            ip += l + 1;
            if ip + 2 >= n {
                break;
            }
            ip -= 2;
            hval = (byte(ip) << 8) | byte(ip + 1);
            for _ in 0..2 {
                hval = (hval << 8) | byte(ip + 2);
                table.set(slot(hval), ip + 1);
                ip += 1;
            }
        } else {
            if op >= out_len {
                return None;
            }
            push_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < n {
        push_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    if lit > 0 {
        out[op - lit - 1] = (lit - 1) as u8;
    } else {
        op -= 1;
    }
    out.truncate(op);
    Some(out)
}

/// Decompress `input`, which must expand to exactly `out_len` bytes. Never panics and
/// never allocates more than `out_len`; the caller caps `out_len` sensibly.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let len = ctrl + 1;
            if ip + len > input.len() {
                return Err("LZF literal run past the end of input");
            }
            if out.len() + len > out_len {
                return Err("LZF output longer than declared");
            }
            out.extend_from_slice(&input[ip..ip + len]);
            ip += len;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                let Some(&b) = input.get(ip) else { return Err("LZF truncated reference") };
                len += usize::from(b);
                ip += 1;
            }
            let Some(&lo) = input.get(ip) else { return Err("LZF truncated reference") };
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + usize::from(lo) + 1;
            if dist > out.len() {
                return Err("LZF reference before start of output");
            }
            let len = len + 2;
            if out.len() + len > out_len {
                return Err("LZF output longer than declared");
            }
            let start = out.len() - dist;
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err("LZF output shorter than declared");
    }
    Ok(out)
}
