//! Users written back as rules: the ACL LIST / CONFIG REWRITE / ACL SAVE line
//! (`ACLDescribeUser`) and the pieces ACL GETUSER shows.
//!
//! Command permissions are stored as a bitmap, so the text is rebuilt from it as Redis
//! 7.0 does: start from `+@all` (if the reserved "future commands" bit is set) or
//! `-@all`, repeatedly apply the category that best matches what is left, then add or
//! remove single commands until the bitmap is exact. The categories chosen depend on the
//! commands that exist, so a table missing some of Redis's commands can pick differently
//! in mixed cases; single commands come in table order, not Redis's hash order.

use super::index::CommandIndex;
use super::rules::change_perm;
use super::user::{KeyPattern, Selector, User};
use crate::cmd::command::CATEGORIES;

/// The user's rules after its name (`ACLDescribeUser`).
pub fn describe_user(u: &User, ix: &CommandIndex) -> String {
    let mut out = String::new();
    for flag in flag_names(u) {
        out.push_str(flag);
        out.push(' ');
    }
    for p in &u.passwords {
        out.push('#');
        out.push_str(p);
        out.push(' ');
    }
    for (i, s) in u.selectors.iter().enumerate() {
        let d = describe_selector(s, ix);
        if i == 0 {
            out.push_str(&d);
        } else {
            out.push_str(" (");
            out.push_str(&d);
            out.push(')');
        }
    }
    out
}

/// Flag names in Redis's `ACLUserFlags` order.
pub fn flag_names(u: &User) -> Vec<&'static str> {
    let mut v = vec![if u.enabled { "on" } else { "off" }];
    if u.nopass {
        v.push("nopass");
    }
    match u.sanitize_payload {
        Some(false) => v.push("skip-sanitize-payload"),
        Some(true) => v.push("sanitize-payload"),
        None => {}
    }
    v
}

/// `~p` / `%R~p` / `%W~p`.
fn key_pattern(k: &KeyPattern) -> String {
    let prefix = match (k.read, k.write) {
        (true, false) => "%R~",
        (false, true) => "%W~",
        _ => "~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(&k.pattern))
}

/// The key patterns as GETUSER shows them (space-separated).
pub fn keys_text(s: &Selector) -> String {
    if s.all_keys {
        return "~*".into();
    }
    s.keys.iter().map(key_pattern).collect::<Vec<_>>().join(" ")
}

/// The channel patterns as GETUSER shows them.
pub fn channels_text(s: &Selector) -> String {
    if s.all_channels {
        return "&*".into();
    }
    s.channels
        .iter()
        .map(|c| format!("&{}", String::from_utf8_lossy(c)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ACLDescribeSelector`: keys, channels, then command rules.
pub fn describe_selector(s: &Selector, ix: &CommandIndex) -> String {
    let mut out = String::new();
    if s.all_keys {
        out.push_str("~* ");
    } else {
        for k in &s.keys {
            out.push_str(&key_pattern(k));
            out.push(' ');
        }
    }
    if s.all_channels {
        out.push_str("&* ");
    } else {
        out.push_str("resetchannels ");
        for c in &s.channels {
            out.push('&');
            out.push_str(&String::from_utf8_lossy(c));
            out.push(' ');
        }
    }
    out.push_str(&command_rules(s, ix));
    out
}

/// Commands of category `bit` whose bit is on / off in `s` (`ACLCountCategoryBitsForSelector`).
fn count_category(s: &Selector, ix: &CommandIndex, bit: u32) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    for id in 0..ix.len() {
        if ix.cats[id] & bit != 0 {
            if s.allows(id) {
                on += 1;
            } else {
                off += 1;
            }
        }
    }
    (on, off)
}

fn set_category(s: &mut Selector, ix: &CommandIndex, bit: u32, on: bool) {
    for id in 0..ix.len() {
        if ix.cats[id] & bit != 0 {
            change_perm(s, ix, id, on);
        }
    }
}

/// `ACLDescribeSelectorCommandRules`.
pub fn command_rules(s: &Selector, ix: &CommandIndex) -> String {
    let additive = !s.future_commands;
    let mut rules = String::from(if additive { "-@all " } else { "+@all " });
    // `fake` replays the rules emitted so far; `temp` is what is left to explain.
    let mut fake = Selector::new(ix.len(), false);
    if !additive {
        fake.allowed.iter_mut().for_each(|w| *w = u64::MAX);
    }
    let mut temp = s.clone();
    let mut applied = vec![false; CATEGORIES.len()];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, _) in CATEGORIES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = count_category(&temp, ix, 1 << j);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else { break };
        rules.push_str(if additive { "+@" } else { "-@" });
        rules.push_str(CATEGORIES[j]);
        rules.push(' ');
        set_category(&mut fake, ix, 1 << j, additive);
        set_category(&mut temp, ix, 1 << j, !additive);
        applied[j] = true;
    }
    for &id in &ix.top {
        single_commands(s, &mut fake, ix, id, &mut rules);
    }
    rules.pop();
    rules
}

/// The final pass for one command and its subcommands (`ACLDescribeSelectorCommandRulesSingleCommands`).
fn single_commands(
    s: &Selector,
    fake: &mut Selector,
    ix: &CommandIndex,
    id: usize,
    out: &mut String,
) {
    let userbit = s.allows(id);
    if userbit != fake.allows(id) {
        out.push(if userbit { '+' } else { '-' });
        out.push_str(ix.cmds[id].name);
        out.push(' ');
        change_perm(fake, ix, id, userbit);
    }
    for &sub in &ix.subs[id] {
        single_commands(s, fake, ix, sub, out);
    }
    if !userbit && let Some(args) = s.first_args_of(id) {
        for a in args {
            out.push('+');
            out.push_str(ix.cmds[id].name);
            out.push('|');
            out.push_str(a);
            out.push(' ');
        }
    }
}
