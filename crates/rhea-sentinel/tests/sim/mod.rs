//! A deterministic world: model redis servers, Sentinel cores and a network between
//! them, driven by one seeded scheduler. Every connection is FIFO (as TCP is); a
//! partition or a kill breaks connections, which then either report down (RST) or go
//! silent (black hole) so the core's own link recycling has to notice.

pub mod server;

use std::collections::{BTreeMap, HashMap};

use rhea_resp::Reply;
use rhea_sentinel::config::model::{MasterConfig, SentinelConfig};
use rhea_sentinel::{
    Action, FailoverState, LinkId, LinkReply, Options, Sentinel, SentinelRng, SplitMix64, Timing,
};
use server::{Server, ServerRole};

pub const MASTER_NAME: &str = "mymaster";
pub const SERVER_PORT: u16 = 6379;
pub const SENTINEL_PORT: u16 = 26379;

/// Hosts: servers are `10.0.0.<i+1>`, sentinels `10.0.1.<j+1>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    Server(usize),
    Sentinel(usize),
}

pub struct SentinelNode {
    pub core: Option<Sentinel>,
    pub ip: String,
    /// What its config file holds (the last flush).
    pub saved: SentinelConfig,
    pub wall_offset: i64,
    pub paused_until: i64,
}

struct Conn {
    target: Host,
    broken: bool,
    subscribed: bool,
    multi: Option<Vec<Vec<String>>>,
    /// FIFO: the next delivery in each direction is not before these.
    next_to_target: i64,
    next_to_sentinel: i64,
}

#[derive(Debug, Clone)]
enum Ev {
    Tick(usize),
    LinkUp(usize, LinkId),
    LinkDown(usize, LinkId),
    ToTarget(usize, LinkId, Vec<String>),
    ToSentinel(usize, LinkId, LinkReply),
    ServerCron,
    /// A paused server (DEBUG SLEEP) runs the commands that arrived meanwhile, in order.
    ServerResume(usize),
}

/// Knobs of one run.
#[derive(Debug, Clone)]
pub struct Net {
    pub max_delay: i64,
    /// Chance that a broken connection is reported down (else it goes silent).
    pub rst_chance: u64,
}

pub struct World {
    pub now: i64,
    pub rng: SplitMix64,
    pub servers: Vec<Server>,
    pub sentinels: Vec<SentinelNode>,
    conns: HashMap<(usize, LinkId), Conn>,
    queue: BTreeMap<(i64, u64), Ev>,
    seq: u64,
    /// Partition group of each host; hosts talk only within a group.
    groups: HashMap<Host, u32>,
    pub net: Net,
    pub timing: Timing,
    pub log: Vec<String>,
    pub verbose: bool,
    /// Every event published by any sentinel: (time, sentinel, kind, message).
    pub events: Vec<(i64, usize, String, String)>,
    /// Invariant bookkeeping: epoch -> sentinel myid elected / replica promoted.
    pub leaders: HashMap<u64, String>,
    pub promoted: HashMap<u64, (String, u16)>,
    pub violations: Vec<String>,
}

impl World {
    pub fn new(
        seed: u64,
        n_servers: usize,
        n_sentinels: usize,
        quorum: u32,
        timing: Timing,
    ) -> World {
        World::with_master(seed, n_servers, n_sentinels, quorum, timing, 2000, 6000)
    }

    /// As [`World::new`], with the master's down-after-milliseconds and failover-timeout.
    pub fn with_master(
        seed: u64,
        n_servers: usize,
        n_sentinels: usize,
        quorum: u32,
        timing: Timing,
        down_after_ms: u64,
        failover_timeout_ms: u64,
    ) -> World {
        let mut rng = SplitMix64::new(seed);
        let mut servers: Vec<Server> = (0..n_servers)
            .map(|i| Server::new(&format!("10.0.0.{}", i + 1), SERVER_PORT, rng.hex40()))
            .collect();
        for s in servers.iter_mut().skip(1) {
            s.role = ServerRole::Replica { host: "10.0.0.1".into(), port: SERVER_PORT };
            s.link_up = true;
        }
        let mut mc = MasterConfig::new(MASTER_NAME, "10.0.0.1", SERVER_PORT, quorum);
        mc.down_after_ms = down_after_ms;
        mc.failover_timeout_ms = failover_timeout_ms;
        let config = SentinelConfig { masters: vec![mc], ..SentinelConfig::default() };
        let sentinels = (0..n_sentinels)
            .map(|j| SentinelNode {
                core: None,
                ip: format!("10.0.1.{}", j + 1),
                saved: config.clone(),
                wall_offset: 1_760_000_000_000,
                paused_until: 0,
            })
            .collect();
        let mut w = World {
            now: 1000,
            rng,
            servers,
            sentinels,
            conns: HashMap::new(),
            queue: BTreeMap::new(),
            seq: 0,
            groups: HashMap::new(),
            net: Net { max_delay: 20, rst_chance: 50 },
            timing,
            log: Vec::new(),
            verbose: false,
            events: Vec::new(),
            leaders: HashMap::new(),
            promoted: HashMap::new(),
            violations: Vec::new(),
        };
        for j in 0..n_sentinels {
            w.start_sentinel(j);
        }
        w.schedule(0, Ev::ServerCron);
        w
    }

    fn schedule(&mut self, delay: i64, ev: Ev) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), ev);
    }

    fn schedule_at(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at.max(self.now), self.seq), ev);
    }

    fn delay(&mut self) -> i64 {
        1 + self.rng.below(self.net.max_delay as u64) as i64
    }

    pub fn note(&mut self, line: String) {
        let l = format!("{:>8} {}", self.now, line);
        if self.verbose {
            eprintln!("{l}");
        }
        self.log.push(l);
    }

    fn group(&self, h: Host) -> u32 {
        self.groups.get(&h).copied().unwrap_or(0)
    }

    fn reachable(&self, a: Host, b: Host) -> bool {
        self.group(a) == self.group(b)
    }

    fn host_alive(&self, h: Host) -> bool {
        match h {
            Host::Server(i) => self.servers[i].alive,
            Host::Sentinel(j) => self.sentinels[j].core.is_some(),
        }
    }

    fn resolve(&self, ip: &str, port: u16) -> Option<Host> {
        if let Some(i) = self.servers.iter().position(|s| s.ip == ip && s.port == port) {
            return Some(Host::Server(i));
        }
        self.sentinels.iter().position(|s| s.ip == ip && port == SENTINEL_PORT).map(Host::Sentinel)
    }

    // ===== sentinels =====

    pub fn start_sentinel(&mut self, j: usize) {
        let seed = self.rng.next_u64();
        let wall = self.now + self.sentinels[j].wall_offset;
        let opts = Options { port: SENTINEL_PORT, timing: self.timing, ..Options::default() };
        let (core, actions) = Sentinel::new(
            &self.sentinels[j].saved,
            opts,
            Box::new(SplitMix64::new(seed)),
            self.now,
            wall,
        );
        self.note(format!("S{j} start myid={}", &core.myid()[..8]));
        self.sentinels[j].core = Some(core);
        self.sentinels[j].paused_until = 0;
        self.apply(j, actions);
        self.schedule(1, Ev::Tick(j));
    }

    pub fn kill_sentinel(&mut self, j: usize) {
        if self.sentinels[j].core.take().is_none() {
            return;
        }
        self.note(format!("S{j} killed"));
        let links: Vec<(usize, LinkId)> = self.conns.keys().filter(|k| k.0 == j).copied().collect();
        for k in links {
            self.conns.remove(&k);
        }
        // Peers' links to it are reset by the kernel.
        let to_it: Vec<(usize, LinkId)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.target == Host::Sentinel(j))
            .map(|(k, _)| *k)
            .collect();
        for k in to_it {
            self.break_conn(k, true);
        }
    }

    fn core(&mut self, j: usize) -> Option<&mut Sentinel> {
        self.sentinels[j].core.as_mut()
    }

    /// Carry out a sentinel's actions.
    fn apply(&mut self, j: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Connect { link, kind, host, port } => {
                    let target = self.resolve(&host, port);
                    let Some(target) = target else {
                        let d = self.delay();
                        self.schedule(d, Ev::LinkDown(j, link));
                        continue;
                    };
                    let _ = kind;
                    let conn = Conn {
                        target,
                        broken: false,
                        subscribed: false,
                        multi: None,
                        next_to_target: self.now,
                        next_to_sentinel: self.now,
                    };
                    self.conns.insert((j, link), conn);
                    if self.host_alive(target) && self.reachable(Host::Sentinel(j), target) {
                        let d = self.delay();
                        self.schedule(d, Ev::LinkUp(j, link));
                    } else {
                        let reachable = self.reachable(Host::Sentinel(j), target);
                        // A dead process behind a reachable host refuses at once.
                        let silent = !reachable && self.rng.below(100) >= self.net.rst_chance;
                        self.break_conn((j, link), silent);
                    }
                }
                Action::Close { link } => {
                    self.conns.remove(&(j, link));
                }
                Action::Send { link, argv } => self.send_to_target((j, link), argv),
                Action::Event { kind, message, .. } => {
                    self.note(format!("S{j} {kind} {message}"));
                    self.events.push((self.now, j, kind, message));
                }
                Action::Log { message, .. } => self.note(format!("S{j} log: {message}")),
                Action::FlushConfig => {
                    if let Some(c) = &self.sentinels[j].core {
                        self.sentinels[j].saved = c.persisted_config();
                    }
                }
                Action::RunScript { path, args } => {
                    self.note(format!("S{j} script {path} {args:?}"))
                }
                Action::Crash { reason } => {
                    self.note(format!("S{j} crash: {reason}"));
                    self.kill_sentinel(j);
                }
            }
        }
        self.check_invariants(j);
    }

    /// Mark a connection broken: it reports down after a delay, or (`silent`) never.
    fn break_conn(&mut self, key: (usize, LinkId), silent: bool) {
        let Some(c) = self.conns.get_mut(&key) else { return };
        if c.broken {
            return;
        }
        c.broken = true;
        if !silent {
            let d = 1 + self.rng.below(self.net.max_delay as u64) as i64;
            self.schedule(d, Ev::LinkDown(key.0, key.1));
        }
    }

    fn send_to_target(&mut self, key: (usize, LinkId), argv: Vec<String>) {
        let Some(c) = self.conns.get(&key) else { return };
        if c.broken {
            return;
        }
        let target = c.target;
        if !self.reachable(Host::Sentinel(key.0), target) {
            let silent = self.rng.below(100) >= self.net.rst_chance;
            self.break_conn(key, silent);
            return;
        }
        let d = self.delay();
        let c = self.conns.get_mut(&key).expect("checked");
        let at = (self.now + d).max(c.next_to_target);
        c.next_to_target = at;
        self.schedule_at(at, Ev::ToTarget(key.0, key.1, argv));
    }

    fn reply_to_sentinel(&mut self, key: (usize, LinkId), reply: LinkReply) {
        let d = self.delay();
        let Some(c) = self.conns.get_mut(&key) else { return };
        if c.broken {
            return;
        }
        let at = (self.now + d).max(c.next_to_sentinel);
        c.next_to_sentinel = at;
        self.schedule_at(at, Ev::ToSentinel(key.0, key.1, reply));
    }

    // ===== the event loop =====

    pub fn run_until(&mut self, until: i64) {
        while let Some((&(at, seq), _)) = self.queue.first_key_value() {
            if at > until {
                break;
            }
            let ev = self.queue.remove(&(at, seq)).expect("present");
            self.now = at;
            self.step(ev);
        }
        self.now = until;
    }

    /// Events for a paused sentinel wait until it resumes.
    fn deferred(&mut self, j: usize, ev: &Ev) -> bool {
        let until = self.sentinels[j].paused_until;
        if until > self.now {
            self.schedule_at(until, ev.clone());
            return true;
        }
        false
    }

    fn step(&mut self, ev: Ev) {
        match ev {
            Ev::ServerCron => {
                self.server_cron();
                self.schedule(100, Ev::ServerCron);
            }
            Ev::ServerResume(i) => {
                if self.servers[i].paused_until > self.now {
                    return; // paused again meanwhile: a later resume drains
                }
                self.servers[i].paused_until = 0;
                let backlog = std::mem::take(&mut self.servers[i].backlog);
                for (j, link, argv) in backlog {
                    self.deliver_to_target(j, link, argv);
                }
            }
            Ev::Tick(j) => {
                if self.sentinels[j].core.is_none() || self.deferred(j, &Ev::Tick(j)) {
                    return;
                }
                let wall = self.now + self.sentinels[j].wall_offset;
                let now = self.now;
                let core = self.core(j).expect("alive");
                let actions = core.tick(now, wall);
                let next = core.next_tick_delay();
                self.apply(j, actions);
                self.schedule(next, Ev::Tick(j));
            }
            Ev::LinkUp(j, link) => {
                if self.deferred(j, &ev) || self.conns.get(&(j, link)).is_none_or(|c| c.broken) {
                    return;
                }
                let ip = self.sentinels[j].ip.clone();
                if let Some(core) = self.core(j) {
                    let a = core.on_link_up(link, Some(ip));
                    self.apply(j, a);
                }
            }
            Ev::LinkDown(j, link) => {
                if self.deferred(j, &ev) {
                    return;
                }
                if self.conns.remove(&(j, link)).is_none() {
                    return; // closed by the core meanwhile
                }
                let now = self.now;
                if let Some(core) = self.core(j) {
                    let a = core.on_link_down(link, now);
                    self.apply(j, a);
                }
            }
            Ev::ToSentinel(j, link, reply) => {
                if self.deferred(j, &Ev::ToSentinel(j, link, reply.clone())) {
                    return;
                }
                if self.conns.get(&(j, link)).is_none_or(|c| c.broken) {
                    return;
                }
                let now = self.now;
                if let Some(core) = self.core(j) {
                    let a = core.on_reply(link, reply, now);
                    self.apply(j, a);
                }
            }
            Ev::ToTarget(j, link, argv) => self.deliver_to_target(j, link, argv),
        }
    }

    fn deliver_to_target(&mut self, j: usize, link: LinkId, argv: Vec<String>) {
        let key = (j, link);
        let Some(c) = self.conns.get(&key) else { return };
        if c.broken {
            return;
        }
        let target = c.target;
        if !self.host_alive(target) || !self.reachable(Host::Sentinel(j), target) {
            // A dead process behind a reachable host resets; a partition may not.
            let reachable = self.reachable(Host::Sentinel(j), target);
            let silent = !reachable && self.rng.below(100) >= self.net.rst_chance;
            self.break_conn(key, silent);
            return;
        }
        if let Host::Sentinel(t) = target
            && self.deferred(t, &Ev::ToTarget(j, link, argv.clone()))
        {
            return;
        }
        if let Host::Server(i) = target
            && (self.servers[i].paused_until > self.now || !self.servers[i].backlog.is_empty())
        {
            self.servers[i].backlog.push((j, link, argv));
            return;
        }
        match target {
            Host::Server(i) => self.server_command(key, i, argv),
            Host::Sentinel(t) => self.sentinel_command(key, t, argv),
        }
    }

    // ===== peers: a sentinel answering another =====

    fn sentinel_command(&mut self, key: (usize, LinkId), t: usize, argv: Vec<String>) {
        let now = self.now;
        let cmd = argv[0].to_ascii_uppercase();
        let reply = match cmd.as_str() {
            "PING" => LinkReply::Status("PONG".into()),
            "AUTH" | "CLIENT" => LinkReply::Status("OK".into()),
            "PUBLISH" if argv.len() == 3 => {
                let core = self.core(t).expect("alive");
                let r = core.publish(&argv[1], &argv[2], now);
                let a = core.take_actions();
                self.apply(t, a);
                to_link_reply(r)
            }
            "SENTINEL" => {
                let core = self.core(t).expect("alive");
                let (r, a) = core.command(&argv[1..], now);
                self.apply(t, a);
                to_link_reply(r)
            }
            _ => LinkReply::Error(format!("ERR unknown command '{}'", argv[0])),
        };
        self.reply_to_sentinel(key, reply);
    }

    // ===== model servers =====

    fn server_command(&mut self, key: (usize, LinkId), i: usize, argv: Vec<String>) {
        let cmd = argv[0].to_ascii_uppercase();
        let conn = self.conns.get_mut(&key).expect("checked");
        if let Some(q) = conn.multi.as_mut() {
            if cmd == "EXEC" {
                let queued = conn.multi.take().unwrap_or_default();
                let replies = queued.into_iter().map(|a| self.server_exec(key, i, a)).collect();
                self.reply_to_sentinel(key, LinkReply::Array(replies));
            } else {
                q.push(argv);
                self.reply_to_sentinel(key, LinkReply::Status("QUEUED".into()));
            }
            return;
        }
        if cmd == "MULTI" {
            conn.multi = Some(Vec::new());
            self.reply_to_sentinel(key, LinkReply::Status("OK".into()));
            return;
        }
        let r = self.server_exec(key, i, argv);
        self.reply_to_sentinel(key, r);
    }

    fn server_exec(&mut self, key: (usize, LinkId), i: usize, argv: Vec<String>) -> LinkReply {
        let now = self.now;
        if let Some(r) = self.servers[i].simple_command(&argv, now) {
            if argv[0].eq_ignore_ascii_case("slaveof") {
                self.note(format!("server {} SLAVEOF {} {}", i, argv[1], argv[2]));
            }
            return r;
        }
        let cmd = argv[0].to_ascii_uppercase();
        match cmd.as_str() {
            "INFO" => {
                let replicas = self.replicas_of(i);
                LinkReply::Bulk(self.servers[i].info(&replicas, now))
            }
            "SUBSCRIBE" if argv.len() == 2 => {
                if let Some(c) = self.conns.get_mut(&key) {
                    c.subscribed = true;
                }
                LinkReply::Array(vec![
                    LinkReply::bulk("subscribe"),
                    LinkReply::bulk(&argv[1]),
                    LinkReply::Int(1),
                ])
            }
            "PUBLISH" if argv.len() == 3 => {
                let subs: Vec<(usize, LinkId)> = self
                    .conns
                    .iter()
                    .filter(|(_, c)| c.target == Host::Server(i) && c.subscribed && !c.broken)
                    .map(|(k, _)| *k)
                    .collect();
                let n = subs.len();
                let mut subs = subs;
                subs.sort();
                for s in subs {
                    let msg = LinkReply::Array(vec![
                        LinkReply::bulk("message"),
                        LinkReply::bulk(&argv[1]),
                        LinkReply::bulk(&argv[2]),
                    ]);
                    self.reply_to_sentinel(s, msg);
                }
                LinkReply::Int(n as i64)
            }
            "CLIENT" if argv.len() == 4 && argv[1].eq_ignore_ascii_case("kill") => {
                let pubsub = argv[3].eq_ignore_ascii_case("pubsub");
                let mut victims: Vec<(usize, LinkId)> = self
                    .conns
                    .iter()
                    .filter(|(k, c)| {
                        **k != key
                            && c.target == Host::Server(i)
                            && !c.broken
                            && c.subscribed == pubsub
                    })
                    .map(|(k, _)| *k)
                    .collect();
                victims.sort();
                let n = victims.len();
                for v in victims {
                    self.break_conn(v, false);
                }
                LinkReply::Int(n as i64)
            }
            _ => LinkReply::Error(format!("ERR unknown command '{}'", argv[0])),
        }
    }

    /// Replicas whose link to server `i` is up: (ip, port, offset).
    fn replicas_of(&self, i: usize) -> Vec<(String, u16, u64)> {
        let me = &self.servers[i];
        self.servers
            .iter()
            .filter(|s| {
                s.alive
                    && s.link_up
                    && matches!(&s.role, ServerRole::Replica { host, port } if *host == me.ip && *port == me.port)
            })
            .map(|s| (s.ip.clone(), s.port, s.offset))
            .collect()
    }

    /// Writes on masters, and replication links following reachability.
    fn server_cron(&mut self) {
        let now = self.now;
        for i in 0..self.servers.len() {
            if !self.servers[i].alive {
                continue;
            }
            match self.servers[i].role.clone() {
                ServerRole::Master => self.servers[i].offset += 10,
                ServerRole::Replica { host, port } => {
                    let up = self
                        .resolve(&host, port)
                        .and_then(|h| if let Host::Server(m) = h { Some(m) } else { None })
                        .filter(|&m| m != i && self.servers[m].alive)
                        .filter(|&m| self.reachable(Host::Server(i), Host::Server(m)));
                    let s = &mut self.servers[i];
                    match up {
                        Some(m) => {
                            if !s.link_up {
                                if s.sync_ready_at == 0 {
                                    s.sync_ready_at = now + 300 + (s.offset % 700) as i64;
                                }
                                if now >= s.sync_ready_at {
                                    s.link_up = true;
                                    s.sync_ready_at = 0;
                                }
                            }
                            if self.servers[i].link_up {
                                self.servers[i].offset = self.servers[m].offset;
                            }
                        }
                        None => {
                            if s.link_up {
                                s.link_up = false;
                                s.link_down_since = now;
                            }
                            s.sync_ready_at = 0;
                        }
                    }
                }
            }
        }
    }

    // ===== faults =====

    pub fn kill_server(&mut self, i: usize) {
        if !self.servers[i].alive {
            return;
        }
        self.note(format!("server {i} killed"));
        self.servers[i].alive = false;
        self.servers[i].paused_until = 0;
        self.servers[i].backlog.clear();
        let mut keys: Vec<(usize, LinkId)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.target == Host::Server(i))
            .map(|(k, _)| *k)
            .collect();
        keys.sort();
        for k in keys {
            let silent = !self.reachable(Host::Sentinel(k.0), Host::Server(i));
            self.break_conn(k, silent);
        }
    }

    /// A restarted server comes back as a master with a new run id and no data.
    pub fn restart_server(&mut self, i: usize) {
        if self.servers[i].alive {
            return;
        }
        let id = self.rng.hex40();
        self.note(format!("server {i} restarted run_id={}", &id[..8]));
        let s = &mut self.servers[i];
        s.alive = true;
        s.run_id = id;
        s.role = ServerRole::Master;
        s.offset = 0;
        s.link_up = false;
        s.link_down_since = 0;
        s.sync_ready_at = 0;
    }

    /// Split hosts into groups; connections across groups break.
    pub fn partition(&mut self, groups: HashMap<Host, u32>) {
        self.note(format!("partition {:?}", {
            let mut v: Vec<_> = groups.iter().collect();
            v.sort_by_key(|(h, _)| format!("{h:?}"));
            v
        }));
        self.groups = groups;
        let mut keys: Vec<(usize, LinkId)> = self
            .conns
            .iter()
            .filter(|(k, c)| !self.reachable(Host::Sentinel(k.0), c.target))
            .map(|(k, _)| *k)
            .collect();
        keys.sort();
        for k in keys {
            let silent = self.rng.below(100) >= self.net.rst_chance;
            self.break_conn(k, silent);
        }
    }

    pub fn heal(&mut self) {
        self.note("heal".into());
        self.groups.clear();
    }

    pub fn pause_sentinel(&mut self, j: usize, ms: i64) {
        self.note(format!("S{j} paused {ms} ms"));
        self.sentinels[j].paused_until = self.now + ms;
    }

    /// `DEBUG SLEEP`: server `i` answers nothing for `ms`, then runs what arrived, in
    /// order. Its connections stay up.
    pub fn pause_server(&mut self, i: usize, ms: i64) {
        self.note(format!("server {i} paused {ms} ms"));
        let until = self.now + ms;
        self.servers[i].paused_until = until;
        self.schedule_at(until, Ev::ServerResume(i));
    }

    pub fn jump_clock(&mut self, j: usize, ms: i64) {
        self.note(format!("S{j} wall clock jumps {ms} ms"));
        self.sentinels[j].wall_offset += ms;
    }

    // ===== invariants =====

    fn violation(&mut self, v: String) {
        if !self.violations.contains(&v) {
            self.note(format!("VIOLATION {v}"));
            self.violations.push(v);
        }
    }

    /// Checked after every batch of actions of sentinel `j`.
    fn check_invariants(&mut self, j: usize) {
        let Some(core) = &self.sentinels[j].core else { return };
        let Some(st) = core.master_status(MASTER_NAME) else { return };
        let myid = core.myid().to_string();
        if st.failover_state >= FailoverState::SelectSlave {
            match self.leaders.get(&st.failover_epoch) {
                Some(other) if *other != myid => {
                    let v = format!(
                        "two leaders in epoch {}: {} and {}",
                        st.failover_epoch, other, myid
                    );
                    self.violation(v);
                }
                _ => {
                    self.leaders.insert(st.failover_epoch, myid);
                }
            }
        }
        if st.failover_state >= FailoverState::SendSlaveofNoone
            && let Some(p) = st.promoted.clone()
        {
            match self.promoted.get(&st.failover_epoch) {
                Some(other) if *other != p => {
                    let v = format!(
                        "two replicas promoted in epoch {}: {:?} and {:?}",
                        st.failover_epoch, other, p
                    );
                    self.violation(v);
                }
                _ => {
                    self.promoted.insert(st.failover_epoch, p);
                }
            }
        }
    }

    /// Where every live sentinel thinks the master is: (sentinel, addr, config epoch).
    pub fn views(&self) -> Vec<(usize, (String, u16), u64, FailoverState)> {
        self.sentinels
            .iter()
            .enumerate()
            .filter_map(|(j, s)| {
                let st = s.core.as_ref()?.master_status(MASTER_NAME)?;
                Some((j, st.addr, st.config_epoch, st.failover_state))
            })
            .collect()
    }

    pub fn server_index(&self, addr: &(String, u16)) -> Option<usize> {
        self.servers.iter().position(|s| s.ip == addr.0 && s.port == addr.1)
    }

    pub fn rng_below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    pub fn tail(&self, n: usize) -> String {
        let start = self.log.len().saturating_sub(n);
        self.log[start..].join("\n")
    }
}

fn to_link_reply(r: Reply) -> LinkReply {
    match r {
        Reply::Simple(s) => LinkReply::Status(s.into_owned()),
        Reply::Error(e) => LinkReply::Error(e),
        Reply::Int(n) => LinkReply::Int(n),
        Reply::Bulk(b) => LinkReply::Bulk(String::from_utf8_lossy(&b).into_owned()),
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => {
            LinkReply::Array(v.into_iter().map(to_link_reply).collect())
        }
        Reply::Map(kv) => LinkReply::Array(
            kv.into_iter().flat_map(|(k, v)| [to_link_reply(k), to_link_reply(v)]).collect(),
        ),
        Reply::Null | Reply::NullArray => LinkReply::Null,
        other => LinkReply::Error(format!("unsupported reply {other:?}")),
    }
}
