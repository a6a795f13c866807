//! What an INFO reply changes: `sentinelRefreshInstanceInfo` (Redis 7.0).
//!
//! The monitoring half (always): cache the text, learn the run id (`+reboot` when it
//! changes), discover replicas from a master's `slave<N>:` lines (`+slave`), and record
//! the replica's view of its master. The acting half (not in TILT): notice a promotion
//! we are waiting for (`+promoted-slave`), turn a replica that claims to be a master
//! back (`+convert-to-slave`), re-point a replica following the wrong master
//! (`+fix-slave-config`), and move reconfigured replicas through inprog/done.

use super::instance::{FailoverState, Kind, MasterState, Who};
use super::{Global, failover, links};
use crate::info::{InfoReport, Role};
use crate::io::{Action, LogLevel};

/// `sentinelMasterLooksSane`: flagged master, reports master, not down, and its INFO
/// is younger than two INFO periods.
pub fn master_looks_sane(g: &Global, m: &MasterState, now: i64) -> bool {
    let ri = &m.inst;
    ri.role_reported == Role::Master
        && !ri.flags.s_down
        && !ri.flags.o_down
        && ri.info_refresh != 0
        && now - ri.info_refresh < g.timing.info_period * 2
}

pub fn refresh_instance_info(g: &mut Global, m: &mut MasterState, who: Who, text: &str, now: i64) {
    let report = InfoReport::parse(text);
    let kind = m.get(who).kind;
    {
        let ri = m.get_mut(who);
        ri.info = Some(text.to_string());
        ri.master_link_down_time = report.master_link_down_ms;
    }

    if let Some(id) = &report.run_id {
        let ri = m.get_mut(who);
        match &ri.runid {
            None => ri.runid = Some(id.clone()),
            Some(old) if old != id => {
                ri.runid = Some(id.clone());
                g.event_at(LogLevel::Notice, "+reboot", m, who, true, "");
                if kind == Kind::Master && m.master_reboot_down_after != 0 {
                    m.inst.flags.master_reboot = true;
                    m.master_reboot_since_time = now;
                }
            }
            Some(_) => {}
        }
    }

    if kind == Kind::Master {
        for (ip, port) in &report.replicas {
            // `sentinelRedisInstanceLookupSlave`, then `createSentinelRedisInstance`.
            let known = g
                .make_addr(ip, *port, false)
                .is_some_and(|a| m.replica_index(&a.name(g.announce_hostnames)).is_some());
            if !known
                && let Some(addr) = g.make_addr(ip, *port, true)
                && let Some(i) = failover::add_replica(g, m, addr, now)
            {
                g.event_at(LogLevel::Notice, "+slave", m, Who::Replica(i), true, "");
                g.flush();
            }
        }
    }

    if report.role == Some(Role::Replica) {
        let ri = m.get_mut(who);
        if let Some(host) = &report.master_host
            && !ri.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(host))
        {
            ri.slave_master_host = Some(host.clone());
            ri.slave_conf_change_time = now;
        }
        if let Some(port) = report.master_port
            && ri.slave_master_port != port
        {
            ri.slave_master_port = port;
            ri.slave_conf_change_time = now;
        }
        if let Some(up) = report.master_link_up {
            ri.slave_master_link_up = up;
        }
        if let Some(p) = report.slave_priority {
            ri.slave_priority = p;
        }
        if let Some(o) = report.slave_repl_offset {
            ri.slave_repl_offset = o;
        }
        if let Some(a) = report.replica_announced {
            ri.replica_announced = a;
        }
    }
    m.get_mut(who).info_refresh = now;

    // ---------------------------- acting half ----------------------------
    let Some(role) = report.role else { return };
    if role != m.get(who).role_reported {
        let ri = m.get_mut(who);
        ri.role_reported_time = now;
        ri.role_reported = role;
        if role == Role::Replica {
            ri.slave_conf_change_time = now;
        }
        let sign = if links::role_matches(kind, role) { "+role-change" } else { "-role-change" };
        let rest = format!(" new reported role is {}", role.as_str());
        g.event_at(LogLevel::Verbose, sign, m, who, true, &rest);
    }
    if g.tilt {
        return;
    }

    // A master reporting to be a replica needs nothing here: SDOWN catches it after
    // down-after + 2 INFO periods, and a failover follows.

    if kind == Kind::Replica && role == Role::Master {
        replica_reports_master(g, m, who, now);
    }

    let Who::Replica(_) = who else { return };
    if role != Role::Replica {
        return;
    }
    // A replica replicating from the wrong address is re-pointed after failover-timeout.
    let ri = m.get(who);
    let master_addr = m.inst.addr.clone();
    let points_elsewhere = !ri
        .slave_master_host
        .as_deref()
        .is_some_and(|h| g.addr_is(&master_addr, h, ri.slave_master_port));
    if points_elsewhere {
        let wait = m.failover_timeout;
        if master_looks_sane(g, m, now)
            && m.get(who).no_down_for(wait, now)
            && now - m.get(who).slave_conf_change_time > wait
            && links::send_slaveof(g, m, who, Some(&master_addr))
        {
            g.event_at(LogLevel::Notice, "+fix-slave-config", m, who, true, "");
        }
    }

    // SLAVEOF sent during reconf_slaves: sent -> inprog (it follows the promoted
    // replica) -> done (its link is up).
    let Some(p) = m.promoted_index() else { return };
    let promoted_addr = m.replicas[p].addr.clone();
    let ri = m.get_mut(who);
    if ri.flags.reconf_sent
        && ri
            .slave_master_host
            .as_deref()
            .is_some_and(|h| g.addr_is(&promoted_addr, h, ri.slave_master_port))
    {
        ri.flags.reconf_sent = false;
        ri.flags.reconf_inprog = true;
        g.event_at(LogLevel::Notice, "+slave-reconf-inprog", m, who, true, "");
    }
    let ri = m.get_mut(who);
    if ri.flags.reconf_inprog && ri.slave_master_link_up {
        ri.flags.reconf_inprog = false;
        ri.flags.reconf_done = true;
        g.event_at(LogLevel::Notice, "+slave-reconf-done", m, who, true, "");
    }
}

/// A known replica says `role:master`: either the promotion we wait for, or a replica
/// (maybe the returning old master) to convert back.
fn replica_reports_master(g: &mut Global, m: &mut MasterState, who: Who, now: i64) {
    let ri = m.get(who);
    if ri.flags.promoted
        && m.inst.flags.failover_in_progress
        && m.failover_state == FailoverState::WaitPromotion
    {
        // The promoted replica's master config epoch becomes the epoch we won: hello
        // spreads it and every other sentinel switches.
        m.config_epoch = m.failover_epoch;
        m.failover_state = FailoverState::ReconfSlaves;
        m.failover_state_change_time = now;
        g.flush();
        g.event_at(LogLevel::Warning, "+promoted-slave", m, who, true, "");
        if g.simfailure.crash_after_promotion {
            g.crashed = true;
            g.push(Action::Crash { reason: "crash-after-promotion".into() });
            return;
        }
        g.event_at(LogLevel::Warning, "+failover-state-reconf-slaves", m, Who::Master, true, "");
        let (from, to) = (m.inst.addr.clone(), m.get(who).addr.clone());
        failover::call_client_reconf_script(g, m, "leader", "start", &from, &to);
        links::force_hello_update(g, m);
        // Rhea: tell the peers now rather than at the next timer run; the hellos forced
        // above repeat it (harmlessly) on every link.
        for s in 0..m.sentinels.len() {
            links::send_hello(g, m, Who::Sentinel(s));
        }
        return;
    }
    // Wait a bit after the change, so a newer configuration can reach us first.
    let wait = g.timing.publish_period * 4;
    let master_addr = m.inst.addr.clone();
    if !ri.flags.promoted
        && master_looks_sane(g, m, now)
        && ri.no_down_for(wait, now)
        && now - ri.role_reported_time > wait
        && links::send_slaveof(g, m, who, Some(&master_addr))
    {
        g.event_at(LogLevel::Notice, "+convert-to-slave", m, who, true, "");
    }
}
