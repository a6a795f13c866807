//! The propagation encoder: executed commands → the replication stream bytes.
//!
//! Mirrors Redis 7.0 `replicationFeedSlaves` (the `slaveseldb` rule) and
//! `propagatePendingCommands` (MULTI/EXEC wrapping). The argv it encodes is already the
//! propagated form ([`super::rewrite::propagation_forms`] turns `SET k v EX 100` into
//! `SET k v PXAT <ms>`, SPOP into SREMs, …). Every byte produced here must be fed to
//! the backlog, so `master_repl_offset` advances by exactly its length.
//!
//! ## Golden forms (observed on redis-server 7.0.15, `tests/python/test_repl_wire.py` and
//! `test_repl_forms.py`)
//! ```text
//! client command                  propagated stream
//! SET foo bar (first write)       *2 SELECT 0, then SET foo bar
//! SELECT 3; SET x 1               *2 SELECT 3, then SET x 1   (only when the db changes)
//! MULTI; SET a 1; INCR a; EXEC    MULTI, SET a 1, INCR a, EXEC
//! MULTI; SET a 1; EXEC            SET a 1                    (one write: no wrapping)
//! MULTI; GET a; EXEC              nothing
//! SPOP s 2 (of 3)                 MULTI, SREM s m1, SREM s m2, EXEC  (one call, 2 forms)
//! key expired on access / evicted DEL k   (UNLINK with lazyfree-lazy-expire/-eviction;
//!                                          `rewrite::deletion`)
//! SET k v after k expired         MULTI, DEL k, SET k v, EXEC (the expiry's DEL and the
//!                                          command are one call's forms)
//! ```
//!
//! ## Caveats
//! * The engine decides *whether* a command propagates (dirty, forced) and
//!   [`super::rewrite`] *what*; this file only shapes the bytes.

use std::ops::Range;

use bytes::Bytes;

/// The commands one execution unit propagates, in order: each one's db and its
/// multibulk, already encoded into one shared buffer. Encoding at queue time (instead of
/// keeping argv vectors) lets a command propagate with no allocation at all — the
/// argument clones, the vectors and the promotion of every argument to a shared buffer
/// were five allocations per SET on a master — and the buffers are reused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingOps {
    ops: Vec<(i64, Range<usize>)>,
    wire: Vec<u8>,
}

impl PendingOps {
    /// Queue `argv` for `db`.
    pub fn push(&mut self, db: i64, argv: &[Bytes]) {
        let start = self.wire.len();
        encode_multibulk(argv, &mut self.wire);
        self.ops.push((db, start..self.wire.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Each queued command: its db and its encoded bytes.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[u8])> {
        self.ops.iter().map(|(db, r)| (*db, &self.wire[r.clone()]))
    }

    /// Forget the queued commands, keeping the buffers (a large one is let go).
    pub fn clear(&mut self) {
        self.ops.clear();
        self.wire.clear();
        if self.wire.capacity() > 64 * 1024 {
            self.wire = Vec::new();
        }
    }
}

/// Appends `argv` as a RESP multibulk (`*<n>\r\n` then `$<len>\r\n<arg>\r\n` each).
/// Runs once per propagated command on a master and once per applied command on a
/// replica, so it reserves the whole size once and writes each header in one piece.
pub fn encode_multibulk(argv: &[Bytes], out: &mut Vec<u8>) {
    let total = header_len(argv.len())
        + argv.iter().map(|a| header_len(a.len()) + a.len() + 2).sum::<usize>();
    out.reserve(total);
    push_header(b'*', argv.len(), out);
    for a in argv {
        push_header(b'$', a.len(), out);
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Bytes of a `*<n>\r\n` or `$<n>\r\n` line.
fn header_len(n: usize) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 4
}

fn push_header(kind: u8, n: usize, out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    let digits = num.format(n).as_bytes();
    let mut line = [0u8; 24];
    line[0] = kind;
    line[1..1 + digits.len()].copy_from_slice(digits);
    line[1 + digits.len()..3 + digits.len()].copy_from_slice(b"\r\n");
    out.extend_from_slice(&line[..3 + digits.len()]);
}

/// The stream encoder, holding `server.slaveseldb`.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The db the replicas last saw a SELECT for; -1 forces the next SELECT.
    seldb: i64,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// Starts with no db selected, so the first command is preceded by SELECT.
    pub fn new() -> Self {
        Feed { seldb: -1 }
    }

    /// Forces a SELECT before the next command. Redis does this whenever a full resync
    /// starts (`replicationSetupSlaveForFullResync`) and when a replica becomes master.
    pub fn force_select(&mut self) {
        self.seldb = -1;
    }

    /// The db the replicas last saw selected (-1: none yet). PINGs and GETACKs are sent
    /// "in" it so they never cause a SELECT.
    pub fn selected_db(&self) -> i64 {
        self.seldb
    }

    /// `replicationFeedSlaves`: appends `SELECT <db>` if `db` differs from the last
    /// one sent, then the command. Returns the number of bytes appended (by which
    /// `master_repl_offset` advances).
    pub fn encode(&mut self, db: i64, argv: &[Bytes], out: &mut Vec<u8>) -> usize {
        let start = out.len();
        self.select(db, out);
        encode_multibulk(argv, out);
        out.len() - start
    }

    /// [`Feed::encode`] for a command already encoded as a multibulk.
    pub fn encode_wire(&mut self, db: i64, wire: &[u8], out: &mut Vec<u8>) -> usize {
        let start = out.len();
        self.select(db, out);
        out.extend_from_slice(wire);
        out.len() - start
    }

    /// Appends `SELECT <db>` when `db` is not the one the replicas last saw.
    fn select(&mut self, db: i64, out: &mut Vec<u8>) {
        if self.seldb != db {
            let mut num = itoa::Buffer::new();
            let d = num.format(db);
            out.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$");
            out.extend_from_slice(itoa::Buffer::new().format(d.len()).as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(d.as_bytes());
            out.extend_from_slice(b"\r\n");
            self.seldb = db;
        }
    }

    /// `propagatePendingCommands`: the commands one call (or EXEC) produced. More than
    /// one is wrapped in MULTI … EXEC; MULTI carries the first command's db (so SELECT
    /// precedes it) and EXEC the last one's. An empty list produces nothing. `in_multi`
    /// (`propagate_no_multi`, e.g. already inside a replicated MULTI) disables wrapping.
    pub fn encode_all(&mut self, cmds: &PendingOps, in_multi: bool, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let wrap = cmds.len() > 1 && !in_multi;
        let Some((first, _)) = cmds.iter().next() else { return 0 };
        if wrap {
            self.encode_wire(first, b"*1\r\n$5\r\nMULTI\r\n", out);
        }
        let mut last = first;
        for (db, wire) in cmds.iter() {
            self.encode_wire(db, wire, out);
            last = db;
        }
        if wrap {
            self.encode_wire(last, b"*1\r\n$4\r\nEXEC\r\n", out);
        }
        out.len() - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    /// The reservation is exact: lengths across digit-count boundaries (including an
    /// empty argument and an empty argv) encode to the size computed beforehand.
    #[test]
    fn multibulk_headers_have_the_reserved_length() {
        for n in [0usize, 1, 9, 10, 99, 100, 12345] {
            assert_eq!(header_len(n), format!("${n}\r\n").len());
            let argv = vec![Bytes::from(vec![b'x'; n]), Bytes::new()];
            let mut out = Vec::new();
            encode_multibulk(&argv, &mut out);
            assert_eq!(out, format!("*2\r\n${n}\r\n{}\r\n$0\r\n\r\n", "x".repeat(n)).into_bytes());
        }
        let mut out = Vec::new();
        encode_multibulk(&[], &mut out);
        assert_eq!(out, b"*0\r\n");
    }

    #[test]
    fn first_command_is_preceded_by_select() {
        // Observed: a fresh replica stream starts `*2 SELECT 0` then `SET foo bar`.
        let mut f = Feed::new();
        let mut out = Vec::new();
        let n = f.encode(0, &v(&["SET", "foo", "bar"]), &mut out);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"
        );
        assert_eq!(n, 23 + 31);
    }

    #[test]
    fn select_only_when_db_changes() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        f.encode(0, &v(&["SET", "y", "1"]), &mut out);
        out.clear();
        f.encode(0, &v(&["SET", "y", "1"]), &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1\r\n1\r\n");
        out.clear();
        f.encode(12, &v(&["SET", "x", "1"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3"));
        f.force_select();
        out.clear();
        f.encode(12, &v(&["PING"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"));
    }

    #[test]
    fn multi_exec_wraps_more_than_one_command_with_select_before_multi() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        let mut cmds = PendingOps::default();
        cmds.push(0, &v(&["SET", "a", "1"]));
        cmds.push(0, &v(&["INCR", "a"]));
        f.encode_all(&cmds, false, &mut out);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn single_write_in_exec_is_not_wrapped_and_empty_exec_sends_nothing() {
        let mut f = Feed::new();
        let mut out = Vec::new();
        f.encode(0, &v(&["PING"]), &mut out);
        out.clear();
        let mut one = PendingOps::default();
        one.push(0, &v(&["SET", "a", "1"]));
        f.encode_all(&one, false, &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
        out.clear();
        assert_eq!(f.encode_all(&PendingOps::default(), false, &mut out), 0);
        one.clear();
        assert!(one.is_empty());
        assert_eq!(f.encode_all(&one, false, &mut out), 0);
    }
}
