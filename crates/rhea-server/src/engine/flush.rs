//! The end of an event-loop turn: which queued output is written now, in what order,
//! and what waits — the replication stream's *group commit*.
//!
//! ## The rule
//! A reply to a client whose write went into the replication stream is written only
//! after the stream holding that write has been handed to the replicas' sockets. Other
//! replies go first, newest first (Redis's pending-write list is filled at its head).
//! Redis writes most of a turn's replies before the stream; here no write is
//! acknowledged before the replicas' sockets have it, so a master killed between the two
//! writes cannot have acknowledged a write its replicas never got (the kind of loss
//! `anchors.md` lists; it narrows that window, it cannot close it: a machine that dies
//! loses what its socket buffers held).
//!
//! ## Under load the stream is written at most every [`STREAM_HOLD`]
//! When two or more clients are answered in a turn and the stream was last written less
//! than [`STREAM_HOLD`] ago, the stream and the writers' replies wait for a later turn
//! (the loop wakes in time for them); replies that do not depend on the stream still go
//! at once. Why: every write to a replica's socket costs the master a system call and
//! wakes the replica; at one write per turn, the replicas of a busy master woke tens of
//! thousands of times a second and, on a machine they share with it, took CPU the master
//! needed. Measured with redis-benchmark SET, 50 clients, two replicas, 2 cores,
//! alternating runs (medians of 5): 70.9k requests/s writing the stream every turn,
//! 76.9k with the hold, Redis 75.5k; the replicas' CPU per request fell from 3.3 to
//! 1.9 µs. Holds of 80, 110 and 300 µs measured worse than 150 (at 300 the writers'
//! waits dominate). The cost is up to 150 µs more latency on writes, only while the
//! master is busy enough that its turns come faster than that; a lone client's write
//! (one client answered per turn) is never held. WAIT's `REPLCONF GETACK` flushes at
//! once.

use std::time::{Duration, Instant};

use super::client::ClientId;

/// The shortest interval between two writes of the replication stream while the
/// master is busy (see the module docs).
pub const STREAM_HOLD: Duration = Duration::from_micros(150);

/// One queued output, as [`plan`] needs to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub id: ClientId,
    /// A replica: its output is the replication stream.
    pub replica: bool,
    /// A client whose reply acknowledges a write not yet handed to the replicas.
    pub writer: bool,
}

/// What to write now, in order, and what to keep queued for a later turn.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub now: Vec<ClientId>,
    pub keep: Vec<ClientId>,
    /// The stream is among `now`.
    pub stream_written: bool,
}

/// Order a turn's queued output (`queued` in queue order; an id may appear more than
/// once). When the turn has stream output, `hold(clients)` — given how many distinct
/// clients the turn answers — says whether to keep the stream and the writers' replies
/// for later.
pub fn plan(queued: &[Queued], hold: impl FnOnce(usize) -> bool) -> Plan {
    let mut seen = Vec::with_capacity(queued.len());
    let mut once = |q: &&Queued| {
        let new = !seen.contains(&q.id);
        if new {
            seen.push(q.id);
        }
        new
    };
    let readers: Vec<ClientId> = queued
        .iter()
        .rev()
        .filter(|q| !q.replica && !q.writer)
        .filter(&mut once)
        .map(|q| q.id)
        .collect();
    let stream: Vec<ClientId> =
        queued.iter().filter(|q| q.replica).filter(&mut once).map(|q| q.id).collect();
    let writers: Vec<ClientId> =
        queued.iter().filter(|q| q.writer).filter(&mut once).map(|q| q.id).collect();
    if !stream.is_empty() && hold(readers.len() + writers.len()) {
        return Plan { now: readers, keep: [stream, writers].concat(), stream_written: false };
    }
    let stream_written = !stream.is_empty();
    Plan { now: [readers, stream, writers].concat(), keep: Vec::new(), stream_written }
}

/// When the stream was last handed to the replicas, and up to which offset.
#[derive(Debug)]
pub struct StreamFlush {
    pub at: Instant,
    /// `master_repl_offset` then: a reply to a write beyond it waits for the stream.
    pub offset: i64,
    /// Write the stream at the end of this turn whatever the load (WAIT asked for acks).
    pub urgent: bool,
}

impl StreamFlush {
    pub fn new() -> StreamFlush {
        StreamFlush { at: Instant::now(), offset: 0, urgent: false }
    }

    /// Whether a turn with stream output that answers `clients` distinct clients keeps
    /// it for later.
    pub fn hold(&self, clients: usize) -> bool {
        !self.urgent && clients >= 2 && self.at.elapsed() < STREAM_HOLD
    }

    /// When held output must be written at the latest.
    pub fn due(&self) -> Instant {
        self.at + STREAM_HOLD
    }

    /// The stream up to `offset` has been handed to the replicas.
    pub fn written(&mut self, offset: i64) {
        self.at = Instant::now();
        self.offset = offset;
        self.urgent = false;
    }
}

impl Default for StreamFlush {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: ClientId, replica: bool, writer: bool) -> Queued {
        Queued { id, replica, writer }
    }

    /// Replicas 10 and 11; clients 1 and 3 wrote, 2 read.
    fn turn() -> Vec<Queued> {
        vec![
            q(10, true, false),
            q(11, true, false),
            q(1, false, true),
            q(2, false, false),
            q(3, false, true),
        ]
    }

    #[test]
    fn readers_first_newest_first_then_the_stream_then_the_writers() {
        let p = plan(&turn(), |_| false);
        assert_eq!(p.now, vec![2, 10, 11, 1, 3]);
        assert!(p.keep.is_empty() && p.stream_written);
    }

    #[test]
    fn a_held_turn_answers_readers_and_keeps_the_stream_and_the_writers() {
        let p = plan(&turn(), |clients| clients == 3);
        assert_eq!((p.now, p.keep, p.stream_written), (vec![2], vec![10, 11, 1, 3], false));
    }

    /// A client queued several times comes out once, at its first place; a lone
    /// writer is answered after its stream.
    #[test]
    fn duplicates_come_out_once_and_a_lone_writer_follows_its_stream() {
        let dup = [
            q(4, false, false),
            q(10, true, false),
            q(1, false, true),
            q(4, false, false),
            q(1, false, true),
        ];
        assert_eq!(plan(&dup, |_| false).now, vec![4, 10, 1]);
        assert_eq!(plan(&[q(10, true, false), q(1, false, true)], |_| false).now, vec![10, 1]);
        assert_eq!(plan(&[], |_| true), Plan::default());
        let readers = [q(1, false, false), q(2, false, false)];
        assert_eq!(plan(&readers, |_| true).now, vec![2, 1], "nothing to hold without a stream");
    }

    #[test]
    fn only_a_busy_turn_with_a_recent_stream_write_is_held() {
        let mut f = StreamFlush::new();
        f.written(100);
        assert!(f.hold(2));
        assert!(!f.hold(1), "a lone client is never held");
        f.urgent = true;
        assert!(!f.hold(5), "WAIT wants the stream now");
        f.written(200);
        f.at -= STREAM_HOLD;
        assert!(!f.hold(5), "the last write is old enough");
        assert_eq!(f.offset, 200);
    }
}
