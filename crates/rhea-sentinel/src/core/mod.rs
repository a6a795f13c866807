//! The Sentinel state machine: [`Sentinel`] and the global state its parts share.
//!
//! Files follow the banners of Redis's `sentinel.c`:
//! * [`instance`]: masters, replicas, peer sentinels and their links;
//! * [`links`]: connecting, the periodic PING/INFO/hello, reply routing;
//! * [`refresh`]: what an INFO reply changes (`sentinelRefreshInstanceInfo`);
//! * [`hello_in`]: what a hello message changes (`sentinelProcessHelloMessage`);
//! * [`availability`]: SDOWN, ODOWN, asking peers;
//! * [`election`]: epochs, votes, the leader;
//! * [`failover`]: the failover state machine, replica selection, resets;
//! * [`commands`]: the `SENTINEL` subcommands and PUBLISH;
//! * [`report`]: what SENTINEL MASTER/REPLICAS/…, INFO and the config rewrite show;
//! * `settings`: the per-master settings copied between the config model and the state.

pub(crate) mod availability;
pub mod commands;
pub(crate) mod election;
pub(crate) mod failover;
mod hello_in;
pub(crate) mod instance;
pub(crate) mod links;
pub(crate) mod refresh;
pub mod report;
mod settings;
mod time_fmt;

use crate::config::addr::{SharedResolver, resolve_ip};
use crate::config::model::SentinelConfig;
use crate::io::{Action, LinkId, LinkKind, LinkReply, LogLevel};
use crate::rng::SentinelRng;
use crate::timing::Timing;

pub use instance::FailoverState;
use instance::{Addr, Instance, Kind, MasterState, Who};

/// Settings that are not in the `sentinel …` lines of sentinel.conf.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Our own port (`port` directive), announced in hello unless `announce-port` is set.
    pub port: u16,
    /// `requirepass`: used towards other sentinels when `sentinel-pass` is not set.
    pub requirepass: Option<String>,
    pub timing: Timing,
    /// Name resolution for `resolve-hostnames yes`.
    pub resolver: SharedResolver,
}

/// `SENTINEL SIMULATE-FAILURE` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimFailure {
    pub crash_after_election: bool,
    pub crash_after_promotion: bool,
}

/// Global state (`struct sentinelState` and the server settings Sentinel reads).
pub(crate) struct Global {
    pub myid: String,
    pub current_epoch: u64,
    pub timing: Timing,
    pub port: u16,
    pub announce_ip: Option<String>,
    pub announce_port: u16,
    pub resolve_hostnames: bool,
    pub announce_hostnames: bool,
    pub deny_scripts_reconfig: bool,
    pub sentinel_user: Option<String>,
    pub sentinel_pass: Option<String>,
    pub requirepass: Option<String>,
    pub tilt: bool,
    pub tilt_start_time: i64,
    pub previous_time: i64,
    pub previous_unix: i64,
    pub simfailure: SimFailure,
    /// Set once a `Crash` action went out: the process is gone, nothing more happens.
    pub crashed: bool,
    pub rng: Box<dyn SentinelRng + Send>,
    pub resolver: SharedResolver,
    next_link: u64,
    out: Vec<Action>,
}

impl Global {
    pub fn new_link(&mut self) -> LinkId {
        self.next_link += 1;
        LinkId(self.next_link)
    }

    pub fn push(&mut self, a: Action) {
        if a == Action::FlushConfig && self.out.contains(&Action::FlushConfig) {
            return;
        }
        self.out.push(a);
    }

    /// `createSentinelAddr`: `host` resolved now (numeric hosts only unless
    /// `resolve-hostnames yes`). A name that does not resolve is logged and refused, or
    /// kept with an empty IP when `accept_unresolved` (configured masters and peers).
    pub fn make_addr(&mut self, host: &str, port: u16, accept_unresolved: bool) -> Option<Addr> {
        let ip = match resolve_ip(host, self.resolve_hostnames, &self.resolver) {
            Some(ip) => ip,
            None => {
                self.log(LogLevel::Warning, format!("Failed to resolve hostname '{host}'"));
                if !(self.resolve_hostnames && accept_unresolved) {
                    return None;
                }
                String::new()
            }
        };
        Some(Addr { hostname: host.to_string(), ip, port })
    }

    /// `sentinelAddrEqualsHostname` and the port: does `host` (as a peer or a replica
    /// wrote it) name `a`? See [`Self::names`].
    pub fn addr_is(&self, a: &Addr, host: &str, port: u16) -> bool {
        self.names(host, port)(a)
    }

    /// [`Self::addr_is`] with `host` resolved once, for a search over many addresses:
    /// compared by IP; a name that does not resolve is compared with the hostname (with
    /// resolve-hostnames) or the IP as text.
    pub fn names<'h>(&self, host: &'h str, port: u16) -> impl Fn(&Addr) -> bool + 'h {
        let resolved = resolve_ip(host, self.resolve_hostnames, &self.resolver);
        let by_hostname = self.resolve_hostnames;
        move |a: &Addr| {
            a.port == port
                && match &resolved {
                    Some(ip) => a.ip.eq_ignore_ascii_case(ip),
                    None if by_hostname => a.hostname.eq_ignore_ascii_case(host),
                    None => a.ip.eq_ignore_ascii_case(host),
                }
        }
    }

    /// `announceSentinelAddr` under the current `announce-hostnames`.
    pub fn shown<'a>(&self, a: &'a Addr) -> &'a str {
        a.shown(self.announce_hostnames)
    }

    /// `sentinelFlushConfig`.
    pub fn flush(&mut self) {
        self.push(Action::FlushConfig);
    }

    pub fn log(&mut self, level: LogLevel, message: String) {
        self.push(Action::Log { level, message });
    }

    /// `sentinelEvent` without an instance (`+tilt`, `-script-error`).
    pub fn event(&mut self, level: LogLevel, kind: &str, message: String) {
        self.push(Action::Event { level, kind: kind.to_string(), message });
    }

    /// `sentinelEvent` about an instance of `m`: `message` follows the `%@` prefix when
    /// `with_prefix`; a warning runs the master's notification script.
    pub fn event_at(
        &mut self,
        level: LogLevel,
        kind: &str,
        m: &MasterState,
        who: Who,
        with_prefix: bool,
        rest: &str,
    ) {
        let message = if with_prefix {
            format!("{}{}", m.describe(who, self.announce_hostnames), rest)
        } else {
            rest.to_string()
        };
        if level == LogLevel::Warning
            && let Some(script) = &m.notification_script
        {
            let path = script.clone();
            self.push(Action::Event { level, kind: kind.to_string(), message: message.clone() });
            self.push(Action::RunScript { path, args: vec![kind.to_string(), message] });
            return;
        }
        self.push(Action::Event { level, kind: kind.to_string(), message });
    }

    /// A random number below `n`, from the injected RNG.
    pub fn rand_below(&mut self, n: u64) -> i64 {
        self.rng.below(n) as i64
    }

    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }
}

/// A Redis Sentinel 7.0, without I/O. See the crate docs for the driver contract.
pub struct Sentinel {
    pub(crate) g: Global,
    pub(crate) masters: Vec<MasterState>,
}

impl Sentinel {
    /// Start from a parsed sentinel.conf (`sentinelHandleConfiguration` +
    /// `sentinelIsRunning`): a missing myid is generated and flushed, and every master
    /// gets its `+monitor` event. `now` is the monotonic clock, `unix_ms` the wall clock.
    pub fn new(
        config: &SentinelConfig,
        options: Options,
        rng: Box<dyn SentinelRng + Send>,
        now: i64,
        unix_ms: i64,
    ) -> (Sentinel, Vec<Action>) {
        let mut g = Global {
            myid: String::new(),
            current_epoch: config.current_epoch,
            timing: options.timing,
            port: options.port,
            announce_ip: config.announce_ip.clone().filter(|s| !s.is_empty()),
            announce_port: config.announce_port,
            resolve_hostnames: config.resolve_hostnames,
            announce_hostnames: config.announce_hostnames,
            deny_scripts_reconfig: config.deny_scripts_reconfig,
            sentinel_user: config.sentinel_user.clone(),
            sentinel_pass: config.sentinel_pass.clone(),
            requirepass: options.requirepass,
            tilt: false,
            tilt_start_time: 0,
            previous_time: now,
            previous_unix: unix_ms,
            simfailure: SimFailure::default(),
            crashed: false,
            rng,
            resolver: options.resolver.clone(),
            next_link: 0,
            out: Vec::new(),
        };
        match &config.myid {
            Some(id) if !id.is_empty() => g.myid = id.clone(),
            _ => {
                g.myid = g.rng.hex40();
                g.flush();
            }
        }
        let mut masters: Vec<MasterState> = Vec::new();
        for mc in &config.masters {
            if masters.iter().any(|m| m.inst.name == mc.name) {
                continue;
            }
            // The loader has checked every address (`createSentinelAddr` with unresolved
            // names accepted), so only a name that stopped resolving gets the empty IP.
            let addr =
                g.make_addr(&mc.host, mc.port, true).unwrap_or_else(|| Addr::new("", mc.port));
            let mut m = failover::new_master(&g, &mc.name, addr, mc.quorum, now);
            m.apply_settings(mc);
            for (host, port) in &mc.known_replicas {
                if let Some(addr) = g.make_addr(host, *port, true) {
                    failover::add_replica(&g, &mut m, addr, now);
                }
            }
            for ks in &mc.known_sentinels {
                if m.sentinels.iter().any(|s| s.name == ks.runid) {
                    continue;
                }
                let Some(addr) = g.make_addr(&ks.host, ks.port, true) else { continue };
                let mut si =
                    Instance::new(Kind::Sentinel, ks.runid.clone(), addr, m.inst.down_after, now);
                si.runid = Some(ks.runid.clone());
                m.sentinels.push(si);
            }
            masters.push(m);
        }
        let myid = g.myid.clone();
        // Redis logs it at warning level (`sentinelIsRunning`).
        g.log(LogLevel::Warning, format!("Sentinel ID is {myid}"));
        for m in &masters {
            let q = format!(" quorum {}", m.quorum);
            g.event_at(LogLevel::Warning, "+monitor", m, Who::Master, true, &q);
        }
        let out = g.take();
        (Sentinel { g, masters }, out)
    }

    /// The timer (`sentinelTimer`): call it about every [`Self::next_tick_delay`] ms.
    /// `now` is monotonic; `unix_ms` is the wall clock. A gap of either above
    /// tilt-trigger, or a wall clock going backwards, enters TILT.
    pub fn tick(&mut self, now: i64, unix_ms: i64) -> Vec<Action> {
        if self.g.crashed {
            return Vec::new();
        }
        self.check_tilt(now, unix_ms);
        let mut i = 0;
        while i < self.masters.len() && !self.g.crashed {
            let m = &mut self.masters[i];
            links::handle_instance(&mut self.g, m, Who::Master, now);
            for r in 0..m.replicas.len() {
                links::handle_instance(&mut self.g, m, Who::Replica(r), now);
            }
            for s in 0..m.sentinels.len() {
                links::handle_instance(&mut self.g, m, Who::Sentinel(s), now);
            }
            if m.failover_state == FailoverState::UpdateConfig {
                failover::switch_to_promoted(&mut self.g, m, now);
            }
            i += 1;
        }
        self.g.take()
    }

    /// How long to wait before the next [`Self::tick`]: Redis re-randomises `hz` to
    /// 10..19 at every timer run so that sentinels started together drift apart.
    pub fn next_tick_delay(&mut self) -> i64 {
        1000 / (10 + self.g.rand_below(10))
    }

    /// `sentinelCheckTiltCondition`. Redis measures one (wall) clock; the core gets a
    /// monotonic and a wall clock and tilts on a jump of either.
    fn check_tilt(&mut self, now: i64, unix_ms: i64) {
        let delta = now - self.g.previous_time;
        let wall_delta = unix_ms - self.g.previous_unix;
        let trigger = self.g.timing.tilt_trigger;
        if delta < 0 || delta > trigger || wall_delta < 0 || wall_delta > trigger {
            self.g.tilt = true;
            self.g.tilt_start_time = now;
            self.g.event(LogLevel::Warning, "+tilt", "#tilt mode entered".to_string());
        }
        self.g.previous_time = now;
        self.g.previous_unix = unix_ms;
    }

    /// The driver's connection for `link` is established. `local_ip` is our address on
    /// that socket, used as the hello's sentinel ip when `announce-ip` is not set.
    pub fn on_link_up(&mut self, link: LinkId, local_ip: Option<String>) -> Vec<Action> {
        if let Some((mi, who, LinkKind::Cmd)) = self.find_link(link) {
            self.masters[mi].get_mut(who).link.local_ip = local_ip;
        }
        self.g.take()
    }

    /// The connection failed or broke (`instanceLinkConnectionError`): the instance is
    /// disconnected and will be reconnected by a later tick.
    pub fn on_link_down(&mut self, link: LinkId, now: i64) -> Vec<Action> {
        if let Some((mi, who, kind)) = self.find_link(link) {
            let l = &mut self.masters[mi].get_mut(who).link;
            match kind {
                LinkKind::Cmd => {
                    l.cmd = None;
                    l.pending.clear();
                    // Rhea: a broken connection is a failed probe. Redis leaves the
                    // clock alone, so with no PING pending it starts at the reconnect's
                    // PING, up to a reconnect period later (see `crate::timing`).
                    if l.act_ping_time == 0 {
                        l.act_ping_time = now;
                    }
                }
                LinkKind::Pubsub => l.pubsub = None,
            }
        }
        self.g.take()
    }

    /// A reply (or, on a pub/sub link, a pushed message) arrived on `link`.
    pub fn on_reply(&mut self, link: LinkId, reply: LinkReply, now: i64) -> Vec<Action> {
        if self.g.crashed {
            return Vec::new();
        }
        match self.find_link(link) {
            Some((mi, who, LinkKind::Cmd)) => {
                links::on_cmd_reply(&mut self.g, &mut self.masters[mi], who, reply, now)
            }
            Some((mi, who, LinkKind::Pubsub)) => {
                self.masters[mi].get_mut(who).link.pc_last_activity = now;
                if let Some(payload) = links::hello_payload(&reply)
                    && !payload.contains(self.g.myid.as_str())
                {
                    self.process_hello(&payload, now);
                }
            }
            None => {}
        }
        self.g.take()
    }

    /// Which instance owns `link`, and which of its two connections it is.
    fn find_link(&self, link: LinkId) -> Option<(usize, Who, LinkKind)> {
        for (mi, m) in self.masters.iter().enumerate() {
            for who in m.all() {
                let l = &m.get(who).link;
                if l.cmd == Some(link) {
                    return Some((mi, who, LinkKind::Cmd));
                }
                if l.pubsub == Some(link) {
                    return Some((mi, who, LinkKind::Pubsub));
                }
            }
        }
        None
    }

    pub(crate) fn master_index(&self, name: &str) -> Option<usize> {
        self.masters.iter().position(|m| m.inst.name == name)
    }

    /// Every action produced so far by direct calls (commands) and not yet returned.
    pub fn take_actions(&mut self) -> Vec<Action> {
        self.g.take()
    }
}

/// Close both connections of an instance that is going away (`releaseInstanceLink`).
pub(crate) fn close_links(g: &mut Global, ri: &mut Instance) {
    for link in [ri.link.cmd.take(), ri.link.pubsub.take()].into_iter().flatten() {
        g.push(Action::Close { link });
    }
    ri.link.pending.clear();
}

#[cfg(test)]
mod tests;
