//! The replica's connection to its master, up to the stream: connect, run the handshake
//! core ([`crate::repl::handshake`]), read the RDB payload (`$<len>` or `$EOF:<mark>`),
//! then hand the socket to the engine, whose event loop reads the stream like any
//! client's (`engine::io` counts each command's bytes for the offsets). One task per
//! attempt; the engine's cron starts a new one after a failure, as `replicationCron`
//! does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::engine::Event;
use crate::engine::inbox::EngineTx;
use crate::notice;
use crate::repl::handshake::{Handshake, HandshakeConfig, Outcome, ReplState, Step};
use crate::repl::ids::Replid;
use crate::repl::psync::CachedMaster;

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

/// The connection, handed to the engine once the stream starts: from then on the
/// engine's event loop reads the master's commands like any client's.
#[derive(Debug)]
pub struct Handover {
    pub stream: std::net::TcpStream,
    /// Stream bytes already read after the payload.
    pub leftover: BytesMut,
    pub addr: String,
    pub laddr: String,
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
        link: Handover,
    },
    Continue {
        new_replid: Option<Replid>,
        link: Handover,
    },
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
            // Handed over to the engine, which now owns the link.
            Ok(()) => return,
            Err(reason) => reason,
        },
        _ = cancelled => return,
    };
    send(LinkEvent::Down(reason));
}

async fn session(p: &LinkParams, send: &impl Fn(LinkEvent) -> bool) -> Result<(), String> {
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
    match outcome {
        Outcome::FullResync { replid, offset } => {
            if let (Some(id), Some(off)) = (replid, offset) {
                notice!("Full resync from master: {}:{}", String::from_utf8_lossy(&id), off);
            }
            p.progress.reset();
            send(LinkEvent::Transfer);
            let (rdb, eof) = read_payload(&mut link, &p.progress).await?;
            let link = hand_over(link, addr, laddr)?;
            send(LinkEvent::FullSync { replid, offset, rdb, eof, link });
        }
        Outcome::Continue { new_replid } => {
            notice!("Successful partial resynchronization with master.");
            let link = hand_over(link, addr, laddr)?;
            send(LinkEvent::Continue { new_replid, link });
        }
    }
    Ok(())
}

/// The socket leaves tokio for the engine's event loop.
fn hand_over(link: Link, addr: String, laddr: String) -> Result<Handover, String> {
    let stream =
        link.stream.into_std().map_err(|e| format!("Error condition on socket for SYNC: {e}"))?;
    Ok(Handover { stream, leftover: link.buf, addr, laddr })
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
