//! Listening sockets: TCP on every `bind` address (Redis's `* -::*` default: all IPv4,
//! and IPv6 if available) and the optional Unix socket with its permissions.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use super::socket::Stream;

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

/// Who is on the other end of an accepted connection.
pub struct Peer {
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub is_unix: bool,
    /// Loopback TCP or a Unix socket: what protected mode lets through.
    pub is_local: bool,
}

/// A listening socket registered with the engine's poller.
pub enum Listener {
    Tcp { listener: mio::net::TcpListener, keepalive: u64 },
    Unix { listener: mio::net::UnixListener, path: String },
}

impl Listener {
    pub fn tcp(l: std::net::TcpListener, keepalive: u64) -> Listener {
        Listener::Tcp { listener: mio::net::TcpListener::from_std(l), keepalive }
    }

    pub fn unix(l: std::os::unix::net::UnixListener, path: String) -> std::io::Result<Listener> {
        l.set_nonblocking(true)?;
        Ok(Listener::Unix { listener: mio::net::UnixListener::from_std(l), path })
    }

    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Listener::Tcp { listener, .. } => listener,
            Listener::Unix { listener, .. } => listener,
        }
    }

    /// Accept one connection (`WouldBlock` when none is waiting), with Redis's socket
    /// options: TCP_NODELAY and `tcp-keepalive`.
    pub fn accept(&mut self) -> std::io::Result<(Stream, Peer)> {
        match self {
            Listener::Tcp { listener, keepalive } => {
                let (stream, peer) = listener.accept()?;
                let _ = stream.set_nodelay(true);
                if *keepalive > 0 {
                    let ka = TcpKeepalive::new().with_time(Duration::from_secs(*keepalive));
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
                Ok((Stream::Tcp(stream), info))
            }
            Listener::Unix { listener, path } => {
                let (stream, _) = listener.accept()?;
                let info = Peer {
                    addr: format!("{path}:0"),
                    laddr: format!("{path}:0"),
                    fd: stream.as_raw_fd(),
                    is_unix: true,
                    is_local: true,
                };
                Ok((Stream::Unix(stream), info))
            }
        }
    }
}
