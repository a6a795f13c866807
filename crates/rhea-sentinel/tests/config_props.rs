//! Properties of the sentinel.conf rewrite, over random sequences of state changes (the
//! kind the Sentinel core makes: MONITOR, REMOVE, SET, new replicas and peers, epochs,
//! votes, RESET, CONFIG SET). After every change the file is rewritten from its previous
//! content, and:
//!
//! * loading the new file gives back exactly the state that was written;
//! * rewriting it again with the same state changes nothing (a fixed point), except
//!   for the one trailing blank line Redis's algorithm adds on the second pass;
//! * no directive line appears twice, and there are never two blank lines in a row;
//! * the file on disk is always either the old or the new content (flush_config).

use proptest::prelude::*;
use rhea_sentinel::config::{
    self, KnownSentinel, MasterConfig, SentinelConfig, SystemResolver, flush_config,
};
use rhea_server::config::Config;

const NAMES: &[&str] = &["mymaster", "cache", "sessions", "queue"];
const COMMANDS: &[&str] = &["CONFIG", "SLAVEOF", "REPLICAOF", "CLIENT", "AUTH"];

#[derive(Clone, Debug)]
enum Op {
    Monitor(usize, u16, u32),
    Remove(usize),
    Quorum(usize, u32),
    DownAfter(usize, u64),
    FailoverTimeout(usize, u64),
    ParallelSyncs(usize, i32),
    RebootDownAfter(usize, u64),
    AuthPass(usize, Option<String>),
    AuthUser(usize, Option<String>),
    Replica(usize, u16),
    Peer(usize, u16, u8),
    Rename(usize, usize, String),
    ConfigEpoch(usize, u64),
    LeaderEpoch(usize, u64),
    CurrentEpoch(u64),
    Reset(usize),
    AnnounceIp(Option<u8>),
    AnnouncePort(u16),
    SentinelUser(Option<String>),
    SentinelPass(Option<String>),
    DenyScripts(bool),
    ResolveHostnames(bool),
    AnnounceHostnames(bool),
    SwitchMaster(usize, u16),
}

fn word() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,8}"
}

fn op() -> impl Strategy<Value = Op> {
    let m = 0..NAMES.len();
    prop_oneof![
        3 => (m.clone(), 1..60u16, 1..5u32).prop_map(|(i, p, q)| Op::Monitor(i, p, q)),
        1 => m.clone().prop_map(Op::Remove),
        1 => (m.clone(), 1..5u32).prop_map(|(i, q)| Op::Quorum(i, q)),
        1 => (m.clone(), prop_oneof![Just(30_000u64), 1..100_000u64]).prop_map(|(i, v)| Op::DownAfter(i, v)),
        1 => (m.clone(), prop_oneof![Just(180_000u64), 1..400_000u64]).prop_map(|(i, v)| Op::FailoverTimeout(i, v)),
        1 => (m.clone(), -2..5i32).prop_map(|(i, v)| Op::ParallelSyncs(i, v)),
        1 => (m.clone(), 0..5000u64).prop_map(|(i, v)| Op::RebootDownAfter(i, v)),
        1 => (m.clone(), proptest::option::of(word())).prop_map(|(i, v)| Op::AuthPass(i, v)),
        1 => (m.clone(), proptest::option::of(word())).prop_map(|(i, v)| Op::AuthUser(i, v)),
        3 => (m.clone(), 1..60u16).prop_map(|(i, p)| Op::Replica(i, p)),
        2 => (m.clone(), 1..60u16, 0..6u8).prop_map(|(i, p, r)| Op::Peer(i, p, r)),
        1 => (m.clone(), 0..COMMANDS.len(), word()).prop_map(|(i, c, w)| Op::Rename(i, c, w)),
        2 => (m.clone(), any::<u64>()).prop_map(|(i, e)| Op::ConfigEpoch(i, e)),
        2 => (m.clone(), any::<u64>()).prop_map(|(i, e)| Op::LeaderEpoch(i, e)),
        1 => any::<u64>().prop_map(Op::CurrentEpoch),
        1 => m.clone().prop_map(Op::Reset),
        1 => proptest::option::of(any::<u8>()).prop_map(Op::AnnounceIp),
        1 => any::<u16>().prop_map(Op::AnnouncePort),
        1 => proptest::option::of(word()).prop_map(Op::SentinelUser),
        1 => proptest::option::of(word()).prop_map(Op::SentinelPass),
        1 => any::<bool>().prop_map(Op::DenyScripts),
        1 => any::<bool>().prop_map(Op::ResolveHostnames),
        1 => any::<bool>().prop_map(Op::AnnounceHostnames),
        1 => (m, 1..60u16).prop_map(|(i, p)| Op::SwitchMaster(i, p)),
    ]
}

fn host(n: u16) -> String {
    format!("127.0.0.{}", n % 250 + 1)
}

/// Apply `op` as the Sentinel would; ops on masters that do not exist, and additions
/// Redis would refuse as duplicates, do nothing.
fn apply(s: &mut SentinelConfig, op: &Op) {
    let find = |s: &mut SentinelConfig, i: usize| {
        let name = NAMES[i];
        s.masters.iter().position(|m| m.name == name)
    };
    let with = |s: &mut SentinelConfig, i: usize, f: &dyn Fn(&mut MasterConfig)| {
        if let Some(k) = find(s, i) {
            f(&mut s.masters[k]);
        }
    };
    match op.clone() {
        Op::Monitor(i, p, q) => {
            if find(s, i).is_none() {
                s.masters.push(MasterConfig::new(NAMES[i], &host(p), 6000 + p, q));
            }
        }
        Op::Remove(i) => s.masters.retain(|m| m.name != NAMES[i]),
        Op::Quorum(i, q) => with(s, i, &|m| m.quorum = q),
        Op::DownAfter(i, v) => with(s, i, &|m| m.down_after_ms = v),
        Op::FailoverTimeout(i, v) => with(s, i, &|m| m.failover_timeout_ms = v),
        Op::ParallelSyncs(i, v) => with(s, i, &|m| m.parallel_syncs = v as u32),
        Op::RebootDownAfter(i, v) => with(s, i, &|m| m.master_reboot_down_after_ms = v),
        Op::AuthPass(i, v) => with(s, i, &|m| m.auth_pass = v.clone()),
        Op::AuthUser(i, v) => with(s, i, &|m| m.auth_user = v.clone()),
        Op::Replica(i, p) => with(s, i, &|m| {
            let r = (host(p), 7000 + p);
            if !m.known_replicas.contains(&r) {
                m.known_replicas.push(r);
            }
        }),
        Op::Peer(i, p, r) => with(s, i, &|m| {
            let runid = format!("{r:x}").repeat(40);
            if !m.known_sentinels.iter().any(|k| k.runid == runid) {
                m.known_sentinels.push(KnownSentinel { host: host(p), port: 26000 + p, runid });
            }
        }),
        Op::Rename(i, c, w) => with(s, i, &|m| {
            if !m.renamed_commands.iter().any(|(f, _)| f == COMMANDS[c]) {
                m.renamed_commands.push((COMMANDS[c].to_string(), w.clone()));
            }
        }),
        Op::ConfigEpoch(i, e) => {
            if let Some(k) = find(s, i) {
                s.masters[k].config_epoch = e;
                // Sentinel's current epoch is never below a config epoch it knows.
                s.current_epoch = s.current_epoch.max(e);
            }
        }
        Op::LeaderEpoch(i, e) => with(s, i, &|m| m.leader_epoch = e),
        Op::CurrentEpoch(e) => s.current_epoch = s.current_epoch.max(e),
        Op::Reset(i) => with(s, i, &|m| {
            m.known_replicas.clear();
            m.known_sentinels.clear();
        }),
        Op::AnnounceIp(v) => s.announce_ip = v.map(|n| format!("10.0.0.{n}")),
        Op::AnnouncePort(p) => s.announce_port = p,
        Op::SentinelUser(v) => s.sentinel_user = v,
        Op::SentinelPass(v) => s.sentinel_pass = v,
        Op::DenyScripts(v) => s.deny_scripts_reconfig = v,
        Op::ResolveHostnames(v) => s.resolve_hostnames = v,
        Op::AnnounceHostnames(v) => s.announce_hostnames = v,
        // +switch-master: the old master becomes a replica, the promoted one leaves the
        // replica list (sentinelResetMasterAndChangeAddress).
        Op::SwitchMaster(i, p) => with(s, i, &|m| {
            let new = (host(p), 6000 + p);
            let old = (m.host.clone(), m.port);
            m.known_replicas.retain(|r| *r != new);
            if old != new && !m.known_replicas.contains(&old) {
                m.known_replicas.push(old);
            }
            (m.host, m.port) = new;
            m.known_sentinels.clear();
        }),
    }
}

fn load(dir: &std::path::Path, content: &[u8]) -> (Config, SentinelConfig) {
    let path = dir.join("reload.conf");
    std::fs::write(&path, content).unwrap();
    let args = [path.to_string_lossy().into_owned()];
    match config::load_sentinel_config_with(&args, &mut std::io::empty(), &SystemResolver) {
        Ok(l) => (l.server.config, l.sentinel),
        Err(e) => panic!(
            "the rewritten file does not load:\n{}\n{}",
            e.report(),
            String::from_utf8_lossy(content)
        ),
    }
}

fn check_shape(content: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(content);
    let mut seen = std::collections::HashSet::new();
    let mut blank_before = false;
    for line in text.lines() {
        prop_assert!(!(blank_before && line.is_empty()), "two blank lines in a row:\n{}", text);
        blank_before = line.is_empty();
        if !line.is_empty() && !line.starts_with('#') {
            prop_assert!(seen.insert(line), "duplicated line {:?}:\n{}", line, text);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rewrite_is_a_faithful_fixed_point(ops in proptest::collection::vec(op(), 1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let base = format!(
            "# sentinel\nport 26400\nbind 127.0.0.1\ndir {}\n\nsentinel myid {}\n\
             sentinel monitor mymaster 127.0.0.1 6379 2\n# end\n",
            dir.path().display(),
            "ab".repeat(20)
        );
        let (server, mut state) = load(dir.path(), base.as_bytes());
        // Two restarts first: the first rewrite adds `user default on nopass ~* &* +@all`,
        // which reloads with `sanitize-payload` on; the second rewrite writes that flag,
        // and from then on the line is stable (Redis 7.0.15 does the same, see
        // config_oracle.rs).
        let mut content = config::render(base.as_bytes(), &server, &state, &SystemResolver);
        let (server, _) = load(dir.path(), &content);
        content = config::render(&content, &server, &state, &SystemResolver);
        let (server, _) = load(dir.path(), &content);
        for op in &ops {
            apply(&mut state, op);
            content = config::render(&content, &server, &state, &SystemResolver);
            let (server2, reloaded) = load(dir.path(), &content);
            prop_assert_eq!(&reloaded, &state, "after {:?}:\n{}", op, String::from_utf8_lossy(&content));
            prop_assert_eq!(&server2, &server);
            // Redis's quirk, kept: the newline ending the file reads back as a blank last
            // line, so the next rewrite may add one trailing blank line; after that the
            // file is stable.
            let again = config::render(&content, &server, &state, &SystemResolver);
            let mut grown = content.clone();
            if !grown.ends_with(b"\n\n") {
                grown.push(b'\n');
            }
            prop_assert!(again == content || again == grown, "not stable:\n{}\n--- became\n{}",
                String::from_utf8_lossy(&content), String::from_utf8_lossy(&again));
            let third = config::render(&again, &server, &state, &SystemResolver);
            prop_assert_eq!(String::from_utf8_lossy(&third), String::from_utf8_lossy(&again));
            check_shape(&content)?;
        }
        // The same through the file: flush_config leaves exactly the rendered content.
        let path = dir.path().join("sentinel.conf");
        std::fs::write(&path, &content).unwrap();
        flush_config(&path, &server, &state).unwrap();
        let expected = config::render(&content, &server, &state, &SystemResolver);
        prop_assert_eq!(std::fs::read(&path).unwrap(), expected);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        prop_assert_eq!(leftovers, 2, "temporary files left behind");
    }
}
