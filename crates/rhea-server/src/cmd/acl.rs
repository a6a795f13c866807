//! ACL and its subcommands (CAT, DELUSER, DRYRUN, GENPASS, GETUSER, HELP, LIST, LOAD,
//! LOG, SAVE, SETUSER, USERS, WHOAMI) in Redis 7.0's reply shapes, plus the ACL LOG
//! entries dispatch and AUTH add. Users and rules live in `crate::acl`.
//!
//! Every row carries the `sentinel` flag, so a Sentinel serves ACL too.

use std::time::Instant;

use bytes::Bytes;
use rhea_resp::Reply;

use super::admin::{help, subcommand_syntax_error};
use crate::acl::check::{self, Denied, Refusal};
use crate::acl::log::{Context, Entry};
use crate::acl::{DEFAULT_USER, describe, file, rules};
use crate::engine::Server;
use crate::engine::client::Client;
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, Lookup, flags::*};

const ADMIN_ROW: u32 = ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL;
const PLAIN_ROW: u32 = NOSCRIPT | LOADING | STALE | SENTINEL;
const ADMIN_CATS: &[&str] = &["admin", "slow", "dangerous"];

const SUBCOMMANDS: &[Command] = &[
    Command::new("acl|cat", -2, PLAIN_ROW, (0, 0, 0), &["slow"], cat),
    Command::new("acl|deluser", -3, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, deluser),
    Command::new("acl|dryrun", -4, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, dryrun),
    Command::new("acl|genpass", -2, PLAIN_ROW, (0, 0, 0), &["slow"], genpass),
    Command::new("acl|getuser", 3, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, getuser),
    Command::new("acl|help", 2, LOADING | STALE | SENTINEL, (0, 0, 0), &["slow"], acl_help),
    Command::new("acl|list", 2, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, list),
    Command::new("acl|load", 2, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, load),
    Command::new("acl|log", -2, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, log),
    Command::new("acl|save", 2, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, save),
    Command::new("acl|setuser", -3, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, setuser),
    Command::new("acl|users", 2, ADMIN_ROW, (0, 0, 0), ADMIN_CATS, users),
    Command::new("acl|whoami", 2, PLAIN_ROW, (0, 0, 0), &["slow"], whoami),
];

/// The container carries `sentinel` itself (Sentinel's table keeps flagged rows only).
pub const COMMANDS: &[Command] =
    &[Command::container("acl", -2, &["slow"], SUBCOMMANDS).with_flags(SENTINEL)];

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
    want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
    you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ===== ACL LOG entries =====

/// May `c` run `cmd` with `argv` under its user's rules? A refusal is recorded in ACL
/// LOG with `context` (dispatch: where the client is; EXEC's re-check: multi). A client
/// whose user has every permission (or the master link, which has none) passes at once.
pub fn check_client(
    srv: &mut Server,
    c: &Client,
    cmd: &Command,
    argv: &[Bytes],
    context: Context,
) -> Result<(), Refusal> {
    let Some(user) = c.user.as_ref().filter(|u| !u.unrestricted) else { return Ok(()) };
    let refusal = check::check(user, &srv.acl.index, cmd, argv).err();
    let Some(refusal) = refusal else { return Ok(()) };
    let object = match refusal.0 {
        Denied::Command => cmd.name.to_string(),
        Denied::Key | Denied::Channel => text(&argv[refusal.1]),
        Denied::Auth => text(&argv[0]),
    };
    add_log_entry(srv, c, refusal.0, context, object, c.user_name());
    Err(refusal)
}

/// Record a failed AUTH / HELLO AUTH: the object is the command as sent, the user name
/// the one tried.
pub fn log_auth_failure(ctx: &mut Ctx<'_>, cmd_name: &[u8], user: &[u8]) {
    let context = if ctx.client.multi.is_some() { Context::Multi } else { Context::Toplevel };
    add_log_entry(ctx.srv, ctx.client, Denied::Auth, context, text(cmd_name), text(user));
}

/// `addACLLogEntry`.
fn add_log_entry(
    srv: &mut Server,
    c: &Client,
    reason: Denied,
    context: Context,
    object: String,
    username: String,
) {
    let now = Instant::now();
    let entry = Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        created: now,
        client_info: c.info_line(now),
    };
    srv.acl.log.add(entry, srv.loaded.config.acllog_max_len as usize);
}

// ===== subcommands =====

fn cat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match args.len() {
        2 => Reply::Array(
            crate::cmd::command::CATEGORIES.iter().map(|c| Reply::bulk_str(c)).collect(),
        ),
        3 => {
            let name = text(&args[2]);
            let Some(bit) = crate::acl::index::category_bit(&name) else {
                return Reply::err(format!("ERR Unknown category '{name}'"));
            };
            let ix = &ctx.srv.acl.index;
            let names = (0..ix.len())
                .filter(|&id| ix.cats[id] & bit != 0)
                .map(|id| Reply::bulk_str(ix.cmds[id].name));
            Reply::Array(names.collect())
        }
        _ => subcommand_syntax_error(args),
    }
}

fn deluser(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args[2..].iter().any(|a| a[..] == *DEFAULT_USER) {
        return Reply::err("ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for name in &args[2..] {
        if ctx.srv.acl.users.remove(&name[..]).is_some() {
            deleted += 1;
        }
    }
    ctx.srv.sync_client_users(Some(ctx.client), false);
    Reply::Int(deleted)
}

fn dryrun(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(user) = ctx.srv.acl.users.get(&args[2][..]).cloned() else {
        return Reply::err(format!("ERR User '{}' not found", text(&args[2])));
    };
    let argv = &args[3..];
    let cmd = match ctx.srv.table.lookup(argv) {
        Lookup::Found(c) => c,
        _ => return Reply::err(format!("ERR Command '{}' not found", text(&argv[0]))),
    };
    if !cmd.arity_ok(argv.len()) {
        return Reply::err(format!("ERR wrong number of arguments for '{}' command", cmd.name));
    }
    match check::check(&user, &ctx.srv.acl.index, cmd, argv) {
        Ok(()) => Reply::ok(),
        Err((why, pos)) => Reply::bulk_str(&match why {
            Denied::Command => {
                format!("This user has no permissions to run the '{}' command", cmd.name)
            }
            Denied::Key => {
                format!("This user has no permissions to access the '{}' key", text(&argv[pos]))
            }
            Denied::Channel => {
                format!("This user has no permissions to access the '{}' channel", text(&argv[pos]))
            }
            Denied::Auth => "no permission".to_string(),
        }),
    }
}

fn genpass(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    use rand::Rng;
    let bits = match args.len() {
        2 => 256,
        3 => match rhea_resp::number::parse_i64(&args[2]) {
            Some(b) => b,
            None => return Reply::err("ERR value is not an integer or out of range"),
        },
        _ => return subcommand_syntax_error(args),
    };
    if bits <= 0 || bits > 4096 {
        return Reply::err(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096",
        );
    }
    let chars = (bits as usize).div_ceil(4);
    let mut rng = rand::rng();
    let pass: String =
        (0..chars).map(|_| char::from_digit(rng.random_range(0..16), 16).expect("hex")).collect();
    Reply::Bulk(Bytes::from(pass))
}

fn getuser(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(u) = ctx.srv.acl.users.get(&args[2][..]) else { return Reply::Null };
    let ix = &ctx.srv.acl.index;
    let s = Reply::bulk_str;
    let flags = describe::flag_names(u).into_iter().map(s).collect();
    let passwords = u.passwords.iter().map(|p| s(p)).collect();
    let root = u.root();
    let selectors = u.selectors[1..]
        .iter()
        .map(|sel| {
            Reply::Map(vec![
                (s("commands"), s(&describe::command_rules(sel, ix))),
                (s("keys"), s(&describe::keys_text(sel))),
                (s("channels"), s(&describe::channels_text(sel))),
            ])
        })
        .collect();
    Reply::Map(vec![
        (s("flags"), Reply::Set(flags)),
        (s("passwords"), Reply::Array(passwords)),
        (s("commands"), s(&describe::command_rules(root, ix))),
        (s("keys"), s(&describe::keys_text(root))),
        (s("channels"), s(&describe::channels_text(root))),
        (s("selectors"), Reply::Array(selectors)),
    ])
}

fn list(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Array(ctx.srv.acl.user_lines().iter().map(|l| Reply::bulk_str(l)).collect())
}

fn users(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Array(ctx.srv.acl.users.keys().map(|n| Reply::Bulk(Bytes::copy_from_slice(n))).collect())
}

fn whoami(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::bulk_str(&ctx.client.user_name())
}

fn load(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let Some(path) = ctx.srv.loaded.config.aclfile() else { return Reply::err(NO_ACLFILE) };
    match file::load(&ctx.srv.acl, &path) {
        Ok(users) => {
            ctx.srv.acl.users = users;
            ctx.srv.sync_client_users(Some(ctx.client), true);
            Reply::ok()
        }
        Err(e) => Reply::Error(format!("ERR {}", e.replace(['\r', '\n'], " "))),
    }
}

fn save(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let Some(path) = ctx.srv.loaded.config.aclfile() else { return Reply::err(NO_ACLFILE) };
    match file::save(&ctx.srv.acl, &path) {
        Ok(()) => Reply::ok(),
        Err(e) => {
            crate::warning!("Opening temp ACL file for ACL SAVE: {}", e);
            Reply::err(
                "ERR There was an error trying to save the ACLs. Please check the server logs \
                 for more information",
            )
        }
    }
}

fn log(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let count = match args.len() {
        2 => 10,
        3 if args[2].eq_ignore_ascii_case(b"reset") => {
            ctx.srv.acl.log.reset();
            return Reply::ok();
        }
        3 => match rhea_resp::number::parse_i64(&args[2]) {
            Some(n) => n.max(0) as usize,
            None => return Reply::err("ERR value is not an integer or out of range"),
        },
        _ => return subcommand_syntax_error(args),
    };
    ctx.srv.acl.log.reply(count, Instant::now())
}

fn setuser(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let name = &args[2];
    if rules::bad_user_name(name) {
        return Reply::err("ERR Usernames can't contain spaces or null characters");
    }
    let ops: Vec<Vec<u8>> = args[3..].iter().map(|a| a.to_vec()).collect();
    match ctx.srv.acl.set_user(name, &ops) {
        Ok(()) => {
            ctx.srv.sync_client_users(Some(ctx.client), false);
            Reply::ok()
        }
        Err(e) => Reply::Error(format!("ERR {}", e.replace(['\r', '\n'], " "))),
    }
}

fn acl_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help(&[
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ])
}
