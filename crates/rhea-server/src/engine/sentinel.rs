//! Sentinel mode: the engine serving a Sentinel instead of a keyspace, as Redis runs
//! Sentinel inside redis-server (`server.sentinel_mode`).
//!
//! The networking, AUTH/HELLO/CLIENT/ACL, pub/sub and INFO's common sections stay the
//! server's; the command table keeps only the commands flagged `sentinel` in Redis's
//! command table and adds SENTINEL. What Sentinel itself knows lives behind
//! [`SentinelHooks`], implemented by the `rhea-sentinel` crate: this crate does not
//! depend on it (the dependency goes the other way, Sentinel being a mode of the server).
//! Events the sentinel raises on its own thread reach this engine's subscribers through
//! a [`Publisher`].

use bytes::Bytes;
use rhea_resp::Reply;

use super::Event;
use super::inbox::EngineTx;

/// What the engine asks of the Sentinel it serves. Called on the engine thread, so
/// implementations must answer quickly (take a lock, run the sans-IO core, return).
pub trait SentinelHooks: Send {
    /// `SENTINEL <args…>`: `args` start at the subcommand.
    fn command(&self, args: &[Bytes]) -> Reply;
    /// `PUBLISH channel message` sent to the sentinel (peers' hello messages).
    fn publish(&self, channel: &[u8], message: &[u8]) -> Reply;
    /// INFO's `# Sentinel` section: its `name:value\r\n` lines.
    fn info_section(&self) -> String;
    /// Names of the monitored masters, for ROLE.
    fn master_names(&self) -> Vec<String>;
    /// The ACL users changed (ACL SETUSER, DELUSER, LOAD): their `user …` lines, which
    /// the next config flush writes, as Redis's sentinel rewrite writes the live users.
    fn users_changed(&self, _user_lines: Vec<String>) {}
}

/// Publishes messages to this engine's pub/sub subscribers from any thread (Sentinel's
/// events: the channel is the event name).
#[derive(Clone)]
pub struct Publisher {
    tx: EngineTx,
}

impl Publisher {
    pub(crate) fn new(tx: EngineTx) -> Publisher {
        Publisher { tx }
    }

    /// False once the engine has stopped.
    pub fn publish(&self, channel: &str, message: &str) -> bool {
        self.tx.send(Event::Publish {
            channel: Bytes::copy_from_slice(channel.as_bytes()),
            message: Bytes::copy_from_slice(message.as_bytes()),
        })
    }
}
