//! CLIENT and its subcommands (`networking.c` `clientCommand`): connection identity
//! (ID, SETNAME, GETNAME, INFO, LIST), control of other connections (KILL, PAUSE,
//! UNPAUSE, UNBLOCK), reply suppression (REPLY) and the client-side caching queries.
//!
//! ## Caveats
//! * Client-side caching is not implemented: `CLIENT TRACKING ON` is refused with an
//!   error rather than accepted and silently never invalidating; OFF, TRACKINGINFO,
//!   GETREDIR and CACHING answer as Redis does for a client with tracking off.
//! * NO-EVICT is accepted but has no effect (there is no client eviction), and the `e`
//!   flag does not show in CLIENT LIST.
//! * 7.0 has no `MAXAGE` filter for KILL (it came in 7.4): it is a syntax error, as in 7.0.

use std::time::Instant;

use bytes::Bytes;
use rhea_resp::Reply;

use super::admin::{help, subcommand_syntax_error};
use super::args::{SYNTAX_ERR, is};
use super::connection::{BAD_CLIENT_NAME, valid_client_name};
use crate::engine::client::{Client, ClientId, ReplyMode};
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};
use crate::engine::{Pause, unix_ms};
use crate::tri;

const ACL: &[&str] = &["slow", "connection"];
const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous", "connection"];
const PLAIN: u32 = NOSCRIPT | LOADING | STALE | SENTINEL;
const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL;

const SUBCOMMANDS: &[Command] = &[
    Command::new("client|help", 2, LOADING | STALE | SENTINEL, (0, 0, 0), ACL, client_help),
    Command::new("client|info", 2, PLAIN, (0, 0, 0), ACL, client_info),
    Command::new("client|no-evict", 3, ADM, (0, 0, 0), ADMIN_ACL, client_no_evict),
    Command::new("client|kill", -3, ADM, (0, 0, 0), ADMIN_ACL, client_kill),
    Command::new("client|list", -2, ADM, (0, 0, 0), ADMIN_ACL, client_list),
    Command::new("client|id", 2, PLAIN, (0, 0, 0), ACL, client_id),
    Command::new("client|setname", 3, PLAIN, (0, 0, 0), ACL, client_setname),
    Command::new("client|pause", -3, ADM, (0, 0, 0), ADMIN_ACL, client_pause),
    Command::new("client|getredir", 2, PLAIN, (0, 0, 0), ACL, client_getredir),
    Command::new("client|getname", 2, PLAIN, (0, 0, 0), ACL, client_getname),
    Command::new("client|unblock", -3, ADM, (0, 0, 0), ADMIN_ACL, client_unblock),
    Command::new("client|tracking", -3, PLAIN, (0, 0, 0), ACL, client_tracking),
    Command::new("client|reply", 3, PLAIN, (0, 0, 0), ACL, client_reply),
    Command::new("client|trackinginfo", 2, PLAIN, (0, 0, 0), ACL, client_trackinginfo),
    Command::new("client|unpause", 2, ADM, (0, 0, 0), ADMIN_ACL, client_unpause),
    Command::new("client|caching", 3, PLAIN, (0, 0, 0), ACL, client_caching),
];

/// A Sentinel serves CLIENT too (every subcommand is flagged `sentinel` in 7.0).
pub const COMMANDS: &[Command] =
    &[Command::container("client", -2, &["slow"], SUBCOMMANDS).with_flags(SENTINEL)];

/// `getClientTypeByName`: the type names KILL and LIST accept, as `Client::kind` names.
fn client_type(name: &[u8]) -> Option<&'static str> {
    match String::from_utf8_lossy(name).to_ascii_lowercase().as_str() {
        "normal" => Some("normal"),
        "slave" | "replica" => Some("replica"),
        "pubsub" => Some("pubsub"),
        "master" => Some("master"),
        _ => None,
    }
}

fn unknown_type(name: &[u8]) -> Reply {
    Reply::err(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(name)))
}

/// The running client's line shows the command being run, as Redis sets `lastcmd`
/// before calling it (the engine only records it afterwards).
fn mark_current(ctx: &mut Ctx<'_>) {
    ctx.client.last_cmd = ctx.cmd.name;
}

fn lines<'a>(clients: impl Iterator<Item = &'a Client>) -> Reply {
    let now = Instant::now();
    let mut text = String::new();
    for c in clients {
        text.push_str(&c.info_line(now));
        text.push('\n');
    }
    Reply::Verbatim("txt", Bytes::from(text))
}

fn client_id(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.client.id as i64)
}

fn client_info(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    mark_current(ctx);
    lines(std::iter::once(&*ctx.client))
}

/// CLIENT LIST [TYPE type] | [ID id ...]. With IDs, clients come in the order asked
/// (repeats included); otherwise in connection order.
fn client_list(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    mark_current(ctx);
    if args.len() == 4 && is(&args[2], "type") {
        let Some(kind) = client_type(&args[3]) else { return unknown_type(&args[3]) };
        return lines(ctx.all_clients().into_iter().filter(|c| c.kind() == kind));
    }
    if args.len() > 3 && is(&args[2], "id") {
        let mut ids = Vec::new();
        for a in &args[3..] {
            match rhea_resp::number::parse_i64(a) {
                Some(id) => ids.push(id),
                None => return Reply::err("ERR Invalid client ID"),
            }
        }
        let all = ctx.all_clients();
        return lines(ids.iter().filter_map(|&id| all.iter().find(|c| c.id as i64 == id).copied()));
    }
    if args.len() != 2 {
        return Reply::err(SYNTAX_ERR);
    }
    lines(ctx.all_clients().into_iter())
}

fn client_setname(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let name = &args[2];
    if !valid_client_name(name) {
        return Reply::err(BAD_CLIENT_NAME);
    }
    ctx.client.name = if name.is_empty() { None } else { Some(name.clone()) };
    Reply::ok()
}

fn client_getname(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    match &ctx.client.name {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Null,
    }
}

/// The filters of `CLIENT KILL`; `None` fields match everything.
#[derive(Default)]
struct KillFilter {
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    kind: Option<&'static str>,
    id: Option<ClientId>,
    skipme: bool,
    /// USER: clients running as that user.
    user: Option<Bytes>,
}

impl KillFilter {
    fn matches(&self, c: &Client, me: ClientId) -> bool {
        self.addr.as_ref().is_none_or(|a| a[..] == *c.addr.as_bytes())
            && self.laddr.as_ref().is_none_or(|a| a[..] == *c.laddr.as_bytes())
            && self.kind.is_none_or(|k| c.kind() == k)
            && self.id.is_none_or(|id| c.id == id)
            && !(self.skipme && c.id == me)
            && self.user.as_ref().is_none_or(|u| c.user.as_ref().is_some_and(|cu| cu.name == u[..]))
    }
}

/// CLIENT KILL <addr> (old form: +OK or an error, may kill the caller) or CLIENT KILL
/// <filter> <value> … (new form: the number killed; SKIPME defaults to yes). A caller
/// that kills itself is closed after the reply.
fn client_kill(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let old_form = args.len() == 3;
    let mut f = KillFilter { skipme: !old_form, ..KillFilter::default() };
    if old_form {
        f.addr = Some(args[2].clone());
    } else {
        let mut i = 2;
        while i < args.len() {
            let (opt, val) = (&args[i], args.get(i + 1));
            let Some(val) = val else { return Reply::err(SYNTAX_ERR) };
            if is(opt, "id") {
                match rhea_resp::number::parse_i64(val) {
                    Some(id) if id >= 1 => f.id = Some(id as ClientId),
                    _ => return Reply::err("ERR client-id should be greater than 0"),
                }
            } else if is(opt, "type") {
                match client_type(val) {
                    Some(k) => f.kind = Some(k),
                    None => return unknown_type(val),
                }
            } else if is(opt, "addr") {
                f.addr = Some(val.clone());
            } else if is(opt, "laddr") {
                f.laddr = Some(val.clone());
            } else if is(opt, "user") {
                if !ctx.srv.acl.users.contains_key(&val[..]) {
                    return Reply::err(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(val)
                    ));
                }
                f.user = Some(val.clone());
            } else if is(opt, "skipme") {
                if is(val, "yes") {
                    f.skipme = true;
                } else if is(val, "no") {
                    f.skipme = false;
                } else {
                    return Reply::err(SYNTAX_ERR);
                }
            } else {
                return Reply::err(SYNTAX_ERR);
            }
            i += 2;
        }
    }
    let me = ctx.client.id;
    let victims: Vec<ClientId> =
        ctx.all_clients().into_iter().filter(|c| f.matches(c, me)).map(|c| c.id).collect();
    for &id in &victims {
        ctx.kill(id);
    }
    match (old_form, victims.len()) {
        (true, 0) => Reply::err("ERR No such client"),
        (true, _) => Reply::ok(),
        (false, n) => Reply::Int(n as i64),
    }
}

/// CLIENT PAUSE <ms> [WRITE|ALL]. Overlapping pauses merge: the later end and the
/// stricter mode win.
fn client_pause(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 4 {
        return subcommand_syntax_error(args);
    }
    let mut all = true;
    if let Some(mode) = args.get(3) {
        if is(mode, "write") {
            all = false;
        } else if !is(mode, "all") {
            return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL");
        }
    }
    let ms = match rhea_resp::number::parse_i64(&args[2]) {
        Some(ms) if ms < 0 => return Reply::err("ERR timeout is negative"),
        Some(ms) => ms,
        None => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    let now = unix_ms();
    if ms > i64::MAX - now {
        return Reply::err("ERR timeout is out of range");
    }
    let until = if ms > 0 { now + ms } else { 0 };
    let merged = match ctx.srv.pause {
        Some(p) => Pause { all: p.all || all, until_ms: p.until_ms.max(until) },
        None => Pause { all, until_ms: until },
    };
    ctx.srv.pause = Some(merged);
    Reply::ok()
}

fn client_unpause(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    ctx.srv.end_pause();
    Reply::ok()
}

/// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP are themselves not answered; SKIP is
/// ignored while replies are OFF.
fn client_reply(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mode = &args[2];
    if is(mode, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        return Reply::ok();
    }
    if is(mode, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if is(mode, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Reply::err(SYNTAX_ERR);
    }
    Reply::Raw(Bytes::new())
}

/// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: end a blocking command early, with its timeout
/// reply or an -UNBLOCKED error. Replies 1 if the client was blocked, else 0.
fn client_unblock(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 4 {
        return subcommand_syntax_error(args);
    }
    let mut error = false;
    if let Some(reason) = args.get(3) {
        if is(reason, "error") {
            error = true;
        } else if !is(reason, "timeout") {
            return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
    }
    let id = tri!(super::args::int_arg(&args[2]));
    let blocked_cmd =
        ctx.srv.clients.get(&(id as ClientId)).and_then(|c| c.blocked.as_ref()).map(|b| b.cmd.name);
    let Some(cmd_name) = blocked_cmd else { return Reply::Int(0) };
    let reply = if error {
        let text = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
        // The blocked client receives an error: count it as Redis's addReplyError does.
        ctx.srv.stats.count_error(text);
        ctx.srv.stats.commands.entry(cmd_name).or_default().failed_calls += 1;
        Some(Reply::err(text))
    } else {
        None
    };
    Reply::Int(i64::from(ctx.srv.unblock_with(id as ClientId, reply)))
}

fn client_no_evict(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if is(&args[2], "on") || is(&args[2], "off") { Reply::ok() } else { Reply::err(SYNTAX_ERR) }
}

/// CLIENT TRACKING ON|OFF [options]: options are checked as Redis does, then ON is
/// refused (see the module caveat) and OFF, tracking being always off, succeeds.
fn client_tracking(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if (is(&args[j], "redirect") || is(&args[j], "prefix")) && more {
            j += 2;
        } else if ["bcast", "optin", "optout", "noloop"].iter().any(|o| is(&args[j], o)) {
            j += 1;
        } else {
            return Reply::err(SYNTAX_ERR);
        }
    }
    if is(&args[2], "off") {
        Reply::ok()
    } else if is(&args[2], "on") {
        Reply::err(
            "ERR CLIENT TRACKING ON is not supported: this server has no client-side caching",
        )
    } else {
        Reply::err(SYNTAX_ERR)
    }
}

fn client_trackinginfo(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Map(vec![
        (Reply::bulk_str("flags"), Reply::Set(vec![Reply::bulk_str("off")])),
        (Reply::bulk_str("redirect"), Reply::Int(-1)),
        (Reply::bulk_str("prefixes"), Reply::Array(vec![])),
    ])
}

fn client_getredir(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(-1)
}

fn client_caching(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::err(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
         or OPTOUT mode enabled",
    )
}

fn client_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help(&[
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ])
}
