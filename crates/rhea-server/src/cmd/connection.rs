//! Connection commands: PING, ECHO, AUTH, HELLO, SELECT, RESET. Credentials are checked
//! against the ACL users (`crate::acl`).

use bytes::Bytes;
use rhea_resp::{Protocol, Reply};

use super::args::{SYNTAX_ERR, is};
use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};
use crate::tri;

pub const COMMANDS: &[Command] = &[
    Command::new("ping", -1, FAST | SENTINEL, (0, 0, 0), &["fast", "connection"], ping),
    Command::new("echo", 2, LOADING | STALE | FAST, (0, 0, 0), &["fast", "connection"], echo),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "connection"],
        auth,
    ),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "connection"],
        hello,
    ),
    Command::new("select", 2, LOADING | STALE | FAST, (0, 0, 0), &["fast", "connection"], select),
    // Not `sentinel`: redis-sentinel 7.0.15 answers RESET with "unknown command".
    Command::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        &["fast", "connection"],
        reset,
    ),
];

fn ping(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        return Reply::err("ERR wrong number of arguments for 'ping' command");
    }
    // A RESP2 client in pub/sub mode gets a two-element array, since it may only read
    // pushes on that connection.
    if ctx.client.proto == Protocol::Resp2 && ctx.client.in_pubsub() {
        let payload = args.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::Bulk(Bytes::from_static(b"pong")), Reply::Bulk(payload)]);
    }
    match args.get(1) {
        Some(m) => Reply::Bulk(m.clone()),
        None => Reply::Simple("PONG".into()),
    }
}

fn echo(_: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    Reply::Bulk(args[1].clone())
}

/// `ACLAuthenticateUser`: on success the client runs as that user; a failure is logged
/// in ACL LOG (object: the command name as sent).
fn authenticate(ctx: &mut Ctx<'_>, cmd_name: &[u8], user: &[u8], pass: &[u8]) -> bool {
    match ctx.srv.acl.authenticate(user, pass) {
        Some(u) => {
            ctx.client.user = Some(u);
            ctx.client.set_authenticated(true);
            true
        }
        None => {
            super::acl::log_auth_failure(ctx, cmd_name, user);
            false
        }
    }
}

pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn auth(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return Reply::err(SYNTAX_ERR);
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        if ctx.srv.acl.default_user().nopass {
            return Reply::err(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            );
        }
        (b"default", &args[1])
    } else {
        (&args[1], &args[2])
    };
    if authenticate(ctx, &args[0], user, pass) { Reply::ok() } else { Reply::err(WRONGPASS) }
}

/// Validate a client name as `clientSetName` does.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

pub const BAD_CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";

fn hello(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut ver = None;
    let mut next = 1;
    if args.len() >= 2 {
        let v = match rhea_resp::number::parse_i64(&args[1]) {
            Some(v) => v,
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        };
        if !(2..=3).contains(&v) {
            return Reply::err("NOPROTO unsupported protocol version");
        }
        ver = Some(v);
        next = 2;
    }
    let mut creds = None;
    let mut name = None;
    let mut j = next;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "auth") && more >= 2 {
            creds = Some((args[j + 1].clone(), args[j + 2].clone()));
            j += 3;
        } else if is(&args[j], "setname") && more >= 1 {
            name = Some(args[j + 1].clone());
            j += 2;
        } else {
            return Reply::err(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[j])
            ));
        }
    }
    if let Some((u, p)) = creds
        && !authenticate(ctx, &args[0], &u, &p)
    {
        return Reply::err(WRONGPASS);
    }
    if !ctx.client.authenticated() && ctx.srv.acl.default_requires_auth() {
        return Reply::err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        );
    }
    if let Some(n) = name {
        if !valid_client_name(&n) {
            return Reply::err(BAD_CLIENT_NAME);
        }
        ctx.client.name = if n.is_empty() { None } else { Some(n) };
    }
    if let Some(v) = ver {
        ctx.client.proto = if v == 3 { Protocol::Resp3 } else { Protocol::Resp2 };
    }
    let s = |x: &str| Reply::bulk_str(x);
    let proto = if ctx.client.proto == Protocol::Resp3 { 3 } else { 2 };
    let role = if ctx.srv.is_replica { "replica" } else { "master" };
    Reply::Map(vec![
        (s("server"), s("redis")),
        (s("version"), s(crate::REDIS_VERSION)),
        (s("proto"), Reply::Int(proto)),
        (s("id"), Reply::Int(ctx.client.id as i64)),
        (s("mode"), s("standalone")),
        (s("role"), s(role)),
        (s("modules"), Reply::Array(vec![])),
    ])
}

fn select(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let idx = tri!(super::args::int_arg(&args[1]));
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Reply::err("ERR DB index is out of range");
    }
    ctx.client.db = idx as usize;
    Reply::ok()
}

/// RESET: back to a fresh connection's state (7.0 `clearClientConnectionState`).
fn reset(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    super::txn::discard_transaction(ctx);
    super::pubsub::unsubscribe_all(ctx, false);
    super::pubsub::punsubscribe_all(ctx, false);
    let id = ctx.client.id;
    ctx.srv.monitors.retain(|&m| m != id);
    ctx.client.is_monitor = false;
    ctx.client.db = 0;
    ctx.client.proto = Protocol::Resp2;
    ctx.client.name = None;
    ctx.client.reply_mode = crate::engine::client::ReplyMode::On;
    // `clientSetDefaultAuth`.
    let default = ctx.srv.acl.default_user();
    ctx.client.set_authenticated(default.nopass && default.enabled);
    ctx.client.user = Some(default);
    Reply::Simple("RESET".into())
}
