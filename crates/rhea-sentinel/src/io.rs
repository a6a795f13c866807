//! The vocabulary between the core and its driver: link ids, what a link receives
//! ([`LinkReply`]) and what the core asks the driver to do ([`Action`]).

use std::fmt;

/// One connection the core asked for. Ids are never reused, so a late event for a link
/// the core already closed is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub u64);

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link#{}", self.0)
    }
}

/// Redis's `instanceLink` has a command connection (`cc`) and, for masters and
/// replicas, a pub/sub connection (`pc`) subscribed to `__sentinel__:hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    Cmd,
    Pubsub,
}

/// A reply as a link receives it, converted from the wire by the driver. On a pub/sub
/// link every pushed frame (the SUBSCRIBE confirmation and each message) is one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkReply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(String),
    Array(Vec<LinkReply>),
    Null,
}

impl LinkReply {
    pub fn bulk(s: &str) -> Self {
        LinkReply::Bulk(s.to_string())
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            LinkReply::Status(s) | LinkReply::Error(s) | LinkReply::Bulk(s) => Some(s),
            _ => None,
        }
    }
}

/// Redis's log levels; events at `Debug` are logged but never published, and only
/// `Warning` events run the notification script (`sentinelEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    /// The character Redis's log line uses (`serverLogRaw`).
    pub fn mark(self) -> char {
        match self {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        }
    }
}

/// What the driver must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection. The core treats the link as usable at once (as hiredis's async
    /// connect does): `Send`s for it follow immediately and must be queued until the
    /// connection is up. If it fails or later breaks, call [`crate::Sentinel::on_link_down`].
    Connect { link: LinkId, kind: LinkKind, host: String, port: u16 },
    /// Close a connection; no event for it is expected any more (late ones are ignored).
    Close { link: LinkId },
    /// Write one command. Every `Send` on a command link gets exactly one reply, in order.
    Send { link: LinkId, argv: Vec<String> },
    /// A Sentinel event: log `"{kind} {message}"` at `level`, and unless the level is
    /// `Debug` publish `message` on the channel `kind` to our own pub/sub clients.
    Event { level: LogLevel, kind: String, message: String },
    /// A plain log line (not an event).
    Log { level: LogLevel, message: String },
    /// Rewrite the config file from [`crate::Sentinel::persisted_config`] and fsync.
    /// At most one per returned batch.
    FlushConfig,
    /// Run a notification or client-reconfig script with these arguments
    /// (`sentinelScheduleScriptExecution`; queueing and retries are the driver's).
    RunScript { path: String, args: Vec<String> },
    /// `SENTINEL SIMULATE-FAILURE` fired: log and exit with status 99.
    Crash { reason: String },
}
