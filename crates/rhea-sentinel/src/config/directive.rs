//! One `sentinel …` directive applied to a [`SentinelConfig`], after 7.0.15's
//! `sentinelHandleConfiguration`, with its error texts word for word.
//!
//! The quirks are Redis's and kept on purpose: numbers are read with `atoi`/`strtoull`
//! (trailing junk ignored), `parallel-syncs` accepts any `int`, an empty `announce-ip`,
//! `sentinel-user` or `sentinel-pass` is ignored rather than clearing the value, the old
//! four-argument `known-sentinel` form (no run id) is accepted and ignored, and a
//! wrong argument count is "Unrecognized sentinel configuration statement.".

use super::access::executable;
use super::addr::{self, AddrError, Resolve};
use super::cnum::{atoi, strlen, strtoull, yesno};
use super::model::{KnownSentinel, MasterConfig, SentinelConfig};

/// `CONFIG_RUN_ID_SIZE`.
pub const MYID_LEN: usize = 40;

pub(crate) const NO_SUCH_MASTER: &str = "No such master with specified name.";
const UNRECOGNIZED: &str = "Unrecognized sentinel configuration statement.";

/// Directives `queueSentinelConfig` applies before every `monitor` line
/// (`preMonitorCfgName`), so that they are in effect whatever their position in the file.
const PRE_MONITOR: &[&str] = &[
    "announce-ip",
    "announce-port",
    "deny-scripts-reconfig",
    "sentinel-user",
    "sentinel-pass",
    "current-epoch",
    "myid",
    "resolve-hostnames",
    "announce-hostnames",
];

/// The pass of `loadSentinelConfigFromQueue` a directive belongs to: 0 before the
/// `monitor` lines, 1 the `monitor` lines, 2 everything else.
pub(crate) fn pass(name: &[u8]) -> u8 {
    if name.eq_ignore_ascii_case(b"monitor") {
        1
    } else if PRE_MONITOR.iter().any(|p| name.eq_ignore_ascii_case(p.as_bytes())) {
        0
    } else {
        2
    }
}

fn text(arg: &[u8]) -> String {
    let end = arg.iter().position(|&c| c == 0).unwrap_or(arg.len());
    String::from_utf8_lossy(&arg[..end]).into_owned()
}

/// `sentinelCheckCreateInstanceErrors` for an address error.
fn addr_error(e: AddrError) -> &'static str {
    match e {
        AddrError::InvalidPort => "Invalid port number.",
        AddrError::Unresolved => "Can't resolve instance hostname.",
    }
}

/// `sentinelHandleConfiguration`: apply `argv` (the words after `sentinel`) to `cfg`, or
/// return Redis's reason for refusing it.
pub(crate) fn apply(
    cfg: &mut SentinelConfig,
    argv: &[Vec<u8>],
    resolver: &dyn Resolve,
) -> Result<(), &'static str> {
    let Some(name) = argv.first() else {
        return Err(UNRECOGNIZED);
    };
    let name = name.to_ascii_lowercase();
    let name = std::str::from_utf8(&name).unwrap_or("");
    let argc = argv.len();
    let resolve = cfg.resolve_hostnames;
    match (name, argc) {
        ("monitor", 5) => {
            let quorum = atoi(&argv[4]);
            if quorum <= 0 {
                return Err("Quorum must be 1 or greater.");
            }
            let (host, port) = (text(&argv[2]), atoi(&argv[3]));
            addr::check(&host, port, resolve, resolver).map_err(addr_error)?;
            let master = text(&argv[1]);
            if cfg.masters.iter().any(|m| m.name == master) {
                return Err("Duplicate master name.");
            }
            cfg.masters.push(MasterConfig::new(&master, &host, port as u16, quorum as u32));
        }
        ("down-after-milliseconds", 3) => {
            let v = atoi(&argv[2]);
            let m = master(cfg, &argv[1])?;
            if v <= 0 {
                return Err("negative or zero time parameter.");
            }
            m.down_after_ms = v as u64;
        }
        ("failover-timeout", 3) => {
            let v = atoi(&argv[2]);
            let m = master(cfg, &argv[1])?;
            if v <= 0 {
                return Err("negative or zero time parameter.");
            }
            m.failover_timeout_ms = v as u64;
        }
        // Any `int`, negative included; kept bit for bit (the rewrite prints it back as
        // an `int`).
        ("parallel-syncs", 3) => master(cfg, &argv[1])?.parallel_syncs = atoi(&argv[2]) as u32,
        ("notification-script", 3) => {
            let m = master(cfg, &argv[1])?;
            let path = text(&argv[2]);
            if !executable(&path) {
                return Err("Notification script seems non existing or non executable.");
            }
            m.notification_script = Some(path);
        }
        ("client-reconfig-script", 3) => {
            let m = master(cfg, &argv[1])?;
            let path = text(&argv[2]);
            if !executable(&path) {
                return Err("Client reconfiguration script seems non existing or non executable.");
            }
            m.client_reconfig_script = Some(path);
        }
        ("auth-pass", 3) => master(cfg, &argv[1])?.auth_pass = Some(text(&argv[2])),
        ("auth-user", 3) => master(cfg, &argv[1])?.auth_user = Some(text(&argv[2])),
        ("current-epoch", 2) => cfg.current_epoch = cfg.current_epoch.max(strtoull(&argv[1])),
        ("myid", 2) => {
            if strlen(&argv[1]) != MYID_LEN {
                return Err("Malformed Sentinel id in myid option.");
            }
            cfg.myid = Some(text(&argv[1]));
        }
        ("config-epoch", 3) => {
            let epoch = strtoull(&argv[2]);
            master(cfg, &argv[1])?.config_epoch = epoch;
            // Redis keeps this "for redundancy": current-epoch is persisted anyway.
            cfg.current_epoch = cfg.current_epoch.max(epoch);
        }
        ("leader-epoch", 3) => master(cfg, &argv[1])?.leader_epoch = strtoull(&argv[2]),
        ("known-slave" | "known-replica", 4) => {
            let announce = cfg.announce_hostnames;
            let m = master(cfg, &argv[1])?;
            let (host, port) = (text(&argv[2]), atoi(&argv[3]));
            let ip = addr::check(&host, port, resolve, resolver).map_err(addr_error)?;
            let port = port as u16;
            // The replica table is keyed by `announceSentinelAddrAndPort`.
            let key =
                |h: &str, ip: String| addr::name_with_port(if announce { h } else { &ip }, port);
            let new_key = key(&host, ip);
            let duplicate = m.known_replicas.iter().any(|(h, p)| {
                *p == port
                    && key(h, addr::resolve_ip(h, resolve, resolver).unwrap_or_default()) == new_key
            });
            if duplicate {
                return Err("Duplicate hostname and port for replica.");
            }
            m.known_replicas.push((host, port));
        }
        // The old form without a run id is accepted and ignored.
        ("known-sentinel", 4) => {}
        ("known-sentinel", 5) => {
            let m = master(cfg, &argv[1])?;
            let (host, port) = (text(&argv[2]), atoi(&argv[3]));
            addr::check(&host, port, resolve, resolver).map_err(addr_error)?;
            // The sentinel table is keyed by run id.
            let runid = text(&argv[4]);
            if m.known_sentinels.iter().any(|s| s.runid == runid) {
                return Err("Duplicate runid for sentinel.");
            }
            m.known_sentinels.push(KnownSentinel { host, port: port as u16, runid });
        }
        ("rename-command", 4) => {
            let m = master(cfg, &argv[1])?;
            let (from, to) = (text(&argv[2]), text(&argv[3]));
            // `renamedCommandsDictType` compares command names case-insensitively.
            if m.renamed_commands.iter().any(|(f, _)| f.eq_ignore_ascii_case(&from)) {
                return Err("Same command renamed multiple times with rename-command.");
            }
            m.renamed_commands.push((from, to));
        }
        ("announce-ip", 2) => {
            if strlen(&argv[1]) > 0 {
                cfg.announce_ip = Some(text(&argv[1]));
            }
        }
        ("announce-port", 2) => {
            // Redis stores any `int`; Rhea's model holds a port. SENTINEL CONFIG SET
            // refuses the same values, so only a hand-written file can meet this.
            let port = atoi(&argv[1]);
            cfg.announce_port = u16::try_from(port)
                .map_err(|_| "announce-port must be between 0 and 65535 (Rhea)")?;
        }
        ("deny-scripts-reconfig", 2) => {
            cfg.deny_scripts_reconfig = yesno(&argv[1])
                .ok_or("Please specify yes or no for the deny-scripts-reconfig options.")?;
        }
        ("sentinel-user", 2) => {
            if strlen(&argv[1]) > 0 {
                cfg.sentinel_user = Some(text(&argv[1]));
            }
        }
        ("sentinel-pass", 2) => {
            if strlen(&argv[1]) > 0 {
                cfg.sentinel_pass = Some(text(&argv[1]));
            }
        }
        ("resolve-hostnames", 2) => {
            cfg.resolve_hostnames = yesno(&argv[1])
                .ok_or("Please specify yes or no for the resolve-hostnames option.")?;
        }
        ("announce-hostnames", 2) => {
            cfg.announce_hostnames = yesno(&argv[1])
                .ok_or("Please specify yes or no for the announce-hostnames option.")?;
        }
        ("master-reboot-down-after-period", 3) => {
            let v = atoi(&argv[2]);
            let m = master(cfg, &argv[1])?;
            if v < 0 {
                return Err("negative time parameter.");
            }
            m.master_reboot_down_after_ms = v as u64;
        }
        _ => return Err(UNRECOGNIZED),
    }
    Ok(())
}

/// `sentinelGetMasterByName` (names are case-sensitive).
fn master<'a>(
    cfg: &'a mut SentinelConfig,
    name: &[u8],
) -> Result<&'a mut MasterConfig, &'static str> {
    let name = text(name);
    cfg.masters.iter_mut().find(|m| m.name == name).ok_or(NO_SUCH_MASTER)
}

#[cfg(test)]
mod tests {
    use super::super::addr::SystemResolver;
    use super::*;

    fn run(lines: &[&str]) -> Result<SentinelConfig, &'static str> {
        let mut cfg = SentinelConfig::default();
        for l in lines {
            let argv: Vec<Vec<u8>> = l.split(' ').map(|w| w.as_bytes().to_vec()).collect();
            apply(&mut cfg, &argv, &SystemResolver)?;
        }
        Ok(cfg)
    }

    #[test]
    fn monitor_and_options() {
        let c = run(&[
            "monitor m 127.0.0.1 6379 2",
            "down-after-milliseconds m 5000ms",
            "parallel-syncs m -1",
            "config-epoch m 7",
            "known-replica m 127.0.0.1 6380",
            "known-slave m 127.0.0.1 6381",
            "known-sentinel m 127.0.0.1 26380",
            "known-sentinel m 127.0.0.1 26380 abc",
            "rename-command m CONFIG xconfig",
        ])
        .unwrap();
        let m = &c.masters[0];
        assert_eq!((m.port, m.quorum, m.down_after_ms), (6379, 2, 5000));
        assert_eq!(m.parallel_syncs as i32, -1);
        assert_eq!(c.current_epoch, 7);
        assert_eq!(m.known_replicas.len(), 2);
        assert_eq!(m.known_sentinels.len(), 1);
    }

    #[test]
    fn errors_in_redis_words() {
        let e = |l: &[&str]| run(l).unwrap_err();
        assert_eq!(e(&["monitor m 127.0.0.1 6379 0"]), "Quorum must be 1 or greater.");
        assert_eq!(e(&["monitor m localhost 6379 1"]), "Can't resolve instance hostname.");
        assert_eq!(e(&["monitor m 127.0.0.1 65536 1"]), "Invalid port number.");
        assert_eq!(
            e(&["monitor m 1.2.3.4 1 1", "monitor m 1.2.3.4 2 1"]),
            "Duplicate master name."
        );
        assert_eq!(e(&["down-after-milliseconds x 1"]), NO_SUCH_MASTER);
        assert_eq!(e(&["myid abc"]), "Malformed Sentinel id in myid option.");
        assert_eq!(e(&["monitor m 1.2.3.4 1"]), UNRECOGNIZED);
        assert_eq!(e(&["frobnicate"]), UNRECOGNIZED);
        assert_eq!(
            e(&["monitor m 1.2.3.4 1 1", "known-replica m 1.2.3.4 5", "known-replica m 1.2.3.4 5"]),
            "Duplicate hostname and port for replica."
        );
        assert_eq!(
            e(&["monitor m 1.2.3.4 1 1", "rename-command m a b", "rename-command m A c"]),
            "Same command renamed multiple times with rename-command."
        );
    }

    #[test]
    fn passes() {
        assert_eq!(pass(b"MYID"), 0);
        assert_eq!(pass(b"Monitor"), 1);
        assert_eq!(pass(b"known-replica"), 2);
    }
}
