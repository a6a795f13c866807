//! Permission checks (`ACLCheckAllUserCommandPerm` of Redis 7.0): may a user run a
//! command with these arguments? Commands, then keys (from the command's key specs and
//! their access flags), then pub/sub channels; a user passes if any selector does.

use bytes::Bytes;
use rhea_keyspace::glob_match;

use super::index::CommandIndex;
use super::user::{Selector, User};
use crate::cmd::command::key_positions;
use crate::engine::table::{Command, flags};

/// Why a command was refused, ordered as Redis ranks them when selectors disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    /// The argument index of the key.
    Key,
    Auth,
    Channel,
}

/// A refusal and the argument it is about (0 for a command refusal).
pub type Refusal = (Denied, usize);

/// Check `argv` (`argv[0]` the command name) against every selector of `u`.
pub fn check(u: &User, ix: &CommandIndex, cmd: &Command, argv: &[Bytes]) -> Result<(), Refusal> {
    if u.unrestricted {
        return Ok(());
    }
    let id = ix.id_of(cmd);
    let mut keys = None;
    let mut worst = (Denied::Command, 0);
    for s in &u.selectors {
        match check_selector(s, ix, id, cmd, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err(r) => {
                if r.0 > worst.0 || (r.0 == worst.0 && r.1 > worst.1) {
                    worst = r;
                }
            }
        }
    }
    Err(worst)
}

type KeyCache = Option<Vec<(usize, &'static [&'static str])>>;

fn check_selector(
    s: &Selector,
    ix: &CommandIndex,
    id: Option<usize>,
    cmd: &Command,
    argv: &[Bytes],
    keys: &mut KeyCache,
) -> Result<(), Refusal> {
    if !s.all_commands && !cmd.has(flags::NO_AUTH) {
        let allowed = match id {
            Some(id) => s.allows(id) || first_arg_allowed(s, ix, id, argv),
            None => false,
        };
        if !allowed {
            return Err((Denied::Command, 0));
        }
    }
    if !s.all_keys && has_keys(cmd) {
        let found = keys.get_or_insert_with(|| key_positions(cmd, argv).unwrap_or_default());
        for &(pos, kflags) in found.iter() {
            if !key_allowed(s, &argv[pos], kflags) {
                return Err((Denied::Key, pos));
            }
        }
    }
    if !s.all_channels {
        for (pos, is_pattern) in channel_args(cmd, argv) {
            if !channel_allowed(s, &argv[pos], is_pattern) {
                return Err((Denied::Channel, pos));
            }
        }
    }
    Ok(())
}

fn first_arg_allowed(s: &Selector, ix: &CommandIndex, id: usize, argv: &[Bytes]) -> bool {
    let Some(args) = s.first_args_of(id) else { return false };
    let at = if ix.parent[id].is_some() { 2 } else { 1 };
    argv.get(at).is_some_and(|a| args.iter().any(|x| a.eq_ignore_ascii_case(x.as_bytes())))
}

fn has_keys(cmd: &Command) -> bool {
    cmd.keys.0 > 0
        || crate::cmd::command_meta::lookup(cmd.name).is_some_and(|m| !m.specs.is_empty())
}

/// `ACLSelectorCheckKey`: reading needs a pattern with read access, writing (insert,
/// update, delete) one with write access.
fn key_allowed(s: &Selector, key: &[u8], kflags: &[&str]) -> bool {
    let need_read = kflags.contains(&"access");
    let need_write = kflags.iter().any(|f| matches!(*f, "insert" | "update" | "delete"));
    s.keys.iter().any(|p| {
        (!need_read || p.read) && (!need_write || p.write) && glob_match(&p.pattern, key, false)
    })
}

/// Channels a command publishes to or subscribes to, with whether each is a pattern
/// (`getChannelsFromCommand`; unsubscribing needs no permission).
fn channel_args(cmd: &Command, argv: &[Bytes]) -> Vec<(usize, bool)> {
    match cmd.name {
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

/// `ACLCheckChannelAgainstList`: a pattern subscription must be listed literally; a
/// channel is matched against the patterns.
fn channel_allowed(s: &Selector, channel: &[u8], is_pattern: bool) -> bool {
    s.channels
        .iter()
        .any(|p| if is_pattern { p.as_slice() == channel } else { glob_match(p, channel, false) })
}
