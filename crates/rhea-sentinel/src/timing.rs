//! Every period and timeout Sentinel uses, as one value the driver and tests can tighten.
//!
//! Redis 7.0 keeps these as globals that `SENTINEL DEBUG <param> <ms>` can change
//! (`sentinelSetDebugConfigParameters`); the first thirteen fields are those, with the
//! defaults of the `SENTINEL_*` constants of `sentinel.c`. Values that Redis derives from
//! them (the validity of a peer's is-master-down reply is 5 ask periods, …) are derived
//! here too, at the point of use.
//!
//! ## Rhea's tightened timing (deviations from Redis 7.0)
//!
//! The core is driven by `tick(now)` and replies only, so the time from a master's death
//! to a writable new master can be cut without making detection flap. With
//! `down-after-milliseconds 1000` Redis 7.0 needs ≈ 3.1–3.3 s from a SIGKILL to the last
//! `+switch-master`; Rhea aims at < 2 s to a writable new master (< 4.5 s with 3000).
//! Where Redis spends the time, and what Rhea does instead:
//!
//! * **Detection cadence** ([`Timing::down_after_divisor`], default 10). Redis PINGs every
//!   `min(ping-period, down-after)` and asks peers `is-master-down-by-addr` every
//!   ask-period (1 s) while SDOWN, so ODOWN can lag SDOWN by a whole second when the first
//!   answer came back "not down". Rhea PINGs and asks every
//!   `min(period, down-after / divisor)` (100 ms with down-after 1000; unchanged from
//!   Redis for down-after ≥ 10 s), with at most one PING and one (non-forced) ask in
//!   flight per link, so a slow instance is not flooded. The SDOWN rule itself is
//!   Redis's: down-after since the first unanswered PING, so a master stalled for half of
//!   down-after (`DEBUG SLEEP 0.5` with 1000) is never flagged. A peer's "down" answer
//!   stays valid for 5 (effective) ask periods, as in Redis. Reconnects are attempted at
//!   the effective ping period too (Redis: once per ping-period), so a connection killed
//!   by a `CLIENT KILL` of a failover is back long before down-after.
//! * **A broken link is a failed probe.** Redis starts the down-after clock at the first
//!   unanswered PING; when a connection breaks with no PING pending (a SIGKILLed or
//!   cut-off master), the first PING is the one sent on reconnect, up to a reconnect
//!   period later, which delays SDOWN by as much (seen in the simulation: +1 s with
//!   down-after 3000). Rhea starts the clock when the command link goes down.
//! * **INFO while the master is in trouble** ([`Timing::failover_info_period`], default
//!   100). Redis polls replicas every 1 s once their master is ODOWN or failing over, and
//!   learns that the promoted replica switched role from that poll (up to 1 s after the
//!   `SLAVEOF NO ONE`). Rhea polls replicas at this period from SDOWN on (so their INFO
//!   is fresh when one is selected) and pipelines an INFO right behind the `SLAVEOF NO
//!   ONE` transaction: its reply is the first thing the replica says after the switch.
//! * **Candidacy order** ([`Timing::candidate_step`] 100, [`Timing::candidate_jitter`]
//!   50). Redis asks for votes as soon as it sees ODOWN; its `rand() % 1000` on
//!   `failover_start_time` only desynchronises the election timeout and the retry after
//!   2 × failover-timeout. Its candidates rarely collide because ODOWN is reached on a
//!   one-second ask cycle; with 100 ms asks all sentinels reach ODOWN within a few ticks
//!   and would often split the vote, which costs 2 × failover-timeout. So Rhea delays its
//!   candidacy by `rank × step + rand() % jitter`, where `rank` counts the connected,
//!   not-down peers of this master whose run id sorts before ours: the smallest live run
//!   id asks first, the next one only if no request reached it within a step (a sentinel
//!   that voted for another holds back as in Redis). The delay counts from ODOWN, or
//!   from the end of the 2 × failover-timeout gap after an attempt. Votes and the
//!   one-vote-per-epoch rule are untouched, so safety does not depend on it.
//! * **Reacting to replies.** Redis advances the failover state machine by one state per
//!   timer run (10–19 Hz). Rhea re-runs the master's checks (ODOWN, start, election) when
//!   a peer's is-master-down answer arrives, and chains the failover states within one
//!   run while they make progress (elected → selected → SLAVEOF NO ONE sent). The
//!   leader's hello goes to peer sentinels at once when the promotion is seen.
//! * **A fresh clock for a new master.** At `+switch-master` the links are closed and
//!   Redis keeps the last reconnect time (of the dead old master), so the new master may
//!   wait a ping period to be reconnected and — with ping-period == down-after — be
//!   flagged `+sdown` before it was even pinged, and fail over again. Rhea reconnects at
//!   the next tick and starts the availability clock at the first PING to the new
//!   address; the peers' "down" answers, which were about the old address, are dropped.
//!
//! Measured (release build; see `tests/simulation.rs` and `tests/driver_failover.rs`):
//! SIGKILL → a sentinel's `get-master-addr-by-name` names a writable promoted replica in
//! ≈ 1.15 s (max 1.2 s over 5 real runs, max 1.37 s over 2000 simulated ones, kill and
//! isolation) with down-after 1000, ≈ 3.1 s (max 3.2 s real, 3.75 s simulated) with
//! 3000. Without the candidacy order the simulation's comparison survey shows a split
//! vote (a retry after 2 × failover-timeout, ≈ 13 s) in 1 of 400 runs; with it, none in
//! 4000.
//!
//! [`Timing::redis`] restores Redis's periods (divisor 1, failover INFO 1000, no
//! candidacy delay); at run time the same is `SENTINEL DEBUG down-after-divisor 1
//! failover-info-period 1000 candidate-step 0 candidate-jitter 0`. The event-driven
//! parts (INFO behind SLAVEOF NO ONE, chained states, fresh clock) stay: they only
//! remove waiting.

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
    /// Rhea: PINGs and is-master-down-by-addr asks go out at least every
    /// `down-after / divisor` ms (1 = Redis: `min(ping_period, down-after)`, ask_period).
    pub down_after_divisor: i64,
    /// Rhea: INFO period towards replicas while their master is SDOWN/ODOWN or failing
    /// over (Redis: 1000, from ODOWN on).
    pub failover_info_period: i64,
    /// Rhea: candidacy delay per live peer with a smaller run id (Redis: 0).
    pub candidate_step: i64,
    /// Rhea: random part of the candidacy delay, `0..jitter` ms (Redis: 0).
    pub candidate_jitter: i64,
}

/// Jitter bound of `failover_start_time` (`SENTINEL_MAX_DESYNC`): it shifts the election
/// timeout and the retry gap, not the vote requests; not a DEBUG knob in 7.0.
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
            down_after_divisor: 10,
            failover_info_period: 100,
            candidate_step: 100,
            candidate_jitter: 50,
        }
    }
}

impl Timing {
    /// Redis 7.0's periods: the defaults with Rhea's tightening switched off.
    pub fn redis() -> Self {
        Self {
            down_after_divisor: 1,
            failover_info_period: 1000,
            candidate_step: 0,
            candidate_jitter: 0,
            ..Self::default()
        }
    }

    /// The PING period towards an instance with this down-after (`sentinelSendPeriodicCommands`
    /// uses `min(ping_period, down_after)`; Rhea also caps it at down-after / divisor).
    pub fn ping_every(&self, down_after: i64) -> i64 {
        self.ping_period.min(down_after).min(self.fraction(down_after)).max(1)
    }

    /// How often peers are asked about a master with this down-after while it is SDOWN.
    pub fn ask_every(&self, down_after: i64) -> i64 {
        self.ask_period.min(self.fraction(down_after)).max(1)
    }

    fn fraction(&self, down_after: i64) -> i64 {
        if self.down_after_divisor <= 1 { i64::MAX } else { down_after / self.down_after_divisor }
    }

    /// Whether `SENTINEL DEBUG <name> 0` is accepted (Redis wants every value > 0; the
    /// candidacy delays may be switched off).
    pub fn allows_zero(name: &str) -> bool {
        matches!(name.to_ascii_lowercase().as_str(), "candidate-step" | "candidate-jitter")
    }

    /// The `SENTINEL DEBUG` parameter names with their values: Redis's, in its reply
    /// order, then Rhea's.
    /// Every knob: Redis's 13 first (in `SENTINEL DEBUG`'s order), then Rhea's four.
    pub fn fields(&self) -> [(&'static str, i64); 17] {
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
            ("DOWN-AFTER-DIVISOR", self.down_after_divisor),
            ("FAILOVER-INFO-PERIOD", self.failover_info_period),
            ("CANDIDATE-STEP", self.candidate_step),
            ("CANDIDATE-JITTER", self.candidate_jitter),
        ]
    }

    /// How many of [`Timing::fields`] are Redis's own. `SENTINEL DEBUG` without arguments
    /// lists only those, so its reply stays byte-identical to redis-sentinel's; Rhea's
    /// knobs are set (and shown in `lib.rs`'s docs) by name.
    pub const REDIS_KNOBS: usize = 13;

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
            "down-after-divisor" => &mut self.down_after_divisor,
            "failover-info-period" => &mut self.failover_info_period,
            "candidate-step" => &mut self.candidate_step,
            "candidate-jitter" => &mut self.candidate_jitter,
            _ => return false,
        };
        *slot = ms;
        true
    }
}
