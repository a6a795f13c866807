//! `Ctx`: what a command handler sees — the server state and its own client.
//!
//! The running client is taken out of the client map while its command executes, so a
//! handler holds `&mut Client` and `&mut Server` at once. Helpers that may touch *any*
//! client (WATCH invalidation, pub/sub delivery, kills) therefore live here, where they
//! can tell the running client from the others.

use bytes::Bytes;
use rand::rngs::SmallRng;
use rhea_keyspace::{Access, Db, Entry, Value};
use rhea_resp::{Protocol, Reply};

use super::Server;
use super::client::{BlockedOn, Client, ClientId};
use super::table::Command;

/// `WRONGTYPE` reply text.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
    /// The command being executed.
    pub cmd: &'static Command,
}

impl<'a> Ctx<'a> {
    /// Time and role facts for keyspace lookups.
    pub fn access(&self) -> Access {
        Access {
            now_ms: self.srv.cmd_time_ms,
            is_replica: self.srv.is_replica,
            is_master_client: self.client.is_master,
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.srv.cmd_time_ms
    }

    pub fn db_index(&self) -> usize {
        self.client.db
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }

    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.srv.rng
    }

    pub fn proto(&self) -> Protocol {
        self.client.proto
    }

    pub fn in_multi(&self) -> bool {
        self.srv.executing_multi
    }

    /// Look a key up (lazy expiry applied) and record the access for LRU/LFU.
    pub fn lookup(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.expire_if_needed(key) {
            return None;
        }
        self.touch_existing(key)
    }

    /// Lazy expiry of `key` in the client's db (`expireIfNeeded`): true if it must be
    /// treated as missing.
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let acc = self.access();
        let idx = self.client.db;
        self.srv.dbs[idx].expire_if_needed(key, &acc)
    }

    /// The entry under `key`, its access time (LRU) or counter (LFU) updated, without
    /// the expiry check: for callers that just made it.
    pub fn touch_existing(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let lru = self.srv.lru_clock();
        let lfu = self
            .srv
            .settings
            .maxmemory_policy
            .is_lfu()
            .then_some((self.srv.settings.lfu_log_factor, self.srv.settings.lfu_decay_time));
        let now_min = (self.srv.cmd_time_ms / 60_000) as u32;
        let idx = self.client.db;
        let e = self.srv.dbs[idx].dict.get_mut(key)?;
        match lfu {
            Some((factor, decay)) => {
                let rnd: f64 = rand::Rng::random(&mut self.srv.rng);
                super::lru::lfu_touch(e, now_min, factor, decay, rnd)
            }
            None => e.lru = lru,
        }
        Some(e)
    }

    /// Look a key up for a read (`lookupKeyRead`): the access time is updated, except
    /// while a snapshot exists. Redis skips it while a child process exists to avoid
    /// copy-on-write of the touched pages; here the touch would copy the entry's whole
    /// dict segment (its nodes, keys and short strings) for the snapshot.
    pub fn lookup_for_read(&mut self, key: &[u8]) -> Option<&Entry> {
        if super::rehash::SnapshotHold::any() {
            return self.peek_ref(key);
        }
        self.lookup(key).map(|e| &*e)
    }

    /// Look a key up read-only without updating its access time; a segment a snapshot
    /// shares is not copied.
    pub fn peek_ref(&mut self, key: &[u8]) -> Option<&Entry> {
        let acc = self.access();
        let idx = self.client.db;
        self.srv.dbs[idx].lookup_ref(key, &acc)
    }

    /// Look a key up without updating its access time (OBJECT, TYPE-like inspection).
    pub fn peek(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let acc = self.access();
        let idx = self.client.db;
        self.srv.dbs[idx].lookup(key, &acc)
    }

    /// The value under `key`, if any.
    pub fn value(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.lookup(key).map(|e| e.value_mut())
    }

    /// Store `value` under `key` (dropping the TTL unless `keep_ttl`), and signal the
    /// modification to WATCHers.
    /// A new key is announced with the `new` event (7.0's `dbAdd`), before the command's
    /// own event. Overwriting keeps the LFU counter, as `dbSetValue` does; under LRU the
    /// key was just touched by the lookup, so a fresh clock is the same thing.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        // Under LFU an overwritten key keeps its counter; otherwise the field is a new
        // key's (`setKey` → `dbOverwrite` keeps `lru` only for LFU).
        let keep_old = self.srv.settings.maxmemory_policy.is_lfu();
        let initial = self.srv.initial_lru();
        let lru = |old: Option<u32>| old.filter(|_| keep_old).unwrap_or(initial);
        if self.db().upsert(key, value, keep_ttl, lru) {
            self.notify('n', "new", key);
        }
        self.modified(key);
    }

    /// Delete a key, signalling WATCHers. Returns whether it existed.
    pub fn delete_key(&mut self, key: &[u8]) -> bool {
        let existed = self.db().delete(key);
        if existed {
            self.modified(key);
        }
        existed
    }

    /// Delete `key` if its aggregate value became empty (Redis never keeps empty lists,
    /// hashes, sets or sorted sets). Returns whether it was deleted.
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        let idx = self.client.db;
        let empty = self.srv.dbs[idx].dict.get(key).is_some_and(|e| e.value().is_empty_aggregate());
        if empty {
            self.srv.dbs[idx].delete(key);
        }
        empty
    }

    /// `signalModifiedKey`: invalidate WATCH on (current db, key).
    pub fn modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.modified_in(db, key);
    }

    pub fn modified_in(&mut self, db: usize, key: &[u8]) {
        self.srv.touch_watched_key(db, key, Some(self.client));
    }

    /// `signalKeyAsReady`: a list or sorted set under `key` got elements; clients blocked
    /// on it are retried after this command.
    pub fn ready(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.srv.signal_ready(db, key);
    }

    /// Count `n` changes for `rdb_changes_since_last_save` and for propagation.
    pub fn dirty(&mut self, n: u64) {
        self.srv.dirty += n;
        self.srv.dirty_ops += n;
    }

    /// Keyspace notification (`notifyKeyspaceEvent`). `class` is the event class letter
    /// of `notify-keyspace-events` (`g`, `$`, `l`, `s`, `h`, `z`, `x`, `e`, `t`, `m`).
    pub fn notify(&mut self, class: char, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.srv.notify_keyspace(class, event, key, db, Some(self.client));
    }

    /// Block the running client on `keys` until one is signalled ready or `deadline_ms`
    /// passes, then reply `timeout_reply`. Returns the (empty) immediate reply. Inside
    /// MULTI a blocking command does not block: callers check [`Ctx::in_multi`] first.
    pub fn block(
        &mut self,
        keys: Vec<Bytes>,
        deadline_ms: Option<i64>,
        timeout_reply: Reply,
        argv: &[Bytes],
    ) -> Reply {
        // A retried command that blocks again keeps its first deadline and its existing
        // registrations (see `Server::handle_ready_keys`).
        let retrying = self.srv.retry_deadline;
        let blocked = BlockedOn {
            keys,
            db: self.client.db,
            deadline_ms: retrying.unwrap_or(deadline_ms),
            timeout_reply,
            cmd: self.cmd,
            argv: argv.to_vec(),
        };
        if retrying.is_none() {
            self.srv.register_blocked(self.client.id, &blocked);
        }
        self.client.blocked = Some(blocked);
        Reply::Raw(Bytes::new())
    }

    /// The order in which a blocking command tries `keys`: argument order, except that a
    /// retry starts with the key that became ready, as 7.0 serves a blocked client from
    /// the key that was signalled (`serveClientsBlockedOnKey`).
    pub fn ready_first(&self, keys: &[Bytes]) -> Vec<Bytes> {
        let mut order = keys.to_vec();
        if let Some(k) = &self.srv.retry_key
            && let Some(pos) = order.iter().position(|x| x == k)
        {
            let first = order.remove(pos);
            order.insert(0, first);
        }
        order
    }

    /// Send a reply to any client, the running one included.
    pub fn send_to(&mut self, id: ClientId, r: &Reply) {
        if id == self.client.id {
            self.client.push(r);
        } else {
            self.srv.push_to(id, r);
        }
    }

    /// Disconnect a client. The running client is closed after its reply.
    pub fn kill(&mut self, id: ClientId) {
        if id == self.client.id {
            self.client.close_after_reply = true;
        } else {
            self.srv.close_client(id);
        }
    }

    /// Iterate over every client, the running one included, in id order.
    pub fn all_clients(&self) -> Vec<&Client> {
        let mut v: Vec<&Client> = self.srv.clients.values().map(|b| &**b).collect();
        v.push(&*self.client);
        v.sort_by_key(|c| c.id);
        v
    }
}

/// Parse a timeout argument of a blocking command (seconds, fractions allowed) into an
/// absolute deadline, as 7.0's `getTimeoutFromObjectOrReply` does: `strtold` syntax
/// (hex and `inf` included), times 1000, rounded up, then converted to a C `long long`.
/// That conversion is why `inf` or an enormous value is reported as *negative*: on the
/// platforms Redis runs on an out-of-range conversion yields `LLONG_MIN`. `Ok(None)`
/// means wait forever (0, or a tiny negative that rounds up to 0).
pub fn blocking_deadline(arg: &[u8], now_ms: i64) -> Result<Option<i64>, Reply> {
    let secs = crate::cmd::zsets::parse_score(arg)
        .or_else(|| long_double_only(arg))
        .ok_or_else(|| Reply::err("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    // NaN and out-of-range values fail `in_range`, like the C cast's LLONG_MIN.
    let in_range = (0.0..9.223_372_036_854_775e18).contains(&ms);
    if !in_range {
        return Err(Reply::err("ERR timeout is negative"));
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now_ms {
        return Err(Reply::err("ERR timeout is out of range"));
    }
    Ok(Some(now_ms + ms))
}

/// Decimal values a `long double` holds but an `f64` does not (`1e400`, `1e-400`):
/// overflow is as good as infinite here, underflow as good as a tiny positive.
fn long_double_only(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.starts_with(|c: char| c.is_ascii_whitespace())
        || text.to_ascii_lowercase().contains("nan")
    {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    if v.is_infinite() {
        return Some(v);
    }
    let has_nonzero_digit =
        text.split(['e', 'E']).next()?.bytes().any(|c| (b'1'..=b'9').contains(&c));
    if v == 0.0 && has_nonzero_digit {
        return Some(if text.starts_with('-') { -f64::MIN_POSITIVE } else { f64::MIN_POSITIVE });
    }
    None
}
