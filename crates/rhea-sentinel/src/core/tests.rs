//! Unit tests of the core through its public inputs, with a scripted mini driver:
//! event texts against the observed ones (wire-spec §4.10), vote granting, ODOWN
//! counting, TILT, hello ignore rules, replica ordering, SENTINEL replies.

use std::collections::HashMap;

use rhea_resp::Reply;

use super::instance::{Addr, Instance, Kind};
use super::{Options, Sentinel};
use crate::config::model::{MasterConfig, SentinelConfig};
use crate::config::{Resolve, SharedResolver};
use crate::io::{Action, LinkId, LinkKind, LinkReply};
use crate::rng::SplitMix64;
use crate::timing::Timing;

const MYID: &str = "8bcd906d0d3c8c4a07f2e0bd8f0d9e5b6c7a43e4";
const PEER: &str = "554f0e6c1e2b3a4d5c6b7a8998a7b6c5d4e3fadc";
const WALL: i64 = 1_764_000_000_000;

fn config() -> SentinelConfig {
    let mut mc = MasterConfig::new("mymaster", "127.0.0.1", 7001, 2);
    mc.down_after_ms = 2000;
    SentinelConfig { myid: Some(MYID.into()), masters: vec![mc], ..SentinelConfig::default() }
}

/// A scripted driver: links connect at once and every command is answered by `answer`.
struct Harness {
    s: Sentinel,
    now: i64,
    links: HashMap<LinkId, (String, u16, LinkKind)>,
    events: Vec<String>,
    answer: fn(&[String]) -> Option<LinkReply>,
}

fn default_answer(argv: &[String]) -> Option<LinkReply> {
    Some(match argv[0].as_str() {
        "PING" => LinkReply::Status("PONG".into()),
        "INFO" => LinkReply::Bulk(format!(
            "run_id:{}\r\nrole:master\r\nslave0:ip=127.0.0.1,port=7000,state=online,offset=10,lag=0\r\n",
            "1".repeat(40)
        )),
        "SUBSCRIBE" => return None,
        _ => LinkReply::Status("OK".into()),
    })
}

impl Harness {
    fn new() -> Harness {
        Harness::with(config(), SharedResolver::default(), default_answer)
    }

    fn with(
        config: SentinelConfig,
        resolver: SharedResolver,
        answer: fn(&[String]) -> Option<LinkReply>,
    ) -> Harness {
        let opts = Options { port: 26379, requirepass: None, timing: Timing::default(), resolver };
        let (s, actions) = Sentinel::new(&config, opts, Box::new(SplitMix64::new(1)), 1000, WALL);
        let mut h = Harness { s, now: 1000, links: HashMap::new(), events: Vec::new(), answer };
        h.run(actions);
        h
    }

    fn run(&mut self, actions: Vec<Action>) {
        let mut queue = actions;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for a in queue {
                match a {
                    Action::Connect { link, kind, host, port } => {
                        self.links.insert(link, (host, port, kind));
                        next.extend(self.s.on_link_up(link, Some("127.0.0.1".into())));
                    }
                    Action::Send { link, argv } => {
                        if self.links.get(&link).is_some_and(|l| l.2 == LinkKind::Cmd)
                            && let Some(r) = (self.answer)(&argv)
                        {
                            next.extend(self.s.on_reply(link, r, self.now));
                        }
                    }
                    Action::Event { kind, message, .. } => {
                        self.events.push(format!("{kind} {message}"))
                    }
                    _ => {}
                }
            }
            queue = next;
        }
    }

    fn tick_to(&mut self, until: i64) {
        while self.now < until {
            self.now += 100;
            let a = self.s.tick(self.now, WALL + self.now);
            self.run(a);
        }
    }

    fn has(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }

    fn hello_from_peer(&mut self, current_epoch: u64, master: (&str, u16), config_epoch: u64) {
        let payload = format!(
            "127.0.0.1,27002,{PEER},{current_epoch},mymaster,{},{},{config_epoch}",
            master.0, master.1
        );
        let r = self.s.publish("__sentinel__:hello", &payload, self.now);
        assert_eq!(r, Reply::Int(1));
        let a = self.s.take_actions();
        self.run(a);
    }
}

#[test]
fn monitor_slave_and_sentinel_events_are_byte_exact() {
    let mut h = Harness::new();
    assert!(h.has("+monitor master mymaster 127.0.0.1 7001 quorum 2"), "{:?}", h.events);
    h.tick_to(1500);
    assert!(
        h.has("+slave slave 127.0.0.1:7000 127.0.0.1 7000 @ mymaster 127.0.0.1 7001"),
        "{:?}",
        h.events
    );
    h.hello_from_peer(0, ("127.0.0.1", 7001), 0);
    assert!(h.has(&format!("+sentinel sentinel {PEER} 127.0.0.1 27002 @ mymaster 127.0.0.1 7001")));
    assert_eq!(h.s.master_status("mymaster").unwrap().sentinels, vec![PEER.to_string()]);
}

#[test]
fn sdown_after_down_after_without_pong() {
    let mut h = Harness::new();
    h.answer = |argv| if argv[0] == "PING" { None } else { default_answer(argv) };
    h.tick_to(2900);
    assert!(!h.has("+sdown master mymaster 127.0.0.1 7001"));
    h.tick_to(3300);
    assert!(h.has("+sdown master mymaster 127.0.0.1 7001"), "{:?}", h.events);
}

#[test]
fn hello_ignore_rules() {
    let mut h = Harness::new();
    h.tick_to(1500);
    // 7 fields, and an unknown master: ignored.
    h.s.publish(
        "__sentinel__:hello",
        &format!("127.0.0.1,27002,{PEER},0,mymaster,127.0.0.1,7001"),
        h.now,
    );
    h.s.publish(
        "__sentinel__:hello",
        &format!("127.0.0.1,27002,{PEER},0,other,127.0.0.1,7001,0"),
        h.now,
    );
    assert!(h.s.master_status("mymaster").unwrap().sentinels.is_empty());
    // Our own hello coming back on the pub/sub link: ignored.
    let pubsub = *h.links.iter().find(|(_, l)| l.2 == LinkKind::Pubsub).unwrap().0;
    let own = format!("127.0.0.1,26379,{MYID},0,mymaster,127.0.0.1,7001,0");
    let msg = LinkReply::Array(vec![
        LinkReply::bulk("message"),
        LinkReply::bulk("__sentinel__:hello"),
        LinkReply::Bulk(own),
    ]);
    h.s.on_reply(pubsub, msg, h.now);
    assert!(h.s.master_status("mymaster").unwrap().sentinels.is_empty());
    // Other channels are refused over PUBLISH.
    assert_eq!(
        h.s.publish("chan", "x", h.now),
        Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.")
    );
}

#[test]
fn one_vote_per_epoch() {
    let mut h = Harness::new();
    let (a, b) = ("a".repeat(40), "b".repeat(40));
    let r = h.s.is_master_down_by_addr("127.0.0.1", 7001, 1, &a, h.now);
    assert_eq!((r.down, r.leader.as_deref(), r.leader_epoch), (false, Some(a.as_str()), 1));
    assert_eq!(h.s.current_epoch(), 1);
    let events = h.s.take_actions();
    h.run(events);
    assert!(h.has("+new-epoch 1"));
    assert!(h.has(&format!("+vote-for-leader {a} 1")));
    // Same epoch, another candidate: the old vote is returned.
    let r = h.s.is_master_down_by_addr("127.0.0.1", 7001, 1, &b, h.now);
    assert_eq!((r.leader.as_deref(), r.leader_epoch), (Some(a.as_str()), 1));
    // A newer epoch gets a new vote.
    let r = h.s.is_master_down_by_addr("127.0.0.1", 7001, 2, &b, h.now);
    assert_eq!((r.leader.as_deref(), r.leader_epoch), (Some(b.as_str()), 2));
    // An older epoch request gets the current vote back, no new one.
    let r = h.s.is_master_down_by_addr("127.0.0.1", 7001, 1, &a, h.now);
    assert_eq!((r.leader.as_deref(), r.leader_epoch), (Some(b.as_str()), 2));
    // `*` asks only about the state; an unknown address is never down.
    let r = h.s.is_master_down_by_addr("127.0.0.1", 7001, 3, "*", h.now);
    assert_eq!((r.leader.clone(), r.leader_epoch), (None, 0));
    assert_eq!(h.s.current_epoch(), 2);
    assert_eq!(
        r.to_reply(),
        Reply::Array(vec![Reply::Int(0), Reply::bulk_str("*"), Reply::Int(0)])
    );
}

/// One peer known, then the master stops answering PING (it answers with an error, which
/// is not a valid reply: the harness answers every command, so the link's reply FIFO
/// stays in step) and the peer answers is-master-down-by-addr with `peer_down`; run to
/// 6 s.
fn master_silent_peer_says(peer_down: i64) -> Harness {
    let mut h = Harness::new();
    h.tick_to(1500);
    h.hello_from_peer(0, ("127.0.0.1", 7001), 0);
    h.answer = if peer_down == 1 {
        |argv| master_silent_answer(argv, 1)
    } else {
        |argv| master_silent_answer(argv, 0)
    };
    h.tick_to(6000);
    h
}

fn master_silent_answer(argv: &[String], peer_down: i64) -> Option<LinkReply> {
    match argv[0].as_str() {
        "PING" if argv.len() == 1 => Some(LinkReply::Error("ERR not available".into())),
        "SENTINEL" => Some(LinkReply::Array(vec![
            LinkReply::Int(peer_down),
            LinkReply::bulk("*"),
            LinkReply::Int(0),
        ])),
        _ => default_answer(argv),
    }
}

#[test]
fn odown_needs_quorum_of_peer_replies() {
    let h = master_silent_peer_says(1);
    assert!(h.has("+sdown master mymaster 127.0.0.1 7001"));
    assert!(h.has("+odown master mymaster 127.0.0.1 7001 #quorum 2/2"), "{:?}", h.events);
    assert!(h.has("+try-failover master mymaster 127.0.0.1 7001"), "{:?}", h.events);
}

#[test]
fn no_odown_when_peer_says_up() {
    let h = master_silent_peer_says(0);
    assert!(h.has("+sdown master mymaster 127.0.0.1 7001"));
    assert!(!h.events.iter().any(|e| e.starts_with("+odown")), "{:?}", h.events);
}

#[test]
fn tilt_entry_freezes_acting_and_exits_after_tilt_period() {
    let mut h = Harness::new();
    h.tick_to(1500);
    // The wall clock jumps 5 s forward between two ticks.
    h.now += 100;
    let a = h.s.tick(h.now, WALL + h.now + 5000);
    h.run(a);
    assert!(h.has("+tilt #tilt mode entered"));
    assert!(h.s.is_tilt());
    assert!(h.s.info_section(h.now).contains("sentinel_tilt:1\r\n"));
    // Afterwards the wall clock keeps the offset; no new jump.
    let offset = 5000;
    while h.now < 1600 + 30_000 {
        h.now += 100;
        let a = h.s.tick(h.now, WALL + h.now + offset);
        h.run(a);
        assert!(h.s.is_tilt() || h.now >= 1600 + 30_000);
    }
    h.now += 100;
    let a = h.s.tick(h.now, WALL + h.now + offset);
    h.run(a);
    assert!(h.has("-tilt #tilt mode exited"), "{:?}", h.events);
    assert!(!h.s.is_tilt());
    // A backwards wall clock tilts too.
    h.now += 100;
    let a = h.s.tick(h.now, WALL + h.now);
    h.run(a);
    assert!(h.s.is_tilt());
}

#[test]
fn config_epoch_from_hello_switches_master() {
    let mut h = Harness::new();
    h.tick_to(1500);
    h.hello_from_peer(0, ("127.0.0.1", 7001), 0);
    h.hello_from_peer(1, ("127.0.0.1", 7000), 1);
    assert!(h.has("+new-epoch 1"));
    assert!(h.has(&format!(
        "+config-update-from sentinel {PEER} 127.0.0.1 27002 @ mymaster 127.0.0.1 7001"
    )));
    assert!(h.has("+switch-master mymaster 127.0.0.1 7001 127.0.0.1 7000"), "{:?}", h.events);
    assert!(h.has("+slave slave 127.0.0.1:7001 127.0.0.1 7001 @ mymaster 127.0.0.1 7000"));
    assert_eq!(h.s.get_master_addr_by_name("mymaster"), Some(("127.0.0.1".into(), 7000)));
    let cfg = h.s.persisted_config();
    let m = &cfg.masters[0];
    assert_eq!((m.host.as_str(), m.port, m.config_epoch), ("127.0.0.1", 7000, 1));
    assert_eq!(m.known_replicas, vec![("127.0.0.1".to_string(), 7001)]);
    assert_eq!(m.known_sentinels[0].runid, PEER);
    assert_eq!(cfg.current_epoch, 1);
    // A stale config epoch does not switch back.
    h.hello_from_peer(1, ("127.0.0.1", 7001), 1);
    assert_eq!(h.s.get_master_addr_by_name("mymaster"), Some(("127.0.0.1".into(), 7000)));
}

fn replica(name: &str, priority: i64, offset: u64, runid: Option<&str>) -> Instance {
    let mut r = Instance::new(Kind::Replica, name.into(), Addr::new("127.0.0.1", 1), 1000, 0);
    r.slave_priority = priority;
    r.slave_repl_offset = offset;
    r.runid = runid.map(str::to_string);
    r
}

#[test]
fn replica_promotion_order() {
    let mut v = [
        replica("no-runid", 10, 500, None),
        replica("B", 10, 500, Some("BBBB")),
        replica("a", 10, 500, Some("aaaa")),
        replica("far-behind", 10, 100, Some("0000")),
        replica("low-priority-number", 5, 1, Some("zzzz")),
    ];
    v.sort_by(super::failover::compare_for_promotion);
    let names: Vec<&str> = v.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["low-priority-number", "a", "B", "no-runid", "far-behind"]);
}

#[test]
fn sentinel_command_replies() {
    let mut h = Harness::new();
    let cmd = |h: &mut Harness, args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (reply, actions) = h.s.command(&args, h.now);
        h.run(actions);
        reply
    };
    assert_eq!(cmd(&mut h, &["master", "nope"]), Reply::err("ERR No such master with that name"));
    assert_eq!(cmd(&mut h, &["get-master-addr-by-name", "nope"]), Reply::NullArray);
    assert_eq!(
        cmd(&mut h, &["get-master-addr-by-name", "mymaster"]),
        Reply::Array(vec![Reply::bulk_str("127.0.0.1"), Reply::bulk_str("7001")])
    );
    assert_eq!(
        cmd(&mut h, &["ckquorum", "mymaster"]),
        Reply::err(
            "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
        )
    );
    assert_eq!(
        cmd(&mut h, &["failover", "mymaster"]),
        Reply::err("NOGOODSLAVE No suitable replica to promote")
    );
    h.tick_to(1500);
    assert_eq!(cmd(&mut h, &["failover", "mymaster"]), Reply::ok());
    assert_eq!(
        cmd(&mut h, &["failover", "mymaster"]),
        Reply::err("INPROG Failover already in progress")
    );
    assert_eq!(
        cmd(&mut h, &["monitor", "m2", "not-an-ip", "1", "1"]),
        Reply::err("ERR Invalid IP address or hostname specified")
    );
    assert_eq!(
        cmd(&mut h, &["monitor", "m2", "10.0.0.1", "1", "0"]),
        Reply::err("ERR Quorum must be 1 or greater.")
    );
    assert_eq!(
        cmd(&mut h, &["monitor", "mymaster", "10.0.0.1", "1", "1"]),
        Reply::err("ERR Duplicate master name.")
    );
    assert_eq!(cmd(&mut h, &["monitor", "m2", "10.0.0.1", "6379", "1"]), Reply::ok());
    assert_eq!(cmd(&mut h, &["reset", "m*"]), Reply::Int(2));
    assert_eq!(cmd(&mut h, &["remove", "m2"]), Reply::ok());
    assert_eq!(
        cmd(&mut h, &["set", "mymaster", "quorum", "0"]),
        Reply::err("ERR Invalid argument '0' for SENTINEL SET 'quorum'")
    );
    assert_eq!(cmd(&mut h, &["set", "mymaster", "quorum", "1"]), Reply::ok());
    assert_eq!(
        cmd(&mut h, &["ckquorum", "mymaster"]),
        Reply::simple("OK 1 usable Sentinels. Quorum and failover authorization can be reached")
    );
    assert_eq!(cmd(&mut h, &["debug", "ping-period", "500"]), Reply::ok());
    assert_eq!(h.s.timing().ping_period, 500);
    // Rhea's knobs: the candidacy delays may be 0, the others must be > 0 as in Redis.
    assert_eq!(
        cmd(&mut h, &["debug", "candidate-step", "0", "candidate-jitter", "0"]),
        Reply::ok()
    );
    assert_eq!(
        cmd(&mut h, &["debug", "down-after-divisor", "0"]),
        Reply::err("ERR Invalid argument '0' for SENTINEL DEBUG 'down-after-divisor'")
    );
    assert_eq!(
        cmd(&mut h, &["debug", "down-after-divisor", "1", "failover-info-period", "1000"]),
        Reply::ok()
    );
    assert_eq!(h.s.timing(), Timing { ping_period: 500, ..Timing::redis() });
    assert_eq!(cmd(&mut h, &["myid"]), Reply::bulk_str(MYID));
    let fields: Vec<String> =
        h.s.master_fields("mymaster", h.now).unwrap().into_iter().map(|f| f.0).collect();
    assert_eq!(
        fields[..8],
        [
            "name",
            "ip",
            "port",
            "runid",
            "flags",
            "link-pending-commands",
            "link-refcount",
            "last-ping-sent"
        ]
    );
    assert!(h.has("+set master mymaster 127.0.0.1 7001 quorum 1"), "{:?}", h.events);
    assert!(h.has("+reset-master master mymaster 127.0.0.1 7001"));
    assert!(h.has("-monitor master m2 10.0.0.1 6379"));
}

#[test]
fn effective_periods_follow_down_after() {
    let t = Timing::default();
    assert_eq!((t.ping_every(1000), t.ask_every(1000)), (100, 100));
    assert_eq!((t.ping_every(3000), t.ask_every(3000)), (300, 300));
    assert_eq!((t.ping_every(30_000), t.ask_every(30_000)), (1000, 1000));
    let r = Timing::redis();
    assert_eq!((r.ping_every(1000), r.ask_every(1000)), (1000, 1000));
    assert_eq!((r.ping_every(500), r.ask_every(500)), (500, 1000));
}

/// Two names for the hostname tests; DNS itself is not under test.
struct FixedNames;

impl Resolve for FixedNames {
    fn resolve(&self, host: &str) -> Option<std::net::IpAddr> {
        match host {
            "node-a" => Some([10, 0, 0, 1].into()),
            "node-b" => Some([10, 0, 0, 2].into()),
            _ => None,
        }
    }
}

/// A master at node-a whose INFO names its replica by hostname (`replica-announce-ip`).
fn named_replica_answer(argv: &[String]) -> Option<LinkReply> {
    match argv[0].as_str() {
        "INFO" => Some(LinkReply::Bulk(format!(
            "run_id:{}\r\nrole:master\r\nslave0:ip=node-b,port=7000,state=online,offset=1,lag=0\r\n",
            "1".repeat(40)
        ))),
        _ => default_answer(argv),
    }
}

#[test]
fn hostnames_resolve_once_and_show_as_announce_hostnames_says() {
    for announce in [false, true] {
        let mut cfg = config();
        cfg.resolve_hostnames = true;
        cfg.announce_hostnames = announce;
        cfg.masters[0].host = "node-a".into();
        let resolver = SharedResolver(std::sync::Arc::new(FixedNames));
        let mut h = Harness::with(cfg, resolver, named_replica_answer);
        h.tick_to(1500);
        let (a, b) = if announce { ("node-a", "node-b") } else { ("10.0.0.1", "10.0.0.2") };
        let slave = format!("+slave slave {b}:7000 {b} 7000 @ mymaster {a} 7001");
        assert!(h.has(&slave), "{:?}", h.events);
        assert_eq!(h.s.get_master_addr_by_name("mymaster"), Some((a.to_string(), 7001)));
        // Links go to the addresses resolved when the instances were made.
        let mut hosts: Vec<&str> = h.links.values().map(|l| l.0.as_str()).collect();
        hosts.sort();
        hosts.dedup();
        assert_eq!(hosts, ["10.0.0.1", "10.0.0.2"]);
        // The rewrite keeps the names; it prints IPs or names as the settings say.
        let persisted = h.s.persisted_config();
        assert_eq!(persisted.masters[0].host, "node-a");
        assert_eq!(persisted.masters[0].known_replicas, [("node-b".to_string(), 7000)]);
        // A peer naming the master by its IP or by its name means the same master.
        assert!(h.s.is_master_down_by_addr("10.0.0.1", 7001, 0, "*", h.now).leader.is_none());
        let by_name = h.s.masters.iter().filter(|m| h.s.g.addr_is(&m.inst.addr, "node-a", 7001));
        assert_eq!(by_name.count(), 1);
    }
}

#[test]
fn without_resolve_hostnames_a_replica_named_by_host_is_not_added() {
    let mut h = Harness::with(config(), SharedResolver::default(), named_replica_answer);
    h.tick_to(1500);
    assert!(!h.events.iter().any(|e| e.starts_with("+slave ")), "{:?}", h.events);
    assert!(h.s.master_status("mymaster").unwrap().replicas.is_empty());
    assert_eq!(
        h.s.monitor("other", "node-a", 7002, 2, h.now),
        Reply::err("ERR Invalid IP address or hostname specified")
    );
}
