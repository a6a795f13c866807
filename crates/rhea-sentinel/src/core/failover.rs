//! The failover state machine (`sentinelFailoverStateMachine` and its states), replica
//! selection (`sentinelSelectSlave`), and the resets that end a failover
//! (`sentinelResetMaster`, `sentinelResetMasterAndChangeAddress`).
//!
//! ```text
//! none -(ODOWN, 2×failover-timeout since the last attempt)-> wait_start
//! wait_start -(elected or forced)-> select_slave -(found)-> send_slaveof_noone
//!   -(txn queued)-> wait_promotion -(INFO role:master)-> reconf_slaves
//!   -(all replicas done, or failover-timeout)-> update_config -> +switch-master, none
//! aborts: not elected in min(election-timeout, failover-timeout); no good replica;
//!         promoted replica unreachable / not promoted within failover-timeout.
//! ```

use super::instance::{Addr, FailoverState, Instance, Kind, MasterState, Pending, Who};
use super::{Global, close_links, election, links, time_fmt};
use crate::io::{Action, LogLevel};
use crate::timing::MAX_DESYNC;

/// A master as `sentinel monitor` creates it (`createSentinelRedisInstance`).
pub fn new_master(g: &Global, name: &str, addr: Addr, quorum: u32, now: i64) -> MasterState {
    MasterState {
        inst: Instance::new(Kind::Master, name.to_string(), addr, g.timing.default_down_after, now),
        replicas: Vec::new(),
        sentinels: Vec::new(),
        quorum,
        parallel_syncs: crate::config::model::DEFAULT_PARALLEL_SYNCS,
        failover_timeout: g.timing.default_failover_timeout,
        master_reboot_down_after: 0,
        master_reboot_since_time: 0,
        auth_pass: None,
        auth_user: None,
        notification_script: None,
        client_reconfig_script: None,
        renamed_commands: Vec::new(),
        config_epoch: 0,
        leader: None,
        leader_epoch: 0,
        failover_epoch: 0,
        failover_state: FailoverState::None,
        failover_state_change_time: 0,
        failover_start_time: 0,
        failover_delay_logged: 0,
        candidate_jitter: 0,
        promoted: None,
    }
}

/// Add a replica named `ip:port` unless one exists; returns its index when added.
pub fn add_replica(g: &Global, m: &mut MasterState, addr: Addr, now: i64) -> Option<usize> {
    let name = addr.name(g.announce_hostnames);
    if m.replica_index(&name).is_some() {
        return None;
    }
    m.replicas.push(Instance::new(Kind::Replica, name, addr, m.inst.down_after, now));
    Some(m.replicas.len() - 1)
}

/// `sentinelCallClientReconfScript`: `<master> <leader|observer> start <from-ip>
/// <from-port> <to-ip> <to-port>`.
pub fn call_client_reconf_script(
    g: &mut Global,
    m: &MasterState,
    role: &str,
    state: &str,
    from: &Addr,
    to: &Addr,
) {
    let Some(path) = m.client_reconfig_script.clone() else { return };
    let args = vec![
        m.inst.name.clone(),
        role.to_string(),
        state.to_string(),
        g.shown(from).to_string(),
        from.port.to_string(),
        g.shown(to).to_string(),
        to.port.to_string(),
    ];
    g.push(Action::RunScript { path, args });
}

/// `sentinelStartFailover`: a new epoch, and a start time with up to 1 s of jitter so
/// sentinels that saw ODOWN together do not all ask for votes at once.
pub fn start_failover(g: &mut Global, m: &mut MasterState, now: i64) {
    m.failover_state = FailoverState::WaitStart;
    m.inst.flags.failover_in_progress = true;
    g.current_epoch += 1;
    m.failover_epoch = g.current_epoch;
    let rest = g.current_epoch.to_string();
    g.event_at(LogLevel::Warning, "+new-epoch", m, Who::Master, false, &rest);
    g.event_at(LogLevel::Warning, "+try-failover", m, Who::Master, true, "");
    m.failover_start_time = now + g.rand_below(MAX_DESYNC);
    m.failover_state_change_time = now;
}

/// `sentinelStartFailoverIfNeeded`: ODOWN, nothing in progress, and no attempt (ours,
/// or a vote we gave) in the last 2 × failover-timeout.
pub fn start_failover_if_needed(g: &mut Global, m: &mut MasterState, now: i64) -> bool {
    if !m.inst.flags.o_down || m.inst.flags.failover_in_progress {
        return false;
    }
    // Redis's clock is the Unix time, so its "0 = never" start time is always long
    // ago; with a monotonic clock that may start near 0 it has to be said explicitly.
    if m.failover_start_time != 0 && now - m.failover_start_time < m.failover_timeout * 2 {
        if m.failover_delay_logged != m.failover_start_time {
            m.failover_delay_logged = m.failover_start_time;
            let wall = g.previous_unix + (m.failover_start_time + m.failover_timeout * 2 - now);
            let when = time_fmt::ctime(wall.div_euclid(1000));
            g.log(
                LogLevel::Notice,
                format!("Next failover delay: I will not start a failover before {when}"),
            );
        }
        return false;
    }
    // Rhea: candidacy order (see `crate::timing`): wait rank × step + jitter from ODOWN,
    // or from the end of the gap after the last attempt, so that one sentinel asks for
    // votes first instead of all of them at once.
    let mut since = m.inst.o_down_since_time;
    if m.failover_start_time != 0 {
        since = since.max(m.failover_start_time + m.failover_timeout * 2);
    }
    if now < since + candidacy_delay(g, m) {
        return false;
    }
    start_failover(g, m, now);
    true
}

/// Rhea: how long after ODOWN this sentinel waits before asking for votes:
/// `rank × candidate-step + jitter`, where `rank` is the number of connected, not-down
/// peers of this master whose run id sorts before ours (case-insensitively), and the
/// jitter was drawn when ODOWN began.
pub fn candidacy_delay(g: &Global, m: &MasterState) -> i64 {
    let me = g.myid.to_ascii_lowercase();
    let rank = m
        .sentinels
        .iter()
        .filter(|s| !s.disconnected() && !s.flags.s_down && s.name.to_ascii_lowercase() < me)
        .count() as i64;
    rank * g.timing.candidate_step + m.candidate_jitter
}

/// `sentinelSelectSlave`: drop replicas that are down, disconnected, silent for 5 ping
/// periods, priority 0, with stale INFO, or disconnected from the master for too long;
/// then take the lowest priority, the highest offset, the smallest runid (strcasecmp,
/// missing runid last).
pub fn select_replica(g: &Global, m: &MasterState, now: i64) -> Option<usize> {
    let t = g.timing;
    let mut max_master_down_time = 0;
    if m.inst.flags.s_down {
        max_master_down_time += now - m.inst.s_down_since_time;
    }
    max_master_down_time += m.inst.down_after * 10;
    let info_validity = if m.inst.flags.s_down { t.ping_period * 5 } else { t.info_period * 3 };

    let mut candidates: Vec<usize> = (0..m.replicas.len())
        .filter(|&i| {
            let r = &m.replicas[i];
            !(r.flags.s_down || r.flags.o_down || r.disconnected())
                && now - r.link.last_avail_time <= t.ping_period * 5
                && r.slave_priority != 0
                && r.info_refresh != 0
                && now - r.info_refresh <= info_validity
                && r.master_link_down_time <= max_master_down_time
        })
        .collect();
    candidates.sort_by(|&a, &b| compare_for_promotion(&m.replicas[a], &m.replicas[b]));
    candidates.first().copied()
}

/// `compareSlavesForPromotion`: better first.
pub fn compare_for_promotion(a: &Instance, b: &Instance) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    a.slave_priority
        .cmp(&b.slave_priority)
        .then(b.slave_repl_offset.cmp(&a.slave_repl_offset))
        .then_with(|| match (&a.runid, &b.runid) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
        })
}

/// `sentinelFailoverStateMachine`. Redis runs one state per timer run; Rhea goes on
/// within the same run while a state hands over to select_slave or send_slaveof_noone
/// (elected → replica selected → SLAVEOF NO ONE sent), which need nothing from outside.
pub fn state_machine(g: &mut Global, m: &mut MasterState, now: i64) {
    loop {
        let before = m.failover_state;
        state_step(g, m, now);
        let chained = matches!(
            m.failover_state,
            FailoverState::SelectSlave | FailoverState::SendSlaveofNoone
        );
        if g.crashed || m.failover_state == before || !chained {
            return;
        }
    }
}

fn state_step(g: &mut Global, m: &mut MasterState, now: i64) {
    if !m.inst.flags.failover_in_progress {
        return;
    }
    match m.failover_state {
        FailoverState::WaitStart => wait_start(g, m, now),
        FailoverState::SelectSlave => select_slave(g, m, now),
        FailoverState::SendSlaveofNoone => send_slaveof_noone(g, m, now),
        FailoverState::WaitPromotion => {
            abort_if_promotion_timed_out(g, m, now);
        }
        FailoverState::ReconfSlaves => reconf_next_replica(g, m, now),
        FailoverState::None | FailoverState::UpdateConfig => {}
    }
}

fn wait_start(g: &mut Global, m: &mut MasterState, now: i64) {
    let epoch = m.failover_epoch;
    let leader = election::get_leader(g, m, epoch, now);
    let is_leader = leader.is_some_and(|l| l.eq_ignore_ascii_case(&g.myid));
    if !is_leader && !m.inst.flags.force_failover {
        let election_timeout = g.timing.election_timeout.min(m.failover_timeout);
        if now - m.failover_start_time > election_timeout {
            g.event_at(LogLevel::Warning, "-failover-abort-not-elected", m, Who::Master, true, "");
            abort_failover(m, now);
        }
        return;
    }
    g.event_at(LogLevel::Warning, "+elected-leader", m, Who::Master, true, "");
    if g.simfailure.crash_after_election {
        g.crashed = true;
        g.push(Action::Crash { reason: "crash-after-election".into() });
        return;
    }
    m.failover_state = FailoverState::SelectSlave;
    m.failover_state_change_time = now;
    g.event_at(LogLevel::Warning, "+failover-state-select-slave", m, Who::Master, true, "");
}

fn select_slave(g: &mut Global, m: &mut MasterState, now: i64) {
    match select_replica(g, m, now) {
        None => {
            g.event_at(
                LogLevel::Warning,
                "-failover-abort-no-good-slave",
                m,
                Who::Master,
                true,
                "",
            );
            abort_failover(m, now);
        }
        Some(i) => {
            g.event_at(LogLevel::Warning, "+selected-slave", m, Who::Replica(i), true, "");
            m.replicas[i].flags.promoted = true;
            m.promoted = Some(m.replicas[i].name.clone());
            m.failover_state = FailoverState::SendSlaveofNoone;
            m.failover_state_change_time = now;
            g.event_at(
                LogLevel::Notice,
                "+failover-state-send-slaveof-noone",
                m,
                Who::Replica(i),
                true,
                "",
            );
        }
    }
}

/// Failover-timeout in its third role: the promotion (SLAVEOF NO ONE sent, or awaited)
/// took too long, so the failover is abandoned (`-failover-abort-slave-timeout`).
fn abort_if_promotion_timed_out(g: &mut Global, m: &mut MasterState, now: i64) {
    if now - m.failover_state_change_time > m.failover_timeout {
        g.event_at(LogLevel::Warning, "-failover-abort-slave-timeout", m, Who::Master, true, "");
        abort_failover(m, now);
    }
}

fn send_slaveof_noone(g: &mut Global, m: &mut MasterState, now: i64) {
    let Some(p) = m.promoted_index() else { return };
    // Retried at every tick while the replica is unreachable, until failover-timeout.
    if m.replicas[p].disconnected() {
        abort_if_promotion_timed_out(g, m, now);
        return;
    }
    if !links::send_slaveof(g, m, Who::Replica(p), None) {
        return;
    }
    // Rhea: INFO right behind the transaction. Its reply, on the same FIFO link, is what
    // the replica says after SLAVEOF NO ONE ran: role:master moves us to reconf_slaves
    // without waiting for the next periodic INFO (up to 1 s in Redis).
    let info = m.map_command("INFO");
    links::send(g, m, Who::Replica(p), vec![info], Pending::Info);
    g.event_at(LogLevel::Notice, "+failover-state-wait-promotion", m, Who::Replica(p), true, "");
    m.failover_state = FailoverState::WaitPromotion;
    m.failover_state_change_time = now;
}

/// `sentinelFailoverReconfNextSlave`: SLAVEOF the promoted replica to at most
/// parallel-syncs replicas at a time; one stuck in `reconf_sent` for
/// slave-reconf-timeout is counted done (a later +fix-slave-config repairs it).
fn reconf_next_replica(g: &mut Global, m: &mut MasterState, now: i64) {
    let Some(p) = m.promoted_index() else { return };
    let promoted_addr = m.replicas[p].addr.clone();
    let mut in_progress =
        m.replicas.iter().filter(|r| r.flags.reconf_sent || r.flags.reconf_inprog).count() as u32;
    for i in 0..m.replicas.len() {
        if in_progress >= m.parallel_syncs {
            break;
        }
        let r = &mut m.replicas[i];
        if r.flags.promoted || r.flags.reconf_done {
            continue;
        }
        if r.flags.reconf_sent && now - r.slave_reconf_sent_time > g.timing.slave_reconf_timeout {
            r.flags.reconf_sent = false;
            r.flags.reconf_done = true;
            g.event_at(
                LogLevel::Notice,
                "-slave-reconf-sent-timeout",
                m,
                Who::Replica(i),
                true,
                "",
            );
        }
        let r = &m.replicas[i];
        if r.flags.reconf_sent || r.flags.reconf_inprog || r.disconnected() {
            continue;
        }
        if links::send_slaveof(g, m, Who::Replica(i), Some(&promoted_addr)) {
            let r = &mut m.replicas[i];
            r.flags.reconf_sent = true;
            r.slave_reconf_sent_time = now;
            g.event_at(LogLevel::Notice, "+slave-reconf-sent", m, Who::Replica(i), true, "");
            in_progress += 1;
        }
    }
    detect_end(g, m, now);
}

/// `sentinelFailoverDetectEnd`.
fn detect_end(g: &mut Global, m: &mut MasterState, now: i64) {
    let Some(p) = m.promoted_index() else { return };
    if m.replicas[p].flags.s_down {
        return;
    }
    let elapsed = now - m.failover_state_change_time;
    let mut not_reconfigured = m
        .replicas
        .iter()
        .filter(|r| !(r.flags.promoted || r.flags.reconf_done || r.flags.s_down))
        .count();
    let timeout = elapsed > m.failover_timeout;
    if timeout {
        not_reconfigured = 0;
        g.event_at(LogLevel::Warning, "+failover-end-for-timeout", m, Who::Master, true, "");
    }
    if not_reconfigured == 0 {
        g.event_at(LogLevel::Warning, "+failover-end", m, Who::Master, true, "");
        m.failover_state = FailoverState::UpdateConfig;
        m.failover_state_change_time = now;
    }
    if timeout {
        // Best effort: tell the remaining replicas where the new master is.
        let promoted_addr = m.replicas[p].addr.clone();
        for i in 0..m.replicas.len() {
            let f = m.replicas[i].flags;
            if f.promoted || f.reconf_done || f.reconf_sent || m.replicas[i].disconnected() {
                continue;
            }
            if links::send_slaveof(g, m, Who::Replica(i), Some(&promoted_addr)) {
                g.event_at(LogLevel::Notice, "+slave-reconf-sent-be", m, Who::Replica(i), true, "");
                m.replicas[i].flags.reconf_sent = true;
            }
        }
    }
}

/// `sentinelAbortFailover`: only possible before the promotion was acknowledged.
pub fn abort_failover(m: &mut MasterState, now: i64) {
    m.inst.flags.failover_in_progress = false;
    m.inst.flags.force_failover = false;
    m.failover_state = FailoverState::None;
    m.failover_state_change_time = now;
    if let Some(p) = m.promoted_index() {
        m.replicas[p].flags.promoted = false;
    }
    m.promoted = None;
}

/// `sentinelFailoverSwitchToPromotedSlave`.
pub fn switch_to_promoted(g: &mut Global, m: &mut MasterState, now: i64) {
    let target =
        m.promoted_index().map(|p| m.replicas[p].addr.clone()).unwrap_or(m.inst.addr.clone());
    let old = &m.inst.addr;
    let rest = format!(
        "{} {} {} {} {}",
        m.inst.name,
        g.shown(old),
        old.port,
        g.shown(&target),
        target.port
    );
    g.event_at(LogLevel::Warning, "+switch-master", m, Who::Master, false, &rest);
    reset_master_and_change_address(g, m, target, now);
}

/// `sentinelResetMaster`: forget replicas (and peers unless `keep_sentinels`), drop the
/// links, clear every runtime flag and the failover; a new failover may start at once.
pub fn reset_master(
    g: &mut Global,
    m: &mut MasterState,
    keep_sentinels: bool,
    event: bool,
    now: i64,
) {
    for mut r in std::mem::take(&mut m.replicas) {
        close_links(g, &mut r);
    }
    if !keep_sentinels {
        for mut s in std::mem::take(&mut m.sentinels) {
            close_links(g, &mut s);
        }
    }
    close_links(g, &mut m.inst);
    m.inst.flags = Default::default();
    m.leader = None;
    m.failover_state = FailoverState::None;
    m.failover_state_change_time = 0;
    m.failover_start_time = 0;
    m.promoted = None;
    m.inst.runid = None;
    m.inst.slave_master_host = None;
    // Rhea: a fresh availability clock. Redis sets act_ping_time = now and keeps the
    // last reconnect time (spent on the old, dead address), so the new address may be
    // reconnected only a ping period later and flagged +sdown before its first PING.
    // Here it is reconnected at the next tick and down-after counts from that PING.
    let l = &mut m.inst.link;
    l.act_ping_time = 0;
    l.last_ping_time = 0;
    l.last_avail_time = now;
    l.last_pong_time = now;
    l.last_reconn_time = 0;
    // The peers' "down" answers and votes were about the old address.
    for s in &mut m.sentinels {
        s.flags.master_down = false;
        s.leader = None;
    }
    m.candidate_jitter = 0;
    m.inst.role_reported_time = now;
    m.inst.role_reported = crate::info::Role::Master;
    if event {
        g.event_at(LogLevel::Warning, "+reset-master", m, Who::Master, true, "");
    }
}

/// `sentinelResetMasterAndChangeAddress`: the master keeps its name and peers and moves
/// to `new`; the old address and the other replicas come back as replicas (`+slave`),
/// so the old master is reconfigured when it returns.
pub fn reset_master_and_change_address(g: &mut Global, m: &mut MasterState, new: Addr, now: i64) {
    let mut keep: Vec<Addr> =
        m.replicas.iter().filter(|r| !r.addr.same(&new)).map(|r| r.addr.clone()).collect();
    if !m.inst.addr.same(&new) {
        keep.push(m.inst.addr.clone());
    }
    reset_master(g, m, true, false, now);
    m.inst.addr = new;
    m.inst.o_down_since_time = 0;
    m.inst.s_down_since_time = 0;
    for addr in keep {
        if let Some(i) = add_replica(g, m, addr, now) {
            g.event_at(LogLevel::Notice, "+slave", m, Who::Replica(i), true, "");
        }
    }
    g.flush();
}
