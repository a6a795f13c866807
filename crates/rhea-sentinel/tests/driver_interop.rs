//! Mixed deployment: one Rhea sentinel (in-process driver) and two real Redis 7.0
//! sentinels (`redis-server --sentinel`) watching the same real master and replicas.
//!
//! They must discover each other through hellos, and agree on ODOWN and the failover.
//! To make the cross-implementation protocol matter, one real sentinel is paused
//! (SIGSTOP) before the master is killed, and quorums are chosen so that the leader is
//! known in advance and needs the other implementation:
//! * Rhea leads: real sentinels have quorum 3 (with one paused they never reach ODOWN,
//!   but they answer `is-master-down-by-addr` and vote); Rhea (quorum 2) needs the real
//!   one's "down" for ODOWN and its vote for the majority of 3.
//! * A real sentinel leads: Rhea has quorum 3, the real ones 2; the running real one
//!   needs Rhea's answer for ODOWN and Rhea's vote.
//!
//! The paused sentinel, resumed, must catch up with the new master.

mod driver_support;

use std::time::{Duration, Instant};

use driver_support::*;
use rhea_sentinel::LinkReply;

fn real_sentinel_runids(port: u16) -> Vec<String> {
    match call(port, &["SENTINEL", "SENTINELS", MASTER]) {
        Ok(r) => maps(&r).iter().map(|m| m["runid"].clone()).collect(),
        Err(_) => Vec::new(),
    }
}

fn real_master_addr(port: u16) -> Option<(String, u16)> {
    addr(&call(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER]).ok()?)
}

fn mixed_failover(rhea_leads: bool) {
    let (rhea_quorum, real_quorum) = if rhea_leads { (2, 3) } else { (3, 2) };
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    let mut master = RedisProc::server(tmp.path(), "m", None);
    let r1 = RedisProc::server(tmp.path(), "r1", Some(master.port));
    let r2 = RedisProc::server(tmp.path(), "r2", Some(master.port));
    let real_a = RedisProc::sentinel(tmp.path(), "sa", master.port, real_quorum);
    let real_b = RedisProc::sentinel(tmp.path(), "sb", master.port, real_quorum);
    tune_real_sentinel(real_a.port);
    tune_real_sentinel(real_b.port);
    let rhea = RheaSentinel::start_with_quorum(&rt, "rhea", master.port, rhea_quorum);
    let rhea_id = rhea.handle.myid();
    let id_of = |port: u16| match call(port, &["SENTINEL", "MYID"]) {
        Ok(LinkReply::Bulk(s)) => s,
        other => panic!("SENTINEL MYID: {other:?}"),
    };
    let (id_a, id_b) = (id_of(real_a.port), id_of(real_b.port));

    // ----- discovery, both ways -----
    let t0 = Instant::now();
    wait_for(Duration::from_secs(15), "all three sentinels know each other", || {
        rhea.rec.count("+sentinel") == 2
            && real_sentinel_runids(real_a.port).contains(&rhea_id)
            && real_sentinel_runids(real_b.port).contains(&rhea_id)
    });
    let mut seen: Vec<String> =
        maps(&rhea.sentinel(&["sentinels", MASTER])).iter().map(|m| m["runid"].clone()).collect();
    seen.sort();
    let mut want = vec![id_a.clone(), id_b.clone()];
    want.sort();
    assert_eq!(seen, want);
    wait_for(Duration::from_secs(10), "Rhea sees both replicas", || {
        maps(&rhea.sentinel(&["replicas", MASTER])).len() == 2
    });
    // The real sentinels treat us as a live peer: connected, fresh hellos.
    for port in [real_a.port, real_b.port] {
        wait_for(Duration::from_secs(5), "real sentinel has a live link to Rhea", || {
            let r = call(port, &["SENTINEL", "SENTINELS", MASTER]).unwrap();
            maps(&r).iter().any(|m| {
                m["runid"] == rhea_id
                    && !m["flags"].contains("disconnected")
                    && m["last-hello-message"].parse::<i64>().unwrap_or(i64::MAX) < 3000
            })
        });
    }
    eprintln!("discovery: {:?}", t0.elapsed());

    // ----- pause one real sentinel, kill the master -----
    kill_signal(real_b.pid(), "-STOP");
    let old_port = master.port;
    master.kill();
    let killed = Instant::now();
    wait_for(Duration::from_secs(20), "Rhea and the running real sentinel switch", || {
        rhea.rec.count("+switch-master") >= 1
            && real_master_addr(real_a.port).is_some_and(|a| a.1 != old_port)
    });
    eprintln!("kill -> switch on both running sentinels: {:?}", killed.elapsed());
    let log_a = real_a.log();
    if std::env::var_os("RHEA_TEST_LOG").is_some() {
        eprintln!("real sentinel log:\n{log_a}\nRhea events: {:#?}", rhea.rec.all());
    }
    let new_addr = rhea.master_addr().unwrap();
    assert!(new_addr.1 == r1.port || new_addr.1 == r2.port, "{new_addr:?}");
    assert_eq!(real_master_addr(real_a.port), Some(new_addr.clone()));
    assert!(rhea.rec.count("+sdown") >= 1);
    assert!(log_a.contains("+sdown master mymaster"), "{log_a}");
    if rhea_leads {
        assert_eq!(rhea.rec.count("+odown"), 1, "Rhea's ODOWN counted the real answer");
        assert!(rhea.rec.messages("+odown")[0].ends_with("#quorum 2/2"));
        assert_eq!(rhea.rec.count("+elected-leader"), 1);
        assert_eq!(rhea.rec.count("+promoted-slave"), 1);
        assert!(log_a.contains(&format!("+vote-for-leader {rhea_id}")), "{log_a}");
        assert!(log_a.contains("+config-update-from sentinel"), "{log_a}");
        assert!(!log_a.contains("+promoted-slave"), "{log_a}");
    } else {
        assert!(log_a.contains("+odown master mymaster"), "{log_a}");
        assert!(log_a.contains("#quorum 2/2"), "{log_a}");
        assert!(log_a.contains("+elected-leader"), "{log_a}");
        assert!(log_a.contains("+promoted-slave"), "{log_a}");
        let votes = rhea.rec.messages("+vote-for-leader");
        assert!(votes.iter().any(|m| m.starts_with(&id_a)), "Rhea voted for it: {votes:?}");
        assert_eq!(rhea.rec.count("+config-update-from"), 1);
        assert_eq!(rhea.rec.count("+promoted-slave"), 0);
    }
    let (promoted, other) = if new_addr.1 == r1.port { (&r1, &r2) } else { (&r2, &r1) };
    let info = redis_info(promoted.port, "replication").unwrap();
    assert_eq!(info_field(&info, "role").as_deref(), Some("master"));
    wait_for(Duration::from_secs(10), "the other replica follows the new master", || {
        redis_info(other.port, "replication")
            .is_some_and(|i| info_field(&i, "master_port") == Some(promoted.port.to_string()))
    });

    // ----- the paused real sentinel resumes and catches up -----
    kill_signal(real_b.pid(), "-CONT");
    let resumed = Instant::now();
    wait_for(Duration::from_secs(15), "resumed real sentinel learns the new master", || {
        real_master_addr(real_b.port) == Some(new_addr.clone())
    });
    eprintln!("resume -> paused sentinel updated: {:?}", resumed.elapsed());
    assert!(!rhea.rec.all().iter().any(|(k, _)| k == "+tilt"), "no TILT in Rhea");
}

#[test]
fn rhea_leads_a_failover_with_a_real_sentinels_vote() {
    mixed_failover(true);
}

#[test]
fn real_sentinel_leads_a_failover_with_rheas_vote() {
    mixed_failover(false);
}
