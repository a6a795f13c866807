//! One task per connection: read → decode → send the batch to the engine; receive
//! encoded replies → write. A protocol error stops reading; the engine replies with the
//! error text after the commands that preceded it and then closes, as Redis does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::BytesMut;
use crossbeam_channel::Sender;
use rhea_resp::{Limits, Request, parse_request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::unbounded_channel;

use crate::engine::client::{ConnInfo, Out};
use crate::engine::{Event, Shared};

/// Who is on the other end, as the engine wants to know it.
pub struct Peer {
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub is_unix: bool,
    pub is_local: bool,
}

/// Largest chunk of replies gathered into one write.
const WRITE_BATCH: usize = 256 * 1024;

pub async fn run<S>(stream: S, peer: Peer, engine: Sender<Event>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let id = shared.next_client_id.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = unbounded_channel::<Out>();
    let authenticated = Arc::new(AtomicBool::new(!shared.auth_required.load(Ordering::Relaxed)));
    let info = ConnInfo {
        id,
        addr: peer.addr,
        laddr: peer.laddr,
        fd: peer.fd,
        is_unix: peer.is_unix,
        is_local: peer.is_local,
        tx,
        authenticated: authenticated.clone(),
    };
    if engine.send(Event::Connected(info)).is_err() {
        return;
    }
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut reading = true;
    // While unauthenticated, commands are handed over one at a time so that a pipelined
    // AUTH lifts the request-size limits before the next command is decoded (Redis
    // decodes and runs commands one by one).
    let mut awaiting_reply = false;
    let mut out = Vec::new();
    loop {
        tokio::select! {
            biased;
            msg = rx.recv() => {
                let mut close = false;
                match msg {
                    Some(Out::Data(d)) => out.extend_from_slice(&d),
                    Some(Out::Close) | None => close = true,
                }
                while !close && out.len() < WRITE_BATCH {
                    match rx.try_recv() {
                        Ok(Out::Data(d)) => out.extend_from_slice(&d),
                        Ok(Out::Close) => close = true,
                        Err(_) => break,
                    }
                }
                if !out.is_empty() {
                    shared.net_output_bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
                    if wr.write_all(&out).await.is_err() {
                        break;
                    }
                    out.clear();
                }
                if close {
                    let _ = wr.flush().await;
                    let _ = wr.shutdown().await;
                    break;
                }
                if awaiting_reply {
                    awaiting_reply = false;
                    if reading && !decode_and_send(&mut buf, id, &engine, &shared, &authenticated, &mut reading, &mut awaiting_reply) {
                        break;
                    }
                }
            }
            // Reading goes on while a command is in flight, so a client that disconnects
            // (even one blocked in BLPOP) is noticed at once; decoding waits for the reply.
            r = rd.read_buf(&mut buf), if reading => {
                match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        shared.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                        if awaiting_reply {
                            if buf.len() > shared.query_buffer_limit.load(Ordering::Relaxed) {
                                crate::warning!("Closing client that reached max query buffer length");
                                break;
                            }
                        } else if !decode_and_send(&mut buf, id, &engine, &shared, &authenticated, &mut reading, &mut awaiting_reply) {
                            break;
                        }
                    }
                }
            }
        }
    }
    let _ = engine.send(Event::Disconnected { id });
}

/// Decode what is buffered and hand it to the engine. Returns false to drop the
/// connection (query buffer limit).
fn decode_and_send(
    buf: &mut BytesMut,
    id: u64,
    engine: &Sender<Event>,
    shared: &Shared,
    authenticated: &AtomicBool,
    reading: &mut bool,
    awaiting_reply: &mut bool,
) -> bool {
    let unauthenticated = !authenticated.load(Ordering::Relaxed);
    let limits = Limits {
        max_bulk_len: shared.max_bulk_len.load(Ordering::Relaxed),
        unauthenticated,
        is_master_link: false,
    };
    let mut cmds = Vec::new();
    let mut error = None;
    loop {
        match parse_request(buf, &limits) {
            Ok(Some(Request::Command(argv))) => {
                cmds.push(argv);
                if unauthenticated {
                    *awaiting_reply = true;
                    break;
                }
            }
            Ok(Some(Request::Empty { .. })) => continue,
            Ok(None) => break,
            Err(e) => {
                error = Some(e.0);
                *reading = false;
                break;
            }
        }
    }
    if buf.len() > shared.query_buffer_limit.load(Ordering::Relaxed) {
        crate::warning!("Closing client that reached max query buffer length");
        return false;
    }
    if cmds.is_empty() && error.is_none() {
        return true;
    }
    engine.send(Event::Commands { id, cmds, error, qbuf: buf.len() }).is_ok()
}
