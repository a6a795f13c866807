//! Listening sockets: TCP on every `bind` address (Redis's `* -::*` default: all IPv4,
//! and IPv6 if available) and the optional Unix socket with its permissions.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use tokio::net::{TcpListener, UnixListener};

use super::conn::{self, Peer};
use crate::engine::{Event, Shared};

/// A bind address from the config; a leading `-` makes failure to bind non-fatal.
pub struct BindSpec {
    pub addr: String,
    pub optional: bool,
}

pub fn parse_bind(list: &[String]) -> Vec<BindSpec> {
    list.iter()
        .map(|a| match a.strip_prefix('-') {
            Some(rest) => BindSpec { addr: rest.to_string(), optional: true },
            None => BindSpec { addr: a.clone(), optional: false },
        })
        .collect()
}

/// Bind one TCP address like `anetTcpServer`: SO_REUSEADDR, IPV6_V6ONLY for v6,
/// backlog `tcp-backlog`.
pub fn bind_tcp(addr: &str, port: u16, backlog: i32) -> std::io::Result<std::net::TcpListener> {
    let ip: IpAddr = match addr {
        "*" => "0.0.0.0".parse().expect("literal"),
        "::*" => "::".parse().expect("literal"),
        other => other.parse().map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "Invalid argument")
        })?,
    };
    let sa = SocketAddr::new(ip, port);
    let sock = Socket::new(Domain::for_address(sa), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if sa.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.bind(&sa.into())?;
    sock.listen(backlog)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `ip:port`, with IPv6 addresses in brackets (`anetFormatAddr`).
pub fn format_addr(sa: &SocketAddr) -> String {
    match sa {
        SocketAddr::V4(v4) => format!("{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

pub async fn accept_tcp(
    listener: TcpListener,
    engine: Sender<Event>,
    shared: Arc<Shared>,
    keepalive: u64,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                crate::warning!("Accepting client connection: {}", e);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if keepalive > 0 {
            let ka = TcpKeepalive::new().with_time(Duration::from_secs(keepalive));
            let _ = SockRef::from(&stream).set_tcp_keepalive(&ka);
        }
        let local = stream.local_addr().map(|a| format_addr(&a)).unwrap_or_default();
        let info = Peer {
            addr: format_addr(&peer),
            laddr: local,
            fd: stream.as_raw_fd(),
            is_unix: false,
            is_local: is_loopback(peer.ip()),
        };
        tokio::spawn(conn::run(stream, info, engine.clone(), shared.clone()));
    }
}

pub async fn accept_unix(
    listener: UnixListener,
    path: String,
    engine: Sender<Event>,
    shared: Arc<Shared>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                crate::warning!("Accepting client connection: {}", e);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let info = Peer {
            addr: format!("{path}:0"),
            laddr: format!("{path}:0"),
            fd: stream.as_raw_fd(),
            is_unix: true,
            is_local: true,
        };
        tokio::spawn(conn::run(stream, info, engine.clone(), shared.clone()));
    }
}
