//! ACL: users, their rules, the permission check at dispatch, ACL LOG and the ACL file
//! (Redis 7.0's `acl.c`, ported from behaviour).
//!
//! The engine owns one [`Acl`]. Users are kept by name in byte order (Redis's radix tree
//! order, which ACL LIST and ACL USERS follow) behind `Arc`s; a client holds the `Arc`
//! of the user it authenticated as. A change never edits a user in place: SETUSER builds
//! the new user from a copy (so a failing rule changes nothing) and the engine then hands
//! the new `Arc` to that user's clients ([`crate::engine::Server::sync_client_users`]).
//!
//! ## Caveats
//! * ACL LIST / GETUSER rebuild command rules from the permission bitmap like Redis;
//!   single commands are listed in our table order (Redis's is its hash order), and
//!   categories holding commands Rhea lacks (streams, geo, scripting, …) can make the
//!   best-fit choice of categories differ from Redis's.
//! * Key permissions use the key specs of `command_meta`; Redis's special key
//!   extractors for a few commands with incomplete specs are not consulted.

pub mod check;
pub mod describe;
pub mod file;
pub mod index;
pub mod log;
pub mod rules;
#[cfg(test)]
mod rules_props;
pub mod user;

use std::collections::BTreeMap;
use std::sync::Arc;

use index::CommandIndex;
use rules::{RuleCtx, RuleError};
use user::User;

use crate::engine::table::CommandTable;

pub const DEFAULT_USER: &[u8] = b"default";

pub struct Acl {
    pub index: CommandIndex,
    pub users: BTreeMap<Vec<u8>, Arc<User>>,
    pub log: log::AclLog,
    /// `acl-pubsub-default allchannels`: new users and selectors start with `&*`.
    pub pubsub_all: bool,
}

impl Acl {
    /// Only the default user, with `requirepass` applied (`ACLInit` and
    /// `ACLUpdateDefaultUserPassword`).
    pub fn new(table: &CommandTable, requirepass: Option<&[u8]>, pubsub_all: bool) -> Acl {
        let mut acl = Acl {
            index: CommandIndex::new(table),
            users: BTreeMap::new(),
            log: Default::default(),
            pubsub_all,
        };
        let default = acl.fresh_default_user();
        acl.users.insert(DEFAULT_USER.to_vec(), Arc::new(default));
        acl.set_default_password(requirepass);
        acl
    }

    pub fn cx(&self) -> RuleCtx<'_> {
        RuleCtx { index: &self.index, pubsub_all: self.pubsub_all }
    }

    /// `ACLCreateDefaultUser`: `+@all ~* &* on nopass`.
    pub fn fresh_default_user(&self) -> User {
        let mut u = self.new_user(DEFAULT_USER);
        for r in ["+@all", "~*", "&*", "on", "nopass"] {
            rules::apply(&mut u, r.as_bytes(), &self.cx()).expect("default user rules");
        }
        u
    }

    pub fn new_user(&self, name: &[u8]) -> User {
        User::new(name, self.index.len(), self.pubsub_all)
    }

    pub fn default_user(&self) -> Arc<User> {
        self.users.get(DEFAULT_USER).cloned().expect("the default user always exists")
    }

    /// Must a new connection authenticate (the default user has a password or is off)?
    pub fn default_requires_auth(&self) -> bool {
        let d = self.default_user();
        !d.nopass || !d.enabled
    }

    /// `requirepass` set or changed: `resetpass`, then `>pass` or `nopass`.
    pub fn set_default_password(&mut self, pass: Option<&[u8]>) {
        let mut u = (*self.default_user()).clone();
        rules::apply(&mut u, b"resetpass", &self.cx()).expect("resetpass");
        match pass {
            Some(p) => {
                let mut op = b">".to_vec();
                op.extend_from_slice(p);
                rules::apply(&mut u, &op, &self.cx()).expect("password rule");
            }
            None => rules::apply(&mut u, b"nopass", &self.cx()).expect("nopass"),
        }
        self.users.insert(DEFAULT_USER.to_vec(), Arc::new(u));
    }

    /// ACL SETUSER (`ACLStringSetUser`): create or change `name`, all rules or none.
    pub fn set_user(&mut self, name: &[u8], args: &[Vec<u8>]) -> Result<(), String> {
        let merged = merge_or_explain(args)?;
        let base = match self.users.get(name) {
            Some(u) => (**u).clone(),
            None => self.new_user(name),
        };
        let new = rules::apply_all(&base, &merged, &self.cx()).map_err(|(j, e)| {
            format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(&merged[j]),
                e.text()
            )
        })?;
        self.users.insert(name.to_vec(), Arc::new(new));
        Ok(())
    }

    /// `ACLCheckUserCredentials`: the user if it exists, is on and the password fits.
    pub fn authenticate(&self, name: &[u8], pass: &[u8]) -> Option<Arc<User>> {
        self.users.get(name).filter(|u| u.password_ok(pass)).cloned()
    }

    /// The `user` lines of the configuration (`ACLLoadConfiguredUsers`): each named user
    /// is created (the default user is reset first) and its rules applied in order.
    pub fn load_config_users(&mut self, lines: &[Vec<Vec<u8>>]) -> Result<(), String> {
        for line in lines {
            let Some((name, args)) = line.split_first() else { continue };
            if rules::bad_user_name(name) {
                return Err("Spaces not allowed in ACL usernames".into());
            }
            let mut u = if name.as_slice() == DEFAULT_USER {
                let mut d = (*self.default_user()).clone();
                rules::apply(&mut d, b"reset", &self.cx()).expect("reset");
                d
            } else {
                self.new_user(name)
            };
            let merged = merge_or_explain(args)?;
            for r in &merged {
                rules::apply(&mut u, r, &self.cx()).map_err(|e| {
                    format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        String::from_utf8_lossy(r),
                        String::from_utf8_lossy(name),
                        e.text()
                    )
                })?;
            }
            if !u.enabled {
                crate::notice!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user \
                     description). Make sure this is not a configuration error.",
                    u.name_str()
                );
            }
            self.users.insert(name.clone(), Arc::new(u));
        }
        Ok(())
    }

    /// One `user <name> <rules>` line per user, in name order (ACL LIST, CONFIG
    /// REWRITE, ACL SAVE).
    pub fn user_lines(&self) -> Vec<String> {
        self.users
            .values()
            .map(|u| format!("user {} {}", u.name_str(), describe::describe_user(u, &self.index)))
            .collect()
    }
}

/// [`rules::merge_selectors`] with Redis's message for a selector left open (SETUSER
/// and `user` lines say the same).
fn merge_or_explain(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
    rules::merge_selectors(args).map_err(|start| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&args[start])
        )
    })
}

/// The users a server started with `cfg` has, as `user` lines: what CONFIG REWRITE
/// writes when the engine did not supply its current users (the configuration alone).
pub fn startup_user_lines(cfg: &crate::config::Config) -> Vec<String> {
    let table = crate::cmd::command_table();
    let mut acl = Acl::new(&table, cfg.requirepass.as_deref(), cfg.acl_pubsub_all());
    // A user line naming an unknown command fails at startup; keep what loaded.
    let _ = acl.load_config_users(&cfg.user_lines);
    acl.user_lines()
}

/// Check the rules of a `user` config line without the command table's verdict on
/// command names (`ACLAppendUserForLoading`): unknown commands are only found when the
/// users are loaded. `Err` is the index (in the merged rules) of the failing one.
pub fn validate_config_line(
    table: &CommandTable,
    args: &[Vec<u8>],
) -> Result<(), (usize, &'static str)> {
    let merged = rules::merge_selectors(args).map_err(|i| (i, RuleError::Syntax.text()))?;
    let acl = Acl::new(table, None, false);
    let mut u = acl.new_user(b"fake");
    for (j, r) in merged.iter().enumerate() {
        match rules::apply(&mut u, r, &acl.cx()) {
            Ok(()) | Err(RuleError::UnknownCommand) => {}
            Err(e) => return Err((j, e.text())),
        }
    }
    Ok(())
}
