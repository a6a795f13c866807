//! Deterministic simulation of Sentinel cores against model redis servers over a
//! faulty network (see `sim/`). Every run is a seed; a failing seed is printed with the
//! end of its log and can be replayed alone with `SIM_SEED=<n>` (`SIM_VERBOSE=1` prints
//! the whole run).
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
    match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED must be a number")],
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
