//! COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP):
//! the command table described on the wire, in Redis 7.0's reply shapes.
//!
//! An INFO entry is `[name, arity, flags, first, last, step, acl categories, tips, key
//! specs, subcommands]`; flags, categories, tips, specs and subcommands are sets (arrays
//! in RESP2) and each key spec is a map. Name, arity, flags and the legacy key triple
//! come from the command table; ACL categories are the table's plus the ones Redis
//! implies from the flags (`setImplicitACLCategories`), in Redis's category order; tips
//! and key specs come from [`super::command_meta`].
//!
//! ## Caveats
//! * Commands and subcommands are listed in table order; Redis lists them in the order
//!   of its hash table, so only sets of names compare equal.
//! * COMMAND DOCS reports only `since`, `group` and `subcommands`: no summaries,
//!   complexity, history or argument trees.
//! * GETKEYS uses the key specs alone; Redis consults command-specific key extractors
//!   for SORT's STORE, MIGRATE's KEYS and a few others whose specs are "unknown".

use bytes::Bytes;
use rhea_keyspace::glob_match;
use rhea_resp::Reply;
use rhea_resp::number::parse_i64;

use super::admin::help;
use super::args::SYNTAX_ERR;
use super::command_meta::{self, Begin, Find, KeySpec};
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, CommandTable, flags::*, lower};

const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "command|docs",
        -2,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        docs,
    ),
    Command::new(
        "command|getkeys",
        -4,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        getkeys,
    ),
    Command::new(
        "command|help",
        2,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        command_help,
    ),
    Command::new(
        "command|info",
        -2,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        info,
    ),
    Command::new(
        "command|count",
        2,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        count,
    ),
    Command::new(
        "command|list",
        -2,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        list,
    ),
    Command::new(
        "command|getkeysandflags",
        -4,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        &["slow", "connection"],
        getkeysandflags,
    ),
];

/// The COMMAND row; bare `COMMAND` describes every command.
pub const COMMAND: Command = Command {
    name: "command",
    arity: -1,
    flags: LOADING | STALE | SENTINEL,
    keys: (0, 0, 0),
    handler: all,
    subcommands: SUBCOMMANDS,
    acl: &["slow", "connection"],
};

/// ACL categories in Redis's order (`ACLCommandCategories`), which COMMAND INFO follows.
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The command's ACL categories (without `@`), explicit and implied, in Redis's order.
pub fn categories(cmd: &Command) -> Vec<&'static str> {
    let explicit = |c: &str| cmd.acl.contains(&c);
    let has = |c: &str| {
        explicit(c)
            || match c {
                "write" => cmd.has(WRITE),
                "read" => cmd.has(READONLY) && !explicit("scripting"),
                "admin" | "dangerous" => cmd.has(ADMIN),
                "pubsub" => cmd.has(PUBSUB),
                "fast" => cmd.has(FAST),
                "blocking" => cmd.has(BLOCKING),
                // "If it's not @fast is @slow in this binary world."
                "slow" => !(explicit("fast") || cmd.has(FAST)),
                _ => false,
            }
    };
    CATEGORIES.iter().copied().filter(|c| has(c)).collect()
}

/// Flags COMMAND INFO shows, in 7.0's order. `may_replicate`, `sentinel`,
/// `only_sentinel` and `protected` are hidden on purpose, as in Redis; `asking` and
/// `no_async_loading` are not in our table, so they come from the name.
pub fn flag_names(cmd: &Command) -> Vec<&'static str> {
    const NO_ASYNC_LOADING: &[&str] = &[
        "bgrewriteaof",
        "bgsave",
        "module|load",
        "module|loadex",
        "module|unload",
        "psync",
        "replicaof",
        "save",
        "slaveof",
        "sync",
    ];
    let order: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (0, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (0, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
    let by_name = |n: &str| match n {
        "asking" => cmd.name == "restore-asking",
        "no_async_loading" => {
            NO_ASYNC_LOADING.contains(&cmd.name) || cmd.name.starts_with("cluster|")
        }
        _ => false,
    };
    order
        .iter()
        .filter(|(f, n)| if *f == 0 { by_name(n) } else { cmd.has(*f) })
        .map(|(_, n)| *n)
        .collect()
}

/// Resolve `name` or `parent|sub`, case-insensitively (`lookupCommandBySds`).
pub fn find(table: &CommandTable, name: &[u8]) -> Option<&'static Command> {
    let name = lower(name);
    let mut parts = name.split('|');
    let parent = table.get(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(parent),
        (Some(sub), None) => parent.subcommands.iter().find(|s| s.short_name() == sub),
        _ => None,
    }
}

/// The key specs of a command: its metadata row's, or one derived from the legacy triple.
fn key_specs(cmd: &Command) -> Vec<KeySpec> {
    if let Some(m) = command_meta::lookup(cmd.name) {
        return m.specs.to_vec();
    }
    let (first, last, step) = cmd.keys;
    if first <= 0 {
        return Vec::new();
    }
    let lastkey = if last < 0 { last } else { last - first };
    vec![KeySpec {
        notes: "",
        flags: &[],
        begin: Begin::Index(first),
        find: Find::Range(lastkey, step, 0),
    }]
}

fn tips(cmd: &Command) -> &'static [&'static str] {
    command_meta::lookup(cmd.name).map_or(&[], |m| m.tips)
}

// ===== COMMAND INFO =====

fn bulk(s: &str) -> Reply {
    Reply::bulk_str(s)
}

fn spec_reply(s: &KeySpec) -> Reply {
    let mut pairs = Vec::new();
    if !s.notes.is_empty() {
        pairs.push((bulk("notes"), bulk(s.notes)));
    }
    pairs.push((bulk("flags"), Reply::Set(s.flags.iter().map(|f| Reply::simple(*f)).collect())));
    let (btype, bspec) = match s.begin {
        Begin::Index(i) => ("index", vec![(bulk("index"), Reply::Int(i.into()))]),
        Begin::Keyword(k, from) => (
            "keyword",
            vec![(bulk("keyword"), bulk(k)), (bulk("startfrom"), Reply::Int(from.into()))],
        ),
        Begin::Unknown => ("unknown", vec![]),
    };
    pairs.push((
        bulk("begin_search"),
        Reply::Map(vec![(bulk("type"), bulk(btype)), (bulk("spec"), Reply::Map(bspec))]),
    ));
    let (ftype, fspec) = match s.find {
        Find::Range(last, step, limit) => (
            "range",
            vec![
                (bulk("lastkey"), Reply::Int(last.into())),
                (bulk("keystep"), Reply::Int(step.into())),
                (bulk("limit"), Reply::Int(limit.into())),
            ],
        ),
        Find::Keynum(idx, first, step) => (
            "keynum",
            vec![
                (bulk("keynumidx"), Reply::Int(idx.into())),
                (bulk("firstkey"), Reply::Int(first.into())),
                (bulk("keystep"), Reply::Int(step.into())),
            ],
        ),
        Find::Unknown => ("unknown", vec![]),
    };
    pairs.push((
        bulk("find_keys"),
        Reply::Map(vec![(bulk("type"), bulk(ftype)), (bulk("spec"), Reply::Map(fspec))]),
    ));
    Reply::Map(pairs)
}

/// One COMMAND INFO entry (`addReplyCommandInfo`).
pub fn info_entry(cmd: &Command) -> Reply {
    let flag_names = flag_names(cmd).into_iter().map(Reply::simple);
    let (first, last, step) = cmd.keys;
    Reply::Array(vec![
        bulk(cmd.name),
        Reply::Int(cmd.arity.into()),
        Reply::Set(flag_names.collect()),
        Reply::Int(first.into()),
        Reply::Int(last.into()),
        Reply::Int(step.into()),
        Reply::Set(categories(cmd).iter().map(|c| Reply::simple(format!("@{c}"))).collect()),
        Reply::Set(tips(cmd).iter().map(|t| bulk(t)).collect()),
        Reply::Set(key_specs(cmd).iter().map(spec_reply).collect()),
        Reply::Set(cmd.subcommands.iter().map(info_entry).collect()),
    ])
}

fn all(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Array(ctx.srv.table.all.iter().map(|c| info_entry(c)).collect())
}

fn info(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() == 2 {
        return all(ctx, args);
    }
    let table = &ctx.srv.table;
    Reply::Array(args[2..].iter().map(|n| find(table, n).map_or(Reply::Null, info_entry)).collect())
}

fn count(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.table.len() as i64)
}

// ===== COMMAND LIST / DOCS =====

fn list(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let filter: Box<dyn Fn(&Command) -> bool> = match args.len() {
        2 => Box::new(|_| true),
        5 if super::args::is(&args[2], "filterby") => {
            let arg = args[4].clone();
            match lower(&args[3]).as_str() {
                // No modules are ever loaded.
                "module" => Box::new(|_| false),
                "aclcat" => {
                    let cat = lower(&arg);
                    Box::new(move |c| categories(c).contains(&cat.as_str()))
                }
                "pattern" => Box::new(move |c| glob_match(&arg, c.name.as_bytes(), true)),
                _ => return Reply::err(SYNTAX_ERR),
            }
        }
        _ => return Reply::err(SYNTAX_ERR),
    };
    let mut out = Vec::new();
    for c in &ctx.srv.table.all {
        for c in std::iter::once(*c).chain(c.subcommands.iter()) {
            if filter(c) {
                out.push(bulk(c.name));
            }
        }
    }
    Reply::Array(out)
}

fn doc_entry(cmd: &Command) -> Reply {
    let mut pairs = Vec::new();
    if let Some(m) = command_meta::lookup(cmd.name) {
        pairs.push((bulk("since"), bulk(m.since)));
        pairs.push((bulk("group"), bulk(m.group)));
    }
    if !cmd.subcommands.is_empty() {
        let subs = cmd.subcommands.iter().map(|s| (bulk(s.name), doc_entry(s))).collect();
        pairs.push((bulk("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(pairs)
}

fn docs(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let table = &ctx.srv.table;
    let cmds: Vec<&'static Command> = if args.len() == 2 {
        table.all.clone()
    } else {
        args[2..].iter().filter_map(|n| find(table, n)).collect()
    };
    Reply::Map(cmds.into_iter().map(|c| (bulk(c.name), doc_entry(c))).collect())
}

// ===== COMMAND GETKEYS =====

/// Key positions and the flags of the spec that found each (`getKeysUsingKeySpecs`).
/// `None` when a spec cannot be applied to these arguments.
pub fn key_positions(
    cmd: &Command,
    argv: &[Bytes],
) -> Option<Vec<(usize, &'static [&'static str])>> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for spec in key_specs(cmd) {
        if spec.flags.contains(&"not_key") {
            continue;
        }
        let first = match spec.begin {
            Begin::Index(i) => i64::from(i),
            Begin::Keyword(kw, from) => {
                let (start, end) = if from > 0 {
                    (i64::from(from), argc - 1)
                } else {
                    (argc + i64::from(from), 0)
                };
                let mut i = start;
                let mut found = None;
                loop {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    if i == end {
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            Begin::Unknown => continue,
        };
        let (first, last, step) = match spec.find {
            Find::Range(lastkey, step, limit) => {
                let last = if lastkey >= 0 {
                    first + i64::from(lastkey)
                } else if limit == 0 {
                    argc + i64::from(lastkey)
                } else {
                    first + ((argc - first) / i64::from(limit) + i64::from(lastkey))
                };
                (first, last, i64::from(step))
            }
            Find::Keynum(idx, firstkey, step) => {
                let at = first + i64::from(idx);
                if at >= argc {
                    return None;
                }
                let n = parse_i64(&argv[at as usize]).filter(|&n| n >= 0)?;
                let first = first + i64::from(firstkey);
                (first, first + (n - 1) * i64::from(step), i64::from(step))
            }
            Find::Unknown => continue,
        };
        let mut i = first;
        while i <= last && step > 0 {
            if i >= argc || i < 1 {
                // Variadic commands check their own arity later; fixed ones never get here.
                if cmd.arity < 0 {
                    i += step;
                    continue;
                }
                return None;
            }
            out.push((i as usize, resolved_flags(cmd, argv, spec.flags)));
            i += step;
        }
    }
    Some(out)
}

/// Key flags of specs marked `variable_flags`, which depend on the arguments: Redis's
/// `setGetKeys` (SET … GET reads the old value) and `bitfieldGetKeys` (only GET and
/// OVERFLOW subcommands keep BITFIELD read-only).
fn resolved_flags(
    cmd: &Command,
    argv: &[Bytes],
    flags: &'static [&'static str],
) -> &'static [&'static str] {
    const RW: &[&str] = &["RW", "access", "update"];
    if !flags.contains(&"variable_flags") {
        return flags;
    }
    match cmd.name {
        "set" if argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) => RW,
        "set" => &["OW", "update"],
        "bitfield" => {
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                let a = &argv[i];
                if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
                    i += 3;
                } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
                    i += 2;
                } else {
                    return RW;
                }
            }
            &["RO", "access"]
        }
        _ => flags,
    }
}

fn getkeys_impl(ctx: &mut Ctx<'_>, args: &[Bytes], with_flags: bool) -> Reply {
    let argv = &args[2..];
    let Some(cmd) = (match ctx.srv.table.lookup(argv) {
        crate::engine::table::Lookup::Found(c) => Some(c),
        _ => None,
    }) else {
        return Reply::err("ERR Invalid command specified");
    };
    if key_specs(cmd).is_empty() {
        return Reply::err("ERR The command has no key arguments");
    }
    if !cmd.arity_ok(argv.len()) {
        return Reply::err("ERR Invalid number of arguments specified for command");
    }
    let keys = match key_positions(cmd, argv) {
        Some(k) if !k.is_empty() => k,
        _ if cmd.has(NO_MANDATORY_KEYS) => Vec::new(),
        _ => return Reply::err("ERR Invalid arguments specified for command"),
    };
    let out = keys.into_iter().map(|(pos, fl)| {
        let key = Reply::Bulk(argv[pos].clone());
        if with_flags {
            Reply::Array(vec![key, Reply::Set(fl.iter().map(|f| Reply::simple(*f)).collect())])
        } else {
            key
        }
    });
    Reply::Array(out.collect())
}

fn getkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    getkeys_impl(ctx, args, false)
}

fn getkeysandflags(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    getkeys_impl(ctx, args, true)
}

fn command_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help(&[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
        Reply::ok()
    }

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn implied_categories() {
        let get =
            Command::new("get", 2, READONLY | FAST, (1, 1, 1), &["read", "string", "fast"], noop);
        assert_eq!(categories(&get), ["read", "string", "fast"]);
        let info = Command::new("info", -1, LOADING | STALE, (0, 0, 0), &["dangerous"], noop);
        assert_eq!(categories(&info), ["slow", "dangerous"]);
        let kill = Command::new("client|kill", -3, ADMIN, (0, 0, 0), &["connection"], noop);
        assert_eq!(categories(&kill), ["admin", "slow", "dangerous", "connection"]);
    }

    #[test]
    fn keys_from_specs() {
        let zunionstore =
            Command::new("zunionstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, (1, 1, 1), &[], noop);
        let pos = key_positions(
            &zunionstore,
            &args(&["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"]),
        );
        assert_eq!(pos.unwrap().iter().map(|p| p.0).collect::<Vec<_>>(), [1, 3, 4]);
        let mset = Command::new("mset", -3, WRITE | DENYOOM, (1, -1, 2), &[], noop);
        let pos = key_positions(&mset, &args(&["mset", "a", "1", "b", "2"])).unwrap();
        assert_eq!(pos.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 3]);
        let xread =
            Command::new("xread", -4, READONLY | BLOCKING | MOVABLE_KEYS, (0, 0, 0), &[], noop);
        let pos =
            key_positions(&xread, &args(&["xread", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"]));
        assert_eq!(pos.unwrap().iter().map(|p| p.0).collect::<Vec<_>>(), [4, 5]);
        // Not in the metadata: derived from the legacy triple.
        let custom = Command::new("rhea-only", -2, READONLY, (1, -1, 1), &[], noop);
        let pos = key_positions(&custom, &args(&["rhea-only", "a", "b"])).unwrap();
        assert_eq!(pos.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 2]);
    }
}
