//! The engine: one thread that owns the keyspace, every client's state and the client
//! sockets (Redis's single-threaded event loop; `io.rs` says why it also does the I/O).
//!
//! ```text
//!  client sockets ──readable/writable──▶ ┌──────────────┐ ──replies──▶ client sockets
//!  listeners      ──accept─────────────▶ │ engine thread│
//!  other threads  ──inbox (Event)──────▶ │  Server      │ ──Out──▶ master link task
//!                                        └──────────────┘
//!                 cron every 1000/hz ms: active expiry, rehashing, timeouts, pause end
//!                 every loop turn, while a cycle is unfinished: eviction (evict.rs)
//! ```
//!
//! Commands of one client run in arrival order; a client blocked in BLPOP (or paused by
//! CLIENT PAUSE) keeps its later pipelined commands queued, as Redis leaves them in the
//! query buffer.

pub mod client;
pub mod ctx;
pub mod dispatch;
pub mod evict;
pub mod flush;
pub mod inbox;
pub mod io;
pub mod loading;
pub mod lru;
pub mod memory;
pub mod persist;
pub mod pubsub;
pub mod rehash;
pub mod replication;
pub mod sentinel;
pub mod settings;
pub mod stats;
pub mod table;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use crossbeam_channel::Receiver;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rhea_keyspace::Db;
use rhea_resp::Reply;

use crate::config::LoadedConfig;
use crate::config::notify;
use client::{BlockedOn, Client, ClientId};
use settings::Settings;
use stats::Stats;
use table::CommandTable;

/// State shared with the network drivers (read without going through the engine).
pub struct Shared {
    pub next_client_id: AtomicU64,
    pub max_bulk_len: AtomicI64,
    pub query_buffer_limit: AtomicUsize,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// `requirepass` is set: new connections start unauthenticated. Read by the driver so
    /// a connection is never in the wrong mode before the engine has registered it.
    pub auth_required: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            next_client_id: AtomicU64::new(1),
            max_bulk_len: AtomicI64::new(512 * 1024 * 1024),
            query_buffer_limit: AtomicUsize::new(1024 * 1024 * 1024),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            auth_required: AtomicBool::new(false),
        }
    }
}

/// What other threads send to the engine (client sockets are the engine's own).
#[derive(Debug)]
pub enum Event {
    /// SIGTERM / SIGINT.
    Signal(&'static str),
    /// The background save finished.
    BgsaveDone(Result<(), String>),
    /// The startup load finished.
    Loaded(Box<loading::Outcome>),
    /// Progress of the replica's link to its master.
    MasterLink { generation: u64, event: crate::net::master_link::LinkEvent },
    /// A piece of a diskless full sync's payload, for the job's replicas.
    SyncChunk { job: u64, data: Vec<u8> },
    /// A diskless full-sync snapshot was serialised and handed to the replicas.
    SyncRdb { job: u64, result: Result<(), String> },
    /// A message for this server's subscribers from another thread (Sentinel's events).
    Publish { channel: Bytes, message: Bytes },
}

/// How the server was asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// SHUTDOWN or a signal.
    Requested { save: Option<bool> },
    /// The dump could not be loaded: exit with an error, touching nothing.
    Fatal,
}

/// CLIENT PAUSE state.
#[derive(Clone, Copy, Debug)]
pub struct Pause {
    pub all: bool,
    pub until_ms: i64,
}

pub struct Server {
    pub settings: Settings,
    pub loaded: LoadedConfig,
    pub table: Arc<CommandTable>,
    pub shared: Arc<Shared>,
    pub dbs: Vec<Db>,
    /// Looked up several times per command; ids are not attacker-chosen, so the map
    /// uses a fast hasher rather than std's SipHash.
    pub clients: HashMap<ClientId, Box<Client>, ahash::RandomState>,
    pub pubsub: pubsub::PubSub,
    /// WATCHed keys -> clients watching them.
    pub watched: HashMap<(usize, Bytes), Vec<ClientId>>,
    /// Clients blocked on each (db, key), in blocking order.
    pub blocking_keys: HashMap<(usize, Bytes), VecDeque<ClientId>>,
    pub block_deadlines: BTreeSet<(i64, ClientId)>,
    ready_keys: VecDeque<(usize, Bytes)>,
    ready_set: HashSet<(usize, Bytes)>,
    /// A blocked command being retried keeps its original deadline if it blocks again.
    pub retry_deadline: Option<Option<i64>>,
    /// The key whose readiness triggered the current retry (7.0 serves from it first).
    pub retry_key: Option<Bytes>,
    /// Clients to resume (unblocked or unpaused) once the current event is handled.
    resume: Vec<ClientId>,
    pub monitors: Vec<ClientId>,
    pub stats: Stats,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Set in sentinel mode: the Sentinel this engine serves (see [`sentinel`]).
    pub sentinel: Option<Box<dyn sentinel::SentinelHooks>>,
    /// Wall-clock ms fixed for the duration of a command (and of a whole EXEC).
    pub cmd_time_ms: i64,
    pub rng: SmallRng,
    pub run_id: String,
    pub started: Instant,
    pub start_unix_ms: i64,
    /// Clients with output to hand to their connection.
    to_flush: Vec<ClientId>,
    /// [`rhea_keyspace::db::expired_logged`] when the expiry logs were last drained.
    expired_seen: u64,
    /// When the last poll returned: the clients served in this turn interacted then.
    pub polled_at: Instant,
    /// The replication stream's last write to the replicas (see [`flush`]).
    pub stream_flush: flush::StreamFlush,
    pub pause: Option<Pause>,
    pub shutdown: Option<Shutdown>,
    pub is_replica: bool,
    /// True while EXEC runs its queued commands.
    pub executing_multi: bool,
    pub slowlog: stats::SlowLog,
    pub persist: persist::SaveState,
    /// The startup load in progress; commands without the `loading` flag get -LOADING.
    pub loading: Option<loading::Loading>,
    /// The engine's own event channel, for background jobs that report back.
    pub self_tx: Option<inbox::EngineTx>,
    /// The receiving end of the inbox.
    pub inbox: Option<Receiver<Event>>,
    /// Client sockets and listeners, polled by [`Server::run`].
    pub io: Option<io::Io>,
    /// Sockets closed after their reply while the poller was busy (see `io.rs`).
    pub closing_later: Vec<(usize, crate::net::socket::SocketConn)>,
    /// Startup and peak memory, and memory not counted for eviction.
    pub memory: memory::Memory,
    pub evict: evict::EvictState,
    pub repl: replication::Replication,
    /// Changes ever made (never reset by a save): a command propagates when it moved.
    pub dirty_ops: u64,
    /// The I/O runtime, for outgoing connections (the master link).
    pub runtime: Option<tokio::runtime::Handle>,
    /// Where the cron's table shrinking and active rehashing resume.
    pub rehash: rehash::RehashCron,
    /// Users and the ACL log.
    pub acl: crate::acl::Acl,
}

pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Server {
    pub fn new(settings: Settings, loaded: LoadedConfig, shared: Arc<Shared>) -> Server {
        let mut rng = SmallRng::from_os_rng();
        let run_id = random_hex(&mut rng, 40);
        let dbs = (0..settings.databases).map(|_| Db::new()).collect();
        let backlog_size = loaded.config.repl_backlog_size as usize;
        let repl = replication::Replication::new(&mut rng, backlog_size);
        let table = Arc::new(crate::cmd::serving_table(false, &loaded.config.renamed_commands));
        let acl = crate::acl::Acl::new(
            &table,
            loaded.config.requirepass.as_deref(),
            loaded.config.acl_pubsub_all(),
        );
        Server {
            acl,
            table,
            settings,
            loaded,
            shared,
            dbs,
            clients: HashMap::default(),
            pubsub: Default::default(),
            watched: HashMap::new(),
            blocking_keys: HashMap::new(),
            block_deadlines: BTreeSet::new(),
            ready_keys: VecDeque::new(),
            ready_set: HashSet::new(),
            retry_deadline: None,
            retry_key: None,
            resume: Vec::new(),
            monitors: Vec::new(),
            stats: Stats::default(),
            dirty: 0,
            sentinel: None,
            cmd_time_ms: unix_ms(),
            rng,
            run_id,
            started: Instant::now(),
            start_unix_ms: unix_ms(),
            to_flush: Vec::new(),
            expired_seen: 0,
            polled_at: Instant::now(),
            stream_flush: flush::StreamFlush::new(),
            pause: None,
            shutdown: None,
            is_replica: false,
            executing_multi: false,
            slowlog: Default::default(),
            persist: persist::SaveState::new(unix_ms() / 1000),
            loading: None,
            self_tx: None,
            inbox: None,
            io: None,
            closing_later: Vec::new(),
            memory: memory::Memory::new(),
            evict: Default::default(),
            repl,
            dirty_ops: 0,
            runtime: None,
            rehash: Default::default(),
        }
    }

    pub fn lru_clock(&self) -> u32 {
        lru::lru_clock(self.cmd_time_ms)
    }

    /// The `lru` field of a newly created key.
    pub fn initial_lru(&self) -> u32 {
        lru::initial(self.cmd_time_ms, self.settings.maxmemory_policy.is_lfu())
    }

    // ===== event loop =====

    /// Run until SHUTDOWN or a signal; returns the shutdown request.
    pub fn run(mut self) -> Shutdown {
        let mut next_cron = Instant::now();
        loop {
            let now = Instant::now();
            let mut wait = next_cron.saturating_duration_since(now);
            if self.evict.proc_running {
                // Redis runs its eviction time event on every loop turn.
                wait = Duration::ZERO;
            }
            if self.repl.job.is_some() || !self.repl.replicas.is_empty() {
                // Diskless delays and snapshots are checked at least every 100 ms.
                wait = wait.min(Duration::from_millis(100));
            }
            if let Some(&(deadline, _)) = self.block_deadlines.first() {
                let until = Duration::from_millis((deadline - unix_ms()).max(0) as u64);
                wait = wait.min(until);
            }
            if !self.to_flush.is_empty() {
                // Output held back by the stream's group commit is due soon.
                wait = wait.min(self.stream_flush.due().saturating_duration_since(Instant::now()));
            }
            self.poll_io(wait);
            self.serve_waiters(unix_ms());
            self.expire_blocked(unix_ms());
            if Instant::now() >= next_cron {
                self.cron();
                next_cron =
                    Instant::now() + Duration::from_millis(1000 / self.settings.hz.max(1) as u64);
            }
            evict::run_pending(&mut self);
            self.flush_propagation_each();
            self.resume_clients();
            self.replication_before_sleep();
            self.flush_all();
            if let Some(s) = self.shutdown {
                self.flush_every_client();
                return s;
            }
        }
    }

    /// Before exiting: what was replied must reach the sockets.
    fn flush_every_client(&mut self) {
        for c in self.clients.values_mut() {
            c.flush();
        }
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::BgsaveDone(result) => self.bgsave_done(result),
            Event::Loaded(outcome) => self.loaded(*outcome),
            Event::MasterLink { generation, event } => self.master_link_event(generation, event),
            Event::SyncChunk { job, data } => self.sync_chunk(job, &data),
            Event::SyncRdb { job, result } => self.sync_rdb_ready(job, result),
            Event::Publish { channel, message } => {
                self.publish(&channel, &message, None);
            }
            Event::Signal(_) if self.loading.is_some() => self.signal_while_loading(),
            Event::Signal(name) => {
                // Redis logs this from its signal handler, in that handler's own format.
                crate::log::write_raw(&format!(
                    "{}:signal-handler ({}) Received {} scheduling shutdown...\n",
                    std::process::id(),
                    unix_ms() / 1000,
                    name
                ));
                if self.prepare_shutdown(None) {
                    self.shutdown = Some(Shutdown::Requested { save: None });
                }
            }
        }
    }

    /// Execute a client's queued commands until it blocks, is paused, or runs out.
    /// The client stays out of the map for the whole batch; it goes back in only when
    /// other clients' blocked commands must be retried (they may publish to it).
    pub fn drain_client(&mut self, id: ClientId) {
        let Some(mut c) = self.clients.remove(&id) else { return };
        loop {
            if c.blocked.is_some() || c.close_after_reply || self.is_paused_for(&c) {
                break;
            }
            let Some(argv) = c.pending.pop_front() else {
                if let Some(err) = c.pending_error.take() {
                    self.stats.count_error(&err);
                    c.reply(&Reply::err(format!("ERR {err}")));
                    c.close_after_reply = true;
                    self.finish_client(c);
                    return;
                }
                break;
            };
            if c.is_master {
                let size = c.pending_sizes.pop_front().unwrap_or(0);
                // Straight into the client's reused stream buffer: no buffer per command.
                crate::repl::feed::encode_multibulk(&argv, &mut c.master_unapplied.1);
                dispatch::process_command(self, &mut c, argv);
                self.master_command_applied(&mut c, size);
            } else {
                dispatch::process_command(self, &mut c, argv);
            }
            if c.close_after_reply {
                self.finish_client(c);
                return;
            }
            if !self.ready_keys.is_empty() {
                self.clients.insert(id, c);
                self.handle_ready_keys();
                match self.clients.remove(&id) {
                    Some(back) => c = back,
                    None => return,
                }
            }
        }
        self.clients.insert(id, c);
        self.to_flush.push(id);
    }

    /// Flush a client that is closing and drop its state.
    fn finish_client(&mut self, mut c: Box<Client>) {
        self.forget_client(&mut c);
        self.close_after_writing(&mut c);
    }

    /// Remove every trace of a disconnected client.
    pub fn forget_client(&mut self, c: &mut Client) {
        for ch in std::mem::take(&mut c.channels) {
            self.pubsub.unsubscribe(c.id, &ch);
        }
        for p in std::mem::take(&mut c.patterns) {
            self.pubsub.punsubscribe(c.id, &p);
        }
        self.unwatch_all(c);
        if let Some(b) = c.blocked.take() {
            self.unregister_blocked(c.id, &b);
        }
        self.monitors.retain(|&m| m != c.id);
        self.repl.waiters.retain(|w| w.client != c.id);
        if c.is_replica {
            self.detach_replica(c);
        }
        if c.is_master {
            self.master_client_gone(c);
        }
    }

    /// Hand the turn's queued output to the connections, as [`flush`] plans it: the
    /// replies that acknowledge nothing unsent first, then the replication stream, then
    /// the replies to writes — or, when the master is busy and wrote the stream very
    /// recently, the stream and those replies wait for a later turn.
    fn flush_all(&mut self) {
        let ids = std::mem::take(&mut self.to_flush);
        let flushed_off = self.stream_flush.offset;
        let queued: Vec<flush::Queued> = ids
            .iter()
            .map(|&id| {
                let c = self.clients.get(&id);
                flush::Queued {
                    id,
                    replica: c.is_some_and(|c| c.replica.is_some()),
                    writer: c.is_some_and(|c| c.replica.is_none() && c.wrote_at > flushed_off),
                }
            })
            .collect();
        if !queued.iter().any(|q| q.replica) {
            // Nothing of the stream is waiting: every write so far has been handed over.
            self.stream_flush.offset = self.repl.offset();
        }
        let plan = flush::plan(&queued, |clients| self.stream_flush.hold(clients));
        for id in &plan.now {
            if let Some(c) = self.clients.get_mut(id) {
                c.flush();
            }
        }
        if plan.stream_written {
            let offset = self.repl.offset();
            self.stream_flush.written(offset);
        }
        self.to_flush.extend(plan.keep);
    }

    /// Encode `r` for another client (pub/sub, MONITOR, unblocking) and schedule a flush.
    pub fn push_to(&mut self, id: ClientId, r: &Reply) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.push(r);
            self.to_flush.push(id);
        }
    }

    // ===== WATCH =====

    pub fn watch(&mut self, c: &mut Client, key: Bytes) {
        let db = c.db;
        if c.watched.iter().any(|(d, k)| *d == db && *k == key) {
            return;
        }
        self.watched.entry((db, key.clone())).or_default().push(c.id);
        c.watched.push((db, key));
    }

    /// `touchWatchedKey`: `key` in `db` changed, so every client WATCHing it will fail
    /// its EXEC. `running` is the client executing a command (outside the client map).
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8], running: Option<&mut Client>) {
        if self.watched.is_empty() {
            return;
        }
        let Some(ids) = self.watched.get(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        let mut running = running;
        for id in ids.clone() {
            match running.as_deref_mut() {
                Some(c) if c.id == id => c.dirty_cas = true,
                _ => {
                    if let Some(c) = self.clients.get_mut(&id) {
                        c.dirty_cas = true;
                    }
                }
            }
        }
    }

    pub fn unwatch_all(&mut self, c: &mut Client) {
        for (db, key) in std::mem::take(&mut c.watched) {
            let k = (db, key);
            if let Some(ids) = self.watched.get_mut(&k) {
                ids.retain(|&x| x != c.id);
                if ids.is_empty() {
                    self.watched.remove(&k);
                }
            }
        }
        c.dirty_cas = false;
    }

    /// `touchAllWatchedKeysInDb`: FLUSHDB/FLUSHALL/SWAPDB invalidate WATCHes on keys that
    /// exist in `db` (or, for SWAPDB, in the database swapped with it).
    pub fn touch_watched_in_db(&mut self, db: usize, other: Option<usize>, running: &mut Client) {
        let now = self.cmd_time_ms;
        let hits: Vec<ClientId> = self
            .watched
            .iter()
            .filter(|((d, key), _)| {
                *d == db
                    && (self.dbs[db].dict.contains_key(&key[..])
                        && !self.dbs[db].is_expired(key, now)
                        || other.is_some_and(|o| self.dbs[o].dict.contains_key(&key[..])))
            })
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        for id in hits {
            if id == running.id {
                running.dirty_cas = true;
            } else if let Some(c) = self.clients.get_mut(&id) {
                c.dirty_cas = true;
            }
        }
    }

    // ===== blocking =====

    pub fn register_blocked(&mut self, id: ClientId, b: &BlockedOn) {
        for k in &b.keys {
            self.blocking_keys.entry((b.db, k.clone())).or_default().push_back(id);
        }
        if let Some(d) = b.deadline_ms {
            self.block_deadlines.insert((d, id));
        }
        self.stats.blocked_clients += 1;
    }

    pub fn unregister_blocked(&mut self, id: ClientId, b: &BlockedOn) {
        for k in &b.keys {
            let key = (b.db, k.clone());
            if let Some(q) = self.blocking_keys.get_mut(&key) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    self.blocking_keys.remove(&key);
                }
            }
        }
        if let Some(d) = b.deadline_ms {
            self.block_deadlines.remove(&(d, id));
        }
        self.stats.blocked_clients = self.stats.blocked_clients.saturating_sub(1);
    }

    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking_keys.is_empty() {
            return;
        }
        let k = (db, Bytes::copy_from_slice(key));
        if self.blocking_keys.contains_key(&k) && self.ready_set.insert(k.clone()) {
            self.ready_keys.push_back(k);
        }
    }

    /// Retry the commands of clients blocked on keys that became ready, in blocking order
    /// (Redis 7.2's re-execution model; 7.0 serves lists in place with the same result).
    pub fn handle_ready_keys(&mut self) {
        while let Some(k) = self.ready_keys.pop_front() {
            self.ready_set.remove(&k);
            let ids: Vec<ClientId> =
                self.blocking_keys.get(&k).map(|q| q.iter().copied().collect()).unwrap_or_default();
            for id in ids {
                let Some(mut c) = self.clients.remove(&id) else { continue };
                let Some(b) = c.blocked.take() else {
                    self.clients.insert(id, c);
                    continue;
                };
                // The registrations stay in place during the retry, so a client that
                // blocks again keeps its place in every key's queue (7.0 never dequeues
                // a client it cannot serve).
                self.retry_deadline = Some(b.deadline_ms);
                self.retry_key = Some(k.1.clone());
                self.cmd_time_ms = unix_ms();
                let dirty_before = self.dirty_ops;
                let reply = dispatch::run_handler(self, &mut c, b.cmd, &b.argv);
                self.retry_deadline = None;
                self.retry_key = None;
                if c.blocked.is_none() {
                    self.note_propagation(&c, b.cmd, &b.argv, &reply, dirty_before, true);
                    self.flush_propagation();
                    c.woff = self.repl.offset();
                    self.unregister_blocked(id, &b);
                    c.reply(&reply);
                    self.resume.push(id);
                    self.to_flush.push(id);
                }
                self.clients.insert(id, c);
            }
        }
    }

    /// Reply to blocked clients whose deadline passed.
    fn expire_blocked(&mut self, now_ms: i64) {
        while let Some(&(deadline, id)) = self.block_deadlines.first() {
            if deadline > now_ms {
                break;
            }
            self.block_deadlines.pop_first();
            let Some(c) = self.clients.get_mut(&id) else { continue };
            let Some(b) = c.blocked.take() else { continue };
            c.reply(&b.timeout_reply);
            self.unregister_blocked(id, &b);
            self.resume.push(id);
            self.to_flush.push(id);
        }
    }

    /// Unblock a client with a given reply (CLIENT UNBLOCK).
    pub fn unblock_with(&mut self, id: ClientId, reply: Option<Reply>) -> bool {
        let Some(c) = self.clients.get_mut(&id) else { return false };
        let Some(b) = c.blocked.take() else { return false };
        c.reply(reply.as_ref().unwrap_or(&b.timeout_reply));
        self.unregister_blocked(id, &b);
        self.resume.push(id);
        self.to_flush.push(id);
        true
    }

    /// Continue clients that were unblocked or unpaused.
    fn resume_clients(&mut self) {
        while !self.resume.is_empty() {
            for id in std::mem::take(&mut self.resume) {
                self.drain_client(id);
            }
        }
    }

    // ===== CLIENT PAUSE =====

    fn is_paused_for(&mut self, c: &Client) -> bool {
        let Some(p) = self.pause else { return false };
        if unix_ms() >= p.until_ms {
            self.end_pause();
            return false;
        }
        if c.is_master || c.is_replica {
            return false;
        }
        if p.all {
            return true;
        }
        // WRITE pause: only commands that may write wait.
        c.pending.front().is_some_and(|argv| match self.table.lookup(argv) {
            table::Lookup::Found(cmd) => {
                cmd.has(table::flags::WRITE) || cmd.has(table::flags::MAY_REPLICATE)
            }
            _ => false,
        })
    }

    /// Lift CLIENT PAUSE and resume every client with queued commands.
    pub fn end_pause(&mut self) {
        self.pause = None;
        let ids: Vec<ClientId> =
            self.clients.iter().filter(|(_, c)| !c.pending.is_empty()).map(|(&id, _)| id).collect();
        self.resume.extend(ids);
    }

    // ===== keyspace notifications =====

    /// Publish a keyspace event per `notify-keyspace-events`. `running` is the client
    /// executing the command (it is outside the client map at that moment).
    pub fn notify_keyspace(
        &mut self,
        class: char,
        event: &str,
        key: &[u8],
        db: usize,
        running: Option<&mut Client>,
    ) {
        let flags = self.settings.notify_keyspace_events;
        if flags == 0 || flags & notify::class_bit(class) == 0 {
            return;
        }
        let mut msgs = Vec::new();
        if flags & notify::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            msgs.push((Bytes::from(ch), Bytes::copy_from_slice(event.as_bytes())));
        }
        if flags & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            msgs.push((Bytes::from(ch), Bytes::copy_from_slice(key)));
        }
        let mut running = running;
        for (ch, payload) in msgs {
            self.publish(&ch, &payload, running.as_deref_mut());
        }
    }

    /// Deliver a message; returns the number of receivers (PUBLISH's reply).
    pub fn publish(
        &mut self,
        channel: &Bytes,
        payload: &Bytes,
        mut running: Option<&mut Client>,
    ) -> i64 {
        let (direct, via_pattern) = self.pubsub.receivers(channel);
        let mut n = 0;
        let msg = pubsub::message(channel, payload);
        for id in direct {
            n += 1;
            match running.as_deref_mut() {
                Some(c) if c.id == id => c.push(&msg),
                _ => self.push_to(id, &msg),
            }
        }
        for (pat, id) in via_pattern {
            n += 1;
            let msg = pubsub::pmessage(&pat, channel, payload);
            match running.as_deref_mut() {
                Some(c) if c.id == id => c.push(&msg),
                _ => self.push_to(id, &msg),
            }
        }
        n
    }

    // ===== cron =====

    /// `serverCron`: active expiry, table resizing and rehashing, idle-client timeouts,
    /// pause end, ops sampling.
    fn cron(&mut self) {
        let now_ms = unix_ms();
        self.cmd_time_ms = now_ms;
        if let Some(p) = self.pause
            && now_ms >= p.until_ms
        {
            self.end_pause();
        }
        if !self.is_replica && crate::cmd::debug::active_expire_enabled() {
            self.active_expire(now_ms);
        }
        self.rehash_cron();
        self.timeout_idle_clients();
        self.memory.update_peak();
        self.check_save_points();
        if self.persist.bgsave_scheduled && self.persist.bgsave.is_none() {
            self.persist.bgsave_scheduled = false;
            let _ = self.start_bgsave();
        }
        self.stats.sample_ops(Instant::now());
        if self.repl.last_cron.elapsed() >= Duration::from_millis(1000) {
            self.repl.last_cron = Instant::now();
            self.repl.cron_loops += 1;
            self.replica_cron();
            self.master_cron();
        }
    }

    /// Redis's slow active-expire cycle: per db, sample keys with a TTL and delete the
    /// expired ones, repeating while more than 10% of a sample had expired, within a time
    /// budget of 25% of a cron period (scaled by `active-expire-effort`).
    fn active_expire(&mut self, now_ms: i64) {
        let effort = self.settings.active_expire_effort.clamp(1, 10) as usize;
        let per_loop = 20 + 20 / 4 * (effort - 1);
        let budget = Duration::from_micros(
            1_000_000 / self.settings.hz.max(1) as u64 * (25 + 2 * (effort as u64 - 1)) / 100,
        );
        let start = Instant::now();
        let mut expired_total = 0;
        for db in self.dbs.iter_mut() {
            loop {
                let (checked, expired) = db.active_expire_step(now_ms, per_loop);
                expired_total += expired;
                if checked == 0 || expired * 10 <= checked || start.elapsed() > budget {
                    break;
                }
            }
        }
        let _ = expired_total;
        self.collect_expired(None);
        self.flush_propagation_each();
    }

    /// Count and announce keys removed by expiry (lazy or active). `running` is the client
    /// executing a command, if any: it is outside the client map but may be subscribed.
    pub fn collect_expired(&mut self, mut running: Option<&mut Client>) {
        let logged = rhea_keyspace::db::expired_logged();
        if logged == self.expired_seen {
            return;
        }
        self.expired_seen = logged;
        for db in 0..self.dbs.len() {
            if self.dbs[db].expired_log.is_empty() {
                continue;
            }
            let lazy = self.loaded.config.lazyfree_lazy_expire;
            for key in std::mem::take(&mut self.dbs[db].expired_log) {
                self.stats.expired_keys += 1;
                self.notify_keyspace('x', "expired", &key, db, running.as_deref_mut());
                self.propagate_deletion(db, &key, lazy);
            }
        }
    }

    /// `propagateDeletion`: a key removed by the server itself (expiry, eviction) must
    /// be deleted on replicas and in the AOF too, as `DEL` (or `UNLINK` when the
    /// matching `lazyfree-lazy-*` option is on). Queued with the unit's other ops; there
    /// is no AOF.
    pub fn propagate_deletion(&mut self, db: usize, key: &[u8], lazy: bool) {
        let argv = crate::repl::rewrite::deletion(&Bytes::copy_from_slice(key), lazy);
        self.also_propagate(db, argv);
    }

    fn timeout_idle_clients(&mut self) {
        let limit = self.settings.timeout;
        if limit == 0 {
            return;
        }
        let now = Instant::now();
        let idle: Vec<ClientId> = self
            .clients
            .values()
            .filter(|c| {
                !c.is_master
                    && !c.is_replica
                    && c.blocked.is_none()
                    && !c.in_pubsub()
                    && now.duration_since(c.last_interaction).as_secs() > limit
            })
            .map(|c| c.id)
            .collect();
        for id in idle {
            crate::verbose!("Closing idle client");
            self.free_client(id);
        }
    }

    /// Re-derive the engine's settings after CONFIG SET changed `changed`.
    pub fn apply_config(&mut self, changed: &[&'static str]) {
        self.settings = Settings::from_config(&self.loaded.config);
        let c = &self.loaded.config;
        self.shared.max_bulk_len.store(self.settings.proto_max_bulk_len, Ordering::Relaxed);
        if changed.contains(&"requirepass") {
            // The caller hands the new default user to the clients.
            self.acl.set_default_password(c.requirepass.as_deref());
        }
        self.acl.pubsub_all = c.acl_pubsub_all();
        self.shared.auth_required.store(self.acl.default_requires_auth(), Ordering::Relaxed);
        self.shared
            .query_buffer_limit
            .store(c.client_query_buffer_limit.min(usize::MAX as u64) as usize, Ordering::Relaxed);
        if changed.contains(&"repl-backlog-size") {
            self.repl.backlog.resize(c.repl_backlog_size as usize);
        }
        if changed.contains(&"dir")
            && let Err(e) = std::env::set_current_dir(&c.dir)
        {
            crate::warning!("Can't chdir to '{}': {}", c.dir, e);
        }
        if changed.iter().any(|p| *p == "loglevel" || *p == "logfile") {
            crate::log::configure(log_level(c.loglevel), Some(&c.logfile));
        }
        // A client connected while no password was set stays authenticated (Redis keeps
        // `c->authenticated`); nothing to do for existing clients here.
    }

    /// Create the users of the configuration for the current command table
    /// (`ACLLoadUsersAtStartup`): the default user with `requirepass`, then the `user`
    /// lines, then the ACL file. `Err` is the reason to exit with.
    pub fn load_users(&mut self) -> Result<(), String> {
        let c = &self.loaded.config;
        let mut acl =
            crate::acl::Acl::new(&self.table, c.requirepass.as_deref(), c.acl_pubsub_all());
        let aclfile = c.aclfile();
        if aclfile.is_some() && !c.user_lines.is_empty() {
            return Err("Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                .into());
        }
        acl.load_config_users(&c.user_lines)
            .map_err(|e| format!("{e}\nCritical error while loading ACLs. Exiting."))?;
        if let Some(path) = aclfile {
            let users = crate::acl::file::load(&acl, &path)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
            acl.users = users;
        }
        self.acl = acl;
        self.shared.auth_required.store(self.acl.default_requires_auth(), Ordering::Relaxed);
        Ok(())
    }

    /// After users changed: give every client (and `current`, the one running the
    /// command, which is outside the map) its user's new version. A client whose user is
    /// gone is logged out and disconnected, the running one after its reply
    /// (`ACLFreeUserAndKillClients`); `reload` (ACL LOAD) treats every user but the
    /// default one as gone, as Redis frees the whole old user set.
    pub fn sync_client_users(&mut self, current: Option<&mut Client>, reload: bool) {
        if let Some(s) = &self.sentinel {
            s.users_changed(self.acl.user_lines());
        }
        let acl = &self.acl;
        let default = acl.default_user();
        // Give `c` its user's new version; true when that user is gone (the client is
        // then logged out as the default user, to be disconnected by the caller).
        let refresh = |c: &mut Client| -> bool {
            let Some(u) = &c.user else { return false };
            let now = if reload && u.name != crate::acl::DEFAULT_USER {
                None
            } else {
                acl.users.get(&u.name).cloned()
            };
            let gone = now.is_none();
            c.user = Some(now.unwrap_or_else(|| default.clone()));
            if gone {
                c.set_authenticated(false);
            }
            gone
        };
        let mut gone = Vec::new();
        for c in self.clients.values_mut() {
            if refresh(c) {
                gone.push(c.id);
            }
        }
        if let Some(c) = current
            && refresh(c)
        {
            c.close_after_reply = true;
        }
        for id in gone {
            self.close_client(id);
        }
        self.shared.auth_required.store(self.acl.default_requires_auth(), Ordering::Relaxed);
    }

    pub fn used_clients(&self) -> usize {
        self.clients.len()
    }

    pub fn net_bytes(&self) -> (u64, u64) {
        (
            self.shared.net_input_bytes.load(Ordering::Relaxed),
            self.shared.net_output_bytes.load(Ordering::Relaxed)
                + crate::net::socket::output_bytes(),
        )
    }
}

/// The log module's level for the config's `loglevel`.
pub fn log_level(l: crate::config::LogLevel) -> crate::log::Level {
    use crate::config::LogLevel;
    match l {
        LogLevel::Debug => crate::log::Level::Debug,
        LogLevel::Verbose => crate::log::Level::Verbose,
        LogLevel::Notice => crate::log::Level::Notice,
        LogLevel::Warning => crate::log::Level::Warning,
    }
}

/// `n` random lower-case hex digits (run ids, replication ids).
pub fn random_hex(rng: &mut SmallRng, n: usize) -> String {
    use rand::Rng;
    (0..n).map(|_| char::from_digit(rng.random_range(0..16), 16).expect("digit")).collect()
}

/// The protected-mode refusal, word for word as Redis 7.0 sends it (typo included:
/// clients and tests match on it).
pub const DENIED: &str = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
