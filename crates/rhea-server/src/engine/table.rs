//! The command table: one static row per command (and per subcommand), after Redis 7.0's
//! `commands.def`. Each command family (`crate::cmd::*`) exports `COMMANDS`, and
//! [`CommandTable::new`] gathers them.
//!
//! The row drives `processCommand`'s checks (arity, auth, MULTI, OOM, READONLY, stale,
//! loading, pub/sub context), COMMAND INFO/COUNT/LIST, and the per-command statistics.

use std::collections::HashMap;

use ahash::RandomState;

use bytes::Bytes;
use rhea_resp::Reply;

use super::ctx::Ctx;

/// A command implementation. `args[0]` is the command name as the client sent it.
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> Reply;

/// Command flags, named as in Redis's command JSON files.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const SENTINEL: u32 = 1 << 14;
    pub const ONLY_SENTINEL: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    pub const PROTECTED: u32 = 1 << 17;
    pub const NO_MULTI: u32 = 1 << 18;
    pub const MOVABLE_KEYS: u32 = 1 << 19;
    pub const ALLOW_BUSY: u32 = 1 << 20;
}

/// One command or subcommand.
pub struct Command {
    /// Lower-case name; subcommands use Redis's full name `parent|sub`.
    pub name: &'static str,
    /// Positive: exact argc. Negative: at least -arity.
    pub arity: i32,
    pub flags: u32,
    /// Legacy key specification: first key, last key (-1 = last arg), step.
    pub keys: (i32, i32, i32),
    pub handler: Handler,
    pub subcommands: &'static [Command],
    /// ACL categories without the `@` (e.g. "read", "string", "fast").
    pub acl: &'static [&'static str],
}

impl Command {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: (i32, i32, i32),
        acl: &'static [&'static str],
        handler: Handler,
    ) -> Command {
        Command { name, arity, flags, keys, handler, subcommands: &[], acl }
    }

    /// A container command whose real work is done by its subcommands.
    pub const fn container(
        name: &'static str,
        arity: i32,
        acl: &'static [&'static str],
        subcommands: &'static [Command],
    ) -> Command {
        Command { name, arity, flags: 0, keys: (0, 0, 0), handler: no_handler, subcommands, acl }
    }

    /// The same row with `flags` added (a container a Sentinel serves: `sentinel`).
    pub const fn with_flags(mut self, flags: u32) -> Command {
        self.flags |= flags;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn is_write(&self) -> bool {
        self.has(flags::WRITE)
    }

    /// Does `argc` satisfy the arity?
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 { argc == self.arity } else { argc >= -self.arity }
    }

    /// The name after `|` for subcommands.
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }

    /// Key positions in `args` per the legacy key spec.
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        let (first, last, step) = self.keys;
        if first <= 0 || step <= 0 {
            return Vec::new();
        }
        let last = if last < 0 { argc as i32 + last } else { last };
        (first..=last.min(argc as i32 - 1)).step_by(step as usize).map(|i| i as usize).collect()
    }
}

fn no_handler(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::err("ERR container command called without subcommand")
}

/// Lookup table over every family's commands.
pub struct CommandTable {
    /// Lower-case name → command. Owned names because `rename-command` gives commands
    /// names that are not in the static table.
    by_name: HashMap<Box<str>, &'static Command, RandomState>,
    /// Registration order, for COMMAND / COMMAND LIST.
    pub all: Vec<&'static Command>,
}

/// The outcome of resolving `args` to a command.
pub enum Lookup {
    Found(&'static Command),
    Unknown,
    /// A container whose subcommand does not exist.
    UnknownSub(&'static Command),
}

impl CommandTable {
    pub fn new(families: &[&'static [Command]]) -> CommandTable {
        Self::filtered(families, |_| true)
    }

    /// The commands of `families` that `keep` accepts (`populateCommandTable` leaves out
    /// sentinel-only commands in a server, and everything not flagged `sentinel` in a
    /// Sentinel).
    pub fn filtered(
        families: &[&'static [Command]],
        keep: impl Fn(&Command) -> bool,
    ) -> CommandTable {
        let mut by_name = HashMap::default();
        let mut all = Vec::new();
        for fam in families {
            for c in fam.iter().filter(|c| keep(c)) {
                let prev = by_name.insert(c.name.into(), c);
                assert!(prev.is_none(), "command {} registered twice", c.name);
                all.push(c);
            }
        }
        CommandTable { by_name, all }
    }

    pub fn get(&self, name: &str) -> Option<&'static Command> {
        self.by_name.get(name).copied()
    }

    /// `rename-command <from> <to>`: the command answers to `to` instead (an empty `to`
    /// removes it), as 7.0's config loader does on its command dict. Only the name a
    /// client types changes: the command keeps its own name in COMMAND replies, errors
    /// and INFO commandstats. Names compare case-insensitively, as Redis's dict does.
    pub fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), &'static str> {
        let Some(cmd) = self.by_name.remove(lower(from).as_str()) else {
            return Err("No such command in rename-command");
        };
        if to.is_empty() {
            self.all.retain(|c| !std::ptr::eq(*c, cmd));
            return Ok(());
        }
        let to = lower(to);
        if self.by_name.contains_key(to.as_str()) {
            return Err("Target command name already exists");
        }
        self.by_name.insert(to.into(), cmd);
        Ok(())
    }

    /// Resolve the command (and subcommand) named by `args`, like `lookupCommand`.
    pub fn lookup(&self, args: &[Bytes]) -> Lookup {
        let mut buf = [0u8; 32];
        let found = match lower_in(&args[0], &mut buf) {
            Some(n) => self.by_name.get(n).copied(),
            // Longer than any built-in name: only a renamed command can match.
            None if args[0].len() > 32 => self.get(&lower(&args[0])),
            None => None,
        };
        let Some(cmd) = found else {
            return Lookup::Unknown;
        };
        if cmd.subcommands.is_empty() || args.len() < 2 {
            return Lookup::Found(cmd);
        }
        let mut buf = [0u8; 32];
        let sub = lower_in(&args[1], &mut buf);
        match cmd.subcommands.iter().find(|s| Some(s.short_name()) == sub) {
            Some(s) => Lookup::Found(s),
            None => Lookup::UnknownSub(cmd),
        }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// Lower-case a command name into `buf` without allocating. Names longer than any
/// command, or not UTF-8, can match nothing and give `None`.
fn lower_in<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b str> {
    let out = buf.get_mut(..name.len())?;
    for (o, c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

/// ASCII lower-casing of a command name (lossy for non-UTF-8, which never matches).
pub fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}
