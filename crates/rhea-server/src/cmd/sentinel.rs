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
        sentinel_help,
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

/// `SENTINEL HELP`, as redis-sentinel 7.0.15 prints it.
fn sentinel_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    super::keys::help_reply(
        "SENTINEL",
        &[
            "CKQUORUM <master-name>",
            "    Check if the current Sentinel configuration is able to reach the quorum",
            "    needed to failover a master and the majority needed to authorize the",
            "    failover.",
            "CONFIG SET <param> <value>",
            "    Set a global Sentinel configuration parameter.",
            "CONFIG GET <param>",
            "    Get global Sentinel configuration parameter.",
            "DEBUG [<param> <value> ...]",
            "    Show a list of configurable time parameters and their values (milliseconds).",
            "    Or update current configurable parameters values (one or more).",
            "GET-MASTER-ADDR-BY-NAME <master-name>",
            "    Return the ip and port number of the master with that name.",
            "FAILOVER <master-name>",
            "    Manually failover a master node without asking for agreement from other",
            "    Sentinels",
            "FLUSHCONFIG",
            "    Force Sentinel to rewrite its configuration on disk, including the current",
            "    Sentinel state.",
            "INFO-CACHE <master-name>",
            "    Return last cached INFO output from masters and all its replicas.",
            "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
            "    Check if the master specified by ip:port is down from current Sentinel's",
            "    point of view.",
            "MASTER <master-name>",
            "    Show the state and info of the specified master.",
            "MASTERS",
            "    Show a list of monitored masters and their state.",
            "MONITOR <name> <ip> <port> <quorum>",
            "    Start monitoring a new master with the specified name, ip, port and quorum.",
            "MYID",
            "    Return the ID of the Sentinel instance.",
            "PENDING-SCRIPTS",
            "    Get pending scripts information.",
            "REMOVE <master-name>",
            "    Remove master from Sentinel's monitor list.",
            "REPLICAS <master-name>",
            "    Show a list of replicas for this master and their state.",
            "RESET <pattern>",
            "    Reset masters for specific master name matching this pattern.",
            "SENTINELS <master-name>",
            "    Show a list of Sentinel instances for this master and their state.",
            "SET <master-name> <option> <value> [<option> <value> ...]",
            "    Set configuration parameters for certain masters.",
            "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
            "    Simulate a Sentinel crash.",
        ],
    )
}
