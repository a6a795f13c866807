//! ACL rules (`ACLSetUser` / `ACLSetSelector` of Redis 7.0): applying one rule to a user,
//! merging `(…)` selectors that were split into several arguments, and the error texts.
//!
//! Rules are applied to a copy of the user by the callers (SETUSER, config, ACL LOAD), so
//! a failing rule leaves the stored user untouched.

use super::index::{CommandIndex, category_bit};
use super::user::{KeyPattern, Selector, User};
use crate::config::sha256;

/// Why a rule failed; [`RuleError::text`] gives Redis's message (`ACLSetUserStringError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// ENOENT.
    UnknownCommand,
    /// EINVAL.
    Syntax,
    /// EEXIST.
    KeyAfterAllKeys,
    /// EISDIR.
    ChannelAfterAllChannels,
    /// ENODEV.
    NoSuchPassword,
    /// EBADMSG.
    BadHash,
    /// ECHILD.
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAllKeys => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAllChannels => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list of \
                 channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// What rules need besides the user: the command index and `acl-pubsub-default`.
pub struct RuleCtx<'a> {
    pub index: &'a CommandIndex,
    pub pubsub_all: bool,
}

/// `ACLMergeSelectorArguments`: an argument opening `(` without closing it is joined with
/// the following ones (space-separated) up to one that ends with `)`. `Err` carries the
/// index of the argument whose selector is never closed.
pub fn merge_selectors(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(open.take().expect("open selector").1);
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

/// Apply one rule to `u` (`ACLSetUser`).
pub fn apply(u: &mut User, op: &[u8], cx: &RuleCtx<'_>) -> Result<(), RuleError> {
    let r = apply_inner(u, op, cx);
    u.refresh_cache();
    r
}

fn apply_inner(u: &mut User, op: &[u8], cx: &RuleCtx<'_>) -> Result<(), RuleError> {
    // An empty rule does nothing, here and inside a selector.
    if op.is_empty() {
        return Ok(());
    }
    let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
    if is("on") {
        u.enabled = true;
    } else if is("off") {
        u.enabled = false;
    } else if is("skip-sanitize-payload") {
        u.sanitize_payload = Some(false);
    } else if is("sanitize-payload") {
        u.sanitize_payload = Some(true);
    } else if is("nopass") {
        u.nopass = true;
        u.passwords.clear();
    } else if is("resetpass") {
        u.nopass = false;
        u.passwords.clear();
    } else if is("reset") {
        u.nopass = false;
        u.passwords.clear();
        let root = u.root_mut();
        root.all_keys = false;
        root.keys.clear();
        root.all_channels = cx.pubsub_all;
        root.channels.clear();
        u.enabled = false;
        u.sanitize_payload = Some(true);
        u.selectors.truncate(1);
        no_commands(u.root_mut());
    } else if let Some(pw) = op.strip_prefix(b">") {
        let hash = sha256::hex_digest(pw);
        if !u.passwords.contains(&hash) {
            u.passwords.push(hash);
        }
        u.nopass = false;
    } else if let Some(hash) = op.strip_prefix(b"#") {
        let hash = valid_hash(hash)?;
        if !u.passwords.contains(&hash) {
            u.passwords.push(hash);
        }
        u.nopass = false;
    } else if let Some(pw) = op.strip_prefix(b"<") {
        remove_password(u, &sha256::hex_digest(pw))?;
    } else if let Some(hash) = op.strip_prefix(b"!") {
        let hash = valid_hash(hash)?;
        remove_password(u, &hash)?;
    } else if op.len() >= 2 && op[0] == b'(' && op[op.len() - 1] == b')' {
        let mut sel = Selector::new(cx.index.len(), cx.pubsub_all);
        // Split on single spaces like `sdssplitlen`: "()" holds no rule at all.
        let inner = &op[1..op.len() - 1];
        if !inner.is_empty() {
            for part in inner.split(|&c| c == b' ') {
                apply_selector(&mut sel, part, cx)?;
            }
        }
        u.selectors.push(sel);
    } else if is("clearselectors") {
        u.selectors.truncate(1);
    } else {
        apply_selector(u.root_mut(), op, cx)?;
    }
    Ok(())
}

fn valid_hash(h: &[u8]) -> Result<String, RuleError> {
    if h.len() != 64 || !h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(h).into_owned())
}

fn remove_password(u: &mut User, hash: &str) -> Result<(), RuleError> {
    let pos = u.passwords.iter().position(|p| p == hash).ok_or(RuleError::NoSuchPassword)?;
    u.passwords.remove(pos);
    Ok(())
}

fn no_commands(s: &mut Selector) {
    s.allowed.iter_mut().for_each(|w| *w = 0);
    s.all_commands = false;
    s.future_commands = false;
    s.first_args.clear();
}

/// Apply one selector rule (`ACLSetSelector`).
pub fn apply_selector(s: &mut Selector, op: &[u8], cx: &RuleCtx<'_>) -> Result<(), RuleError> {
    if op.is_empty() {
        return Ok(());
    }
    let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
    if is("allkeys") || op == b"~*" {
        s.all_keys = true;
        s.keys.clear();
    } else if is("resetkeys") {
        s.all_keys = false;
        s.keys.clear();
    } else if is("allchannels") || op == b"&*" {
        s.all_channels = true;
        s.channels.clear();
    } else if is("resetchannels") {
        s.all_channels = false;
        s.channels.clear();
    } else if is("allcommands") || is("+@all") {
        s.allowed.iter_mut().for_each(|w| *w = u64::MAX);
        s.all_commands = true;
        s.future_commands = true;
        s.first_args.clear();
    } else if is("nocommands") || is("-@all") {
        no_commands(s);
    } else if op.first().is_some_and(|&c| c == b'~' || c == b'%') {
        add_key_pattern(s, op)?;
    } else if let Some(pat) = op.strip_prefix(b"&") {
        if s.all_channels {
            return Err(RuleError::ChannelAfterAllChannels);
        }
        if !s.channels.iter().any(|c| c == pat) {
            s.channels.push(pat.to_vec());
        }
    } else if let Some(cat) = op.strip_prefix(b"+@").or_else(|| op.strip_prefix(b"-@")) {
        let bit = std::str::from_utf8(cat)
            .ok()
            .and_then(category_bit)
            .ok_or(RuleError::UnknownCommand)?;
        let on = op[0] == b'+';
        for id in 0..cx.index.len() {
            if cx.index.cats[id] & bit != 0 {
                change_perm(s, cx.index, id, on);
            }
        }
    } else if let Some(name) = op.strip_prefix(b"+") {
        allow_command(s, name, cx.index)?;
    } else if let Some(name) = op.strip_prefix(b"-") {
        let id = cx.index.lookup(name).ok_or(RuleError::UnknownCommand)?;
        change_perm(s, cx.index, id, false);
    } else {
        return Err(RuleError::Syntax);
    }
    Ok(())
}

/// `~pat`, `%R~pat`, `%W~pat`, `%RW~pat`. A `%` form without `~` names the empty pattern
/// (Redis reads the flags up to the end of the rule).
fn add_key_pattern(s: &mut Selector, op: &[u8]) -> Result<(), RuleError> {
    if s.all_keys {
        return Err(RuleError::KeyAfterAllKeys);
    }
    let (mut read, mut write) = (true, true);
    let mut offset = 1;
    if op[0] == b'%' {
        (read, write) = (false, false);
        while offset < op.len() {
            let c = op[offset];
            if c.eq_ignore_ascii_case(&b'r') && !read {
                read = true;
            } else if c.eq_ignore_ascii_case(&b'w') && !write {
                write = true;
            } else if c == b'~' {
                offset += 1;
                break;
            } else {
                return Err(RuleError::Syntax);
            }
            offset += 1;
        }
    }
    if !read && !write {
        return Err(RuleError::Syntax);
    }
    // Only the literal `~*` means allkeys; `%RW~*` is an ordinary pattern.
    let pattern = &op[offset.min(op.len())..];
    match s.keys.iter_mut().find(|k| k.pattern == pattern) {
        Some(k) => {
            k.read |= read;
            k.write |= write;
        }
        None => s.keys.push(KeyPattern { pattern: pattern.to_vec(), read, write }),
    }
    Ok(())
}

/// `+cmd`, `+cmd|sub`, or `+cmd|firstarg` for a command without subcommands.
fn allow_command(s: &mut Selector, name: &[u8], ix: &CommandIndex) -> Result<(), RuleError> {
    let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
        let id = ix.lookup(name).ok_or(RuleError::UnknownCommand)?;
        change_perm(s, ix, id, true);
        return Ok(());
    };
    let (cmd, sub) = (&name[..bar], &name[bar + 1..]);
    let id = ix.lookup(cmd).ok_or(RuleError::UnknownCommand)?;
    if ix.parent[id].is_some() {
        return Err(RuleError::FirstArgOfSubcommand);
    }
    if sub.is_empty() {
        return Err(RuleError::Syntax);
    }
    if !ix.subs[id].is_empty() {
        let sid = ix.lookup(name).ok_or(RuleError::UnknownCommand)?;
        change_perm(s, ix, sid, true);
        return Ok(());
    }
    let arg = String::from_utf8_lossy(sub).to_ascii_lowercase();
    crate::warning!(
        "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse \
         of ACL and may get disabled in the future (offender: +{})",
        String::from_utf8_lossy(name)
    );
    match s.first_args.iter_mut().find(|(i, _)| *i == id) {
        Some((_, args)) => {
            if !args.contains(&arg) {
                args.push(arg);
            }
        }
        None => s.first_args.push((id, vec![arg])),
    }
    Ok(())
}

/// `ACLChangeSelectorPerm`: set one command's bit, forget its allowed first args, and
/// give its subcommands the same bit.
pub(crate) fn change_perm(s: &mut Selector, ix: &CommandIndex, id: usize, on: bool) {
    s.set_bit(id, on);
    s.first_args.retain(|(i, _)| *i != id);
    for &sub in &ix.subs[id] {
        s.set_bit(sub, on);
    }
}

/// Apply `rules` (already merged) to a copy of `u`; the first failure names its rule.
pub fn apply_all(
    u: &User,
    rules: &[Vec<u8>],
    cx: &RuleCtx<'_>,
) -> Result<User, (usize, RuleError)> {
    let mut copy = u.clone();
    for (j, r) in rules.iter().enumerate() {
        apply(&mut copy, r, cx).map_err(|e| (j, e))?;
    }
    Ok(copy)
}

/// `ACLStringHasSpaces`: user names cannot hold whitespace or NUL.
pub fn bad_user_name(name: &[u8]) -> bool {
    name.iter().any(|&c| c.is_ascii_whitespace() || c == 0 || c == 0x0b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::Acl;
    use crate::acl::describe::describe_user;

    fn acl() -> Acl {
        Acl::new(&crate::cmd::command_table(), None, false)
    }

    fn run(acl: &Acl, rules: &[&str]) -> Result<User, (usize, RuleError)> {
        let rules: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        apply_all(&acl.new_user(b"u"), &rules, &acl.cx())
    }

    fn line(acl: &Acl, rules: &[&str]) -> String {
        describe_user(&run(acl, rules).unwrap(), &acl.index)
    }

    #[test]
    fn describes_like_redis() {
        let a = acl();
        assert_eq!(line(&a, &[]), "off resetchannels -@all");
        assert_eq!(
            line(&a, &["on", "~k*", "%R~r*", "&ch*", "+@read"]),
            "on ~k* %R~r* resetchannels &ch* -@all +@read"
        );
        assert_eq!(line(&a, &["%R~a", "%W~a", "%W~b"]), "off ~a %W~b resetchannels -@all");
        assert_eq!(
            line(&a, &["+@all", "-client", "+client|id"]),
            "off resetchannels +@all -client +client|id"
        );
        assert_eq!(
            line(&a, &["+select|0", "+SELECT|1"]),
            "off resetchannels -@all +select|0 +select|1"
        );
        assert_eq!(
            line(&a, &["reset", "(~x +get)", "()"]),
            "off sanitize-payload resetchannels -@all (~x resetchannels -@all +get) (resetchannels -@all)"
        );
        assert!(line(&a, &[">pw", ">pw"]).matches('#').count() == 1);
    }

    #[test]
    fn refuses_like_redis() {
        let a = acl();
        let err = |rules: &[&str]| run(&a, rules).unwrap_err();
        assert_eq!(err(&["foo"]), (0, RuleError::Syntax));
        assert_eq!(err(&["on", "+nosuch"]), (1, RuleError::UnknownCommand));
        assert_eq!(err(&["+get|x|y"]), (0, RuleError::UnknownCommand));
        assert_eq!(err(&["+acl|setuser|x"]), (0, RuleError::FirstArgOfSubcommand));
        assert_eq!(err(&["+config|"]), (0, RuleError::Syntax));
        assert_eq!(err(&["-get|x"]), (0, RuleError::UnknownCommand));
        assert_eq!(err(&["#abc"]), (0, RuleError::BadHash));
        assert_eq!(err(&["<nope"]), (0, RuleError::NoSuchPassword));
        assert_eq!(err(&["~*", "~x"]), (1, RuleError::KeyAfterAllKeys));
        assert_eq!(err(&["&*", "&x"]), (1, RuleError::ChannelAfterAllChannels));
        assert_eq!(err(&["%RR~x"]), (0, RuleError::Syntax));
        assert_eq!(err(&["%~x"]), (0, RuleError::Syntax));
        assert_eq!(err(&["(on)"]), (0, RuleError::Syntax));
        // `%RW~*` is a plain pattern, so more patterns may follow.
        assert!(run(&a, &["%RW~*", "~y"]).is_ok());
        // Hostile sizes are just patterns.
        let big = format!("~{}", "*".repeat(100_000));
        assert!(run(&a, &[&big]).is_ok());
    }

    #[test]
    fn merges_split_selectors() {
        let args: Vec<Vec<u8>> =
            ["on", "(~x", "+get)", "(~y)"].iter().map(|s| s.as_bytes().to_vec()).collect();
        let merged = merge_selectors(&args).unwrap();
        assert_eq!(merged, vec![b"on".to_vec(), b"(~x +get)".to_vec(), b"(~y)".to_vec()]);
        let open: Vec<Vec<u8>> = ["(~x", "+get"].iter().map(|s| s.as_bytes().to_vec()).collect();
        assert_eq!(merge_selectors(&open), Err(0));
        assert_eq!(merge_selectors(&[Vec::new()]).unwrap(), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn checks_commands_keys_channels() {
        use crate::acl::check::{Denied, check};
        use bytes::Bytes;
        let a = acl();
        let u =
            run(&a, &["~k*", "%R~r*", "&c*", "+get", "+set", "+publish", "(~s* +del)"]).unwrap();
        let argv = |xs: &[&str]| {
            xs.iter().map(|x| Bytes::copy_from_slice(x.as_bytes())).collect::<Vec<_>>()
        };
        let table = crate::cmd::command_table();
        let go = |xs: &[&str]| {
            let args = argv(xs);
            let cmd = match table.lookup(&args) {
                crate::engine::table::Lookup::Found(c) => c,
                _ => panic!("{xs:?}"),
            };
            check(&u, &a.index, cmd, &args)
        };
        assert_eq!(go(&["get", "k1"]), Ok(()));
        assert_eq!(go(&["get", "r1"]), Ok(()));
        assert_eq!(go(&["set", "r1", "v"]), Err((Denied::Key, 1)));
        assert_eq!(go(&["incr", "k1"]), Err((Denied::Command, 0)));
        assert_eq!(go(&["del", "s1"]), Ok(()));
        assert_eq!(go(&["del", "k1"]), Err((Denied::Key, 1)));
        assert_eq!(go(&["publish", "c1", "m"]), Ok(()));
        assert_eq!(go(&["publish", "x", "m"]), Err((Denied::Channel, 1)));
        // Unauthenticated commands are never refused for the command itself.
        assert_eq!(go(&["auth", "x"]), Ok(()));
    }
}
