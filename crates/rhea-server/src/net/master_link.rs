//! The replica's connection to its master: connect, run the handshake core
//! ([`crate::repl::handshake`]), read the RDB payload (`$<len>` or `$EOF:<mark>`), then
//! hand the command stream to the engine with each command's size in bytes (offsets
//! count stream bytes exactly). One task per attempt; the engine's cron starts a new one
//! after a failure, as `replicationCron` does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use rhea_resp::{Limits, Request, parse_request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::unbounded_channel;

use crate::engine::Event;
use crate::engine::client::{Out, OutTx};
use crate::engine::inbox::EngineTx;
use crate::repl::handshake::{Handshake, HandshakeConfig, Outcome, ReplState, Step};
use crate::repl::ids::Replid;
use crate::repl::psync::CachedMaster;
use crate::{notice, warning};

/// Transfer progress the engine shows in INFO (`master_sync_*`), updated by the link.
#[derive(Debug, Default)]
pub struct TransferProgress {
    /// Payload size, -1 for the EOF-marked form (`repl_transfer_size`).
    pub size: AtomicI64,
    pub read: AtomicI64,
    /// Unix seconds of the last bytes received.
    pub last_io: AtomicI64,
}

impl TransferProgress {
    fn reset(&self) {
        self.size.store(-1, Ordering::Relaxed);
        self.read.store(0, Ordering::Relaxed);
        self.touch();
    }

    fn touch(&self) {
        self.last_io.store(crate::engine::unix_ms() / 1000, Ordering::Relaxed);
    }
}

/// What the engine needs to start a link.
#[derive(Debug, Clone)]
pub struct LinkParams {
    pub host: String,
    pub port: u16,
    pub handshake: HandshakeConfig,
    pub cached: Option<CachedMaster>,
    pub timeout: Duration,
    pub max_bulk_len: i64,
    pub progress: Arc<TransferProgress>,
}

/// Progress of one link attempt, reported to the engine.
#[derive(Debug)]
pub enum LinkEvent {
    /// TCP is up, the handshake runs.
    Handshake,
    /// `+FULLRESYNC` received: the RDB is being read.
    Transfer,
    FullSync {
        replid: Option<Replid>,
        offset: Option<i64>,
        rdb: Vec<u8>,
        /// The payload came in the EOF-marked form: ACK right after loading it.
        eof: bool,
        tx: OutTx,
        addr: String,
        laddr: String,
    },
    Continue {
        new_replid: Option<Replid>,
        tx: OutTx,
        addr: String,
        laddr: String,
    },
    /// Commands from the stream with their sizes in bytes.
    Stream(Vec<(Vec<Bytes>, usize)>),
    /// The link is gone; the text is what Redis logs.
    Down(String),
}

struct Link {
    stream: TcpStream,
    buf: BytesMut,
    timeout: Duration,
}

impl Link {
    /// Read more bytes; an error text on EOF, error or timeout.
    async fn fill(&mut self) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Err("Timeout connecting to the MASTER...".into()),
            Ok(Ok(0)) => Err("Master closed the connection".into()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("Error condition on socket for SYNC: {e}")),
        }
    }

    /// One line without its CRLF.
    async fn line(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line = self.buf.split_to(pos + 1).to_vec();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            self.fill().await?;
        }
    }
}

pub async fn run(p: LinkParams, generation: u64, engine: EngineTx, cancel: Arc<AtomicBool>) {
    let send = |event: LinkEvent| engine.send(Event::MasterLink { generation, event });
    let cancelled = async {
        while !cancel.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let reason = tokio::select! {
        r = session(&p, &send) => match r {
            Ok(reason) | Err(reason) => reason,
        },
        _ = cancelled => return,
    };
    send(LinkEvent::Down(reason));
}

async fn session(p: &LinkParams, send: &impl Fn(LinkEvent) -> bool) -> Result<String, String> {
    notice!("MASTER <-> REPLICA sync started");
    let connect = TcpStream::connect((p.host.as_str(), p.port));
    let stream = match tokio::time::timeout(p.timeout, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("Error condition on socket for SYNC: {e}")),
        Err(_) => return Err("Timeout connecting to the MASTER...".into()),
    };
    let _ = stream.set_nodelay(true);
    let addr = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
    notice!("Non blocking connect for SYNC fired the event.");
    send(LinkEvent::Handshake);
    let mut link = Link { stream, buf: BytesMut::with_capacity(64 * 1024), timeout: p.timeout };
    let mut hs = Handshake::new(p.handshake.clone(), p.cached.clone());
    hs.connect();
    let first = hs.on_connected();
    write(&mut link, &first).await?;
    let outcome = loop {
        let line = link.line().await?;
        let after_ping = hs.state() == ReplState::ReceivePingReply;
        match hs.on_reply(&line) {
            Step::Send(bytes) => {
                if after_ping {
                    notice!("Master replied to PING, replication can continue...");
                }
                write(&mut link, &bytes).await?;
                if bytes.starts_with(b"*3\r\n$5\r\nPSYNC") {
                    log_psync_request(&p.cached);
                }
            }
            Step::Wait(note) => {
                if let Some(n) = note {
                    notice!("{}", n);
                }
            }
            Step::Outcome { send: bytes, outcome } => {
                write(&mut link, &bytes).await?;
                break outcome;
            }
            Step::Fail(msg) => return Err(msg),
        }
    };
    let (tx, rx) = unbounded_channel::<Out>();
    match outcome {
        Outcome::FullResync { replid, offset } => {
            if let (Some(id), Some(off)) = (replid, offset) {
                notice!("Full resync from master: {}:{}", String::from_utf8_lossy(&id), off);
            }
            p.progress.reset();
            send(LinkEvent::Transfer);
            let (rdb, eof) = read_payload(&mut link, &p.progress).await?;
            if !send(LinkEvent::FullSync { replid, offset, rdb, eof, tx, addr, laddr }) {
                return Ok("engine gone".into());
            }
        }
        Outcome::Continue { new_replid } => {
            notice!("Successful partial resynchronization with master.");
            if !send(LinkEvent::Continue { new_replid, tx, addr, laddr }) {
                return Ok("engine gone".into());
            }
        }
    }
    stream_loop(link, rx, p, send).await
}

fn log_psync_request(cached: &Option<CachedMaster>) {
    match cached {
        Some(c) => notice!(
            "Trying a partial resynchronization (request {}:{}).",
            String::from_utf8_lossy(&c.replid),
            c.reploff + 1
        ),
        None => notice!("Partial resynchronization not possible (no cached master)"),
    }
}

async fn write(link: &mut Link, bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    link.stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("Error condition on socket for SYNC: {e}"))
}

/// Read `$<len>\r\n<payload>` or `$EOF:<mark>\r\n<payload><mark>`, skipping the `\n`
/// keepalives before it.
async fn read_payload(
    link: &mut Link,
    progress: &TransferProgress,
) -> Result<(Vec<u8>, bool), String> {
    let header = loop {
        let line = link.line().await?;
        if line.is_empty() {
            continue;
        }
        if line[0] == b'-' {
            return Err(format!(
                "MASTER aborted replication with an error: {}",
                String::from_utf8_lossy(&line[1..])
            ));
        }
        if line[0] != b'$' {
            return Err(format!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you \
                 sure the host and port are right?",
                String::from_utf8_lossy(&line)
            ));
        }
        break line;
    };
    if let Some(mark) = header.strip_prefix(b"$EOF:") {
        if mark.len() != 40 {
            return Err("Bad EOF mark from MASTER".into());
        }
        notice!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
        // Redis counts an EOF-marked transfer with size 0 (INFO's perc stays 0.00).
        progress.size.store(0, Ordering::Relaxed);
        let mark = mark.to_vec();
        loop {
            progress.read.store(link.buf.len() as i64, Ordering::Relaxed);
            if link.buf.len() >= mark.len() && link.buf.ends_with(&mark) {
                let len = link.buf.len() - mark.len();
                let rdb = link.buf.split_to(len).to_vec();
                link.buf.advance(mark.len());
                return Ok((rdb, true));
            }
            link.fill().await?;
            progress.touch();
        }
    }
    let len: usize = std::str::from_utf8(&header[1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "Bad bulk length from MASTER".to_string())?;
    notice!("MASTER <-> REPLICA sync: receiving {} bytes from master to disk", len);
    progress.size.store(len as i64, Ordering::Relaxed);
    loop {
        progress.read.store(link.buf.len().min(len) as i64, Ordering::Relaxed);
        if link.buf.len() >= len {
            break;
        }
        link.buf.reserve(len - link.buf.len());
        link.fill().await?;
        progress.touch();
    }
    Ok((link.buf.split_to(len).to_vec(), false))
}

/// Stream commands to the engine and the engine's writes (ACKs) to the master.
async fn stream_loop(
    mut link: Link,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Out>,
    p: &LinkParams,
    send: &impl Fn(LinkEvent) -> bool,
) -> Result<String, String> {
    let limits =
        Limits { max_bulk_len: p.max_bulk_len, unauthenticated: false, is_master_link: true };
    // Bytes already buffered after the payload belong to the stream.
    if !forward(&mut link.buf, &limits, send)? {
        return Ok("engine gone".into());
    }
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Out::Data(d)) => write(&mut link, &d).await?,
                Some(Out::Close) | None => return Ok("closed by the engine".into()),
            },
            r = tokio::time::timeout(p.timeout, link.stream.read_buf(&mut link.buf)) => match r {
                Err(_) => return Err("MASTER timeout: no data nor PING received...".into()),
                Ok(Ok(0)) => return Err("Connection with master lost.".into()),
                Ok(Err(e)) => return Err(format!("Connection with master lost: {e}")),
                Ok(Ok(_)) => {
                    if !forward(&mut link.buf, &limits, send)? {
                        return Ok("engine gone".into());
                    }
                }
            },
        }
    }
}

/// Parse complete commands out of `buf` and send them with their sizes.
fn forward(
    buf: &mut BytesMut,
    limits: &Limits,
    send: &impl Fn(LinkEvent) -> bool,
) -> Result<bool, String> {
    let mut cmds = Vec::new();
    loop {
        let before = buf.len();
        match parse_request(buf, limits) {
            Ok(Some(Request::Command(argv))) => cmds.push((argv, before - buf.len())),
            Ok(Some(Request::Empty { .. })) => {
                // A bare newline still counts as stream bytes if it came after the payload;
                // Redis masters never send one there.
                continue;
            }
            Ok(None) => break,
            Err(e) => {
                warning!("Protocol error from MASTER: {}", e.0);
                return Err(format!("Protocol error from master: {}", e.0));
            }
        }
    }
    if cmds.is_empty() {
        return Ok(true);
    }
    Ok(send(LinkEvent::Stream(cmds)))
}
