//! Persistence commands: SAVE and BGSAVE (LASTSAVE lives with the other server
//! commands).

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_MULTI,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        save,
    ),
    Command::new(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        bgsave,
    ),
];

/// SAVE: a blocking snapshot; on failure Redis replies a bare `-ERR`.
fn save(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    if ctx.srv.persist.bgsave.is_some() {
        return Reply::err("ERR Background save already in progress");
    }
    match ctx.srv.save() {
        Ok(()) => Reply::ok(),
        Err(_) => Reply::err("ERR"),
    }
}

/// BGSAVE [SCHEDULE]. As in 7.0, a save already running answers an error even with
/// SCHEDULE (scheduling waits for other kinds of child, which Rhea has none of); inside
/// EXEC the save is scheduled for the next cron run.
fn bgsave(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 2 || (args.len() == 2 && !args[1].eq_ignore_ascii_case(b"schedule")) {
        return Reply::err("ERR syntax error");
    }
    if ctx.srv.persist.bgsave.is_some() {
        return Reply::err("ERR Background save already in progress");
    }
    if ctx.in_multi() {
        ctx.srv.persist.bgsave_scheduled = true;
        return Reply::simple("Background saving scheduled");
    }
    match ctx.srv.start_bgsave() {
        Ok(()) => Reply::simple("Background saving started"),
        Err(_) => Reply::err("ERR"),
    }
}
