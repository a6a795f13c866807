//! Parsing the INFO reply of a master or replica: the fields Sentinel reads, exactly as
//! `sentinelRefreshInstanceInfo` (Redis 7.0) reads them.
//!
//! ```text
//! run_id:<40 hex>                                   line must be >= 47 bytes
//! slave0:ip=127.0.0.1,port=7001,state=online,...    new form (also the old ip,port,state)
//! master_link_down_since_seconds:<s>                absent => 0
//! role:master | role:slave
//! master_host: master_port: master_link_status:     only after role:slave was seen
//! slave_priority: slave_repl_offset: replica_announced:
//! ```
//! Numbers are read like C's `atoi`/`strtoull`: leading digits, garbage gives 0.

/// The role an instance reports in INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Replica => "slave",
        }
    }
}

/// What one INFO reply says. `None` = the line was absent (the caller keeps its old value,
/// as Redis does for everything but `master_link_down_since_seconds`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoReport {
    pub run_id: Option<String>,
    /// The `slave<N>:` lines (only meaningful when the instance is our master).
    pub replicas: Vec<(String, u16)>,
    /// `master_link_down_since_seconds` × 1000, or 0 when absent.
    pub master_link_down_ms: i64,
    pub role: Option<Role>,
    pub master_host: Option<String>,
    pub master_port: Option<u16>,
    pub master_link_up: Option<bool>,
    pub slave_priority: Option<i64>,
    pub slave_repl_offset: Option<u64>,
    pub replica_announced: Option<bool>,
}

/// C `atoll`-like: optional sign, leading digits.
pub(crate) fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.wrapping_mul(10).wrapping_add((b - b'0') as i64);
    }
    if neg { -v } else { v }
}

fn port_of(s: &str) -> u16 {
    u16::try_from(atoi(s)).unwrap_or(0)
}

impl InfoReport {
    pub fn parse(info: &str) -> InfoReport {
        let mut r = InfoReport::default();
        for line in info.split("\r\n") {
            if line.len() >= 47 && line.starts_with("run_id:") {
                r.run_id = Some(line[7..47].to_string());
            }
            let b = line.as_bytes();
            if b.len() >= 7
                && line.starts_with("slave")
                && b[5].is_ascii_digit()
                && let Some(addr) = parse_replica_line(line)
            {
                r.replicas.push(addr);
            }
            if line.len() >= 32 && line.starts_with("master_link_down_since_seconds") {
                r.master_link_down_ms = atoi(&line[31..]).saturating_mul(1000);
            }
            if line.starts_with("role:master") {
                r.role = Some(Role::Master);
            } else if line.starts_with("role:slave") {
                r.role = Some(Role::Replica);
            }
            if r.role == Some(Role::Replica) {
                if let Some(v) = line.strip_prefix("master_host:") {
                    r.master_host = Some(v.to_string());
                }
                if let Some(v) = line.strip_prefix("master_port:") {
                    r.master_port = Some(port_of(v));
                }
                if let Some(v) = line.strip_prefix("master_link_status:") {
                    r.master_link_up = Some(v.eq_ignore_ascii_case("up"));
                }
                if let Some(v) = line.strip_prefix("slave_priority:") {
                    r.slave_priority = Some(atoi(v));
                }
                if let Some(v) = line.strip_prefix("slave_repl_offset:") {
                    r.slave_repl_offset = Some(u64::try_from(atoi(v)).unwrap_or(0));
                }
                if let Some(v) = line.strip_prefix("replica_announced:") {
                    r.replica_announced = Some(atoi(v) != 0);
                }
            }
        }
        r
    }
}

/// `slave0:ip=…,port=…,…` or the pre-2.8 `slave0:<ip>,<port>,<state>`.
fn parse_replica_line(line: &str) -> Option<(String, u16)> {
    if !line.contains("ip=") {
        let rest = &line[line.find(':')? + 1..];
        let mut parts = rest.splitn(3, ',');
        let ip = parts.next()?;
        let port = parts.next()?;
        parts.next()?; // the old form must have a third field
        return Some((ip.to_string(), port_of(port)));
    }
    let ip_at = line.find("ip=")? + 3;
    let port_at = line.find("port=")? + 5;
    let ip = line[ip_at..].split(',').next()?;
    let port = line[port_at..].split(',').next()?;
    Some((ip.to_string(), port_of(port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNID: &str = "8bcd906d0d3c8c4a07f2e0bd8f0d9e5b6c7a43e4";

    #[test]
    fn master_info() {
        let info = format!(
            "# Server\r\nredis_version:7.0.15\r\nrun_id:{RUNID}\r\n\r\n# Replication\r\nrole:master\r\n\
             connected_slaves:2\r\nslave0:ip=127.0.0.1,port=7001,state=online,offset=42,lag=0\r\n\
             slave1:10.0.0.2,7002,online\r\nmaster_failover_state:no-failover\r\n"
        );
        let r = InfoReport::parse(&info);
        assert_eq!(r.run_id.as_deref(), Some(RUNID));
        assert_eq!(r.role, Some(Role::Master));
        assert_eq!(
            r.replicas,
            vec![("127.0.0.1".to_string(), 7001), ("10.0.0.2".to_string(), 7002)]
        );
        assert_eq!(r.master_link_down_ms, 0);
        assert_eq!(r.master_host, None);
    }

    #[test]
    fn replica_info() {
        let info = "run_id:short\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\n\
                    master_link_status:down\r\nmaster_link_down_since_seconds:12\r\n\
                    slave_priority:50\r\nslave_repl_offset:1234\r\nreplica_announced:0\r\n";
        let r = InfoReport::parse(info);
        assert_eq!(r.run_id, None, "a run_id line shorter than 47 bytes is ignored");
        assert_eq!(r.role, Some(Role::Replica));
        assert_eq!(r.master_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.master_port, Some(7000));
        assert_eq!(r.master_link_up, Some(false));
        assert_eq!(r.master_link_down_ms, 12_000);
        assert_eq!(r.slave_priority, Some(50));
        assert_eq!(r.slave_repl_offset, Some(1234));
        assert_eq!(r.replica_announced, Some(false));
    }

    #[test]
    fn replica_fields_before_role_line_are_ignored() {
        let r = InfoReport::parse("master_host:1.2.3.4\r\nrole:slave\r\nmaster_port:9\r\n");
        assert_eq!(r.master_host, None);
        assert_eq!(r.master_port, Some(9));
    }

    #[test]
    fn atoi_is_lenient() {
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("-5"), -5);
    }
}
