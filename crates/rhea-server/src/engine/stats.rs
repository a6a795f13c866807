//! Counters behind INFO stats / commandstats / errorstats, and the SLOWLOG.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

/// Per-command statistics (INFO commandstats).
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub blocked_clients: u64,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub errors: HashMap<String, u64>,
    pub commands: HashMap<&'static str, CommandStats, ahash::RandomState>,
    /// Samples of (time, commands processed) for instantaneous_ops_per_sec.
    ops_samples: VecDeque<(Instant, u64)>,
    pub instantaneous_ops: u64,
}

impl Stats {
    /// Count an error reply under its code (the first word, `ERR`, `WRONGTYPE`, …).
    pub fn count_error(&mut self, text: &str) {
        self.total_error_replies += 1;
        let code = text.split(' ').next().unwrap_or("ERR");
        // Redis counts errors whose text does not start with a code under ERR.
        let code = if !code.is_empty() && code.bytes().all(|c| c.is_ascii_uppercase()) {
            code
        } else {
            "ERR"
        };
        *self.errors.entry(code.to_string()).or_default() += 1;
    }

    /// Reset what CONFIG RESETSTAT resets.
    pub fn reset(&mut self) {
        let blocked = self.blocked_clients;
        *self = Stats::default();
        self.blocked_clients = blocked;
    }

    /// Called from cron: ops per second over the last ~1.6 s of samples.
    pub fn sample_ops(&mut self, now: Instant) {
        self.ops_samples.push_back((now, self.total_commands_processed));
        while self.ops_samples.len() > 16 {
            self.ops_samples.pop_front();
        }
        if let (Some(&(t0, c0)), Some(&(t1, c1))) =
            (self.ops_samples.front(), self.ops_samples.back())
        {
            let dt = t1.duration_since(t0).as_secs_f64();
            self.instantaneous_ops = if dt > 0.0 { ((c1 - c0) as f64 / dt) as u64 } else { 0 };
        }
    }
}

/// One SLOWLOG entry.
#[derive(Clone, Debug)]
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub args: Vec<Bytes>,
    pub client_addr: String,
    pub client_name: Bytes,
}

#[derive(Default, Debug)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    pub next_id: u64,
}

/// SLOWLOG keeps at most 32 arguments and 128 bytes of each, like Redis.
const SLOWLOG_MAX_ARGC: usize = 32;
const SLOWLOG_MAX_ARGLEN: usize = 128;

impl SlowLog {
    pub fn push(&mut self, mut entry: SlowEntry, argv: &[Bytes], max_len: usize) {
        let argc = argv.len().min(SLOWLOG_MAX_ARGC);
        let mut args = Vec::with_capacity(argc);
        for (i, a) in argv.iter().take(argc).enumerate() {
            if argc != argv.len() && i == argc - 1 {
                args.push(Bytes::from(format!("... ({} more arguments)", argv.len() - argc + 1)));
            } else if a.len() > SLOWLOG_MAX_ARGLEN {
                let mut s = a[..SLOWLOG_MAX_ARGLEN].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_ARGLEN).as_bytes(),
                );
                args.push(Bytes::from(s));
            } else {
                args.push(a.clone());
            }
        }
        entry.args = args;
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        while self.entries.len() > max_len {
            self.entries.pop_back();
        }
    }
}
