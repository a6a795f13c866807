//! The `SENTINEL` subcommands and PUBLISH (`sentinelCommand`, `sentinelSetCommand`,
//! `sentinelPublishCommand`): typed methods, and [`Sentinel::command`] which parses an
//! argv and answers with Redis 7.0's reply and error texts.

use rhea_resp::Reply;

use super::instance::Who;
use super::{Sentinel, close_links, election, failover};
use crate::config::addr::resolve_ip;
use crate::glob::glob_match;
use crate::hello::HELLO_CHANNEL;
use crate::info::atoi;
use crate::io::{Action, LogLevel};
use crate::timing::Timing;

/// Outcome of `SENTINEL FAILOVER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverOutcome {
    Started,
    NoSuchMaster,
    InProgress,
    NoGoodReplica,
}

/// The reply of `SENTINEL is-master-down-by-addr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsMasterDownReply {
    pub down: bool,
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl IsMasterDownReply {
    pub fn to_reply(&self) -> Reply {
        Reply::Array(vec![
            Reply::Int(i64::from(self.down)),
            Reply::bulk_str(self.leader.as_deref().unwrap_or("*")),
            Reply::Int(self.leader_epoch as i64),
        ])
    }
}

fn map_reply(fields: Vec<(String, String)>) -> Reply {
    Reply::Map(
        fields.into_iter().map(|(k, v)| (Reply::bulk_str(&k), Reply::bulk_str(&v))).collect(),
    )
}

fn parse_i64(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

impl Sentinel {
    /// `SENTINEL is-master-down-by-addr <ip> <port> <epoch> <runid|*>` from a peer:
    /// down = not TILT, a master we monitor at that address, and SDOWN. A runid other
    /// than `*` asks for our vote in `req_epoch`.
    pub fn is_master_down_by_addr(
        &mut self,
        ip: &str,
        port: u16,
        req_epoch: u64,
        runid: &str,
        now: i64,
    ) -> IsMasterDownReply {
        let names = self.g.names(ip, port);
        let mi = self.masters.iter().position(|m| names(&m.inst.addr));
        let mut r = IsMasterDownReply { down: false, leader: None, leader_epoch: 0 };
        let Some(mi) = mi else { return r };
        let m = &mut self.masters[mi];
        r.down = !self.g.tilt && m.inst.flags.s_down;
        if runid != "*" {
            let (leader, epoch) = election::vote_leader(&mut self.g, m, req_epoch, runid, now);
            r.leader = leader;
            r.leader_epoch = epoch;
        }
        r
    }

    /// `PUBLISH <channel> <message>` sent to us: only hello messages are accepted.
    pub fn publish(&mut self, channel: &str, message: &str, now: i64) -> Reply {
        if channel != HELLO_CHANNEL {
            return Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.");
        }
        if !self.g.crashed {
            self.process_hello(message, now);
        }
        Reply::Int(1)
    }

    /// `SENTINEL MONITOR <name> <ip> <port> <quorum>`.
    pub fn monitor(&mut self, name: &str, ip: &str, port: i64, quorum: i64, now: i64) -> Reply {
        if quorum <= 0 {
            return Reply::err("ERR Quorum must be 1 or greater.");
        }
        if resolve_ip(ip, self.g.resolve_hostnames, &self.g.resolver).is_none() {
            return Reply::err("ERR Invalid IP address or hostname specified");
        }
        let Ok(port) = u16::try_from(port) else { return Reply::err("ERR Invalid port number") };
        if self.master_index(name).is_some() {
            return Reply::err("ERR Duplicate master name.");
        }
        let Some(addr) = self.g.make_addr(ip, port, true) else {
            return Reply::err("ERR Invalid IP address or hostname specified");
        };
        let m = failover::new_master(&self.g, name, addr, quorum as u32, now);
        self.masters.push(m);
        self.g.flush();
        let m = self.masters.last().expect("just pushed");
        let rest = format!(" quorum {}", m.quorum);
        self.g.event_at(LogLevel::Warning, "+monitor", m, Who::Master, true, &rest);
        Reply::ok()
    }

    /// `SENTINEL REMOVE <name>`.
    pub fn remove(&mut self, name: &str) -> Reply {
        let Some(mi) = self.master_index(name) else {
            return Reply::err("ERR No such master with that name");
        };
        self.g.event_at(LogLevel::Warning, "-monitor", &self.masters[mi], Who::Master, true, "");
        let mut m = self.masters.remove(mi);
        for who in m.all() {
            close_links(&mut self.g, m.get_mut(who));
        }
        self.g.flush();
        Reply::ok()
    }

    /// `SENTINEL RESET <pattern>`: how many masters were reset.
    pub fn reset(&mut self, pattern: &str, now: i64) -> usize {
        let mut n = 0;
        for m in &mut self.masters {
            if glob_match(pattern.as_bytes(), m.inst.name.as_bytes()) {
                failover::reset_master(&mut self.g, m, false, true, now);
                n += 1;
            }
        }
        n
    }

    /// `SENTINEL FAILOVER <name>`: skip the election (force flag) if a replica qualifies.
    pub fn failover(&mut self, name: &str, now: i64) -> FailoverOutcome {
        let Some(mi) = self.master_index(name) else { return FailoverOutcome::NoSuchMaster };
        let m = &mut self.masters[mi];
        if m.inst.flags.failover_in_progress {
            return FailoverOutcome::InProgress;
        }
        if failover::select_replica(&self.g, m, now).is_none() {
            return FailoverOutcome::NoGoodReplica;
        }
        self.g.log(LogLevel::Notice, format!("Executing user requested FAILOVER of '{name}'"));
        m.inst.s_down_since_time = now;
        m.inst.flags.s_down = true;
        failover::start_failover(&mut self.g, m, now);
        m.inst.flags.force_failover = true;
        FailoverOutcome::Started
    }

    /// `SENTINEL CKQUORUM <name>`: the reply, `+OK …` or `-NOQUORUM …`.
    pub fn ckquorum(&self, name: &str) -> Reply {
        let Some(mi) = self.master_index(name) else {
            return Reply::err("ERR No such master with that name");
        };
        let m = &self.masters[mi];
        let voters = m.sentinels.len() + 1;
        let usable = 1 + m.sentinels.iter().filter(|s| !(s.flags.s_down || s.flags.o_down)).count();
        let no_quorum = usable < m.quorum as usize;
        let no_auth = usable < voters / 2 + 1;
        if !no_quorum && !no_auth {
            return Reply::simple(format!(
                "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
            ));
        }
        let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
        if no_quorum {
            e.push_str(
                "Not enough available Sentinels to reach the specified quorum for this master",
            );
        }
        if no_auth {
            if no_quorum {
                e.push_str(". ");
            }
            e.push_str(
                "Not enough available Sentinels to reach the majority and authorize a failover",
            );
        }
        Reply::err(e)
    }

    /// `SENTINEL SET <name> <option> <value> …`.
    pub fn set(&mut self, name: &str, args: &[String]) -> Reply {
        let Some(mi) = self.master_index(name) else {
            return Reply::err("ERR No such master with that name");
        };
        let mut changes = 0;
        let mut j = 0;
        let mut result = Reply::ok();
        while j < args.len() {
            let option = args[j].to_ascii_lowercase();
            let more = args.len() - 1 - j;
            let old_j = j;
            let m = &mut self.masters[mi];
            let positive = |v: &str| parse_i64(v).filter(|&n| n > 0);
            let mut redacted = false;
            let bad = |j: usize, option: &str| {
                Reply::err(format!(
                    "ERR Invalid argument '{}' for SENTINEL SET '{}'",
                    args[j], option
                ))
            };
            match option.as_str() {
                "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum"
                    if more > 0 =>
                {
                    j += 1;
                    let Some(n) = positive(&args[j]) else {
                        result = bad(j, &args[old_j]);
                        break;
                    };
                    match option.as_str() {
                        "down-after-milliseconds" => {
                            m.inst.down_after = n;
                            for who in m.all() {
                                m.get_mut(who).down_after = n;
                            }
                        }
                        "failover-timeout" => m.failover_timeout = n,
                        "parallel-syncs" => m.parallel_syncs = n as u32,
                        _ => m.quorum = n as u32,
                    }
                }
                "master-reboot-down-after-period" if more > 0 => {
                    j += 1;
                    match parse_i64(&args[j]).filter(|&n| n >= 0) {
                        Some(n) => m.master_reboot_down_after = n,
                        None => {
                            result = bad(j, &args[old_j]);
                            break;
                        }
                    }
                }
                "notification-script" | "client-reconfig-script" if more > 0 => {
                    j += 1;
                    if self.g.deny_scripts_reconfig {
                        result = Reply::err(
                            "ERR Reconfiguration of scripts path is denied for security reasons. Check the \
                             deny-scripts-reconfig configuration directive in your Sentinel configuration",
                        );
                        break;
                    }
                    let v = (!args[j].is_empty()).then(|| args[j].clone());
                    if option == "notification-script" {
                        m.notification_script = v;
                    } else {
                        m.client_reconfig_script = v;
                    }
                }
                "auth-pass" | "auth-user" if more > 0 => {
                    j += 1;
                    let v = (!args[j].is_empty()).then(|| args[j].clone());
                    if option == "auth-pass" {
                        m.auth_pass = v;
                        redacted = true;
                    } else {
                        m.auth_user = v;
                    }
                    // dropInstanceConnections: reconnect with the new credentials.
                    close_links(&mut self.g, &mut m.inst);
                    for r in &mut m.replicas {
                        close_links(&mut self.g, r);
                    }
                }
                "rename-command" if more > 1 => {
                    let (from, to) = (args[j + 1].clone(), args[j + 2].clone());
                    j += 2;
                    if from.is_empty() || to.is_empty() {
                        result = bad(if to.is_empty() { j } else { j - 1 }, &args[old_j]);
                        break;
                    }
                    m.renamed_commands.retain(|(f, _)| !f.eq_ignore_ascii_case(&from));
                    if !from.eq_ignore_ascii_case(&to) {
                        m.renamed_commands.push((from, to));
                    }
                }
                _ => {
                    result = Reply::err(format!(
                        "ERR Unknown option or number of arguments for SENTINEL SET '{}'",
                        args[j]
                    ));
                    break;
                }
            }
            changes += 1;
            let shown: Vec<&str> = args[old_j..=j].iter().map(String::as_str).collect();
            let rest = match shown.len() {
                2 => format!(" {} {}", shown[0], if redacted { "******" } else { shown[1] }),
                3 => format!(" {} {} {}", shown[0], shown[1], shown[2]),
                _ => format!(" {}", shown[0]),
            };
            let m = &self.masters[mi];
            self.g.event_at(LogLevel::Warning, "+set", m, Who::Master, true, &rest);
            j += 1;
        }
        if changes > 0 {
            self.g.flush();
        }
        result
    }

    /// `SENTINEL SIMULATE-FAILURE [crash-after-election] [crash-after-promotion] [help]`.
    pub fn simulate_failure(&mut self, args: &[String]) -> Reply {
        self.g.simfailure = Default::default();
        for a in args {
            match a.to_ascii_lowercase().as_str() {
                "crash-after-election" => {
                    self.g.simfailure.crash_after_election = true;
                    self.g.log(
                        LogLevel::Warning,
                        "Failure simulation: this Sentinel will crash after being successfully elected as failover leader"
                            .into(),
                    );
                }
                "crash-after-promotion" => {
                    self.g.simfailure.crash_after_promotion = true;
                    self.g.log(
                        LogLevel::Warning,
                        "Failure simulation: this Sentinel will crash after promoting the selected replica to master"
                            .into(),
                    );
                }
                "help" => {
                    return Reply::Array(vec![
                        Reply::bulk_str("crash-after-election"),
                        Reply::bulk_str("crash-after-promotion"),
                    ]);
                }
                _ => return Reply::err("ERR Unknown failure simulation specified"),
            }
        }
        Reply::ok()
    }

    /// `SENTINEL DEBUG [<param> <ms> …]`.
    pub fn debug(&mut self, args: &[String]) -> Reply {
        if args.is_empty() {
            let fields = self
                .g
                .timing
                .fields()
                .iter()
                .take(Timing::REDIS_KNOBS)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            return map_reply(fields);
        }
        let mut t = self.g.timing;
        let mut j = 0;
        while j < args.len() {
            if j + 1 >= args.len() || !t.set(&args[j], 1) {
                return Reply::err(format!(
                    "ERR Unknown option or number of arguments for SENTINEL DEBUG '{}'",
                    args[j]
                ));
            }
            let min = if Timing::allows_zero(&args[j]) { 0 } else { 1 };
            match parse_i64(&args[j + 1]).filter(|&n| n >= min) {
                Some(n) => {
                    t.set(&args[j], n);
                }
                None => {
                    return Reply::err(format!(
                        "ERR Invalid argument '{}' for SENTINEL DEBUG '{}'",
                        args[j + 1],
                        args[j]
                    ));
                }
            }
            j += 2;
        }
        self.g.timing = t;
        Reply::ok()
    }

    /// Change the timing knobs directly (tests; the "faster failover" work).
    pub fn set_timing(&mut self, t: crate::timing::Timing) {
        self.g.timing = t;
    }

    /// The whole `SENTINEL <subcommand> …` command; `args[0]` is the subcommand.
    /// Returns the reply and the actions it caused.
    pub fn command(&mut self, args: &[String], now: i64) -> (Reply, Vec<Action>) {
        let reply = self.command_reply(args, now);
        (reply, self.take_actions())
    }

    fn command_reply(&mut self, args: &[String], now: i64) -> Reply {
        let Some(sub) = args.first() else {
            return Reply::err("ERR wrong number of arguments for 'sentinel' command");
        };
        let sub_lc = sub.to_ascii_lowercase();
        let arity = |n: usize| args.len() == n;
        let arity_err =
            || Reply::err(format!("ERR wrong number of arguments for 'sentinel|{sub_lc}' command"));
        let no_master = || Reply::err("ERR No such master with that name");
        match sub_lc.as_str() {
            "masters" if arity(1) => {
                Reply::Array(self.masters_fields(now).into_iter().map(map_reply).collect())
            }
            "master" if arity(2) => {
                self.master_fields(&args[1], now).map(map_reply).unwrap_or_else(no_master)
            }
            "replicas" | "slaves" if arity(2) => match self.replicas_fields(&args[1], now) {
                Some(v) => Reply::Array(v.into_iter().map(map_reply).collect()),
                None => no_master(),
            },
            "sentinels" if arity(2) => match self.sentinels_fields(&args[1], now) {
                Some(v) => Reply::Array(v.into_iter().map(map_reply).collect()),
                None => no_master(),
            },
            "myid" if arity(1) => Reply::bulk_str(&self.g.myid),
            "is-master-down-by-addr" if arity(5) => {
                let (Some(port), Some(epoch)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
                    return Reply::err("ERR value is not an integer or out of range");
                };
                let port = u16::try_from(port).unwrap_or(0);
                self.is_master_down_by_addr(&args[1], port, epoch.max(0) as u64, &args[4], now)
                    .to_reply()
            }
            "reset" if arity(2) => Reply::Int(self.reset(&args[1], now) as i64),
            "get-master-addr-by-name" if arity(2) => match self.get_master_addr_by_name(&args[1]) {
                Some((ip, port)) => {
                    Reply::Array(vec![Reply::bulk_str(&ip), Reply::bulk_str(&port.to_string())])
                }
                None => Reply::NullArray,
            },
            "failover" if arity(2) => match self.failover(&args[1], now) {
                FailoverOutcome::Started => Reply::ok(),
                FailoverOutcome::NoSuchMaster => no_master(),
                FailoverOutcome::InProgress => Reply::err("INPROG Failover already in progress"),
                FailoverOutcome::NoGoodReplica => {
                    Reply::err("NOGOODSLAVE No suitable replica to promote")
                }
            },
            "pending-scripts" if arity(1) => Reply::Array(Vec::new()),
            "monitor" if arity(5) => {
                let Some(quorum) = parse_i64(&args[4]) else {
                    return Reply::err("ERR Invalid quorum");
                };
                let Some(port) = parse_i64(&args[3]) else { return Reply::err("ERR Invalid port") };
                self.monitor(&args[1], &args[2], port, quorum, now)
            }
            "flushconfig" if arity(1) => {
                self.g.flush();
                Reply::ok()
            }
            "remove" if arity(2) => self.remove(&args[1]),
            "ckquorum" if arity(2) => self.ckquorum(&args[1]),
            "set" if args.len() >= 3 => self.set(&args[1].clone(), &args[2..]),
            "info-cache" => {
                let mut out = Vec::new();
                for (name, entries) in self.info_cache(&args[1..], now) {
                    out.push(Reply::bulk_str(&name));
                    out.push(Reply::Array(
                        entries
                            .into_iter()
                            .map(|(age, info)| {
                                Reply::Array(vec![
                                    Reply::Int(age),
                                    info.map(|t| Reply::bulk_str(&t)).unwrap_or(Reply::Null),
                                ])
                            })
                            .collect(),
                    ));
                }
                Reply::Array(out)
            }
            "simulate-failure" => self.simulate_failure(&args[1..]),
            "debug" => self.debug(&args[1..]),
            "config" if args.len() >= 3 => self.config_command(&args[1..]),
            "masters"
            | "master"
            | "replicas"
            | "slaves"
            | "sentinels"
            | "myid"
            | "is-master-down-by-addr"
            | "reset"
            | "get-master-addr-by-name"
            | "failover"
            | "pending-scripts"
            | "monitor"
            | "flushconfig"
            | "remove"
            | "ckquorum"
            | "set"
            | "config" => arity_err(),
            _ => Reply::err(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try SENTINEL HELP.",
                sub.chars().take(128).collect::<String>()
            )),
        }
    }

    /// `SENTINEL CONFIG GET <pattern>…` / `SET <param> <value>…` (Redis 7.0 params).
    fn config_command(&mut self, args: &[String]) -> Reply {
        let g = &mut self.g;
        match args[0].to_ascii_lowercase().as_str() {
            "get" => {
                let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
                let all = [
                    ("resolve-hostnames", yes(g.resolve_hostnames)),
                    ("announce-hostnames", yes(g.announce_hostnames)),
                    ("announce-ip", g.announce_ip.clone().unwrap_or_default()),
                    ("announce-port", g.announce_port.to_string()),
                    ("sentinel-user", g.sentinel_user.clone().unwrap_or_default()),
                    ("sentinel-pass", g.sentinel_pass.clone().unwrap_or_default()),
                ];
                let mut out = Vec::new();
                for (k, v) in all {
                    if args[1..]
                        .iter()
                        .any(|p| glob_match(p.to_ascii_lowercase().as_bytes(), k.as_bytes()))
                    {
                        out.push((k.to_string(), v));
                    }
                }
                map_reply(out)
            }
            "set" if args.len() == 3 => {
                let v = args[2].clone();
                let yesno = |v: &str| match v.to_ascii_lowercase().as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
                let bad = || {
                    Reply::err(format!(
                        "ERR Invalid value '{}' to SENTINEL CONFIG SET '{}'",
                        args[2], args[1]
                    ))
                };
                match args[1].to_ascii_lowercase().as_str() {
                    "resolve-hostnames" => match yesno(&v) {
                        Some(b) => g.resolve_hostnames = b,
                        None => return bad(),
                    },
                    "announce-hostnames" => match yesno(&v) {
                        Some(b) => g.announce_hostnames = b,
                        None => return bad(),
                    },
                    "announce-ip" => g.announce_ip = (!v.is_empty()).then_some(v),
                    "announce-port" => match u16::try_from(atoi(&v)) {
                        Ok(p) => g.announce_port = p,
                        Err(_) => return bad(),
                    },
                    "sentinel-user" => g.sentinel_user = (!v.is_empty()).then_some(v),
                    "sentinel-pass" => g.sentinel_pass = (!v.is_empty()).then_some(v),
                    _ => {
                        return Reply::err(format!(
                            "ERR Invalid argument '{}' to SENTINEL CONFIG SET",
                            args[1]
                        ));
                    }
                }
                g.flush();
                Reply::ok()
            }
            _ => Reply::err(
                "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...] / SET <param> <value> are supported.",
            ),
        }
    }
}
