//! What sentinel.conf describes: global Sentinel settings and one [`MasterConfig`] per
//! `sentinel monitor` line, with the state Sentinel persists about it (epochs, known
//! replicas and sentinels). The parser fills it, the core starts from it, and the rewrite
//! writes it back.

/// Redis's defaults (`sentinel.c`: `SENTINEL_DEFAULT_*`).
pub const DEFAULT_DOWN_AFTER_MS: u64 = 30_000;
pub const DEFAULT_FAILOVER_TIMEOUT_MS: u64 = 180_000;
pub const DEFAULT_PARALLEL_SYNCS: u32 = 1;
pub const DEFAULT_PORT: u16 = 26379;

/// Global settings and every monitored master, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelConfig {
    /// `sentinel myid`: 40 hex characters; generated at startup when absent.
    pub myid: Option<String>,
    /// `sentinel current-epoch`.
    pub current_epoch: u64,
    /// `sentinel announce-ip` (empty = not set).
    pub announce_ip: Option<String>,
    /// `sentinel announce-port` (0 = not set).
    pub announce_port: u16,
    /// `sentinel resolve-hostnames` (default no).
    pub resolve_hostnames: bool,
    /// `sentinel announce-hostnames` (default no).
    pub announce_hostnames: bool,
    /// `sentinel deny-scripts-reconfig` (default yes).
    pub deny_scripts_reconfig: bool,
    /// `sentinel sentinel-user` / `sentinel-pass`: credentials towards other sentinels.
    pub sentinel_user: Option<String>,
    pub sentinel_pass: Option<String>,
    pub masters: Vec<MasterConfig>,
}

impl Default for SentinelConfig {
    fn default() -> Self {
        Self {
            myid: None,
            current_epoch: 0,
            announce_ip: None,
            announce_port: 0,
            resolve_hostnames: false,
            announce_hostnames: false,
            deny_scripts_reconfig: true,
            sentinel_user: None,
            sentinel_pass: None,
            masters: Vec::new(),
        }
    }
}

/// One `sentinel monitor <name> <host> <port> <quorum>` and the lines that refer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterConfig {
    pub name: String,
    /// As written (an IP, or a hostname when `resolve-hostnames yes`).
    pub host: String,
    pub port: u16,
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
    /// 0 = disabled (the default).
    pub master_reboot_down_after_ms: u64,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    /// `sentinel rename-command <name> <command> <renamed>`, in file order.
    pub renamed_commands: Vec<(String, String)>,
    pub config_epoch: u64,
    pub leader_epoch: u64,
    /// `known-replica` (alias `known-slave`) lines: replicas remembered across restarts.
    pub known_replicas: Vec<(String, u16)>,
    pub known_sentinels: Vec<KnownSentinel>,
}

impl MasterConfig {
    /// A master as `sentinel monitor` creates it, every option at Redis's default.
    pub fn new(name: &str, host: &str, port: u16, quorum: u32) -> Self {
        Self {
            name: name.to_string(),
            host: host.to_string(),
            port,
            quorum,
            down_after_ms: DEFAULT_DOWN_AFTER_MS,
            failover_timeout_ms: DEFAULT_FAILOVER_TIMEOUT_MS,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            master_reboot_down_after_ms: 0,
            auth_pass: None,
            auth_user: None,
            notification_script: None,
            client_reconfig_script: None,
            renamed_commands: Vec::new(),
            config_epoch: 0,
            leader_epoch: 0,
            known_replicas: Vec::new(),
            known_sentinels: Vec::new(),
        }
    }
}

/// `sentinel known-sentinel <master> <ip> <port> <runid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSentinel {
    pub host: String,
    pub port: u16,
    pub runid: String,
}
