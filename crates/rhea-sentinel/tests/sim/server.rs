//! A model redis-server, just enough for Sentinel: role, replication offset and link,
//! run id, INFO text in Redis's format, and the commands Sentinel sends.

use rhea_sentinel::LinkReply;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRole {
    Master,
    Replica { host: String, port: u16 },
}

#[derive(Debug, Clone)]
pub struct Server {
    pub ip: String,
    pub port: u16,
    pub alive: bool,
    pub run_id: String,
    pub role: ServerRole,
    pub offset: u64,
    pub link_up: bool,
    /// When the replication link went down (ms); 0 = it never was up.
    pub link_down_since: i64,
    /// When a (re)sync in progress completes; 0 = none started.
    pub sync_ready_at: i64,
    pub priority: u32,
    /// Every `SLAVEOF NO ONE` this server executed, with the time.
    pub promotions: Vec<i64>,
    /// DEBUG SLEEP: commands arriving before this wait in `backlog`.
    pub paused_until: i64,
    /// Commands that arrived while paused: (sentinel, link, argv), in arrival order.
    pub backlog: Vec<(usize, rhea_sentinel::LinkId, Vec<String>)>,
}

impl Server {
    pub fn new(ip: &str, port: u16, run_id: String) -> Self {
        Self {
            ip: ip.to_string(),
            port,
            alive: true,
            run_id,
            role: ServerRole::Master,
            offset: 0,
            link_up: false,
            link_down_since: 0,
            sync_ready_at: 0,
            priority: 100,
            promotions: Vec::new(),
            paused_until: 0,
            backlog: Vec::new(),
        }
    }

    pub fn is_master(&self) -> bool {
        self.role == ServerRole::Master
    }

    /// `SLAVEOF host port` / `SLAVEOF NO ONE`.
    pub fn slaveof(&mut self, host: &str, port: &str, now: i64) {
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            if !self.is_master() {
                self.promotions.push(now);
            }
            self.role = ServerRole::Master;
            self.link_up = false;
            self.sync_ready_at = 0;
            return;
        }
        let port: u16 = port.parse().unwrap_or(0);
        let new = ServerRole::Replica { host: host.to_string(), port };
        if self.role != new {
            self.role = new;
            if self.link_up {
                self.link_down_since = now;
            }
            self.link_up = false;
            self.sync_ready_at = 0;
        }
    }

    /// INFO as redis-server 7.0 prints the parts Sentinel reads. `replicas` are the
    /// (ip, port, offset) of replicas whose link to us is up.
    pub fn info(&self, replicas: &[(String, u16, u64)], now: i64) -> String {
        let mut s = format!(
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nrun_id:{}\r\ntcp_port:{}\r\n\r\n# Replication\r\n",
            self.run_id, self.port
        );
        match &self.role {
            ServerRole::Master => {
                s.push_str(&format!("role:master\r\nconnected_slaves:{}\r\n", replicas.len()));
                for (i, (ip, port, off)) in replicas.iter().enumerate() {
                    s.push_str(&format!(
                        "slave{i}:ip={ip},port={port},state=online,offset={off},lag=0\r\n"
                    ));
                }
            }
            ServerRole::Replica { host, port } => {
                s.push_str(&format!(
                    "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\n\
                     master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:{}\r\n\
                     slave_repl_offset:{}\r\n",
                    if self.link_up { "up" } else { "down" },
                    if self.link_up { 0 } else { -1 },
                    self.offset,
                    self.offset
                ));
                if !self.link_up {
                    let since = if self.link_down_since == 0 {
                        -1
                    } else {
                        (now - self.link_down_since) / 1000
                    };
                    s.push_str(&format!("master_link_down_since_seconds:{since}\r\n"));
                }
                s.push_str(&format!(
                    "slave_priority:{}\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:{}\r\n",
                    self.priority,
                    replicas.len()
                ));
            }
        }
        s.push_str(&format!(
            "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_repl_offset:{}\r\n",
            &self.run_id, self.offset
        ));
        s
    }

    /// One command outside MULTI that needs no other connection (PING, SLAVEOF, …).
    /// `None` means the caller handles it (SUBSCRIBE, PUBLISH, CLIENT KILL, INFO).
    pub fn simple_command(&mut self, argv: &[String], now: i64) -> Option<LinkReply> {
        let cmd = argv.first()?.to_ascii_uppercase();
        Some(match cmd.as_str() {
            "PING" => LinkReply::Status("PONG".into()),
            "AUTH" => LinkReply::Status("OK".into()),
            "CLIENT" if argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case("setname")) => {
                LinkReply::Status("OK".into())
            }
            "CONFIG" => LinkReply::Status("OK".into()),
            "SCRIPT" => LinkReply::Error("NOTBUSY No scripts in execution right now.".into()),
            "SLAVEOF" | "REPLICAOF" if argv.len() == 3 => {
                self.slaveof(&argv[1], &argv[2], now);
                LinkReply::Status("OK".into())
            }
            _ => return None,
        })
    }
}
