//! Failure detection: SDOWN (`sentinelCheckSubjectivelyDown`), link recycling, ODOWN
//! (`sentinelCheckObjectivelyDown`), and asking peers with
//! `SENTINEL is-master-down-by-addr` (`sentinelAskMasterStateToOtherSentinels`).

use super::instance::{FailoverState, Kind, MasterState, Pending, Who};
use super::{Global, links};
use crate::info::Role;
use crate::io::{Action, LinkReply, LogLevel};

pub fn check_subjectively_down(g: &mut Global, m: &mut MasterState, who: Who, now: i64) {
    let t = g.timing;
    let reboot_down = m.inst.flags.master_reboot
        && who == Who::Master
        && now - m.master_reboot_since_time > m.master_reboot_down_after;
    let ri = m.get_mut(who);
    let elapsed = if ri.link.act_ping_time != 0 {
        now - ri.link.act_ping_time
    } else if ri.disconnected() {
        now - ri.link.last_avail_time
    } else {
        0
    };

    // 1) A command link that has been up for a while but has a PING pending for more
    //    than half down-after is probably stuck: drop it, it will be reconnected.
    if let Some(link) = ri.link.cmd
        && now - ri.link.cc_conn_time > t.min_link_reconnect_period
        && ri.link.act_ping_time != 0
        && now - ri.link.act_ping_time > ri.down_after / 2
        && now - ri.link.last_pong_time > ri.down_after / 2
    {
        ri.link.cmd = None;
        ri.link.pending.clear();
        g.push(Action::Close { link });
    }
    // 2) A pub/sub link silent for three hello periods (we hear our own hellos).
    if let Some(link) = ri.link.pubsub
        && now - ri.link.pc_conn_time > t.min_link_reconnect_period
        && now - ri.link.pc_last_activity > t.publish_period * 3
    {
        ri.link.pubsub = None;
        g.push(Action::Close { link });
    }

    // SDOWN: no valid PING reply for down-after; or a master that says it is a replica
    // for down-after plus two INFO periods; or a rebooted master not yet answering PONG.
    let down = elapsed > ri.down_after
        || (ri.kind == Kind::Master
            && ri.role_reported == Role::Replica
            && now - ri.role_reported_time > ri.down_after + t.info_period * 2)
        || reboot_down;
    if down {
        if !ri.flags.s_down {
            ri.flags.s_down = true;
            ri.s_down_since_time = now;
            g.event_at(LogLevel::Warning, "+sdown", m, who, true, "");
        }
    } else if ri.flags.s_down {
        ri.flags.s_down = false;
        ri.flags.script_kill_sent = false;
        g.event_at(LogLevel::Warning, "-sdown", m, who, true, "");
    }
}

/// ODOWN is a weak quorum: us plus the peers whose last reply said "down" (replies older
/// than 5 ask periods were already cleared) must reach the configured quorum.
pub fn check_objectively_down(g: &mut Global, m: &mut MasterState, now: i64) {
    let mut votes = 0u32;
    let mut odown = false;
    if m.inst.flags.s_down {
        votes = 1 + m.sentinels.iter().filter(|s| s.flags.master_down).count() as u32;
        odown = votes >= m.quorum;
    }
    if odown {
        if !m.inst.flags.o_down {
            m.inst.flags.o_down = true;
            m.inst.o_down_since_time = now;
            let jitter = g.timing.candidate_jitter;
            m.candidate_jitter = if jitter > 0 { g.rand_below(jitter as u64) } else { 0 };
            let rest = format!(" #quorum {}/{}", votes, m.quorum);
            g.event_at(LogLevel::Warning, "+odown", m, Who::Master, true, &rest);
        }
    } else if m.inst.flags.o_down {
        m.inst.flags.o_down = false;
        g.event_at(LogLevel::Warning, "-odown", m, Who::Master, true, "");
    }
}

/// Ask every connected peer whether the master is down, at most once per ask period
/// counted from its last reply. Redis asks again at every timer run until a reply comes;
/// Rhea keeps one unforced ask in flight per peer (its ask period is much shorter, see
/// [`crate::timing`]). A forced ask (the vote request when a failover starts) always
/// goes. While a failover is in progress the request carries our myid: a vote request.
pub fn ask_master_state_to_other_sentinels(
    g: &mut Global,
    m: &mut MasterState,
    forced: bool,
    now: i64,
) {
    let ask = g.timing.ask_every(m.inst.down_after);
    for i in 0..m.sentinels.len() {
        let who = Who::Sentinel(i);
        let s = &mut m.sentinels[i];
        if now - s.last_master_down_reply_time > ask * 5 {
            s.flags.master_down = false;
            s.leader = None;
        }
        if !m.inst.flags.s_down || s.disconnected() {
            continue;
        }
        if !forced
            && (now - s.last_master_down_reply_time < ask
                || s.link.pending.contains(&Pending::IsMasterDown))
        {
            continue;
        }
        let runid =
            if m.failover_state > FailoverState::None { g.myid.clone() } else { "*".to_string() };
        let argv = vec![
            m.map_command("SENTINEL"),
            "is-master-down-by-addr".to_string(),
            g.shown(&m.inst.addr).to_string(),
            m.inst.addr.port.to_string(),
            g.current_epoch.to_string(),
            runid,
        ];
        links::send(g, m, who, argv, Pending::IsMasterDown);
    }
}

/// `sentinelReceiveIsMasterDownReply`: `*3 :<down> $<leader|*> :<epoch>`; anything
/// else is ignored (the flag then times out).
pub fn on_is_master_down_reply(
    g: &mut Global,
    m: &mut MasterState,
    who: Who,
    reply: &LinkReply,
    now: i64,
) {
    let LinkReply::Array(items) = reply else { return };
    let [LinkReply::Int(down), LinkReply::Bulk(leader), LinkReply::Int(epoch)] = items.as_slice()
    else {
        return;
    };
    let s = m.get_mut(who);
    s.last_master_down_reply_time = now;
    s.flags.master_down = *down == 1;
    if leader != "*" {
        if s.leader_epoch as i64 != *epoch {
            let name = s.name.clone();
            g.log(LogLevel::Warning, format!("{name} voted for {leader} {epoch}"));
        }
        let s = m.get_mut(who);
        s.leader = Some(leader.clone());
        s.leader_epoch = u64::try_from(*epoch).unwrap_or(0);
    }
}
