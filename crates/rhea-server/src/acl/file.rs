//! The ACL file (`aclfile`): ACL LOAD (`ACLLoadFromFile`) and ACL SAVE (`ACLSaveToFile`).
//!
//! Loading builds a whole new user set and reports every bad line; any error keeps the
//! current users. A file without a default user gets a fresh one (`+@all ~* &* on
//! nopass`). Saving writes the ACL LIST lines to a temporary file renamed over the old.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::user::User;
use super::{Acl, DEFAULT_USER, rules};

/// Parse `text` (the content of `path`) into a user set, or the error text ACL LOAD
/// replies with (without the `ERR ` prefix).
pub fn parse(acl: &Acl, path: &str, text: &[u8]) -> Result<BTreeMap<Vec<u8>, Arc<User>>, String> {
    let mut users: BTreeMap<Vec<u8>, Arc<User>> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
        let n = i + 1;
        let line = trim(raw);
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&c| c == b' ').map(|a| a.to_vec()).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{n} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if rules::bad_user_name(name) {
            errors.push_str(&format!(
                "'{path}:{n}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {n}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let merged = match rules::merge_selectors(&argv[2..]) {
            Ok(m) => m,
            Err(_) => {
                // No space after this one: Redis's text runs into the next.
                errors.push_str(&format!(
                    "{path}:{n}: Unmatched parenthesis in selector definition."
                ));
                continue;
            }
        };
        let mut u = acl.new_user(name);
        for r in &merged {
            if let Err(e) = rules::apply(&mut u, trim(r), &acl.cx()) {
                errors.push_str(&format!("{path}:{n}: {}. ", e.text()));
            }
        }
        users.insert(name.clone(), Arc::new(u));
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        return Err(errors);
    }
    if !users.contains_key(DEFAULT_USER) {
        users.insert(DEFAULT_USER.to_vec(), Arc::new(acl.fresh_default_user()));
    }
    Ok(users)
}

/// Read and parse the file at `path`.
pub fn load(acl: &Acl, path: &str) -> Result<BTreeMap<Vec<u8>, Arc<User>>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!("Error loading ACLs, opening file '{path}': {}", crate::config::strerror(&e))
    })?;
    parse(acl, path, &text)
}

/// Write every user's line to `path` (through a temporary file in the same directory).
pub fn save(acl: &Acl, path: &str) -> std::io::Result<()> {
    let mut text = String::new();
    for line in acl.user_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && b" \t\r\n".contains(first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && b" \t\r\n".contains(last)
    {
        s = rest;
    }
    s
}
