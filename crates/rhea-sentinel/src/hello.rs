//! The hello message every sentinel publishes on `__sentinel__:hello` of each master and
//! replica, and sends with PUBLISH to each peer sentinel (`sentinelSendHello`):
//!
//! ```text
//! <s_ip>,<s_port>,<s_myid>,<current_epoch>,<master_name>,<m_ip>,<m_port>,<m_config_epoch>
//! 127.0.0.1,27001,8bcd906d…43e4,0,mymaster,127.0.0.1,7001,0
//! ```
//! A receiver drops a message without exactly 8 fields (`sentinelProcessHelloMessage`);
//! numbers are read like `atoi`/`strtoull`.

use crate::info::atoi;

/// The pub/sub channel of hello messages.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub sentinel_ip: String,
    pub sentinel_port: u16,
    pub sentinel_runid: String,
    pub current_epoch: u64,
    pub master_name: String,
    pub master_ip: String,
    pub master_port: u16,
    pub master_config_epoch: u64,
}

impl Hello {
    pub fn parse(payload: &str) -> Option<Hello> {
        let t: Vec<&str> = payload.split(',').collect();
        if t.len() != 8 {
            return None;
        }
        let epoch = |s: &str| u64::try_from(atoi(s)).unwrap_or(0);
        let port = |s: &str| u16::try_from(atoi(s)).unwrap_or(0);
        Some(Hello {
            sentinel_ip: t[0].to_string(),
            sentinel_port: port(t[1]),
            sentinel_runid: t[2].to_string(),
            current_epoch: epoch(t[3]),
            master_name: t[4].to_string(),
            master_ip: t[5].to_string(),
            master_port: port(t[6]),
            master_config_epoch: epoch(t[7]),
        })
    }

    pub fn format(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.sentinel_ip,
            self.sentinel_port,
            self.sentinel_runid,
            self.current_epoch,
            self.master_name,
            self.master_ip,
            self.master_port,
            self.master_config_epoch
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_observed_payload() {
        let p =
            "127.0.0.1,27001,8bcd906d0d3c8c4a07f2e0bd8f0d9e5b6c7a43e4,0,mymaster,127.0.0.1,7001,0";
        let h = Hello::parse(p).unwrap();
        assert_eq!(h.sentinel_port, 27001);
        assert_eq!(h.master_name, "mymaster");
        assert_eq!(h.master_port, 7001);
        assert_eq!(h.format(), p);
    }

    #[test]
    fn wrong_field_count_is_ignored() {
        assert!(Hello::parse("a,1,id,0,m,1.2.3.4,6379").is_none());
        assert!(Hello::parse("a,1,id,0,m,1.2.3.4,6379,0,extra").is_none());
        assert!(Hello::parse("").is_none());
    }
}
