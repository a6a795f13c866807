//! Three Rhea sentinels (in-process drivers) watching a real redis-server master with two
//! real replicas on loopback: discovery, a failover after SIGKILL of the master, and the
//! old master's return as a replica. Quorum 2, down-after 1000 ms, failover-timeout 3000.

mod driver_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use driver_support::*;

fn replicas_seen(s: &RheaSentinel) -> HashSet<String> {
    maps(&s.sentinel(&["replicas", MASTER])).iter().map(|m| m["port"].clone()).collect()
}

fn sentinels_seen(s: &RheaSentinel) -> HashSet<String> {
    maps(&s.sentinel(&["sentinels", MASTER])).iter().map(|m| m["runid"].clone()).collect()
}

/// The epoch of each `+elected-leader`: the sentinel's latest `+new-epoch` before it.
fn elected_epochs(s: &RheaSentinel) -> Vec<String> {
    let mut epoch = String::new();
    let mut out = Vec::new();
    for (kind, msg) in s.rec.all() {
        match kind.as_str() {
            "+new-epoch" => epoch = msg,
            "+elected-leader" => out.push(epoch.clone()),
            _ => {}
        }
    }
    out
}

fn s0_no_pending_scripts(s: &RheaSentinel) -> bool {
    let info = s.handle.info_section();
    s.sentinel(&["pending-scripts"]) == rhea_sentinel::LinkReply::Array(vec![])
        && info.contains("sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n")
}

#[test]
fn three_rhea_sentinels_fail_over_a_real_master() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    let mut master = RedisProc::server(tmp.path(), "m", None);
    let r1 = RedisProc::server(tmp.path(), "r1", Some(master.port));
    let r2 = RedisProc::server(tmp.path(), "r2", Some(master.port));
    // s0 runs a notification script for its warning events: it appends its arguments to
    // a file, and asks for a retry (exit 1) the first time it sees +sdown.
    let notified = tmp.path().join("notified.txt");
    let script = tmp.path().join("notify.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $2\" >> {n}\n\
             if [ \"$1\" = +sdown ] && [ ! -e {n}.retried ]; then touch {n}.retried; exit 1; fi\n",
            n = notified.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sentinels: Vec<RheaSentinel> = (0..3)
        .map(|i| {
            let script = (i == 0).then_some(script.as_path());
            RheaSentinel::start_full(&rt, &format!("s{i}"), master.port, 2, script)
        })
        .collect();
    let ids: Vec<String> = sentinels.iter().map(|s| s.handle.myid()).collect();

    // ----- 1. discovery -----
    let t0 = Instant::now();
    let want_replicas: HashSet<String> = [r1.port, r2.port].iter().map(u16::to_string).collect();
    for (i, s) in sentinels.iter().enumerate() {
        wait_for(Duration::from_secs(10), "replicas and peers discovered", || {
            replicas_seen(s) == want_replicas && sentinels_seen(s).len() == 2
        });
        let others: HashSet<String> =
            ids.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, id)| id.clone()).collect();
        assert_eq!(sentinels_seen(s), others, "s{i} knows the other two by run id");
        assert_eq!(s.rec.count("+slave"), 2, "s{i}: {:?}", s.rec.messages("+slave"));
        assert_eq!(s.rec.count("+sentinel"), 2, "s{i}: {:?}", s.rec.messages("+sentinel"));
        assert_eq!(s.rec.count("+monitor"), 1);
        let info = s.handle.info_section();
        assert!(info.contains("status=ok,address=127.0.0.1:"), "{info}");
        assert!(info.contains(",slaves=2,sentinels=3"), "{info}");
    }
    eprintln!("discovery: {:?}", t0.elapsed());

    // ----- 2. failover after SIGKILL of the master -----
    let old_port = master.port;
    master.kill();
    let killed_at = Instant::now();
    for s in &sentinels {
        wait_for(Duration::from_secs(20), "+switch-master on every sentinel", || {
            s.rec.count("+switch-master") >= 1
        });
    }
    let switched = sentinels.iter().filter_map(|s| s.rec.first_at("+switch-master")).max();
    eprintln!("kill -> last +switch-master: {:?}", switched.unwrap() - killed_at);
    if std::env::var_os("RHEA_TEST_EVENTS").is_some() {
        for s in &sentinels {
            eprintln!("{}: {:#?}", s.rec.name, s.rec.all());
        }
    }
    let new_addr = sentinels[0].master_addr().unwrap();
    assert_eq!(new_addr.0, "127.0.0.1");
    assert!(new_addr.1 == r1.port || new_addr.1 == r2.port, "{new_addr:?}");
    for (i, s) in sentinels.iter().enumerate() {
        assert_eq!(s.master_addr(), Some(new_addr.clone()), "s{i}");
        assert!(s.rec.count("+sdown") >= 1, "s{i} saw +sdown");
        let sw = s.rec.messages("+switch-master");
        assert_eq!(sw.len(), 1, "s{i}: one failover only: {sw:?}");
        assert_eq!(
            sw[0],
            format!("{MASTER} 127.0.0.1 {old_port} 127.0.0.1 {}", new_addr.1),
            "s{i}"
        );
    }
    let odown = sentinels.iter().filter(|s| s.rec.count("+odown") >= 1).count();
    assert!(odown >= 1, "some sentinel reached +odown");
    // At most one leader per epoch, and exactly one sentinel promoted a replica.
    let mut epochs: Vec<String> = sentinels.iter().flat_map(elected_epochs).collect();
    let n_elected = epochs.len();
    epochs.sort();
    epochs.dedup();
    assert_eq!(epochs.len(), n_elected, "two leaders in one epoch");
    let promoted: Vec<usize> =
        (0..3).filter(|&i| sentinels[i].rec.count("+promoted-slave") >= 1).collect();
    assert_eq!(promoted.len(), 1, "one leader promoted a replica");
    eprintln!(
        "leader s{}; +elected-leader events: {n_elected}; sentinels with +odown: {odown}",
        promoted[0]
    );
    let (promoted_srv, other_srv) = if new_addr.1 == r1.port { (&r1, &r2) } else { (&r2, &r1) };
    let info = redis_info(promoted_srv.port, "replication").unwrap();
    assert_eq!(info_field(&info, "role").as_deref(), Some("master"), "{info}");
    wait_for(Duration::from_secs(10), "the other replica follows the new master", || {
        redis_info(other_srv.port, "replication").is_some_and(|i| {
            info_field(&i, "master_port") == Some(promoted_srv.port.to_string())
                && info_field(&i, "master_host").as_deref() == Some("127.0.0.1")
        })
    });

    // ----- 3. the old master comes back and is converted -----
    master.restart();
    let back_at = Instant::now();
    wait_for(Duration::from_secs(20), "+convert-to-slave", || {
        sentinels.iter().any(|s| s.rec.count("+convert-to-slave") >= 1)
    });
    wait_for(Duration::from_secs(10), "old master replicates from the new one", || {
        redis_info(master.port, "replication").is_some_and(|i| {
            info_field(&i, "role").as_deref() == Some("slave")
                && info_field(&i, "master_port") == Some(promoted_srv.port.to_string())
                && info_field(&i, "master_link_status").as_deref() == Some("up")
        })
    });
    eprintln!("restart -> old master replicating: {:?}", back_at.elapsed());
    // s0's notification script ran for its warning events; the +sdown run asked for a
    // retry (exit 1) and ran again after script-retry-delay, which the test shortened.
    wait_for(Duration::from_secs(5), "the +sdown script was retried", || {
        std::fs::read_to_string(&notified).unwrap_or_default().matches("+sdown master").count() == 2
    });
    let lines = std::fs::read_to_string(&notified).unwrap_or_default();
    assert!(lines.contains("+monitor master mymaster"), "{lines}");
    assert!(lines.contains("+switch-master mymaster"), "{lines}");
    let sdown_master = format!("+sdown master mymaster 127.0.0.1 {old_port}");
    assert_eq!(lines.matches(&sdown_master).count(), 2, "retried once: {lines}");
    wait_for(Duration::from_secs(5), "script queue drained", || {
        s0_no_pending_scripts(&sentinels[0])
    });
    for s in &sentinels {
        assert!(s.rec.crashes.lock().unwrap().is_empty());
        assert!(*s.rec.flushes.lock().unwrap() >= 1);
    }
}
