//! Property test of `Dict` across incremental rehashes: random interleavings of inserts,
//! deletes (single and in runs, so tables grow and shrink often), rehash batches, SCAN
//! steps, snapshots and the process-wide resize policy, checked against a `BTreeMap`.
//!
//! Checked: contents and length after every step; SCAN's guarantee (every key present
//! from a scan's first call to its last is returned); snapshots keep their contents
//! while the original changes.
//!
//! This file holds a single test because the resize policy is process-wide: no other
//! test may run beside it while it toggles the policy.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use rhea_keyspace::Dict;
use rhea_keyspace::dict::set_resize_allowed;

const KEYS: u32 = 3000;

#[derive(Clone, Debug)]
enum Op {
    Insert(u32),
    /// Insert `start..start + n`.
    InsertRun(u32, u32),
    Remove(u32),
    /// Remove `start..start + n`.
    RemoveRun(u32, u32),
    GetMut(u32),
    Rehash(usize),
    /// Advance the current scan by this many calls (starting one if none is running).
    Scan(usize),
    Snapshot,
    ResizeAllowed(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS;
    prop_oneof![
        6 => key.clone().prop_map(Op::Insert),
        2 => (key.clone(), 1u32..600).prop_map(|(s, n)| Op::InsertRun(s, n)),
        3 => key.clone().prop_map(Op::Remove),
        2 => (key.clone(), 1u32..1500).prop_map(|(s, n)| Op::RemoveRun(s, n)),
        3 => key.prop_map(Op::GetMut),
        1 => (1usize..50).prop_map(Op::Rehash),
        6 => (1usize..8).prop_map(Op::Scan),
        1 => Just(Op::Snapshot),
        1 => any::<bool>().prop_map(Op::ResizeAllowed),
    ]
}

/// A SCAN in progress: the keys present when it started that have not been removed
/// since (they must all be returned), and the keys returned so far.
struct Scan {
    cursor: u64,
    must: BTreeSet<u32>,
    seen: HashSet<u32>,
    calls: usize,
}

impl Scan {
    fn start(model: &BTreeMap<u32, u32>) -> Scan {
        Scan { cursor: 0, must: model.keys().copied().collect(), seen: HashSet::new(), calls: 0 }
    }

    /// One call; Err on a broken guarantee, Ok(true) when the scan is complete.
    fn step(&mut self, d: &Dict<u32, u32>, model: &BTreeMap<u32, u32>) -> Result<bool, String> {
        self.cursor = d.scan(self.cursor, |k, v| {
            assert_eq!(model.get(k), Some(v), "scan returned a stale or absent entry");
            self.seen.insert(*k);
        });
        self.calls += 1;
        if self.cursor != 0 {
            return Ok(false);
        }
        let missed: Vec<&u32> = self.must.iter().filter(|k| !self.seen.contains(k)).collect();
        if missed.is_empty() {
            Ok(true)
        } else {
            Err(format!("scan of {} calls missed {} keys: {:?}", self.calls, missed.len(), missed))
        }
    }
}

fn contents(d: &Dict<u32, u32>) -> BTreeMap<u32, u32> {
    let map: BTreeMap<u32, u32> = d.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(map.len(), d.len(), "iter yields each entry once");
    map
}

/// One case: run `ops`, checking as it goes. Returns how many scan calls ran while a
/// rehash was in progress.
fn run(ops: Vec<Op>) -> Result<usize, TestCaseError> {
    set_resize_allowed(true);
    let mut d: Dict<u32, u32> = Dict::new();
    let mut model: BTreeMap<u32, u32> = BTreeMap::new();
    let mut scan: Option<Scan> = None;
    let mut snapshots: Vec<(Dict<u32, u32>, BTreeMap<u32, u32>)> = Vec::new();
    let mut version = 0u32;
    let mut rehashing_calls = 0;
    for op in ops {
        version += 1;
        let mut removed = Vec::new();
        match op {
            Op::Insert(k) => {
                prop_assert_eq!(d.insert(k, version), model.insert(k, version));
            }
            Op::InsertRun(s, n) => {
                for k in s..s + n {
                    prop_assert_eq!(d.insert(k, version), model.insert(k, version));
                }
            }
            Op::Remove(k) => {
                prop_assert_eq!(d.remove(&k).map(|(_, v)| v), model.remove(&k));
                removed.push(k);
            }
            Op::RemoveRun(s, n) => {
                for k in s..s + n {
                    prop_assert_eq!(d.remove(&k).map(|(_, v)| v), model.remove(&k));
                    removed.push(k);
                }
            }
            Op::GetMut(k) => {
                if let Some(v) = d.get_mut(&k) {
                    *v = version;
                }
                if let Some(v) = model.get_mut(&k) {
                    *v = version;
                }
            }
            Op::Rehash(n) => {
                d.rehash(n);
            }
            Op::Scan(calls) => {
                for _ in 0..calls {
                    rehashing_calls += usize::from(d.is_rehashing());
                    let s = scan.get_or_insert_with(|| Scan::start(&model));
                    if s.step(&d, &model).map_err(TestCaseError::fail)? {
                        scan = None;
                    }
                }
            }
            Op::Snapshot => snapshots.push((d.clone(), model.clone())),
            Op::ResizeAllowed(on) => set_resize_allowed(on),
        }
        if let Some(s) = scan.as_mut() {
            for k in removed {
                s.must.remove(&k);
            }
        }
        prop_assert_eq!(d.len(), model.len());
    }
    // Finish the scan in progress without further changes.
    if let Some(mut s) = scan {
        while !s.step(&d, &model).map_err(TestCaseError::fail)? {}
    }
    prop_assert_eq!(contents(&d), model.clone());
    for k in 0..KEYS {
        prop_assert_eq!(d.get(&k), model.get(&k));
    }
    for (snap, frozen) in &snapshots {
        prop_assert_eq!(&contents(snap), frozen);
        let mut s = Scan::start(frozen);
        while !s.step(snap, frozen).map_err(TestCaseError::fail)? {}
    }
    set_resize_allowed(true);
    Ok(rehashing_calls)
}

#[test]
fn dict_matches_model_and_scan_survives_rehashing() {
    let config = ProptestConfig { cases: 512, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let rehashing_calls = AtomicUsize::new(0);
    let outcome = runner.run(&prop::collection::vec(op(), 1..120), |ops| {
        rehashing_calls.fetch_add(run(ops)?, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    // The cases must reach the state under test, not only pass.
    let calls = rehashing_calls.load(Ordering::Relaxed);
    assert!(calls > 1000, "only {calls} scan calls ran during a rehash");
}
