//! `PSYNC`: the master's decision and the replica's side of the exchange.
//!
//! Master: mirrors 7.0 `masterTryPartialResynchronization` plus the checks `syncCommand`
//! makes around it. Replica: mirrors the write and read halves of
//! `slaveTryPartialResynchronization`.
//!
//! ```text
//! replica → master   PSYNC <replid> <offset>          offset = first byte wanted
//! master  → replica  +FULLRESYNC <replid> <offset>\r\n  then the RDB, then the stream
//!                    +CONTINUE <replid>\r\n            (replica sent capa psync2)
//!                    +CONTINUE\r\n                     (no psync2 capa)
//!                    -NOMASTERLINK … / -LOADING …      replica retries later
//!                    any other error                   replica falls back to SYNC
//! ```
//!
//! Caveats: `PSYNC … FAILOVER` (the FAILOVER command's handover) is not handled.

use super::backlog::Backlog;
use super::ids::{REPLID_LEN, ReplIds, Replid, parse_replid};

// ===== master side =====

/// The master's answer to `PSYNC <replid> <offset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncDecision {
    /// Partial resync accepted: write `reply`, then `backlog` (the stream from the
    /// wanted offset). The replica goes ONLINE at once.
    Continue { reply: Vec<u8>, backlog: Vec<u8> },
    /// A full resync is needed (`?`, unknown id, replid2 past its limit, offset outside
    /// the backlog, or no backlog).
    FullResync,
}

/// Parses PSYNC's offset argument. Redis replies `-ERR value is not an integer or out
/// of range` and does nothing else when it is not an integer (checked on 7.0.15).
pub fn parse_offset(arg: &[u8]) -> Result<i64, &'static str> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or("ERR value is not an integer or out of range")
}

/// `masterTryPartialResynchronization`. Accept iff the replid matches ours, or matches
/// replid2 with `offset <= second_repl_offset`; *and* the backlog holds
/// `first_byte_offset <= offset <= first_byte_offset + histlen`. The replid compare is
/// case-insensitive (`strcasecmp`). `psync2` is whether the replica sent `capa psync2`.
pub fn master_try_partial_resync(
    ids: &ReplIds,
    backlog: &Backlog,
    replid: &[u8],
    offset: i64,
    psync2: bool,
) -> PsyncDecision {
    let is_ours = replid.eq_ignore_ascii_case(&ids.replid);
    let is_old = replid.eq_ignore_ascii_case(&ids.replid2) && offset <= ids.second_repl_offset;
    if !(is_ours || is_old) {
        return PsyncDecision::FullResync;
    }
    let Some(stream) = backlog.read_from(offset) else {
        return PsyncDecision::FullResync;
    };
    let reply = if psync2 {
        let mut r = b"+CONTINUE ".to_vec();
        r.extend_from_slice(&ids.replid);
        r.extend_from_slice(b"\r\n");
        r
    } else {
        b"+CONTINUE\r\n".to_vec()
    };
    PsyncDecision::Continue { reply, backlog: stream }
}

/// `syncCommand` before a full resync: the first replica on a master with no backlog
/// gets a fresh replid, replid2 cleared, and a new backlog (so nobody can PSYNC into a
/// history we did not record). Returns whether that happened.
pub fn prepare_full_resync(
    ids: &mut ReplIds,
    backlog: &mut Backlog,
    rng: &mut impl rand::RngCore,
) -> bool {
    if backlog.is_active() {
        return false;
    }
    ids.change_replication_id(rng);
    ids.clear_replication_id2();
    backlog.create();
    true
}

/// `+FULLRESYNC <replid> <offset>\r\n`, offset being `master_repl_offset` when the
/// snapshot was taken (`getPsyncInitialOffset`).
pub fn fullresync_reply(replid: &Replid, offset: i64) -> Vec<u8> {
    let mut r = b"+FULLRESYNC ".to_vec();
    r.extend_from_slice(replid);
    r.push(b' ');
    r.extend_from_slice(itoa::Buffer::new().format(offset).as_bytes());
    r.extend_from_slice(b"\r\n");
    r
}

// ===== replica side =====

/// What the replica knows of the master it was last synced with (`server.cached_master`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMaster {
    pub replid: Replid,
    /// The offset processed so far (`reploff`).
    pub reploff: i64,
}

/// The write half: `PSYNC <cached replid> <reploff+1>`, or `PSYNC ? -1` without a
/// cached master (forcing a full sync). Encoded as a multibulk.
pub fn psync_command(cached: Option<&CachedMaster>) -> Vec<u8> {
    let (id, off) = match cached {
        Some(c) => (c.replid.to_vec(), (c.reploff + 1).to_string()),
        None => (b"?".to_vec(), "-1".to_string()),
    };
    let argv = [bytes::Bytes::from_static(b"PSYNC"), id.into(), off.into_bytes().into()];
    let mut out = Vec::new();
    super::feed::encode_multibulk(&argv, &mut out);
    out
}

/// The read half: the master's reply line (without CRLF) to PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncReply {
    /// An empty line: a `\n` keepalive; keep waiting (`PSYNC_WAIT_REPLY`).
    Wait,
    /// `+FULLRESYNC <replid> <offset>`. A malformed line still means full resync, with
    /// `replid`/`offset` unknown (Redis logs "Master replied with wrong +FULLRESYNC
    /// syntax." and zeroes the id).
    FullResync { replid: Option<Replid>, offset: Option<i64> },
    /// `+CONTINUE [<replid>]`: partial resync accepted; `new_replid` when the master
    /// sent a 40-byte id (psync2). If it differs from the cached id, the replica makes
    /// the cached id its replid2 (see [`ReplIds::adopt_new_master_id`]) and drops its
    /// own sub-replicas.
    Continue { new_replid: Option<Replid> },
    /// `-NOMASTERLINK` / `-LOADING`: retry later, keep the cached master.
    TryLater,
    /// Any other reply (an `-ERR`, or something unexpected): fall back to `SYNC`.
    NotSupported,
}

/// Classifies the reply line.
pub fn parse_psync_reply(line: &[u8]) -> PsyncReply {
    if line.is_empty() {
        return PsyncReply::Wait;
    }
    if line.starts_with(b"+FULLRESYNC") {
        let mut words = line[11..].split(|&c| c == b' ').filter(|w| !w.is_empty());
        let replid = words.next().and_then(parse_replid);
        let offset = words.next().and_then(|o| std::str::from_utf8(o).ok()?.parse().ok());
        return match (replid, offset) {
            (Some(r), Some(o)) => PsyncReply::FullResync { replid: Some(r), offset: Some(o) },
            _ => PsyncReply::FullResync { replid: None, offset: None },
        };
    }
    if line.starts_with(b"+CONTINUE") {
        let rest = line[9..].strip_prefix(b" ").unwrap_or(&line[9..]);
        let id: &[u8] = rest.split(|&c| c == b'\r' || c == b'\n').next().unwrap_or(b"");
        let new_replid = if id.len() == REPLID_LEN { parse_replid(id) } else { None };
        return PsyncReply::Continue { new_replid };
    }
    if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
        return PsyncReply::TryLater;
    }
    PsyncReply::NotSupported
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::ids::tests::rng;

    fn master_with_stream() -> (ReplIds, Backlog) {
        let mut r = rng();
        let mut ids = ReplIds::new(&mut r);
        let mut b = Backlog::new(1 << 20);
        prepare_full_resync(&mut ids, &mut b, &mut r);
        b.feed(&[b'x'; 100]);
        (ids, b)
    }

    fn continue_reply(id: &Replid) -> Vec<u8> {
        [b"+CONTINUE ".as_slice(), id, b"\r\n"].concat()
    }

    #[test]
    fn psync_question_mark_forces_full_resync() {
        let (ids, b) = master_with_stream();
        assert_eq!(master_try_partial_resync(&ids, &b, b"?", -1, true), PsyncDecision::FullResync);
    }

    #[test]
    fn psync_continues_inside_backlog_range_with_the_rest_of_the_stream() {
        let (ids, b) = master_with_stream();
        let got = master_try_partial_resync(&ids, &b, &ids.replid, 81, true);
        assert_eq!(
            got,
            PsyncDecision::Continue { reply: continue_reply(&ids.replid), backlog: vec![b'x'; 20] }
        );
        // Up to date replica (offset = master_repl_offset + 1): +CONTINUE, no bytes.
        let got = master_try_partial_resync(&ids, &b, &ids.replid.to_ascii_uppercase(), 101, true);
        assert_eq!(
            got,
            PsyncDecision::Continue { reply: continue_reply(&ids.replid), backlog: vec![] }
        );
    }

    #[test]
    fn psync_outside_backlog_or_without_backlog_is_full() {
        let (ids, b) = master_with_stream();
        assert_eq!(
            master_try_partial_resync(&ids, &b, &ids.replid, 102, true),
            PsyncDecision::FullResync
        );
        assert_eq!(
            master_try_partial_resync(&ids, &b, &ids.replid, 0, true),
            PsyncDecision::FullResync
        );
        let empty = Backlog::new(1 << 20);
        assert_eq!(
            master_try_partial_resync(&ids, &empty, &ids.replid, 1, true),
            PsyncDecision::FullResync
        );
    }

    #[test]
    fn psync_without_psync2_capa_gets_bare_continue() {
        let (ids, b) = master_with_stream();
        let PsyncDecision::Continue { reply, .. } =
            master_try_partial_resync(&ids, &b, &ids.replid, 50, false)
        else {
            panic!()
        };
        assert_eq!(reply, b"+CONTINUE\r\n");
    }

    #[test]
    fn psync_continues_from_replid2_until_second_offset() {
        let (mut ids, mut b) = master_with_stream();
        let old = ids.replid;
        ids.shift_replication_id(&mut rng(), b.master_repl_offset()); // promotion at 100
        b.feed(&[b'y'; 10]);
        // Old-history replica that has everything up to 100 asks for 101: accepted with
        // the *new* id, and gets the post-promotion bytes.
        let got = master_try_partial_resync(&ids, &b, &old, 101, true);
        assert_eq!(
            got,
            PsyncDecision::Continue { reply: continue_reply(&ids.replid), backlog: vec![b'y'; 10] }
        );
        // Beyond second_repl_offset the old history diverges: full resync.
        assert_eq!(master_try_partial_resync(&ids, &b, &old, 102, true), PsyncDecision::FullResync);
    }

    #[test]
    fn first_replica_creates_backlog_and_new_replid() {
        let mut r = rng();
        let mut ids = ReplIds::new(&mut r);
        ids.shift_replication_id(&mut r, 5);
        let before = ids.replid;
        let mut b = Backlog::new(1 << 20);
        assert!(prepare_full_resync(&mut ids, &mut b, &mut r));
        assert_ne!(ids.replid, before);
        assert_eq!(ids.second_repl_offset, -1);
        assert_eq!(b.first_byte_offset(), 1);
        assert!(!prepare_full_resync(&mut ids, &mut b, &mut r));
        assert_eq!(
            fullresync_reply(&ids.replid, 0),
            [b"+FULLRESYNC ".as_slice(), &ids.replid, b" 0\r\n"].concat()
        );
    }

    #[test]
    fn bad_psync_offset_is_an_integer_error() {
        assert_eq!(parse_offset(b"abc"), Err("ERR value is not an integer or out of range"));
        assert_eq!(parse_offset(b"-1"), Ok(-1));
    }

    #[test]
    fn replica_sends_question_mark_without_cached_master() {
        assert_eq!(psync_command(None), b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
        let c = CachedMaster { replid: [b'a'; 40], reploff: 1919 };
        let want = [b"*3\r\n$5\r\nPSYNC\r\n$40\r\n".as_slice(), &[b'a'; 40], b"\r\n$4\r\n1920\r\n"]
            .concat();
        assert_eq!(psync_command(Some(&c)), want);
    }

    #[test]
    fn replica_classifies_master_replies_to_psync() {
        let id = [b'b'; 40];
        let full = [b"+FULLRESYNC ".as_slice(), &id, b" 1234"].concat();
        assert_eq!(
            parse_psync_reply(&full),
            PsyncReply::FullResync { replid: Some(id), offset: Some(1234) }
        );
        assert_eq!(
            parse_psync_reply(b"+FULLRESYNC junk"),
            PsyncReply::FullResync { replid: None, offset: None }
        );
        let cont = [b"+CONTINUE ".as_slice(), &id].concat();
        assert_eq!(parse_psync_reply(&cont), PsyncReply::Continue { new_replid: Some(id) });
        assert_eq!(parse_psync_reply(b"+CONTINUE"), PsyncReply::Continue { new_replid: None });
        assert_eq!(parse_psync_reply(b""), PsyncReply::Wait);
        assert_eq!(
            parse_psync_reply(b"-NOMASTERLINK Can't SYNC while not connected with my master"),
            PsyncReply::TryLater
        );
        assert_eq!(
            parse_psync_reply(b"-LOADING Redis is loading the dataset in memory"),
            PsyncReply::TryLater
        );
        assert_eq!(parse_psync_reply(b"-ERR unknown command 'PSYNC'"), PsyncReply::NotSupported);
    }
}
