//! # Replication: the pure cores (no I/O)
//!
//! Each file owns one concept of Redis 7.0's `replication.c`, as a synchronous state
//! machine or pure function that a driver calls with bytes, offsets and `unix_ms`:
//!
//! * [`backlog`]: the replication backlog and `master_repl_offset`.
//! * [`ids`]: `master_replid` / `master_replid2` / `second_repl_offset`.
//! * [`rewrite`]: an executed command (argv, reply, a few dataset facts) → the argv
//!   vectors it propagates (`SET … PXAT`, `PEXPIREAT`, SPOP → SREM, BLPOP → LPOP, …).
//! * [`feed`]: argv → the RESP bytes that go to replicas and the backlog (SELECT
//!   insertion, MULTI/EXEC wrapping).
//! * [`psync`]: the master's answer to `PSYNC` and the replica's reading of it.
//! * [`handshake`]: the replica's handshake state machine (PING … PSYNC).
//! * [`replconf`]: the master's parsing of `REPLCONF`.
//!
//! ```text
//! engine: call() ─▶ rewrite::propagation_forms ─▶ feed::Feed::encode_all
//!                                                ─▶ backlog::Backlog::feed ─▶ replica queues
//!                                                           ▲
//! PSYNC from a replica ─▶ psync::master_try_partial_resync ─┘ read_from(offset)
//! replica link ─▶ handshake::Handshake::on_reply ─▶ psync::PsyncReply ─▶ transfer / stream
//! ```
//!
//! ## Caveats
//! * The engine side (replica clients, transfers, the master link, WAIT) is
//!   `crate::engine::replication`; the socket side of the link is
//!   `crate::net::master_link`.
//! * The backlog keeps its own copy of the stream; Redis 7.0 shares blocks between the
//!   backlog and replica output buffers (a replica's reference can delay trimming).

pub mod backlog;
pub mod feed;
pub mod handshake;
pub mod ids;
pub mod psync;
pub mod replconf;
pub mod rewrite;
