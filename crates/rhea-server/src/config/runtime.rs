//! CONFIG GET, CONFIG SET and CONFIG REWRITE on a loaded [`Config`], after Redis 7.0.15's
//! `configGetCommand`, `configSetCommand` and `rewriteConfig`.

use std::io;
use std::path::Path;

use rhea_keyspace::glob::glob_match;

use super::kinds::{self, SaveMode};
use super::params::{DENY_LOADING, IMMUTABLE, MULTI_ARG, PARAMS, Param, lookup};
use super::rewrite;
use super::settings::{Config, ProtectedAction};

/// What CONFIG SET needs to know about the caller.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetContext {
    /// The client is on loopback or the unix socket (`enable-protected-configs local`).
    pub client_is_local: bool,
    /// The server is loading a dataset (then `dir`, `appendonly` and
    /// `repl-diskless-load` answer `-LOADING`).
    pub loading: bool,
}

/// The reply Redis gives to a CONFIG SET whose side effect failed (`port` cannot be bound,
/// …). The engine restores its copy of the config and replies with this.
pub fn set_failed_error(name: &str, reason: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
}

/// `CONFIG_REPL_BACKLOG_MIN_SIZE`.
const REPL_BACKLOG_MIN_SIZE: u64 = 16 * 1024;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Config {
    /// CONFIG GET with one or more patterns. A pattern without `*?[` is an exact,
    /// case-insensitive name or alias (hidden parameters included) and is answered under
    /// the spelling asked for; a glob matches names and aliases case-insensitively and
    /// answers under the matching name. Each name appears once. Values are bytes because
    /// `requirepass` and `masterauth` may hold any.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        let seen = |out: &[(String, Vec<u8>)], key: &[u8]| {
            out.iter().any(|(k, _)| k.as_bytes().eq_ignore_ascii_case(key))
        };
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                if !seen(&out, pat)
                    && let Some((p, _)) = lookup(pat)
                {
                    out.push((lossy(pat), kinds::get(self, p)));
                }
                continue;
            }
            for p in PARAMS.iter().filter(|p| !p.has(super::params::HIDDEN)) {
                for name in std::iter::once(p.name).chain(p.alias) {
                    if !seen(&out, name.as_bytes()) && glob_match(pat, name.as_bytes(), true) {
                        out.push((name.to_string(), kinds::get(self, p)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with one or more `(name, value)` pairs, atomically: either every value
    /// is valid and set, or nothing changes and the error is Redis's (`ERR Unknown option
    /// or number of arguments for CONFIG SET - 'foo'`, `ERR CONFIG SET failed (possibly
    /// related to argument 'port') - …`). Returns the canonical names of the parameters
    /// whose value changed, for the engine's side effects (re-bind, resize, …). The
    /// caller is treated as a remote client outside loading; see [`Config::set_with`].
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        self.set_with(pairs, &SetContext::default())
    }

    /// [`Config::set`] for a given caller.
    pub fn set_with(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        ctx: &SetContext,
    ) -> Result<Vec<&'static str>, String> {
        // Phase 1 (as configSetCommand): find every parameter; the first problem wins.
        let mut chosen: Vec<(&'static Param, bool, &[u8])> = Vec::new();
        let mut error: Option<String> = None;
        for (name, value) in pairs {
            let Some((p, alias)) = lookup(name) else {
                error.get_or_insert_with(|| {
                    format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                        lossy(name)
                    )
                });
                continue;
            };
            if error.is_some() {
                continue;
            }
            let protected_ok = match self.enable_protected_configs {
                ProtectedAction::Yes => true,
                ProtectedAction::Local => ctx.client_is_local,
                ProtectedAction::No => false,
            };
            if p.has(IMMUTABLE) {
                error = Some(set_failed_error(&lossy(name), "can't set immutable config"));
            } else if p.is_protected() && !protected_ok {
                error = Some(set_failed_error(&lossy(name), "can't set protected config"));
            } else if ctx.loading && p.has(DENY_LOADING) {
                error = Some("LOADING Redis is loading the dataset in memory".into());
            } else if chosen.iter().any(|(q, a, _)| std::ptr::eq(*q, p) && *a == alias) {
                // Redis registers a name and its alias separately, so only the same
                // spelling (in any case) counts as a duplicate.
                error = Some(set_failed_error(&lossy(name), "duplicate parameter"));
            }
            chosen.push((p, alias, value));
        }
        if let Some(e) = error {
            return Err(e);
        }
        // Phase 2: set them in order; the first invalid value restores everything.
        let backup = self.clone();
        for (p, alias, value) in &chosen {
            let args: Vec<Vec<u8>> = if p.has(MULTI_ARG) {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(|&c| c == b' ').map(<[u8]>::to_vec).collect()
                }
            } else {
                vec![value.to_vec()]
            };
            if let Err(reason) = kinds::apply(self, p, &args, SaveMode::Replace) {
                *self = backup;
                let registered = if *alias { p.alias.unwrap_or(p.name) } else { p.name };
                return Err(set_failed_error(registered, &reason));
            }
        }
        let mut changed: Vec<&'static str> = Vec::new();
        for (p, _, _) in &chosen {
            if !changed.contains(&p.name) && kinds::get(self, p) != kinds::get(&backup, p) {
                changed.push(p.name);
            }
        }
        // Value adjustments Redis makes in its apply hooks, so CONFIG GET shows them:
        // resizeReplicationBacklog raises a changed backlog size to 16 KB.
        if changed.contains(&"repl-backlog-size") {
            self.repl_backlog_size = self.repl_backlog_size.max(REPL_BACKLOG_MIN_SIZE);
        }
        Ok(changed)
    }

    /// CONFIG REWRITE of the file at `path` (the absolute path start-up loaded). Keeps
    /// the file's comments and layout, replaces changed directives in place, appends new
    /// ones after `# Generated by CONFIG REWRITE`, drops lines whose value went back to the
    /// default, and replaces the file atomically. On error Redis replies
    /// `ERR Rewriting config file: <strerror>` (see [`super::strerror`]).
    pub fn rewrite(&self, path: &Path) -> io::Result<()> {
        let content = rewrite::render(self, path)?;
        rewrite::overwrite_atomically(path, &content)
    }

    /// The parameter called `name` (or with that alias), case-insensitively.
    pub fn param(name: &[u8]) -> Option<&'static Param> {
        lookup(name).map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cfg: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
        let pairs: Vec<(&[u8], &[u8])> =
            pairs.iter().map(|(a, b)| (a.as_bytes(), b.as_bytes())).collect();
        cfg.set(&pairs)
    }

    fn keys(v: &[(String, Vec<u8>)]) -> Vec<&str> {
        v.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn get_exact_glob_and_aliases() {
        let c = Config::default();
        assert_eq!(c.get(&[b"PORT"]), vec![("PORT".to_string(), b"6379".to_vec())]);
        assert_eq!(keys(&c.get(&[b"port", b"PORT"])), ["port"]);
        assert_eq!(keys(&c.get(&[b"PORT", b"p*t"])), ["PORT"]);
        assert_eq!(keys(&c.get(&[b"SLAVE-READ*"])), ["slave-read-only"]);
        assert_eq!(keys(&c.get(&[b"*read-only"])), ["replica-read-only", "slave-read-only"]);
        assert_eq!(keys(&c.get(&[b"key-load-delay"])), ["key-load-delay"]);
        assert!(c.get(&[b"key-load-*"]).is_empty());
        // 173 visible parameters and 19 aliases, as real 7.0.15 lists them.
        assert_eq!(c.get(&[b"*"]).len(), 192);
    }

    #[test]
    fn set_errors_are_redis_texts() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("maxmemory", "1"), ("foo", "bar"), ("daemonize", "yes")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&mut c, &[("daemonize", "yes"), ("foo", "bar")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            set(&mut c, &[("MAXMEMORY", "foo")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
        );
        assert_eq!(
            set(&mut c, &[("SLAVE-PRIORITY", "abc")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed \
             into an integer"
        );
        assert_eq!(
            set(&mut c, &[("port", "7777"), ("PORT", "7778")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"
        );
        assert_eq!(
            set(&mut c, &[("dir", "/tmp")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(c, Config::default());
    }

    #[test]
    fn set_is_atomic_and_reports_changes() {
        let mut c = Config::default();
        assert!(set(&mut c, &[("maxmemory", "1mb"), ("port", "x")]).is_err());
        assert_eq!(c.maxmemory, 0);
        let changed =
            set(&mut c, &[("maxmemory", "1mb"), ("port", "6379"), ("slave-read-only", "no")])
                .unwrap();
        assert_eq!(changed, ["maxmemory", "replica-read-only"]);
        assert_eq!(
            set(&mut c, &[("slave-read-only", "yes"), ("replica-read-only", "no")]).unwrap(),
            [] as [&str; 0]
        );
        assert!(!c.replica_read_only);
        set(&mut c, &[("save", "60 "), ("bind", "127.0.0.1 ::1")]).unwrap();
        assert_eq!(c.save_points, vec![(60, 0)]);
        assert_eq!(c.bind, ["127.0.0.1", "::1"]);
        assert!(set(&mut c, &[("save", "60  1")]).is_err());
    }

    #[test]
    fn protected_and_loading() {
        let mut c =
            Config { enable_protected_configs: ProtectedAction::Local, ..Config::default() };
        let local = SetContext { client_is_local: true, loading: false };
        assert!(c.set_with(&[(b"dbfilename", b"x.rdb")], &local).is_ok());
        assert!(c.set_with(&[(b"dbfilename", b"y.rdb")], &SetContext::default()).is_err());
        let loading = SetContext { client_is_local: true, loading: true };
        assert_eq!(
            c.set_with(&[(b"appendonly", b"no")], &loading).unwrap_err(),
            "LOADING Redis is loading the dataset in memory"
        );
    }
}
