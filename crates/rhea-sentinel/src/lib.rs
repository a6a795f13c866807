//! # rhea-sentinel: Redis Sentinel 7.0, as a sans-IO core
//!
//! Owns what Sentinel decides: which instances it monitors, when a master is subjectively
//! and objectively down, epochs and leader votes, the failover state machine, replica
//! selection, hello messages, and the `sentinel …` lines of sentinel.conf (parse and
//! rewrite). It never touches a socket or a clock: drivers pass `now` in and carry the
//! actions it returns out (see `style.md` B1/B3). Behaviour is Redis 7.0.15's
//! `sentinel.c`, ported (not copied); comments name the function mirrored.
//!
//! * [`config`]: the `sentinel` directives of sentinel.conf as Redis 7.0 reads and
//!   rewrites them (`sentinelHandleConfiguration`, `rewriteConfigSentinelOption`).
//! * [`Sentinel`] ([`core`]): the state machine. [`info`] and [`hello`] parse what it
//!   reads; [`io`] is the vocabulary with the driver; [`timing`] the SENTINEL DEBUG knobs.
//! * [`driver`]: runs the core for real — a thread with a current-thread tokio runtime
//!   (timer, one task per link, script children) — and talks to the hosting process
//!   (rhea-server in sentinel mode, which owns the client port) through the
//!   [`driver::Host`] trait and a cloneable [`driver::SentinelHandle`]
//!   (`command`, `publish`, `info_section`, `myid`, `shutdown`). The driver also owns
//!   the script queue, so through the handle PENDING-SCRIPTS and INFO's script counters
//!   are real (the core alone answers them empty).
//!
//! ## The driver contract
//!
//! ```text
//!            tick(now, unix_ms) every next_tick_delay() ms (≈ 53–100 ms, jittered)
//!            on_link_up / on_link_down(link, now) / on_reply(link, LinkReply, now)
//!            command(["master", "mymaster"]) · publish(channel, payload)
//!  driver ─────────────────────────────────────────────────────────────▶ Sentinel
//!         ◀───────────────────────────────────────────────────────────── Vec<Action>
//!            Connect{link, Cmd|Pubsub, host, port} · Close{link} · Send{link, argv}
//!            Event{level, kind, message} · Log · FlushConfig · RunScript · Crash
//! ```
//!
//! * **Time.** `now` is a monotonic clock in ms (any origin > 0; a timestamp of 0 means
//!   "never", which Redis gets for free from its Unix-time clock); `unix_ms` the wall
//!   clock, used for TILT detection (together with the monotonic gap) and dates in logs.
//!   Every input takes `now`; the core never reads a clock.
//! * **Links.** The core allocates a fresh [`io::LinkId`] per connection and asks for it
//!   with `Connect`. It considers the link usable at once and may `Send` on it right
//!   away (hiredis semantics): the driver queues writes until the socket is up. When a
//!   connect fails or a connection breaks, the driver calls `on_link_down(link, now)`, once.
//!   `on_link_up(link, local_ip)` tells the core its local address on the socket (the
//!   hello's sentinel ip when `announce-ip` is unset; without either no hello is sent).
//!   After `Close{link}`, or for unknown ids, events are ignored.
//! * **Replies.** Every `Send` on a command link gets exactly one `on_reply`, in order
//!   (the core keeps a FIFO of what each answers, as hiredis callbacks do). On a pub/sub
//!   link every frame, including the SUBSCRIBE confirmation, is passed to `on_reply`.
//! * **Events.** Log `"{kind} {message}"` at the level; publish `message` on channel
//!   `kind` unless the level is `Debug`. Warning events of a master with a notification
//!   script are followed by `RunScript{path, [kind, message]}`.
//! * **Config.** On `FlushConfig`, rewrite sentinel.conf from
//!   [`Sentinel::persisted_config`] (at most one per returned batch).
//! * **Randomness.** Run ids (a missing myid) and jitter come from the injected
//!   [`rng::SentinelRng`]; a seeded one makes a run replayable.
//! * **Peers' commands.** `SENTINEL …` argv go to [`Sentinel::command`] (reply +
//!   actions); `PUBLISH` to [`Sentinel::publish`]; PING/ROLE/INFO are the driver's (INFO
//!   appends [`Sentinel::info_section`]).
//!
//! ## Caveats (deviations from Redis 7.0)
//! * **Timing is tightened** so that with down-after 1000 a new master is writable
//!   within 2 s of the old one's death (Redis 7.0: ≈ 3 s or more): PINGs and
//!   is-master-down asks every down-after / 10 (one in flight per link), replica INFO at
//!   100 ms while the master is down, an INFO pipelined behind SLAVEOF NO ONE, a
//!   candidacy delay ordered by run id instead of simultaneous vote requests, the
//!   failover states chained within one timer run and re-checked when a peer answers, a
//!   broken link counted as a failed probe, and a fresh availability clock (immediate
//!   reconnect) for a new master after `+switch-master`. Each is explained in
//!   [`timing`]; the wire protocol towards servers and sentinels is unchanged, only the
//!   cadence. [`Timing::redis`] (or the matching `SENTINEL DEBUG` knobs) restores
//!   Redis's periods. `SENTINEL DEBUG` lists four more knobs after Redis's thirteen.
//! * A peer sentinel watching several masters gets one link per master (Redis shares one
//!   `instanceLink`); `link-refcount` always reports 1.
//! * Addresses keep the hostname and the IP it resolved to when the instance was made
//!   (`sentinelAddr`); `resolve-hostnames` decides whether names resolve at all and
//!   `announce-hostnames` which of the two is shown in replies, events, hellos, SLAVEOF
//!   and the rewrite. A name is never re-resolved while its instance lives (nor in
//!   Redis); a rewrite resolves it again to print the IP.
//! * Scripts: the core emits `RunScript`; queueing (16 running, 256 queued), retries and
//!   timeouts are the driver's, and PENDING-SCRIPTS answers an empty array.
//! * SENTINEL SET does not check that a script path exists and is executable.
//! * Ties in the vote count are broken by first-seen order, not by dict order.
//! * The `master_reboot` flag is listed in `flags` (believed 7.0, unverified).
//! * Redis measures everything with its wall clock; here timers use the monotonic clock
//!   and only TILT looks at the wall clock too.
//! * SENTINEL HELP and the non-SENTINEL commands (ROLE, INFO's other sections) are left
//!   to the driver.

pub mod config;
pub mod core;
pub mod driver;
pub mod glob;
pub mod hello;
pub mod info;
pub mod io;
pub mod process;
pub mod rng;
pub mod timing;

pub use crate::core::commands::{FailoverOutcome, IsMasterDownReply};
pub use crate::core::report::MasterStatus;
pub use crate::core::{FailoverState, Options, Sentinel, SimFailure};
pub use crate::io::{Action, LinkId, LinkKind, LinkReply, LogLevel};
pub use crate::rng::{SentinelRng, SplitMix64};
pub use crate::timing::Timing;
