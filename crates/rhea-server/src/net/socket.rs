//! A client's socket as the engine thread drives it: non-blocking reads into a query
//! buffer and writes from a pending-output buffer, registered once with the poller for
//! both directions (mio is edge-triggered: a read drains the socket, a short write
//! resumes on the next writable event).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;
use mio::net::{TcpStream, UnixStream};

thread_local! {
    /// The read chunk, allocated (and zeroed) once per thread rather than per read.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 64 * 1024]);
}

/// Buffers above this are released once empty.
const BIG_BUFFER: usize = 64 * 1024;
/// The largest drained write buffer handed back to the caller for reuse: each client
/// then keeps up to this much on top of its write buffer, as Redis keeps a 16 KiB
/// reply buffer in every client.
const REUSED_BUFFER: usize = 16 * 1024;

/// Bytes written to client sockets (INFO `total_net_output_bytes`).
static OUTPUT_BYTES: AtomicU64 = AtomicU64::new(0);

pub fn output_bytes() -> u64 {
    OUTPUT_BYTES.load(Ordering::Relaxed)
}

pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a read found.
pub enum ReadOutcome {
    /// Bytes were added (possibly none); the socket is drained for now.
    Data(usize),
    /// The peer closed or the socket failed: free the client.
    Closed,
}

pub struct SocketConn {
    pub stream: Stream,
    /// The query buffer: bytes read but not yet parsed.
    pub rbuf: BytesMut,
    /// Output not yet accepted by the socket, from `wpos`.
    wbuf: Vec<u8>,
    wpos: usize,
    /// False after a protocol error: further input is ignored.
    pub reading: bool,
    /// A write failed: the connection is dead, the next event frees it.
    pub broken: bool,
}

impl SocketConn {
    pub fn new(stream: Stream) -> SocketConn {
        SocketConn {
            stream,
            rbuf: BytesMut::with_capacity(16 * 1024),
            wbuf: Vec::new(),
            wpos: 0,
            reading: true,
            broken: false,
        }
    }

    /// Read everything the socket has (edge-triggered: stopping early would stall).
    /// `peer_closed`: the event also reported the peer's FIN, which raises no new edge,
    /// so reading must go on until it shows.
    pub fn read_all(&mut self, peer_closed: bool) -> ReadOutcome {
        SCRATCH.with(|scratch| self.read_all_into(&mut scratch.borrow_mut(), peer_closed))
    }

    fn read_all_into(&mut self, chunk: &mut [u8], peer_closed: bool) -> ReadOutcome {
        let mut total = 0;
        loop {
            match self.stream.read(chunk) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => {
                    if self.reading {
                        self.rbuf.extend_from_slice(&chunk[..n]);
                    }
                    total += n;
                    // A short read drained the socket: data arriving later raises a new
                    // edge, so the read that would only say EAGAIN is skipped (one
                    // syscall per request saved).
                    if n < chunk.len() && !peer_closed {
                        return ReadOutcome::Data(total);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadOutcome::Data(total),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return ReadOutcome::Closed,
            }
        }
    }

    /// Queue `data` and write what the socket takes. `data` is left empty, holding the
    /// previous (drained) write buffer's allocation when that is small, so the caller's
    /// next replies reuse it instead of allocating and growing a new one each turn.
    pub fn send(&mut self, data: &mut Vec<u8>) {
        if self.wpos == self.wbuf.len() {
            let spare = std::mem::replace(&mut self.wbuf, std::mem::take(data));
            self.wpos = 0;
            if spare.capacity() <= REUSED_BUFFER {
                *data = spare;
                data.clear();
            }
        } else {
            self.wbuf.extend_from_slice(data);
            data.clear();
        }
        self.write_pending();
    }

    /// Write queued output until done or the socket is full.
    pub fn write_pending(&mut self) {
        while self.wpos < self.wbuf.len() && !self.broken {
            match self.stream.write(&self.wbuf[self.wpos..]) {
                Ok(0) => self.broken = true,
                Ok(n) => {
                    self.wpos += n;
                    OUTPUT_BYTES.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => self.broken = true,
            }
        }
        if self.wpos == self.wbuf.len() {
            // Keep a small buffer's capacity; give a big one back.
            if self.wbuf.capacity() > BIG_BUFFER {
                self.wbuf = Vec::new();
            } else {
                self.wbuf.clear();
            }
            self.wpos = 0;
        }
    }

    /// Let go of a consumed query buffer. Parsed arguments are slices of it, so an empty
    /// buffer may still pin a large allocation that the stored values no longer need
    /// (memory accounting would keep counting it); the next read allocates afresh.
    pub fn trim_query_buffer(&mut self) {
        if self.rbuf.is_empty() {
            self.rbuf = BytesMut::new();
        }
    }

    /// Output still waiting for the socket.
    pub fn pending_output(&self) -> usize {
        self.wbuf.len() - self.wpos
    }
}
