//! Every period and timeout Sentinel uses, as one value the driver and tests can tighten.
//!
//! Redis 7.0 keeps these as globals that `SENTINEL DEBUG <param> <ms>` can change
//! (`sentinelSetDebugConfigParameters`); the defaults are the `SENTINEL_*` constants of
//! `sentinel.c`. Values that Redis derives from them (the 5 s validity of a peer's
//! is-master-down reply is `ask_period * 5`, …) are derived here too, at the point of use.

/// The `SENTINEL DEBUG` timing knobs, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// INFO to masters and replicas (`SENTINEL_INFO_PERIOD`).
    pub info_period: i64,
    /// Upper bound of the PING period (`SENTINEL_PING_PERIOD`); also the reconnect limit.
    pub ping_period: i64,
    /// is-master-down-by-addr to peers while SDOWN (`SENTINEL_ASK_PERIOD`).
    pub ask_period: i64,
    /// Hello messages (`SENTINEL_PUBLISH_PERIOD`).
    pub publish_period: i64,
    /// down-after-milliseconds of a master created by SENTINEL MONITOR.
    pub default_down_after: i64,
    /// failover-timeout of a master created by SENTINEL MONITOR.
    pub default_failover_timeout: i64,
    /// A timer gap larger than this (or negative) enters TILT.
    pub tilt_trigger: i64,
    /// How long TILT lasts.
    pub tilt_period: i64,
    /// A replica that got SLAVEOF but did not move on within this is counted done.
    pub slave_reconf_timeout: i64,
    /// A link younger than this is never recycled.
    pub min_link_reconnect_period: i64,
    /// Upper bound of the election wait (the other bound is failover-timeout).
    pub election_timeout: i64,
    /// Kept for SENTINEL DEBUG; scripts are run by the driver.
    pub script_max_runtime: i64,
    /// Kept for SENTINEL DEBUG; scripts are run by the driver.
    pub script_retry_delay: i64,
}

/// Failover start jitter bound (`SENTINEL_MAX_DESYNC`); not a DEBUG knob in 7.0.
pub const MAX_DESYNC: u64 = 1000;
/// Pending commands per link beyond which periodic commands are not sent.
pub const MAX_PENDING_COMMANDS: usize = 100;
/// `slave_priority` a replica has until its INFO says otherwise.
pub const DEFAULT_SLAVE_PRIORITY: i64 = 100;

impl Default for Timing {
    fn default() -> Self {
        Self {
            info_period: 10_000,
            ping_period: 1_000,
            ask_period: 1_000,
            publish_period: 2_000,
            default_down_after: 30_000,
            default_failover_timeout: 180_000,
            tilt_trigger: 2_000,
            tilt_period: 30_000,
            slave_reconf_timeout: 10_000,
            min_link_reconnect_period: 15_000,
            election_timeout: 10_000,
            script_max_runtime: 60_000,
            script_retry_delay: 30_000,
        }
    }
}

impl Timing {
    /// The `SENTINEL DEBUG` parameter names with their values, in Redis's reply order.
    pub fn fields(&self) -> [(&'static str, i64); 13] {
        [
            ("INFO-PERIOD", self.info_period),
            ("PING-PERIOD", self.ping_period),
            ("ASK-PERIOD", self.ask_period),
            ("PUBLISH-PERIOD", self.publish_period),
            ("DEFAULT-DOWN-AFTER", self.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", self.default_failover_timeout),
            ("TILT-TRIGGER", self.tilt_trigger),
            ("TILT-PERIOD", self.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", self.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", self.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", self.election_timeout),
            ("SCRIPT-MAX-RUNTIME", self.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", self.script_retry_delay),
        ]
    }

    /// Set one knob by its `SENTINEL DEBUG` name (case-insensitive). False if unknown.
    pub fn set(&mut self, name: &str, ms: i64) -> bool {
        let slot = match name.to_ascii_lowercase().as_str() {
            "info-period" => &mut self.info_period,
            "ping-period" => &mut self.ping_period,
            "ask-period" => &mut self.ask_period,
            "publish-period" => &mut self.publish_period,
            "default-down-after" => &mut self.default_down_after,
            "default-failover-timeout" => &mut self.default_failover_timeout,
            "tilt-trigger" => &mut self.tilt_trigger,
            "tilt-period" => &mut self.tilt_period,
            "slave-reconf-timeout" => &mut self.slave_reconf_timeout,
            "min-link-reconnect-period" => &mut self.min_link_reconnect_period,
            "election-timeout" => &mut self.election_timeout,
            "script-max-runtime" => &mut self.script_max_runtime,
            "script-retry-delay" => &mut self.script_retry_delay,
            _ => return false,
        };
        *slot = ms;
        true
    }
}
