//! # rhea-server: a Redis 7.0-compatible server
//!
//! `rhea server [redis.conf] [--directive value]…` (or argv[0] `redis-server`).
//!
//! ## Layout
//! * [`config`]: the parameter table, redis.conf / argv parsing, CONFIG GET/SET/REWRITE.
//! * [`engine`]: the single thread that owns the keyspace and all client state; command
//!   dispatch (`processCommand` order), MULTI/WATCH, blocking commands, pub/sub, cron.
//! * [`cmd`]: command families, one file each, registered in one table.
//! * [`net`]: sockets — listeners and non-blocking client sockets the engine thread
//!   polls itself, and the replica's tokio link to its master.
//! * [`repl`]: replication cores (backlog, ids, feed, PSYNC, handshake, REPLCONF,
//!   propagation rewrites); no I/O. `engine::replication` runs them.
//! * [`server`]: process lifecycle (startup lines, listeners, signals, shutdown).
//! * [`log`]: Redis's log line format.
//!
//! ## Data flow
//! ```text
//! engine thread: poll ─▶ read socket ─▶ decode (rhea-resp) ─▶ process_command
//!                                                                    │
//!                socket ◀── write (what it takes; the rest on writable) ◀─ reply buffer
//!                (end of turn, `engine::flush`: replies to writes after the replication
//!                stream holding them; under load the stream is group-committed)
//! other threads (signals, BGSAVE, loading, master link) ─▶ inbox + waker ─▶ engine
//! ```
//!
//! ## Caveats
//! * One engine thread reads, executes and writes for every client, as Redis's event
//!   loop does (see `engine::io` for why not I/O worker threads); a slow command stalls
//!   all clients.
//! * There is no client-output-buffer-limit yet: a client that does not read grows its
//!   pending output.
//! * Blocked commands are retried when their key becomes ready (7.2's model); for the
//!   list/zset commands of 7.0 the observable result is the same.

pub mod acl;
pub mod cmd;
pub mod config;
pub mod engine;
pub mod log;
pub mod net;
pub mod repl;
pub mod server;
pub mod startup;

/// The Redis version we are compatible with and report.
pub const REDIS_VERSION: &str = "7.0.15";
