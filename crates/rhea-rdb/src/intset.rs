//! Intset blobs (RDB type 11): `<u32 LE width 2|4|8> <u32 LE n> <n × intN LE>`,
//! strictly ascending. The encoder picks the narrowest width that holds every member.

/// Encode sorted, distinct `values`.
pub fn encode(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for &v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decode and validate an intset blob (width, size, ascending order, non-empty).
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, &'static str> {
    if blob.len() < 8 {
        return Err("intset shorter than its header");
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset has an invalid encoding");
    }
    let n = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if n == 0 {
        return Err("intset is empty");
    }
    if (blob.len() - 8) / width != n || !(blob.len() - 8).is_multiple_of(width) {
        return Err("intset size does not match its length");
    }
    let mut out = Vec::with_capacity(n);
    for chunk in blob[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(chunk);
                i64::from_le_bytes(a)
            }
        };
        if out.last().is_some_and(|&last| last >= v) {
            return Err("intset is not strictly ascending");
        }
        out.push(v);
    }
    Ok(out)
}
