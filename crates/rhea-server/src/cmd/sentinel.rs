//! SENTINEL, the one command only a Sentinel has; it hands its arguments to the
//! Sentinel the engine serves ([`crate::engine::sentinel::SentinelHooks`]).

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[Command::new(
    "sentinel",
    -2,
    ADMIN | SENTINEL | ONLY_SENTINEL,
    (0, 0, 0),
    &["admin", "slow", "dangerous"],
    sentinel,
)];

fn sentinel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match &ctx.srv.sentinel {
        Some(s) => s.command(&args[1..]),
        // Only a Sentinel's table has this command, and a Sentinel always has hooks.
        None => Reply::err("ERR This instance is not a Sentinel"),
    }
}
