//! What Sentinel shows: the field maps of SENTINEL MASTER/REPLICAS/SENTINELS
//! (`addReplySentinelRedisInstance`), GET-MASTER-ADDR-BY-NAME, INFO-CACHE, the
//! `# Sentinel` INFO section, and the state a config rewrite persists.

pub use super::instance::FailoverState;
use super::instance::{Instance, Kind, MasterState};
use super::{Global, Sentinel};
use crate::config::model::{KnownSentinel, SentinelConfig};

/// A read-only summary of one master, for drivers, tests and invariant checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterStatus {
    pub name: String,
    /// The configured master address (what `+switch-master` changes).
    pub addr: (String, u16),
    pub config_epoch: u64,
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_epoch: u64,
    pub s_down: bool,
    pub o_down: bool,
    pub promoted: Option<(String, u16)>,
    pub replicas: Vec<(String, u16)>,
    pub sentinels: Vec<String>,
}

/// One INFO-CACHE entry: age in ms and the cached INFO text (if any yet).
pub type CachedInfo = (i64, Option<String>);

/// `flags` as Redis lists them, comma-separated.
fn flags_string(ri: &Instance) -> String {
    let f = &ri.flags;
    let names = [
        (f.s_down, "s_down"),
        (f.o_down, "o_down"),
        (ri.kind == Kind::Master, "master"),
        (ri.kind == Kind::Replica, "slave"),
        (ri.kind == Kind::Sentinel, "sentinel"),
        (ri.disconnected(), "disconnected"),
        (f.master_down, "master_down"),
        (f.failover_in_progress, "failover_in_progress"),
        (f.promoted, "promoted"),
        (f.reconf_sent, "reconf_sent"),
        (f.reconf_inprog, "reconf_inprog"),
        (f.reconf_done, "reconf_done"),
        (f.force_failover, "force_failover"),
        (f.script_kill_sent, "script_kill_sent"),
        (f.master_reboot, "master_reboot"),
    ];
    names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
}

/// The field/value pairs of one instance, in Redis's order. `m` is its master.
pub(crate) fn instance_fields(
    g: &Global,
    m: &MasterState,
    ri: &Instance,
    now: i64,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, val: String| v.push((k.to_string(), val));
    put("name", ri.name.clone());
    put("ip", g.shown(&ri.addr).to_string());
    put("port", ri.addr.port.to_string());
    put("runid", ri.runid.clone().unwrap_or_default());
    put("flags", flags_string(ri));
    put("link-pending-commands", ri.link.pending.len().to_string());
    put("link-refcount", "1".to_string());
    if ri.flags.failover_in_progress {
        put("failover-state", m.failover_state.as_str().to_string());
    }
    let act = ri.link.act_ping_time;
    put("last-ping-sent", if act != 0 { (now - act).to_string() } else { "0".to_string() });
    put("last-ok-ping-reply", (now - ri.link.last_avail_time).to_string());
    put("last-ping-reply", (now - ri.link.last_pong_time).to_string());
    if ri.flags.s_down {
        put("s-down-time", (now - ri.s_down_since_time).to_string());
    }
    if ri.flags.o_down {
        put("o-down-time", (now - ri.o_down_since_time).to_string());
    }
    put("down-after-milliseconds", ri.down_after.to_string());
    if ri.kind != Kind::Sentinel {
        put(
            "info-refresh",
            if ri.info_refresh != 0 { (now - ri.info_refresh).to_string() } else { "0".into() },
        );
        put("role-reported", ri.role_reported.as_str().to_string());
        put("role-reported-time", (now - ri.role_reported_time).to_string());
    }
    match ri.kind {
        Kind::Master => {
            put("config-epoch", m.config_epoch.to_string());
            put("num-slaves", m.replicas.len().to_string());
            put("num-other-sentinels", m.sentinels.len().to_string());
            put("quorum", m.quorum.to_string());
            put("failover-timeout", m.failover_timeout.to_string());
            put("parallel-syncs", m.parallel_syncs.to_string());
            if let Some(s) = &m.notification_script {
                put("notification-script", s.clone());
            }
            if let Some(s) = &m.client_reconfig_script {
                put("client-reconfig-script", s.clone());
            }
        }
        Kind::Replica => {
            put("master-link-down-time", ri.master_link_down_time.to_string());
            put(
                "master-link-status",
                if ri.slave_master_link_up { "ok" } else { "err" }.to_string(),
            );
            put("master-host", ri.slave_master_host.clone().unwrap_or_else(|| "?".to_string()));
            put("master-port", ri.slave_master_port.to_string());
            put("slave-priority", ri.slave_priority.to_string());
            put("slave-repl-offset", ri.slave_repl_offset.to_string());
            put("replica-announced", u8::from(ri.replica_announced).to_string());
        }
        Kind::Sentinel => {
            put("last-hello-message", (now - ri.last_hello_time).to_string());
            put("voted-leader", ri.leader.clone().unwrap_or_else(|| "?".to_string()));
            put("voted-leader-epoch", ri.leader_epoch.to_string());
        }
    }
    v
}

impl Sentinel {
    pub fn myid(&self) -> &str {
        &self.g.myid
    }

    pub fn current_epoch(&self) -> u64 {
        self.g.current_epoch
    }

    pub fn is_tilt(&self) -> bool {
        self.g.tilt
    }

    /// True once a `SIMULATE-FAILURE` crash fired; the core then ignores all input.
    pub fn has_crashed(&self) -> bool {
        self.g.crashed
    }

    pub fn timing(&self) -> crate::timing::Timing {
        self.g.timing
    }

    pub fn master_names(&self) -> Vec<String> {
        self.masters.iter().map(|m| m.inst.name.clone()).collect()
    }

    pub fn master_status(&self, name: &str) -> Option<MasterStatus> {
        let m = &self.masters[self.master_index(name)?];
        Some(MasterStatus {
            name: m.inst.name.clone(),
            addr: (self.g.shown(&m.inst.addr).to_string(), m.inst.addr.port),
            config_epoch: m.config_epoch,
            leader: m.leader.clone(),
            leader_epoch: m.leader_epoch,
            failover_state: m.failover_state,
            failover_epoch: m.failover_epoch,
            s_down: m.inst.flags.s_down,
            o_down: m.inst.flags.o_down,
            promoted: m
                .promoted_index()
                .map(|p| (self.g.shown(&m.replicas[p].addr).to_string(), m.replicas[p].addr.port)),
            replicas: m
                .replicas
                .iter()
                .map(|r| (self.g.shown(&r.addr).to_string(), r.addr.port))
                .collect(),
            sentinels: m.sentinels.iter().map(|s| s.name.clone()).collect(),
        })
    }

    /// SENTINEL MASTER `<name>`.
    pub fn master_fields(&self, name: &str, now: i64) -> Option<Vec<(String, String)>> {
        let m = &self.masters[self.master_index(name)?];
        Some(instance_fields(&self.g, m, &m.inst, now))
    }

    /// SENTINEL MASTERS.
    pub fn masters_fields(&self, now: i64) -> Vec<Vec<(String, String)>> {
        self.masters.iter().map(|m| instance_fields(&self.g, m, &m.inst, now)).collect()
    }

    /// SENTINEL REPLICAS `<name>`: replicas with `replica-announced:0` are left out.
    pub fn replicas_fields(&self, name: &str, now: i64) -> Option<Vec<Vec<(String, String)>>> {
        let m = &self.masters[self.master_index(name)?];
        Some(
            m.replicas
                .iter()
                .filter(|r| r.replica_announced)
                .map(|r| instance_fields(&self.g, m, r, now))
                .collect(),
        )
    }

    /// SENTINEL SENTINELS `<name>`.
    pub fn sentinels_fields(&self, name: &str, now: i64) -> Option<Vec<Vec<(String, String)>>> {
        let m = &self.masters[self.master_index(name)?];
        Some(m.sentinels.iter().map(|s| instance_fields(&self.g, m, s, now)).collect())
    }

    /// SENTINEL GET-MASTER-ADDR-BY-NAME: the promoted replica once it acknowledged.
    pub fn get_master_addr_by_name(&self, name: &str) -> Option<(String, u16)> {
        let m = &self.masters[self.master_index(name)?];
        let a = m.current_addr();
        Some((self.g.shown(a).to_string(), a.port))
    }

    /// SENTINEL INFO-CACHE: per master, (age ms, INFO text) for the master and then
    /// each replica. Redis tests the *master's* `info_refresh` for every entry's age.
    pub fn info_cache(&self, names: &[String], now: i64) -> Vec<(String, Vec<CachedInfo>)> {
        self.masters
            .iter()
            .filter(|m| names.is_empty() || names.contains(&m.inst.name))
            .map(|m| {
                let age = |ri: &Instance| {
                    if m.inst.info_refresh != 0 { now - ri.info_refresh } else { 0 }
                };
                let mut v = vec![(age(&m.inst), m.inst.info.clone())];
                v.extend(m.replicas.iter().map(|r| (age(r), r.info.clone())));
                (m.inst.name.clone(), v)
            })
            .collect()
    }

    /// The `# Sentinel` section of INFO (Redis 7.0 field set).
    pub fn info_section(&self, now: i64) -> String {
        let g: &Global = &self.g;
        let sim = u8::from(g.simfailure.crash_after_election)
            | (u8::from(g.simfailure.crash_after_promotion) << 1);
        let mut s = format!(
            "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n\
             sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:{}\r\n",
            self.masters.len(),
            u8::from(g.tilt),
            if g.tilt { (now - g.tilt_start_time) / 1000 } else { -1 },
            sim
        );
        for (i, m) in self.masters.iter().enumerate() {
            let status = if m.inst.flags.o_down {
                "odown"
            } else if m.inst.flags.s_down {
                "sdown"
            } else {
                "ok"
            };
            s.push_str(&format!(
                "master{}:name={},status={},address={}:{},slaves={},sentinels={}\r\n",
                i,
                m.inst.name,
                status,
                self.g.shown(&m.inst.addr),
                m.inst.addr.port,
                m.replicas.len(),
                m.sentinels.len() + 1
            ));
        }
        s
    }

    /// The state to write back to sentinel.conf (`rewriteConfigSentinelOption`): the
    /// current master address (the promoted one once it acknowledged), epochs, every
    /// replica (a promoted one is written as the old master's address) and every peer.
    pub fn persisted_config(&self) -> SentinelConfig {
        let g = &self.g;
        let masters = self
            .masters
            .iter()
            .map(|m| {
                let cur = m.current_addr();
                // Hosts as given: the rewrite shows IPs or names per announce-hostnames.
                let mut mc = m.settings_config(&cur.hostname, cur.port);
                mc.known_replicas = m
                    .replicas
                    .iter()
                    .map(|r| {
                        let a = if r.addr.same(cur) { &m.inst.addr } else { &r.addr };
                        (a.hostname.clone(), a.port)
                    })
                    .collect();
                mc.known_sentinels = m
                    .sentinels
                    .iter()
                    .filter_map(|s| {
                        let runid = s.runid.clone()?;
                        let host = s.addr.hostname.clone();
                        Some(KnownSentinel { host, port: s.addr.port, runid })
                    })
                    .collect();
                mc
            })
            .collect();
        SentinelConfig {
            myid: Some(g.myid.clone()),
            current_epoch: g.current_epoch,
            announce_ip: g.announce_ip.clone(),
            announce_port: g.announce_port,
            resolve_hostnames: g.resolve_hostnames,
            announce_hostnames: g.announce_hostnames,
            deny_scripts_reconfig: g.deny_scripts_reconfig,
            sentinel_user: g.sentinel_user.clone(),
            sentinel_pass: g.sentinel_pass.clone(),
            masters,
        }
    }
}
