//! Propagation: from an executed command to bytes in the backlog and in every
//! replica's output, as 7.0's `call()` → `alsoPropagate` → `propagatePendingCommands`
//! → `replicationFeedSlaves` do.
//!
//! A command propagates when it changed the dataset (the dirty counter moved) or when
//! Redis forces it (PUBLISH). What it propagates is decided by
//! [`crate::repl::rewrite::propagation_forms`] (the determinism rewrites). Ops gather
//! in `pending` until the end of the execution unit (a command, a whole EXEC, one
//! expired or evicted key), then go out in one piece — several ops wrapped in
//! MULTI/EXEC.
//!
//! A replica never propagates its own commands: it forwards the master's stream byte
//! for byte ([`Server::feed_stream`] from `replica.rs`).

use bytes::Bytes;
use rhea_resp::Reply;

use super::ReplicaState;
use crate::engine::Server;
use crate::engine::client::Client;
use crate::engine::table::Command;
use crate::repl::rewrite::{Env, rewritten_forms};

impl Server {
    /// Is there anyone to propagate to? Without a backlog and replicas Redis skips the
    /// work (and `master_repl_offset` does not move).
    pub fn propagation_active(&self) -> bool {
        self.repl.master.is_none()
            && (self.repl.backlog.is_active() || !self.repl.replicas.is_empty())
    }

    /// `alsoPropagate`: queue `argv` for the end of the execution unit.
    pub fn also_propagate(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.propagation_active() {
            self.repl.pending.push(db as i64, &argv);
        }
    }

    /// After a handler ran: queue what the command propagates, if anything.
    /// `dirty_before` is `dirty_ops` before the handler.
    pub fn note_propagation(
        &mut self,
        c: &Client,
        cmd: &'static Command,
        argv: &[Bytes],
        reply: &Reply,
        dirty_before: u64,
        served_blocked: bool,
    ) {
        if c.is_master || !self.propagation_active() {
            return;
        }
        let forced = cmd.name == "publish";
        let changed = self.dirty_ops > dirty_before;
        // Only commands that may write propagate (DEBUG POPULATE and friends change the
        // dataset without replicating, as in Redis).
        let may_write = cmd.is_write() || cmd.has(crate::engine::table::flags::MAY_REPLICATE);
        if !(changed && may_write || forced) || matches!(cmd.name, "exec" | "multi" | "discard") {
            return;
        }
        let db = c.db;
        let forms = {
            let dbs = &self.dbs;
            let now = self.cmd_time_ms;
            let key_exists = |k: &[u8]| dbs[db].dict.contains_key(k);
            let ttl_ms = |k: &[u8]| dbs[db].get_expire(k);
            let env = Env {
                unix_ms: now,
                lazyfree_lazy_expire: self.loaded.config.lazyfree_lazy_expire,
                lazyfree_lazy_user_del: self.loaded.config.lazyfree_lazy_user_del,
                key_exists: &key_exists,
                ttl_ms: &ttl_ms,
                served_blocked,
            };
            rewritten_forms(argv, reply, &env)
        };
        match forms {
            None => self.repl.pending.push(db as i64, argv),
            Some(forms) => forms.iter().for_each(|f| self.repl.pending.push(db as i64, f)),
        }
    }

    /// `propagatePendingCommands`: encode what the unit queued (wrapped in MULTI/EXEC
    /// when there is more than one op) and feed it.
    pub fn flush_propagation(&mut self) {
        if self.repl.pending.is_empty() {
            return;
        }
        // The buffer goes back for the next command: a command a turn would otherwise
        // allocate (and grow) it afresh.
        let mut out = std::mem::take(&mut self.repl.encoded);
        self.repl.feed.encode_all(&self.repl.pending, false, &mut out);
        self.repl.pending.clear();
        self.feed_stream(&out);
        if out.capacity() <= 64 * 1024 {
            out.clear();
            self.repl.encoded = out;
        }
    }

    /// Each queued op as its own unit (expiry and eviction outside a command).
    pub fn flush_propagation_each(&mut self) {
        if self.repl.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.repl.pending);
        for (db, wire) in pending.iter() {
            let mut out = Vec::new();
            self.repl.feed.encode_wire(db, wire, &mut out);
            self.feed_stream(&out);
        }
    }

    /// Feed stream bytes to the backlog and to every replica: online ones get them
    /// now, those in the middle of a full sync keep them until their RDB is delivered,
    /// those still waiting for a snapshot will get a later one.
    pub fn feed_stream(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.repl.backlog.feed(bytes);
        for &id in &self.repl.replicas {
            let Some(c) = self.clients.get_mut(&id) else { continue };
            let Some(info) = c.replica.as_mut() else { continue };
            match info.state {
                Some(ReplicaState::Online) => {
                    // A replica with output pending is already queued for the flush.
                    if c.outbuf.is_empty() {
                        self.to_flush.push(id);
                    }
                    c.outbuf.extend_from_slice(bytes);
                }
                Some(ReplicaState::WaitBgsaveEnd | ReplicaState::WaitAck) => {
                    info.buffered.extend_from_slice(bytes)
                }
                Some(ReplicaState::WaitBgsaveStart) | None => {}
            }
        }
    }
}
