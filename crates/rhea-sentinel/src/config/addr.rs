//! Instance addresses as Sentinel checks and prints them (`createSentinelAddr`,
//! `anetResolve`, `announceSentinelAddr`, `announceSentinelAddrAndPort`).
//!
//! Redis keeps two strings per address: the hostname as written and the IP it resolved
//! to. With `resolve-hostnames no` (the default) only numeric hosts are accepted
//! (`getaddrinfo` with `AI_NUMERICHOST`, so glibc's `inet_aton` forms such as `127.1`
//! count), and the IP is the canonical `inet_ntop` text. Everything Sentinel writes uses
//! the IP unless `announce-hostnames yes`. The model keeps the host as written; these
//! functions derive the rest.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// Name resolution for `resolve-hostnames yes`. Returns the first address as text.
pub trait Resolve {
    fn resolve(&self, host: &str) -> Option<IpAddr>;
}

/// The system resolver (`getaddrinfo` with `AF_UNSPEC`, `SOCK_STREAM`, first result, as
/// `anetResolve`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str) -> Option<IpAddr> {
        (host, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
    }
}

/// A resolver the Sentinel core holds and clones: the system's by default, a fixed table
/// in tests (DNS is the one outside service Sentinel depends on).
#[derive(Clone)]
pub struct SharedResolver(pub std::sync::Arc<dyn Resolve + Send + Sync>);

impl Default for SharedResolver {
    fn default() -> Self {
        SharedResolver(std::sync::Arc::new(SystemResolver))
    }
}

impl std::fmt::Debug for SharedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedResolver")
    }
}

impl Resolve for SharedResolver {
    fn resolve(&self, host: &str) -> Option<IpAddr> {
        self.0.resolve(host)
    }
}

/// Why `createSentinelAddr` refused an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddrError {
    /// `EINVAL`: the port is outside 0..=65535.
    InvalidPort,
    /// `ENOENT`: not an IP (or not resolvable with `resolve-hostnames yes`).
    Unresolved,
}

/// `createSentinelAddr(host, port, accept_unresolved = 1)` as the config loader calls it:
/// the resolved IP text, or `""` for an unresolvable name with `resolve-hostnames yes`.
pub(crate) fn check(
    host: &str,
    port: i32,
    resolve_hostnames: bool,
    resolver: &dyn Resolve,
) -> Result<String, AddrError> {
    if !(0..=65535).contains(&port) {
        return Err(AddrError::InvalidPort);
    }
    match resolve_ip(host, resolve_hostnames, resolver) {
        Some(ip) => Ok(ip),
        None if resolve_hostnames => Ok(String::new()),
        None => Err(AddrError::Unresolved),
    }
}

/// `anetResolve`: the IP text of `host`, numeric hosts only unless `resolve_hostnames`.
pub(crate) fn resolve_ip(
    host: &str,
    resolve_hostnames: bool,
    resolver: &dyn Resolve,
) -> Option<String> {
    match numeric_host(host) {
        Some(ip) => Some(ip_text(ip)),
        None if resolve_hostnames => resolver.resolve(host).map(ip_text),
        None => None,
    }
}

/// What a rewritten line says for `host` (`announceSentinelAddr`): the host as written
/// with `announce-hostnames yes`, else its IP (`""` if it cannot be resolved, as Redis
/// stores an unresolved address).
pub(crate) fn announced(
    host: &str,
    resolve_hostnames: bool,
    announce_hostnames: bool,
    resolver: &dyn Resolve,
) -> String {
    if announce_hostnames {
        return host.to_string();
    }
    resolve_ip(host, resolve_hostnames, resolver).unwrap_or_default()
}

/// The address a rewritten line (or any announcement) shows for `host` under the
/// settings of `cfg`: the IP unless `announce-hostnames yes`.
pub fn announced_host(
    cfg: &super::model::SentinelConfig,
    host: &str,
    resolver: &dyn Resolve,
) -> String {
    announced(host, cfg.resolve_hostnames, cfg.announce_hostnames, resolver)
}

/// `announceSentinelAddrAndPort`: the name of a replica (`ip:port`, `[v6]:port`), which
/// is also what makes two `known-replica` lines duplicates.
pub(crate) fn name_with_port(addr: &str, port: u16) -> String {
    if addr.contains(':') { format!("[{addr}]:{port}") } else { format!("{addr}:{port}") }
}

/// `getaddrinfo(host, AI_NUMERICHOST)` on glibc: `inet_aton` for IPv4 (the whole string),
/// `inet_pton` for IPv6 with an optional numeric `%scope` (dropped by `inet_ntop`).
pub(crate) fn numeric_host(host: &str) -> Option<IpAddr> {
    if let Some(v4) = inet_aton(host.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    let (addr, scope) = match host.split_once('%') {
        Some((a, s)) => (a, Some(s)),
        None => (host, None),
    };
    if scope.is_some_and(|s| s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// glibc `inet_aton` (the exact form `getaddrinfo` uses): one to four parts, each
/// decimal, `0`-prefixed octal or `0x` hex; the last part fills the remaining bytes.
fn inet_aton(s: &[u8]) -> Option<Ipv4Addr> {
    let mut parts: Vec<u32> = Vec::with_capacity(4);
    let mut i = 0;
    loop {
        if !s.get(i)?.is_ascii_digit() {
            return None;
        }
        let mut base = 10;
        if s[i] == b'0' {
            base = 8;
            i += 1;
            if matches!(s.get(i), Some(b'x' | b'X')) {
                base = 16;
                i += 1;
            }
        }
        let mut val: u64 = 0;
        while let Some(&c) = s.get(i) {
            let d = match c {
                b'0'..=b'9' if base == 8 && c >= b'8' => return None,
                b'0'..=b'9' => u64::from(c - b'0'),
                b'a'..=b'f' | b'A'..=b'F' if base == 16 => {
                    u64::from(c.to_ascii_lowercase() - b'a' + 10)
                }
                _ => break,
            };
            val = val * base + d;
            if val > 0xffff_ffff {
                return None;
            }
            i += 1;
        }
        parts.push(val as u32);
        match s.get(i) {
            None => break,
            Some(b'.') if parts.len() < 4 => i += 1,
            Some(_) => return None,
        }
    }
    let last = *parts.last()?;
    let head = &parts[..parts.len() - 1];
    if head.iter().any(|&p| p > 0xff) || u64::from(last) >= 1u64 << (8 * (4 - head.len())) {
        return None;
    }
    let mut v = last;
    for (k, &p) in head.iter().enumerate() {
        v |= p << (24 - 8 * k);
    }
    Some(Ipv4Addr::from(v))
}

/// glibc `inet_ntop`. IPv6: the longest run (first on a tie, at least two) of zero words
/// becomes `::`, and an address starting with six zero words, or five and `ffff`, ends
/// in dotted IPv4 (Rust's `Display` only does the latter).
pub(crate) fn ip_text(ip: IpAddr) -> String {
    let v6 = match ip {
        IpAddr::V4(v4) => return v4.to_string(),
        IpAddr::V6(v6) => v6,
    };
    let w = v6.segments();
    let (mut best, mut cur): ((usize, usize), Option<(usize, usize)>) = ((0, 0), None);
    for (i, &x) in w.iter().enumerate() {
        if x == 0 {
            let c = cur.get_or_insert((i, 0));
            c.1 += 1;
            if c.1 > best.1 {
                best = *c;
            }
        } else {
            cur = None;
        }
    }
    let zero_run = (best.1 >= 2).then_some(best);
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = zero_run
            && i == base
        {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += len;
            continue;
        }
        if i == 6
            && let Some((0, len)) = zero_run
            && (len == 6 || (len == 5 && w[5] == 0xffff))
        {
            let o = v6.octets();
            out.push_str(&format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15]));
            return out;
        }
        out.push_str(&format!("{:x}", w[i]));
        if i != 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        numeric_host(s).map(ip_text)
    }

    #[test]
    fn ipv4_forms_getaddrinfo_accepts() {
        assert_eq!(norm("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(norm("127.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(norm("0x7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(norm("010.0.0.1").as_deref(), Some("8.0.0.1"));
        assert_eq!(norm("2130706433").as_deref(), Some("127.0.0.1"));
        assert_eq!(norm("1.2.65535").as_deref(), Some("1.2.255.255"));
        for bad in
            ["1.2.3.4.", "1..2", "256.0.0.1", "09.1.1.1", "1.2.3.4 ", "", "a.b.c.d", "1.2.3.256"]
        {
            assert_eq!(norm(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipv6_like_inet_ntop() {
        assert_eq!(norm("::1").as_deref(), Some("::1"));
        assert_eq!(norm("::").as_deref(), Some("::"));
        assert_eq!(norm("0:0:0:0:0:FFFF:1.2.3.4").as_deref(), Some("::ffff:1.2.3.4"));
        assert_eq!(norm("::1.2.3.4").as_deref(), Some("::1.2.3.4"));
        assert_eq!(norm("1:0:0:2:0:0:0:3").as_deref(), Some("1:0:0:2::3"));
        assert_eq!(norm("1:0:0:2:0:0:3:4").as_deref(), Some("1::2:0:0:3:4"));
        assert_eq!(norm("1:2:3:4:5:6:7:0").as_deref(), Some("1:2:3:4:5:6:7:0"));
        assert_eq!(norm("fe80::1%2").as_deref(), Some("fe80::1"));
        assert_eq!(norm("localhost"), None);
    }

    #[test]
    fn names() {
        assert_eq!(name_with_port("::1", 5), "[::1]:5");
        assert_eq!(name_with_port("1.2.3.4", 5), "1.2.3.4:5");
    }
}
