//! One connection the core asked for (`Action::Connect`): a task that connects with a
//! timeout, writes what the event loop queues (including what was queued before the
//! connect completed, as hiredis's async context buffers), decodes replies and reports
//! everything back to the loop as [`LinkEvent`]s.
//!
//! ```text
//!   event loop ──Vec<u8> (encoded commands)──▶ link task ──▶ socket
//!   event loop ◀──Up / Reply / Down ────────── link task ◀── socket
//! ```
//!
//! A link ends in one of two ways: the loop drops its sender and aborts the task (the
//! core closed it: nothing is reported), or the connect fails / the peer closes / an I/O
//! or protocol error happens: exactly one `Down` is sent, after every `Reply` read before.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::resp2;
use crate::io::{LinkId, LinkReply};

/// What a link task tells the event loop.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected; our address on the socket.
    Up(LinkId, Option<String>),
    Reply(LinkId, LinkReply),
    /// Connect failed or the connection broke (the reason is logged at debug level).
    Down(LinkId, String),
}

/// Most bytes gathered into one write.
const WRITE_BATCH: usize = 64 * 1024;

/// Start the task for `link`. Dropping the returned sender closes the connection.
pub fn spawn(
    link: LinkId,
    host: String,
    port: u16,
    connect_timeout: Duration,
    events: mpsc::UnboundedSender<super::LoopEvent>,
) -> (mpsc::UnboundedSender<Vec<u8>>, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(link, host, port, connect_timeout, rx, events));
    (tx, task)
}

async fn run(
    link: LinkId,
    host: String,
    port: u16,
    connect_timeout: Duration,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<super::LoopEvent>,
) {
    let send = |e: LinkEvent| events.send(super::LoopEvent::Link(e)).is_ok();
    let stream = match tokio::time::timeout(
        connect_timeout,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            send(LinkEvent::Down(link, format!("connect to {host}:{port}: {e}")));
            return;
        }
        Err(_) => {
            send(LinkEvent::Down(link, format!("connect to {host}:{port}: timed out")));
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let local_ip = stream.local_addr().ok().map(|a| a.ip().to_canonical().to_string());
    if !send(LinkEvent::Up(link, local_ip)) {
        return;
    }
    let (mut rd, mut wr) = stream.into_split();

    let reader = async {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        loop {
            match rd.read_buf(&mut buf).await {
                Ok(0) => return "connection closed by peer".to_string(),
                Err(e) => return format!("read error: {e}"),
                Ok(_) => loop {
                    match resp2::decode(&mut buf) {
                        Ok(Some(r)) => {
                            if !send(LinkEvent::Reply(link, r)) {
                                return String::new();
                            }
                        }
                        Ok(None) => break,
                        Err(e) => return format!("protocol error: {}", e.0),
                    }
                },
            }
        }
    };
    let writer = async {
        while let Some(mut out) = rx.recv().await {
            while out.len() < WRITE_BATCH {
                match rx.try_recv() {
                    Ok(more) => out.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            if let Err(e) = wr.write_all(&out).await {
                return Some(format!("write error: {e}"));
            }
        }
        None // the loop closed the link: nothing to report
    };
    let down = tokio::select! {
        reason = reader => Some(reason),
        closed = writer => closed,
    };
    if let Some(reason) = down {
        send(LinkEvent::Down(link, reason));
    }
}
