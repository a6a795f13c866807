//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (`lcsCommand`, 7.0).
//!
//! The classic O(n·m) dynamic-programming table, then a walk back from the end that
//! rebuilds the common subsequence and, for IDX, the matching ranges from last to first
//! — the order Redis reports them in.

use bytes::Bytes;
use rhea_keyspace::Value;
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, int_arg, is};
use super::keys::{Read, lookup_read};
use crate::engine::ctx::Ctx;
use crate::tri;

/// One matching range: positions in the first and second string, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub a: (usize, usize),
    pub b: (usize, usize),
}

impl Match {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// The common subsequence and its matching ranges (ranges only when `want_ranges`).
pub fn compute(a: &[u8], b: &[u8], want_ranges: bool) -> (Vec<u8>, Vec<Match>) {
    let (alen, blen) = (a.len(), b.len());
    let w = blen + 1;
    let mut t = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let mut idx = t[alen * w + blen] as usize;
    let mut out = vec![0u8; idx];
    let mut ranges = Vec::new();
    // `None` plays the role of Redis's "arange_start == alen" (no range open).
    let mut cur: Option<Match> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            out[idx - 1] = a[i - 1];
            match cur.as_mut() {
                None => cur = Some(Match { a: (i - 1, i - 1), b: (j - 1, j - 1) }),
                // Extend the open range backwards while it stays contiguous.
                Some(m) if m.a.0 == i && m.b.0 == j => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                }
                Some(_) => emit = true,
            }
            if cur.is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = cur.is_some();
        }
        if emit
            && let Some(m) = cur.take()
            && want_ranges
        {
            ranges.push(m);
        }
    }
    (out, ranges)
}

pub fn lcs(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut strings = Vec::with_capacity(2);
    let mut wrong_type = false;
    for key in &args[1..3] {
        match lookup_read(ctx, key, Read::Normal).map(|e| e.value()) {
            None => strings.push(Bytes::new()),
            Some(Value::Str(s)) => strings.push(s.to_bytes()),
            Some(_) => wrong_type = true,
        }
    }
    if wrong_type {
        return Reply::err("ERR The specified keys must contain string values");
    }
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let a = &args[j];
        if is(a, "idx") {
            getidx = true;
        } else if is(a, "len") {
            getlen = true;
        } else if is(a, "withmatchlen") {
            withmatchlen = true;
        } else if is(a, "minmatchlen") && j + 1 < args.len() {
            minmatchlen = tri!(int_arg(&args[j + 1])).max(0);
            j += 1;
        } else {
            return Reply::err(SYNTAX_ERR);
        }
        j += 1;
    }
    if getlen && getidx {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    let (a, b) = (&strings[0], &strings[1]);
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Reply::err("ERR String too long for LCS");
    }
    let table_bytes = (a.len() as u128 + 1) * (b.len() as u128 + 1) * 4;
    let max = ctx.srv.shared.max_bulk_len.load(std::sync::atomic::Ordering::Relaxed);
    if table_bytes > max.max(0) as u128 {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    let (common, ranges) = compute(a, b, getidx);
    if getidx {
        let pos =
            |(s, e): (usize, usize)| Reply::Array(vec![Reply::Int(s as i64), Reply::Int(e as i64)]);
        let matches = ranges
            .iter()
            .filter(|m| minmatchlen == 0 || m.len() as i64 >= minmatchlen)
            .map(|m| {
                let mut item = vec![pos(m.a), pos(m.b)];
                if withmatchlen {
                    item.push(Reply::Int(m.len() as i64));
                }
                Reply::Array(item)
            })
            .collect();
        return Reply::Map(vec![
            (Reply::bulk_str("matches"), Reply::Array(matches)),
            (Reply::bulk_str("len"), Reply::Int(common.len() as i64)),
        ]);
    }
    if getlen {
        return Reply::Int(common.len() as i64);
    }
    Reply::Bulk(Bytes::from(common))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_doc_example() {
        let (s, ranges) = compute(b"ohmytext", b"mynewtext", true);
        assert_eq!(s, b"mytext");
        assert_eq!(ranges, vec![Match { a: (4, 7), b: (5, 8) }, Match { a: (2, 3), b: (0, 1) }]);
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(compute(b"", b"abc", true), (vec![], vec![]));
        assert_eq!(compute(b"abc", b"xyz", true).0, b"");
    }
}
