//! # rhea: the multi-call binary
//!
//! Dispatch on argv[0]'s base name (`redis-server`) or on the first argument
//! (`rhea server …`), like Redis's own `redis-sentinel`/`redis-check-rdb` symlinks.
//! Later roles (proxy, vrrp) plug in here. `rhea-sentinel` builds on `rhea-server`
//! (Sentinel is a server mode, as in Redis); the other role crates stay independent.

use std::process::ExitCode;

mod check_rdb;

/// Every heap allocation is counted, so INFO's `used_memory` and `maxmemory` see the
/// bytes the process holds (Redis's zmalloc). Installed here, in the binary, so that
/// library crates and their unit tests keep the plain system allocator.
#[global_allocator]
static ALLOC: rhea_sys::CountingAlloc = rhea_sys::CountingAlloc;

const USAGE: &str = "\
rhea: the classic highly-available Redis stack in one binary

Usage:
  rhea server [redis.conf] [--directive value]...   a Redis 7.0-compatible server
  rhea sentinel sentinel.conf [--directive value]...  Redis Sentinel 7.0
  rhea check-rdb FILE                               verify an RDB file (redis-check-rdb)
  rhea --help                                       this text
  rhea --version

Started as `redis-server`, `redis-sentinel` or `redis-check-rdb` (a symlink), it
behaves as `rhea server`, `rhea sentinel` or `rhea check-rdb`; like redis-server,
`rhea server sentinel.conf --sentinel` starts a sentinel.
Run `rhea server --help` for the server's own options.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let argv0 = argv.first().map(String::as_str).unwrap_or("rhea");
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    // Redis's `checkForSentinelMode`: the name redis-sentinel, or `--sentinel` anywhere.
    let sentinel_flag = argv.iter().skip(1).any(|a| a == "--sentinel");
    let code = match base {
        "redis-sentinel" => rhea_sentinel::process::main(&without_flag(&argv[1..])),
        "redis-server" if sentinel_flag => rhea_sentinel::process::main(&without_flag(&argv[1..])),
        "redis-server" => rhea_server::server::main(&argv[1..]),
        "redis-check-rdb" => check_rdb::main(argv0, &argv[1..]),
        _ => match argv.get(1).map(String::as_str) {
            Some("sentinel") => rhea_sentinel::process::main(&without_flag(&argv[2..])),
            Some("server") if sentinel_flag => {
                rhea_sentinel::process::main(&without_flag(&argv[2..]))
            }
            Some("server") => rhea_server::server::main(&argv[2..]),
            Some("check-rdb") => check_rdb::main("rhea check-rdb", &argv[2..]),
            Some("--version") | Some("-v") => {
                println!(
                    "rhea {} (redis {})",
                    env!("CARGO_PKG_VERSION"),
                    rhea_server::REDIS_VERSION
                );
                0
            }
            Some("--help") | Some("-h") | None => {
                print!("{USAGE}");
                0
            }
            Some(other) => {
                eprintln!("rhea: unknown role '{other}'\n\n{USAGE}");
                2
            }
        },
    };
    ExitCode::from(code as u8)
}

/// The arguments without `--sentinel` (it selects the role, it is not a directive).
fn without_flag(args: &[String]) -> Vec<String> {
    args.iter().filter(|a| *a != "--sentinel").cloned().collect()
}
