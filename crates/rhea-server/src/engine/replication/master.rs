//! The master side: PSYNC/SYNC (`syncCommand`), full syncs, REPLCONF ACK, the
//! once-a-second replication cron, WAIT and min-replicas.
//!
//! A full sync takes the same copy-on-write snapshot as BGSAVE. Diskless (the 7.0
//! default, for replicas that sent `capa eof`) serialises it into memory on a thread and
//! sends `$EOF:<mark>` + RDB + mark; the stream starts at the replica's first ACK.
//! Disk-based runs a BGSAVE, then sends `$<len>` + the file and streams at once.
//! Replicas asking while a snapshot is already being made wait for the next one (Redis
//! can attach them to a disk BGSAVE in progress; we do not).

use std::time::{Duration, Instant};

use bytes::Bytes;
use rhea_resp::Reply;

use super::{ReplicaInfo, ReplicaState, SyncJob, Waiter};
use crate::engine::client::{Client, ClientId};
use crate::engine::inbox::EngineTx;
use crate::engine::{Event, Server, unix_ms};
use crate::repl::psync::{self, PsyncDecision};
use crate::{notice, warning};

/// How a replica is named in log lines (`replicationGetSlaveName`).
pub fn replica_name(c: &Client) -> String {
    let info = c.replica.as_deref();
    let ip = info
        .and_then(|i| i.announce_ip.clone())
        .unwrap_or_else(|| c.addr.rsplit_once(':').map_or(c.addr.clone(), |(ip, _)| ip.into()));
    match info.map(|i| i.listening_port) {
        Some(p) if p != 0 => format!("{ip}:{p}"),
        _ => format!("client id #{}", c.id),
    }
}

impl Server {
    /// `syncCommand` for PSYNC and SYNC. Replies are written directly; the returned
    /// reply is only for errors.
    pub fn sync_command(&mut self, c: &mut Client, argv: &[Bytes]) -> Reply {
        if c.replica.as_ref().is_some_and(|r| r.state.is_some()) {
            return Reply::Raw(Bytes::new());
        }
        if let Some(m) = &self.repl.master
            && m.client.is_none()
        {
            return Reply::err("NOMASTERLINK Can't SYNC while not connected with my master");
        }
        let is_psync = argv[0].eq_ignore_ascii_case(b"psync");
        let offset = if is_psync {
            match psync::parse_offset(&argv[2]) {
                Ok(o) => Some(o),
                Err(e) => return Reply::err(e),
            }
        } else {
            None
        };
        let info = c.replica.get_or_insert_with(Default::default);
        let psync2 = info.capa_psync2;
        let name = replica_name(c);
        notice!("Replica {} asks for synchronization", name);
        if let Some(offset) = offset {
            let decision = psync::master_try_partial_resync(
                &self.repl.ids,
                &self.repl.backlog,
                &argv[1],
                offset,
                psync2,
            );
            match decision {
                PsyncDecision::Continue { reply, backlog } => {
                    c.outbuf.extend_from_slice(&reply);
                    c.outbuf.extend_from_slice(&backlog);
                    self.attach_replica(c, ReplicaState::Online);
                    self.stats.sync_partial_ok += 1;
                    self.repl.refresh_good = true;
                    notice!(
                        "Partial resynchronization request from {} accepted. Sending {} bytes of \
                         backlog starting from offset {}.",
                        name,
                        backlog.len(),
                        offset
                    );
                    return Reply::Raw(Bytes::new());
                }
                PsyncDecision::FullResync => {
                    if argv[1][..] == b"?"[..] {
                        notice!("Full resync requested by replica {}", name);
                    } else {
                        self.stats.sync_partial_err += 1;
                        notice!(
                            "Partial resynchronization not accepted: Replication ID mismatch \
                             or offset out of range (Replica asked for '{}' / {})",
                            String::from_utf8_lossy(&argv[1]),
                            offset
                        );
                    }
                }
            }
        } else if let Some(i) = c.replica.as_mut() {
            i.old_sync = true;
        }
        self.stats.sync_full += 1;
        let created =
            psync::prepare_full_resync(&mut self.repl.ids, &mut self.repl.backlog, &mut self.rng);
        if created {
            notice!(
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                self.repl.ids.replid_str(),
                self.repl.ids.replid2_str()
            );
        }
        self.attach_replica(c, ReplicaState::WaitBgsaveStart);
        if self.loaded.config.repl_diskless_sync
            && !self.loaded.config.repl_diskless_sync_delay.is_zero()
        {
            notice!("Delay next BGSAVE for diskless SYNC");
        }
        Reply::Raw(Bytes::new())
    }

    fn attach_replica(&mut self, c: &mut Client, state: ReplicaState) {
        c.is_replica = true;
        let info = c.replica.get_or_insert_with(Default::default);
        info.state = Some(state);
        info.ack_time = unix_ms() / 1000;
        info.waiting_since = Instant::now();
        if !self.repl.replicas.contains(&c.id) {
            self.repl.replicas.push(c.id);
        }
    }

    /// A replica client is gone (`freeClient` of a slave).
    pub fn detach_replica(&mut self, c: &Client) {
        if !self.repl.replicas.contains(&c.id) {
            return;
        }
        self.repl.replicas.retain(|&id| id != c.id);
        notice!("Connection with replica {} lost.", replica_name(c));
        if self.repl.replicas.is_empty() {
            self.repl.no_replicas_since = Instant::now();
        }
        self.refresh_good_replicas();
    }

    /// `REPLCONF ACK <offset>` from a replica.
    pub fn replica_ack(&mut self, c: &mut Client, offset: i64) {
        let Some(info) = c.replica.as_mut() else { return };
        if info.state.is_none() {
            return;
        }
        if offset > info.ack_off {
            info.ack_off = offset;
        }
        info.ack_time = unix_ms() / 1000;
        // A replica ACKs only once it has read the whole EOF-marked payload, so an ACK
        // that overtakes the end-of-transfer event also means the transfer is complete.
        let diskless_job =
            self.repl.job.as_ref().is_some_and(|j| j.diskless && Some(j.id) == info.job);
        let transferred = info.state == Some(ReplicaState::WaitAck)
            || info.state == Some(ReplicaState::WaitBgsaveEnd) && diskless_job;
        if transferred {
            info.state = Some(ReplicaState::Online);
            info.job = None;
            let buffered = std::mem::take(&mut info.buffered);
            c.outbuf.extend_from_slice(&buffered);
            notice!("Synchronization with replica {} succeeded", replica_name(c));
        }
        // The running client is outside the client map: count it once it is back.
        self.repl.refresh_good = true;
        self.repl.waiters_dirty = true;
    }

    /// Run every event-loop turn (`beforeSleep`'s replication part).
    pub fn replication_before_sleep(&mut self) {
        if std::mem::take(&mut self.repl.refresh_good) {
            self.refresh_good_replicas();
        }
        if self.repl.get_ack {
            self.repl.get_ack = false;
            let mut out = Vec::new();
            let db = self.repl.feed.selected_db();
            self.repl.feed.encode(db, &super::getack_argv(), &mut out);
            self.feed_stream(&out);
            // WAIT is waiting: the stream goes out this turn, held or not.
            self.stream_flush.urgent = true;
        }
        if self.repl.waiters_dirty || !self.repl.waiters.is_empty() {
            self.repl.waiters_dirty = false;
            self.serve_waiters(unix_ms());
        }
        self.maybe_start_sync_job();
    }

    /// Start a snapshot for replicas waiting for one, when allowed.
    fn maybe_start_sync_job(&mut self) {
        if self.repl.job.is_some() {
            return;
        }
        let waiting: Vec<ClientId> = self
            .repl
            .replicas
            .iter()
            .copied()
            .filter(|id| {
                self.clients.get(id).and_then(|c| c.replica.as_ref()).and_then(|r| r.state)
                    == Some(ReplicaState::WaitBgsaveStart)
            })
            .collect();
        if waiting.is_empty() {
            return;
        }
        let all_eof =
            waiting.iter().all(|id| self.clients[id].replica.as_ref().is_some_and(|r| r.capa_eof));
        let diskless = self.loaded.config.repl_diskless_sync && all_eof;
        if diskless {
            let delay = self.loaded.config.repl_diskless_sync_delay;
            let max = self.loaded.config.repl_diskless_sync_max_replicas as usize;
            let longest = waiting
                .iter()
                .filter_map(|id| self.clients[id].replica.as_ref().map(|r| r.waiting_since))
                .min()
                .map_or(Duration::ZERO, |t| t.elapsed());
            if longest < delay && !(max > 0 && waiting.len() >= max) {
                return;
            }
        } else if self.persist.bgsave.is_some() {
            return;
        }
        let job = self.repl.next_job_id();
        let offset = self.repl.offset();
        let fullresync = psync::fullresync_reply(&self.repl.ids.replid, offset);
        for id in &waiting {
            let Some(c) = self.clients.get_mut(id) else { continue };
            let info = c.replica.as_mut().expect("waiting replica");
            if !info.old_sync {
                c.outbuf.extend_from_slice(&fullresync);
            }
            info.state = Some(ReplicaState::WaitBgsaveEnd);
            info.job = Some(job);
            self.to_flush.push(*id);
        }
        self.repl.feed.force_select();
        let target = if diskless { "replicas sockets" } else { "disk" };
        notice!("Starting BGSAVE for SYNC with target: {}", target);
        self.repl.job = Some(SyncJob { id: job, diskless, started: Instant::now() });
        if diskless {
            self.spawn_diskless_job(job);
        } else {
            self.persist.for_sync = Some(job);
            if let Err(e) = self.start_bgsave() {
                self.persist.for_sync = None;
                self.sync_job_failed(job, &e);
            }
        }
    }

    /// Serialise the snapshot on a thread and stream it to the replicas in chunks: the
    /// transfer overlaps the serialisation (as Redis's child writes to the sockets), and
    /// no copy of the whole RDB is ever held.
    fn spawn_diskless_job(&mut self, job: u64) {
        let Some(tx) = self.self_tx.clone() else { return };
        let mark = crate::engine::random_hex(&mut self.rng, 40);
        rhea_keyspace::cow::reset();
        // Tables avoid resizing until the thread drops the snapshot with its hold.
        let hold = crate::engine::rehash::SnapshotHold::acquire();
        let snapshot = self.dbs.clone();
        let opts = rhea_rdb::WriteOptions {
            compression: self.loaded.config.rdbcompression,
            checksum: self.loaded.config.rdbchecksum,
            ctime: unix_ms() / 1000,
            used_mem: crate::engine::memory::used() as i64,
            repl: self.rdb_repl_aux(),
        };
        notice!("Background RDB transfer started by pid {}", std::process::id());
        let spawned = std::thread::Builder::new().name("rhea-replsync".into()).spawn(move || {
            rhea_sys::lower_thread_priority(10);
            let out = ChunkSender::new(tx.clone(), job, format!("$EOF:{mark}\r\n").into_bytes());
            let result = rhea_rdb::write_dbs(out, &snapshot, &opts)
                .map(|mut out| {
                    out.buf.extend_from_slice(mark.as_bytes());
                    out.send_chunk();
                })
                .map_err(|e| format!("RDB serialisation failed: {e}"));
            drop(snapshot);
            drop(hold);
            let _ = tx.send(Event::SyncRdb { job, result });
        });
        if let Err(e) = spawned {
            self.sync_job_failed(job, &e.to_string());
        }
    }

    /// A piece of a diskless payload: append it to the job's replicas' output.
    pub fn sync_chunk(&mut self, job: u64, data: &[u8]) {
        for id in self.replicas_of_job(job) {
            if let Some(c) = self.clients.get_mut(&id) {
                c.outbuf.extend_from_slice(data);
                self.to_flush.push(id);
            }
        }
    }

    /// The diskless job's RDB has been sent (`Event::SyncRdb`).
    pub fn sync_rdb_ready(&mut self, job: u64, result: Result<(), String>) {
        if self.repl.job.as_ref().map(|j| j.id) != Some(job) {
            return;
        }
        self.repl.job = None;
        rhea_keyspace::cow::reset();
        if let Err(e) = result {
            return self.sync_job_failed(job, &e);
        }
        let mut sent = 0;
        for id in self.replicas_of_job(job) {
            let Some(c) = self.clients.get_mut(&id) else { continue };
            let info = c.replica.as_mut().expect("replica");
            info.state = Some(ReplicaState::WaitAck);
            info.job = None;
            notice!(
                "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF \
                 ACK from replica to enable streaming",
                replica_name(c)
            );
            self.to_flush.push(id);
            sent += 1;
        }
        notice!("Diskless rdb transfer, done reading from pipe, {} replicas still up.", sent);
        notice!("Background RDB transfer terminated with success");
    }

    /// A disk BGSAVE made for replicas finished: send the file (`updateSlavesWaitingBgsave`).
    pub fn disk_sync_done(&mut self, ok: bool) {
        let Some(job) = self.persist.for_sync.take() else { return };
        self.repl.job = None;
        if !ok {
            return self.sync_job_failed(job, "BGSAVE failed");
        }
        let data = match std::fs::read(&self.loaded.config.dbfilename) {
            Ok(d) => d,
            Err(e) => return self.sync_job_failed(job, &e.to_string()),
        };
        for id in self.replicas_of_job(job) {
            let Some(c) = self.clients.get_mut(&id) else { continue };
            c.outbuf.extend_from_slice(format!("${}\r\n", data.len()).as_bytes());
            c.outbuf.extend_from_slice(&data);
            let info = c.replica.as_mut().expect("replica");
            info.state = Some(ReplicaState::Online);
            info.job = None;
            info.ack_time = unix_ms() / 1000;
            let buffered = std::mem::take(&mut info.buffered);
            c.outbuf.extend_from_slice(&buffered);
            notice!("Synchronization with replica {} succeeded", replica_name(c));
            self.to_flush.push(id);
        }
        self.refresh_good_replicas();
    }

    fn replicas_of_job(&self, job: u64) -> Vec<ClientId> {
        self.repl
            .replicas
            .iter()
            .copied()
            .filter(|id| {
                self.clients.get(id).and_then(|c| c.replica.as_ref()).is_some_and(|r| {
                    r.state == Some(ReplicaState::WaitBgsaveEnd) && r.job == Some(job)
                })
            })
            .collect()
    }

    fn sync_job_failed(&mut self, job: u64, why: &str) {
        warning!("SYNC failed. BGSAVE child returned an error: {}", why);
        self.repl.job = None;
        for id in self.replicas_of_job(job) {
            self.close_client(id);
        }
    }

    /// Disconnect a client that is in the client map.
    pub fn close_client(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.flush();
        }
        self.free_client(id);
    }

    /// `refreshGoodSlavesCount`: online replicas that acked within min-replicas-max-lag.
    pub fn refresh_good_replicas(&mut self) {
        let max_lag = self.loaded.config.min_replicas_max_lag.as_secs() as i64;
        let now = unix_ms() / 1000;
        self.repl.good_replicas = self
            .repl
            .replicas
            .iter()
            .filter_map(|id| self.clients.get(id).and_then(|c| c.replica.as_ref()))
            .filter(|r| r.state.is_some_and(|s| s.is_online()) && now - r.ack_time <= max_lag)
            .count();
    }

    /// min-replicas-to-write is active and not satisfied.
    pub fn lacks_good_replicas(&self) -> bool {
        let n = self.loaded.config.min_replicas_to_write as usize;
        self.repl.master.is_none()
            && n > 0
            && !self.loaded.config.min_replicas_max_lag.is_zero()
            && self.repl.good_replicas < n
    }

    /// The master half of `replicationCron` (once a second).
    pub fn master_cron(&mut self) {
        let loops = self.repl.cron_loops;
        let period = self.loaded.config.repl_ping_replica_period.as_secs().max(1);
        if self.repl.master.is_none()
            && !self.repl.replicas.is_empty()
            && loops.is_multiple_of(period)
        {
            let mut out = Vec::new();
            let db = self.repl.feed.selected_db();
            self.repl.feed.encode(db, &[Bytes::from_static(b"PING")], &mut out);
            self.feed_stream(&out);
        }
        // Replicas waiting for a disk snapshot get a newline a second (not counted).
        let disk_job = self.repl.job.as_ref().is_some_and(|j| !j.diskless);
        let now = unix_ms() / 1000;
        let timeout = self.loaded.config.repl_timeout.as_secs() as i64;
        let mut timed_out = Vec::new();
        for &id in &self.repl.replicas {
            let Some(c) = self.clients.get_mut(&id) else { continue };
            let Some(info) = c.replica.as_ref() else { continue };
            match info.state {
                Some(ReplicaState::WaitBgsaveStart) => c.send_now(b"\n"),
                Some(ReplicaState::WaitBgsaveEnd) if disk_job => c.send_now(b"\n"),
                Some(ReplicaState::Online) if now - info.ack_time > timeout => {
                    timed_out.push(id);
                }
                _ => {}
            }
        }
        for id in timed_out {
            if let Some(c) = self.clients.get(&id) {
                warning!("Disconnecting timedout replica (streaming sync): {}", replica_name(c));
            }
            self.close_client(id);
        }
        let ttl = self.loaded.config.repl_backlog_ttl;
        if self.repl.master.is_none()
            && self.repl.replicas.is_empty()
            && !ttl.is_zero()
            && self.repl.backlog.is_active()
            && self.repl.no_replicas_since.elapsed() > ttl
        {
            self.repl.ids.change_replication_id(&mut self.rng);
            self.repl.ids.clear_replication_id2();
            self.repl.backlog.free();
            notice!(
                "Replication backlog freed after {} seconds without connected replicas.",
                ttl.as_secs()
            );
        }
        self.refresh_good_replicas();
    }

    /// Online replicas that acked at least `offset`.
    pub fn replicas_acked(&self, offset: i64) -> usize {
        self.repl
            .replicas
            .iter()
            .filter_map(|id| self.clients.get(id).and_then(|c| c.replica.as_ref()))
            .filter(|r| r.state.is_some_and(|s| s.is_online()) && r.ack_off >= offset)
            .count()
    }

    /// Reply to WAIT clients that have enough acks or whose time is up.
    pub fn serve_waiters(&mut self, now_ms: i64) {
        let mut done = Vec::new();
        for w in &self.repl.waiters {
            let acked = self.replicas_acked(w.offset);
            if acked >= w.numreplicas || w.deadline_ms.is_some_and(|d| d <= now_ms) {
                done.push((w.client, acked));
            }
        }
        for (id, acked) in done {
            self.repl.waiters.retain(|w| w.client != id);
            self.unblock_with(id, Some(Reply::Int(acked as i64)));
        }
    }

    /// Register a WAIT client (already marked blocked).
    pub fn add_waiter(&mut self, w: Waiter) {
        self.repl.waiters.push(w);
        self.repl.get_ack = true;
    }

    /// Per-replica facts for REPLCONF options.
    pub fn replica_info_mut(c: &mut Client) -> &mut ReplicaInfo {
        c.replica.get_or_insert_with(Default::default)
    }
}

/// Size of the pieces a diskless transfer hands to the connections.
const CHUNK: usize = 256 * 1024;

/// `Write` that hands the payload to the engine in [`CHUNK`]-byte pieces, which it
/// appends to the job's replicas' output: the transfer overlaps the serialisation.
struct ChunkSender {
    engine: EngineTx,
    job: u64,
    buf: Vec<u8>,
}

impl ChunkSender {
    fn new(engine: EngineTx, job: u64, preamble: Vec<u8>) -> Self {
        let mut buf = Vec::with_capacity(CHUNK + preamble.len());
        buf.extend_from_slice(&preamble);
        ChunkSender { engine, job, buf }
    }

    fn send_chunk(&mut self) {
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        let _ = self.engine.send(Event::SyncChunk { job: self.job, data });
    }
}

impl std::io::Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_chunk();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
