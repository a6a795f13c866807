//! The driver: runs a [`Sentinel`] on real sockets, a real clock and real child
//! processes, and talks to the process that hosts it through the [`Host`] trait.
//!
//! ```text
//!   host (rhea-server in sentinel mode)            driver thread (current-thread tokio)
//!   ───────────────────────────────────            ─────────────────────────────────────
//!   SENTINEL …  ─▶ handle.command ─┐               timer: tick every next_tick_delay()
//!   PUBLISH     ─▶ handle.publish ─┤               link tasks: connect/write/read RESP2
//!   INFO        ─▶ handle.info_section             script children: spawn/wait/kill
//!                                  ▼                          │
//!                       Mutex<Sentinel> ◀─────────────────────┘
//!                                  │ Vec<Action>
//!            Connect/Close/Send ───┴──▶ control channel ──▶ event loop ──▶ link tasks
//!            Event/Log/Flush/Crash ───▶ Host::{publish, log, flush_config, crash}
//!            RunScript ───────────────▶ script queue (started by the timer)
//! ```
//!
//! * **One core, two callers.** The core sits behind a `Mutex` shared by the driver
//!   thread and every [`SentinelHandle`]. The lock is held for the core call only; the
//!   link actions it returned are put on the (unbounded, in-process) control channel
//!   before the lock is released, so the event loop sees them in the core's order
//!   whichever thread produced them. Host calls are made after the core lock is
//!   released, under a second lock taken before it is released, so events reach the
//!   host in the core's order too. **Host methods must therefore not call back into a
//!   handle synchronously** (deadlock); queue the work instead.
//! * **Time.** [`now_ms`] is monotonic (`Instant`) with an origin equal to the wall
//!   clock at its first use, so values look like Redis's `mstime()` and "0 = never"
//!   timestamps are far in the past as in Redis. [`unix_ms`] is the wall clock. Create
//!   the core with these two (`Sentinel::new(…, now_ms(), unix_ms())`).
//! * **Links** (`link.rs`): one task per `Connect`, writes queued until connected,
//!   a connect timeout ([`DriverOptions::connect_timeout`]), `on_link_up` with the
//!   socket's local address, `on_link_down` exactly once on failure/EOF/error and never
//!   after `Close`. The core stops sending periodic commands at 100 pending
//!   (`SENTINEL_MAX_PENDING_COMMANDS`); as a last guard the driver breaks a command link
//!   with more than [`DriverOptions::max_link_backlog`] unanswered commands.
//! * **Scripts** (`scripts.rs`): Redis 7.0's queue — 16 running, 256 queued, retry
//!   on signal or exit 1 with a doubling delay up to 10 attempts, kill after
//!   `script-max-runtime`; the two knobs come from the core's [`crate::Timing`].
//!   `SENTINEL PENDING-SCRIPTS` and INFO's script counters are answered from it.
//!
//! ## Caveats
//! * The core resolves a hostname once, when it makes the address
//!   (`resolve-hostnames yes`), with blocking `getaddrinfo` on this thread, as Redis
//!   does on its main thread; links connect to the IP it got.
//! * The connect timeout is the driver's (hiredis's async connect has none in Sentinel;
//!   Redis relies on the link recycling in `sentinelCheckSubjectivelyDown`).
//! * A timed-out script gets one SIGKILL and one `-script-timeout` event (Redis repeats
//!   both at every timer run until the child is reaped).

mod event_loop;
mod link;
pub mod resp2;
mod scripts;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rhea_resp::Reply;
use tokio::sync::mpsc;

use crate::config::model::SentinelConfig;
use crate::core::Sentinel;
use crate::io::{Action, LogLevel};
use scripts::ScriptQueue;

/// What the driver needs from the process hosting it.
pub trait Host: Send + Sync + 'static {
    /// Deliver an event to this sentinel's own pub/sub subscribers (channel = event kind).
    fn publish(&self, channel: &str, message: &str);
    /// Write a log line at Redis's level (the host formats `pid:X date mark msg`).
    fn log(&self, level: LogLevel, msg: &str);
    /// Persist the state (rewrite sentinel.conf atomically); Err is logged by the driver.
    fn flush_config(&self, state: &SentinelConfig) -> Result<(), String>;
    /// SIMULATE-FAILURE crash: the host exits with code 99.
    fn crash(&self, reason: &str);
}

/// Settings of the driver itself (not Sentinel's: those are in the core).
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// How long a TCP connect may take before the link counts as down.
    pub connect_timeout: Duration,
    /// Unanswered commands on one command link beyond which the link is broken.
    pub max_link_backlog: usize,
}

impl Default for DriverOptions {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_millis(2000), max_link_backlog: 1000 }
    }
}

// ===== clock =====

fn origin() -> &'static (Instant, i64) {
    static ORIGIN: OnceLock<(Instant, i64)> = OnceLock::new();
    ORIGIN.get_or_init(|| (Instant::now(), unix_ms().max(1)))
}

/// The monotonic clock the core is driven with, in ms (> 0).
pub fn now_ms() -> i64 {
    let (start, base) = *origin();
    base + start.elapsed().as_millis() as i64
}

/// The wall clock in ms since the Unix epoch.
pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

// ===== shared state =====

/// What the event loop is asked to do from outside its thread.
enum Control {
    /// `Connect`, `Close` or `Send`, in the core's order.
    Link(Action),
    Shutdown,
}

/// Everything the event loop reacts to besides [`Control`].
pub(crate) enum LoopEvent {
    Link(link::LinkEvent),
    ScriptExit { id: u64, exit: scripts::ScriptExit },
}

struct Shared {
    core: Mutex<Sentinel>,
    /// Held while carrying out host actions, taken before the core lock is released.
    order: Mutex<()>,
    host: Arc<dyn Host>,
    control: mpsc::UnboundedSender<Control>,
    scripts: Mutex<ScriptQueue>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    options: DriverOptions,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Call the core, then carry out the actions it returned (see the module docs for
    /// the ordering guarantees).
    fn run<R>(&self, f: impl FnOnce(&mut Sentinel, i64) -> (R, Vec<Action>)) -> R {
        self.run_flushing(f).0
    }

    /// [`Shared::run`], also telling whether a config flush it caused failed (commands
    /// then answer Redis's error instead of `+OK`: `sentinelFlushConfigAndReply`).
    fn run_flushing<R>(&self, f: impl FnOnce(&mut Sentinel, i64) -> (R, Vec<Action>)) -> (R, bool) {
        let now = now_ms();
        let mut core = lock(&self.core);
        let (r, actions) = f(&mut core, now);
        if actions.is_empty() {
            return (r, false);
        }
        let snapshot = actions.contains(&Action::FlushConfig).then(|| core.persisted_config());
        let mut rest = Vec::new();
        for a in actions {
            match a {
                Action::Connect { .. } | Action::Close { .. } | Action::Send { .. } => {
                    let _ = self.control.send(Control::Link(a));
                }
                other => rest.push(other),
            }
        }
        let order = lock(&self.order);
        drop(core);
        let flush_failed = self.carry_out(rest, snapshot.as_ref());
        drop(order);
        (r, flush_failed)
    }

    /// Events produced by the driver itself (scripts), in order with the core's.
    fn emit(&self, actions: Vec<Action>) {
        if !actions.is_empty() {
            let _order = lock(&self.order);
            let _ = self.carry_out(actions, None);
        }
    }

    /// The host-facing actions: events, logs, config flush, scripts, crash. Returns true
    /// if a config flush failed.
    fn carry_out(&self, actions: Vec<Action>, snapshot: Option<&SentinelConfig>) -> bool {
        let mut flush_failed = false;
        for a in actions {
            match a {
                Action::Event { level, kind, message } => {
                    self.host.log(level, &format!("{kind} {message}"));
                    if level != LogLevel::Debug {
                        self.host.publish(&kind, &message);
                    }
                }
                Action::Log { level, message } => self.host.log(level, &message),
                Action::FlushConfig => {
                    if let Some(state) = snapshot
                        && let Err(e) = self.host.flush_config(state)
                    {
                        flush_failed = true;
                        self.host.log(
                            LogLevel::Warning,
                            &format!(
                                "WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}"
                            ),
                        );
                    }
                }
                Action::RunScript { path, args } => lock(&self.scripts).schedule(path, args),
                Action::Crash { reason } => {
                    self.host.log(LogLevel::Warning, "Sentinel: SIMULATED failure crash. Exiting.");
                    self.host.crash(&reason);
                }
                Action::Connect { .. } | Action::Close { .. } | Action::Send { .. } => {
                    unreachable!("link actions go to the event loop")
                }
            }
        }
        flush_failed
    }
}

// ===== the handle =====

/// The host's side of a running driver. Cheap to clone; every clone drives the same
/// sentinel.
#[derive(Clone)]
pub struct SentinelHandle {
    shared: Arc<Shared>,
}

/// Start the driver thread for `core` with the default [`DriverOptions`].
/// `initial_actions` are the ones `Sentinel::new` returned (`+monitor`, a myid flush…).
pub fn spawn(
    core: Sentinel,
    initial_actions: Vec<Action>,
    host: Arc<dyn Host>,
) -> std::io::Result<SentinelHandle> {
    spawn_with(core, initial_actions, host, DriverOptions::default())
}

/// [`spawn`] with explicit driver options. Fails only if the thread cannot be created.
pub fn spawn_with(
    core: Sentinel,
    initial_actions: Vec<Action>,
    host: Arc<dyn Host>,
    options: DriverOptions,
) -> std::io::Result<SentinelHandle> {
    let (control, control_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        core: Mutex::new(core),
        order: Mutex::new(()),
        host,
        control,
        scripts: Mutex::new(ScriptQueue::default()),
        thread: Mutex::new(None),
        options,
    });
    shared.run(|_, _| ((), initial_actions));
    let for_thread = shared.clone();
    let thread = std::thread::Builder::new()
        .name("sentinel-driver".into())
        .spawn(move || event_loop::run(for_thread, control_rx))?;
    *lock(&shared.thread) = Some(thread);
    Ok(SentinelHandle { shared })
}

impl SentinelHandle {
    /// `SENTINEL <argv…>` (the argv after `SENTINEL`): the reply, after the actions the
    /// command caused were carried out (links queued, events published, config flushed).
    pub fn command(&self, argv: &[Vec<u8>]) -> Reply {
        let args: Vec<String> =
            argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if args.len() == 1 && args[0].eq_ignore_ascii_case("pending-scripts") {
            return lock(&self.shared.scripts).pending_reply(now_ms());
        }
        let (reply, flush_failed) = self.shared.run_flushing(|core, now| core.command(&args, now));
        match reply {
            Reply::Simple(ok) if flush_failed && ok == "OK" => {
                Reply::err(crate::config::FLUSH_FAILED_REPLY)
            }
            reply => reply,
        }
    }

    /// A `PUBLISH <channel> <payload>` received by the sentinel (peers' hellos).
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> Reply {
        let channel = String::from_utf8_lossy(channel);
        let payload = String::from_utf8_lossy(payload);
        self.shared.run(|core, now| {
            let reply = core.publish(&channel, &payload, now);
            (reply, core.take_actions())
        })
    }

    /// INFO's `# Sentinel` section, with the driver's script counters.
    pub fn info_section(&self) -> String {
        let text = lock(&self.shared.core).info_section(now_ms());
        let (running, queued) = lock(&self.shared.scripts).counts();
        text.replacen(
            "sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n",
            &format!(
                "sentinel_running_scripts:{running}\r\nsentinel_scripts_queue_length:{queued}\r\n"
            ),
            1,
        )
    }

    /// This sentinel's run id (`SENTINEL MYID`).
    pub fn myid(&self) -> String {
        lock(&self.shared.core).myid().to_string()
    }

    /// Read the core under its lock (reports, tests). `now` is [`now_ms`].
    pub fn inspect<R>(&self, f: impl FnOnce(&Sentinel, i64) -> R) -> R {
        let now = now_ms();
        f(&lock(&self.shared.core), now)
    }

    /// Stop the event loop: every link is closed, the timer stops, running scripts are
    /// left to finish on their own. Waits for the driver thread (unless called on it).
    /// Commands still work afterwards but nothing is sent any more.
    pub fn shutdown(&self) {
        let _ = self.shared.control.send(Control::Shutdown);
        let thread = lock(&self.shared.thread).take();
        if let Some(t) = thread
            && t.thread().id() != std::thread::current().id()
        {
            let _ = t.join();
        }
    }
}
