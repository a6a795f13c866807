//! Replication in the engine: the state the pure cores of [`crate::repl`] act on, and
//! the glue that runs them from commands, events and the cron.
//!
//! * [`propagate`]: `call()` collects what a command propagates; at the end of each
//!   execution unit the ops are encoded once ([`crate::repl::feed`]), fed to the
//!   backlog and appended to every replica's output (or its buffer during a sync).
//! * [`master`]: the master side — PSYNC/SYNC, full syncs (disk or diskless, from a
//!   copy-on-write snapshot like BGSAVE), REPLCONF ACK, PINGs, timeouts, WAIT,
//!   min-replicas.
//! * [`replica`]: the replica side — REPLICAOF, the master link's events
//!   ([`crate::net::master_link`] does the I/O), loading the master's RDB, applying and
//!   proxying the stream, ACKs, promotion with PSYNC2 history.
//!
//! ## Caveats
//! * While the master is busy (two or more clients answered per turn) the stream goes to
//!   the replicas at most every 150 µs, and replies to writes wait for it
//!   ([`crate::engine::flush`]): replicas trail by up to that much more than Redis's,
//!   and no write is acknowledged before its stream reached the replicas' sockets.
//! * A full sync serialises the snapshot into memory before sending it (diskless) or
//!   writes `dbfilename` and reads it back (disk); Redis streams from a forked child.
//! * The replica loads the master's RDB on the engine thread (Redis's default
//!   `repl-diskless-load disabled` also blocks, after writing the file); it does not
//!   keep a copy in `dbfilename`.
//! * No client-output-buffer-limit for replicas: a replica that cannot keep up grows
//!   its buffer until `repl-timeout` drops it.

pub mod master;
pub mod propagate;
pub mod replica;

use std::time::Instant;

use bytes::Bytes;

use super::client::ClientId;
use crate::repl::backlog::Backlog;
use crate::repl::feed::{Feed, PendingOps};
use crate::repl::handshake::ReplState;
use crate::repl::ids::ReplIds;
use crate::repl::psync::CachedMaster;

/// A replica's progress through a sync, as the master sees it (`SLAVE_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Waiting for a snapshot to start (`wait_bgsave`).
    WaitBgsaveStart,
    /// Its RDB is being produced; the stream is buffered (`wait_bgsave`).
    WaitBgsaveEnd,
    /// Diskless RDB sent; the stream starts at its first ACK.
    WaitAck,
    /// Streaming (`online`).
    Online,
}

impl ReplicaState {
    /// The `state=` word of INFO replication.
    pub fn info_name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            // 7.0 puts the replica online when the transfer ends and only holds the
            // stream back until its first ACK.
            ReplicaState::WaitAck | ReplicaState::Online => "online",
        }
    }

    /// `SLAVE_STATE_ONLINE` (counted by ROLE, WAIT and min-replicas).
    pub fn is_online(self) -> bool {
        matches!(self, ReplicaState::WaitAck | ReplicaState::Online)
    }
}

/// What the master knows about one replica client (set up by REPLCONF and PSYNC).
#[derive(Debug, Clone)]
pub struct ReplicaInfo {
    pub listening_port: u16,
    /// `REPLCONF ip-address` (replica-announce-ip), else the peer address.
    pub announce_ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// Set by PSYNC/SYNC; `None` while the client only sent REPLCONF.
    pub state: Option<ReplicaState>,
    pub ack_off: i64,
    /// Unix seconds of the last ACK (INFO `lag`).
    pub ack_time: i64,
    /// Stream produced while its RDB was being made or sent.
    pub buffered: Vec<u8>,
    /// The sync job it waits for.
    pub job: Option<u64>,
    /// The replica wants a plain `SYNC` (no `+FULLRESYNC` line).
    pub old_sync: bool,
    /// When it started waiting for a snapshot (diskless delay).
    pub waiting_since: Instant,
}

impl Default for ReplicaInfo {
    fn default() -> Self {
        ReplicaInfo {
            listening_port: 0,
            announce_ip: None,
            capa_eof: false,
            capa_psync2: false,
            state: None,
            ack_off: 0,
            ack_time: 0,
            buffered: Vec::new(),
            job: None,
            old_sync: false,
            waiting_since: Instant::now(),
        }
    }
}

/// The replica role: where the master is and how the link is doing.
#[derive(Debug, Clone)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    /// `server.repl_state`.
    pub state: ReplState,
    /// Generation of the current connection attempt: events of older ones are stale.
    pub generation: u64,
    /// The master client once the link streams.
    pub client: Option<ClientId>,
    /// Unix seconds the link went down (`master_link_down_since_seconds`).
    pub down_since: Option<i64>,
    /// Last byte received from the master (`master_last_io_seconds_ago`).
    pub last_io: Instant,
    /// Offset processed from the current master (`slave_repl_offset`).
    pub reploff: i64,
    /// What PSYNC asks for on the next connection.
    pub cached: Option<CachedMaster>,
    /// The db the cached master client had selected (the stream continues in it).
    pub cached_db: usize,
    /// Set to stop the link task of the current attempt (re-pointing, NO ONE).
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The RDB transfer's progress, written by the link task.
    pub progress: std::sync::Arc<crate::net::master_link::TransferProgress>,
}

/// A client blocked in WAIT.
#[derive(Debug, Clone)]
pub struct Waiter {
    pub client: ClientId,
    pub offset: i64,
    pub numreplicas: usize,
    pub deadline_ms: Option<i64>,
}

/// A full-sync snapshot being serialised for replicas.
#[derive(Debug, Clone)]
pub struct SyncJob {
    pub id: u64,
    pub diskless: bool,
    pub started: Instant,
}

/// Replication state of the server (both roles).
pub struct Replication {
    pub ids: ReplIds,
    pub backlog: Backlog,
    pub feed: Feed,
    /// Ops propagated by the current execution unit (`server.also_propagate`).
    pub pending: PendingOps,
    /// The stream bytes of one execution unit, encoded (kept for its allocation).
    pub encoded: Vec<u8>,
    /// Replica clients in attach order (INFO's `slave0`, `slave1`, …).
    pub replicas: Vec<ClientId>,
    /// The replica role, when `replicaof` is set.
    pub master: Option<MasterLink>,
    /// When the last replica left (`repl_no_slaves_since`), for `repl-backlog-ttl`.
    pub no_replicas_since: Instant,
    /// `min_slaves_good_slaves`, recomputed every second.
    pub good_replicas: usize,
    pub job: Option<SyncJob>,
    next_job: u64,
    pub waiters: Vec<Waiter>,
    /// An ACK arrived: check the WAIT clients.
    pub waiters_dirty: bool,
    /// A replica changed state while it was the running client (outside the client
    /// map): recount the good replicas before sleeping.
    pub refresh_good: bool,
    /// WAIT asked for acks: send `REPLCONF GETACK *` before the next sleep.
    pub get_ack: bool,
    /// Seconds of replication cron run so far (`replication_cron_loops`).
    pub cron_loops: u64,
    pub last_cron: Instant,
}

impl Replication {
    pub fn new(rng: &mut impl rand::RngCore, backlog_size: usize) -> Replication {
        Replication {
            ids: ReplIds::new(rng),
            backlog: Backlog::new(backlog_size),
            feed: Feed::new(),
            pending: PendingOps::default(),
            encoded: Vec::new(),
            replicas: Vec::new(),
            master: None,
            no_replicas_since: Instant::now(),
            good_replicas: 0,
            job: None,
            next_job: 1,
            waiters: Vec::new(),
            waiters_dirty: false,
            refresh_good: false,
            get_ack: false,
            cron_loops: 0,
            last_cron: Instant::now(),
        }
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> i64 {
        self.backlog.master_repl_offset()
    }

    pub fn next_job_id(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }
}

/// `REPLCONF GETACK *` as sent in the stream.
pub fn getack_argv() -> Vec<Bytes> {
    vec![Bytes::from_static(b"REPLCONF"), Bytes::from_static(b"GETACK"), Bytes::from_static(b"*")]
}
