//! Unit tests for [`ZSet`]: encoding transitions at the exact limits, ordering, and every
//! ordered query checked against a plain sorted `Vec` on both encodings.

use std::collections::HashSet;

use rand::Rng;

use super::*;

fn b(s: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(s.as_ref())
}

fn lim() -> EncodingLimits {
    EncodingLimits::default()
}

fn collect(it: ZIter<'_>) -> Vec<(Bytes, f64)> {
    it.map(|(m, s)| (m.clone(), s)).collect()
}

fn members<'a>(it: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<Bytes> {
    it.map(|(m, _)| m.clone()).collect()
}

/// The same elements in both encodings.
fn both(elems: &[(&str, f64)]) -> [ZSet; 2] {
    let mut lp = ZSet::new();
    let mut sl = ZSet::new_skiplist();
    for &(m, s) in elems {
        lp.insert(b(m), s, &lim());
        sl.insert(b(m), s, &lim());
    }
    assert_eq!(lp.encoding_name(), "listpack");
    assert_eq!(sl.encoding_name(), "skiplist");
    [lp, sl]
}

/// Sorted model of a zset's contents.
fn model_of(elems: &[(Bytes, f64)]) -> Vec<(Bytes, f64)> {
    let mut v = elems.to_vec();
    v.sort_by(|a, b| cmp_elem(&a.0, a.1, &b.0, b.1));
    v
}

#[test]
fn entries_limit_is_inclusive_and_the_next_member_converts() {
    let mut z = ZSet::new();
    for i in 0..128 {
        assert!(z.insert(b(format!("m{i}")), f64::from(i), &lim()));
    }
    assert_eq!(z.encoding_name(), "listpack");
    // Updating a score at the limit never converts.
    assert!(!z.insert(b("m0"), 1000.0, &lim()));
    assert_eq!(z.encoding_name(), "listpack");
    assert!(z.insert(b("m128"), 128.0, &lim()));
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(z.len(), 129);
    assert_eq!(z.score(b"m0"), Some(1000.0));
    assert_eq!(z.rank(b"m0", false), Some(128));
}

#[test]
fn member_length_limit() {
    let mut z = ZSet::new();
    z.insert(b([b'a'; 64]), 1.0, &lim());
    assert_eq!(z.encoding_name(), "listpack");
    z.insert(b([b'b'; 65]), 2.0, &lim());
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(members(z.iter()), vec![b([b'a'; 64]), b([b'b'; 65])]);

    let mut first_long = ZSet::new();
    first_long.insert(b([b'x'; 65]), 1.0, &lim());
    assert_eq!(first_long.encoding_name(), "skiplist");
}

#[test]
fn conversion_is_one_way_on_removal() {
    let mut z = ZSet::new();
    for i in 0..200 {
        z.insert(b(format!("m{i}")), 0.0, &lim());
    }
    assert_eq!(z.remove_range_by_rank(0, 198), 199);
    assert_eq!(z.len(), 1);
    assert_eq!(z.encoding_name(), "skiplist");
}

#[test]
fn with_hint_mirrors_zset_type_create() {
    assert_eq!(ZSet::with_hint(128, 64, &lim()).encoding_name(), "listpack");
    assert_eq!(ZSet::with_hint(129, 1, &lim()).encoding_name(), "skiplist");
    assert_eq!(ZSet::with_hint(1, 65, &lim()).encoding_name(), "skiplist");
    let none = EncodingLimits { zset_max_listpack_entries: 0, ..lim() };
    assert_eq!(ZSet::with_hint(1, 1, &none).encoding_name(), "skiplist");
    let mut z = ZSet::new();
    z.insert(b("a"), 1.0, &none);
    assert_eq!(z.encoding_name(), "skiplist");
}

#[test]
fn order_is_score_then_member_bytes() {
    for z in both(&[("b", 1.0), ("a", 2.0), ("c", 1.0), ("aa", 1.0), ("", 1.0), ("\u{ff}", -1.0)]) {
        assert_eq!(
            collect(z.iter()),
            vec![
                (b("\u{ff}"), -1.0),
                (b(""), 1.0),
                (b("aa"), 1.0),
                (b("b"), 1.0),
                (b("c"), 1.0),
                (b("a"), 2.0)
            ]
        );
        assert_eq!(z.rank(b"c", false), Some(4));
        assert_eq!(z.rank(b"c", true), Some(1));
        assert_eq!(z.rank(b"zz", false), None);
        assert_eq!(z.score(b"aa"), Some(1.0));
        assert_eq!(z.score(b"zz"), None);
    }
}

#[test]
fn update_score_moves_the_member() {
    for mut z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]) {
        assert!(z.update_score(b"a", 10.0));
        assert!(!z.update_score(b"a", 10.0), "same score is not an update");
        assert!(!z.update_score(b"nope", 1.0));
        assert_eq!(members(z.iter()), vec![b("b"), b("c"), b("a")]);
        assert!(!z.insert(b("c"), -5.0, &lim()));
        assert_eq!(members(z.iter()), vec![b("c"), b("b"), b("a")]);
        assert_eq!(z.len(), 3);
    }
}

#[test]
fn negative_zero() {
    let [mut lp, mut sl] = both(&[("a", -0.0)]);
    assert!(lp.score(b"a").unwrap().is_sign_positive(), "listpack stores -0 as integer 0");
    assert!(sl.score(b"a").unwrap().is_sign_negative(), "skiplist keeps what it was given");
    assert!(!sl.update_score(b"a", 0.0), "-0 == 0: no update");
    assert!(sl.score(b"a").unwrap().is_sign_negative());
    // -0 and 0 tie, so the member decides the order.
    lp.insert(b("0"), 0.0, &lim());
    sl.insert(b("0"), 0.0, &lim());
    for z in [&lp, &sl] {
        assert_eq!(members(z.iter()), vec![b("0"), b("a")]);
        let zero = ScoreRange::parse(b"0", b"0").unwrap();
        assert_eq!(z.count_in_score_range(&zero), 2);
    }
    sl.convert_to_listpack_if_fits(&lim());
    assert_eq!(sl.encoding_name(), "listpack");
    assert!(sl.score(b"a").unwrap().is_sign_positive());
}

#[test]
fn remove_members() {
    for mut z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]) {
        assert!(z.remove(b"b"));
        assert!(!z.remove(b"b"));
        assert!(!z.contains(b"b"));
        assert_eq!(members(z.iter()), vec![b("a"), b("c")]);
        assert_eq!(z.rank(b"c", false), Some(1));
    }
}

#[test]
fn range_by_rank_forward_and_reverse() {
    for z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]) {
        assert_eq!(members(z.range_by_rank(1, 2, false)), vec![b("b"), b("c")]);
        assert_eq!(members(z.range_by_rank(0, 1, true)), vec![b("d"), b("c")]);
        assert_eq!(members(z.range_by_rank(2, 100, true)), vec![b("b"), b("a")]);
        assert_eq!(z.range_by_rank(4, 5, false).count(), 0);
        assert_eq!(z.range_by_rank(3, 2, false).count(), 0);
        let (s, e) = normalize_rank_range(-2, -1, z.len()).unwrap();
        assert_eq!(members(z.range_by_rank(s, e, false)), vec![b("c"), b("d")]);
        assert_eq!(z.range_by_rank(0, 3, false).len(), 4);
        assert_eq!(members(z.range_by_rank(0, 3, true).rev()), members(z.iter()));
    }
}

#[test]
fn range_by_score_with_limits() {
    let elems = [("a", 1.0), ("b", 2.0), ("c", 2.0), ("d", 3.0), ("e", f64::INFINITY)];
    for z in both(&elems) {
        let r = |min: &str, max: &str| ScoreRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        let q = |range: ScoreRange, rev, off, lim| members(z.range_by_score(&range, rev, off, lim));
        assert_eq!(q(r("2", "3"), false, 0, None), vec![b("b"), b("c"), b("d")]);
        assert_eq!(q(r("(2", "3"), false, 0, None), vec![b("d")]);
        assert_eq!(q(r("2", "(3"), false, 0, None), vec![b("b"), b("c")]);
        assert_eq!(q(r("2", "3"), true, 0, None), vec![b("d"), b("c"), b("b")]);
        assert_eq!(q(r("-inf", "+inf"), false, 1, Some(2)), vec![b("b"), b("c")]);
        assert_eq!(q(r("-inf", "+inf"), true, 1, Some(2)), vec![b("d"), b("c")]);
        assert_eq!(q(r("-inf", "+inf"), true, 10, None), Vec::<Bytes>::new());
        assert_eq!(q(r("-inf", "+inf"), false, 0, Some(0)), Vec::<Bytes>::new());
        assert_eq!(q(r("(3", "inf"), false, 0, None), vec![b("e")]);
        assert_eq!(q(r("3", "2"), false, 0, None), Vec::<Bytes>::new());
        assert_eq!(q(r("(2", "2"), false, 0, None), Vec::<Bytes>::new());
        assert_eq!(z.count_in_score_range(&r("-inf", "+inf")), 5);
        assert_eq!(z.count_in_score_range(&r("(1", "(3")), 2);
        assert_eq!(z.count_in_score_range(&r("10", "20")), 0);
        assert_eq!(z.count_in_score_range(&r("5", "1")), 0);
    }
}

#[test]
fn range_by_lex_with_equal_scores() {
    let elems: Vec<(&str, f64)> =
        ["a", "b", "c", "d", "e", "f", "g"].iter().map(|&m| (m, 0.0)).collect();
    for z in both(&elems) {
        let r = |min: &str, max: &str| LexRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        let q = |range: LexRange, rev, off, lim| members(z.range_by_lex(&range, rev, off, lim));
        assert_eq!(q(r("-", "[c"), false, 0, None), vec![b("a"), b("b"), b("c")]);
        assert_eq!(q(r("-", "(c"), false, 0, None), vec![b("a"), b("b")]);
        assert_eq!(q(r("[aaa", "(g"), false, 0, None), [b("b"), b("c"), b("d"), b("e"), b("f")]);
        assert_eq!(q(r("(e", "+"), true, 0, None), vec![b("g"), b("f")]);
        assert_eq!(q(r("-", "+"), true, 2, Some(2)), vec![b("e"), b("d")]);
        assert_eq!(q(r("-", "+"), false, 5, Some(10)), vec![b("f"), b("g")]);
        assert_eq!(q(r("+", "-"), false, 0, None), Vec::<Bytes>::new());
        assert_eq!(q(r("[h", "+"), false, 0, None), Vec::<Bytes>::new());
        assert_eq!(q(r("-", "(a"), true, 0, None), Vec::<Bytes>::new());
        assert_eq!(z.count_in_lex_range(&r("-", "+")), 7);
        assert_eq!(z.count_in_lex_range(&r("[b", "[d")), 3);
        assert_eq!(z.count_in_lex_range(&r("(b", "(d")), 1);
        assert_eq!(z.count_in_lex_range(&r("[d", "[b")), 0);
    }
}

#[test]
fn listpack_lex_with_mixed_scores_follows_redis_scans() {
    // Members out of lex order: Redis scans forward from the first member >= min and
    // keeps going while <= max, or backward from the last member <= max.
    let [z, _] = both(&[("a", 1.0), ("c", 2.0), ("b", 3.0), ("z", 4.0)]);
    let r = LexRange::parse(b"[b", b"[c").unwrap();
    assert_eq!(members(z.range_by_lex(&r, false, 0, None)), vec![b("c"), b("b")]);
    assert_eq!(members(z.range_by_lex(&r, true, 0, None)), vec![b("b"), b("c")]);
    assert_eq!(z.count_in_lex_range(&r), 2);
}

#[test]
fn remove_ranges() {
    let elems: Vec<(String, f64)> = (0..10).map(|i| (format!("m{i}"), f64::from(i))).collect();
    let elems: Vec<(&str, f64)> = elems.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    for mut z in both(&elems) {
        assert_eq!(z.remove_range_by_rank(0, 1), 2);
        assert_eq!(z.remove_range_by_score(&ScoreRange::parse(b"(7", b"+inf").unwrap()), 2);
        assert_eq!(z.remove_range_by_score(&ScoreRange::parse(b"100", b"200").unwrap()), 0);
        assert_eq!(z.remove_range_by_lex(&LexRange::parse(b"[m3", b"(m5").unwrap()), 2);
        assert_eq!(members(z.iter()), vec![b("m2"), b("m5"), b("m6"), b("m7")]);
        assert_eq!(z.remove_range_by_rank(3, 1), 0);
        assert_eq!(z.remove_range_by_rank(2, usize::MAX), 2);
        assert_eq!(members(z.iter()), vec![b("m2"), b("m5")]);
        assert!(!z.contains(b"m6"), "removed members leave the member index too");
        assert_eq!(z.score(b"m5"), Some(5.0));
    }
}

#[test]
fn pops() {
    for mut z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]) {
        assert_eq!(z.pop_min(1), vec![(b("a"), 1.0)]);
        assert_eq!(z.pop_max(2), vec![(b("d"), 4.0), (b("c"), 3.0)]);
        assert_eq!(z.pop_max(0), vec![]);
        assert_eq!(z.pop_min(10), vec![(b("b"), 2.0)]);
        assert_eq!(z.len(), 0);
        assert_eq!(z.pop_min(1), vec![]);
        assert!(!z.contains(b"b"));
    }
}

#[test]
fn scan_returns_everything() {
    let [lp, _] = both(&[("a", 1.0), ("b", 2.0)]);
    let mut seen = Vec::new();
    assert_eq!(lp.scan(777, |m, s| seen.push((m.clone(), s))), 0);
    assert_eq!(seen, vec![(b("a"), 1.0), (b("b"), 2.0)]);

    let mut big = ZSet::new();
    for i in 0..3000 {
        big.insert(b(format!("m{i}")), f64::from(i), &lim());
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = big.scan(cursor, |m, s| {
            assert_eq!(big.score(m), Some(s));
            seen.insert(m.clone());
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 3000);
}

#[test]
fn random_covers_all_members() {
    let mut rng = rand::rng();
    assert!(ZSet::new().random(&mut rng).is_none());
    for z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]) {
        let mut seen = HashSet::new();
        for _ in 0..300 {
            let (m, s) = z.random(&mut rng).unwrap();
            assert_eq!(z.score(m), Some(s));
            seen.insert(m.clone());
        }
        assert_eq!(seen.len(), 3);
    }
}

#[test]
fn convert_to_listpack_if_fits() {
    let mut z = ZSet::new_skiplist();
    for i in 0..128 {
        z.insert(b(format!("m{i:03}")), f64::from(i % 7), &lim());
    }
    let before = collect(z.iter());
    let mut too_long = z.clone();
    too_long.insert(b([b'x'; 65]), 0.0, &lim());
    too_long.remove(b"m000");
    too_long.convert_to_listpack_if_fits(&lim());
    assert_eq!(too_long.encoding_name(), "skiplist");

    let mut too_many = z.clone();
    too_many.insert(b("extra"), 0.0, &lim());
    too_many.convert_to_listpack_if_fits(&lim());
    assert_eq!(too_many.encoding_name(), "skiplist");

    // A tracked maximum that includes a since-removed long member blocks conversion.
    let mut tracked = z.clone();
    tracked.convert_to_listpack_if_fits_with(65, &lim());
    assert_eq!(tracked.encoding_name(), "skiplist");

    z.convert_to_listpack_if_fits(&lim());
    assert_eq!(z.encoding_name(), "listpack");
    assert_eq!(collect(z.iter()), before);
    assert_eq!(z.rank(b"m007", false), before.iter().position(|(m, _)| m == "m007"));
}

#[test]
fn skiplist_of_10k_matches_a_sorted_vec() {
    let mut rng = rand::rng();
    let mut z = ZSet::new();
    let mut elems = Vec::new();
    for i in 0..10_000u32 {
        let m = b(format!("m{:05}", (i * 7919) % 10_000));
        // Few distinct scores, so most comparisons fall through to the member.
        let s = f64::from(rng.random_range(-20..20)) / 4.0;
        assert!(z.insert(m.clone(), s, &lim()));
        elems.push((m, s));
    }
    assert_eq!(z.encoding_name(), "skiplist");
    // Move some members, remove others, keeping the model in step.
    for i in (0..10_000).step_by(13) {
        let (m, s) = &mut elems[i];
        *s += 100.0;
        assert!(z.update_score(m, *s));
    }
    let mut removed = HashSet::new();
    for i in (5..10_000).step_by(17) {
        assert!(z.remove(&elems[i].0));
        removed.insert(i);
    }
    let kept: Vec<_> = elems
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    let model = model_of(&kept);
    assert_eq!(z.len(), model.len());
    assert_eq!(collect(z.iter()), model);
    let n = model.len();
    for (r, (m, s)) in model.iter().enumerate() {
        assert_eq!(z.rank(m, false), Some(r));
        assert_eq!(z.rank(m, true), Some(n - 1 - r));
        assert_eq!(z.score(m), Some(*s));
    }
    for _ in 0..300 {
        let start = rng.random_range(0..n + 5);
        let end = start + rng.random_range(0..50);
        let want: Vec<_> = model.iter().skip(start).take(end + 1 - start).cloned().collect();
        assert_eq!(collect(z.range_by_rank(start, end, false)), want);
        let mut rev_want: Vec<_> =
            model.iter().rev().skip(start).take(end + 1 - start).cloned().collect();
        assert_eq!(collect(z.range_by_rank(start, end, true)), rev_want);

        let min = f64::from(rng.random_range(-25..110)) / 4.0;
        let max = min + f64::from(rng.random_range(-2..20)) / 4.0;
        let range = ScoreRange { min, max, min_ex: rng.random(), max_ex: rng.random() };
        let in_range: Vec<_> = model.iter().filter(|(_, s)| range.contains(*s)).cloned().collect();
        assert_eq!(z.count_in_score_range(&range), in_range.len());
        let offset = rng.random_range(0..30);
        let limit = rng.random_bool(0.5).then(|| rng.random_range(0..30));
        let want: Vec<_> =
            in_range.iter().skip(offset).take(limit.unwrap_or(usize::MAX)).cloned().collect();
        assert_eq!(collect(z.range_by_score(&range, false, offset, limit)), want);
        rev_want =
            in_range.iter().rev().skip(offset).take(limit.unwrap_or(usize::MAX)).cloned().collect();
        assert_eq!(collect(z.range_by_score(&range, true, offset, limit)), rev_want);
    }
    let (s, e) = normalize_rank_range(100, 199, n).unwrap();
    assert_eq!(z.remove_range_by_rank(s, e), 100);
    assert_eq!(z.rank(&model[200].0, false), Some(100));
}

#[test]
fn lex_queries_on_a_large_equal_score_skiplist() {
    let mut rng = rand::rng();
    let mut z = ZSet::new();
    let mut model: Vec<Bytes> = (0..5000).map(|i| b(format!("k{:04}", i * 3))).collect();
    for m in &model {
        z.insert(m.clone(), 0.0, &lim());
    }
    model.sort();
    let bound = |rng: &mut rand::rngs::ThreadRng| match rng.random_range(0..10) {
        0 => LexBound::NegInf,
        1 => LexBound::PosInf,
        n => {
            let key = b(format!("k{:04}", rng.random_range(0..15_500)));
            if n % 2 == 0 { LexBound::Incl(key) } else { LexBound::Excl(key) }
        }
    };
    for _ in 0..300 {
        let range = LexRange { min: bound(&mut rng), max: bound(&mut rng) };
        let want: Vec<_> = model.iter().filter(|m| range.contains(m)).cloned().collect();
        assert_eq!(z.count_in_lex_range(&range), want.len(), "{range:?}");
        assert_eq!(members(z.range_by_lex(&range, false, 0, None)), want);
        let rev: Vec<_> = want.iter().rev().take(7).cloned().collect();
        assert_eq!(members(z.range_by_lex(&range, true, 0, Some(7))), rev);
    }
    let range = LexRange::parse(b"[k0300", b"(k0600").unwrap();
    assert_eq!(z.remove_range_by_lex(&range), 100);
    assert_eq!(z.len(), 4900);
    assert_eq!(z.count_in_lex_range(&range), 0);
}
