//! The replica side: REPLICAOF (`replicationSetMaster` / `replicationUnsetMaster`), the
//! master link's events, the master client, ACKs, and promotion keeping the PSYNC2
//! history (replid2) so the other replicas and the old master can continue partially.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use bytes::Bytes;
use rhea_resp::Reply;

use super::MasterLink;
use crate::engine::client::{Client, ClientId, Conn, ConnInfo, ReplyMode};
use crate::engine::{Server, unix_ms};
use crate::net::master_link::{Handover, LinkEvent, LinkParams};
use crate::repl::feed::encode_multibulk;
use crate::repl::handshake::{HandshakeConfig, ReplState};
use crate::repl::ids::ZERO_REPLID;
use crate::repl::psync::CachedMaster;
use crate::{notice, warning};

/// The error blocked clients get when the role changes.
const UNBLOCKED: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

impl Server {
    /// `replicationSetMaster`: become (or re-point) a replica of host:port.
    pub fn set_master(&mut self, host: String, port: u16) {
        let was_master = self.repl.master.is_none();
        let mut cached = None;
        let mut cached_db = 0;
        // `repl_down_since`: only the loss of a live master link sets it.
        let mut down_since = None;
        if let Some(old) = self.repl.master.take() {
            down_since = old.down_since;
            old.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            cached = old.cached.clone();
            if let Some(id) = old.client
                && let Some(c) = self.clients.get(&id)
            {
                cached = Some(CachedMaster { replid: self.repl.ids.replid, reploff: old.reploff });
                cached_db = c.db;
                down_since = Some(unix_ms() / 1000);
                self.close_client(id);
            }
        }
        self.unblock_all_blocked();
        if was_master {
            // `replicationCacheMasterUsingMyself`: our own history is what we ask for.
            cached =
                Some(CachedMaster { replid: self.repl.ids.replid, reploff: self.repl.offset() });
            cached_db = self.repl.feed.selected_db().max(0) as usize;
        }
        let reploff = cached.as_ref().map_or(self.repl.offset(), |c| c.reploff);
        self.repl.master = Some(MasterLink {
            host: host.clone(),
            port,
            state: ReplState::Connect,
            generation: self.repl.next_job_id(),
            client: None,
            down_since,
            last_io: Instant::now(),
            reploff,
            cached,
            cached_db,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Default::default(),
        });
        self.is_replica = true;
        crate::log::set_role('S');
        self.loaded.config.replicaof = Some((host.clone(), port));
        notice!("Connecting to MASTER {}:{}", host, port);
        self.connect_to_master();
    }

    /// `replicaof` from the config: a replica that connects once the dump is loaded.
    pub fn init_replica_from_config(&mut self) {
        let Some((host, port)) = self.loaded.config.replicaof.clone() else { return };
        self.repl.master = Some(MasterLink {
            host,
            port,
            state: ReplState::Connect,
            generation: 0,
            client: None,
            down_since: None,
            last_io: Instant::now(),
            reploff: 0,
            cached: None,
            cached_db: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Default::default(),
        });
        self.is_replica = true;
        crate::log::set_role('S');
    }

    /// `loadDataFromDisk` with replication info in the dump: a replica continues from
    /// it as a cached master (so the restart ends in a partial resync).
    pub fn restore_repl_info(&mut self, aux: &rhea_rdb::ReplAux) {
        let Some(id) = crate::repl::ids::parse_replid(aux.repl_id.as_bytes()) else { return };
        let Some(m) = self.repl.master.as_mut() else { return };
        self.repl.ids.replid = id;
        self.repl.backlog.reset_to(aux.offset);
        m.reploff = aux.offset;
        m.cached = Some(CachedMaster { replid: id, reploff: aux.offset });
        m.cached_db = aux.stream_db as usize;
    }

    /// `replicationUnsetMaster` (REPLICAOF NO ONE): keep the history as replid2.
    pub fn unset_master(&mut self) {
        let Some(old) = self.repl.master.take() else { return };
        old.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        // Redis frees the master client (which caches it) and then discards the cached
        // master, with these three lines; a link that was already down only discards.
        if let Some(id) = old.client {
            self.close_client(id);
            warning!("Connection with master lost.");
            notice!("Caching the disconnected master state.");
        }
        if old.client.is_some() || old.cached.is_some() {
            notice!("Discarding previously cached master state.");
        }
        let offset = self.repl.offset();
        self.repl.ids.shift_replication_id(&mut self.rng, offset);
        // Sub-replicas must learn the new id: they reconnect and continue partially.
        for id in self.repl.replicas.clone() {
            self.close_client(id);
        }
        self.repl.feed.force_select();
        self.repl.no_replicas_since = Instant::now();
        self.is_replica = false;
        crate::log::set_role('M');
        self.loaded.config.replicaof = None;
        warning!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID \
             is {}",
            self.repl.ids.replid2_str(),
            offset + 1,
            self.repl.ids.replid_str()
        );
    }

    fn unblock_all_blocked(&mut self) {
        let ids: Vec<ClientId> =
            self.clients.values().filter(|c| c.blocked.is_some()).map(|c| c.id).collect();
        for id in ids {
            self.repl.waiters.retain(|w| w.client != id);
            self.unblock_with(id, Some(Reply::err(UNBLOCKED)));
        }
    }

    /// `connectWithMaster`: start a link attempt.
    pub fn connect_to_master(&mut self) {
        let Some(tx) = self.self_tx.clone() else { return };
        let Some(rt) = self.runtime.clone() else { return };
        let generation = self.repl.next_job_id();
        let cfg = &self.loaded.config;
        let Some(m) = self.repl.master.as_mut() else { return };
        m.generation = generation;
        m.state = ReplState::Connecting;
        // A previous attempt still running must give up.
        m.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        m.cancel = Arc::new(AtomicBool::new(false));
        let cancel = m.cancel.clone();
        let params = LinkParams {
            host: m.host.clone(),
            port: m.port,
            handshake: HandshakeConfig {
                masterauth: cfg.masterauth.clone().map(Bytes::from),
                masteruser: cfg.masteruser.clone().map(Bytes::from),
                listening_port: if cfg.replica_announce_port != 0 {
                    cfg.replica_announce_port
                } else {
                    cfg.port
                },
                announce_ip: cfg.replica_announce_ip.clone().map(Bytes::from),
            },
            cached: m.cached.clone(),
            timeout: cfg.repl_timeout,
            max_bulk_len: self.settings.proto_max_bulk_len,
            progress: m.progress.clone(),
        };
        rt.spawn(crate::net::master_link::run(params, generation, tx, cancel));
    }

    /// An event of the master link (`Event::MasterLink`).
    pub fn master_link_event(&mut self, generation: u64, event: LinkEvent) {
        if self.repl.master.as_ref().map(|m| m.generation) != Some(generation) {
            return;
        }
        if let Some(m) = self.repl.master.as_mut() {
            m.last_io = Instant::now();
        }
        match event {
            LinkEvent::Handshake => self.set_link_state(ReplState::ReceivePingReply),
            LinkEvent::Transfer => self.set_link_state(ReplState::Transfer),
            LinkEvent::FullSync { replid, offset, rdb, eof, link } => {
                self.full_sync_loaded(replid, offset, &rdb, eof, link)
            }
            LinkEvent::Continue { new_replid, link } => {
                self.partial_sync_accepted(new_replid, link)
            }
            LinkEvent::Down(reason) => self.master_link_down(&reason),
        }
    }

    fn set_link_state(&mut self, s: ReplState) {
        if let Some(m) = self.repl.master.as_mut() {
            m.state = s;
        }
    }

    /// The link failed or closed: retry from the cron (the master client, if the link
    /// had one, is cached by [`Server::master_client_gone`]).
    fn master_link_down(&mut self, reason: &str) {
        let Some(m) = self.repl.master.as_mut() else { return };
        if let Some(id) = m.client {
            return self.free_client(id);
        }
        if m.state != ReplState::Connect {
            m.state = ReplState::Connect;
            warning!("{}", reason);
        }
    }

    /// The master client was freed (link error, CLIENT KILL): keep its replid, offset
    /// and db as the cached master, so the next connection asks for a partial resync.
    pub fn master_client_gone(&mut self, c: &Client) {
        let replid = self.repl.ids.replid;
        let Some(m) = self.repl.master.as_mut() else { return };
        if m.client != Some(c.id) {
            return;
        }
        m.client = None;
        m.cached = Some(CachedMaster { replid, reploff: m.reploff });
        m.cached_db = c.db;
        m.state = ReplState::Connect;
        m.down_since = Some(unix_ms() / 1000);
        m.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        warning!("Connection with master lost.");
        notice!("Caching the disconnected master state.");
    }

    fn full_sync_loaded(
        &mut self,
        replid: Option<[u8; 40]>,
        offset: Option<i64>,
        rdb: &[u8],
        eof: bool,
        link: Handover,
    ) {
        // `replicationAttachToNewMaster`: sub-replicas must resync with the new history.
        for id in self.repl.replicas.clone() {
            self.close_client(id);
        }
        notice!("MASTER <-> REPLICA sync: Flushing old data");
        notice!("MASTER <-> REPLICA sync: Loading DB in memory");
        let opts = rhea_rdb::LoadOptions {
            limits: self.settings.encoding,
            verify_checksum: self.loaded.config.rdbchecksum,
        };
        let started = Instant::now();
        let progress = std::sync::atomic::AtomicU64::new(0);
        let lru = self.initial_lru();
        // A replica keeps keys that are already expired: the master's DEL removes them.
        let loaded = rhea_rdb::load_with_progress(rdb, &opts, self.dbs.len(), None, lru, &progress);
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => {
                warning!("Failed trying to load the MASTER synchronization DB from socket: {}", e);
                drop(link);
                return self.master_link_down("MASTER <-> REPLICA sync: load failed");
            }
        };
        self.dbs = loaded.dbs;
        self.dbs.resize_with(self.settings.databases, Default::default);
        // `signalFlushedDb`: every WATCH is invalidated by the new dataset.
        for c in self.clients.values_mut() {
            if !c.watched.is_empty() {
                c.dirty_cas = true;
            }
        }
        notice!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            loaded.keys_loaded,
            loaded.expired_skipped
        );
        let _ = started;
        let replid = replid.unwrap_or(ZERO_REPLID);
        let offset = offset.unwrap_or(-1);
        self.repl.ids.replid = replid;
        self.repl.ids.clear_replication_id2();
        self.repl.backlog.reset_to(offset);
        self.repl.feed.force_select();
        let Some(id) = self.create_master_client(link, 0, offset) else { return };
        notice!("MASTER <-> REPLICA sync: Finished with success");
        if eof {
            self.send_ack_to_master(id);
        }
    }

    fn partial_sync_accepted(&mut self, new_replid: Option<[u8; 40]>, link: Handover) {
        let (db, reploff) = {
            let m = self.repl.master.as_ref().expect("link event implies a master");
            (m.cached_db, m.cached.as_ref().map_or(m.reploff, |c| c.reploff))
        };
        notice!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        if let Some(new) = new_replid
            && new != self.repl.ids.replid
        {
            let offset = self.repl.offset();
            self.repl.ids.adopt_new_master_id(new, offset);
            warning!(
                "Master replication ID changed to {}",
                String::from_utf8_lossy(&self.repl.ids.replid)
            );
            for id in self.repl.replicas.clone() {
                self.close_client(id);
            }
        }
        if !self.repl.backlog.is_active() {
            self.repl.backlog.reset_to(reploff);
        }
        self.create_master_client(link, db, reploff);
    }

    /// The master client: the handed-over socket, registered with the event loop.
    fn create_master_client(
        &mut self,
        link: Handover,
        db: usize,
        reploff: i64,
    ) -> Option<ClientId> {
        let id = self.shared.next_client_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&link.stream);
        let mut socket = match self.register_stream(id, link.stream) {
            Ok(s) => s,
            Err(e) => {
                warning!("Error registering the master link: {}", e);
                self.master_link_down("MASTER <-> REPLICA sync: registration failed");
                return None;
            }
        };
        socket.rbuf = link.leftover;
        let info = ConnInfo {
            id,
            addr: link.addr,
            laddr: link.laddr,
            fd,
            is_unix: false,
            is_local: false,
            conn: Conn::Socket(Box::new(socket)),
            authenticated: Arc::new(AtomicBool::new(true)),
        };
        let mut c = Client::new(info, true, None);
        c.is_master = true;
        c.reply_mode = ReplyMode::Off;
        c.db = db;
        self.clients.insert(id, Box::new(c));
        let m = self.repl.master.as_mut().expect("master link");
        m.client = Some(id);
        m.state = ReplState::Connected;
        m.down_since = None;
        m.reploff = reploff;
        m.cached = None;
        m.last_io = Instant::now();
        // Stream bytes that came with the payload are waiting in the buffer.
        self.read_client(id, false);
        Some(id)
    }

    /// `REPLCONF ACK <reploff>` to the master.
    pub fn send_ack_to_master(&mut self, id: ClientId) {
        let off = self.repl.master.as_ref().map_or(0, |m| m.reploff);
        if let Some(c) = self.clients.get_mut(&id) {
            let argv = [
                Bytes::from_static(b"REPLCONF"),
                Bytes::from_static(b"ACK"),
                Bytes::from(off.to_string()),
            ];
            encode_multibulk(&argv, &mut c.outbuf);
            self.to_flush.push(id);
        }
    }

    /// A command from the master was executed: advance the offset (unless inside a
    /// MULTI, which counts at its EXEC) and forward the bytes to our own replicas.
    pub fn master_command_applied(&mut self, c: &mut Client, size: usize) {
        c.master_unapplied.0 += size;
        if c.multi.is_some() {
            return;
        }
        let n = std::mem::take(&mut c.master_unapplied.0);
        if let Some(m) = self.repl.master.as_mut() {
            m.reploff += n as i64;
        }
        let mut raw = std::mem::take(&mut c.master_unapplied.1);
        self.feed_stream(&raw);
        // The buffer keeps its capacity for the next command, unless a big one left it
        // holding more than a typical burst needs.
        raw.clear();
        if raw.capacity() <= 64 * 1024 {
            c.master_unapplied.1 = raw;
        }
    }

    /// The replica half of `replicationCron` (once a second).
    pub fn replica_cron(&mut self) {
        let Some(m) = self.repl.master.as_ref() else { return };
        if let Some(id) = m.client
            && m.last_io.elapsed() > self.loaded.config.repl_timeout
        {
            warning!("MASTER timeout: no data nor PING received...");
            return self.free_client(id);
        }
        if m.state == ReplState::Connect && self.loading.is_none() {
            notice!("Connecting to MASTER {}:{}", m.host, m.port);
            self.connect_to_master();
            return;
        }
        if let Some(id) = m.client {
            self.send_ack_to_master(id);
        }
    }

    /// `REPLCONF GETACK` from the master: ACK the offset processed *before* it.
    pub fn getack_reply(&mut self, c: &mut Client) {
        let off = self.repl.master.as_ref().map_or(0, |m| m.reploff);
        let argv = [
            Bytes::from_static(b"REPLCONF"),
            Bytes::from_static(b"ACK"),
            Bytes::from(off.to_string()),
        ];
        encode_multibulk(&argv, &mut c.outbuf);
    }
}
