//! The replication backlog and `master_repl_offset`.
//!
//! Mirrors Redis 7.0's backlog, which is a list of replication buffer blocks rather
//! than 6.x's fixed ring (`feedReplicationBuffer`, `incrementalTrimReplicationBacklog`,
//! `resizeReplicationBacklog`, `addReplyReplicationBacklog`):
//!
//! ```text
//!  first_byte_offset                                      master_repl_offset
//!  │                                                                      │
//!  ▼                                                                      ▼
//!  [ block 16 KiB ][ block 16 KiB ] … [ tail block, partly used ]
//!  └──────────────────────── histlen bytes ──────────────────────────────┘
//! ```
//!
//! * `master_repl_offset` only advances while a backlog exists (Redis returns early from
//!   `feedReplicationBuffer` without one), by exactly the bytes fed.
//! * Creating the backlog sets `first_byte_offset = master_repl_offset + 1` (INFO:
//!   `repl_backlog_first_byte_offset:1` for a fresh master).
//! * Trimming drops whole *blocks* from the head, at most [`TRIM_BLOCKS_PER_CALL`] per
//!   feed or resize, and never when that would leave fewer than `repl-backlog-size` bytes
//!   or fewer than one block. So `histlen` may exceed `repl-backlog-size` by up to a
//!   block.
//! * Resizing (7.0) keeps the history and only trims incrementally; 6.x flushed it.
//!   Sizes below 16 KiB are raised to 16 KiB (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
//!
//! ## Caveats
//! * Redis sizes a new block as `max(16 KiB, len)` *rounded up by jemalloc's size
//!   class*; we use the requested size, so `repl_backlog_histlen` and
//!   `repl_backlog_first_byte_offset` can differ from Redis once trimming starts.
//! * Redis shares blocks with replica output buffers and a replica's reference stops
//!   trimming; here the backlog owns its own copy, so nothing holds trimming back.

use std::collections::VecDeque;

/// `PROTO_REPLY_CHUNK_BYTES`: the usual block size.
pub const BLOCK_SIZE: usize = 16 * 1024;
/// `CONFIG_REPL_BACKLOG_MIN_SIZE`.
pub const MIN_SIZE: usize = 16 * 1024;
/// `REPL_BACKLOG_TRIM_BLOCKS_PER_CALL`.
pub const TRIM_BLOCKS_PER_CALL: usize = 10;

/// The backlog (when active) plus the replication offset it defines.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// `repl-backlog-size` (after the 16 KiB floor).
    size: usize,
    /// Minimum capacity of a new block (16 KiB in Redis; smaller in tests).
    block_size: usize,
    /// `master_repl_offset`: total bytes ever fed while a backlog existed.
    master_repl_offset: i64,
    /// `None` is `repl_backlog_active:0`.
    hist: Option<History>,
}

#[derive(Debug, Clone)]
struct History {
    blocks: VecDeque<Vec<u8>>,
    /// `repl_backlog->offset`: the offset of the first byte held.
    first_byte_offset: i64,
    /// `repl_backlog->histlen`.
    histlen: i64,
}

impl Backlog {
    /// An inactive backlog of `repl-backlog-size` bytes at offset 0.
    pub fn new(size: usize) -> Self {
        Self::with_block_size(size, BLOCK_SIZE)
    }

    /// As [`Backlog::new`] with a custom block size (tests).
    pub fn with_block_size(size: usize, block_size: usize) -> Self {
        Backlog {
            size: size.max(MIN_SIZE),
            block_size: block_size.max(1),
            master_repl_offset: 0,
            hist: None,
        }
    }

    /// `createReplicationBacklog`: start recording; the first byte held will be the next
    /// one fed. No-op if already active.
    pub fn create(&mut self) {
        if self.hist.is_none() {
            self.hist = Some(History {
                blocks: VecDeque::new(),
                first_byte_offset: self.master_repl_offset + 1,
                histlen: 0,
            });
        }
    }

    /// `freeReplicationBacklog` (repl-backlog-ttl expiry, or a replica before a full sync).
    pub fn free(&mut self) {
        self.hist = None;
    }

    /// A replica after loading a full sync: the offset becomes the master's
    /// `+FULLRESYNC` offset and a fresh backlog starts right after it.
    pub fn reset_to(&mut self, master_repl_offset: i64) {
        self.hist = None;
        self.master_repl_offset = master_repl_offset;
        self.create();
    }

    /// `repl_backlog_active`.
    pub fn is_active(&self) -> bool {
        self.hist.is_some()
    }

    /// `master_repl_offset`.
    pub fn master_repl_offset(&self) -> i64 {
        self.master_repl_offset
    }

    /// `repl_backlog_size`.
    pub fn size(&self) -> usize {
        self.size
    }

    /// `repl_backlog_first_byte_offset` (0 when inactive).
    pub fn first_byte_offset(&self) -> i64 {
        self.hist.as_ref().map_or(0, |h| h.first_byte_offset)
    }

    /// `repl_backlog_histlen` (0 when inactive).
    pub fn histlen(&self) -> i64 {
        self.hist.as_ref().map_or(0, |h| h.histlen)
    }

    /// `feedReplicationBuffer`: append stream bytes. Returns false (and leaves the offset
    /// alone) when no backlog exists, as Redis does.
    pub fn feed(&mut self, mut data: &[u8]) -> bool {
        let block_size = self.block_size;
        let Some(h) = self.hist.as_mut() else { return false };
        self.master_repl_offset += data.len() as i64;
        h.histlen += data.len() as i64;
        if let Some(tail) = h.blocks.back_mut() {
            let room = tail.capacity() - tail.len();
            let n = room.min(data.len());
            tail.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if !data.is_empty() {
            let mut block = Vec::with_capacity(block_size.max(data.len()));
            block.extend_from_slice(data);
            h.blocks.push_back(block);
        }
        self.trim(TRIM_BLOCKS_PER_CALL);
        true
    }

    /// `resizeReplicationBacklog` (7.0): set the size (16 KiB floor) and trim
    /// incrementally; the history is kept.
    pub fn resize(&mut self, new_size: usize) {
        self.size = new_size.max(MIN_SIZE);
        self.trim(TRIM_BLOCKS_PER_CALL);
    }

    /// `incrementalTrimReplicationBacklog`.
    fn trim(&mut self, max_blocks: usize) {
        let size = self.size as i64;
        let Some(h) = self.hist.as_mut() else { return };
        let mut trimmed = 0;
        while h.histlen > size && trimmed < max_blocks && h.blocks.len() > 1 {
            let first = h.blocks[0].capacity() as i64;
            if h.histlen - first <= size {
                break;
            }
            let used = h.blocks.pop_front().map_or(0, |b| b.len() as i64);
            h.histlen -= used;
            h.first_byte_offset += used;
            trimmed += 1;
        }
    }

    /// Whether `offset` (the first byte a replica wants) can be served: the range test of
    /// `masterTryPartialResynchronization`, `first <= offset <= first + histlen`.
    pub fn can_serve(&self, offset: i64) -> bool {
        self.hist.as_ref().is_some_and(|h| {
            offset >= h.first_byte_offset && offset <= h.first_byte_offset + h.histlen
        })
    }

    /// `addReplyReplicationBacklog`: the bytes from `offset` (inclusive) to the end, or
    /// `None` when the backlog is inactive or `offset` is out of range. `offset ==
    /// master_repl_offset + 1` yields an empty stream (the replica is up to date).
    pub fn read_from(&self, offset: i64) -> Option<Vec<u8>> {
        if !self.can_serve(offset) {
            return None;
        }
        let h = self.hist.as_ref()?;
        let mut skip = (offset - h.first_byte_offset) as usize;
        let mut out = Vec::with_capacity(h.histlen as usize - skip);
        for b in &h.blocks {
            if skip >= b.len() {
                skip -= b.len();
                continue;
            }
            out.extend_from_slice(&b[skip..]);
            skip = 0;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_does_not_advance_without_backlog() {
        let mut b = Backlog::new(1 << 20);
        assert!(!b.feed(b"*1\r\n$4\r\nping\r\n"));
        assert_eq!(b.master_repl_offset(), 0);
        assert!(!b.is_active());
        assert_eq!(b.first_byte_offset(), 0);
    }

    #[test]
    fn created_backlog_starts_at_offset_plus_one() {
        // INFO on a fresh master with one replica: first_byte_offset:1, histlen grows.
        let mut b = Backlog::new(1 << 20);
        b.create();
        assert_eq!((b.first_byte_offset(), b.histlen()), (1, 0));
        b.feed(b"*1\r\n$4\r\nping\r\n");
        assert_eq!((b.master_repl_offset(), b.first_byte_offset(), b.histlen()), (14, 1, 14));
    }

    #[test]
    fn read_from_returns_bytes_from_the_wanted_offset() {
        // wire-spec §2.2: PSYNC off = master_repl_offset-19 returns the last 20 bytes.
        let mut b = Backlog::new(1 << 20);
        b.create();
        b.feed(b"0123456789abcdefghijklmnopqrstuvwxyz");
        let end = b.master_repl_offset();
        assert_eq!(b.read_from(end - 19).unwrap().len(), 20);
        assert_eq!(b.read_from(1).unwrap(), b"0123456789abcdefghijklmnopqrstuvwxyz");
        assert_eq!(b.read_from(end + 1).unwrap(), b"");
        assert_eq!(b.read_from(end + 2), None);
        assert_eq!(b.read_from(0), None);
    }

    #[test]
    fn trimming_drops_whole_blocks_but_keeps_at_least_size_bytes() {
        let mut b = Backlog::with_block_size(MIN_SIZE, 4096);
        b.create();
        for _ in 0..10 {
            b.feed(&[b'x'; 4096]);
        }
        // 40960 bytes in 4 KiB blocks: a block goes only if more than `size` bytes
        // remain without it, so 5 blocks (20480 > 16384) are kept.
        assert_eq!(b.histlen(), 20480);
        assert_eq!(b.first_byte_offset(), 40960 - 20480 + 1);
        b.feed(b"y");
        // 20481 - 4096 = 16385 > 16384: now the head block can go.
        assert_eq!(b.histlen(), 16385);
        assert_eq!(b.read_from(b.master_repl_offset()).unwrap(), b"y");
    }

    #[test]
    fn resize_keeps_history_as_in_redis_7_0() {
        // 7.0 `resizeReplicationBacklog` only trims; 6.x threw the history away.
        let mut b = Backlog::with_block_size(64 * 1024, 4096);
        b.create();
        for _ in 0..12 {
            b.feed(&[b'x'; 4096]);
        }
        assert_eq!(b.histlen(), 49152);
        b.resize(64 * 1024 * 2);
        assert_eq!((b.histlen(), b.first_byte_offset()), (49152, 1));
        b.resize(1); // floor: 16 KiB
        assert_eq!(b.size(), MIN_SIZE);
        // Trimmed (7 whole blocks, under the 10-per-call cap) to just above the size.
        assert_eq!(b.histlen(), 20480);
    }

    #[test]
    fn reset_to_adopts_fullresync_offset() {
        let mut b = Backlog::new(1 << 20);
        b.reset_to(1000);
        assert_eq!((b.master_repl_offset(), b.first_byte_offset(), b.histlen()), (1000, 1001, 0));
    }

    #[test]
    fn a_large_write_makes_one_oversized_block() {
        let mut b = Backlog::with_block_size(MIN_SIZE, 1024);
        b.create();
        let big = vec![b'z'; 50_000];
        b.feed(&big);
        assert_eq!(b.histlen(), 50_000);
        assert_eq!(b.read_from(1).unwrap().len(), 50_000);
    }
}
