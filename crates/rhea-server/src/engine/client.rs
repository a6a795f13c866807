//! Per-connection state, owned by the engine thread.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use rhea_resp::{Protocol, Reply};
use tokio::sync::mpsc::UnboundedSender;

use super::table::Command;

pub type ClientId = u64;

/// What the engine sends back to a connection task.
#[derive(Debug)]
pub enum Out {
    Data(Vec<u8>),
    /// Flush what was sent before, then close the connection.
    Close,
}

pub type OutTx = UnboundedSender<Out>;

/// Where a client's output goes: its own socket (driven by the engine's event loop), or
/// a channel to a task that owns the socket (the replica's link to its master).
pub enum Conn {
    Socket(Box<crate::net::socket::SocketConn>),
    Channel(OutTx),
}

/// Facts about a new connection.
pub struct ConnInfo {
    pub id: ClientId,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub is_unix: bool,
    /// Loopback TCP or a Unix socket: what protected mode lets through.
    pub is_local: bool,
    pub conn: Conn,
    /// The decoder applies the unauthenticated request limits while this is false.
    pub authenticated: Arc<AtomicBool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set by CLIENT REPLY SKIP: becomes `Skip` once the SKIP command itself is done.
    SkipNext,
}

/// A command waiting in a blocking call (BLPOP and friends).
pub struct BlockedOn {
    pub keys: Vec<Bytes>,
    pub db: usize,
    /// Absolute deadline in ms since the epoch; `None` waits forever.
    pub deadline_ms: Option<i64>,
    pub timeout_reply: Reply,
    pub cmd: &'static Command,
    pub argv: Vec<Bytes>,
}

/// MULTI state: queued commands and whether a queue-time error poisoned the transaction.
#[derive(Default)]
pub struct MultiState {
    pub queued: Vec<(&'static Command, Vec<Bytes>)>,
    pub aborted: bool,
}

pub struct Client {
    pub id: ClientId,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub is_unix: bool,
    pub is_local: bool,
    pub conn: Conn,
    pub auth_flag: Arc<AtomicBool>,
    pub name: Option<Bytes>,
    pub db: usize,
    pub proto: Protocol,
    pub created: Instant,
    pub last_interaction: Instant,
    /// Full name of the last command executed (`client|list`), for CLIENT LIST.
    pub last_cmd: &'static str,
    pub reply_mode: ReplyMode,
    /// Encoded replies not yet handed to the connection task.
    pub outbuf: Vec<u8>,
    pub close_after_reply: bool,
    /// Commands received but not yet executed (pipelined behind a blocked or paused
    /// command, exactly as Redis leaves them in the query buffer).
    pub pending: VecDeque<Vec<Bytes>>,
    /// A protocol error that follows the pending commands.
    pub pending_error: Option<String>,
    pub multi: Option<MultiState>,
    /// WATCHed (db, key) pairs.
    pub watched: Vec<(usize, Bytes)>,
    /// A watched key was touched: EXEC will fail.
    pub dirty_cas: bool,
    pub channels: Vec<Bytes>,
    pub patterns: Vec<Bytes>,
    pub blocked: Option<BlockedOn>,
    pub is_monitor: bool,
    /// This monitor's own MONITOR line, written after the reply of the command it shows.
    pub monitor_echo: Option<Reply>,
    /// The replication link from our master (set by replication, later).
    pub is_master: bool,
    pub is_replica: bool,
    /// Bytes waiting in the connection's read buffer at the last batch (CLIENT LIST qbuf).
    pub qbuf: usize,
    /// Replication facts when this client is (becoming) a replica.
    pub replica: Option<Box<crate::engine::replication::ReplicaInfo>>,
    /// `master_repl_offset` after this client's last command (what WAIT waits for).
    pub woff: i64,
    /// `master_repl_offset` after this client's last command that propagated: its
    /// reply waits until the stream up to there is written (see `engine::flush`).
    pub wrote_at: i64,
    /// The master client: stream bytes of each pending command.
    pub pending_sizes: VecDeque<usize>,
    /// The master client: bytes executed but not yet counted (inside a MULTI).
    pub master_unapplied: (usize, Vec<u8>),
    /// The ACL user the client runs as; `None` is Redis's superuser (the master link),
    /// which nothing is checked for.
    pub user: Option<Arc<crate::acl::user::User>>,
}

impl Client {
    pub fn new(
        info: ConnInfo,
        authenticated: bool,
        user: Option<Arc<crate::acl::user::User>>,
    ) -> Client {
        info.authenticated.store(authenticated, Ordering::Relaxed);
        let now = Instant::now();
        Client {
            id: info.id,
            addr: info.addr,
            laddr: info.laddr,
            fd: info.fd,
            is_unix: info.is_unix,
            is_local: info.is_local,
            conn: info.conn,
            auth_flag: info.authenticated,
            name: None,
            db: 0,
            proto: Protocol::Resp2,
            created: now,
            last_interaction: now,
            last_cmd: "NULL",
            reply_mode: ReplyMode::On,
            outbuf: Vec::new(),
            close_after_reply: false,
            pending: VecDeque::new(),
            pending_error: None,
            multi: None,
            watched: Vec::new(),
            dirty_cas: false,
            channels: Vec::new(),
            patterns: Vec::new(),
            blocked: None,
            is_monitor: false,
            monitor_echo: None,
            is_master: false,
            is_replica: false,
            qbuf: 0,
            replica: None,
            woff: 0,
            wrote_at: 0,
            pending_sizes: VecDeque::new(),
            master_unapplied: (0, Vec::new()),
            user,
        }
    }

    pub fn authenticated(&self) -> bool {
        self.auth_flag.load(Ordering::Relaxed)
    }

    /// The user's name as CLIENT LIST shows it.
    pub fn user_name(&self) -> String {
        match &self.user {
            Some(u) => u.name_str(),
            None => "(superuser)".into(),
        }
    }

    pub fn set_authenticated(&self, yes: bool) {
        self.auth_flag.store(yes, Ordering::Relaxed);
    }

    /// Number of pub/sub subscriptions (channels + patterns).
    pub fn sub_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    pub fn in_pubsub(&self) -> bool {
        self.sub_count() > 0
    }

    /// Encode a reply into the output buffer, honouring CLIENT REPLY.
    pub fn reply(&mut self, r: &Reply) {
        if matches!(self.reply_mode, ReplyMode::Off | ReplyMode::Skip) {
            return;
        }
        r.encode(self.proto, &mut self.outbuf);
    }

    /// Push data regardless of CLIENT REPLY (pub/sub messages, MONITOR lines).
    pub fn push(&mut self, r: &Reply) {
        r.encode(self.proto, &mut self.outbuf);
    }

    /// Write the reply of a command, then this monitor's own line for it.
    pub fn reply_then_echo(&mut self, r: &Reply) {
        self.reply(r);
        if let Some(line) = self.monitor_echo.take() {
            self.push(&line);
        }
    }

    /// Write buffered output to the socket (what it does not take now goes on the next
    /// writable event), or hand it to the connection task.
    pub fn flush(&mut self) {
        match &mut self.conn {
            Conn::Socket(s) => {
                if !self.outbuf.is_empty() {
                    s.send(&mut self.outbuf);
                }
            }
            Conn::Channel(tx) => {
                if !self.outbuf.is_empty() {
                    let data = std::mem::take(&mut self.outbuf);
                    let _ = tx.send(Out::Data(data));
                }
                if self.close_after_reply {
                    let _ = tx.send(Out::Close);
                }
            }
        }
    }

    /// Send raw bytes at once, bypassing the reply buffer (keepalive newlines).
    pub fn send_now(&mut self, data: &[u8]) {
        self.outbuf.extend_from_slice(data);
        self.flush();
    }

    /// Disconnect: a channel's task is told to close; a socket is closed when the
    /// client (and so the socket) is dropped.
    pub fn close(&mut self) {
        if let Conn::Channel(tx) = &self.conn {
            let _ = tx.send(Out::Close);
        }
    }

    /// Output accepted from the engine but not yet written to the socket.
    pub fn pending_output(&self) -> usize {
        match &self.conn {
            Conn::Socket(s) => s.pending_output(),
            Conn::Channel(_) => 0,
        }
    }

    /// The `type` CLIENT KILL/LIST filters on.
    pub fn kind(&self) -> &'static str {
        if self.is_master {
            "master"
        } else if self.is_replica {
            "replica"
        } else if self.in_pubsub() {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// The `flags=` letters of CLIENT LIST (`networking.c` `getClientInfoString`).
    pub fn flag_letters(&self) -> String {
        let mut f = String::new();
        if self.is_replica {
            f.push(if self.is_monitor { 'O' } else { 'S' });
        }
        if self.is_monitor && !self.is_replica {
            f.push('O');
        }
        if self.is_master {
            f.push('M');
        }
        if self.in_pubsub() {
            f.push('P');
        }
        if self.multi.is_some() {
            f.push('x');
        }
        if self.blocked.is_some() {
            f.push('b');
        }
        if self.dirty_cas {
            f.push('d');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.is_unix {
            f.push('U');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// One CLIENT LIST / CLIENT INFO line (without the trailing newline), in 7.0's field
    /// order. Memory figures are estimates of our own buffers.
    pub fn info_line(&self, now: Instant) -> String {
        let name = self.name.as_ref().map(|n| String::from_utf8_lossy(n).into_owned());
        let multi = match &self.multi {
            Some(m) => m.queued.len() as i64,
            None => -1,
        };
        let resp = if self.proto == rhea_resp::Protocol::Resp3 { 3 } else { 2 };
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub=0 multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs=16384 rbp=16384 \
             obl={} oll=0 omem=0 tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            name.unwrap_or_default(),
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_interaction).as_secs(),
            self.flag_letters(),
            self.db,
            self.channels.len(),
            self.patterns.len(),
            multi,
            self.qbuf,
            0,
            0,
            self.outbuf.len(),
            16384 + self.outbuf.len(),
            self.last_cmd,
            self.user_name(),
            resp
        )
    }
}
