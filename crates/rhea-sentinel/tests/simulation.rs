//! Deterministic simulation of Sentinel cores against model redis servers over a
//! faulty network (see `sim/`). Every run is a seed; a failing seed is printed with the
//! end of its log and can be replayed alone with `SIM_SEED=<n>` (`SIM_VERBOSE=1` prints
//! the whole run); `SIM_SEEDS=<n>` runs n seeds per test instead of the default count.
//!
//! Invariants, checked during every run: at most one leader per epoch; at most one
//! replica promoted per epoch. At the end of a run, after every fault was healed:
//! every sentinel names the same master and config epoch, no failover is in progress,
//! that server is a master, and every other server replicates from it (so a returning
//! old master was turned into a replica).

mod sim;

use std::collections::HashMap;

use rhea_sentinel::{FailoverState, Timing};
use sim::server::ServerRole;
use sim::{Host, MASTER_NAME, World};

const SERVERS: usize = 3;
const SENTINELS: usize = 3;

fn seeds(default: std::ops::Range<u64>) -> Vec<u64> {
    if let Ok(s) = std::env::var("SIM_SEED") {
        return vec![s.parse().expect("SIM_SEED must be a number")];
    }
    // SIM_SEEDS=<n>: n seeds from each test's own start instead of its default count.
    match std::env::var("SIM_SEEDS") {
        Ok(n) => {
            let n: u64 = n.parse().expect("SIM_SEEDS must be a number");
            (default.start..default.start + n).collect()
        }
        Err(_) => default.collect(),
    }
}

fn new_world(seed: u64) -> World {
    let mut w = World::new(seed, SERVERS, SENTINELS, 2, Timing::default());
    w.verbose = std::env::var("SIM_VERBOSE").is_ok();
    w.net.max_delay = 1 + (seed % 40) as i64;
    w
}

/// How many runs saw each event kind: proof that the runs exercise what they claim.
#[derive(Default)]
struct Coverage(std::sync::Mutex<HashMap<String, usize>>);

impl Coverage {
    fn record(&self, w: &World) {
        let mut kinds: Vec<&str> = w.events.iter().map(|e| e.2.as_str()).collect();
        kinds.sort();
        kinds.dedup();
        let mut c = self.0.lock().expect("not poisoned");
        for k in kinds {
            *c.entry(k.to_string()).or_default() += 1;
        }
    }

    fn runs_with(&self, kind: &str) -> usize {
        self.0.lock().expect("not poisoned").get(kind).copied().unwrap_or(0)
    }

    fn print(&self, name: &str) {
        let c = self.0.lock().expect("not poisoned");
        let mut v: Vec<_> = c.iter().collect();
        v.sort();
        eprintln!("{name} coverage (runs per event kind): {v:?}");
    }
}

/// Run `f` for each seed; collect failures with their seed and log tail.
fn for_seeds(name: &str, seeds: Vec<u64>, mut f: impl FnMut(u64) -> Result<(), (String, String)>) {
    let mut failures = Vec::new();
    for seed in &seeds {
        if let Err((why, tail)) = f(*seed) {
            eprintln!("=== {name}: seed {seed} failed: {why}\n{tail}\n=== replay: SIM_SEED={seed}");
            failures.push((*seed, why));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {} seeds failed: {:?}",
        failures.len(),
        seeds.len(),
        failures
    );
}

/// The end state after healing: one master everyone agrees on, the rest its replicas.
fn check_converged(w: &World) -> Result<(), String> {
    if !w.violations.is_empty() {
        return Err(format!("invariant violated: {:?}", w.violations));
    }
    let views = w.views();
    if views.len() != SENTINELS {
        return Err(format!("only {} sentinels alive", views.len()));
    }
    let (_, addr, epoch, _) = views[0].clone();
    for (j, a, e, state) in &views {
        if *a != addr || *e != epoch {
            return Err(format!("sentinels disagree: S0 {addr:?}@{epoch}, S{j} {a:?}@{e}"));
        }
        if *state != FailoverState::None {
            return Err(format!("S{j} still in failover state {state:?}"));
        }
    }
    let Some(m) = w.server_index(&addr) else { return Err(format!("unknown master {addr:?}")) };
    if !w.servers[m].alive || !w.servers[m].is_master() {
        return Err(format!(
            "server {m} at {addr:?} is not a live master: {:?}",
            w.servers[m].role
        ));
    }
    for (i, s) in w.servers.iter().enumerate() {
        if i == m {
            continue;
        }
        let ok = matches!(&s.role, ServerRole::Replica { host, port } if *host == addr.0 && *port == addr.1);
        if !ok {
            return Err(format!("server {i} is {:?}, not a replica of {addr:?}", s.role));
        }
    }
    Ok(())
}

fn fail(w: &World, why: String) -> (String, String) {
    (why, w.tail(120))
}

/// The master as sentinel 0 (if alive) sees it.
fn believed_master(w: &World) -> Option<usize> {
    let (_, addr, _, _) = w.views().into_iter().next()?;
    w.server_index(&addr)
}

/// Random faults for a minute, then everything heals and the cluster must converge.
#[test]
fn chaos_then_heal_converges() {
    let cov = Coverage::default();
    let all = seeds(0..150);
    let n = all.len();
    for_seeds("chaos", all, |seed| {
        let mut w = new_world(seed);
        w.run_until(10_000);
        let mut t = 10_000;
        while t < 70_000 {
            let roll = w.rng_below(100);
            match roll {
                0..=7 => {
                    if let Some(m) = believed_master(&w) {
                        w.kill_server(m);
                    }
                }
                8..=11 => {
                    let i = w.rng_below(SERVERS as u64) as usize;
                    w.kill_server(i);
                }
                12..=21 => {
                    let i = w.rng_below(SERVERS as u64) as usize;
                    w.restart_server(i);
                }
                22..=27 => {
                    let mut groups = HashMap::new();
                    for i in 0..SERVERS {
                        groups.insert(Host::Server(i), w.rng_below(2) as u32);
                    }
                    for j in 0..SENTINELS {
                        groups.insert(Host::Sentinel(j), w.rng_below(2) as u32);
                    }
                    w.partition(groups);
                }
                28..=35 => w.heal(),
                36..=38 => {
                    let j = w.rng_below(SENTINELS as u64) as usize;
                    w.kill_sentinel(j);
                }
                39..=46 => {
                    let j = w.rng_below(SENTINELS as u64) as usize;
                    if w.sentinels[j].core.is_none() {
                        w.start_sentinel(j);
                    }
                }
                47..=49 => {
                    let j = w.rng_below(SENTINELS as u64) as usize;
                    let ms = 2500 + w.rng_below(2000) as i64;
                    w.pause_sentinel(j, ms);
                }
                50..=52 => {
                    let j = w.rng_below(SENTINELS as u64) as usize;
                    let ms = 3000 + w.rng_below(6000) as i64;
                    let ms = if w.rng_below(2) == 0 { ms } else { -ms };
                    w.jump_clock(j, ms);
                }
                _ => {}
            }
            t += 1000;
            w.run_until(t);
            if !w.violations.is_empty() {
                return Err(fail(&w, format!("invariant violated: {:?}", w.violations)));
            }
        }
        w.heal();
        for i in 0..SERVERS {
            w.restart_server(i);
        }
        for j in 0..SENTINELS {
            if w.sentinels[j].core.is_none() {
                w.start_sentinel(j);
            }
        }
        w.run_until(200_000);
        cov.record(&w);
        check_converged(&w).map_err(|e| fail(&w, e))
    });
    cov.print("chaos");
    if n > 1 {
        // The faults must actually drive the interesting paths in a good share of runs.
        for (kind, min_pct) in [
            ("+switch-master", 50),
            ("+promoted-slave", 30),
            ("+tilt", 20),
            ("+convert-to-slave", 20),
            ("+reboot", 30),
            ("-failover-abort-not-elected", 1),
            ("+sentinel-invalid-addr", 0),
        ] {
            let runs = cov.runs_with(kind);
            assert!(runs * 100 >= n * min_pct, "only {runs} of {n} chaos runs saw {kind}");
        }
    }
}

/// With no faults but the master's death, a failover completes quickly, and the old
/// master rejoins as a replica of the new one when it comes back.
#[test]
fn master_death_fails_over_and_old_master_rejoins() {
    for_seeds("liveness", seeds(1000..1080), |seed| {
        let mut w = new_world(seed);
        w.run_until(10_000);
        w.kill_server(0);
        w.run_until(30_000);
        let views = w.views();
        let (_, addr, epoch, _) = views[0].clone();
        if addr.0 == "10.0.0.1" || epoch == 0 || views.iter().any(|v| v.1 != addr || v.2 != epoch) {
            return Err(fail(&w, format!("no completed failover 20 s after the kill: {views:?}")));
        }
        let done = w.events.iter().filter(|e| e.2 == "+failover-end").count();
        if done != 1 {
            return Err(fail(&w, format!("{done} +failover-end events, expected 1")));
        }
        w.restart_server(0);
        w.run_until(60_000);
        check_converged(&w).map_err(|e| fail(&w, e))?;
        if !w.events.iter().any(|e| e.2 == "+convert-to-slave" && e.3.contains("10.0.0.1 6379")) {
            return Err(fail(&w, "the old master was not converted with +convert-to-slave".into()));
        }
        Ok(())
    });
}

/// The master and one sentinel are cut off: the majority side fails over, the minority
/// sentinel cannot (it never gets a majority of votes), and after the heal the old
/// master is demoted.
#[test]
fn isolated_master_with_minority_sentinel() {
    for_seeds("minority", seeds(2000..2040), |seed| {
        let mut w = new_world(seed);
        w.run_until(10_000);
        let mut groups = HashMap::new();
        groups.insert(Host::Server(0), 1);
        groups.insert(Host::Sentinel(0), 1);
        w.partition(groups);
        w.run_until(40_000);
        let s0 = w.sentinels[0]
            .core
            .as_ref()
            .expect("alive")
            .master_status(MASTER_NAME)
            .expect("monitored");
        if s0.addr.0 != "10.0.0.1" {
            return Err(fail(&w, format!("the minority sentinel switched: {:?}", s0.addr)));
        }
        let views = w.views();
        if views[1].1 == s0.addr || views[1].1 != views[2].1 {
            return Err(fail(&w, format!("the majority did not fail over together: {views:?}")));
        }
        w.heal();
        w.run_until(100_000);
        check_converged(&w).map_err(|e| fail(&w, e))
    });
}

/// When, after `from`, some live sentinel's `get-master-addr-by-name` first names a
/// server other than `old` that is a live master (a client asking that sentinel can write), and when every live sentinel
/// does. Polled every 5 ms of simulated time until `deadline`.
fn time_to_writable(
    w: &mut World,
    old: usize,
    from: i64,
    deadline: i64,
) -> (Option<i64>, Option<i64>) {
    let (mut any, mut all) = (None, None);
    let mut t = from;
    while t < deadline && all.is_none() {
        t += 5;
        w.run_until(t);
        // What `SENTINEL get-master-addr-by-name` answers on each live sentinel.
        let good: Vec<bool> = w
            .sentinels
            .iter()
            .filter_map(|s| s.core.as_ref()?.get_master_addr_by_name(MASTER_NAME))
            .map(|addr| {
                w.server_index(&addr)
                    .is_some_and(|i| i != old && w.servers[i].alive && w.servers[i].is_master())
            })
            .collect();
        if any.is_none() && good.iter().any(|g| *g) {
            any = Some(t - from);
        }
        if !good.is_empty() && good.iter().all(|g| *g) {
            all = Some(t - from);
        }
    }
    (any, all)
}

/// Median and maximum of a list of durations.
fn stats(v: &mut [i64]) -> (i64, i64) {
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

/// How the master fails in [`timing_runs`].
#[derive(Clone, Copy, Debug)]
enum MasterFault {
    /// SIGKILL: its connections reset.
    Kill,
    /// Cut off alone by a partition: connections reset or go silent.
    Isolate,
}

/// One run per seed: the master fails 10–11 s in, with 1–10 ms one-way latency; returns
/// (seed, kill → writable via some sentinel, kill → every sentinel names it), or the
/// failure with its log. Also checks that exactly one failover happened and that the new
/// master was never flagged down (the +switch-master flap).
fn timing_run(
    seed: u64,
    timing: Timing,
    down_after: u64,
    fault: MasterFault,
) -> Result<(i64, i64), (String, String)> {
    let mut w = World::with_master(seed, SERVERS, SENTINELS, 2, timing, down_after, 6000);
    w.verbose = std::env::var("SIM_VERBOSE").is_ok();
    w.net.max_delay = 1 + (seed % 10) as i64;
    w.run_until(10_000);
    let at = 10_000 + w.rng_below(1000) as i64;
    w.run_until(at);
    match fault {
        MasterFault::Kill => w.kill_server(0),
        MasterFault::Isolate => w.partition(HashMap::from([(Host::Server(0), 1)])),
    }
    let (any, all) = time_to_writable(&mut w, 0, at, at + 30_000);
    let (Some(any), Some(all)) = (any, all) else {
        return Err(fail(
            &w,
            format!("no writable new master 30 s after the fault: {any:?} {all:?}"),
        ));
    };
    w.run_until(at + all + 15_000);
    if !w.violations.is_empty() {
        return Err(fail(&w, format!("invariant violated: {:?}", w.violations)));
    }
    for j in 0..SENTINELS {
        let n = w.events.iter().filter(|e| e.1 == j && e.2 == "+switch-master").count();
        if n != 1 {
            return Err(fail(&w, format!("S{j} saw {n} +switch-master, expected 1")));
        }
    }
    let (_, addr, _, _) = w.views()[0].clone();
    let new_down = format!("master {MASTER_NAME} {} {}", addr.0, addr.1);
    if w.events.iter().any(|e| e.2 == "+sdown" && e.3 == new_down) {
        return Err(fail(&w, format!("the new master was flagged +sdown: {new_down}")));
    }
    Ok((any, all))
}

/// Run `timing_run` over seeds; returns the per-seed (any, all) times.
fn timing_runs(
    name: &str,
    seeds: Vec<u64>,
    timing: Timing,
    down_after: u64,
    fault: MasterFault,
) -> Vec<(u64, i64, i64)> {
    let mut out = Vec::new();
    for_seeds(name, seeds, |seed| {
        let (any, all) = timing_run(seed, timing, down_after, fault)?;
        out.push((seed, any, all));
        Ok(())
    });
    print_stats(name, &out);
    out
}

/// Like [`timing_runs`] without asserting anything: for comparisons. Failed seeds are
/// counted, not fatal.
fn timing_survey(name: &str, timing: Timing, down_after: u64, fault: MasterFault, bound: i64) {
    let mut out = Vec::new();
    let mut failed = 0;
    for seed in 3000..3100 {
        match timing_run(seed, timing, down_after, fault) {
            Ok((any, all)) => out.push((seed, any, all)),
            Err(_) => failed += 1,
        }
    }
    let over = out.iter().filter(|r| r.1 >= bound).count();
    eprintln!("{name}: {failed} runs failed a check, {over} runs ≥ {bound} ms");
    print_stats(name, &out);
}

fn print_stats(name: &str, out: &[(u64, i64, i64)]) {
    if out.is_empty() {
        return;
    }
    let mut any: Vec<i64> = out.iter().map(|r| r.1).collect();
    let mut all: Vec<i64> = out.iter().map(|r| r.2).collect();
    let (am, ax) = stats(&mut any);
    let (lm, lx) = stats(&mut all);
    eprintln!(
        "{name}: {} runs, fault → writable via some sentinel median {am} ms max {ax} ms; \
         via every sentinel median {lm} ms max {lx} ms",
        out.len()
    );
    let mut slowest: Vec<_> = out.iter().map(|r| (r.1, r.0)).collect();
    slowest.sort();
    let top: Vec<String> =
        slowest.iter().rev().take(3).map(|(ms, seed)| format!("seed {seed}: {ms} ms")).collect();
    eprintln!("{name}: slowest {}", top.join(", "));
}

/// The timing goal: with down-after 1000 a new master is writable (some sentinel names
/// it and it is a master) within 2 s of the old one's death, with 3000 within 4.5 s —
/// in every seed, for a SIGKILL and for an isolated master. Redis's timing
/// ([`Timing::redis`]) is run too, for comparison only.
#[test]
fn failover_is_fast_with_short_down_after() {
    for (down_after, bound) in [(1000u64, 2000i64), (3000, 4500)] {
        for fault in [MasterFault::Kill, MasterFault::Isolate] {
            let name = format!("fast {fault:?} down-after {down_after}");
            let runs = timing_runs(&name, seeds(3000..3100), Timing::default(), down_after, fault);
            let slow: Vec<_> = runs.iter().filter(|r| r.1 >= bound).collect();
            assert!(slow.is_empty(), "{name}: fault → writable ≥ {bound} ms: {slow:?}");
        }
    }
    if std::env::var("SIM_SEED").is_err() {
        // For comparison: Redis's periods, and Rhea's without the candidacy order.
        let unordered = Timing { candidate_step: 0, candidate_jitter: 0, ..Timing::default() };
        for (down_after, bound) in [(1000u64, 2000i64), (3000, 4500)] {
            for fault in [MasterFault::Kill, MasterFault::Isolate] {
                let name = format!("redis periods {fault:?} down-after {down_after}");
                timing_survey(&name, Timing::redis(), down_after, fault, bound);
                let name = format!("no candidacy order {fault:?} down-after {down_after}");
                timing_survey(&name, unordered, down_after, fault, bound);
            }
        }
    }
}

/// Long commands on a healthy master (`DEBUG SLEEP` 0.5–0.8 s with down-after 1000)
/// are not a failure: no +sdown of anything, no ODOWN, no failover.
#[test]
fn master_stalls_shorter_than_down_after_are_not_failures() {
    for_seeds("stall", seeds(4000..4100), |seed| {
        let mut w = World::with_master(seed, SERVERS, SENTINELS, 2, Timing::default(), 1000, 6000);
        w.verbose = std::env::var("SIM_VERBOSE").is_ok();
        w.net.max_delay = 1 + (seed % 10) as i64;
        w.run_until(10_000);
        for k in 0..8 {
            let t = 10_000 + k * 2000 + w.rng_below(1000) as i64;
            w.run_until(t);
            let ms = if k == 0 { 500 } else { 500 + w.rng_below(301) as i64 };
            w.pause_server(0, ms);
        }
        w.run_until(30_000);
        let bad: Vec<_> = w
            .events
            .iter()
            .filter(|e| {
                ["+sdown", "+odown", "+try-failover", "+switch-master"].contains(&e.2.as_str())
            })
            .collect();
        if !bad.is_empty() {
            return Err(fail(&w, format!("a stall was taken for a failure: {bad:?}")));
        }
        Ok(())
    });
}
