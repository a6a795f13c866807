//! `access(path, X_OK)` without `unsafe`: the scripts `sentinel notification-script` and
//! `client-reconfig-script` name must exist and be executable by this process.
//!
//! The effective user and groups come from `/proc/self/status` (Linux); where it cannot
//! be read, any execute bit counts.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// The effective uid, effective gid and supplementary groups of this process.
fn credentials() -> Option<(u32, u32, Vec<u32>)> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<Vec<u32>> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        Some(line[name.len()..].split_whitespace().filter_map(|w| w.parse().ok()).collect())
    };
    let uid = *field("Uid:")?.get(1)?;
    let gid = *field("Gid:")?.get(1)?;
    Some((uid, gid, field("Groups:").unwrap_or_default()))
}

/// True when `access(path, X_OK)` would succeed.
pub(crate) fn executable(path: &str) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    let mode = meta.permissions().mode();
    match credentials() {
        // root may execute anything with an execute bit (and search any directory).
        Some((0, _, _)) => meta.is_dir() || mode & 0o111 != 0,
        Some((uid, gid, groups)) => {
            if meta.uid() == uid {
                mode & 0o100 != 0
            } else if meta.gid() == gid || groups.contains(&meta.gid()) {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            }
        }
        None => mode & 0o111 != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_are_executable_files_are_not() {
        assert!(executable("/bin/sh"));
        assert!(!executable("/nonexistent/script.sh"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.sh");
        fs::write(&f, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!executable(f.to_str().unwrap()));
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(executable(f.to_str().unwrap()));
    }
}
