//! Pub/Sub commands: (P)SUBSCRIBE, (P)UNSUBSCRIBE, PUBLISH, PUBSUB (`pubsub.c`).

use bytes::Bytes;
use rhea_keyspace::glob_match;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::pubsub::confirmation;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["pubsub", "slow"],
        subscribe,
    ),
    Command::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["pubsub", "slow"],
        unsubscribe,
    ),
    Command::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["pubsub", "slow"],
        psubscribe,
    ),
    Command::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["pubsub", "slow"],
        punsubscribe,
    ),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL,
        (0, 0, 0),
        &["pubsub", "fast"],
        publish,
    ),
    Command::container("pubsub", -2, &["slow"], PUBSUB_SUBCOMMANDS),
];

const PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        &["pubsub", "slow"],
        pubsub_channels,
    ),
    Command::new(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        &["pubsub", "slow"],
        pubsub_numsub,
    ),
    Command::new(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        &["pubsub", "slow"],
        pubsub_numpat,
    ),
    Command::new(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        &["pubsub", "slow"],
        pubsub_shardchannels,
    ),
    Command::new(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        &["pubsub", "slow"],
        pubsub_numsub_empty,
    ),
    Command::new("pubsub|help", 2, LOADING | STALE, (0, 0, 0), &["slow"], pubsub_help),
];

fn subscribe(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    for ch in &args[1..] {
        if !ctx.client.channels.contains(ch) {
            ctx.client.channels.push(ch.clone());
            ctx.srv.pubsub.subscribe(ctx.client.id, ch);
        }
        let r = confirmation("subscribe", Some(ch), ctx.client.sub_count());
        ctx.client.reply(&r);
    }
    Reply::Raw(Bytes::new())
}

fn psubscribe(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    for p in &args[1..] {
        if !ctx.client.patterns.contains(p) {
            ctx.client.patterns.push(p.clone());
            ctx.srv.pubsub.psubscribe(ctx.client.id, p);
        }
        let r = confirmation("psubscribe", Some(p), ctx.client.sub_count());
        ctx.client.reply(&r);
    }
    Reply::Raw(Bytes::new())
}

fn unsubscribe_one(ctx: &mut Ctx<'_>, ch: &Bytes, notify: bool) {
    if let Some(pos) = ctx.client.channels.iter().position(|c| c == ch) {
        ctx.client.channels.remove(pos);
        ctx.srv.pubsub.unsubscribe(ctx.client.id, ch);
    }
    if notify {
        let r = confirmation("unsubscribe", Some(ch), ctx.client.sub_count());
        ctx.client.reply(&r);
    }
}

fn punsubscribe_one(ctx: &mut Ctx<'_>, p: &Bytes, notify: bool) {
    if let Some(pos) = ctx.client.patterns.iter().position(|c| c == p) {
        ctx.client.patterns.remove(pos);
        ctx.srv.pubsub.punsubscribe(ctx.client.id, p);
    }
    if notify {
        let r = confirmation("punsubscribe", Some(p), ctx.client.sub_count());
        ctx.client.reply(&r);
    }
}

/// Unsubscribe from every channel; with `notify`, one confirmation each (or a single one
/// with a null channel when there was none).
pub fn unsubscribe_all(ctx: &mut Ctx<'_>, notify: bool) {
    let chans = ctx.client.channels.clone();
    if chans.is_empty() && notify {
        let r = confirmation("unsubscribe", None, ctx.client.sub_count());
        ctx.client.reply(&r);
    }
    for ch in chans {
        unsubscribe_one(ctx, &ch, notify);
    }
}

pub fn punsubscribe_all(ctx: &mut Ctx<'_>, notify: bool) {
    let pats = ctx.client.patterns.clone();
    if pats.is_empty() && notify {
        let r = confirmation("punsubscribe", None, ctx.client.sub_count());
        ctx.client.reply(&r);
    }
    for p in pats {
        punsubscribe_one(ctx, &p, notify);
    }
}

fn unsubscribe(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() == 1 {
        unsubscribe_all(ctx, true);
    } else {
        for ch in &args[1..] {
            unsubscribe_one(ctx, ch, true);
        }
    }
    Reply::Raw(Bytes::new())
}

fn punsubscribe(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() == 1 {
        punsubscribe_all(ctx, true);
    } else {
        for p in &args[1..] {
            punsubscribe_one(ctx, p, true);
        }
    }
    Reply::Raw(Bytes::new())
}

fn publish(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    // A Sentinel accepts only hello messages from its peers (`sentinelPublishCommand`).
    if let Some(s) = &ctx.srv.sentinel {
        return s.publish(&args[1], &args[2]);
    }
    let n = ctx.srv.publish(&args[1], &args[2], Some(ctx.client));
    Reply::Int(n)
}

fn pubsub_channels(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return Reply::err("ERR wrong number of arguments for 'pubsub|channels' command");
    }
    let pat = args.get(2);
    let list = ctx
        .srv
        .pubsub
        .channels
        .keys()
        .filter(|ch| pat.is_none_or(|p| glob_match(p, ch, false)))
        .map(|ch| Reply::Bulk(ch.clone()))
        .collect();
    Reply::Array(list)
}

fn pubsub_shardchannels(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return Reply::err("ERR wrong number of arguments for 'pubsub|shardchannels' command");
    }
    Reply::Array(vec![])
}

fn pubsub_numsub(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut out = Vec::new();
    for ch in &args[2..] {
        let n = ctx.srv.pubsub.channels.get(ch).map_or(0, |v| v.len());
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(n as i64));
    }
    Reply::Array(out)
}

fn pubsub_numsub_empty(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut out = Vec::new();
    for ch in &args[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(0));
    }
    Reply::Array(out)
}

fn pubsub_numpat(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.pubsub.patterns.len() as i64)
}

fn pubsub_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Simple((*l).into())).collect())
}
