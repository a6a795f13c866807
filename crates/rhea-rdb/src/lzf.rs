//! LZF, the compressor Redis uses for long strings in RDB files (liblzf's format).
//!
//! ```text
//! 000LLLLL <L+1 literal bytes>                     literal run, 1..=32 bytes
//! LLLooooo oooooooo                                back reference, L in 1..=6: copy L+2
//! 111ooooo LLLLLLLL oooooooo                       back reference: copy L+9
//!          distance = (o + 1), may overlap the bytes being produced
//! ```
//!
//! The compressor follows liblzf's choices where they are visible in the output (a
//! reference never points at input offset 0, and a match stops two bytes short of the
//! end), so `100 × 'a'` gives the same bytes as Redis. Other inputs may differ from
//! liblzf in which matches are found; any output here decodes with liblzf's `lzf_d`.

const HASH_LOG: u32 = 14;
const MAX_LIT: usize = 32;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn hash3(b: &[u8]) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize
}

fn flush_literals(out: &mut Vec<u8>, lits: &[u8]) {
    for chunk in lits.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Compress `input`; `None` if the result would be longer than `max_out` bytes (Redis
/// passes `len - 4`, so compression must save at least four bytes) or input is empty.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 {
        return None;
    }
    let mut table = vec![0usize; 1 << HASH_LOG];
    let mut out = Vec::with_capacity(n.min(max_out) + 8);
    let mut lit_start = 0;
    let mut ip = 0;
    while ip + 2 < n {
        let h = hash3(&input[ip..]);
        let cand = table[h];
        table[h] = ip;
        // Position 0 is never a reference (liblzf's `ref > in_data`).
        if cand > 0 && ip - cand - 1 < MAX_OFF && input[cand..cand + 3] == input[ip..ip + 3] {
            let maxlen = (n - ip - 2).min(MAX_REF);
            let mut len = 2;
            loop {
                len += 1;
                if len >= maxlen || input[cand + len] != input[ip + len] {
                    break;
                }
            }
            flush_literals(&mut out, &input[lit_start..ip]);
            let off = ip - cand - 1;
            let l = len - 2;
            if l < 7 {
                out.push(((l << 5) | (off >> 8)) as u8);
            } else {
                out.push(((7 << 5) | (off >> 8)) as u8);
                out.push((l - 7) as u8);
            }
            out.push((off & 0xff) as u8);
            ip += len;
            lit_start = ip;
            if out.len() > max_out {
                return None;
            }
            for p in [ip.saturating_sub(2), ip.saturating_sub(1)] {
                if p > 0 && p + 2 < n {
                    table[hash3(&input[p..])] = p;
                }
            }
        } else {
            ip += 1;
        }
    }
    flush_literals(&mut out, &input[lit_start..]);
    (out.len() <= max_out).then_some(out)
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
