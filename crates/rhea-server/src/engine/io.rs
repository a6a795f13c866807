//! The engine's event loop I/O: accepting, reading, parsing and writing client sockets on
//! the engine thread itself, as Redis's `ae` loop does.
//!
//! Why not the style guide's "I/O workers + one channel hop per batch": on the 2-core
//! machines this stack targets, a request crossing threads twice (socket task → engine
//! → socket task) spent most of its CPU in context switches and futex wakeups
//! (`finish_task_switch` and spinlock release led the profile under redis-benchmark),
//! and throughput stayed at 0.75–0.85 of Redis. One thread that reads, executes and
//! writes removes both hops; other threads still reach the engine through its inbox
//! ([`super::inbox::EngineTx`]), which wakes the poller.
//!
//! Tokens: a client's id; listeners count down from `usize::MAX - 1`; the inbox waker is
//! `usize::MAX`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};
use rhea_resp::{Limits, Request, parse_request};

use super::client::{Client, ClientId, Conn, ConnInfo};
use super::{DENIED, Server};
use crate::net::listener::{Listener, Peer};
use crate::net::socket::{ReadOutcome, SocketConn, Stream};

pub const WAKER: Token = Token(usize::MAX);

fn listener_token(i: usize) -> Token {
    Token(usize::MAX - 1 - i)
}

/// The poller and what is registered with it.
pub struct Io {
    pub poll: Poll,
    events: Events,
    listeners: Vec<Listener>,
    /// Connections closed after their reply, still writing it (CLIENT_CLOSE_AFTER_REPLY).
    closing: std::collections::HashMap<usize, SocketConn>,
}

impl Io {
    pub fn new(poll: Poll, mut listeners: Vec<Listener>) -> std::io::Result<Io> {
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry().register(l.source(), listener_token(i), Interest::READABLE)?;
        }
        Ok(Io { poll, events: Events::with_capacity(1024), listeners, closing: Default::default() })
    }
}

impl Server {
    /// Wait up to `timeout` for socket events and the inbox, and handle what arrived.
    pub fn poll_io(&mut self, timeout: Duration) {
        let Some(mut io) = self.io.take() else { return };
        if let Err(e) = io.poll.poll(&mut io.events, Some(timeout))
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            crate::warning!("poll failed: {}", e);
        }
        self.polled_at = std::time::Instant::now();
        let ready: Vec<(Token, bool, bool, bool)> = io
            .events
            .iter()
            .map(|e| {
                let closed = e.is_read_closed() || e.is_error();
                (e.token(), e.is_readable() || closed, e.is_writable(), closed)
            })
            .collect();
        for (token, readable, writable, closed) in ready {
            if token == WAKER {
                continue;
            }
            if token.0 > usize::MAX - 1 - io.listeners.len() {
                let i = usize::MAX - 1 - token.0;
                self.accept_all(&mut io, i);
                continue;
            }
            if let Some(s) = io.closing.get_mut(&token.0) {
                s.write_pending();
                if s.pending_output() == 0 || s.broken || readable && !writable {
                    io.closing.remove(&token.0);
                }
                continue;
            }
            let id = token.0 as ClientId;
            if writable && let Some(c) = self.clients.get_mut(&id) {
                c.flush();
            }
            if readable {
                self.read_client(id, closed);
            }
        }
        io.closing.extend(self.closing_later.drain(..));
        self.io = Some(io);
        self.drain_inbox();
    }

    fn accept_all(&mut self, io: &mut Io, i: usize) {
        loop {
            match io.listeners[i].accept() {
                Ok((stream, peer)) => self.on_accept(io, stream, peer),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    crate::warning!("Accepting client connection: {}", e);
                    return;
                }
            }
        }
    }

    /// Register an outgoing connection handed over by a task (the master link).
    pub fn register_stream(
        &mut self,
        id: ClientId,
        stream: std::net::TcpStream,
    ) -> std::io::Result<SocketConn> {
        stream.set_nonblocking(true)?;
        let mut stream = Stream::Tcp(mio::net::TcpStream::from_std(stream));
        let io = self.io.as_mut().ok_or(std::io::ErrorKind::NotConnected)?;
        io.poll.registry().register(
            stream.source(),
            Token(id as usize),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(SocketConn::new(stream))
    }

    fn on_accept(&mut self, io: &mut Io, mut stream: Stream, peer: Peer) {
        use std::io::Write;
        if self.clients.len() >= self.settings.maxclients {
            self.stats.rejected_connections += 1;
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            return;
        }
        if self.settings.protected_mode && self.acl.default_user().nopass && !peer.is_local {
            let _ = stream.write(format!("-{}\r\n", DENIED).as_bytes());
            return;
        }
        let id = self.shared.next_client_id.fetch_add(1, Ordering::Relaxed);
        let token = Token(id as usize);
        if let Err(e) = io.poll.registry().register(
            stream.source(),
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            crate::warning!("Error registering fd event for the new client: {}", e);
            return;
        }
        self.stats.total_connections_received += 1;
        let default = self.acl.default_user();
        // `clientSetDefaultAuth`: authenticated from the start if the default user needs
        // no password.
        let authenticated = default.nopass && default.enabled;
        let info = ConnInfo {
            id,
            addr: peer.addr,
            laddr: peer.laddr,
            fd: peer.fd,
            is_unix: peer.is_unix,
            is_local: peer.is_local,
            conn: Conn::Socket(Box::new(SocketConn::new(stream))),
            authenticated: Default::default(),
        };
        let c = Client::new(info, authenticated, Some(default));
        self.clients.insert(id, Box::new(c));
    }

    /// Read what the socket has, parse complete requests into the client's queue and
    /// run them. While the client is not authenticated, commands are parsed and run one
    /// at a time, so a pipelined AUTH lifts the request-size limits before the next
    /// command is decoded (Redis decodes and runs commands one by one).
    pub fn read_client(&mut self, id: ClientId, peer_closed: bool) {
        let Some(c) = self.clients.get_mut(&id) else { return };
        let Conn::Socket(s) = &mut c.conn else { return };
        let closed = match s.read_all(peer_closed) {
            ReadOutcome::Closed => true,
            ReadOutcome::Data(n) => {
                self.shared.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                false
            }
        };
        let max_bulk_len = self.shared.max_bulk_len.load(Ordering::Relaxed);
        let qlimit = self.shared.query_buffer_limit.load(Ordering::Relaxed);
        if self.clients.get(&id).is_some_and(|c| c.is_master)
            && let Some(m) = self.repl.master.as_mut()
        {
            m.last_io = std::time::Instant::now();
        }
        loop {
            let Some(c) = self.clients.get_mut(&id) else { return };
            let unauthenticated = !c.authenticated();
            let is_master = c.is_master;
            let Conn::Socket(s) = &mut c.conn else { return };
            let limits = Limits { max_bulk_len, unauthenticated, is_master_link: is_master };
            let mut stop = false;
            let mut parsed_one = false;
            while s.reading {
                let before = s.rbuf.len();
                match parse_request(&mut s.rbuf, &limits) {
                    Ok(Some(Request::Command(argv))) => {
                        c.pending.push_back(argv);
                        if is_master {
                            // Replication offsets count the stream's bytes exactly.
                            c.pending_sizes.push_back(before - s.rbuf.len());
                        }
                        parsed_one = true;
                        if unauthenticated {
                            break;
                        }
                    }
                    Ok(Some(Request::Empty { .. })) => continue,
                    Ok(None) => {
                        stop = true;
                        break;
                    }
                    Err(e) => {
                        c.pending_error = Some(e.0);
                        s.reading = false;
                        stop = true;
                        break;
                    }
                }
            }
            if !s.reading {
                stop = true;
            }
            if s.rbuf.len() > qlimit {
                crate::warning!("Closing client that reached max query buffer length");
                return self.free_client(id);
            }
            s.trim_query_buffer();
            c.qbuf = s.rbuf.len();
            if parsed_one || c.pending_error.is_some() {
                self.drain_client(id);
            }
            if stop || !parsed_one {
                break;
            }
        }
        if closed {
            // A peer that only shut down its sending side still gets the replies to
            // what it sent before the FIN.
            if let Some(c) = self.clients.get_mut(&id) {
                c.flush();
            }
            self.free_client(id);
        }
    }

    /// The connection is gone (or must go): drop every trace of the client.
    pub fn free_client(&mut self, id: ClientId) {
        if let Some(mut c) = self.clients.remove(&id) {
            self.forget_client(&mut c);
            c.close();
        }
    }

    /// Close a socket after its last reply is written (QUIT, protocol errors).
    pub fn close_after_writing(&mut self, c: &mut Client) {
        c.flush();
        c.close();
        let conn = std::mem::replace(&mut c.conn, Conn::Channel(closed_channel()));
        if let Conn::Socket(s) = conn
            && s.pending_output() > 0
            && !s.broken
        {
            // During `poll_io` the poller is out of `self`; it takes these back after.
            match self.io.as_mut() {
                Some(io) => {
                    io.closing.insert(c.id as usize, *s);
                }
                None => self.closing_later.push((c.id as usize, *s)),
            }
        }
    }

    /// Handle what other threads sent.
    pub fn drain_inbox(&mut self) {
        let Some(rx) = self.inbox.clone() else { return };
        for _ in 0..1024 {
            match rx.try_recv() {
                Ok(ev) => self.handle(ev),
                Err(crossbeam_channel::TryRecvError::Empty) => return,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    self.shutdown.get_or_insert(super::Shutdown::Requested { save: None });
                    return;
                }
            }
        }
    }
}

/// A sender whose receiver is already gone: what a closed client holds.
fn closed_channel() -> super::client::OutTx {
    tokio::sync::mpsc::unbounded_channel().0
}
