//! Server administration: INFO (in [`super::info`]), COMMAND (in [`super::command`]),
//! TIME, MONITOR, SLOWLOG, LATENCY, SHUTDOWN, LASTSAVE and ROLE, plus the HELP and
//! subcommand-error helpers the admin families share.
//!
//! ## Caveats
//! * There is no latency monitor: LATENCY LATEST/HISTORY are empty, GRAPH has no
//!   samples, DOCTOR says so. LATENCY HISTOGRAM puts all calls of a command in the
//!   power-of-two bucket of its mean latency, since no per-call histogram is kept.
//! * LASTSAVE reports the start time until persistence exists; SHUTDOWN only asks the
//!   engine to stop (saving is the persistence layer's job), so it never fails.
//! * This is always a master without replicas: ROLE and the replication id reflect that.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, is};
use crate::engine::Shutdown;
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "info",
        -1,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "dangerous"],
        super::info::info,
    ),
    super::command::COMMAND,
    Command::new("time", 1, LOADING | STALE | FAST, (0, 0, 0), &["fast"], time),
    Command::new(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        monitor,
    ),
    Command::container("slowlog", -2, &["slow"], SLOWLOG),
    Command::container("latency", -2, &["slow"], LATENCY),
    Command::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        shutdown,
    ),
    Command::new(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        &["admin", "fast", "dangerous"],
        lastsave,
    ),
];

const SLOWLOG: &[Command] = &[
    Command::new(
        "slowlog|reset",
        2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        slowlog_reset,
    ),
    Command::new("slowlog|help", 2, LOADING | STALE, (0, 0, 0), &["slow"], slowlog_help),
    Command::new(
        "slowlog|get",
        -2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        slowlog_get,
    ),
    Command::new(
        "slowlog|len",
        2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        slowlog_len,
    ),
];

const LATENCY_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const LATENCY_ACL: &[&str] = &["admin", "slow", "dangerous"];

const LATENCY: &[Command] = &[
    Command::new("latency|help", 2, LOADING | STALE, (0, 0, 0), &["slow"], latency_help),
    Command::new("latency|histogram", -2, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_histogram),
    Command::new("latency|graph", 3, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_graph),
    Command::new("latency|history", 3, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_empty),
    Command::new("latency|reset", -2, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_reset),
    Command::new("latency|latest", 2, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_empty),
    Command::new("latency|doctor", 2, LATENCY_FLAGS, (0, 0, 0), LATENCY_ACL, latency_doctor),
];

// ===== shared helpers =====

/// A HELP reply: one status line each, as `addReplyHelp` sends them.
pub fn help(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::simple(l.to_string())).collect())
}

/// `addReplySubcommandSyntaxError`: a known subcommand with the wrong arguments, or an
/// unknown one of a command that parses its own subcommands (DEBUG).
pub fn subcommand_syntax_error(args: &[Bytes]) -> Reply {
    let sub = &args[1][..args[1].len().min(128)];
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
    ))
}

// ===== simple commands =====

fn time(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Reply::Array(vec![
        Reply::bulk_str(&now.as_secs().to_string()),
        Reply::bulk_str(&now.subsec_micros().to_string()),
    ])
}

fn lastsave(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.persist.lastsave)
}

/// MONITOR: from now on the engine copies every command executed to this client.
fn monitor(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    // Inside EXEC the client expects one reply per command, so it cannot stream.
    if ctx.in_multi() {
        return Reply::err("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    // Already a monitor (or a replica): Redis ignores the command and sends nothing.
    if ctx.client.is_monitor || ctx.client.is_replica {
        return Reply::Raw(Bytes::new());
    }
    ctx.client.is_monitor = true;
    let id = ctx.client.id;
    ctx.srv.monitors.push(id);
    Reply::ok()
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success there is no reply: the
/// engine stops after this command and the process exits, closing the connection.
fn shutdown(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let (mut nosave, mut save, mut other, mut abort) = (false, false, false, false);
    for a in &args[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") || is(a, "force") {
            other = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return Reply::err(SYNTAX_ERR);
        }
    }
    if abort && (nosave || save || other) || nosave && save {
        return Reply::err(SYNTAX_ERR);
    }
    if abort {
        // Shutdown never waits for replicas here, so there is never one to abort.
        return Reply::err("ERR No shutdown in progress.");
    }
    // A half-loaded dataset must never replace the dump (Redis forces NOSAVE).
    let save = if nosave || ctx.srv.loading.is_some() {
        Some(false)
    } else if save {
        Some(true)
    } else {
        None
    };
    if !ctx.srv.prepare_shutdown(save) {
        crate::warning!(
            "Errors trying to shut down the server. Check the logs for more information."
        );
        return Reply::err("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    ctx.srv.shutdown = Some(Shutdown::Requested { save });
    // Redis exits inside the command, so nothing this client pipelined after SHUTDOWN
    // runs: closing the connection now stops the engine from draining its queue.
    ctx.client.close_after_reply = true;
    Reply::Raw(Bytes::new())
}

// ===== SLOWLOG =====

fn slowlog_get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax_error(args);
    }
    let log = &ctx.srv.slowlog.entries;
    let count = match args.get(2) {
        None => 10,
        Some(a) => match rhea_resp::number::parse_i64(a) {
            Some(-1) => log.len(),
            Some(n) if n >= 0 => n as usize,
            _ => return Reply::err("ERR count should be greater than or equal to -1"),
        },
    };
    let entries = log.iter().take(count).map(|e| {
        Reply::Array(vec![
            Reply::Int(e.id as i64),
            Reply::Int(e.time),
            Reply::Int(e.duration_us as i64),
            Reply::Array(e.args.iter().map(|a| Reply::Bulk(a.clone())).collect()),
            Reply::bulk_str(&e.client_addr),
            Reply::Bulk(e.client_name.clone()),
        ])
    });
    Reply::Array(entries.collect())
}

fn slowlog_len(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.slowlog.entries.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    ctx.srv.slowlog.entries.clear();
    Reply::ok()
}

fn slowlog_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help(&[
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ])
}

// ===== LATENCY =====

fn latency_empty(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Array(vec![])
}

fn latency_reset(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(0)
}

fn latency_graph(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    Reply::err(format!(
        "ERR No samples available for event '{}'",
        String::from_utf8_lossy(&args[2])
    ))
}

fn latency_doctor(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let text = if ctx.srv.settings.latency_monitor_threshold == 0 {
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
         instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
         order to enable it. If we weren't in a deep space mission I'd suggest to take a look \
         at https://redis.io/topics/latency-monitor.\n"
    } else {
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not \
         in the slightest bit. I honestly think you ought to sit down calmly, take a stress \
         pill, and think things over.\n"
    };
    Reply::Verbatim("txt", Bytes::from_static(text.as_bytes()))
}

/// LATENCY HISTOGRAM [command ...]: per command, its calls and a cumulative histogram
/// keyed by power-of-two microsecond buckets (see the module caveat).
fn latency_histogram(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let table = &ctx.srv.table;
    let cmds: Vec<&'static Command> = if args.len() == 2 {
        table.all.iter().flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter())).collect()
    } else {
        args[2..].iter().filter_map(|n| super::command::find(table, n)).collect()
    };
    let mut out = Vec::new();
    for c in cmds {
        let Some(st) = ctx.srv.stats.commands.get(c.name).filter(|s| s.calls > 0) else { continue };
        let mean = (st.usec / st.calls).max(1);
        let bucket = mean.next_power_of_two() as i64;
        let hist = Reply::Map(vec![(Reply::Int(bucket), Reply::Int(st.calls as i64))]);
        out.push((
            Reply::bulk_str(c.name),
            Reply::Map(vec![
                (Reply::bulk_str("calls"), Reply::Int(st.calls as i64)),
                (Reply::bulk_str("histogram_usec"), hist),
            ]),
        ));
    }
    Reply::Map(out)
}

fn latency_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help(&[
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ])
}
