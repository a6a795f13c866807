//! `processCommand` and `call`: the fixed sequence of checks before a command runs, and
//! the bookkeeping around running it.
//!
//! Check order mirrors Redis 7.0 (wire-spec §1.4): exists → arity → protected →
//! auth → MULTI rules → ACL (NOPERM) → OOM (eviction first) → MISCONF → [NOREPLICAS → READONLY, with
//! later issues] → RESP2 pub/sub context → [MASTERDOWN → LOADING] → queue in MULTI →
//! call.

use std::time::Instant;

use bytes::Bytes;
use rhea_resp::Reply;
use rhea_resp::split::repr;

use super::client::{Client, ReplyMode};
use super::ctx::Ctx;
use super::evict::{self, Evict};
use super::settings::ProtectedAction;
use super::stats::SlowEntry;
use super::table::{Command, Lookup, flags};
use super::{Server, unix_ms};
use crate::acl::check::Denied;
use crate::acl::log::Context;

/// The refusal while the last RDB save failed (`stop-writes-on-bgsave-error`).
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently \
    unable to persist to disk. Commands that may modify the data set are disabled, because this \
    instance is configured to report errors during writes if RDB snapshotting fails \
    (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB \
    error.";

/// Run one command from `c`'s queue, writing its reply into `c`'s output buffer.
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";

/// Refusals of the replication checks (wire-spec §1.5).
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
pub const READONLY: &str = "READONLY You can't write against a read only replica.";
pub const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// Does the client's MULTI queue hold a command matching `f`?
fn queued_has(c: &Client, f: impl Fn(&Command) -> bool) -> bool {
    c.multi.as_ref().is_some_and(|m| m.queued.iter().any(|(q, _)| f(q)))
}

/// `is_denyloading_command`: no `loading` flag, or an EXEC whose queue holds one.
fn denied_while_loading(cmd: &Command, c: &Client) -> bool {
    if !cmd.has(flags::LOADING) {
        return true;
    }
    cmd.name == "exec"
        && c.multi.as_ref().is_some_and(|m| m.queued.iter().any(|(q, _)| !q.has(flags::LOADING)))
}

pub fn process_command(srv: &mut Server, c: &mut Client, argv: Vec<Bytes>) {
    // The time the poll returned, as Redis stamps `lastinteraction` with its cached
    // clock: one clock read per command fewer.
    c.last_interaction = srv.polled_at;
    srv.cmd_time_ms = unix_ms();
    let mode_before = c.reply_mode;
    let reply = check_and_run(srv, c, &argv);
    if let Some(r) = reply {
        c.reply_then_echo(&r);
    }
    // CLIENT REPLY SKIP suppresses exactly the reply of the command that follows it.
    if mode_before == ReplyMode::Skip {
        c.reply_mode = ReplyMode::On;
    }
    if c.reply_mode == ReplyMode::SkipNext {
        c.reply_mode = ReplyMode::Skip;
    }
}

/// Returns the reply to send, or `None` when the command already wrote its own output.
fn check_and_run(srv: &mut Server, c: &mut Client, argv: &[Bytes]) -> Option<Reply> {
    // QUIT is answered before lookup in 7.0 (it only became a table command in 7.2).
    if argv[0].eq_ignore_ascii_case(b"quit") {
        c.close_after_reply = true;
        return Some(Reply::ok());
    }
    let cmd = match srv.table.lookup(argv) {
        Lookup::Found(cmd) => cmd,
        Lookup::Unknown => {
            let text = format!(
                "ERR unknown command '{}', with args beginning with: {}",
                trunc(&argv[0], 128),
                args_preview(&argv[1..])
            );
            return Some(reject(srv, c, None, text));
        }
        Lookup::UnknownSub(_) => {
            // The name as typed, which differs from the command's own after rename-command.
            let text = format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                trunc(&argv[1], 128),
                String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
            );
            return Some(reject(srv, c, None, text));
        }
    };
    if !cmd.arity_ok(argv.len()) {
        let text = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        return Some(reject(srv, c, Some(cmd), text));
    }
    if cmd.has(flags::PROTECTED) && !protected_allowed(srv.settings.enable_debug_command, c) {
        let text = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
                    \"local\", you can run it from a local connection, otherwise you need to set \
                    this option in the configuration file, and then restart the server."
            .to_string();
        return Some(reject(srv, c, Some(cmd), text));
    }
    if !c.authenticated() && srv.acl.default_requires_auth() && !cmd.has(flags::NO_AUTH) {
        return Some(reject(srv, c, Some(cmd), "NOAUTH Authentication required.".into()));
    }
    if c.multi.is_some() && cmd.has(flags::NO_MULTI) {
        let text = "ERR Command not allowed inside a transaction".to_string();
        return Some(reject(srv, c, Some(cmd), text));
    }
    let context = if c.multi.is_some() { Context::Multi } else { Context::Toplevel };
    if let Err(refusal) = crate::cmd::acl::check_client(srv, c, cmd, argv, context) {
        let text = match refusal.0 {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{}' command", cmd.name)
            }
            Denied::Key => "NOPERM this user has no permissions to access one of the keys used \
                            as arguments"
                .to_string(),
            Denied::Channel => "NOPERM this user has no permissions to access one of the \
                                channels used as arguments"
                .to_string(),
            Denied::Auth => "NOPERM no permission".to_string(),
        };
        return Some(reject(srv, c, Some(cmd), text));
    }
    if srv.settings.maxmemory > 0 && refused_for_memory(srv, c, cmd) {
        srv.flush_propagation_each();
        return Some(reject(srv, c, Some(cmd), evict::OOM.to_string()));
    }
    // Keys evicted to make room go out before the command that needed the room.
    srv.flush_propagation_each();
    if (cmd.is_write() || cmd.name == "ping") && !c.is_master && srv.writes_denied_by_disk_error() {
        return Some(reject(srv, c, Some(cmd), MISCONF.to_string()));
    }
    let writes = cmd.is_write() || cmd.name == "exec" && queued_has(c, |q| q.is_write());
    if writes && !c.is_master && srv.lacks_good_replicas() {
        return Some(reject(srv, c, Some(cmd), NOREPLICAS.to_string()));
    }
    if writes && !c.is_master && srv.is_replica && srv.loaded.config.replica_read_only {
        return Some(reject(srv, c, Some(cmd), READONLY.to_string()));
    }
    if c.proto == rhea_resp::Protocol::Resp2 && c.in_pubsub() && !allowed_in_pubsub(cmd) {
        let text = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
             are allowed in this context",
            cmd.name
        );
        return Some(reject(srv, c, Some(cmd), text));
    }
    if !c.is_master
        && !srv.loaded.config.replica_serve_stale_data
        && srv.repl.master.as_ref().is_some_and(|m| m.client.is_none())
        && (!cmd.has(flags::STALE) || cmd.name == "exec" && queued_has(c, |q| !q.has(flags::STALE)))
    {
        return Some(reject(srv, c, Some(cmd), MASTERDOWN.to_string()));
    }
    if srv.loading.is_some() && denied_while_loading(cmd, c) {
        return Some(reject(srv, c, Some(cmd), LOADING.to_string()));
    }
    if let Some(m) = c.multi.as_mut()
        && !matches!(cmd.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
    {
        if !m.aborted && !c.dirty_cas {
            m.queued.push((cmd, argv.to_vec()));
        }
        return Some(Reply::Simple("QUEUED".into()));
    }
    let reply = call(srv, c, cmd, argv);
    Some(reply)
}

/// The maxmemory step of `processCommand`: evict what the policy allows, then refuse a
/// command that may grow memory if memory is still over the limit with nothing left to
/// evict. A command "may grow memory" if it is flagged `denyoom`, if it is an EXEC whose
/// queue holds such a command, or if it would be queued in MULTI (a queue can grow
/// without bound); EXEC, DISCARD and RESET are never refused for being in MULTI.
fn refused_for_memory(srv: &mut Server, c: &mut Client, cmd: &'static Command) -> bool {
    let out_of_memory = evict::perform_evictions(srv, Some(c)) == Evict::Fail;
    if !out_of_memory {
        return false;
    }
    let queued_denyoom = |c: &Client| {
        c.multi.as_ref().is_some_and(|m| m.queued.iter().any(|(q, _)| q.has(flags::DENYOOM)))
    };
    cmd.has(flags::DENYOOM)
        || cmd.name == "exec" && queued_denyoom(c)
        || c.multi.is_some() && !matches!(cmd.name, "exec" | "discard" | "reset")
}

/// `call()`: run the handler and account for it (stats, slowlog, MONITOR).
pub fn call(srv: &mut Server, c: &mut Client, cmd: &'static Command, argv: &[Bytes]) -> Reply {
    let start = Instant::now();
    let dirty_before = srv.dirty_ops;
    let reply = run_handler(srv, c, cmd, argv);
    let usec = start.elapsed().as_micros() as u64;
    srv.note_propagation(c, cmd, argv, &reply, dirty_before, false);
    if !srv.executing_multi {
        let before = srv.repl.offset();
        srv.flush_propagation();
        c.woff = srv.repl.offset();
        if c.woff > before {
            c.wrote_at = c.woff;
        }
    }
    c.last_cmd = cmd.name;
    srv.stats.total_commands_processed += 1;
    let st = srv.stats.commands.entry(cmd.name).or_default();
    st.calls += 1;
    st.usec += usec;
    if let Reply::Error(text) = &reply {
        st.failed_calls += 1;
        srv.stats.count_error(text);
    }
    let threshold = srv.settings.slowlog_log_slower_than;
    if threshold >= 0 && usec >= threshold as u64 && !cmd.has(flags::SKIP_SLOWLOG) {
        let entry = SlowEntry {
            id: 0,
            time: unix_ms() / 1000,
            duration_us: usec,
            args: Vec::new(),
            client_addr: c.addr.clone(),
            client_name: c.name.clone().unwrap_or_default(),
        };
        let max = srv.settings.slowlog_max_len;
        srv.slowlog.push(entry, argv, max);
    }
    if !srv.monitors.is_empty() && !cmd.has(flags::SKIP_MONITOR) && !cmd.has(flags::ADMIN) {
        feed_monitors(srv, c, argv);
    }
    srv.collect_expired(Some(c));
    reply
}

/// Run a command's handler with no accounting: the retry of a blocked command, which
/// Redis counts (commandstats, MONITOR) once, when it was first called.
pub fn run_handler(
    srv: &mut Server,
    c: &mut Client,
    cmd: &'static Command,
    argv: &[Bytes],
) -> Reply {
    let reply = {
        let mut ctx = Ctx { srv, client: c, cmd };
        (cmd.handler)(&mut ctx, argv)
    };
    srv.collect_expired(Some(c));
    reply
}

/// Reject a command before it runs: count it, poison an open MULTI, return the error.
/// A rejected EXEC also ends the transaction, and says so (`execCommandAbort`), even
/// outside MULTI; a plain `ERR` reason loses its code there, as Redis formats it.
fn reject(srv: &mut Server, c: &mut Client, cmd: Option<&'static Command>, text: String) -> Reply {
    if let Some(m) = c.multi.as_mut() {
        m.aborted = true;
    }
    let mut text = text;
    if let Some(cmd) = cmd {
        srv.stats.commands.entry(cmd.name).or_default().rejected_calls += 1;
        if cmd.name == "exec" {
            c.multi = None;
            srv.unwatch_all(c);
            let reason = text.strip_prefix("ERR ").unwrap_or(&text);
            text = format!("EXECABORT Transaction discarded because of: {reason}");
        }
    }
    srv.stats.count_error(&text);
    Reply::Error(text)
}

/// `allowProtectedAction`: `yes`, or `local` from a loopback/Unix connection.
fn protected_allowed(p: ProtectedAction, c: &Client) -> bool {
    match p {
        ProtectedAction::Yes => true,
        ProtectedAction::Local => c.is_local,
        ProtectedAction::No => false,
    }
}

fn allowed_in_pubsub(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// The `'a' 'b' ` list of an unknown-command error, stopping once it reaches 128 chars.
fn args_preview(args: &[Bytes]) -> String {
    let mut out = String::new();
    for a in args {
        if out.len() >= 128 {
            break;
        }
        let room = 128 - out.len();
        out.push('\'');
        out.push_str(&trunc(a, room));
        out.push_str("' ");
    }
    out
}

fn trunc(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// `replicationFeedMonitors`: `+<sec>.<usec> [<db> <addr>] "arg" …`.
fn feed_monitors(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let origin = if c.is_unix { format!("unix:{}", c.laddr) } else { c.addr.clone() };
    let mut line = format!("+{}.{:06} [{} {}]", now.as_secs(), now.subsec_micros(), c.db, origin);
    for a in argv {
        line.push(' ');
        line.push_str(&repr(a));
    }
    line.push_str("\r\n");
    let raw = Reply::Raw(Bytes::from(line));
    // A monitor sees its own commands too; it is outside the client map while running.
    for id in srv.monitors.clone() {
        if id == c.id {
            c.monitor_echo = Some(raw.clone());
        } else {
            srv.push_to(id, &raw);
        }
    }
}
