//! A user and its selectors: the data ACL rules edit and permission checks read.
//!
//! A user has flags (on/off, nopass, the payload-sanitizing choice), SHA-256 password
//! hashes, and selectors. The first selector is the root one (the permissions written
//! outside parentheses); the others come from `(…)` rules, and a command is allowed if
//! any selector allows it (Redis 7.0's model).

/// A key pattern with the access it grants (`~p` is both, `%R~p` read, `%W~p` write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

/// One selector: which commands, keys and channels it allows.
#[derive(Clone, Debug)]
pub struct Selector {
    /// `SELECTOR_FLAG_ALLCOMMANDS`: the fast path; cleared by any removal.
    pub all_commands: bool,
    /// The reserved bit only `+@all` sets: ACL LIST starts from `+@all` rather than
    /// `-@all`, as commands added later would be allowed.
    pub future_commands: bool,
    pub all_keys: bool,
    pub all_channels: bool,
    /// Bitmap over command ids (see `index.rs`).
    pub allowed: Vec<u64>,
    /// Allowed first arguments of otherwise denied commands (`+select|0`), by command
    /// id, in the order they were added.
    pub first_args: Vec<(usize, Vec<String>)>,
    pub keys: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// An empty selector; channels start per `acl-pubsub-default`.
    pub fn new(ncommands: usize, all_channels: bool) -> Selector {
        Selector {
            all_commands: false,
            future_commands: false,
            all_keys: false,
            all_channels,
            allowed: vec![0; ncommands.div_ceil(64)],
            first_args: Vec::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    pub fn allows(&self, id: usize) -> bool {
        self.allowed.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// `ACLSetSelectorCommandBit`: a removal also ends the "all commands" fast path.
    pub fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    pub fn first_args_of(&self, id: usize) -> Option<&[String]> {
        self.first_args.iter().find(|(i, _)| *i == id).map(|(_, v)| v.as_slice())
    }

    /// Can this selector run anything on anything (the dispatch fast path)?
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }
}

/// One ACL user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    /// `Some(true)`: sanitize-payload, `Some(false)`: skip-sanitize-payload, `None`:
    /// neither was ever set (a user made by SETUSER without `reset`).
    pub sanitize_payload: Option<bool>,
    /// Lower-case hex SHA-256 of each password, in the order they were added.
    pub passwords: Vec<String>,
    /// `selectors[0]` is the root selector.
    pub selectors: Vec<Selector>,
    /// Cached: the root selector is unrestricted, so no check is needed at dispatch.
    pub unrestricted: bool,
}

impl User {
    /// `ACLCreateUser`: off, no passwords, no permissions.
    pub fn new(name: &[u8], ncommands: usize, pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize_payload: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(ncommands, pubsub_all)],
            unrestricted: false,
        }
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    pub fn root_mut(&mut self) -> &mut Selector {
        &mut self.selectors[0]
    }

    pub fn refresh_cache(&mut self) {
        self.unrestricted = self.root().unrestricted();
    }

    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// `ACLCheckUserCredentials` minus the lookup: enabled, and nopass or a password
    /// whose hash matches (compared without an early exit).
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = crate::config::sha256::hex_digest(pass);
        self.passwords
            .iter()
            .fold(false, |ok, p| ok | constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}
