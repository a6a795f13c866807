//! Set algebra over sorted sets (`t_zset.c` `zunionInterDiffGenericCommand`): ZUNION,
//! ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! Inputs may be sorted sets or plain sets (every member of a set scores 1). Missing
//! keys are empty inputs. WEIGHTS multiply each input's scores (a `0 * inf` product
//! counts as 0) and AGGREGATE SUM|MIN|MAX combines them (a SUM of `inf` and `-inf` is 0;
//! a NaN weighted value is ignored by MIN and MAX, as Redis's `<`/`>` tests ignore it).
//!
//! Floating-point sums depend on the order the inputs are visited, so it is Redis's:
//! for union and intersection the inputs are sorted by cardinality, smallest first
//! (a stable sort; glibc's `qsort` is a merge sort for arrays this small).
//!
//! The STORE forms build a skiplist and convert it back to a listpack when the result
//! fits `zset-max-listpack-*` (`zsetConvertToListpackIfNeeded`); an empty result deletes
//! the destination instead.

use std::collections::HashMap;

use bytes::Bytes;
use rhea_keyspace::set::Set;
use rhea_keyspace::zset::ZSet;
use rhea_keyspace::{Entry, Value};
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, is, ranged_arg};
use super::zsets::{collect_pairs, long_arg, parse_score, read_lookup, scored_reply};
use super::zsets_range::store_result;
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::tri;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// `zunionInterAggregate`.
    pub fn apply(self, target: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *target += val;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if val < *target {
                    *target = val;
                }
            }
            Aggregate::Max => {
                if val > *target {
                    *target = val;
                }
            }
        }
    }
}

/// Which command is running: decides the accepted options and the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// ZUNION / ZINTER / ZDIFF.
    Reply,
    /// The STORE forms.
    Store,
    /// ZINTERCARD.
    Card,
}

/// The options after the keys.
#[derive(Clone, Debug, PartialEq)]
pub struct AlgebraOpts {
    pub weights: Vec<f64>,
    pub aggregate: Aggregate,
    pub withscores: bool,
    /// ZINTERCARD's LIMIT; 0 means none.
    pub limit: i64,
}

/// One input: a sorted set, a set, or nothing (missing key).
#[derive(Clone, Copy)]
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a Set),
    None,
}

impl<'a> Src<'a> {
    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
            Src::None => 0,
        }
    }

    /// The member's score in this input (1 for a set member).
    fn find(&self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(member),
            Src::S(s) => s.contains(member).then_some(1.0),
            Src::None => None,
        }
    }

    /// Every (member, score) pair.
    fn pairs(&self) -> Vec<(Bytes, f64)> {
        match self {
            Src::Z(z) => collect_pairs(z.iter()),
            Src::S(s) => s.iter().map(|m| (m.to_bytes(), 1.0)).collect(),
            Src::None => Vec::new(),
        }
    }
}

/// The options of `zunionInterDiffGenericCommand` from `j` (just past the keys): WEIGHTS
/// needs one float per key, AGGREGATE one word; WITHSCORES only without a destination;
/// LIMIT only for ZINTERCARD. ZDIFF and ZINTERCARD take no WEIGHTS/AGGREGATE.
fn parse_opts(
    args: &[Bytes],
    mut j: usize,
    numkeys: usize,
    op: SetOp,
    mode: Mode,
) -> Result<AlgebraOpts, Reply> {
    let mut o = AlgebraOpts {
        weights: vec![1.0; numkeys],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let card = mode == Mode::Card;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != SetOp::Diff && !card && remaining > numkeys && is(a, "weights") {
            for (i, w) in args[j + 1..=j + numkeys].iter().enumerate() {
                o.weights[i] =
                    parse_score(w).ok_or_else(|| Reply::err("ERR weight value is not a float"))?;
            }
            j += 1 + numkeys;
        } else if op != SetOp::Diff && !card && remaining >= 2 && is(a, "aggregate") {
            let v = &args[j + 1];
            o.aggregate = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(Reply::err(SYNTAX_ERR));
            };
            j += 2;
        } else if mode == Mode::Reply && is(a, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && is(a, "limit") {
            o.limit = ranged_arg(&args[j + 1], 0, "LIMIT can't be negative")?;
            j += 2;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
    }
    Ok(o)
}

/// The computed result: a sorted set, or (ZINTERCARD) just a count.
enum Outcome {
    Set(ZSet),
    Card(usize),
}

/// `zunionInterDiffGenericCommand`. `numkeys_idx` is 1 for the reply forms and
/// ZINTERCARD, 2 for the STORE forms (whose destination is `args[1]`).
fn generic(ctx: &mut Ctx<'_>, args: &[Bytes], numkeys_idx: usize, op: SetOp, mode: Mode) -> Reply {
    let setnum = tri!(long_arg(&args[numkeys_idx]));
    if setnum < 1 {
        return Reply::err(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        ));
    }
    let first = numkeys_idx + 1;
    if setnum > (args.len() - first) as i64 {
        return Reply::err(SYNTAX_ERR);
    }
    let numkeys = setnum as usize;
    let keys = &args[first..first + numkeys];
    // Look every key up (with read statistics) and check its type before the options,
    // as Redis does.
    for k in keys {
        if read_lookup(ctx, k)
            && !matches!(ctx.peek(k).map(|e| e.value()), Some(Value::ZSet(_) | Value::Set(_)))
        {
            return Reply::err(WRONGTYPE);
        }
    }
    let o = tri!(parse_opts(args, first + numkeys, numkeys, op, mode));
    let outcome = {
        let db = &ctx.srv.dbs[ctx.client.db].dict;
        let srcs: Vec<Src<'_>> = keys
            .iter()
            .map(|k| match db.get(&k[..]).map(|e: &Entry| e.value()) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::S(s),
                _ => Src::None,
            })
            .collect();
        compute(&srcs, &o, op, mode)
    };
    match (mode, outcome) {
        (_, Outcome::Card(n)) => Reply::Int(n as i64),
        (Mode::Store, Outcome::Set(mut z)) => {
            let dst = &args[1];
            if z.is_empty() {
                if ctx.delete_key(dst) {
                    ctx.notify('g', "del", dst);
                    ctx.dirty(1);
                }
                return Reply::Int(0);
            }
            z.convert_to_listpack_if_fits(&ctx.srv.settings.encoding);
            let n = z.len();
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            store_result(ctx, dst, z, event);
            Reply::Int(n as i64)
        }
        (_, Outcome::Set(z)) => scored_reply(ctx.proto(), collect_pairs(z.iter()), o.withscores),
    }
}

/// The algebra itself, over borrowed inputs. The result is a skiplist, as Redis builds
/// it (a reply iterates it; a store converts it afterwards).
fn compute(srcs: &[Src<'_>], o: &AlgebraOpts, op: SetOp, mode: Mode) -> Outcome {
    let mut order: Vec<usize> = (0..srcs.len()).collect();
    if op != SetOp::Diff {
        order.sort_by_key(|&i| srcs[i].len());
    }
    let mut dst = ZSet::new_skiplist();
    // A skiplist never converts on insert, so the limits passed below do not matter.
    let limits = rhea_keyspace::limits::EncodingLimits::default();
    match op {
        SetOp::Inter => {
            let head = srcs[order[0]];
            let mut card = 0;
            if head.len() > 0 {
                for (m, s) in head.pairs() {
                    let mut score = o.weights[order[0]] * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let everywhere = order[1..].iter().all(|&j| match srcs[j].find(&m) {
                        Some(v) => {
                            o.aggregate.apply(&mut score, v * o.weights[j]);
                            true
                        }
                        None => false,
                    });
                    if !everywhere {
                        continue;
                    }
                    if mode == Mode::Card {
                        card += 1;
                        if o.limit > 0 && card >= o.limit as usize {
                            break;
                        }
                    } else {
                        dst.insert(m, score, &limits);
                    }
                }
            }
            if mode == Mode::Card {
                return Outcome::Card(card);
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            for &i in &order {
                for (m, s) in srcs[i].pairs() {
                    let mut score = o.weights[i] * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => o.aggregate.apply(t, score),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            for (m, s) in acc {
                dst.insert(m, s, &limits);
            }
        }
        SetOp::Diff => {
            let head = srcs[0];
            for (m, s) in head.pairs() {
                if !srcs[1..].iter().any(|src| src.find(&m).is_some()) {
                    dst.insert(m, s, &limits);
                }
            }
        }
    }
    Outcome::Set(dst)
}

pub fn zunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 2, SetOp::Union, Mode::Store)
}

pub fn zinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 2, SetOp::Inter, Mode::Store)
}

pub fn zdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 2, SetOp::Diff, Mode::Store)
}

pub fn zunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 1, SetOp::Union, Mode::Reply)
}

pub fn zinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 1, SetOp::Inter, Mode::Reply)
}

pub fn zdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 1, SetOp::Diff, Mode::Reply)
}

pub fn zintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    generic(ctx, args, 1, SetOp::Inter, Mode::Card)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    fn zset(pairs: &[(&str, f64)]) -> ZSet {
        let limits = rhea_keyspace::limits::EncodingLimits::default();
        let mut z = ZSet::new();
        for (m, s) in pairs {
            z.insert(Bytes::copy_from_slice(m.as_bytes()), *s, &limits);
        }
        z
    }

    fn result(o: Outcome) -> Vec<(String, f64)> {
        match o {
            Outcome::Set(z) => {
                z.iter().map(|(m, s)| (String::from_utf8(m.to_vec()).unwrap(), s)).collect()
            }
            Outcome::Card(_) => panic!("expected a set"),
        }
    }

    fn opts(aggregate: Aggregate, weights: Vec<f64>) -> AlgebraOpts {
        AlgebraOpts { weights, aggregate, withscores: false, limit: 0 }
    }

    #[test]
    fn aggregate_rules() {
        let mut t = f64::INFINITY;
        Aggregate::Sum.apply(&mut t, f64::NEG_INFINITY);
        assert_eq!(t, 0.0);
        let mut t = 1.0;
        Aggregate::Min.apply(&mut t, f64::NAN);
        assert_eq!(t, 1.0);
        Aggregate::Max.apply(&mut t, 3.0);
        assert_eq!(t, 3.0);
    }

    #[test]
    fn union_inter_diff() {
        let a = zset(&[("x", 1.0), ("y", 2.0)]);
        let b = zset(&[("y", 10.0), ("z", 5.0)]);
        let srcs = [Src::Z(&a), Src::Z(&b), Src::None];
        let sum = opts(Aggregate::Sum, vec![1.0, 2.0, 1.0]);
        let u = result(compute(&srcs, &sum, SetOp::Union, Mode::Reply));
        assert_eq!(u, vec![("x".into(), 1.0), ("z".into(), 10.0), ("y".into(), 22.0)]);
        let i = result(compute(&srcs[..2], &sum, SetOp::Inter, Mode::Reply));
        assert_eq!(i, vec![("y".into(), 22.0)]);
        assert!(result(compute(&srcs, &sum, SetOp::Inter, Mode::Reply)).is_empty());
        let d = result(compute(&srcs, &sum, SetOp::Diff, Mode::Reply));
        assert_eq!(d, vec![("x".into(), 1.0)]);
        let max = opts(Aggregate::Max, vec![1.0, 1.0]);
        assert_eq!(
            result(compute(&srcs[..2], &max, SetOp::Inter, Mode::Reply)),
            vec![("y".into(), 10.0)]
        );
        match compute(
            &srcs[..2],
            &AlgebraOpts { limit: 1, ..sum.clone() },
            SetOp::Inter,
            Mode::Card,
        ) {
            Outcome::Card(n) => assert_eq!(n, 1),
            Outcome::Set(_) => panic!(),
        }
    }

    #[test]
    fn sets_score_one_and_nan_products_are_zero() {
        let limits = rhea_keyspace::limits::EncodingLimits::default();
        let mut s = Set::new_intset();
        s.insert(Bytes::from_static(b"7"), &limits);
        let z = zset(&[("7", f64::INFINITY)]);
        let srcs = [Src::S(&s), Src::Z(&z)];
        let u = result(compute(
            &srcs,
            &opts(Aggregate::Sum, vec![1.0, 0.0]),
            SetOp::Union,
            Mode::Reply,
        ));
        assert_eq!(u, vec![("7".into(), 1.0)]);
    }

    #[test]
    fn option_parsing() {
        let a = argv("ZUNION 2 a b WEIGHTS 1 2 AGGREGATE max WITHSCORES");
        let o = parse_opts(&a, 4, 2, SetOp::Union, Mode::Reply).unwrap();
        assert_eq!(o.weights, vec![1.0, 2.0]);
        assert_eq!(o.aggregate, Aggregate::Max);
        assert!(o.withscores);
        let err = |s: &str, op, mode| parse_opts(&argv(s), 4, 2, op, mode).unwrap_err();
        assert_eq!(
            err("ZUNION 2 a b WEIGHTS 1", SetOp::Union, Mode::Reply),
            Reply::err(SYNTAX_ERR)
        );
        assert_eq!(
            err("ZUNION 2 a b WEIGHTS 1 x", SetOp::Union, Mode::Reply),
            Reply::err("ERR weight value is not a float")
        );
        assert_eq!(
            err("ZUNION 2 a b AGGREGATE avg", SetOp::Union, Mode::Reply),
            Reply::err(SYNTAX_ERR)
        );
        assert_eq!(
            err("ZDIFF 2 a b WEIGHTS 1 2", SetOp::Diff, Mode::Reply),
            Reply::err(SYNTAX_ERR)
        );
        assert_eq!(
            err("ZUNIONSTORE 2 a b WITHSCORES", SetOp::Union, Mode::Store),
            Reply::err(SYNTAX_ERR)
        );
        assert_eq!(
            err("ZINTERCARD 2 a b LIMIT -1", SetOp::Inter, Mode::Card),
            Reply::err("ERR LIMIT can't be negative")
        );
    }
}
