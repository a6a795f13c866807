//! The monitored objects: a [`MasterState`] owns its replicas and the other sentinels
//! watching it; each of the three is an [`Instance`] with a [`Link`].
//!
//! Redis keeps one `sentinelRedisInstance` struct for all three kinds with flag bits;
//! here the master-only state lives in [`MasterState`] and the per-kind flags in
//! [`Flags`]. Instances are addressed by position inside their master, never by pointer.

use std::collections::VecDeque;

use crate::info::Role;
use crate::io::LinkId;
use crate::timing::DEFAULT_SLAVE_PRIORITY;

/// `sentinelAddr`: the host as configured or reported to us (an IP, or a name with
/// `resolve-hostnames yes`), the IP it resolved to when the address was made (where
/// links connect; empty when a configured name did not resolve), and the port. Which of
/// the two strings is shown to the world depends on `announce-hostnames`, so callers
/// pass that setting ([`super::Global::shown`] does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
}

impl Addr {
    /// An address whose host is already an IP.
    pub fn new(ip: &str, port: u16) -> Self {
        Self { hostname: ip.to_string(), ip: ip.to_string(), port }
    }

    /// `announceSentinelAddr`: the hostname with `announce-hostnames yes`, else the IP.
    pub fn shown(&self, announce_hostnames: bool) -> &str {
        if announce_hostnames { &self.hostname } else { &self.ip }
    }

    /// `sentinelAddrOrHostnameEqual`: same port, and the same IP or the same hostname.
    pub fn same(&self, other: &Addr) -> bool {
        self.port == other.port
            && (self.ip == other.ip || self.hostname.eq_ignore_ascii_case(&other.hostname))
    }

    /// `announceSentinelAddrAndPort`: the name of a replica, IPv6 in brackets.
    pub fn name(&self, announce_hostnames: bool) -> String {
        let host = self.shown(announce_hostnames);
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// What a pending request on a command link was, so its reply reaches the right
/// handler (Redis registers one callback per command with hiredis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Info,
    Ping,
    Publish,
    IsMasterDown,
    Discard,
}

/// Redis's `instanceLink`: two connections and the timestamps that drive failure
/// detection. `disconnected` is derived: a missing connection means disconnected.
#[derive(Debug, Clone)]
pub struct Link {
    pub cmd: Option<LinkId>,
    pub pubsub: Option<LinkId>,
    /// Replies still due on `cmd`, oldest first; its length is `pending_commands`.
    pub pending: VecDeque<Pending>,
    pub cc_conn_time: i64,
    pub pc_conn_time: i64,
    pub pc_last_activity: i64,
    pub last_reconn_time: i64,
    /// Time of the oldest PING still unanswered; 0 when none is.
    pub act_ping_time: i64,
    pub last_ping_time: i64,
    pub last_avail_time: i64,
    pub last_pong_time: i64,
    /// Our address on the command connection, reported by the driver (hello's s_ip).
    pub local_ip: Option<String>,
}

impl Link {
    /// `createInstanceLink`: the times start at "now" so an instance that never answers
    /// is detected as down after down-after.
    pub fn new(now: i64) -> Self {
        Self {
            cmd: None,
            pubsub: None,
            pending: VecDeque::new(),
            cc_conn_time: 0,
            pc_conn_time: 0,
            pc_last_activity: 0,
            last_reconn_time: 0,
            act_ping_time: now,
            last_ping_time: 0,
            last_avail_time: now,
            last_pong_time: now,
            local_ip: None,
        }
    }
}

/// Which of Redis's `SRI_*` runtime flags are set (kind flags are [`Kind`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub s_down: bool,
    pub o_down: bool,
    pub master_down: bool,
    pub failover_in_progress: bool,
    pub promoted: bool,
    pub reconf_sent: bool,
    pub reconf_inprog: bool,
    pub reconf_done: bool,
    pub force_failover: bool,
    pub script_kill_sent: bool,
    pub master_reboot: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Master,
    Replica,
    Sentinel,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Master => "master",
            Kind::Replica => "slave",
            Kind::Sentinel => "sentinel",
        }
    }
}

/// One monitored master, replica or peer sentinel.
#[derive(Debug, Clone)]
pub struct Instance {
    pub kind: Kind,
    /// Master: its configured name; replica: `ip:port`; sentinel: its runid.
    pub name: String,
    pub runid: Option<String>,
    pub addr: Addr,
    pub link: Link,
    pub flags: Flags,
    pub last_pub_time: i64,
    pub last_hello_time: i64,
    pub last_master_down_reply_time: i64,
    pub s_down_since_time: i64,
    pub o_down_since_time: i64,
    pub down_after: i64,
    /// When the last INFO reply arrived; 0 = never.
    pub info_refresh: i64,
    pub info: Option<String>,
    pub role_reported: Role,
    pub role_reported_time: i64,
    pub slave_conf_change_time: i64,
    // Replica side, from its INFO.
    pub master_link_down_time: i64,
    pub slave_priority: i64,
    pub slave_reconf_sent_time: i64,
    pub slave_master_host: Option<String>,
    pub slave_master_port: u16,
    pub slave_master_link_up: bool,
    pub slave_repl_offset: u64,
    pub replica_announced: bool,
    // Sentinel side: whom this peer voted for, learnt from is-master-down replies.
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl Instance {
    /// `createSentinelRedisInstance` for the three kinds.
    pub fn new(kind: Kind, name: String, addr: Addr, down_after: i64, now: i64) -> Self {
        Self {
            kind,
            name,
            runid: None,
            addr,
            link: Link::new(now),
            flags: Flags::default(),
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            s_down_since_time: 0,
            o_down_since_time: 0,
            down_after,
            info_refresh: 0,
            info: None,
            role_reported: if kind == Kind::Replica { Role::Replica } else { Role::Master },
            role_reported_time: now,
            slave_conf_change_time: now,
            master_link_down_time: 0,
            slave_priority: DEFAULT_SLAVE_PRIORITY,
            slave_reconf_sent_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_repl_offset: 0,
            replica_announced: true,
            leader: None,
            leader_epoch: 0,
        }
    }

    /// `link->disconnected`: a sentinel needs only its command connection.
    pub fn disconnected(&self) -> bool {
        self.link.cmd.is_none() || (self.kind != Kind::Sentinel && self.link.pubsub.is_none())
    }

    /// `sentinelRedisInstanceNoDownFor`: no SDOWN/ODOWN began in the last `ms`.
    pub fn no_down_for(&self, ms: i64, now: i64) -> bool {
        let most_recent = self.s_down_since_time.max(self.o_down_since_time);
        most_recent == 0 || now - most_recent > ms
    }
}

/// The failover state machine's states (`SENTINEL_FAILOVER_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    /// `sentinelFailoverStateStr`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// A monitored master with everything attached to it.
#[derive(Debug, Clone)]
pub struct MasterState {
    pub inst: Instance,
    pub replicas: Vec<Instance>,
    pub sentinels: Vec<Instance>,
    pub quorum: u32,
    pub parallel_syncs: u32,
    pub failover_timeout: i64,
    pub master_reboot_down_after: i64,
    pub master_reboot_since_time: i64,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    /// `rename-command` pairs: (command as Sentinel knows it, name to send).
    pub renamed_commands: Vec<(String, String)>,
    pub config_epoch: u64,
    /// Whom we voted for as failover leader, and in which epoch.
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_state_change_time: i64,
    pub failover_start_time: i64,
    pub failover_delay_logged: i64,
    /// Rhea: the random part of the candidacy delay, drawn when ODOWN begins.
    pub candidate_jitter: i64,
    /// Name (`ip:port`) of the replica chosen for promotion.
    pub promoted: Option<String>,
}

impl MasterState {
    pub fn replica_index(&self, name: &str) -> Option<usize> {
        self.replicas.iter().position(|r| r.name == name)
    }

    pub fn promoted_index(&self) -> Option<usize> {
        self.promoted.as_deref().and_then(|n| self.replica_index(n))
    }

    /// `sentinelGetCurrentMasterAddress`: the promoted replica's address once the
    /// failover reached reconf_slaves (it already acknowledged the switch).
    pub fn current_addr(&self) -> &Addr {
        if self.inst.flags.failover_in_progress
            && self.failover_state >= FailoverState::ReconfSlaves
            && let Some(i) = self.promoted_index()
        {
            return &self.replicas[i].addr;
        }
        &self.inst.addr
    }

    /// `sentinelInstanceMapCommand`: the name to send `command` under.
    pub fn map_command(&self, command: &str) -> String {
        self.renamed_commands
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(command))
            .map(|(_, to)| to.clone())
            .unwrap_or_else(|| command.to_string())
    }
}

/// Which instance of a master an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Master,
    Replica(usize),
    Sentinel(usize),
}

impl MasterState {
    pub fn get(&self, who: Who) -> &Instance {
        match who {
            Who::Master => &self.inst,
            Who::Replica(i) => &self.replicas[i],
            Who::Sentinel(i) => &self.sentinels[i],
        }
    }

    pub fn get_mut(&mut self, who: Who) -> &mut Instance {
        match who {
            Who::Master => &mut self.inst,
            Who::Replica(i) => &mut self.replicas[i],
            Who::Sentinel(i) => &mut self.sentinels[i],
        }
    }

    /// Every instance of this master with its position.
    pub fn all(&self) -> Vec<Who> {
        let mut v = vec![Who::Master];
        v.extend((0..self.replicas.len()).map(Who::Replica));
        v.extend((0..self.sentinels.len()).map(Who::Sentinel));
        v
    }

    /// The `%@` prefix of an event about `who` (`sentinelEvent`):
    /// `<type> <name> <ip> <port>` plus ` @ <master> <mip> <mport>` for non-masters.
    pub fn describe(&self, who: Who, announce_hostnames: bool) -> String {
        let ri = self.get(who);
        let shown = |a: &Addr| format!("{} {}", a.shown(announce_hostnames), a.port);
        let mut s = format!("{} {} {}", ri.kind.as_str(), ri.name, shown(&ri.addr));
        if who != Who::Master {
            s.push_str(&format!(" @ {} {}", self.inst.name, shown(&self.inst.addr)));
        }
        s
    }
}
