//! Connecting to instances and the periodic traffic on the links (`instanceLink`,
//! `sentinelReconnectInstance`, `sentinelSendPeriodicCommands`, the reply callbacks).

use super::instance::{Addr, Kind, MasterState, Pending, Who};
use super::{Global, availability, failover, refresh};
use crate::hello::{HELLO_CHANNEL, Hello};
use crate::info::Role;
use crate::io::{Action, LinkKind, LinkReply, LogLevel};
use crate::timing::MAX_PENDING_COMMANDS;

/// `sentinelHandleRedisInstance`: the monitoring half always runs; the acting half
/// (down detection, failover) is skipped in TILT.
pub fn handle_instance(g: &mut Global, m: &mut MasterState, who: Who, now: i64) {
    reconnect(g, m, who, now);
    send_periodic_commands(g, m, who, now);

    if g.tilt {
        if now - g.tilt_start_time < g.timing.tilt_period {
            return;
        }
        g.tilt = false;
        g.event(LogLevel::Warning, "-tilt", "#tilt mode exited".to_string());
    }
    availability::check_subjectively_down(g, m, who, now);
    if who == Who::Master {
        master_checks(g, m, now);
        availability::ask_master_state_to_other_sentinels(g, m, false, now);
    }
}

/// The master's half of `sentinelHandleRedisInstance` after SDOWN: ODOWN, starting a
/// failover (asking for votes at once), and the failover state machine. Also run when a
/// peer's is-master-down answer arrives (Rhea), so ODOWN and the election do not wait
/// for the next timer run.
pub fn master_checks(g: &mut Global, m: &mut MasterState, now: i64) {
    availability::check_objectively_down(g, m, now);
    if failover::start_failover_if_needed(g, m, now) {
        availability::ask_master_state_to_other_sentinels(g, m, true, now);
    }
    failover::state_machine(g, m, now);
}

/// Queue one command on the instance's command link. False when there is none.
pub fn send(g: &mut Global, m: &mut MasterState, who: Who, argv: Vec<String>, p: Pending) -> bool {
    let ri = m.get_mut(who);
    let Some(link) = ri.link.cmd else { return false };
    ri.link.pending.push_back(p);
    g.push(Action::Send { link, argv });
    true
}

/// `sentinelSendAuthIfNeeded`: masters and replicas use the master's auth-user/-pass;
/// sentinels use sentinel-user/-pass, or else our own requirepass.
fn auth_argv(g: &Global, m: &MasterState, who: Who) -> Option<Vec<String>> {
    let (user, pass) = match m.get(who).kind {
        Kind::Sentinel => match &g.sentinel_pass {
            Some(p) => (g.sentinel_user.clone(), Some(p.clone())),
            None => (None, g.requirepass.clone()),
        },
        _ => (m.auth_user.clone(), m.auth_pass.clone()),
    };
    let pass = pass?;
    let mut argv = vec![m.map_command("AUTH")];
    argv.extend(user);
    argv.push(pass);
    Some(argv)
}

/// `sentinelReconnectInstance`: at most one attempt per ping period (Rhea: the
/// instance's effective ping period, so a connection killed under a short down-after is
/// back well within it); on a new command connection AUTH, CLIENT SETNAME and an
/// immediate PING; on a new pub/sub one AUTH, CLIENT SETNAME and SUBSCRIBE to the hello
/// channel.
fn reconnect(g: &mut Global, m: &mut MasterState, who: Who, now: i64) {
    let ri = m.get(who);
    if !ri.disconnected() || ri.addr.port == 0 {
        return;
    }
    let period = g.timing.ping_every(ri.down_after);
    if ri.link.last_reconn_time != 0 && now - ri.link.last_reconn_time < period {
        return;
    }
    let (host, port, kind) = (ri.addr.ip.clone(), ri.addr.port, ri.kind);
    m.get_mut(who).link.last_reconn_time = now;
    let auth = auth_argv(g, m, who);
    let client = m.map_command("CLIENT");

    if m.get(who).link.cmd.is_none() {
        let link = g.new_link();
        g.push(Action::Connect { link, kind: LinkKind::Cmd, host: host.clone(), port });
        let l = &mut m.get_mut(who).link;
        l.cmd = Some(link);
        l.pending.clear();
        l.cc_conn_time = now;
        if let Some(a) = auth.clone() {
            send(g, m, who, a, Pending::Discard);
        }
        let name = format!("sentinel-{}-cmd", &g.myid[..8.min(g.myid.len())]);
        send(g, m, who, vec![client.clone(), "SETNAME".into(), name], Pending::Discard);
        send_ping(g, m, who, now);
    }
    if kind != Kind::Sentinel && m.get(who).link.pubsub.is_none() {
        let link = g.new_link();
        g.push(Action::Connect { link, kind: LinkKind::Pubsub, host, port });
        let l = &mut m.get_mut(who).link;
        l.pubsub = Some(link);
        l.pc_conn_time = now;
        // Replies on the pub/sub connection are not counted as pending: every frame on
        // it goes to the hello handler, as Redis's SUBSCRIBE callback does.
        if let Some(a) = auth {
            g.push(Action::Send { link, argv: a });
        }
        let name = format!("sentinel-{}-pubsub", &g.myid[..8.min(g.myid.len())]);
        g.push(Action::Send { link, argv: vec![client, "SETNAME".into(), name] });
        let sub = m.map_command("SUBSCRIBE");
        g.push(Action::Send { link, argv: vec![sub, HELLO_CHANNEL.into()] });
    }
}

/// `sentinelSendPing`: the active ping time only moves when the previous PING was
/// answered, so down-after counts from the first unanswered one.
pub fn send_ping(g: &mut Global, m: &mut MasterState, who: Who, now: i64) -> bool {
    let ping = m.map_command("PING");
    if !send(g, m, who, vec![ping], Pending::Ping) {
        return false;
    }
    let l = &mut m.get_mut(who).link;
    l.last_ping_time = now;
    if l.act_ping_time == 0 {
        l.act_ping_time = now;
    }
    true
}

/// `sentinelSendPeriodicCommands`.
fn send_periodic_commands(g: &mut Global, m: &mut MasterState, who: Who, now: i64) {
    let ri = m.get(who);
    if ri.disconnected() || ri.link.pending.len() >= MAX_PENDING_COMMANDS {
        return;
    }
    // Replicas of a master that is ODOWN or failing over, or that lost their master,
    // are polled every second (Redis) so a promotion (or a fresh link-down time) is seen
    // soon. Rhea: from SDOWN on, at failover-info-period, so the INFO that replica
    // selection reads is fresh however fast the election went.
    let troubled = m.inst.flags.s_down || m.inst.flags.o_down || m.inst.flags.failover_in_progress;
    let info_period = if ri.kind == Kind::Replica && troubled {
        g.timing.failover_info_period.min(1000)
    } else if ri.kind == Kind::Replica && ri.master_link_down_time != 0 {
        1000
    } else {
        g.timing.info_period
    };
    let ping_period = g.timing.ping_every(ri.down_after);

    if ri.kind != Kind::Sentinel
        && (ri.info_refresh == 0 || now - ri.info_refresh > info_period)
        && !ri.link.pending.contains(&Pending::Info)
    {
        let info = m.map_command("INFO");
        send(g, m, who, vec![info], Pending::Info);
    }
    // Redis re-sends a PING every half period while one is unanswered; Rhea keeps one in
    // flight (the clock runs from the first unanswered one either way).
    let ri = m.get(who);
    if now - ri.link.last_pong_time > ping_period
        && now - ri.link.last_ping_time > ping_period / 2
        && !ri.link.pending.contains(&Pending::Ping)
    {
        send_ping(g, m, who, now);
    }
    if now - m.get(who).last_pub_time > g.timing.publish_period {
        send_hello(g, m, who);
    }
}

/// `sentinelSendHello`: PUBLISH our hello through the instance's command link. Fails
/// when disconnected, or when neither announce-ip nor the link's local address is known.
pub fn send_hello(g: &mut Global, m: &mut MasterState, who: Who) -> bool {
    let ri = m.get(who);
    if ri.disconnected() {
        return false;
    }
    let Some(ip) = g.announce_ip.clone().or_else(|| ri.link.local_ip.clone()) else {
        return false;
    };
    let port = if g.announce_port != 0 { g.announce_port } else { g.port };
    let (m_ip, m_port) = (g.shown(m.current_addr()).to_string(), m.current_addr().port);
    let hello = Hello {
        sentinel_ip: ip,
        sentinel_port: port,
        sentinel_runid: g.myid.clone(),
        current_epoch: g.current_epoch,
        master_name: m.inst.name.clone(),
        master_ip: m_ip,
        master_port: m_port,
        master_config_epoch: m.config_epoch,
    };
    let publish = m.map_command("PUBLISH");
    send(g, m, who, vec![publish, HELLO_CHANNEL.into(), hello.format()], Pending::Publish)
}

/// `sentinelForceHelloUpdateForMaster`: make every hello due at the next tick.
pub fn force_hello_update(g: &Global, m: &mut MasterState) {
    let step = g.timing.publish_period + 1;
    for who in m.all() {
        let ri = m.get_mut(who);
        if ri.last_pub_time >= step {
            ri.last_pub_time -= step;
        }
    }
}

/// The transaction every reconfiguration uses (`sentinelSendSlaveOf`): MULTI, SLAVEOF
/// `<target>` (or NO ONE), CONFIG REWRITE, CLIENT KILL TYPE normal/pubsub, EXEC. Replies
/// are ignored: the effect is observed in INFO.
pub fn send_slaveof(g: &mut Global, m: &mut MasterState, who: Who, target: Option<&Addr>) -> bool {
    if m.get(who).link.cmd.is_none() {
        return false;
    }
    let (host, port) = match target {
        Some(a) => (g.shown(a).to_string(), a.port.to_string()),
        None => ("NO".to_string(), "ONE".to_string()),
    };
    let (multi, slaveof, config, client, exec) = (
        m.map_command("MULTI"),
        m.map_command("SLAVEOF"),
        m.map_command("CONFIG"),
        m.map_command("CLIENT"),
        m.map_command("EXEC"),
    );
    let txn = [
        vec![multi],
        vec![slaveof, host, port],
        vec![config, "REWRITE".into()],
        vec![client.clone(), "KILL".into(), "TYPE".into(), "normal".into()],
        vec![client, "KILL".into(), "TYPE".into(), "pubsub".into()],
        vec![exec],
    ];
    for argv in txn {
        send(g, m, who, argv, Pending::Discard);
    }
    true
}

/// Route a command-link reply to the handler of the request it answers.
pub fn on_cmd_reply(g: &mut Global, m: &mut MasterState, who: Who, reply: LinkReply, now: i64) {
    let Some(p) = m.get_mut(who).link.pending.pop_front() else { return };
    match p {
        Pending::Discard => {}
        Pending::Info => {
            if let LinkReply::Bulk(text) = reply {
                refresh::refresh_instance_info(g, m, who, &text, now);
            }
        }
        Pending::Ping => on_ping_reply(g, m, who, &reply, now),
        Pending::Publish => {
            if !matches!(reply, LinkReply::Error(_)) {
                m.get_mut(who).last_pub_time = now;
            }
        }
        Pending::IsMasterDown => {
            availability::on_is_master_down_reply(g, m, who, &reply, now);
            // Rhea: a "down" or a vote may complete ODOWN or the election right now.
            if !g.tilt && (m.inst.flags.s_down || m.inst.flags.failover_in_progress) {
                master_checks(g, m, now);
            }
        }
    }
}

/// `sentinelPingReplyCallback`: PONG, LOADING and MASTERDOWN count as available; a
/// BUSY instance that is SDOWN gets one SCRIPT KILL.
fn on_ping_reply(g: &mut Global, m: &mut MasterState, who: Who, reply: &LinkReply, now: i64) {
    if let LinkReply::Status(text) | LinkReply::Error(text) = reply {
        let ri = m.get_mut(who);
        if text.starts_with("PONG") || text.starts_with("LOADING") || text.starts_with("MASTERDOWN")
        {
            ri.link.last_avail_time = now;
            ri.link.act_ping_time = 0;
            if ri.flags.master_reboot && text.starts_with("PONG") {
                ri.flags.master_reboot = false;
            }
        } else if text.starts_with("BUSY") && ri.flags.s_down && !ri.flags.script_kill_sent {
            ri.flags.script_kill_sent = true;
            let script = m.map_command("SCRIPT");
            send(g, m, who, vec![script, "KILL".into()], Pending::Discard);
        }
    }
    m.get_mut(who).link.last_pong_time = now;
}

/// `sentinelReceiveHelloMessages`' filter: a 3-element array of strings whose first
/// element is `message`. Returns the payload.
pub fn hello_payload(reply: &LinkReply) -> Option<String> {
    let LinkReply::Array(items) = reply else { return None };
    if items.len() != 3 || items.iter().any(|i| !matches!(i, LinkReply::Bulk(_))) {
        return None;
    }
    if items[0].as_text()? != "message" {
        return None;
    }
    items[2].as_text().map(str::to_string)
}

/// Whether an instance reports the role we expect from it (for `±role-change`).
pub fn role_matches(kind: Kind, role: Role) -> bool {
    matches!((kind, role), (Kind::Master, Role::Master) | (Kind::Replica, Role::Replica))
}
