//! DUMP and RESTORE (Redis 7.0 `cluster.c`: `dumpCommand`, `restoreCommand`). The
//! payload format lives in [`rhea_rdb::dump`]; the rows are in [`super::keys`] with the
//! rest of the generic family (RESTORE-ASKING is RESTORE outside cluster mode).
//!
//! RESTORE checks, in 7.0's order: the options (syntax, IDLETIME and FREQ values), the
//! target key (BUSYKEY without REPLACE), the TTL, the payload's footer, the value.
//! Only then does anything change:
//!
//! ```text
//! REPLACE: delete the old key (no event yet)
//! TTL in the past (master only) → old key deleted? `del` event, dirty++ : nothing; +OK
//! otherwise → add (`new`), TTL, LRU/LFU from IDLETIME/FREQ, `restore` event, dirty++
//! ```
//!
//! The replication layer (`repl::rewrite`) propagates a relative TTL as ABSTTL and the
//! past-TTL deletion as DEL.

use bytes::Bytes;
use rhea_rdb::{PayloadError, dump_payload, restore_payload};
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, int_arg, is};
use super::expire::{already_expired, cstr};
use super::keys::{Read, lookup_read, lookup_write, signal_if_blocking_type};
use crate::engine::ctx::Ctx;
use crate::engine::lru::LRU_CLOCK_MAX;
use crate::tri;

/// DUMP key: the payload, or nil. A read like GET (hits, misses, access time).
pub fn dump(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let compression = ctx.srv.loaded.config.rdbcompression;
    match lookup_read(ctx, &args[1], Read::Normal) {
        Some(e) => Reply::Bulk(Bytes::from(dump_payload(e.value(), compression))),
        None => Reply::Null,
    }
}

/// The options after the payload.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds (≥ 0).
    idle: Option<i64>,
    /// FREQ (0..=255).
    freq: Option<u8>,
}

/// The option loop of `restoreCommand`. Names compare as C strings (`strcasecmp`), and
/// IDLETIME and FREQ exclude each other: the second one is a syntax error, as is either
/// one without its value.
fn parse_options(opts: &[Bytes]) -> Result<Options, Reply> {
    let mut o = Options::default();
    let mut j = 0;
    while j < opts.len() {
        let name = cstr(&opts[j]);
        let has_value = j + 1 < opts.len();
        if is(name, "replace") {
            o.replace = true;
        } else if is(name, "absttl") {
            o.absttl = true;
        } else if is(name, "idletime") && has_value && o.freq.is_none() {
            let v = int_arg(&opts[j + 1])?;
            if v < 0 {
                return Err(Reply::err("ERR Invalid IDLETIME value, must be >= 0"));
            }
            o.idle = Some(v);
            j += 1;
        } else if is(name, "freq") && has_value && o.idle.is_none() {
            let v = int_arg(&opts[j + 1])?;
            let Ok(v) = u8::try_from(v) else {
                return Err(Reply::err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            };
            o.freq = Some(v);
            j += 1;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
        j += 1;
    }
    Ok(o)
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn restore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let opts = tri!(parse_options(&args[4..]));
    // Sampled with the options, as 7.0 reads LRU_CLOCK() while parsing IDLETIME.
    let clock = ctx.srv.lru_clock();
    let key = &args[1];
    if !opts.replace && lookup_write(ctx, key).is_some() {
        return Reply::err("BUSYKEY Target key name already exists.");
    }
    let ttl = tri!(int_arg(&args[2]));
    if ttl < 0 {
        return Reply::err("ERR Invalid TTL value, must be >= 0");
    }
    let value = match restore_payload(&args[3], &ctx.srv.settings.encoding) {
        Ok(v) => v,
        Err(PayloadError::VersionOrChecksum) => {
            return Reply::err("ERR DUMP payload version or checksum are wrong");
        }
        Err(PayloadError::BadData(_)) => return Reply::err("ERR Bad data format"),
    };

    // `dbDelete` without a lookup: an expired old key goes silently.
    let deleted = opts.replace && ctx.delete_key(key);
    let when = match ttl {
        0 => None,
        t if opts.absttl => Some(t),
        t => Some(t.wrapping_add(ctx.now_ms())),
    };
    if let Some(when) = when
        && already_expired(ctx, when)
    {
        if deleted {
            ctx.notify('g', "del", key);
            ctx.dirty(1);
        }
        return Reply::ok();
    }

    let lru = restored_lru(ctx, &opts, clock);
    let db = ctx.db_index();
    ctx.notify('n', "new", key);
    // Normally absent by now; a writable replica may still hold it logically expired
    // (where 7.0's `dbAdd` would assert): the restored value wins.
    ctx.db().delete(key);
    ctx.db().insert_new(key.clone(), value, lru);
    if let Some(when) = when {
        ctx.db().set_expire(key, when);
    }
    signal_if_blocking_type(ctx, db, key);
    ctx.modified(key);
    ctx.notify('g', "restore", key);
    ctx.dirty(1);
    Reply::ok()
}

/// The new key's LRU/LFU field: `objectSetLRUOrLFU(obj, freq, idle, clock, 1000)`.
/// Under an LFU policy FREQ sets the counter (IDLETIME is ignored); otherwise IDLETIME
/// back-dates the access time (FREQ is ignored). Without either the key is new.
fn restored_lru(ctx: &Ctx<'_>, opts: &Options, clock: u32) -> u32 {
    let lfu = ctx.srv.settings.maxmemory_policy.is_lfu();
    match (lfu, opts.freq, opts.idle) {
        (true, Some(freq), _) => {
            let now_min = (ctx.now_ms() / 60_000) as u32 & 0xFFFF;
            (now_min << 8) | u32::from(freq)
        }
        (false, _, Some(idle)) => lru_back_dated(clock, idle),
        _ => ctx.srv.initial_lru(),
    }
}

/// `clock - idle` on the 24-bit LRU clock, as real 7.0.15 computes it: when that is
/// negative `LRU_CLOCK_MAX` is added once and the field keeps the low 24 bits of the
/// result (observed on the real server, see `test_dump.py`; the wrap is what an
/// IDLETIME beyond the clock's age gives). The `idle * 1000 / 1000` scaling wraps on
/// 64 bits, as C's multiplication does.
fn lru_back_dated(clock: u32, idle: i64) -> u32 {
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut abs = i64::from(clock).wrapping_sub(idle);
    if abs < 0 {
        abs = abs.wrapping_add(i64::from(LRU_CLOCK_MAX));
    }
    (abs as u32) & LRU_CLOCK_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn options_parse_like_restore_command() {
        let ok = |v: &[&str]| parse_options(&b(v)).unwrap();
        assert_eq!(ok(&[]), Options::default());
        assert_eq!(
            ok(&["REPLACE", "absttl", "IdleTime", "5"]),
            Options { replace: true, absttl: true, idle: Some(5), freq: None }
        );
        assert_eq!(ok(&["freq", "255"]).freq, Some(255));
        assert!(ok(&["replace\0junk"]).replace, "compared as a C string");
        let err = |v: &[&str]| match parse_options(&b(v)) {
            Err(Reply::Error(e)) => e,
            other => panic!("{v:?}: {other:?}"),
        };
        assert_eq!(err(&["nope"]), SYNTAX_ERR);
        assert_eq!(err(&["idletime"]), SYNTAX_ERR);
        assert_eq!(err(&["idletime", "1", "freq", "1"]), SYNTAX_ERR);
        assert_eq!(err(&["freq", "1", "idletime", "1"]), SYNTAX_ERR);
        assert_eq!(err(&["idletime", "x"]), "ERR value is not an integer or out of range");
        assert_eq!(err(&["idletime", "-1"]), "ERR Invalid IDLETIME value, must be >= 0");
        assert_eq!(err(&["freq", "256"]), "ERR Invalid FREQ value, must be >= 0 and <= 255");
        assert_eq!(err(&["freq", "-1"]), "ERR Invalid FREQ value, must be >= 0 and <= 255");
        // The first bad option wins, value errors included.
        assert_eq!(
            err(&["freq", "300", "bogus"]),
            "ERR Invalid FREQ value, must be >= 0 and <= 255"
        );
    }

    #[test]
    fn idle_time_back_dates_the_clock() {
        assert_eq!(lru_back_dated(1000, 0), 1000);
        assert_eq!(lru_back_dated(1000, 10), 990);
        // Before the clock's zero: LRU_CLOCK_MAX is added once, then 24 bits are kept.
        assert_eq!(lru_back_dated(1000, 1001), LRU_CLOCK_MAX - 1);
        assert_eq!(lru_back_dated(1000, i64::from(LRU_CLOCK_MAX)), 1000);
        // Values real 7.0.15 stores (DEBUG OBJECT's `lru:` with the clock at 434897).
        assert_eq!(lru_back_dated(434_897, 500_000), 16_712_112);
        assert_eq!(lru_back_dated(434_897, 30_000_000), 3_989_328);
        assert_eq!(lru_back_dated(434_897, 100_000_000), 1_098_192);
        // C's `idle * 1000` wraps first: i64::MAX scales to -1.
        assert_eq!(lru_back_dated(1000, i64::MAX), 1001);
    }
}
