//! # rhea-server: a Redis 7.0-compatible server
//!
//! `rhea server [redis.conf] [--directive value]…` (or argv[0] `redis-server`).
//!
//! ## Layout
//! * [`config`]: the parameter table, redis.conf / argv parsing, CONFIG GET/SET/REWRITE.
//! * [`engine`]: the single thread that owns the keyspace and all client state; command
//!   dispatch (`processCommand` order), MULTI/WATCH, blocking commands, pub/sub, cron.
//! * [`cmd`]: command families, one file each, registered in one table.
//! * [`net`]: thin tokio drivers — listeners and one task per connection that decodes
//!   requests and writes encoded replies.
//! * [`repl`]: replication cores (backlog, ids, feed, PSYNC, handshake, REPLCONF,
//!   propagation rewrites); no I/O. `engine::replication` runs them.
//! * [`server`]: process lifecycle (startup lines, listeners, signals, shutdown).
//! * [`log`]: Redis's log line format.
//!
//! ## Data flow
//! ```text
//! socket ─▶ conn task: decode (rhea-resp) ─▶ Event::Commands ─▶ engine thread
//!                                                                 │ process_command
//!                                                                 ▼
//! socket ◀─ conn task: write ◀──────────── Out::Data(encoded replies)
//! ```
//!
//! ## Caveats
//! * One engine thread executes every command, as Redis does; a slow command stalls all
//!   clients. The I/O runtime decodes and encodes nothing but bytes.
//! * Replies are encoded on the engine thread into a per-client buffer, handed over once
//!   per batch; there is no client-output-buffer-limit yet.
//! * Blocked commands are retried when their key becomes ready (7.2's model); for the
//!   list/zset commands of 7.0 the observable result is the same.

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
