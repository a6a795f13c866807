//! ACL LOG (`addACLLogEntry` of Redis 7.0): recent denials, newest first. A denial like
//! one logged less than 60 seconds ago (same reason, context, object and user) bumps that
//! entry's count and moves it to the front instead of adding a new one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rhea_resp::Reply;

use super::check::Denied;

/// Where the denied command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
}

pub struct Entry {
    pub count: u64,
    pub reason: Denied,
    pub context: Context,
    pub object: String,
    pub username: String,
    pub created: Instant,
    pub client_info: String,
}

/// Entries closer than this are grouped (`ACL_LOG_GROUPING_MAX_TIME_DELTA`).
const GROUPING: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    pub fn add(&mut self, e: Entry, max_len: usize) {
        let similar = self.entries.iter().position(|o| {
            o.reason == e.reason
                && o.context == e.context
                && o.object == e.object
                && o.username == e.username
                && e.created.duration_since(o.created) < GROUPING
        });
        match similar {
            Some(i) => {
                let mut o = self.entries.remove(i).expect("entry");
                o.count += 1;
                o.created = e.created;
                o.client_info = e.client_info;
                self.entries.push_front(o);
            }
            None => self.entries.push_front(e),
        }
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries as ACL LOG replies them.
    pub fn reply(&self, count: usize, now: Instant) -> Reply {
        let s = Reply::bulk_str;
        let out = self.entries.iter().take(count).map(|e| {
            let reason = match e.reason {
                Denied::Command => "command",
                Denied::Key => "key",
                Denied::Channel => "channel",
                Denied::Auth => "auth",
            };
            let context = match e.context {
                Context::Toplevel => "toplevel",
                Context::Multi => "multi",
            };
            let age = now.duration_since(e.created).as_millis() as f64 / 1000.0;
            Reply::Map(vec![
                (s("count"), Reply::Int(e.count as i64)),
                (s("reason"), s(reason)),
                (s("context"), s(context)),
                (s("object"), s(&e.object)),
                (s("username"), s(&e.username)),
                (s("age-seconds"), Reply::Double(age)),
                (s("client-info"), s(&e.client_info)),
            ])
        });
        Reply::Array(out.collect())
    }
}
