//! Command families, one file each, named after Redis's `t_*.c` / subsystem files.
//! Every family exports `COMMANDS`; [`command_table`] gathers them.

pub mod acl;
pub mod admin;
pub mod args;
pub mod client;
pub mod command;
pub mod command_meta;
pub mod config;
pub mod connection;
pub mod debug;
pub mod digest;
pub mod dump;
pub mod expire;
pub mod hashes;
pub mod info;
pub mod keys;
pub mod lcs;
pub mod lists;
pub mod lists_blocking;
pub mod longdouble;
pub mod objinfo;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod scan;
pub mod sentinel;
pub mod sets;
pub mod sets_algebra;
pub mod sha1;
pub mod strings;
pub mod txn;
pub mod zsets;
pub mod zsets_algebra;
pub mod zsets_pop;
pub mod zsets_random;
pub mod zsets_range;

use crate::engine::table::{CommandTable, flags};

/// Every command family, in registration order.
const FAMILIES: &[&[crate::engine::table::Command]] = &[
    connection::COMMANDS,
    txn::COMMANDS,
    pubsub::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    client::COMMANDS,
    config::COMMANDS,
    admin::COMMANDS,
    debug::COMMANDS,
    persistence::COMMANDS,
    replication::COMMANDS,
    sentinel::COMMANDS,
    acl::COMMANDS,
];

/// A server's commands: everything except the sentinel-only ones.
pub fn command_table() -> CommandTable {
    CommandTable::filtered(FAMILIES, |c| c.flags & flags::ONLY_SENTINEL == 0)
}

/// A Sentinel's commands: those Redis flags `sentinel` (PING, AUTH, HELLO, CLIENT,
/// COMMAND, ACL, INFO, ROLE, the SUBSCRIBE family, PUBLISH, SHUTDOWN) and SENTINEL.
pub fn sentinel_command_table() -> CommandTable {
    CommandTable::filtered(FAMILIES, |c| c.flags & flags::SENTINEL != 0)
}

/// The table a process serves: the server's or Sentinel's, with the configuration's
/// `rename-command` lines applied (the loader has already checked that they apply).
pub fn serving_table(sentinel: bool, renames: &[(Vec<u8>, Vec<u8>)]) -> CommandTable {
    let mut table = if sentinel { sentinel_command_table() } else { command_table() };
    for (from, to) in renames {
        table.rename(from, to).expect("rename-command lines are checked at load");
    }
    table
}
