//! Range reads and removals of sorted sets (`t_zset.c` `zrangeGenericCommand`,
//! `zremrangeGenericCommand`): ZRANGE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES, its older
//! spellings ZREVRANGE, Z[REV]RANGEBYSCORE and Z[REV]RANGEBYLEX, ZRANGESTORE, and
//! ZREMRANGEBYRANK/SCORE/LEX.
//!
//! Argument handling follows 7.0's order exactly, because the first error wins: options
//! (with LIMIT's integers) → option conflicts → the range itself → the key.
//!
//! LIMIT quirks kept from Redis's loops: a negative offset walks off the end (empty
//! result), a negative count means "no limit".

use bytes::Bytes;
use rhea_keyspace::Value;
use rhea_keyspace::zset::{ZSet, normalize_rank_range};
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, is};
use super::zsets::{
    collect_pairs, drop_if_empty, lex_range_arg, long_arg, score_range_arg, scored_reply,
    zset_read, zset_write,
};
use crate::engine::ctx::Ctx;
use crate::tri;

/// What the range arguments mean (`zrange_type`); `Auto` until an option decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// `zrange_direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Parsed options of a ZRANGE-family command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeOpts {
    pub kind: RangeType,
    pub reverse: bool,
    pub withscores: bool,
    pub offset: i64,
    /// -1 when LIMIT was not given (or given with a negative count).
    pub limit: i64,
}

/// Step 1 of `zrangeGenericCommand`: the options after `<src> <min> <max>`, then the
/// conflict checks. `first` is the index of the first option; `store` forbids WITHSCORES.
pub fn parse_range_opts(
    args: &[Bytes],
    first: usize,
    store: bool,
    mut kind: RangeType,
    mut dir: Direction,
) -> Result<RangeOpts, Reply> {
    let mut withscores = false;
    let (mut offset, mut limit) = (0, -1);
    let mut j = first;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = long_arg(&args[j + 1])?;
            limit = long_arg(&args[j + 2])?;
            j += 2;
        } else if dir == Direction::Auto && is(a, "rev") {
            dir = Direction::Reverse;
        } else if kind == RangeType::Auto && is(a, "bylex") {
            kind = RangeType::Lex;
        } else if kind == RangeType::Auto && is(a, "byscore") {
            kind = RangeType::Score;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
        j += 1;
    }
    if kind == RangeType::Auto {
        kind = RangeType::Rank;
    }
    if limit != -1 && kind == RangeType::Rank {
        return Err(Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == RangeType::Lex {
        return Err(Reply::err(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    Ok(RangeOpts { kind, reverse: dir == Direction::Reverse, withscores, offset, limit })
}

/// A parsed range (step 2).
enum Spec {
    Rank(i64, i64),
    Score(rhea_keyspace::zset::ScoreRange),
    Lex(rhea_keyspace::zset::LexRange),
}

/// Step 2: parse `<min> <max>` (given as `<max> <min>` for reversed score/lex ranges).
fn parse_spec(o: &RangeOpts, a: &[u8], b: &[u8]) -> Result<Spec, Reply> {
    let (min, max) = if o.reverse && o.kind != RangeType::Rank { (b, a) } else { (a, b) };
    Ok(match o.kind {
        RangeType::Auto | RangeType::Rank => Spec::Rank(long_arg(min)?, long_arg(max)?),
        RangeType::Score => Spec::Score(score_range_arg(min, max)?),
        RangeType::Lex => Spec::Lex(lex_range_arg(min, max)?),
    })
}

/// Map Redis's LIMIT to the keyspace's window: `None` when nothing can be returned.
fn window(o: &RangeOpts) -> Option<(usize, Option<usize>)> {
    if o.offset < 0 {
        return None;
    }
    let offset = usize::try_from(o.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(o.limit).ok();
    Some((offset, limit))
}

/// Step 4: the selected members with their scores, in reply order.
fn select(z: &ZSet, o: &RangeOpts, spec: &Spec) -> Vec<(Bytes, f64)> {
    match spec {
        Spec::Rank(start, end) => match normalize_rank_range(*start, *end, z.len()) {
            Some((s, e)) => collect_pairs(z.range_by_rank(s, e, o.reverse)),
            None => Vec::new(),
        },
        Spec::Score(range) => match window(o) {
            Some((offset, limit)) => {
                collect_pairs(z.range_by_score(range, o.reverse, offset, limit))
            }
            None => Vec::new(),
        },
        Spec::Lex(range) => match window(o) {
            Some((offset, limit)) => collect_pairs(z.range_by_lex(range, o.reverse, offset, limit)),
            None => Vec::new(),
        },
    }
}

/// `zrangeGenericCommand` for the commands that reply to the client. `key_idx` is the
/// source key's position; its min/max follow it.
fn range_reply(ctx: &mut Ctx<'_>, args: &[Bytes], kind: RangeType, dir: Direction) -> Reply {
    let o = tri!(parse_range_opts(args, 4, false, kind, dir));
    let spec = tri!(parse_spec(&o, &args[2], &args[3]));
    let proto = ctx.proto();
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => scored_reply(proto, select(z, &o, &spec), o.withscores),
        None => Reply::Array(vec![]),
    }
}

pub fn zrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Auto, Direction::Auto)
}

pub fn zrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Rank, Direction::Reverse)
}

pub fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Score, Direction::Forward)
}

pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Score, Direction::Reverse)
}

pub fn zrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Lex, Direction::Forward)
}

pub fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    range_reply(ctx, args, RangeType::Lex, Direction::Reverse)
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`. The result
/// is built member by member as ZADD would (converting once it outgrows the limits); an
/// empty result deletes `dst`.
pub fn zrangestore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = tri!(parse_range_opts(args, 5, true, RangeType::Auto, Direction::Auto));
    let spec = tri!(parse_spec(&o, &args[3], &args[4]));
    let items = match tri!(zset_read(ctx, &args[2])) {
        Some(z) => select(z, &o, &spec),
        None => Vec::new(),
    };
    let dst = &args[1];
    if items.is_empty() {
        if ctx.delete_key(dst) {
            ctx.notify('g', "del", dst);
            ctx.dirty(1);
        }
        return Reply::Int(0);
    }
    let limits = ctx.srv.settings.encoding;
    // `zrangeResultBeginStore`: a rank range knows its length up front, and one longer
    // than `zset-max-listpack-entries` is built as a skiplist from the start (so a `-0`
    // score survives); score and lex ranges start as a listpack.
    let hint = if matches!(spec, Spec::Rank(..)) { items.len() } else { 0 };
    let mut z = ZSet::with_hint(hint, 0, &limits);
    for (m, s) in items {
        z.insert(m, s, &limits);
    }
    let n = z.len();
    store_result(ctx, dst, z, "zrangestore");
    Reply::Int(n as i64)
}

/// `setKey` a non-empty result into `dst` (dropping its TTL), wake clients blocked on
/// it, announce `event`, count one change. `setKey` looks the destination up for
/// writing first, so an expired one is reclaimed (and announced) before the overwrite.
pub fn store_result(ctx: &mut Ctx<'_>, dst: &Bytes, z: ZSet, event: &str) {
    let _ = ctx.lookup(dst);
    ctx.set_key(dst, Value::ZSet(z), false);
    ctx.ready(dst);
    ctx.notify('z', event, dst);
    ctx.dirty(1);
}

// ===== ZREMRANGEBY* =====

pub fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let start = tri!(long_arg(&args[2]));
    let end = tri!(long_arg(&args[3]));
    remrange(ctx, &args[1], "zremrangebyrank", |z| {
        match normalize_rank_range(start, end, z.len()) {
            Some((s, e)) => z.remove_range_by_rank(s, e),
            None => 0,
        }
    })
}

pub fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let range = tri!(score_range_arg(&args[2], &args[3]));
    remrange(ctx, &args[1], "zremrangebyscore", |z| z.remove_range_by_score(&range))
}

pub fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let range = tri!(lex_range_arg(&args[2], &args[3]));
    remrange(ctx, &args[1], "zremrangebylex", |z| z.remove_range_by_lex(&range))
}

/// The lookup and bookkeeping half of `zremrangeGenericCommand`: the range was parsed
/// first; `remove` returns how many members went.
fn remrange(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    event: &str,
    remove: impl FnOnce(&mut ZSet) -> usize,
) -> Reply {
    let Some(z) = tri!(zset_write(ctx, key)) else { return Reply::Int(0) };
    let deleted = remove(z);
    if deleted > 0 {
        ctx.modified(key);
        ctx.notify('z', event, key);
        drop_if_empty(ctx, key);
    }
    ctx.dirty(deleted as u64);
    Reply::Int(deleted as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    fn opts(s: &str, kind: RangeType, dir: Direction) -> Result<RangeOpts, Reply> {
        parse_range_opts(&argv(s), 4, false, kind, dir)
    }

    #[test]
    fn zrange_options() {
        let o =
            opts("ZRANGE k 0 1 BYSCORE REV LIMIT 1 2 WITHSCORES", RangeType::Auto, Direction::Auto)
                .unwrap();
        assert_eq!(
            o,
            RangeOpts {
                kind: RangeType::Score,
                reverse: true,
                withscores: true,
                offset: 1,
                limit: 2
            }
        );
        let o = opts("ZRANGE k 0 1", RangeType::Auto, Direction::Auto).unwrap();
        assert_eq!(o.kind, RangeType::Rank);
        assert!(!o.reverse);
        let syntax = Err(Reply::err(SYNTAX_ERR));
        assert_eq!(opts("ZRANGE k 0 1 BYSCORE BYLEX", RangeType::Auto, Direction::Auto), syntax);
        assert_eq!(opts("ZRANGE k 0 1 REV REV", RangeType::Auto, Direction::Auto), syntax);
        assert_eq!(opts("ZRANGEBYSCORE k 0 1 REV", RangeType::Score, Direction::Forward), syntax);
        assert_eq!(opts("ZRANGE k 0 1 LIMIT 1", RangeType::Auto, Direction::Auto), syntax);
        assert_eq!(
            opts("ZRANGE k 0 1 LIMIT 0 1", RangeType::Auto, Direction::Auto),
            Err(Reply::err(
                "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
            ))
        );
        assert_eq!(
            opts("ZRANGEBYLEX k - + WITHSCORES", RangeType::Lex, Direction::Forward),
            Err(Reply::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"))
        );
        assert_eq!(
            opts("ZRANGE k 0 1 LIMIT x 1 BYSCORE", RangeType::Auto, Direction::Auto),
            Err(Reply::err(super::super::args::NOT_INTEGER))
        );
        // ZRANGESTORE: WITHSCORES is not an option at all.
        assert_eq!(
            parse_range_opts(
                &argv("ZRANGESTORE d k 0 1 WITHSCORES"),
                5,
                true,
                RangeType::Auto,
                Direction::Auto
            ),
            syntax
        );
    }

    #[test]
    fn limit_window_mapping() {
        let o = |offset, limit| RangeOpts {
            kind: RangeType::Score,
            reverse: false,
            withscores: false,
            offset,
            limit,
        };
        assert_eq!(window(&o(0, -1)), Some((0, None)));
        assert_eq!(window(&o(2, 3)), Some((2, Some(3))));
        assert_eq!(window(&o(-1, 3)), None);
        assert_eq!(window(&o(1, -5)), Some((1, None)));
    }
}
