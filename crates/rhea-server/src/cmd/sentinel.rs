//! SENTINEL, the one command only a Sentinel has. As in Redis 7.0 it is a container
//! whose subcommands are in the command table (so arity and unknown-subcommand errors
//! are the generic ones, e.g. `ERR wrong number of arguments for 'sentinel|master'
//! command`); each hands its arguments to the Sentinel the engine serves
//! ([`crate::engine::sentinel::SentinelHooks`]).

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

const FLAGS: u32 = ADMIN | SENTINEL | ONLY_SENTINEL;
const ACL: &[&str] = &["admin", "slow", "dangerous"];

const fn sub(name: &'static str, arity: i32) -> Command {
    Command::new(name, arity, FLAGS, (0, 0, 0), ACL, sentinel)
}

/// Names and arities as `COMMAND INFO sentinel` lists them on redis-sentinel 7.0.15.
const SUBCOMMANDS: &[Command] = &[
    sub("sentinel|ckquorum", 3),
    sub("sentinel|config", -3),
    sub("sentinel|debug", -2),
    sub("sentinel|failover", 3),
    sub("sentinel|flushconfig", 2),
    sub("sentinel|get-master-addr-by-name", 3),
    Command::new(
        "sentinel|help",
        2,
        LOADING | STALE | SENTINEL | ONLY_SENTINEL,
        (0, 0, 0),
        &["slow"],
        sentinel,
    ),
    sub("sentinel|info-cache", -3),
    sub("sentinel|is-master-down-by-addr", 6),
    sub("sentinel|master", 3),
    sub("sentinel|masters", 2),
    sub("sentinel|monitor", 6),
    sub("sentinel|myid", 2),
    sub("sentinel|pending-scripts", 2),
    sub("sentinel|remove", 3),
    sub("sentinel|replicas", 3),
    sub("sentinel|reset", 3),
    sub("sentinel|sentinels", 3),
    sub("sentinel|set", -5),
    sub("sentinel|simulate-failure", -3),
    sub("sentinel|slaves", 3),
];

pub const COMMANDS: &[Command] = &[Command {
    name: "sentinel",
    arity: -2,
    flags: FLAGS,
    keys: (0, 0, 0),
    handler: sentinel,
    subcommands: SUBCOMMANDS,
    acl: ACL,
}];

fn sentinel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match &ctx.srv.sentinel {
        Some(s) => s.command(&args[1..]),
        // Only a Sentinel's table has this command, and a Sentinel always has hooks.
        None => Reply::err("ERR This instance is not a Sentinel"),
    }
}
