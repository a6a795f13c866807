//! The propagation encoder: executed commands → the replication stream bytes.
//!
//! Mirrors Redis 7.0 `replicationFeedSlaves` (the `slaveseldb` rule),
//! `propagatePendingCommands` (MULTI/EXEC wrapping) and the argv rewrites the command
//! implementations make for determinism (`setGenericCommand`, `expireGenericCommand`,
//! `getexCommand`, `incrbyfloatCommand`, `propagateDeletion`). Every byte produced here
//! must be fed to the backlog, so `master_repl_offset` advances by exactly its length.
//!
//! ## Golden forms (observed on redis-server 7.0.15, `tests/python/test_repl_wire.py`)
//! ```text
//! client command                  propagated argv
//! SET foo bar                     SET foo bar                (client's case kept)
//! set k v EX 100                  SET k v PXAT <now+100000>  (name uppercased)
//! SET k v PX 100000               SET k v PXAT <now+100000>
//! SET k v EXAT 99999999999        SET k v PXAT 99999999999000
//! SET n v NX EX 10 / … EX 10 GET  SET n v PXAT <ms>          (NX/XX/GET dropped)
//! SET k v PXAT <ms> / KEEPTTL     verbatim
//! SETEX s 100 v / PSETEX s 1e5 v  SET s v PXAT <ms>
//! expire foo 100                  PEXPIREAT foo <now+100000>  (other args kept: NX…)
//! PEXPIRE / EXPIREAT              PEXPIREAT foo <abs ms>;  PEXPIREAT: verbatim
//! EXPIRE k -1 (already expired)   DEL k   (UNLINK with lazyfree-lazy-expire)
//! GETEX k EX|PX|EXAT|PXAT t       PEXPIREAT k <abs ms>
//! GETEX k PERSIST (had a TTL)     PERSIST k
//! GETEX k EXAT <past>             DEL k   (UNLINK with lazyfree-lazy-expire)
//! GETEX k (no option)             nothing
//! INCRBYFLOAT f 1.5               SET f 1.5 KEEPTTL
//! key expired on access / evicted DEL k   (UNLINK with lazyfree-lazy-expire/-eviction)
//! SELECT 3; SET x 1               *2 SELECT 3, then SET x 1   (only when the db changes)
//! MULTI; SET a 1; INCR a; EXEC    MULTI, SET a 1, INCR a, EXEC
//! MULTI; SET a 1; EXEC            SET a 1                    (one write: no wrapping)
//! MULTI; GET a; EXEC              nothing
//! ```
//!
//! ## Caveats
//! * The engine decides *whether* a command propagates (dirty, `also_propagate`); these
//!   functions only shape what is sent. Scripts, SPOP → SREM and friends are not here.

use bytes::Bytes;

/// A command to propagate: db index and argv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagated {
    pub db: i64,
    pub argv: Vec<Bytes>,
}

/// Appends `argv` as a RESP multibulk (`*<n>\r\n` then `$<len>\r\n<arg>\r\n` each).
pub fn encode_multibulk(argv: &[Bytes], out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(num.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(num.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The stream encoder, holding `server.slaveseldb`.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The db the replicas last saw a SELECT for; -1 forces the next SELECT.
    seldb: i64,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// Starts with no db selected, so the first command is preceded by SELECT.
    pub fn new() -> Self {
        Feed { seldb: -1 }
    }

    /// Forces a SELECT before the next command. Redis does this whenever a full resync
    /// starts (`replicationSetupSlaveForFullResync`) and when a replica becomes master.
    pub fn force_select(&mut self) {
        self.seldb = -1;
    }

    /// The db the replicas last saw selected (-1: none yet). PINGs and GETACKs are sent
    /// "in" it so they never cause a SELECT.
    pub fn selected_db(&self) -> i64 {
        self.seldb
    }

    /// `replicationFeedSlaves`: appends `SELECT <db>` if `db` differs from the last
    /// one sent, then the command. Returns the number of bytes appended (by which
    /// `master_repl_offset` advances).
    pub fn encode(&mut self, db: i64, argv: &[Bytes], out: &mut Vec<u8>) -> usize {
        let start = out.len();
        if self.seldb != db {
            let mut num = itoa::Buffer::new();
            let d = num.format(db);
            out.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$");
            out.extend_from_slice(itoa::Buffer::new().format(d.len()).as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(d.as_bytes());
            out.extend_from_slice(b"\r\n");
            self.seldb = db;
        }
        encode_multibulk(argv, out);
        out.len() - start
    }

    /// `propagatePendingCommands`: the commands one call (or EXEC) produced. More than
    /// one is wrapped in MULTI … EXEC; MULTI carries the first command's db (so SELECT
    /// precedes it) and EXEC the last one's. An empty list produces nothing. `in_multi`
    /// (`propagate_no_multi`, e.g. already inside a replicated MULTI) disables wrapping.
    pub fn encode_all(&mut self, cmds: &[Propagated], in_multi: bool, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let wrap = cmds.len() > 1 && !in_multi;
        if wrap {
            self.encode(cmds[0].db, &[Bytes::from_static(b"MULTI")], out);
        }
        for c in cmds {
            self.encode(c.db, &c.argv, out);
        }
        if wrap {
            let last = cmds[cmds.len() - 1].db;
            self.encode(last, &[Bytes::from_static(b"EXEC")], out);
        }
        out.len() - start
    }
}

// ===== determinism rewrites =====

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

fn num(n: i64) -> Bytes {
    Bytes::from(itoa::Buffer::new().format(n).to_owned())
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// `SET key value PXAT <ms>`: the form `setGenericCommand` propagates for any SET that
/// set a TTL other than by PXAT (and for SETEX/PSETEX). Other flags (NX, XX, GET) are
/// dropped.
pub fn set_pxat(key: &Bytes, value: &Bytes, pxat_ms: i64) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"SET"),
        key.clone(),
        value.clone(),
        Bytes::from_static(b"PXAT"),
        num(pxat_ms),
    ]
}

/// The argv to propagate for an executed `SET`, given the wall clock `unix_ms` at
/// execution. `None` means "propagate verbatim" (no TTL option, KEEPTTL, or PXAT).
/// Assumes argv was already validated by the command.
pub fn rewrite_set(argv: &[Bytes], unix_ms: i64) -> Option<Vec<Bytes>> {
    let (key, value) = (argv.get(1)?, argv.get(2)?);
    let mut i = 3;
    while i < argv.len() {
        let a = &argv[i];
        let next = argv.get(i + 1).and_then(|v| parse_i64(v));
        let ms = if eq(a, "EX") {
            next?.checked_mul(1000)?.checked_add(unix_ms)
        } else if eq(a, "PX") {
            next?.checked_add(unix_ms)
        } else if eq(a, "EXAT") {
            next?.checked_mul(1000)
        } else {
            i += 1;
            continue;
        };
        return Some(set_pxat(key, value, ms?));
    }
    None
}

/// `SETEX key seconds value` / `PSETEX key ms value` → `SET key value PXAT <abs ms>`.
pub fn rewrite_setex(argv: &[Bytes], unix_ms: i64) -> Option<Vec<Bytes>> {
    let (key, when, value) = (argv.get(1)?, parse_i64(argv.get(2)?)?, argv.get(3)?);
    let ms = if eq(&argv[0], "SETEX") { when.checked_mul(1000)? } else { when };
    Some(set_pxat(key, value, ms.checked_add(unix_ms)?))
}

/// `expireGenericCommand` for a TTL that was set: EXPIRE/PEXPIRE/EXPIREAT become
/// `PEXPIREAT key <abs ms> [rest…]` (trailing NX/XX/GT/LT kept); PEXPIREAT is
/// propagated verbatim (client's case). `None` for an unknown command name.
pub fn rewrite_expire(argv: &[Bytes], unix_ms: i64) -> Option<Vec<Bytes>> {
    let name = argv.first()?;
    let when = parse_i64(argv.get(2)?)?;
    let abs = if eq(name, "EXPIRE") {
        when.checked_mul(1000)?.checked_add(unix_ms)?
    } else if eq(name, "PEXPIRE") {
        when.checked_add(unix_ms)?
    } else if eq(name, "EXPIREAT") {
        when.checked_mul(1000)?
    } else if eq(name, "PEXPIREAT") {
        return Some(argv.to_vec());
    } else {
        return None;
    };
    let mut out = Vec::with_capacity(argv.len());
    out.push(Bytes::from_static(b"PEXPIREAT"));
    out.push(argv[1].clone());
    out.push(num(abs));
    out.extend_from_slice(&argv[3..]);
    Some(out)
}

/// What an executed `GETEX` propagates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetexEffect {
    /// No option, or PERSIST on a key without TTL: nothing.
    None,
    /// A TTL in the future, as absolute ms: `PEXPIREAT key <ms>`.
    ExpireAt(i64),
    /// PERSIST removed a TTL: `PERSIST key`.
    Persist,
    /// The time was already past, the key was deleted: `DEL`/`UNLINK key`.
    Deleted,
}

/// `getexCommand`'s rewrites. `lazyfree_lazy_expire` picks UNLINK over DEL.
pub fn rewrite_getex(
    key: &Bytes,
    effect: GetexEffect,
    lazyfree_lazy_expire: bool,
) -> Option<Vec<Bytes>> {
    match effect {
        GetexEffect::None => None,
        GetexEffect::ExpireAt(ms) => {
            Some(vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), num(ms)])
        }
        GetexEffect::Persist => Some(vec![Bytes::from_static(b"PERSIST"), key.clone()]),
        GetexEffect::Deleted => Some(deletion(key, lazyfree_lazy_expire)),
    }
}

/// `propagateDeletion` (and the already-expired paths of EXPIRE/SET/GETEX): `DEL key`,
/// or `UNLINK key` when the matching lazyfree option is on (`lazyfree-lazy-expire` for
/// expiry, `lazyfree-lazy-eviction` for eviction).
pub fn deletion(key: &Bytes, lazy: bool) -> Vec<Bytes> {
    let name: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
    vec![Bytes::from_static(name), key.clone()]
}

/// `incrbyfloatCommand`: propagated as `SET key <new value> KEEPTTL` so float
/// formatting differences cannot make replicas diverge.
pub fn incrbyfloat_as_set(key: &Bytes, new_value: &Bytes) -> Vec<Bytes> {
    vec![Bytes::from_static(b"SET"), key.clone(), new_value.clone(), Bytes::from_static(b"KEEPTTL")]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    const NOW: i64 = 1_795_593_282_684;

    #[test]
    fn first_command_is_preceded_by_select() {
        // Observed: a fresh replica stream starts `*2 SELECT 0` then `SET foo bar`.
        let mut f = Feed::new();
        let mut out = Vec::new();
        let n = f.encode(0, &v(&["SET", "foo", "bar"]), &mut out);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"
        );
        assert_eq!(n, 23 + 31);
    }

    #[test]
    fn select_only_when_db_changes() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        f.encode(0, &v(&["SET", "y", "1"]), &mut out);
        out.clear();
        f.encode(0, &v(&["SET", "y", "1"]), &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1\r\n1\r\n");
        out.clear();
        f.encode(12, &v(&["SET", "x", "1"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3"));
        f.force_select();
        out.clear();
        f.encode(12, &v(&["PING"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"));
    }

    #[test]
    fn multi_exec_wraps_more_than_one_command_with_select_before_multi() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        let cmds = [
            Propagated { db: 0, argv: v(&["SET", "a", "1"]) },
            Propagated { db: 0, argv: v(&["INCR", "a"]) },
        ];
        f.encode_all(&cmds, false, &mut out);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn single_write_in_exec_is_not_wrapped_and_empty_exec_sends_nothing() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        f.encode(0, &v(&["PING"]), &mut out);
        out.clear();
        f.encode_all(&[Propagated { db: 0, argv: v(&["SET", "a", "1"]) }], false, &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
        out.clear();
        assert_eq!(f.encode_all(&[], false, &mut out), 0);
    }

    #[test]
    fn set_ex_propagates_as_uppercase_set_pxat_dropping_flags() {
        let got = rewrite_set(&v(&["set", "k", "v", "NX", "EX", "100", "GET"]), NOW).unwrap();
        assert_eq!(got, v(&["SET", "k", "v", "PXAT", "1795593382684"]));
        let got = rewrite_set(&v(&["SET", "k3", "v", "exat", "99999999999"]), NOW).unwrap();
        assert_eq!(got, v(&["SET", "k3", "v", "PXAT", "99999999999000"]));
        let got = rewrite_set(&v(&["SET", "k2", "v", "PX", "100000"]), NOW).unwrap();
        assert_eq!(got, v(&["SET", "k2", "v", "PXAT", "1795593382684"]));
    }

    #[test]
    fn set_pxat_and_keepttl_propagate_verbatim() {
        assert_eq!(rewrite_set(&v(&["SET", "k", "v", "PXAT", "5"]), NOW), None);
        assert_eq!(rewrite_set(&v(&["SET", "k", "v", "KEEPTTL"]), NOW), None);
        assert_eq!(rewrite_set(&v(&["SET", "k", "v"]), NOW), None);
    }

    #[test]
    fn setex_and_psetex_become_set_pxat() {
        assert_eq!(
            rewrite_setex(&v(&["setex", "s", "100", "v"]), NOW).unwrap(),
            v(&["SET", "s", "v", "PXAT", "1795593382684"])
        );
        assert_eq!(
            rewrite_setex(&v(&["PSETEX", "s", "100000", "v"]), NOW).unwrap(),
            v(&["SET", "s", "v", "PXAT", "1795593382684"])
        );
    }

    #[test]
    fn expire_family_becomes_pexpireat_keeping_condition_flags() {
        assert_eq!(
            rewrite_expire(&v(&["expire", "foo", "100"]), NOW).unwrap(),
            v(&["PEXPIREAT", "foo", "1795593382684"])
        );
        assert_eq!(
            rewrite_expire(&v(&["PEXPIRE", "foo", "100000", "NX"]), NOW).unwrap(),
            v(&["PEXPIREAT", "foo", "1795593382684", "NX"])
        );
        assert_eq!(
            rewrite_expire(&v(&["EXPIREAT", "foo", "99999999999"]), NOW).unwrap(),
            v(&["PEXPIREAT", "foo", "99999999999000"])
        );
        assert_eq!(
            rewrite_expire(&v(&["pexpireat", "foo", "7"]), NOW).unwrap(),
            v(&["pexpireat", "foo", "7"])
        );
    }

    #[test]
    fn getex_rewrites_to_pexpireat_persist_or_del() {
        let k = Bytes::from_static(b"s1");
        assert_eq!(
            rewrite_getex(&k, GetexEffect::ExpireAt(9), false).unwrap(),
            v(&["PEXPIREAT", "s1", "9"])
        );
        assert_eq!(rewrite_getex(&k, GetexEffect::Persist, false).unwrap(), v(&["PERSIST", "s1"]));
        assert_eq!(rewrite_getex(&k, GetexEffect::Deleted, false).unwrap(), v(&["DEL", "s1"]));
        assert_eq!(rewrite_getex(&k, GetexEffect::Deleted, true).unwrap(), v(&["UNLINK", "s1"]));
        assert_eq!(rewrite_getex(&k, GetexEffect::None, false), None);
    }

    #[test]
    fn expired_key_propagates_del_or_unlink() {
        let k = Bytes::from_static(b"e");
        let mut out = Vec::new();
        encode_multibulk(&deletion(&k, false), &mut out);
        assert_eq!(out, b"*2\r\n$3\r\nDEL\r\n$1\r\ne\r\n");
        assert_eq!(deletion(&k, true), v(&["UNLINK", "e"]));
    }

    #[test]
    fn incrbyfloat_propagates_as_set_keepttl() {
        let got = incrbyfloat_as_set(&Bytes::from_static(b"f"), &Bytes::from_static(b"1.5"));
        let mut out = Vec::new();
        encode_multibulk(&got, &mut out);
        assert_eq!(out, b"*4\r\n$3\r\nSET\r\n$1\r\nf\r\n$3\r\n1.5\r\n$7\r\nKEEPTTL\r\n");
    }
}
