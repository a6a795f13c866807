//! Epochs, votes and the failover leader (`sentinelVoteLeader`, `sentinelGetLeader`).
//!
//! Every sentinel votes at most once per epoch, for the first candidate that asks with
//! an epoch it has not voted in. A candidate wins when, counting the peers' votes for
//! the current epoch plus its own, it has a majority of **every sentinel ever known for
//! this master + 1** (not of the ones reachable now) and at least `quorum` votes.

use super::Global;
use super::instance::MasterState;
use crate::io::LogLevel;
use crate::timing::MAX_DESYNC;

use super::instance::Who;

/// Vote for `req_runid` in `req_epoch` if we have not voted in that epoch (or later);
/// otherwise return the vote we already gave. Returns (leader, leader_epoch).
pub fn vote_leader(
    g: &mut Global,
    m: &mut MasterState,
    req_epoch: u64,
    req_runid: &str,
    now: i64,
) -> (Option<String>, u64) {
    if req_epoch > g.current_epoch {
        g.current_epoch = req_epoch;
        g.flush();
        let rest = g.current_epoch.to_string();
        g.event_at(LogLevel::Warning, "+new-epoch", m, Who::Master, false, &rest);
    }
    if m.leader_epoch < req_epoch && g.current_epoch <= req_epoch {
        m.leader = Some(req_runid.to_string());
        m.leader_epoch = g.current_epoch;
        g.flush();
        let rest = format!("{} {}", req_runid, m.leader_epoch);
        g.event_at(LogLevel::Warning, "+vote-for-leader", m, Who::Master, false, &rest);
        // Having voted for someone else, we hold back our own attempt: this pushes the
        // 2 × failover-timeout gap forward.
        if !req_runid.eq_ignore_ascii_case(&g.myid) {
            m.failover_start_time = now + g.rand_below(MAX_DESYNC);
        }
    }
    (m.leader.clone(), m.leader_epoch)
}

/// Count votes for `epoch`; returns the winner if it has the majority and the quorum.
/// Our own vote goes to the most voted candidate, or to ourselves when nobody has votes.
pub fn get_leader(g: &mut Global, m: &mut MasterState, epoch: u64, now: i64) -> Option<String> {
    let voters = m.sentinels.len() as u64 + 1;
    // Candidate -> votes, in first-seen order (Redis iterates a dict; only ties differ).
    let mut counters: Vec<(String, u64)> = Vec::new();
    let incr = |counters: &mut Vec<(String, u64)>, runid: &str| -> u64 {
        if let Some(c) = counters.iter_mut().find(|(r, _)| r == runid) {
            c.1 += 1;
            c.1
        } else {
            counters.push((runid.to_string(), 1));
            1
        }
    };
    for s in &m.sentinels {
        if let Some(l) = &s.leader
            && s.leader_epoch == g.current_epoch
        {
            incr(&mut counters, l);
        }
    }
    let mut winner: Option<String> = None;
    let mut max_votes = 0;
    for (runid, votes) in &counters {
        if *votes > max_votes {
            max_votes = *votes;
            winner = Some(runid.clone());
        }
    }

    let candidate = winner.clone().unwrap_or_else(|| g.myid.clone());
    let (myvote, leader_epoch) = vote_leader(g, m, epoch, &candidate, now);
    if let Some(v) = myvote
        && leader_epoch == epoch
    {
        let votes = incr(&mut counters, &v);
        if votes > max_votes {
            max_votes = votes;
            winner = Some(v);
        }
    }

    let majority = voters / 2 + 1;
    if winner.is_some() && (max_votes < majority || max_votes < u64::from(m.quorum)) {
        winner = None;
    }
    winner
}
