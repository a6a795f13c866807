//! Key expiry commands (`expire.c`): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with
//! NX/XX/GT/LT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
//!
//! [`absolute_ms`] is the one place that turns a relative expire argument into the
//! absolute Unix-ms time that is stored; SET/GETEX use it too, and replication will
//! reuse it when it rewrites relative expiries as `PEXPIREAT`/`PXAT`.

use bytes::Bytes;
use rhea_resp::Reply;

use super::args::int_arg;
use super::keys::{Read, lookup_read, lookup_write};
use crate::engine::ctx::Ctx;
use crate::tri;

/// Unit of an expire argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

/// Absolute expiry in Unix ms for `when` (in `unit`) counted from `base_ms`: the command
/// time for relative forms (EXPIRE, PX, …), 0 for absolute ones (EXPIREAT, PXAT, …).
/// `None` when the conversion overflows, which Redis reports as an invalid expire time.
pub fn absolute_ms(when: i64, unit: Unit, base_ms: i64) -> Option<i64> {
    let ms = match unit {
        Unit::Seconds => when.checked_mul(1000)?,
        Unit::Millis => when,
    };
    ms.checked_add(base_ms)
}

/// `addReplyErrorExpireTime`, naming the command as the client knows it.
pub fn invalid_expire_time(cmd: &str) -> Reply {
    Reply::err(format!("ERR invalid expire time in '{cmd}' command"))
}

/// An option as C code sees it: the bytes before the first NUL (`strcasecmp` stops
/// there, so `"nx\0junk"` is NX to Redis).
pub fn cstr(a: &[u8]) -> &[u8] {
    &a[..a.iter().position(|&c| c == 0).unwrap_or(a.len())]
}

/// `checkAlreadyExpired`: a master deletes a key given a past time at once; a replica
/// keeps it and waits for its master's DEL.
pub fn already_expired(ctx: &Ctx<'_>, when: i64) -> bool {
    when <= ctx.now_ms() && !ctx.srv.is_replica
}

// ===== EXPIRE and friends =====

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// `parseExtendedExpireArgumentsOrReply`.
fn parse_cond(opts: &[Bytes]) -> Result<Cond, Reply> {
    let mut c = Cond::default();
    for a in opts {
        let opt = cstr(a);
        if opt.eq_ignore_ascii_case(b"nx") {
            c.nx = true;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            c.xx = true;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            c.gt = true;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            c.lt = true;
        } else {
            return Err(Reply::err(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(Reply::err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(Reply::err("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(c)
}

/// Does the condition allow replacing `current` (None = no TTL, i.e. infinite) by `when`?
fn cond_allows(c: Cond, current: Option<i64>, when: i64) -> bool {
    if c.nx && current.is_some() {
        return false;
    }
    if c.xx && current.is_none() {
        return false;
    }
    // No TTL counts as an infinite one: never "greater than" it, always "less".
    if c.gt && current.is_none_or(|cur| when <= cur) {
        return false;
    }
    !(c.lt && current.is_some_and(|cur| when >= cur))
}

/// `expireGenericCommand`. A time already in the past deletes the key (and replies 1).
fn expire_generic(ctx: &mut Ctx<'_>, args: &[Bytes], base_ms: i64, unit: Unit) -> Reply {
    let cond = tri!(parse_cond(&args[3..]));
    let when = tri!(int_arg(&args[2]));
    let Some(when) = absolute_ms(when, unit, base_ms) else {
        return invalid_expire_time(ctx.cmd.name);
    };
    let key = &args[1];
    if lookup_write(ctx, key).is_none() {
        return Reply::Int(0);
    }
    if cond != Cond::default() && !cond_allows(cond, ctx.db().get_expire(key), when) {
        return Reply::Int(0);
    }
    if already_expired(ctx, when) {
        ctx.delete_key(key);
        ctx.dirty(1);
        ctx.notify('g', "del", key);
        return Reply::Int(1);
    }
    ctx.db().set_expire(key, when);
    ctx.modified(key);
    ctx.notify('g', "expire", key);
    ctx.dirty(1);
    Reply::Int(1)
}

pub fn expire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, Unit::Seconds)
}

pub fn pexpire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, Unit::Millis)
}

pub fn expireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 0, Unit::Seconds)
}

pub fn pexpireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 0, Unit::Millis)
}

// ===== TTL and friends =====

/// `ttlGenericCommand`: -2 for a missing key, -1 without TTL; seconds are rounded.
fn ttl_generic(ctx: &mut Ctx<'_>, args: &[Bytes], unit: Unit, absolute: bool) -> Reply {
    let key = &args[1];
    if lookup_read(ctx, key, Read::NoTouch).is_none() {
        return Reply::Int(-2);
    }
    let Some(when) = ctx.db().get_expire(key) else {
        return Reply::Int(-1);
    };
    // Redis does this in C `long long`: the subtraction can only wrap for the absurd
    // times a replica may hold, and the rounding is done without overflow (an
    // EXPIRETIME of i64::MAX ms reports 9223372036854776).
    let ttl = (if absolute { when } else { when.wrapping_sub(ctx.now_ms()) }).max(0);
    Reply::Int(match unit {
        Unit::Millis => ttl,
        Unit::Seconds => ((i128::from(ttl) + 500) / 1000) as i64,
    })
}

pub fn ttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, args, Unit::Seconds, false)
}

pub fn pttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, args, Unit::Millis, false)
}

pub fn expiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, args, Unit::Seconds, true)
}

pub fn pexpiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, args, Unit::Millis, true)
}

pub fn persist(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    if lookup_write(ctx, key).is_none() || !ctx.db().persist(key) {
        return Reply::Int(0);
    }
    ctx.modified(key);
    ctx.notify('g', "persist", key);
    ctx.dirty(1);
    Reply::Int(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn absolute_conversion() {
        assert_eq!(absolute_ms(10, Unit::Seconds, 1000), Some(11_000));
        assert_eq!(absolute_ms(-10, Unit::Millis, 1000), Some(990));
        assert_eq!(absolute_ms(i64::MAX / 1000, Unit::Seconds, 0), Some(i64::MAX / 1000 * 1000));
        assert_eq!(absolute_ms(i64::MAX / 1000 + 1, Unit::Seconds, 0), None);
        assert_eq!(absolute_ms(i64::MIN / 1000 - 1, Unit::Seconds, 0), None);
        assert_eq!(absolute_ms(i64::MAX, Unit::Millis, 1), None);
    }

    #[test]
    fn condition_rules() {
        assert!(parse_cond(&opts(&["nx", "xx"])).is_err());
        assert!(parse_cond(&opts(&["gt", "LT"])).is_err());
        assert!(parse_cond(&opts(&["xx", "gt"])).is_ok());
        assert_eq!(parse_cond(&opts(&["foo"])), Err(Reply::err("ERR Unsupported option foo")));
        let gt = Cond { gt: true, ..Cond::default() };
        let lt = Cond { lt: true, ..Cond::default() };
        assert!(!cond_allows(gt, None, 5), "GT never beats an infinite TTL");
        assert!(cond_allows(lt, None, 5), "LT always beats an infinite TTL");
        assert!(cond_allows(gt, Some(4), 5));
        assert!(!cond_allows(lt, Some(5), 5));
    }

    #[test]
    fn c_string_options() {
        assert_eq!(cstr(b"nx\0junk"), b"nx");
        assert_eq!(cstr(b"xx"), b"xx");
    }
}
