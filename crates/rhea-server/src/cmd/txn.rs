//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (`multi.c`).

use bytes::Bytes;
use rhea_resp::Reply;

use crate::acl::check::Denied;
use crate::acl::log::Context;
use crate::engine::ctx::Ctx;
use crate::engine::dispatch;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "transaction"],
        multi,
    ),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        &["slow", "transaction"],
        exec,
    ),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "transaction"],
        discard,
    ),
    Command::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        &["fast", "transaction"],
        watch,
    ),
    Command::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "transaction"],
        unwatch,
    ),
];

fn multi(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Default::default());
    Reply::ok()
}

/// Drop the queued transaction and all WATCHes.
pub fn discard_transaction(ctx: &mut Ctx<'_>) {
    ctx.client.multi = None;
    ctx.srv.unwatch_all(ctx.client);
}

fn discard(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    discard_transaction(ctx);
    Reply::ok()
}

/// A watched key that was live when WATCHed but has expired since aborts EXEC
/// (`isWatchedKeyExpired`).
fn watched_key_expired(ctx: &Ctx<'_>) -> bool {
    let now = ctx.srv.cmd_time_ms;
    ctx.client.watched.iter().any(|(db, key)| ctx.srv.dbs[*db].is_expired(key, now))
}

fn exec(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let Some(m) = ctx.client.multi.take() else {
        return Reply::err("ERR EXEC without MULTI");
    };
    if m.aborted {
        ctx.srv.unwatch_all(ctx.client);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    if ctx.client.dirty_cas || watched_key_expired(ctx) {
        ctx.srv.unwatch_all(ctx.client);
        return Reply::NullArray;
    }
    ctx.srv.unwatch_all(ctx.client);
    // Replies are written in place after the array header so that commands producing
    // several replies (SUBSCRIBE) keep their order, as Redis's deferred length does.
    let header = Reply::Raw(Bytes::from(format!("*{}\r\n", m.queued.len())));
    ctx.client.reply(&header);
    ctx.srv.executing_multi = true;
    for (cmd, argv) in &m.queued {
        let r = match acl_recheck(ctx, cmd, argv) {
            Some(refused) => refused,
            None => dispatch::call(ctx.srv, ctx.client, cmd, argv),
        };
        ctx.client.reply_then_echo(&r);
    }
    ctx.srv.executing_multi = false;
    Reply::Raw(Bytes::new())
}

/// EXEC checks each queued command against the user's rules again (they may have
/// changed since it was queued) and answers a refused one with 7.0's error, logged in
/// ACL LOG with the `multi` context; the other commands still run.
fn acl_recheck(ctx: &mut Ctx<'_>, cmd: &'static Command, argv: &[Bytes]) -> Option<Reply> {
    let refusal =
        crate::cmd::acl::check_client(ctx.srv, ctx.client, cmd, argv, Context::Multi).err()?;
    let reason = match refusal.0 {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key => "no permission to touch the specified keys",
        Denied::Channel => "no permission to access one of the channels used as arguments",
        Denied::Auth => "no permission",
    };
    let text = format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {reason}"
    );
    ctx.srv.stats.count_error(&text);
    Some(Reply::Error(text))
}

fn watch(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    for k in &args[1..] {
        // Only keys that are live now can "expire" later and abort EXEC.
        let _ = ctx.peek(k);
        ctx.srv.watch(ctx.client, k.clone());
    }
    Reply::ok()
}

fn unwatch(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    ctx.srv.unwatch_all(ctx.client);
    Reply::ok()
}
