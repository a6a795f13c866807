//! The replica's handshake with its master, as a sans-IO state machine.
//!
//! Mirrors 7.0 `syncWithMaster` (states `REPL_STATE_*`). The driver connects, calls
//! [`Handshake::on_connected`], writes what it gets, and feeds each reply *line*
//! (without CRLF) to [`Handshake::on_reply`] until an [`Step::Outcome`] or
//! [`Step::Fail`]. On `Fail` the link is closed and the state is back to `Connect`
//! (Redis retries from `replicationCron` once a second).
//!
//! ```text
//! Connect ─connect()─▶ Connecting ─on_connected─▶ send PING ─▶ ReceivePingReply
//!   +… | -NOAUTH | -NOPERM | -ERR operation not permitted  → ok, anything else → Fail
//!   send in ONE write:  [AUTH [masteruser] masterauth]  REPLCONF listening-port <p>
//!                       [REPLCONF ip-address <replica-announce-ip>]  REPLCONF capa eof capa psync2
//! ReceiveAuthReply (only with masterauth): '-' → Fail "Unable to AUTH to MASTER: …"
//! ReceivePortReply / ReceiveIpReply / ReceiveCapaReply: '-' only logged ("(Non critical)")
//!   send PSYNC <cached replid> <off+1> | PSYNC ? -1 ─▶ ReceivePsyncReply
//!   ""  → keep waiting · +FULLRESYNC → Transfer · +CONTINUE → Connected
//!   -NOMASTERLINK/-LOADING → Fail (retry later) · other → send SYNC, Transfer
//! ```
//!
//! INFO/ROLE names: `master_link_status:up` only in `Connected`;
//! `master_sync_in_progress:1` only in `Transfer`; ROLE shows connect / connecting /
//! handshake (every Receive* state) / sync / connected.
//!
//! Caveats: the RDB transfer, timeouts (`repl-timeout`) and `PSYNC … FAILOVER` are the
//! driver's and engine's business.

use bytes::Bytes;

use super::feed::encode_multibulk;
use super::psync::{CachedMaster, PsyncReply, parse_psync_reply, psync_command};

/// `server.repl_state` on a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplState {
    /// Must connect to the master.
    Connect,
    /// TCP connect in progress.
    Connecting,
    ReceivePingReply,
    ReceiveAuthReply,
    ReceivePortReply,
    ReceiveIpReply,
    ReceiveCapaReply,
    ReceivePsyncReply,
    /// Receiving the RDB.
    Transfer,
    /// Streaming commands.
    Connected,
}

impl ReplState {
    /// `master_link_status` in INFO replication.
    pub fn link_status(self) -> &'static str {
        if self == ReplState::Connected { "up" } else { "down" }
    }

    /// `master_sync_in_progress` in INFO replication.
    pub fn sync_in_progress(self) -> bool {
        self == ReplState::Transfer
    }

    /// The state word in ROLE (`slaveIsInHandshakeState` → "handshake").
    pub fn role_name(self) -> &'static str {
        match self {
            ReplState::Connect => "connect",
            ReplState::Connecting => "connecting",
            ReplState::Transfer => "sync",
            ReplState::Connected => "connected",
            _ => "handshake",
        }
    }
}

/// Handshake settings (redis.conf names in the docs).
#[derive(Debug, Clone, Default)]
pub struct HandshakeConfig {
    /// `masterauth`.
    pub masterauth: Option<Bytes>,
    /// `masteruser` (only used with masterauth).
    pub masteruser: Option<Bytes>,
    /// `replica-announce-port`, else `port`.
    pub listening_port: u16,
    /// `replica-announce-ip`.
    pub announce_ip: Option<Bytes>,
}

/// How the handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Full sync: read the RDB payload next. `replid`/`offset` are `None` after a
    /// malformed +FULLRESYNC, or after falling back to `SYNC`.
    FullResync { replid: Option<[u8; 40]>, offset: Option<i64> },
    /// Partial resync: resurrect the cached master and stream.
    Continue { new_replid: Option<[u8; 40]> },
}

/// The driver's next move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes, then wait for the next reply.
    Send(Vec<u8>),
    /// Wait for the next reply (optionally logging a non-critical note).
    Wait(Option<String>),
    /// Write `send` (may be empty), then proceed with the outcome.
    Outcome { send: Vec<u8>, outcome: Outcome },
    /// Close the link and retry later; the message is Redis's log text.
    Fail(String),
}

/// The replica's handshake state machine.
#[derive(Debug, Clone)]
pub struct Handshake {
    state: ReplState,
    cfg: HandshakeConfig,
    cached: Option<CachedMaster>,
}

fn cmd(args: &[&[u8]], out: &mut Vec<u8>) {
    let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    encode_multibulk(&argv, out);
}

impl Handshake {
    /// A new link in state `Connect`. `cached` is the cached master, if any.
    pub fn new(cfg: HandshakeConfig, cached: Option<CachedMaster>) -> Self {
        Handshake { state: ReplState::Connect, cfg, cached }
    }

    pub fn state(&self) -> ReplState {
        self.state
    }

    /// The TCP connect was started (`connectWithMaster`).
    pub fn connect(&mut self) {
        self.state = ReplState::Connecting;
    }

    /// The TCP connection is up: send `PING`.
    pub fn on_connected(&mut self) -> Vec<u8> {
        self.state = ReplState::ReceivePingReply;
        b"*1\r\n$4\r\nPING\r\n".to_vec()
    }

    /// The RDB has been loaded: the link is up.
    pub fn on_transfer_done(&mut self) {
        self.state = ReplState::Connected;
    }

    fn fail(&mut self, msg: String) -> Step {
        self.state = ReplState::Connect;
        Step::Fail(msg)
    }

    /// The pipelined handshake write that follows a good PING reply.
    fn handshake_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(pass) = &self.cfg.masterauth {
            match &self.cfg.masteruser {
                Some(user) => cmd(&[b"AUTH", user, pass], &mut out),
                None => cmd(&[b"AUTH", pass], &mut out),
            }
        }
        let port = self.cfg.listening_port.to_string();
        cmd(&[b"REPLCONF", b"listening-port", port.as_bytes()], &mut out);
        if let Some(ip) = &self.cfg.announce_ip {
            cmd(&[b"REPLCONF", b"ip-address", ip], &mut out);
        }
        cmd(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"], &mut out);
        out
    }

    fn after_port(&self) -> ReplState {
        if self.cfg.announce_ip.is_some() {
            ReplState::ReceiveIpReply
        } else {
            ReplState::ReceiveCapaReply
        }
    }

    /// Feeds one reply line from the master.
    pub fn on_reply(&mut self, line: &[u8]) -> Step {
        let text = String::from_utf8_lossy(line).into_owned();
        let is_err = line.first() == Some(&b'-');
        match self.state {
            ReplState::ReceivePingReply => {
                // An auth error still proves the master is alive (AUTH comes next).
                let ok = line.first() == Some(&b'+')
                    || line.starts_with(b"-NOAUTH")
                    || line.starts_with(b"-NOPERM")
                    || line.starts_with(b"-ERR operation not permitted");
                if !ok {
                    return self.fail(format!("Error reply to PING from master: '{text}'"));
                }
                self.state = if self.cfg.masterauth.is_some() {
                    ReplState::ReceiveAuthReply
                } else {
                    ReplState::ReceivePortReply
                };
                Step::Send(self.handshake_bytes())
            }
            ReplState::ReceiveAuthReply => {
                if is_err {
                    return self.fail(format!("Unable to AUTH to MASTER: {text}"));
                }
                self.state = ReplState::ReceivePortReply;
                Step::Wait(None)
            }
            ReplState::ReceivePortReply => {
                self.state = self.after_port();
                Step::Wait(is_err.then(|| {
                    format!(
                        "(Non critical) Master does not understand REPLCONF listening-port: {text}"
                    )
                }))
            }
            ReplState::ReceiveIpReply => {
                self.state = ReplState::ReceiveCapaReply;
                Step::Wait(is_err.then(|| {
                    format!("(Non critical) Master does not understand REPLCONF ip-address: {text}")
                }))
            }
            ReplState::ReceiveCapaReply => {
                self.state = ReplState::ReceivePsyncReply;
                // Redis logs "(Non critical) Master does not understand REPLCONF capa: …" on
                // an error here; the driver may log it, nothing else changes.
                let _ = is_err;
                Step::Send(psync_command(self.cached.as_ref()))
            }
            ReplState::ReceivePsyncReply => match parse_psync_reply(line) {
                PsyncReply::Wait => Step::Wait(None),
                PsyncReply::FullResync { replid, offset } => {
                    self.state = ReplState::Transfer;
                    Step::Outcome {
                        send: Vec::new(),
                        outcome: Outcome::FullResync { replid, offset },
                    }
                }
                PsyncReply::Continue { new_replid } => {
                    self.state = ReplState::Connected;
                    Step::Outcome { send: Vec::new(), outcome: Outcome::Continue { new_replid } }
                }
                PsyncReply::TryLater => self.fail(format!(
                    "Master is currently unable to PSYNC but should be in the future: {text}"
                )),
                PsyncReply::NotSupported => {
                    self.state = ReplState::Transfer;
                    Step::Outcome {
                        send: b"SYNC\r\n".to_vec(),
                        outcome: Outcome::FullResync { replid: None, offset: None },
                    }
                }
            },
            _ => self.fail(format!("Unexpected reply in state {:?}: {text}", self.state)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HandshakeConfig {
        HandshakeConfig { listening_port: 6380, ..Default::default() }
    }

    #[test]
    fn handshake_without_auth_sends_exact_7_0_commands() {
        let mut h = Handshake::new(cfg(), None);
        h.connect();
        assert_eq!(h.state().role_name(), "connecting");
        assert_eq!(h.on_connected(), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(h.state().role_name(), "handshake");
        let Step::Send(b) = h.on_reply(b"+PONG") else { panic!() };
        assert_eq!(
            b,
            b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n\
*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
        );
        assert_eq!(h.on_reply(b"+OK"), Step::Wait(None));
        let Step::Send(p) = h.on_reply(b"+OK") else { panic!() };
        assert_eq!(p, b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
        assert_eq!(h.on_reply(b""), Step::Wait(None)); // \n keepalive
        let line = [b"+FULLRESYNC ".as_slice(), &[b'c'; 40], b" 0"].concat();
        let Step::Outcome { outcome, .. } = h.on_reply(&line) else { panic!() };
        assert_eq!(outcome, Outcome::FullResync { replid: Some([b'c'; 40]), offset: Some(0) });
        assert_eq!(
            (h.state().link_status(), h.state().sync_in_progress(), h.state().role_name()),
            ("down", true, "sync")
        );
        h.on_transfer_done();
        assert_eq!((h.state().link_status(), h.state().sync_in_progress()), ("up", false));
    }

    #[test]
    fn auth_with_masteruser_and_announce_ip_are_pipelined_first() {
        let c = HandshakeConfig {
            masterauth: Some("pw".into()),
            masteruser: Some("u".into()),
            announce_ip: Some("10.0.0.1".into()),
            listening_port: 7000,
        };
        let mut h = Handshake::new(c, None);
        h.on_connected();
        let Step::Send(b) = h.on_reply(b"-NOAUTH Authentication required.") else { panic!() };
        assert!(b.starts_with(b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port"));
        assert!(b.windows(10).any(|w| w == b"ip-address"));
        assert_eq!(h.state(), ReplState::ReceiveAuthReply);
        h.on_reply(b"+OK");
        h.on_reply(b"+OK");
        assert_eq!(h.state(), ReplState::ReceiveIpReply);
    }

    #[test]
    fn auth_error_is_fatal_but_replconf_errors_are_ignored() {
        let c = HandshakeConfig { masterauth: Some("bad".into()), ..cfg() };
        let mut h = Handshake::new(c, None);
        h.on_connected();
        h.on_reply(b"+PONG");
        let got = h.on_reply(b"-WRONGPASS invalid username-password pair or user is disabled.");
        assert!(
            matches!(got, Step::Fail(m) if m.starts_with("Unable to AUTH to MASTER: -WRONGPASS"))
        );
        assert_eq!(h.state(), ReplState::Connect);

        let mut h = Handshake::new(cfg(), None);
        h.on_connected();
        h.on_reply(b"+PONG");
        assert!(matches!(
            h.on_reply(b"-ERR Unrecognized REPLCONF option: listening-port"),
            Step::Wait(Some(_))
        ));
        assert!(matches!(h.on_reply(b"-ERR Unrecognized REPLCONF option: capa"), Step::Send(_)));
        assert_eq!(h.state(), ReplState::ReceivePsyncReply);
    }

    #[test]
    fn other_ping_errors_abort_the_handshake() {
        let mut h = Handshake::new(cfg(), None);
        h.on_connected();
        assert!(matches!(
            h.on_reply(b"-LOADING Redis is loading the dataset in memory"),
            Step::Fail(_)
        ));
        assert_eq!(h.state().role_name(), "connect");
    }

    fn at_psync(cached: Option<CachedMaster>) -> Handshake {
        let mut h = Handshake::new(cfg(), cached);
        h.on_connected();
        h.on_reply(b"+PONG");
        h.on_reply(b"+OK");
        h.on_reply(b"+OK");
        h
    }

    #[test]
    fn psync_reply_continue_try_later_and_sync_fallback() {
        let mut h = at_psync(Some(CachedMaster { replid: [b'a'; 40], reploff: 99 }));
        let got = h.on_reply(b"+CONTINUE");
        assert_eq!(
            got,
            Step::Outcome { send: vec![], outcome: Outcome::Continue { new_replid: None } }
        );
        assert_eq!(h.state().link_status(), "up");

        let mut h = at_psync(None);
        assert!(matches!(
            h.on_reply(b"-NOMASTERLINK Can't SYNC while not connected with my master"),
            Step::Fail(_)
        ));

        let mut h = at_psync(None);
        let got = h.on_reply(b"-ERR unknown command 'PSYNC'");
        assert_eq!(
            got,
            Step::Outcome {
                send: b"SYNC\r\n".to_vec(),
                outcome: Outcome::FullResync { replid: None, offset: None }
            }
        );
        assert_eq!(h.state(), ReplState::Transfer);
    }
}
