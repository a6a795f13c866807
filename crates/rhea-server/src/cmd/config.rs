//! CONFIG GET / SET / REWRITE / RESETSTAT / HELP. The parameter table lives in
//! `crate::config`; this file only adapts it to the wire and applies the side effects of
//! changed parameters to the running engine.

use bytes::Bytes;
use rhea_resp::Reply;

use crate::config::{SetContext, set_failed_error};
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        config_get,
    ),
    Command::new(
        "config|set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        config_set,
    ),
    Command::new(
        "config|rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        config_rewrite,
    ),
    Command::new(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        &["admin", "slow", "dangerous"],
        config_resetstat,
    ),
    Command::new("config|help", 2, LOADING | STALE, (0, 0, 0), &["slow"], config_help),
];

pub const COMMANDS: &[Command] = &[Command::container("config", -2, &["slow"], SUBCOMMANDS)];

/// Mutable in Redis, but applying them needs the listeners rebuilt, which the engine
/// cannot do yet.
const NOT_APPLIED_AT_RUNTIME: &[&str] = &["port", "bind", "unixsocket", "unixsocketperm"];

fn config_get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let patterns: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let pairs = ctx.srv.loaded.config.get(&patterns);
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk_str(&k), Reply::Bulk(Bytes::from(v))))
            .collect(),
    )
}

fn config_set(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if !(args.len() - 2).is_multiple_of(2) {
        return Reply::err("ERR wrong number of arguments for 'config|set' command");
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..].chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
    let set_ctx = SetContext { client_is_local: ctx.client.is_local, loading: false };
    let before = ctx.srv.loaded.config.clone();
    match ctx.srv.loaded.config.set_with(&pairs, &set_ctx) {
        Ok(changed) => {
            // Like a failing apply hook in Redis: restore everything and name the
            // parameter, rather than accept a value that would silently not take effect.
            if let Some(name) = changed.iter().find(|n| NOT_APPLIED_AT_RUNTIME.contains(n)) {
                ctx.srv.loaded.config = before;
                return Reply::Error(set_failed_error(
                    name,
                    "changing listeners at runtime is not supported by Rhea yet",
                ));
            }
            ctx.srv.apply_config(&changed);
            if changed.contains(&"requirepass") {
                ctx.srv.sync_client_users(Some(ctx.client), false);
            }
            if changed.contains(&"maxmemory") {
                crate::engine::evict::maxmemory_changed(ctx.srv, ctx.client);
            }
            Reply::ok()
        }
        Err(text) => Reply::Error(text),
    }
}

fn config_rewrite(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let Some(path) = ctx.srv.loaded.path.clone() else {
        return Reply::err("ERR The server is running without a config file");
    };
    ctx.srv.loaded.config.acl_rewrite_lines = ctx.srv.acl.user_lines();
    match ctx.srv.loaded.config.rewrite(&path) {
        Ok(()) => {
            crate::notice!("CONFIG REWRITE executed with success.");
            Reply::ok()
        }
        Err(e) => {
            crate::warning!("CONFIG REWRITE failed: {}", e);
            Reply::err(format!("ERR Rewriting config file: {}", crate::config::strerror(&e)))
        }
    }
}

fn config_resetstat(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    ctx.srv.stats.reset();
    ctx.srv.evict.reset_stats();
    Reply::ok()
}

fn config_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let lines = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Simple((*l).into())).collect())
}
