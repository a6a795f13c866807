//! The command table as ACL rules see it: every command and subcommand numbered (Redis's
//! `cmd->id`, the bit of the allowed-commands bitmap), with its ACL category mask and
//! its place in the parent/subcommand tree.
//!
//! Built once per command table (a Sentinel's table is smaller, so its users can name
//! fewer commands, as in Redis). Ids follow registration order, parent before its
//! subcommands, which is also the order ACL LIST names single commands in (Redis uses
//! its hash table's order, which changes from run to run).

use std::collections::HashMap;

use ahash::RandomState;

use crate::cmd::command::{CATEGORIES, categories};
use crate::engine::table::{Command, CommandTable};

pub struct CommandIndex {
    /// Id → command.
    pub cmds: Vec<&'static Command>,
    /// Id → bit mask over [`CATEGORIES`].
    pub cats: Vec<u32>,
    /// Id → ids of its subcommands.
    pub subs: Vec<Vec<usize>>,
    /// Id → the parent's id, for subcommands.
    pub parent: Vec<Option<usize>>,
    /// Ids of the top-level commands, in table order.
    pub top: Vec<usize>,
    ids: HashMap<&'static str, usize, RandomState>,
}

impl CommandIndex {
    pub fn new(table: &CommandTable) -> CommandIndex {
        let mut ix = CommandIndex {
            cmds: Vec::new(),
            cats: Vec::new(),
            subs: Vec::new(),
            parent: Vec::new(),
            top: Vec::new(),
            ids: HashMap::default(),
        };
        for &cmd in &table.all {
            let id = ix.push(cmd, None);
            ix.top.push(id);
            for sub in cmd.subcommands {
                let sid = ix.push(sub, Some(id));
                ix.subs[id].push(sid);
            }
        }
        ix
    }

    fn push(&mut self, cmd: &'static Command, parent: Option<usize>) -> usize {
        let id = self.cmds.len();
        let mask = categories(cmd).iter().filter_map(|c| category_bit(c)).fold(0, |m, b| m | b);
        self.cmds.push(cmd);
        self.cats.push(mask);
        self.subs.push(Vec::new());
        self.parent.push(parent);
        self.ids.insert(cmd.name, id);
        id
    }

    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// The id of a table command (the running command at dispatch).
    pub fn id_of(&self, cmd: &Command) -> Option<usize> {
        self.ids.get(cmd.name).copied()
    }

    /// `ACLLookupCommand`: `name` or `parent|sub`, case-insensitively; a `|` in a
    /// command without subcommands, or a second `|`, names nothing.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8(name.to_ascii_lowercase()).ok()?;
        let mut parts = lower.split('|');
        let parent = *self.ids.get(parts.next()?)?;
        if self.parent[parent].is_some() {
            return None;
        }
        match (parts.next(), parts.next()) {
            (None, _) => Some(parent),
            (Some(sub), None) => {
                self.subs[parent].iter().copied().find(|&s| self.cmds[s].short_name() == sub)
            }
            _ => None,
        }
    }
}

/// The bit of an ACL category name (case-insensitive), `None` if there is no such one.
pub fn category_bit(name: &str) -> Option<u32> {
    CATEGORIES.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| 1 << i)
}
