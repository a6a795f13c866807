//! Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC/SYNC, WAIT and ROLE. The
//! state machines live in `crate::repl` and `crate::engine::replication`.

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::replication::Waiter;
use crate::engine::table::Command;
use crate::engine::table::flags::*;
use crate::notice;
use crate::repl::replconf::{self, ReplconfOpt, ReplconfOutcome};

const SRV: &[&str] = &["admin", "slow", "dangerous"];

pub const COMMANDS: &[Command] = &[
    Command::new("replicaof", 3, ADMIN | NOSCRIPT | STALE, (0, 0, 0), SRV, replicaof),
    Command::new("slaveof", 3, ADMIN | NOSCRIPT | STALE, (0, 0, 0), SRV, replicaof),
    Command::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        (0, 0, 0),
        SRV,
        replconf,
    ),
    Command::new("psync", -3, ADMIN | NOSCRIPT | NO_MULTI, (0, 0, 0), SRV, sync),
    Command::new("sync", 1, ADMIN | NOSCRIPT | NO_MULTI, (0, 0, 0), SRV, sync),
    Command::new("wait", 3, NOSCRIPT, (0, 0, 0), &["slow", "connection"], wait),
    Command::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
        (0, 0, 0),
        &["admin", "fast", "dangerous"],
        role,
    ),
];

fn replicaof(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        if ctx.srv.repl.master.is_some() {
            ctx.srv.unset_master();
            let who = ctx.client.info_line(std::time::Instant::now());
            notice!("MASTER MODE enabled (user request from '{}')", who);
        }
        return Reply::ok();
    }
    if ctx.client.is_replica {
        return Reply::err("ERR Command is not valid when client is a replica.");
    }
    let port = match std::str::from_utf8(&args[2]).ok().and_then(|s| s.parse::<i64>().ok()) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Reply::err("ERR Invalid master port"),
    };
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if let Some(m) = &ctx.srv.repl.master
        && m.host.eq_ignore_ascii_case(&host)
        && m.port == port
    {
        notice!(
            "REPLICAOF would result into synchronization with the master we are already \
             connected with. No operation performed."
        );
        return Reply::Simple("OK Already connected to specified master".into());
    }
    ctx.srv.set_master(host, port);
    let who = ctx.client.info_line(std::time::Instant::now());
    let m = ctx.srv.repl.master.as_ref().expect("just set");
    notice!("REPLICAOF {}:{} enabled (user request from '{}')", m.host, m.port, who);
    Reply::ok()
}

fn replconf(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let apply = |ctx: &mut Ctx<'_>, opts: Vec<ReplconfOpt>| {
        for o in opts {
            let info = crate::engine::Server::replica_info_mut(ctx.client);
            match o {
                ReplconfOpt::ListeningPort(p) => info.listening_port = p as u16,
                ReplconfOpt::IpAddress(ip) => {
                    info.announce_ip = Some(String::from_utf8_lossy(&ip).into_owned())
                }
                ReplconfOpt::CapaEof => info.capa_eof = true,
                ReplconfOpt::CapaPsync2 => info.capa_psync2 = true,
                ReplconfOpt::RdbOnly(_) | ReplconfOpt::RdbFilterOnly { .. } => {}
            }
        }
    };
    match replconf::parse(args) {
        ReplconfOutcome::Ok(opts) => {
            apply(ctx, opts);
            Reply::ok()
        }
        ReplconfOutcome::Err { applied, err } => {
            apply(ctx, applied);
            Reply::Error(err)
        }
        ReplconfOutcome::Ack { applied, offset } => {
            apply(ctx, applied);
            if ctx.client.is_replica
                && let Some(off) = offset
            {
                ctx.srv.replica_ack(ctx.client, off);
            }
            Reply::Raw(Bytes::new())
        }
        ReplconfOutcome::GetAck { applied } => {
            apply(ctx, applied);
            if ctx.client.is_master {
                ctx.srv.getack_reply(ctx.client);
            }
            Reply::Raw(Bytes::new())
        }
    }
}

fn sync(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    ctx.srv.sync_command(ctx.client, args)
}

/// `WAIT numreplicas timeout`: block until that many replicas acknowledged this
/// client's last write, or the timeout (ms, 0 = forever) passes.
fn wait(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if ctx.srv.repl.master.is_some() {
        return Reply::err(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
             4.0 if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        );
    }
    let Some(numreplicas) = std::str::from_utf8(&args[1]).ok().and_then(|s| s.parse::<i64>().ok())
    else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    let timeout = match std::str::from_utf8(&args[2]).ok().and_then(|s| s.parse::<i64>().ok()) {
        Some(t) if t < 0 => return Reply::err("ERR timeout is negative"),
        Some(t) => t,
        None => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    let offset = ctx.client.woff;
    let acked = ctx.srv.replicas_acked(offset);
    if acked as i64 >= numreplicas || ctx.in_multi() {
        return Reply::Int(acked as i64);
    }
    let deadline = (timeout > 0).then(|| ctx.now_ms() + timeout);
    let reply = ctx.block(Vec::new(), deadline, Reply::Int(0), args);
    let client = ctx.client.id;
    ctx.srv.add_waiter(Waiter {
        client,
        offset,
        numreplicas: numreplicas.max(0) as usize,
        deadline_ms: deadline,
    });
    reply
}

/// ROLE: `master offset [[ip port ack]…]` or `slave host port state offset`.
fn role(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let srv = &*ctx.srv;
    // `sentinelRoleCommand`: "sentinel" and the monitored masters' names.
    if let Some(s) = &srv.sentinel {
        let names = s.master_names().into_iter().map(|n| Reply::Bulk(n.into())).collect();
        return Reply::Array(vec![Reply::bulk_str("sentinel"), Reply::Array(names)]);
    }
    if let Some(m) = &srv.repl.master {
        let offset = if m.client.is_some() { m.reploff } else { -1 };
        return Reply::Array(vec![
            Reply::bulk_str("slave"),
            Reply::bulk_str(&m.host),
            Reply::Int(m.port as i64),
            Reply::bulk_str(m.state.role_name()),
            Reply::Int(offset),
        ]);
    }
    let mut replicas = Vec::new();
    for id in &srv.repl.replicas {
        let Some(c) = srv.clients.get(id) else { continue };
        let Some(info) = c.replica.as_ref() else { continue };
        if !info.state.is_some_and(|s| s.is_online()) {
            continue;
        }
        replicas.push(Reply::Array(vec![
            Reply::bulk_str(&replica_ip(c)),
            Reply::bulk_str(&info.listening_port.to_string()),
            Reply::bulk_str(&info.ack_off.to_string()),
        ]));
    }
    Reply::Array(vec![
        Reply::bulk_str("master"),
        Reply::Int(srv.repl.offset()),
        Reply::Array(replicas),
    ])
}

/// The address a replica is reported under: its announced ip, else the peer's.
pub fn replica_ip(c: &crate::engine::client::Client) -> String {
    if let Some(ip) = c.replica.as_ref().and_then(|r| r.announce_ip.clone()) {
        return ip;
    }
    match c.addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => c.addr.clone(),
    }
}
