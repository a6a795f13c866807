//! Popping the extremes of sorted sets (`t_zset.c` `genericZpopCommand` and friends):
//! ZPOPMIN, ZPOPMAX, ZMPOP, and the blocking BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! Reply shapes, exactly as 7.0 builds them:
//!
//! | command                     | RESP2                    | RESP3                      |
//! |-----------------------------|--------------------------|----------------------------|
//! | ZPOPMIN k                   | `[m, s]`                 | `[m, s]`                   |
//! | ZPOPMIN k n                 | `[m, s, m, s…]`          | `[[m, s]…]`                |
//! | BZPOPMIN k… t               | `[k, m, s]`              | `[k, m, s]`                |
//! | ZMPOP / BZMPOP              | `[k, [[m, s]…]]`         | `[k, [[m, s]…]]`           |
//!
//! Nothing to pop: an empty array for ZPOP*, a null array for ZMPOP and for a blocking
//! command that times out (or runs inside MULTI, where it cannot block).
//!
//! Blocking: with nothing to pop the client is blocked on its keys through
//! [`Ctx::block`]; when one of them becomes a sorted set the engine runs the command
//! again, which pops or blocks again with its first deadline.
//!
//! ## Caveats
//! 7.0 serves a blocked client in place from the key that became ready; we re-run the
//! command. On a retry, keys of another type are skipped rather than failing (7.0 only
//! serves from the zset that became ready), and a client blocked on several keys that
//! become ready in one transaction is served from the first of its keys in argument
//! order rather than the first one signalled.

use bytes::Bytes;
use rhea_resp::{Protocol, Reply};

use super::args::{self, Mpop, SYNTAX_ERR, is, ranged_arg};
use super::zsets::zset_write;
use crate::engine::ctx::{Ctx, blocking_deadline};
use crate::tri;

/// Which end to pop from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Min,
    Max,
}

impl End {
    fn event(self) -> &'static str {
        match self {
            End::Min => "zpopmin",
            End::Max => "zpopmax",
        }
    }
}

/// The reply layout of one pop (`emitkey` / `use_nested_array` in Redis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// Lead with the key name (blocking pops, ZMPOP).
    emitkey: bool,
    /// `[m, s]` pairs in their own arrays.
    nested: bool,
}

/// `genericZpopCommand` on the first existing key among `keys`. `count` is None for a
/// plain single pop. A wrong-typed first existing key fails the command unless
/// `skip_wrongtype` (retries of blocked commands). Returns None when no key exists.
fn zpop(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: Option<i64>,
    shape: Shape,
    skip_wrongtype: bool,
) -> Option<Reply> {
    for key in keys {
        let z = match zset_write(ctx, key) {
            Ok(Some(z)) => z,
            Ok(None) => continue,
            Err(_) if skip_wrongtype => continue,
            Err(e) => return Some(e),
        };
        if count == Some(0) {
            return Some(Reply::Array(vec![]));
        }
        let n = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
        let popped = match end {
            End::Min => z.pop_min(n),
            End::Max => z.pop_max(n),
        };
        ctx.dirty(popped.len() as u64);
        ctx.notify('z', end.event(), key);
        ctx.modified(key);
        if ctx.delete_if_empty(key) {
            ctx.notify('g', "del", key);
        }
        let items: Vec<Reply> = if shape.nested {
            popped
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect()
        } else {
            popped.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)]).collect()
        };
        return Some(match (shape.emitkey, shape.nested) {
            (false, _) => Reply::Array(items),
            (true, false) => {
                Reply::Array(std::iter::once(Reply::Bulk(key.clone())).chain(items).collect())
            }
            (true, true) => Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(items)]),
        });
    }
    None
}

pub fn zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    zpop_minmax(ctx, args, End::Min)
}

pub fn zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    zpop_minmax(ctx, args, End::Max)
}

/// `ZPOPMIN|ZPOPMAX key [count]`: flat in RESP2 or without a count, nested pairs in RESP3
/// with one.
fn zpop_minmax(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> Reply {
    if args.len() > 3 {
        return Reply::err(SYNTAX_ERR);
    }
    let count = match args.get(2) {
        Some(a) => Some(tri!(ranged_arg(a, 0, "value is out of range, must be positive"))),
        None => None,
    };
    let nested = ctx.proto() == Protocol::Resp3 && count.is_some();
    let shape = Shape { emitkey: false, nested };
    zpop(ctx, &args[1..2], end, count, shape, false).unwrap_or(Reply::Array(vec![]))
}

/// ZMPOP/BZMPOP arguments: the shared MPOP grammar with MIN|MAX.
pub fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<Mpop<End>, Reply> {
    args::parse_mpop(args, numkeys_idx, |a| {
        if is(a, "min") {
            Ok(End::Min)
        } else if is(a, "max") {
            Ok(End::Max)
        } else {
            Err(Reply::err(SYNTAX_ERR))
        }
    })
}

const MPOP_SHAPE: Shape = Shape { emitkey: true, nested: true };
const BZPOP_SHAPE: Shape = Shape { emitkey: true, nested: false };

pub fn zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let m = tri!(parse_mpop(args, 1));
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    zpop(ctx, keys, m.end, Some(m.count), MPOP_SHAPE, false).unwrap_or(Reply::NullArray)
}

// ===== blocking =====

/// Parse a timeout (`ctx::blocking_deadline`, 7.0's rules); a retried command keeps the
/// deadline it first blocked with.
fn deadline(ctx: &Ctx<'_>, arg: &[u8]) -> Result<Option<i64>, Reply> {
    let d = blocking_deadline(arg, ctx.now_ms())?;
    Ok(ctx.srv.retry_deadline.unwrap_or(d))
}

/// `blockingGenericZpopCommand` after the timeout was parsed: pop from the first
/// non-empty sorted set among `keys`, else block on them (duplicates dropped, as
/// `blockForKeys` does) or, inside MULTI, time out at once.
fn bzpop_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    keys: &[Bytes],
    end: End,
    count: Option<i64>,
    shape: Shape,
    deadline: Option<i64>,
) -> Reply {
    let retry = ctx.srv.retry_deadline.is_some();
    let order = ctx.ready_first(keys);
    if let Some(r) = zpop(ctx, &order, end, count, shape, retry) {
        return r;
    }
    if ctx.in_multi() {
        return Reply::NullArray;
    }
    let mut uniq: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !uniq.contains(k) {
            uniq.push(k.clone());
        }
    }
    ctx.block(uniq, deadline, Reply::NullArray, args)
}

pub fn bzpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    bzpop(ctx, args, End::Min)
}

pub fn bzpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    bzpop(ctx, args, End::Max)
}

/// `BZPOPMIN|BZPOPMAX key… timeout`: the timeout is parsed before any key is looked at.
fn bzpop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> Reply {
    let deadline = tri!(deadline(ctx, &args[args.len() - 1]));
    let keys = &args[1..args.len() - 1];
    bzpop_generic(ctx, args, keys, end, None, BZPOP_SHAPE, deadline)
}

/// `BZMPOP timeout numkeys key… MIN|MAX [COUNT n]`: ZMPOP's arguments are checked
/// first, then the timeout.
pub fn bzmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let m = tri!(parse_mpop(args, 2));
    let deadline = tri!(deadline(ctx, &args[1]));
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    bzpop_generic(ctx, args, keys, m.end, Some(m.count), MPOP_SHAPE, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    #[test]
    fn mpop_parsing() {
        let m = parse_mpop(&argv("ZMPOP 2 a b MAX COUNT 3"), 1).unwrap();
        assert_eq!(m, Mpop { first_key: 2, numkeys: 2, end: End::Max, count: 3 });
        let m = parse_mpop(&argv("BZMPOP 0 1 a min"), 2).unwrap();
        assert_eq!(m, Mpop { first_key: 3, numkeys: 1, end: End::Min, count: 1 });
        let err = |s: &str| parse_mpop(&argv(s), 1).unwrap_err();
        assert_eq!(err("ZMPOP 0 a MIN"), Reply::err("ERR numkeys should be greater than 0"));
        assert_eq!(err("ZMPOP x a MIN"), Reply::err("ERR numkeys should be greater than 0"));
        assert_eq!(err("ZMPOP 9223372036854775807 a MIN"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("ZMPOP 1 a LEFT"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("ZMPOP 1 a MIN COUNT 0"), Reply::err("ERR count should be greater than 0"));
        assert_eq!(err("ZMPOP 1 a MIN COUNT 1 COUNT 1"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("ZMPOP 1 a MIN COUNT"), Reply::err(SYNTAX_ERR));
    }
}
