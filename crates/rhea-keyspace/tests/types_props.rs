//! Property tests: random operation sequences on Hash, Set and ZSet, checked after every
//! step against a plain model (Vec / BTreeSet / BTreeMap) that also predicts the
//! encoding from Redis 7.0's rules. Limits are drawn small so that sequences cross the
//! conversion thresholds often.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use proptest::prelude::*;
use rhea_keyspace::hash::Hash;
use rhea_keyspace::limits::EncodingLimits;
use rhea_keyspace::set::Set;
use rhea_keyspace::zset::{LexBound, LexRange, ScoreRange, ZSet, normalize_rank_range};
use rhea_resp::number::parse_i64;

fn limits() -> impl Strategy<Value = EncodingLimits> {
    (0usize..6, 1usize..5, 0usize..8).prop_map(|(entries, value, ints)| EncodingLimits {
        hash_max_listpack_entries: entries,
        hash_max_listpack_value: value,
        set_max_intset_entries: ints,
        zset_max_listpack_entries: entries,
        zset_max_listpack_value: value,
    })
}

fn word() -> impl Strategy<Value = Bytes> {
    prop::sample::select(vec!["", "a", "b", "c", "ab", "abc", "bcd", "long!", "zzzzzz"])
        .prop_map(|s: &str| Bytes::from_static(s.as_bytes()))
}

fn scan_all<T>(mut step: impl FnMut(u64, &mut Vec<T>) -> u64) -> Vec<T> {
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = step(cursor, &mut out);
        if cursor == 0 {
            return out;
        }
    }
}

// ===== hash =====

#[derive(Clone, Debug)]
enum HashOp {
    Set(Bytes, Bytes),
    Remove(Bytes),
    TryConversion(Vec<Bytes>),
}

fn hash_op() -> impl Strategy<Value = HashOp> {
    prop_oneof![
        4 => (word(), word()).prop_map(|(f, v)| HashOp::Set(f, v)),
        2 => word().prop_map(HashOp::Remove),
        1 => prop::collection::vec(word(), 0..3).prop_map(HashOp::TryConversion),
    ]
}

proptest! {
    #[test]
    fn hash_matches_model(lim in limits(), ops in prop::collection::vec(hash_op(), 0..60)) {
        let mut h = Hash::new();
        let mut model: Vec<(Bytes, Bytes)> = Vec::new();
        let mut table = false;
        for op in ops {
            match op {
                HashOp::Set(f, v) => {
                    let max = lim.hash_max_listpack_value;
                    table |= f.len() > max || v.len() > max;
                    let new = match model.iter_mut().find(|(mf, _)| *mf == f) {
                        Some(slot) => { slot.1 = v.clone(); false }
                        None => { model.push((f.clone(), v.clone())); true }
                    };
                    table |= model.len() > lim.hash_max_listpack_entries;
                    prop_assert_eq!(h.set(f, v, &lim), new);
                }
                HashOp::Remove(f) => {
                    let pos = model.iter().position(|(mf, _)| *mf == f);
                    if let Some(i) = pos { model.remove(i); }
                    prop_assert_eq!(h.remove(&f), pos.is_some());
                }
                HashOp::TryConversion(args) => {
                    table |= args.iter().any(|a| a.len() > lim.hash_max_listpack_value);
                    h.try_conversion(&args, &lim);
                }
            }
            prop_assert_eq!(h.len(), model.len());
            prop_assert_eq!(h.encoding_name(), if table { "hashtable" } else { "listpack" });
            for (f, v) in &model {
                prop_assert_eq!(h.get(f), Some(v));
            }
            let mut got: Vec<_> = h.iter().map(|(f, v)| (f.clone(), v.clone())).collect();
            let mut scanned = scan_all(|c, out| h.scan(c, |f, v| out.push((f.clone(), v.clone()))));
            if table {
                let mut want = model.clone();
                want.sort();
                got.sort();
                scanned.sort();
                prop_assert_eq!(&got, &want);
            } else {
                prop_assert_eq!(&got, &model, "listpack keeps insertion order");
            }
            prop_assert_eq!(scanned, got);
        }
    }
}

// ===== set =====

#[derive(Clone, Debug)]
enum SetOp {
    Insert(Bytes),
    Remove(Bytes),
}

fn set_member() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        4 => (-5i64..12).prop_map(|i| Bytes::from(i.to_string())),
        1 => prop::sample::select(vec!["01", "+1", "-0", "x", "y", " 2"]).prop_map(|s: &str| Bytes::from_static(s.as_bytes())),
    ]
}

fn set_op() -> impl Strategy<Value = SetOp> {
    prop_oneof![3 => set_member().prop_map(SetOp::Insert), 1 => set_member().prop_map(SetOp::Remove)]
}

proptest! {
    #[test]
    fn set_matches_model(lim in limits(), ops in prop::collection::vec(set_op(), 1..60)) {
        let first = match &ops[0] { SetOp::Insert(m) | SetOp::Remove(m) => m.clone() };
        let mut s = Set::new_for(&first);
        let mut table = parse_i64(&first).is_none();
        let mut model: BTreeSet<Bytes> = BTreeSet::new();
        for op in ops {
            match op {
                SetOp::Insert(m) => {
                    table |= parse_i64(&m).is_none();
                    let new = model.insert(m.clone());
                    table |= model.len() > lim.set_max_intset_entries;
                    prop_assert_eq!(s.insert(m, &lim), new);
                }
                SetOp::Remove(m) => prop_assert_eq!(s.remove(&m), model.remove(&m)),
            }
            prop_assert_eq!(s.len(), model.len());
            prop_assert_eq!(s.encoding_name(), if table { "hashtable" } else { "intset" });
            for m in &model {
                prop_assert!(s.contains(m));
            }
            prop_assert!(!s.contains(b"not-there"));
            let got: Vec<Bytes> = s.iter().map(|m| m.to_bytes()).collect();
            let mut scanned = scan_all(|c, out| s.scan(c, |m| out.push(m.to_bytes())));
            let mut want: Vec<Bytes> = model.iter().cloned().collect();
            if table {
                let mut got = got;
                got.sort();
                scanned.sort();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(scanned, want);
            } else {
                want.sort_by_key(|m| parse_i64(m).expect("intset members are integers"));
                prop_assert_eq!(&got, &want, "intset iterates in numeric order");
                prop_assert_eq!(scanned, want, "intset scans whole, in order");
            }
        }
    }
}

// ===== sorted set =====

#[derive(Clone, Debug)]
enum ZOp {
    Insert(Bytes, f64),
    Update(Bytes, f64),
    Remove(Bytes),
    RemoveRank(i64, i64),
    RemoveScore(ScoreRange),
    RemoveLex(LexRange),
    PopMin(usize),
    PopMax(usize),
    ToListpack,
}

fn score() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![0.0, -0.0, 1.0, 1.5, 2.0, -3.0, f64::INFINITY, f64::NEG_INFINITY])
}

fn score_range() -> impl Strategy<Value = ScoreRange> {
    (score(), score(), any::<bool>(), any::<bool>())
        .prop_map(|(min, max, min_ex, max_ex)| ScoreRange { min, max, min_ex, max_ex })
}

fn lex_range() -> impl Strategy<Value = LexRange> {
    let bound = prop_oneof![
        1 => Just(LexBound::NegInf),
        1 => Just(LexBound::PosInf),
        3 => word().prop_map(LexBound::Incl),
        3 => word().prop_map(LexBound::Excl),
    ];
    (bound.clone(), bound).prop_map(|(min, max)| LexRange { min, max })
}

fn zop() -> impl Strategy<Value = ZOp> {
    prop_oneof![
        6 => (word(), score()).prop_map(|(m, s)| ZOp::Insert(m, s)),
        2 => (word(), score()).prop_map(|(m, s)| ZOp::Update(m, s)),
        2 => word().prop_map(ZOp::Remove),
        1 => (-8i64..8, -8i64..8).prop_map(|(a, b)| ZOp::RemoveRank(a, b)),
        1 => score_range().prop_map(ZOp::RemoveScore),
        1 => lex_range().prop_map(ZOp::RemoveLex),
        1 => (0usize..4).prop_map(ZOp::PopMin),
        1 => (0usize..4).prop_map(ZOp::PopMax),
        1 => Just(ZOp::ToListpack),
    ]
}

/// Redis's order: score by `<`/`==`, then member bytes.
fn zcmp(a: &(Bytes, f64), b: &(Bytes, f64)) -> Ordering {
    a.1.partial_cmp(&b.1).expect("no NaN").then_with(|| a.0.cmp(&b.0))
}

fn sorted(model: &BTreeMap<Bytes, f64>) -> Vec<(Bytes, f64)> {
    let mut v: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(zcmp);
    v
}

/// Scores compared with `==`, so a listpack's 0 matches a model's -0.
fn same(got: &[(Bytes, f64)], want: &[(Bytes, f64)]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g.0 == w.0 && g.1 == w.1)
}

proptest! {
    #[test]
    fn zset_matches_model(
        lim in limits(),
        equal_scores in any::<bool>(),
        ops in prop::collection::vec(zop(), 0..60),
        queries in prop::collection::vec(
            (score_range(), lex_range(), any::<bool>(), 0usize..4, prop::option::of(0usize..4)),
            4,
        ),
    ) {
        let mut z = ZSet::new();
        let mut model: BTreeMap<Bytes, f64> = BTreeMap::new();
        let mut skiplist = false;
        for op in ops {
            // Half the runs keep every score at ±0, so BYLEX results are specified.
            let op = match op {
                ZOp::Insert(m, s) if equal_scores => ZOp::Insert(m, 0.0f64.copysign(s)),
                ZOp::Update(m, s) if equal_scores => ZOp::Update(m, 0.0f64.copysign(s)),
                op => op,
            };
            match op {
                ZOp::Insert(m, s) => {
                    let new = !model.contains_key(&m);
                    if new && !skiplist {
                        skiplist = model.len() + 1 > lim.zset_max_listpack_entries
                            || m.len() > lim.zset_max_listpack_value;
                    }
                    let slot = model.entry(m.clone()).or_insert(s);
                    if *slot != s {
                        *slot = s;
                    }
                    prop_assert_eq!(z.insert(m, s, &lim), new);
                }
                ZOp::Update(m, s) => {
                    let changed = match model.get_mut(&m) {
                        Some(cur) if *cur != s => { *cur = s; true }
                        _ => false,
                    };
                    prop_assert_eq!(z.update_score(&m, s), changed);
                }
                ZOp::Remove(m) => prop_assert_eq!(z.remove(&m), model.remove(&m).is_some()),
                ZOp::RemoveRank(a, b) => {
                    let v = sorted(&model);
                    let n = match normalize_rank_range(a, b, v.len()) {
                        Some((s, e)) => {
                            for (m, _) in &v[s..=e] { model.remove(m); }
                            prop_assert_eq!(z.remove_range_by_rank(s, e), e + 1 - s);
                            e + 1 - s
                        }
                        None => 0,
                    };
                    prop_assert!(n <= v.len());
                }
                ZOp::RemoveScore(r) => {
                    let doomed: Vec<_> =
                        model.iter().filter(|(_, s)| r.contains(**s)).map(|(m, _)| m.clone()).collect();
                    for m in &doomed { model.remove(m); }
                    prop_assert_eq!(z.remove_range_by_score(&r), doomed.len());
                }
                ZOp::RemoveLex(r) => {
                    // Lex ranges are only specified when all scores are equal.
                    let scores: BTreeSet<u64> = model.values().map(|s| (s + 0.0).to_bits()).collect();
                    if scores.len() <= 1 {
                        let doomed: Vec<_> = model.keys().filter(|m| r.contains(m)).cloned().collect();
                        for m in &doomed { model.remove(m); }
                        prop_assert_eq!(z.remove_range_by_lex(&r), doomed.len());
                    }
                }
                ZOp::PopMin(n) => {
                    let want: Vec<_> = sorted(&model).into_iter().take(n).collect();
                    for (m, _) in &want { model.remove(m); }
                    prop_assert!(same(&z.pop_min(n), &want));
                }
                ZOp::PopMax(n) => {
                    let want: Vec<_> = sorted(&model).into_iter().rev().take(n).collect();
                    for (m, _) in &want { model.remove(m); }
                    prop_assert!(same(&z.pop_max(n), &want));
                }
                ZOp::ToListpack => {
                    let longest = model.keys().map(|m| m.len()).max().unwrap_or(0);
                    if model.len() <= lim.zset_max_listpack_entries
                        && longest <= lim.zset_max_listpack_value
                    {
                        skiplist = false;
                    }
                    z.convert_to_listpack_if_fits(&lim);
                }
            }

            let want = sorted(&model);
            let n = want.len();
            prop_assert_eq!(z.len(), n);
            prop_assert_eq!(z.encoding_name(), if skiplist { "skiplist" } else { "listpack" });
            let got: Vec<_> = z.iter().map(|(m, s)| (m.clone(), s)).collect();
            prop_assert!(same(&got, &want), "{:?} != {:?}", got, want);
            for (r, (m, s)) in want.iter().enumerate() {
                prop_assert_eq!(z.score(m), Some(*s));
                prop_assert_eq!(z.rank(m, false), Some(r));
                prop_assert_eq!(z.rank(m, true), Some(n - 1 - r));
            }
            let mut scanned = scan_all(|c, out| z.scan(c, |m, s| out.push((m.clone(), s))));
            scanned.sort_by(zcmp);
            prop_assert!(same(&scanned, &want));

            for (sr, lr, rev, offset, limit) in &queries {
                let in_score: Vec<_> = want.iter().filter(|(_, s)| sr.contains(*s)).cloned().collect();
                prop_assert_eq!(z.count_in_score_range(sr), in_score.len());
                let mut expect = in_score;
                if *rev { expect.reverse(); }
                let expect: Vec<_> =
                    expect.into_iter().skip(*offset).take(limit.unwrap_or(usize::MAX)).collect();
                let got: Vec<_> =
                    z.range_by_score(sr, *rev, *offset, *limit).map(|(m, s)| (m.clone(), s)).collect();
                prop_assert!(same(&got, &expect), "{:?} rev={} -> {:?} != {:?}", sr, rev, got, expect);

                let (a, b) = (*offset as i64 - 2, limit.map_or(-1, |l| l as i64));
                let expect: Vec<_> = match normalize_rank_range(a, b, n) {
                    Some((s, e)) if *rev => want.iter().rev().skip(s).take(e + 1 - s).cloned().collect(),
                    Some((s, e)) => want[s..=e].to_vec(),
                    None => Vec::new(),
                };
                let got: Vec<_> = match normalize_rank_range(a, b, n) {
                    Some((s, e)) => z.range_by_rank(s, e, *rev).map(|(m, s)| (m.clone(), s)).collect(),
                    None => Vec::new(),
                };
                prop_assert!(same(&got, &expect));

                let distinct: BTreeSet<u64> = want.iter().map(|(_, s)| (s + 0.0).to_bits()).collect();
                if distinct.len() <= 1 {
                    let in_lex: Vec<_> = want.iter().filter(|(m, _)| lr.contains(m)).cloned().collect();
                    prop_assert_eq!(z.count_in_lex_range(lr), in_lex.len());
                    let mut expect = in_lex;
                    if *rev { expect.reverse(); }
                    let expect: Vec<_> =
                        expect.into_iter().skip(*offset).take(limit.unwrap_or(usize::MAX)).collect();
                    let got: Vec<_> =
                        z.range_by_lex(lr, *rev, *offset, *limit).map(|(m, s)| (m.clone(), s)).collect();
                    prop_assert!(same(&got, &expect), "{:?} rev={} -> {:?} != {:?}", lr, rev, got, expect);
                }
            }
        }
    }
}
