//! The notification / client-reconfig script queue (`sentinelScheduleScriptExecution`,
//! `sentinelRunPendingScripts`, `sentinelCollectTerminatedScripts`,
//! `sentinelKillTimedoutScripts`, `sentinelPendingScriptsCommand` of Redis 7.0).
//!
//! This file is the bookkeeping only; the event loop spawns the children and reports
//! their exit. The rules, as in Redis:
//! * at most [`MAX_QUEUE`] jobs (running included); scheduling one more drops the oldest
//!   job that is not running;
//! * at most [`MAX_RUNNING`] run at once, oldest first; a job waiting for a retry is
//!   skipped until its time;
//! * a job killed by a signal or exiting with 1 is retried after
//!   `script-retry-delay × 2^(attempt-1)`, up to [`MAX_RETRY`] attempts; any other
//!   non-zero end is a `-script-error <path> <signal> <code>` event (a script that cannot
//!   be executed ends with code 2, as Redis's forked child does when `execve` fails);
//! * a job running longer than `script-max-runtime` is killed (`-script-timeout <path>
//!   <pid>`), then handled as killed by a signal.

use std::collections::VecDeque;

use rhea_resp::Reply;
use tokio::sync::oneshot;

use crate::io::{Action, LogLevel};

/// `SENTINEL_SCRIPT_MAX_QUEUE`.
pub const MAX_QUEUE: usize = 256;
/// `SENTINEL_SCRIPT_MAX_RUNNING`.
pub const MAX_RUNNING: usize = 16;
/// `SENTINEL_SCRIPT_MAX_RETRY`.
pub const MAX_RETRY: u32 = 10;

/// `sentinelScriptJob`.
struct Job {
    id: u64,
    /// The script path, then its arguments.
    argv: Vec<String>,
    running: bool,
    /// Attempts started so far.
    retry_num: u32,
    /// Running: when it started. Waiting: not before this time (0 = at once).
    start_time: i64,
    pid: u32,
    /// Running: fires the kill of the child.
    kill: Option<oneshot::Sender<()>>,
}

/// How a child ended: the exit code (0 when killed) and the signal (0 when it exited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptExit {
    pub code: i32,
    pub signal: i32,
}

#[derive(Default)]
pub struct ScriptQueue {
    jobs: VecDeque<Job>,
    running: usize,
    next_id: u64,
}

fn event(level: LogLevel, kind: &str, message: String) -> Action {
    Action::Event { level, kind: kind.to_string(), message }
}

impl ScriptQueue {
    /// `sentinelScheduleScriptExecution`.
    pub fn schedule(&mut self, path: String, args: Vec<String>) {
        self.next_id += 1;
        let mut argv = vec![path];
        argv.extend(args);
        self.jobs.push_back(Job {
            id: self.next_id,
            argv,
            running: false,
            retry_num: 0,
            start_time: 0,
            pid: 0,
            kill: None,
        });
        if self.jobs.len() > MAX_QUEUE
            && let Some(i) = self.jobs.iter().position(|j| !j.running)
        {
            self.jobs.remove(i);
        }
    }

    /// `sentinelRunPendingScripts`, first half: the jobs to start now, oldest first,
    /// marked running. The caller reports each as [`Self::started`] or [`Self::exited`].
    pub fn due(&mut self, now: i64) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        for j in self.jobs.iter_mut() {
            if self.running >= MAX_RUNNING {
                break;
            }
            if j.running || (j.start_time != 0 && j.start_time > now) {
                continue;
            }
            j.running = true;
            j.start_time = now;
            j.retry_num += 1;
            self.running += 1;
            out.push((j.id, j.argv.clone()));
        }
        out
    }

    /// The child of job `id` runs as `pid`; `kill` terminates it.
    pub fn started(&mut self, id: u64, pid: u32, kill: oneshot::Sender<()>) -> Vec<Action> {
        if let Some(j) = self.jobs.iter_mut().find(|j| j.id == id) {
            j.pid = pid;
            j.kill = Some(kill);
        }
        vec![event(LogLevel::Debug, "+script-child", pid.to_string())]
    }

    /// `sentinelCollectTerminatedScripts` for one child.
    pub fn exited(&mut self, id: u64, exit: ScriptExit, now: i64, retry_delay: i64) -> Vec<Action> {
        let Some(i) = self.jobs.iter().position(|j| j.id == id) else { return Vec::new() };
        let j = &mut self.jobs[i];
        let mut out = Vec::new();
        if j.pid != 0 {
            let msg = format!("{} {} {}", j.pid, exit.code, exit.signal);
            out.push(event(LogLevel::Debug, "-script-child", msg));
        }
        if (exit.signal != 0 || exit.code == 1) && j.retry_num != MAX_RETRY {
            j.running = false;
            j.pid = 0;
            j.kill = None;
            j.start_time = now + retry_delay_for(retry_delay, j.retry_num);
        } else {
            if exit.signal != 0 || exit.code != 0 {
                let msg = format!("{} {} {}", j.argv[0], exit.signal, exit.code);
                out.push(event(LogLevel::Warning, "-script-error", msg));
            }
            self.jobs.remove(i);
        }
        self.running = self.running.saturating_sub(1);
        out
    }

    /// `sentinelKillTimedoutScripts`: kill every job running longer than `max_runtime`.
    /// (Redis repeats the SIGKILL and the event at every timer run until the child is
    /// reaped; here the kill is sent once, so the event is too.)
    pub fn kill_timed_out(&mut self, now: i64, max_runtime: i64) -> Vec<Action> {
        let mut out = Vec::new();
        for j in self.jobs.iter_mut() {
            if j.running
                && now - j.start_time > max_runtime
                && let Some(kill) = j.kill.take()
            {
                let _ = kill.send(());
                let msg = format!("{} {}", j.argv[0], j.pid);
                out.push(event(LogLevel::Warning, "-script-timeout", msg));
            }
        }
        out
    }

    /// (running, queued including running), for INFO.
    pub fn counts(&self) -> (usize, usize) {
        (self.running, self.jobs.len())
    }

    /// `SENTINEL PENDING-SCRIPTS`.
    pub fn pending_reply(&self, now: i64) -> Reply {
        let b = Reply::bulk_str;
        Reply::Array(
            self.jobs
                .iter()
                .map(|j| {
                    let mut m = vec![
                        (b("argv"), Reply::Array(j.argv.iter().map(|a| b(a)).collect())),
                        (b("flags"), b(if j.running { "running" } else { "scheduled" })),
                        (b("pid"), b(&j.pid.to_string())),
                    ];
                    if j.running {
                        m.push((b("run-time"), b(&(now - j.start_time).to_string())));
                    } else {
                        let delay = if j.start_time != 0 { (j.start_time - now).max(0) } else { 0 };
                        m.push((b("retry-in"), b(&delay.to_string())));
                    }
                    Reply::Map(m)
                })
                .collect(),
        )
    }
}

/// `sentinelScriptRetryDelay`: the delay doubles at every further attempt.
fn retry_delay_for(base: i64, retry_num: u32) -> i64 {
    let mut d = base;
    for _ in 1..retry_num {
        d = d.saturating_mul(2);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(a: &[Action]) -> Vec<String> {
        a.iter()
            .map(|a| match a {
                Action::Event { kind, message, .. } => format!("{kind} {message}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn at_most_16_run_and_queue_drops_oldest_waiting() {
        let mut q = ScriptQueue::default();
        for i in 0..300 {
            q.schedule("/s".into(), vec![i.to_string()]);
        }
        assert_eq!(q.counts(), (0, MAX_QUEUE));
        // The oldest were dropped: the first job left is #44.
        let due = q.due(10);
        assert_eq!(due.len(), MAX_RUNNING);
        assert_eq!(due[0].1, vec!["/s".to_string(), "44".into()]);
        assert!(q.due(11).is_empty());
        // A further schedule drops the oldest *waiting* job, not a running one.
        q.schedule("/s".into(), vec!["new".into()]);
        assert_eq!(q.counts(), (MAX_RUNNING, MAX_QUEUE));
        assert_eq!(q.jobs[0].argv[1], "44");
        assert_eq!(q.jobs[MAX_RUNNING].argv[1], "61");
    }

    #[test]
    fn exit_1_retries_with_doubling_delay_then_reports() {
        let mut q = ScriptQueue::default();
        q.schedule("/s".into(), vec!["+sdown".into()]);
        let mut now = 1000;
        let mut delays = Vec::new();
        for attempt in 1..=MAX_RETRY {
            let due = q.due(now);
            assert_eq!(due.len(), 1, "attempt {attempt}");
            let (tx, _rx) = oneshot::channel();
            q.started(due[0].0, 42, tx);
            let ev = q.exited(due[0].0, ScriptExit { code: 1, signal: 0 }, now, 100);
            if attempt < MAX_RETRY {
                assert_eq!(kinds(&ev), vec!["-script-child 42 1 0"]);
                let at = q.jobs[0].start_time;
                delays.push(at - now);
                assert!(q.due(at - 1).is_empty());
                now = at;
            } else {
                assert_eq!(kinds(&ev), vec!["-script-child 42 1 0", "-script-error /s 0 1"]);
            }
        }
        assert_eq!(delays[..4], [100, 200, 400, 800]);
        assert_eq!(q.counts(), (0, 0));
    }

    #[test]
    fn other_codes_are_final_and_timeouts_kill_once() {
        let mut q = ScriptQueue::default();
        q.schedule("/ok".into(), vec![]);
        q.schedule("/bad".into(), vec![]);
        let due = q.due(0);
        let ev = q.exited(due[0].0, ScriptExit { code: 0, signal: 0 }, 5, 100);
        assert!(ev.is_empty(), "no pid, success: nothing to say");
        let (tx, mut rx) = oneshot::channel();
        q.started(due[1].0, 7, tx);
        assert!(q.kill_timed_out(50, 100).is_empty());
        assert_eq!(kinds(&q.kill_timed_out(101, 100)), vec!["-script-timeout /bad 7"]);
        assert!(q.kill_timed_out(102, 100).is_empty());
        assert!(rx.try_recv().is_ok());
        let ev = q.exited(due[1].0, ScriptExit { code: 2, signal: 0 }, 103, 100);
        assert_eq!(kinds(&ev), vec!["-script-child 7 2 0", "-script-error /bad 0 2"]);
    }
}
