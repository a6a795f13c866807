//! The driver thread: a current-thread runtime running the timer, the link tasks and
//! the script children (`sentinelTimer`, the hiredis callbacks, `sentinelRunPendingScripts`
//! and friends).

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::link::{self, LinkEvent};
use super::scripts::ScriptExit;
use super::{Control, LoopEvent, Shared, lock, now_ms, unix_ms};
use crate::io::{Action, LinkId, LinkKind, LogLevel};

/// One open link as the loop sees it.
struct Link {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    task: JoinHandle<()>,
    kind: LinkKind,
    /// Commands written on a command link and not answered yet.
    unanswered: usize,
}

struct EventLoop {
    shared: Arc<Shared>,
    events_tx: mpsc::UnboundedSender<LoopEvent>,
    links: HashMap<LinkId, Link>,
}

/// The thread's body: returns on `Control::Shutdown` ([`super::SentinelHandle::shutdown`]).
pub(super) fn run(shared: Arc<Shared>, control: mpsc::UnboundedReceiver<Control>) {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            shared.host.log(LogLevel::Warning, &format!("Sentinel driver cannot start: {e}"));
            return;
        }
    };
    rt.block_on(async move {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let mut lp = EventLoop { shared, events_tx, links: HashMap::new() };
        lp.main(control, events_rx).await;
        for (_, l) in lp.links.drain() {
            l.task.abort();
        }
    });
}

impl EventLoop {
    async fn main(
        &mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
        mut events: mpsc::UnboundedReceiver<LoopEvent>,
    ) {
        // Redis's first timer run comes right after start-up.
        let mut next_tick = Instant::now() + Duration::from_millis(1);
        loop {
            tokio::select! {
                biased;
                c = control.recv() => match c {
                    Some(Control::Link(a)) => self.link_action(a),
                    Some(Control::Shutdown) | None => return,
                },
                Some(ev) = events.recv() => self.event(ev),
                _ = tokio::time::sleep_until(next_tick) => {
                    let delay = self.tick();
                    next_tick = Instant::now() + Duration::from_millis(delay.max(1) as u64);
                }
            }
        }
    }

    // ===== links =====

    fn link_action(&mut self, a: Action) {
        match a {
            Action::Connect { link, kind, host, port } => {
                let timeout = self.shared.options.connect_timeout;
                let (tx, task) = link::spawn(link, host, port, timeout, self.events_tx.clone());
                self.links.insert(link, Link { tx, task, kind, unanswered: 0 });
            }
            Action::Close { link } => {
                if let Some(l) = self.links.remove(&link) {
                    l.task.abort();
                }
            }
            Action::Send { link, argv } => {
                let Some(l) = self.links.get_mut(&link) else { return };
                let mut out = Vec::new();
                super::resp2::encode_command(&argv, &mut out);
                // A send to a task that already ended is dropped: its Down is queued.
                let _ = l.tx.send(out);
                if l.kind == LinkKind::Cmd {
                    l.unanswered += 1;
                    if l.unanswered > self.shared.options.max_link_backlog {
                        let msg = format!(
                            "{link}: more than {} commands without a reply, closing it",
                            self.shared.options.max_link_backlog
                        );
                        self.link_down(link, &msg);
                    }
                }
            }
            other => unreachable!("not a link action: {other:?}"),
        }
    }

    /// The link is gone for a reason other than `Close`: tell the core, once.
    fn link_down(&mut self, link: LinkId, reason: &str) {
        let Some(l) = self.links.remove(&link) else { return };
        l.task.abort();
        self.shared.host.log(LogLevel::Debug, &format!("{link} down: {reason}"));
        self.shared.run(|core, now| ((), core.on_link_down(link, now)));
    }

    fn event(&mut self, ev: LoopEvent) {
        match ev {
            LoopEvent::Link(LinkEvent::Up(link, local_ip)) => {
                if self.links.contains_key(&link) {
                    self.shared.run(|core, _| ((), core.on_link_up(link, local_ip)));
                }
            }
            LoopEvent::Link(LinkEvent::Reply(link, reply)) => {
                let Some(l) = self.links.get_mut(&link) else { return };
                l.unanswered = l.unanswered.saturating_sub(1);
                self.shared.run(|core, now| ((), core.on_reply(link, reply, now)));
            }
            LoopEvent::Link(LinkEvent::Down(link, reason)) => self.link_down(link, &reason),
            LoopEvent::ScriptExit { id, exit } => {
                let retry_delay = lock(&self.shared.core).timing().script_retry_delay;
                let out = lock(&self.shared.scripts).exited(id, exit, now_ms(), retry_delay);
                self.shared.emit(out);
            }
        }
    }

    // ===== timer =====

    /// `sentinelTimer`: the core's tick, then the script queue. Returns the delay to the
    /// next run.
    fn tick(&mut self) -> i64 {
        let (delay, timing) = self.shared.run(|core, now| {
            let actions = core.tick(now, unix_ms());
            ((core.next_tick_delay(), core.timing()), actions)
        });
        let now = now_ms();
        let due = lock(&self.shared.scripts).due(now);
        for (id, argv) in due {
            self.start_script(id, argv);
        }
        let out = lock(&self.shared.scripts).kill_timed_out(now, timing.script_max_runtime);
        self.shared.emit(out);
        delay
    }

    /// Fork/exec one script job; its end comes back as a `ScriptExit` event.
    fn start_script(&mut self, id: u64, argv: Vec<String>) {
        let spawned = tokio::process::Command::new(&argv[0]).args(&argv[1..]).spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(_) => {
                // Redis's child calls _exit(2) when execve fails.
                let exit = ScriptExit { code: 2, signal: 0 };
                let _ = self.events_tx.send(LoopEvent::ScriptExit { id, exit });
                return;
            }
        };
        let pid = child.id().unwrap_or(0);
        let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
        let out = lock(&self.shared.scripts).started(id, pid, kill_tx);
        self.shared.emit(out);
        let events = self.events_tx.clone();
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                Ok(()) = &mut kill_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let exit = match status {
                Ok(st) => {
                    ScriptExit { code: st.code().unwrap_or(0), signal: st.signal().unwrap_or(0) }
                }
                Err(_) => ScriptExit { code: 0, signal: 9 },
            };
            let _ = events.send(LoopEvent::ScriptExit { id, exit });
        });
    }
}
