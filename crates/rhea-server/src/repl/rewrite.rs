//! What an executed command propagates: its argv, its reply and a few facts about the
//! dataset → the argv vectors that replicas (and, later, the AOF) receive.
//!
//! `call()` asks [`propagation_forms`] once per command that changed the dataset (dirty
//! counter increased) or that Redis force-propagates (PUBLISH). It mirrors the rewrites
//! Redis 7.0.15's command implementations make for determinism: `rewriteClientCommand*`
//! in `setGenericCommand`, `getsetCommand`, `getexCommand`, `getdelCommand`,
//! `expireGenericCommand`, `incrbyfloatCommand`, `hincrbyfloatCommand`, `spopCommand`,
//! `restoreCommand`, the blocking pops (`blockingPopGenericCommand`,
//! `blmoveGenericCommand`, `blockingGenericZpopCommand`, `mpopGenericCommand`), and the
//! `alsoPropagate` + `preventCommandPropagation` pair of `spopWithCountCommand`.
//! Everything else goes out verbatim, with the client's spelling.
//!
//! ## Golden forms (observed on redis-server 7.0.15, `tests/python/test_repl_forms.py`)
//! `<now+N>` is the absolute ms time `unix_ms + N`; `[…]` is "the rest of argv as sent".
//! ```text
//! client command                      propagated argv
//! set k v                             set k v                     (verbatim, case kept)
//! set k v EX 100 / PX 100000          SET k v PXAT <now+100000>   (NX/XX/GET dropped)
//! SET k v EXAT 99999999999            SET k v PXAT 99999999999000
//! set k v pxat 99999999999999         SET k v PXAT 99999999999999 (rewritten too)
//! SET k v EXAT 1  (already past)      SET k v PXAT 1000           (no DEL: the key is
//!                                                                   expired on access)
//! set k v xx GET keepttl get          set k v xx keepttl          (every GET at ≥3 dropped)
//! setex k 100 v / PSETEX k 100000 v   SET k v PXAT <now+100000>
//! getset k v                          SET k v
//! getex k ex 100 / … PXAT t           PEXPIREAT k <now+100000> / PEXPIREAT k t
//! GETEX k PERSIST (had a TTL)         PERSIST k
//! GETEX k EXAT 1  (past: deleted)     DEL k   (UNLINK with lazyfree-lazy-expire)
//! GETEX k (no option)                 nothing
//! GETDEL k                            DEL k   (UNLINK with lazyfree-lazy-user-del)
//! expire k 100 / PEXPIRE k 1e5 nx     PEXPIREAT k <now+100000> [nx]
//! EXPIREAT k 99999999999              PEXPIREAT k 99999999999000
//! pexpireat k t                       pexpireat k t               (verbatim)
//! EXPIRE k -1 (past: deleted)         DEL k   (UNLINK with lazyfree-lazy-expire)
//! INCRBYFLOAT f 1.5                   SET f 2.5 KEEPTTL           (the reply's text)
//! hincrbyfloat h a 1.5                HSET h a 2.5
//! spop s                              SREM s <member>
//! SPOP s n  (n < size)                SREM s m1, SREM s m2, …     (one per member, reply
//!                                                                   order; no batching)
//! SPOP s n  (n ≥ size: key deleted)   DEL s   (always DEL, whatever lazyfree says)
//! SRANDMEMBER / HRANDFIELD / …        nothing
//! blpop … l 0 / BRPOP … l 0           LPOP l / RPOP l             (the key served)
//! blmove l d Right LEFT 0             LMOVE l d Right LEFT        (sides as sent; if
//!                                                                   served later: right left)
//! brpoplpush l d 0                    RPOPLPUSH l d
//! LMPOP 2 x l LEFT COUNT 10           LPOP l 3                    (count = popped)
//! BLMPOP 0 1 l RIGHT                  RPOP l 1
//! bzpopmin z 0 / BZPOPMAX … z 0       ZPOPMIN z / ZPOPMAX z
//! ZMPOP 1 z MIN COUNT 10 / BZMPOP …   ZPOPMIN z 3                 (count = popped)
//! restore k 100000 p [replace …]      restore k <now+100000> p [replace …] ABSTTL
//! RESTORE k 0 p / … ABSTTL            verbatim
//! RESTORE k 1 p REPLACE ABSTTL (past) DEL k   (always DEL)
//! PUBLISH ch msg                      verbatim (forced: propagated though not dirty)
//! ```
//! A blocked BLPOP/BLMOVE/BZMPOP/… served later propagates the same form as one served
//! at once (BLMOVE: with the sides spelled `left`/`right`, see [`Env::served_blocked`]),
//! after the command that served it (`RPUSH l a`, then `LPOP l`), not wrapped together.
//!
//! ## Caveats
//! * This decides *what* a command propagates, not *whether*: the engine calls it only
//!   for dirty or force-propagated commands. Keys expired or evicted while a command
//!   runs are propagated by the engine as `DEL`/`UNLINK` before it (Redis then wraps the
//!   pair in MULTI/EXEC), see [`super::feed`].
//! * Later Redis versions changed some of these (7.2's SPOP with a count sends SREMs of
//!   up to 1024 members and picks DEL/UNLINK by `lazyfree-lazy-server-del`); 7.0.15 is
//!   the target, and it sends one SREM per member and always DEL.
//! * Streams, scripts, SORT … STORE, MIGRATE, BITFIELD and GEO… STORE rewrite too but
//!   Rhea does not implement them.

use bytes::Bytes;
use rhea_resp::Reply;

/// Facts the rewrite needs beyond argv and reply.
pub struct Env<'a> {
    /// The command's fixed wall-clock time (`cmd_time_ms`): relative TTLs become
    /// absolute from it when the key's stored expiry is not available.
    pub unix_ms: i64,
    /// `lazyfree-lazy-expire`: EXPIRE/GETEX with a past time propagate UNLINK, not DEL.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-user-del`: GETDEL propagates UNLINK, not DEL.
    pub lazyfree_lazy_user_del: bool,
    /// Does the key exist in the client's db NOW (right after the command ran)? Tells
    /// whether EXPIRE/GETEX/RESTORE deleted it and whether SPOP emptied the set.
    pub key_exists: &'a dyn Fn(&[u8]) -> bool,
    /// The absolute expiry (ms) of a key now, if any. A new TTL is propagated as the
    /// value the master stored, so the replica ends up with exactly the same one.
    pub ttl_ms: &'a dyn Fn(&[u8]) -> Option<i64>,
    /// The command is a blocked client being served now (by the push that woke it), not
    /// one that ran from its request. Only BLMOVE cares: served later, Redis spells the
    /// sides `left`/`right` (its shared objects) instead of as the client sent them.
    pub served_blocked: bool,
}

/// The argv vectors to propagate for one executed command, in order (empty = nothing).
/// `argv[0]` is the command name as the client sent it; `reply` is what the command
/// answered (for a blocked command served later, the reply it was served with).
/// Several forms (SPOP with a count) are wrapped in MULTI/EXEC by the feed.
pub fn propagation_forms(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Vec<Vec<Bytes>> {
    rewritten_forms(argv, reply, env).unwrap_or_else(|| one(argv.to_vec()))
}

/// [`propagation_forms`] without copying the common case: `None` when the command
/// propagates verbatim, as `argv`.
pub fn rewritten_forms(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let Some(name) = argv.first() else { return Some(Vec::new()) };
    let mut buf = [0u8; 16];
    rewrite(lower(name, &mut buf), argv, reply, env)
}

/// The rewritten forms of command `name` (lowercase), or `None` for "verbatim".
fn rewrite(name: &str, argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    match name {
        "set" => set(argv, env),
        "setex" | "psetex" => setex(argv, env),
        "getset" => Some(one(vec![SET, argv.get(1)?.clone(), argv.get(2)?.clone()])),
        "getex" => getex(argv, reply, env),
        "getdel" => getdel(argv, reply, env),
        "expire" | "pexpire" | "expireat" | "pexpireat" => expire(argv, reply, env),
        "incrbyfloat" => {
            let key = argv.get(1)?;
            Some(bulk(reply).map(|v| vec![SET, key.clone(), v, KEEPTTL]).into_iter().collect())
        }
        "hincrbyfloat" => {
            let (key, field) = (argv.get(1)?, argv.get(2)?);
            Some(
                bulk(reply)
                    .map(|v| vec![HSET, key.clone(), field.clone(), v])
                    .into_iter()
                    .collect(),
            )
        }
        "spop" => spop(argv, reply, env),
        // Read-only and never dirty; listed so a stray call cannot replicate a random pick.
        "srandmember" | "hrandfield" | "zrandmember" | "randomkey" => Some(Vec::new()),
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => Some(blocking_pop(name, reply)),
        "blmove" => Some(served(reply, || {
            let side = |i: usize| match env.served_blocked {
                true if eq(&a(argv, i), "LEFT") => Bytes::from_static(b"left"),
                true => Bytes::from_static(b"right"),
                false => a(argv, i),
            };
            vec![LMOVE, a(argv, 1), a(argv, 2), side(3), side(4)]
        })),
        "brpoplpush" => Some(served(reply, || vec![RPOPLPUSH, a(argv, 1), a(argv, 2)])),
        "lmpop" | "zmpop" => mpop(argv, 1, reply),
        "blmpop" | "bzmpop" => mpop(argv, 2, reply),
        "restore" | "restore-asking" => restore(argv, reply, env),
        _ => None,
    }
}

// ===== names and small helpers =====

const SET: Bytes = Bytes::from_static(b"SET");
const PXAT: Bytes = Bytes::from_static(b"PXAT");
const KEEPTTL: Bytes = Bytes::from_static(b"KEEPTTL");
const PEXPIREAT: Bytes = Bytes::from_static(b"PEXPIREAT");
const PERSIST: Bytes = Bytes::from_static(b"PERSIST");
const HSET: Bytes = Bytes::from_static(b"HSET");
const SREM: Bytes = Bytes::from_static(b"SREM");
const DEL: Bytes = Bytes::from_static(b"DEL");
const UNLINK: Bytes = Bytes::from_static(b"UNLINK");
const LMOVE: Bytes = Bytes::from_static(b"LMOVE");
const RPOPLPUSH: Bytes = Bytes::from_static(b"RPOPLPUSH");
const ABSTTL: Bytes = Bytes::from_static(b"ABSTTL");

/// The command name lowercased into `buf`; "" if too long for any rewritten command.
fn lower<'b>(name: &[u8], buf: &'b mut [u8; 16]) -> &'b str {
    if name.len() > buf.len() {
        return "";
    }
    let out = &mut buf[..name.len()];
    out.copy_from_slice(name);
    out.make_ascii_lowercase();
    std::str::from_utf8(out).unwrap_or("")
}

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

fn num(n: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn one(argv: Vec<Bytes>) -> Vec<Vec<Bytes>> {
    vec![argv]
}

/// `argv[i]`, empty if missing (only after the command validated its arity).
fn a(argv: &[Bytes], i: usize) -> Bytes {
    argv.get(i).cloned().unwrap_or_default()
}

/// The text of a bulk-ish reply element.
fn bulk(r: &Reply) -> Option<Bytes> {
    match r {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => Some(b.clone()),
        Reply::Simple(s) => Some(Bytes::copy_from_slice(s.as_bytes())),
        Reply::Int(n) => Some(num(*n)),
        _ => None,
    }
}

fn items(r: &Reply) -> Option<&[Reply]> {
    match r {
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
        _ => None,
    }
}

/// The form of a pop that served something (a non-null reply), else nothing.
fn served(reply: &Reply, form: impl FnOnce() -> Vec<Bytes>) -> Vec<Vec<Bytes>> {
    match reply {
        Reply::Null | Reply::NullArray | Reply::Error(_) => Vec::new(),
        _ => one(form()),
    }
}

/// `DEL key`, or `UNLINK key` when the matching lazyfree option is on.
pub fn deletion(key: &Bytes, lazy: bool) -> Vec<Bytes> {
    vec![if lazy { UNLINK } else { DEL }, key.clone()]
}

/// The absolute expiry to propagate for `key`: the one the master stored, else
/// `computed` from argv and `unix_ms` (as Redis computes it).
fn stored_or(env: &Env<'_>, key: &[u8], computed: Option<i64>) -> Option<i64> {
    (env.ttl_ms)(key).or(computed)
}

/// A TTL option's value as absolute ms: EX/PX are relative to `now`, EXAT/PXAT absolute.
fn absolute(option: &[u8], value: i64, now: i64) -> Option<i64> {
    if eq(option, "EX") {
        value.checked_mul(1000)?.checked_add(now)
    } else if eq(option, "PX") {
        value.checked_add(now)
    } else if eq(option, "EXAT") {
        value.checked_mul(1000)
    } else if eq(option, "PXAT") {
        Some(value)
    } else {
        None
    }
}

// ===== strings =====

/// `setGenericCommand`: any TTL option (PXAT included) → `SET key value PXAT <ms>`,
/// dropping NX/XX/GET. Without one, every `GET` from index 3 on is removed and the rest
/// goes verbatim.
fn set(argv: &[Bytes], env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let (key, value) = (argv.get(1)?, argv.get(2)?);
    for (i, opt) in argv.iter().enumerate().skip(3) {
        let Some(v) = argv.get(i + 1).and_then(|v| parse_i64(v)) else { continue };
        if let Some(ms) = absolute(opt, v, env.unix_ms) {
            let ms = stored_or(env, key, Some(ms))?;
            return Some(one(vec![SET, key.clone(), value.clone(), PXAT, num(ms)]));
        }
    }
    if !argv.iter().skip(3).any(|x| eq(x, "GET")) {
        return None;
    }
    let kept = argv.iter().enumerate().filter(|(i, x)| *i < 3 || !eq(x, "GET"));
    Some(one(kept.map(|(_, x)| x.clone()).collect()))
}

/// `SETEX key seconds value` / `PSETEX key ms value` → `SET key value PXAT <ms>`.
fn setex(argv: &[Bytes], env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let (key, when, value) = (argv.get(1)?, parse_i64(argv.get(2)?)?, argv.get(3)?);
    let opt: &[u8] = if eq(&argv[0], "SETEX") { b"EX" } else { b"PX" };
    let ms = stored_or(env, key, absolute(opt, when, env.unix_ms))?;
    Some(one(vec![SET, key.clone(), value.clone(), PXAT, num(ms)]))
}

/// `getexCommand`: a TTL → `PEXPIREAT key <ms>`, or DEL/UNLINK if it was already past
/// (the key is gone); PERSIST → `PERSIST key`; no option (never dirty) → nothing.
fn getex(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let key = argv.get(1)?;
    if bulk(reply).is_none() {
        return Some(Vec::new());
    }
    for (i, opt) in argv.iter().enumerate().skip(2) {
        if eq(opt, "PERSIST") {
            return Some(one(vec![PERSIST, key.clone()]));
        }
        let Some(v) = argv.get(i + 1).and_then(|v| parse_i64(v)) else { continue };
        if let Some(ms) = absolute(opt, v, env.unix_ms) {
            if !(env.key_exists)(key) {
                return Some(one(deletion(key, env.lazyfree_lazy_expire)));
            }
            let ms = stored_or(env, key, Some(ms))?;
            return Some(one(vec![PEXPIREAT, key.clone(), num(ms)]));
        }
    }
    Some(Vec::new())
}

/// `getdelCommand`: `DEL key`, or `UNLINK key` with `lazyfree-lazy-user-del`.
fn getdel(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let key = argv.get(1)?;
    Some(match bulk(reply) {
        Some(_) => one(deletion(key, env.lazyfree_lazy_user_del)),
        None => Vec::new(),
    })
}

// ===== keys =====

/// `expireGenericCommand` when it answered 1: the key is gone (the time was past) →
/// DEL/UNLINK by `lazyfree-lazy-expire`; PEXPIREAT → verbatim; EXPIRE/PEXPIRE/EXPIREAT →
/// `PEXPIREAT key <ms>` followed by the client's NX/XX/GT/LT.
fn expire(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let key = argv.get(1)?;
    if *reply != Reply::Int(1) {
        return Some(Vec::new());
    }
    if !(env.key_exists)(key) {
        return Some(one(deletion(key, env.lazyfree_lazy_expire)));
    }
    let name = &argv[0];
    if eq(name, "PEXPIREAT") {
        return None;
    }
    let opt: &[u8] = if eq(name, "EXPIRE") {
        b"EX"
    } else if eq(name, "PEXPIRE") {
        b"PX"
    } else {
        b"EXAT"
    };
    let ms = stored_or(env, key, absolute(opt, parse_i64(argv.get(2)?)?, env.unix_ms))?;
    let mut out = vec![PEXPIREAT, key.clone(), num(ms)];
    out.extend_from_slice(argv.get(3..)?);
    Some(one(out))
}

/// `restoreCommand`: a past time deleted the key → `DEL key` (always DEL in 7.0.15); a
/// relative TTL → the argv with the TTL absolute and `ABSTTL` appended (name as sent).
fn restore(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let (key, ttl) = (argv.get(1)?, parse_i64(argv.get(2)?)?);
    if !matches!(reply, Reply::Simple(_)) {
        return Some(Vec::new());
    }
    if !(env.key_exists)(key) {
        return Some(one(deletion(key, false)));
    }
    if ttl == 0 || argv.iter().skip(4).any(|x| eq(x, "ABSTTL")) {
        return None;
    }
    let ms = stored_or(env, key, absolute(b"PX", ttl, env.unix_ms))?;
    let mut out = argv.to_vec();
    out[2] = num(ms);
    out.push(ABSTTL);
    Some(one(out))
}

// ===== sets =====

/// `spopCommand`: `SREM key member`. With a count (`spopWithCountCommand`): the whole set
/// popped (the key is gone) → `DEL key`; otherwise one `SREM key member` per member, in
/// reply order (7.0.15 does not batch them).
fn spop(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Option<Vec<Vec<Bytes>>> {
    let key = argv.get(1)?;
    if argv.len() == 2 {
        return Some(match bulk(reply) {
            Some(m) => one(vec![SREM, key.clone(), m]),
            None => Vec::new(),
        });
    }
    let members = items(reply).unwrap_or_default();
    if members.is_empty() {
        return Some(Vec::new());
    }
    if !(env.key_exists)(key) {
        return Some(one(vec![DEL, key.clone()]));
    }
    Some(members.iter().filter_map(bulk).map(|m| vec![SREM, key.clone(), m]).collect())
}

// ===== blocking and multi-key pops =====

/// BLPOP/BRPOP → `LPOP|RPOP key`, BZPOPMIN/BZPOPMAX → `ZPOPMIN|ZPOPMAX key`, for the key
/// named first in the reply.
fn blocking_pop(name: &str, reply: &Reply) -> Vec<Vec<Bytes>> {
    let Some(key) = items(reply).and_then(|r| r.first()).and_then(bulk) else {
        return Vec::new();
    };
    let pop: &'static [u8] = match name {
        "blpop" => b"LPOP",
        "brpop" => b"RPOP",
        "bzpopmin" => b"ZPOPMIN",
        _ => b"ZPOPMAX",
    };
    one(vec![Bytes::from_static(pop), key])
}

/// LMPOP/BLMPOP → `LPOP|RPOP key <popped>`, ZMPOP/BZMPOP → `ZPOPMIN|ZPOPMAX key
/// <popped>`, with the key and the count of elements from the reply and the side from
/// argv (after `numkeys`, at `numkeys_at`, and the keys).
fn mpop(argv: &[Bytes], numkeys_at: usize, reply: &Reply) -> Option<Vec<Vec<Bytes>>> {
    let Some([key, popped]) = items(reply) else { return Some(Vec::new()) };
    let (key, popped) = (bulk(key)?, items(popped)?.len());
    let numkeys = usize::try_from(parse_i64(argv.get(numkeys_at)?)?).ok()?;
    let side = argv.get(numkeys_at.checked_add(numkeys)?.checked_add(1)?)?;
    let pop: &'static [u8] = if eq(side, "LEFT") {
        b"LPOP"
    } else if eq(side, "RIGHT") {
        b"RPOP"
    } else if eq(side, "MIN") {
        b"ZPOPMIN"
    } else if eq(side, "MAX") {
        b"ZPOPMAX"
    } else {
        return None;
    };
    Some(one(vec![Bytes::from_static(pop), key, num(popped as i64)]))
}

#[cfg(test)]
mod tests {
    //! One test per family; the case names in comments are the ids of the same cases in
    //! `tests/python/test_repl_forms.py`, which pins them on a real 7.0.15 master. Its
    //! cases get-expired-key, set-over-expired-key, blpop-served-by-exec and
    //! getex-persist-no-ttl are the engine's part (expiry deletions, MULTI wrapping, the
    //! dirty rule) and have no counterpart here.

    use super::*;

    const NOW: i64 = 1_795_593_282_684;
    /// `NOW + 100 s`, as text.
    const IN_100S: &str = "1795593382684";

    /// The dataset right after the command, as `Env` reports it.
    #[derive(Default)]
    struct After {
        exists: &'static [&'static str],
        ttl: &'static [(&'static str, i64)],
        lazy_expire: bool,
        lazy_user_del: bool,
        served_blocked: bool,
    }

    /// The forms `cmd` (space-separated argv) propagates, each joined with spaces.
    fn forms(cmd: &str, reply: Reply, after: &After) -> Vec<String> {
        let argv: Vec<Bytes> =
            cmd.split_terminator(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        let ttl = |k: &[u8]| after.ttl.iter().find(|(n, _)| n.as_bytes() == k).map(|&(_, t)| t);
        let exists = |k: &[u8]| after.exists.iter().any(|n| n.as_bytes() == k) || ttl(k).is_some();
        let env = Env {
            unix_ms: NOW,
            lazyfree_lazy_expire: after.lazy_expire,
            lazyfree_lazy_user_del: after.lazy_user_del,
            key_exists: &exists,
            ttl_ms: &ttl,
            served_blocked: after.served_blocked,
        };
        let out = propagation_forms(&argv, &reply, &env);
        out.iter()
            .map(|f| f.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
            .collect()
    }

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn bulks(items: &[&str]) -> Vec<Reply> {
        items.iter().map(|s| bulk(s)).collect()
    }

    fn arr(items: Vec<Reply>) -> Reply {
        Reply::Array(items)
    }

    /// Nothing exists, every option off.
    const GONE: After = After {
        exists: &[],
        ttl: &[],
        lazy_expire: false,
        lazy_user_del: false,
        served_blocked: false,
    };
    const K: After = After { exists: &["k"], ..GONE };
    const K_100S: After = After { ttl: &[("k", NOW + 100_000)], ..GONE };

    #[test]
    fn set_with_any_ttl_becomes_set_pxat_and_get_is_stripped_otherwise() {
        // set-plain, set-keepttl, set-get-stripped
        assert_eq!(forms("set k v", Reply::ok(), &K), ["set k v"]);
        assert_eq!(forms("set k v keepttl", Reply::ok(), &K), ["set k v keepttl"]);
        assert_eq!(forms("set k v xx GET keepttl get", bulk("old"), &K), ["set k v xx keepttl"]);
        assert_eq!(forms("SET get get GET", Reply::Null, &K), ["SET get get"]);
        // set-ex, set-px-nx-get, set-exat, set-pxat-lower
        let want = format!("SET k v PXAT {IN_100S}");
        assert_eq!(forms("set k v EX 100", Reply::ok(), &K_100S), [want.as_str()]);
        assert_eq!(forms("set k v NX PX 100000 GET", Reply::Null, &K_100S), [want.as_str()]);
        let exat = After { ttl: &[("k", 99_999_999_999_000)], ..After::default() };
        assert_eq!(
            forms("SET k v EXAT 99999999999", Reply::ok(), &exat),
            ["SET k v PXAT 99999999999000"]
        );
        let pxat = After { ttl: &[("k", 99_999_999_999_999)], ..After::default() };
        assert_eq!(
            forms("set k v pxat 99999999999999", Reply::ok(), &pxat),
            ["SET k v PXAT 99999999999999"]
        );
        // set-exat-past: 7.0.15 stores the past TTL and propagates it, no DEL.
        assert_eq!(forms("SET k v EXAT 1", Reply::ok(), &GONE), ["SET k v PXAT 1000"]);
    }

    #[test]
    fn the_propagated_expiry_is_the_stored_one_else_computed_from_unix_ms() {
        let stored = After { ttl: &[("k", 7)], ..After::default() };
        assert_eq!(forms("SET k v EX 100", Reply::ok(), &stored), ["SET k v PXAT 7"]);
        assert_eq!(forms("expire k 100", Reply::Int(1), &stored), ["PEXPIREAT k 7"]);
        assert_eq!(forms("SET k v EX 100", Reply::ok(), &K), [format!("SET k v PXAT {IN_100S}")]);
        assert_eq!(forms("expire k 100", Reply::Int(1), &K), [format!("PEXPIREAT k {IN_100S}")]);
    }

    #[test]
    fn setex_psetex_and_getset_become_set() {
        // setex, psetex, getset
        let want = format!("SET k v PXAT {IN_100S}");
        assert_eq!(forms("setex k 100 v", Reply::ok(), &K), [want.as_str()]);
        assert_eq!(forms("PSETEX k 100000 v", Reply::ok(), &K), [want.as_str()]);
        assert_eq!(forms("getset k v", bulk("old"), &K), ["SET k v"]);
        assert_eq!(forms("getset k v", Reply::Null, &K), ["SET k v"]);
    }

    #[test]
    fn getex_becomes_pexpireat_persist_deletion_or_nothing() {
        // getex-ex, getex-pxat, getex-persist, getex-no-option, getex-past, getex-past-lazy
        assert_eq!(forms("getex k ex 100", bulk("v"), &K_100S), [format!("PEXPIREAT k {IN_100S}")]);
        let pxat = After { ttl: &[("k", 99_999_999_999_999)], ..After::default() };
        assert_eq!(
            forms("GETEX k PXAT 99999999999999", bulk("v"), &pxat),
            ["PEXPIREAT k 99999999999999"]
        );
        assert_eq!(forms("GETEX k PERSIST", bulk("v"), &K), ["PERSIST k"]);
        assert!(forms("GETEX k", bulk("v"), &K).is_empty());
        assert!(forms("GETEX k EX 100", Reply::Null, &GONE).is_empty());
        assert_eq!(forms("GETEX k EXAT 1", bulk("v"), &GONE), ["DEL k"]);
        let lazy = After { lazy_expire: true, ..After::default() };
        assert_eq!(forms("getex k pxat 1", bulk("v"), &lazy), ["UNLINK k"]);
        // getex-past-user-del: lazyfree-lazy-user-del does not apply to GETEX.
        let user = After { lazy_user_del: true, ..After::default() };
        assert_eq!(forms("GETEX k EXAT 1", bulk("v"), &user), ["DEL k"]);
    }

    #[test]
    fn getdel_becomes_del_or_unlink_by_lazyfree_lazy_user_del() {
        // getdel, getdel-lazy, getdel-expire-lazy, getdel-missing
        assert_eq!(forms("getdel k", bulk("v"), &GONE), ["DEL k"]);
        let user = After { lazy_user_del: true, ..After::default() };
        assert_eq!(forms("GETDEL k", bulk("v"), &user), ["UNLINK k"]);
        let expire = After { lazy_expire: true, ..After::default() };
        assert_eq!(forms("GETDEL k", bulk("v"), &expire), ["DEL k"]);
        assert!(forms("GETDEL k", Reply::Null, &GONE).is_empty());
    }

    #[test]
    fn expire_family_becomes_pexpireat_or_deletion() {
        // expire, pexpire-nx, expireat, pexpireat
        assert_eq!(
            forms("expire k 100", Reply::Int(1), &K_100S),
            [format!("PEXPIREAT k {IN_100S}")]
        );
        assert_eq!(
            forms("PEXPIRE k 100000 nx", Reply::Int(1), &K_100S),
            [format!("PEXPIREAT k {IN_100S} nx")]
        );
        let at = After { ttl: &[("k", 99_999_999_999_000)], ..After::default() };
        assert_eq!(
            forms("EXPIREAT k 99999999999", Reply::Int(1), &at),
            ["PEXPIREAT k 99999999999000"]
        );
        let at = After { ttl: &[("k", 99_999_999_999_999)], ..After::default() };
        assert_eq!(
            forms("pexpireat k 99999999999999", Reply::Int(1), &at),
            ["pexpireat k 99999999999999"]
        );
        // expire-gt-not-set, expire-missing
        assert!(forms("EXPIRE k 10 GT", Reply::Int(0), &K_100S).is_empty());
        assert!(forms("EXPIRE nope 100", Reply::Int(0), &GONE).is_empty());
        // expire-past, expire-past-server-del, pexpireat-past-lazy
        assert_eq!(forms("EXPIRE k -1", Reply::Int(1), &GONE), ["DEL k"]);
        let lazy = After { lazy_expire: true, ..After::default() };
        assert_eq!(forms("PEXPIREAT k 1", Reply::Int(1), &lazy), ["UNLINK k"]);
    }

    #[test]
    fn float_increments_propagate_the_result() {
        // incrbyfloat, incrbyfloat-exp, hincrbyfloat, hincrbyfloat-new-field
        assert_eq!(forms("INCRBYFLOAT f 1.5", bulk("2.5"), &K), ["SET f 2.5 KEEPTTL"]);
        assert_eq!(forms("incrbyfloat f 1e3", bulk("6000"), &K), ["SET f 6000 KEEPTTL"]);
        assert_eq!(forms("hincrbyfloat h a 1.5", bulk("2.5"), &K), ["HSET h a 2.5"]);
        assert_eq!(forms("HINCRBYFLOAT h b 2.0e2", bulk("200"), &K), ["HSET h b 200"]);
        assert!(
            forms("INCRBYFLOAT f x", Reply::err("ERR value is not a valid float"), &K).is_empty()
        );
    }

    #[test]
    fn spop_becomes_srem_per_member_or_del() {
        let s = After { exists: &["s"], ..After::default() };
        // spop, spop-count-some, spop-count-one, spop-count-case3
        assert_eq!(forms("spop s", bulk("a"), &GONE), ["SREM s a"]);
        assert!(forms("SPOP s", Reply::Null, &GONE).is_empty());
        assert_eq!(forms("SPOP s 2", Reply::Set(bulks(&["3", "1"])), &s), ["SREM s 3", "SREM s 1"]);
        assert_eq!(forms("spop s 1", Reply::Array(bulks(&["c"])), &s), ["SREM s c"]);
        // spop-count-all, spop-count-more, spop-count-all-lazy: the set is gone → DEL.
        assert_eq!(forms("SPOP s 2", Reply::Set(bulks(&["a", "b"])), &GONE), ["DEL s"]);
        let lazy = After { lazy_expire: true, lazy_user_del: true, ..After::default() };
        assert_eq!(forms("SPOP s 5", Reply::Set(bulks(&["a", "b"])), &lazy), ["DEL s"]);
        // spop-zero
        assert!(forms("SPOP s 0", Reply::Set(vec![]), &s).is_empty());
        // spop-big: 2500 single-member SREMs, no batching in 7.0.15.
        let members: Vec<String> = (0..2500).map(|i| format!("m{i}")).collect();
        let reply = Reply::Set(members.iter().map(|m| bulk(m)).collect());
        let got = forms("SPOP s 2500", reply, &s);
        let want: Vec<String> = members.iter().map(|m| format!("SREM s {m}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn random_reads_propagate_nothing() {
        // srandmember
        assert!(forms("SRANDMEMBER s -5", Reply::Array(bulks(&["a", "a"])), &K).is_empty());
        assert!(forms("hrandfield h", bulk("a"), &K).is_empty());
    }

    #[test]
    fn blocking_pops_become_their_plain_forms_for_the_served_key() {
        // blpop-now, brpop-now, blpop-served, brpop-served
        assert_eq!(forms("blpop nope l 0", arr(bulks(&["l", "a"])), &K), ["LPOP l"]);
        assert_eq!(forms("BRPOP nope l 0", arr(bulks(&["l", "c"])), &K), ["RPOP l"]);
        assert!(forms("BLPOP l 1", Reply::NullArray, &K).is_empty());
        // bzpopmin-now, bzpopmax-served
        let z = arr(vec![bulk("z"), bulk("a"), Reply::Double(1.0)]);
        assert_eq!(forms("bzpopmin z 0", z.clone(), &K), ["ZPOPMIN z"]);
        assert_eq!(forms("BZPOPMAX nope z 0", z, &K), ["ZPOPMAX z"]);
        // blmove-now, blmove-served, blmove-served-mixed, brpoplpush-now, brpoplpush-served
        assert_eq!(forms("blmove l d Right LEFT 0", bulk("b"), &K), ["LMOVE l d Right LEFT"]);
        let later = After { served_blocked: true, ..After::default() };
        assert_eq!(forms("BLMOVE l d LEFT RIGHT 0", bulk("a"), &later), ["LMOVE l d left right"]);
        assert_eq!(forms("blmove l d Right Left 0", bulk("a"), &later), ["LMOVE l d right left"]);
        // served_blocked changes nothing else.
        assert_eq!(forms("blpop nope l 0", arr(bulks(&["l", "a"])), &later), ["LPOP l"]);
        assert_eq!(forms("brpoplpush l d 0", bulk("c"), &later), ["RPOPLPUSH l d"]);
        assert!(forms("BLMOVE l d LEFT RIGHT 1", Reply::Null, &K).is_empty());
        assert_eq!(forms("brpoplpush l d 0", bulk("c"), &K), ["RPOPLPUSH l d"]);
    }

    #[test]
    fn mpops_become_pops_with_the_popped_count() {
        let l = |items: &[&str]| arr(vec![bulk("l"), arr(bulks(items))]);
        // lmpop, lmpop-no-count, blmpop-now, blmpop-served
        assert_eq!(forms("LMPOP 2 nope l LEFT COUNT 10", l(&["a", "b", "c"]), &K), ["LPOP l 3"]);
        assert_eq!(forms("lmpop 1 l right", l(&["c"]), &K), ["RPOP l 1"]);
        assert_eq!(forms("BLMPOP 0 1 l RIGHT count 2", l(&["c", "b"]), &K), ["RPOP l 2"]);
        assert_eq!(forms("blmpop 0 2 x l right count 5", l(&["c", "b", "a"]), &K), ["RPOP l 3"]);
        assert!(forms("LMPOP 1 l LEFT", Reply::NullArray, &K).is_empty());
        // zmpop, zmpop-no-count, bzmpop-now, bzmpop-served
        let pair = |m: &str, s: f64| arr(vec![bulk(m), Reply::Double(s)]);
        let z = arr(vec![bulk("z"), arr(vec![pair("a", 1.0), pair("b", 2.0), pair("c", 3.0)])]);
        assert_eq!(forms("ZMPOP 1 z MIN COUNT 10", z, &K), ["ZPOPMIN z 3"]);
        let z = arr(vec![bulk("z"), arr(vec![pair("c", 3.0)])]);
        assert_eq!(forms("zmpop 2 nope z max", z, &K), ["ZPOPMAX z 1"]);
        let z = arr(vec![bulk("z"), arr(vec![pair("c", 3.0), pair("b", 2.0)])]);
        assert_eq!(forms("bzmpop 0 1 z max COUNT 2", z.clone(), &K), ["ZPOPMAX z 2"]);
        assert_eq!(forms("BZMPOP 0 1 z MIN count 5", z, &K), ["ZPOPMIN z 2"]);
        assert!(forms("BZMPOP 1 1 z MIN", Reply::NullArray, &K).is_empty());
    }

    #[test]
    fn restore_makes_a_relative_ttl_absolute_or_deletes() {
        let r = After { ttl: &[("r", NOW + 100_000)], ..After::default() };
        // restore-relative, restore-relative-options
        assert_eq!(
            forms("restore r 100000 P", Reply::ok(), &r),
            [format!("restore r {IN_100S} P ABSTTL")]
        );
        let r100 = After { ttl: &[("r", NOW + 100)], ..After::default() };
        assert_eq!(
            forms("RESTORE r 100 P replace idletime 5", Reply::ok(), &r100),
            ["RESTORE r 1795593282784 P replace idletime 5 ABSTTL"]
        );
        // restore-no-ttl, restore-absttl
        let r = After { exists: &["r"], ..After::default() };
        assert_eq!(forms("RESTORE r 0 P", Reply::ok(), &r), ["RESTORE r 0 P"]);
        let abs = After { ttl: &[("r", 99_999_999_999_999)], ..After::default() };
        assert_eq!(
            forms("RESTORE r 99999999999999 P ABSTTL", Reply::ok(), &abs),
            ["RESTORE r 99999999999999 P ABSTTL"]
        );
        // restore-past, restore-past-lazy: always DEL.
        let lazy = After { lazy_expire: true, lazy_user_del: true, ..After::default() };
        assert_eq!(forms("RESTORE r 1 P REPLACE ABSTTL", Reply::ok(), &lazy), ["DEL r"]);
    }

    #[test]
    fn everything_else_is_verbatim_with_the_clients_spelling() {
        // publish, publish-lower, del-verbatim, setnx-verbatim, persist-verbatim, lmove-verbatim,
        // zpop-verbatim, flushall-empty
        assert_eq!(forms("PUBLISH ch hi", Reply::Int(0), &GONE), ["PUBLISH ch hi"]);
        assert_eq!(forms("publish ch hi", Reply::Int(0), &GONE), ["publish ch hi"]);
        assert_eq!(forms("DEL k nope", Reply::Int(1), &GONE), ["DEL k nope"]);
        assert_eq!(forms("setnx k v", Reply::Int(1), &K), ["setnx k v"]);
        assert_eq!(forms("persist k", Reply::Int(1), &K), ["persist k"]);
        assert_eq!(forms("LMOVE l d LEFT RIGHT", bulk("a"), &K), ["LMOVE l d LEFT RIGHT"]);
        assert_eq!(forms("rpoplpush d d", bulk("a"), &K), ["rpoplpush d d"]);
        assert_eq!(forms("zpopmax z", arr(bulks(&["c", "3"])), &K), ["zpopmax z"]);
        assert_eq!(forms("flushall", Reply::ok(), &GONE), ["flushall"]);
        assert_eq!(
            forms("a-command-name-longer-than-16 x", Reply::ok(), &GONE),
            ["a-command-name-longer-than-16 x"]
        );
        assert!(forms("", Reply::ok(), &GONE).is_empty());
    }
}
