//! Pub/Sub registry: which clients listen to which channels and patterns, and message
//! fan-out in each receiver's protocol (RESP2 array or RESP3 push).

use std::collections::HashMap;

use bytes::Bytes;
use rhea_keyspace::glob_match;
use rhea_resp::Reply;

use super::client::ClientId;

#[derive(Default)]
pub struct PubSub {
    /// channel -> subscribers in subscription order.
    pub channels: HashMap<Bytes, Vec<ClientId>>,
    /// pattern -> subscribers in subscription order.
    pub patterns: HashMap<Bytes, Vec<ClientId>>,
}

impl PubSub {
    pub fn subscribe(&mut self, id: ClientId, ch: &Bytes) {
        self.channels.entry(ch.clone()).or_default().push(id);
    }

    pub fn unsubscribe(&mut self, id: ClientId, ch: &[u8]) {
        remove_member(&mut self.channels, id, ch);
    }

    pub fn psubscribe(&mut self, id: ClientId, pat: &Bytes) {
        self.patterns.entry(pat.clone()).or_default().push(id);
    }

    pub fn punsubscribe(&mut self, id: ClientId, pat: &[u8]) {
        remove_member(&mut self.patterns, id, pat);
    }

    /// Receivers of a message on `channel`: direct subscribers, then (pattern, client)
    /// pairs whose pattern matches. A client matching via two patterns gets two messages.
    pub fn receivers(&self, channel: &[u8]) -> (Vec<ClientId>, Vec<(Bytes, ClientId)>) {
        let direct = self.channels.get(channel).cloned().unwrap_or_default();
        let mut via_pattern = Vec::new();
        for (pat, ids) in &self.patterns {
            if glob_match(pat, channel, false) {
                via_pattern.extend(ids.iter().map(|&id| (pat.clone(), id)));
            }
        }
        (direct, via_pattern)
    }
}

fn remove_member(map: &mut HashMap<Bytes, Vec<ClientId>>, id: ClientId, name: &[u8]) {
    if let Some(ids) = map.get_mut(name) {
        ids.retain(|&x| x != id);
        if ids.is_empty() {
            map.remove(name);
        }
    }
}

fn bulk_static(s: &'static str) -> Reply {
    Reply::Bulk(Bytes::from_static(s.as_bytes()))
}

/// `message` push.
pub fn message(channel: &Bytes, payload: &Bytes) -> Reply {
    Reply::Push(vec![
        bulk_static("message"),
        Reply::Bulk(channel.clone()),
        Reply::Bulk(payload.clone()),
    ])
}

/// `pmessage` push.
pub fn pmessage(pattern: &Bytes, channel: &Bytes, payload: &Bytes) -> Reply {
    Reply::Push(vec![
        bulk_static("pmessage"),
        Reply::Bulk(pattern.clone()),
        Reply::Bulk(channel.clone()),
        Reply::Bulk(payload.clone()),
    ])
}

/// Subscription confirmation (`subscribe`, `unsubscribe`, `psubscribe`, `punsubscribe`).
/// A `None` name is the null channel of an UNSUBSCRIBE with nothing to unsubscribe.
pub fn confirmation(kind: &'static str, name: Option<&Bytes>, count: usize) -> Reply {
    Reply::Push(vec![
        bulk_static(kind),
        name.map_or(Reply::Null, |n| Reply::Bulk(n.clone())),
        Reply::Int(count as i64),
    ])
}
