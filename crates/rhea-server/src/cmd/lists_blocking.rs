//! Blocking list commands: BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH (`t_list.c`
//! `blockingPopGenericCommand`, `blmoveGenericCommand`).
//!
//! With data at hand each behaves like its non-blocking form. Otherwise the client is
//! blocked on its keys through [`Ctx::block`]; when a push signals one of them ready the
//! engine runs the same command again, which then finds data or blocks again (keeping
//! the deadline it first blocked with). Inside MULTI nothing blocks: the timeout reply
//! comes at once, as for Redis's `CLIENT_DENY_BLOCKING`.
//!
//! A timeout replies with a null array, for the moves too (`replyToBlockedClientTimedOut`
//! treats every list block alike: `*-1` in RESP2); inside MULTI the moves reply with a
//! null bulk instead, as `blmoveGenericCommand` does when it may not block.
//!
//! ## Caveats
//! 7.0 serves a blocked client in place from the key that became ready; we re-run the
//! command instead. Two consequences are handled here, one is not:
//! * On a retry, keys that now hold another type are skipped instead of failing the
//!   command: 7.0 only ever serves from the (list) key that became ready.
//! * Duplicate keys are dropped before blocking, as `blockForKeys` does.
//! * Not handled (needs the ready key from the engine): a client blocked on several keys
//!   that become ready within one command (MULTI/EXEC) is served from the first of *its*
//!   keys in argument order, while 7.0 serves it from the first key signalled ready.

use bytes::Bytes;
use rhea_resp::Reply;

use super::lists::{
    End, elements_removed, list_mut, lmove_generic, mpop_generic, parse_end, parse_mpop, pop_many,
};
use crate::engine::ctx::{Ctx, blocking_deadline};
use crate::tri;

/// Parse a timeout argument; a retried command keeps the deadline it first blocked with.
fn deadline(ctx: &Ctx<'_>, arg: &[u8]) -> Result<Option<i64>, Reply> {
    let d = blocking_deadline(arg, ctx.now_ms())?;
    Ok(ctx.srv.retry_deadline.unwrap_or(d))
}

/// Is this a re-execution after one of the client's keys was signalled ready?
fn is_retry(ctx: &Ctx<'_>) -> bool {
    ctx.srv.retry_deadline.is_some()
}

/// Block on `keys` (duplicates dropped) or, inside MULTI, reply `denied` at once.
fn block_or_deny(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    deadline: Option<i64>,
    denied: Reply,
    args: &[Bytes],
) -> Reply {
    if ctx.in_multi() {
        return denied;
    }
    let mut uniq: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !uniq.contains(k) {
            uniq.push(k.clone());
        }
    }
    ctx.block(uniq, deadline, Reply::NullArray, args)
}

pub fn blpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    bpop(ctx, args, End::Head)
}

pub fn brpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    bpop(ctx, args, End::Tail)
}

/// `blockingPopGenericCommand` without COUNT: `[key, element]` from the first non-empty
/// list. The timeout is parsed before any key is looked at.
fn bpop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> Reply {
    let deadline = tri!(deadline(ctx, &args[args.len() - 1]));
    let keys = &args[1..args.len() - 1];
    let retry = is_retry(ctx);
    for key in &ctx.ready_first(keys) {
        let l = match list_mut(ctx, key) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(_) if retry => continue,
            Err(e) => return e,
        };
        let Some(v) = pop_many(l, end, 1).pop() else { continue };
        elements_removed(ctx, key, end, 1);
        return Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v)]);
    }
    block_or_deny(ctx, keys, deadline, Reply::NullArray, args)
}

/// `BLMPOP timeout numkeys key… LEFT|RIGHT [COUNT n]`: LMPOP's arguments are checked
/// first, then the timeout.
pub fn blmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let m = tri!(parse_mpop(args, 2));
    let deadline = tri!(deadline(ctx, &args[1]));
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    let retry = is_retry(ctx);
    let order = ctx.ready_first(keys);
    if let Some(r) = mpop_generic(ctx, &order, m.end, m.count, retry) {
        return r;
    }
    block_or_deny(ctx, keys, deadline, Reply::NullArray, args)
}

pub fn blmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let from = tri!(parse_end(&args[3]));
    let to = tri!(parse_end(&args[4]));
    let deadline = tri!(deadline(ctx, &args[5]));
    blmove_generic(ctx, args, from, to, deadline)
}

pub fn brpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let deadline = tri!(deadline(ctx, &args[3]));
    blmove_generic(ctx, args, End::Tail, End::Head, deadline)
}

/// `blmoveGenericCommand`: LMOVE when the source has data, else block on the source
/// only. The destination's type is checked only once there is something to move.
fn blmove_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    from: End,
    to: End,
    deadline: Option<i64>,
) -> Reply {
    let retry = is_retry(ctx);
    let has_data = match list_mut(ctx, &args[1]) {
        Ok(l) => l.is_some_and(|l| !l.is_empty()),
        Err(_) if retry => false,
        Err(e) => return e,
    };
    if has_data {
        return lmove_generic(ctx, &args[1], &args[2], from, to);
    }
    block_or_deny(ctx, &args[1..2], deadline, Reply::Null, args)
}
