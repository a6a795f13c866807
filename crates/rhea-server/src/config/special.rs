//! Parameters with their own syntax (Redis's `createSpecialConfig` rows): `dir`, `save`,
//! `client-output-buffer-limit`, `oom-score-adj-values`, `notify-keyspace-events`, `bind`,
//! `replicaof` and `latency-tracking-info-percentiles`. Each has a setter with Redis 7.0's
//! validation and error texts, a CONFIG GET formatter and a CONFIG REWRITE writer.

use std::path::Path;

use rhea_resp::number::parse_f64;
use rhea_resp::split::repr;

use super::kinds::{SaveMode, defaults};
use super::params::Special;
use super::rewrite::RewriteState;
use super::settings::Config;
use super::units::{cstr, format_memory, format_trimmed_f64, memtoull, strerror, strtoll};

/// `CONFIG_BINDADDR_MAX`.
const BIND_ADDR_MAX: usize = 16;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn set(
    cfg: &mut Config,
    s: Special,
    args: &[Vec<u8>],
    mode: SaveMode,
) -> Result<(), String> {
    match s {
        Special::Dir => set_dir(cfg, args),
        Special::Save => set_save(cfg, args, mode),
        Special::ClientOutputBufferLimit => set_obuf_limits(cfg, args),
        Special::OomScoreAdjValues => set_oom_values(cfg, args),
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            cfg.notify_keyspace_events = notify::parse(cstr(&args[0]))
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Ok(())
        }
        Special::Bind => {
            if args.len() > BIND_ADDR_MAX {
                return Err("Too many bind addresses specified.".into());
            }
            let args = if args.len() == 1 && args[0].is_empty() { &[][..] } else { args };
            cfg.bind = args.iter().map(|a| lossy(cstr(a))).collect();
            Ok(())
        }
        Special::ReplicaOf => set_replicaof(cfg, args),
        Special::LatencyPercentiles => set_percentiles(cfg, args),
    }
}

/// `setConfigDirOption`. Redis `chdir`s here; we check that a `chdir` would succeed
/// (same `strerror` texts) and store the physical absolute path, which is what Redis's
/// `getcwd` then reports. A relative path is taken from the current `dir`.
fn set_dir(cfg: &mut Config, args: &[Vec<u8>]) -> Result<(), String> {
    if args.len() != 1 {
        return Err("wrong number of arguments".into());
    }
    let arg = cstr(&args[0]);
    if arg.is_empty() {
        return Err("No such file or directory".into());
    }
    let target = Path::new(&cfg.dir).join(lossy(arg));
    std::fs::metadata(target.join(".")).map_err(|e| strerror(&e))?;
    let real = std::fs::canonicalize(&target).map_err(|e| strerror(&e))?;
    cfg.dir = real.to_string_lossy().into_owned();
    Ok(())
}

/// `setConfigSaveOption`: pairs of seconds (>= 1) and changes (>= 0); a single `""`
/// means none. Numbers go through `strtoll`, so `+60` is fine and `""` reads as 0.
fn set_save(cfg: &mut Config, args: &[Vec<u8>], mode: SaveMode) -> Result<(), String> {
    const INVALID: &str = "Invalid save parameters";
    // A single `""` empties the list even in the middle of a config file.
    let args = if args.len() == 1 && cstr(&args[0]).is_empty() {
        cfg.save_points.clear();
        &[][..]
    } else {
        args
    };
    if args.len() % 2 == 1 {
        return Err(INVALID.into());
    }
    let mut values = Vec::with_capacity(args.len());
    for (j, a) in args.iter().enumerate() {
        let r = strtoll(a, 10);
        if !r.complete || (j % 2 == 0 && r.value < 1) || (j % 2 == 1 && r.value < 0) {
            return Err(INVALID.into());
        }
        values.push(r.value);
    }
    if mode == SaveMode::Replace {
        cfg.save_points.clear();
    }
    // Redis stores `changes` in an int.
    cfg.save_points.extend(values.chunks(2).map(|c| (c[0] as u64, i64::from(c[1] as i32))));
    Ok(())
}

/// `getClientTypeByName`, minus `master` (which the limits do not apply to).
fn obuf_class(name: &[u8]) -> Option<usize> {
    let name = cstr(name).to_ascii_lowercase();
    match name.as_slice() {
        b"normal" => Some(0),
        b"slave" | b"replica" => Some(1),
        b"pubsub" => Some(2),
        _ => None,
    }
}

/// `updateClientOutputBufferLimit`: groups of `<class> <hard> <soft> <soft seconds>`, all
/// validated before any is applied.
fn set_obuf_limits(cfg: &mut Config, args: &[Vec<u8>]) -> Result<(), String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut updates = Vec::new();
    for g in args.chunks(4) {
        let class = obuf_class(&g[0])
            .ok_or("Invalid client class specified in buffer limit configuration.")?;
        let secs = strtoll(&g[3], 10);
        let seconds = secs.value as i32;
        match (memtoull(&g[1]), memtoull(&g[2])) {
            (Some(hard), Some(soft)) if seconds >= 0 && secs.complete => {
                updates.push((class, hard, soft, seconds as u64))
            }
            _ => {
                return Err("Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                    .into());
            }
        }
    }
    for (class, hard, soft, seconds) in updates {
        let l = cfg.client_output_buffer_limit.class_mut(class);
        (l.hard_bytes, l.soft_bytes, l.soft_seconds) = (hard, soft, seconds);
    }
    Ok(())
}

fn set_oom_values(cfg: &mut Config, args: &[Vec<u8>]) -> Result<(), String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut values = [0i32; 3];
    for (v, a) in values.iter_mut().zip(args) {
        let r = strtoll(a, 10);
        if !r.complete || !(-2000..=2000).contains(&r.value) {
            return Err(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into()
            );
        }
        *v = r.value as i32;
    }
    cfg.oom_score_adj_values = values;
    Ok(())
}

/// `setConfigReplicaOfOption`: `<host> <port>` or `no one`. The port goes through
/// `strtol` into an `int`, so out-of-range numbers wrap before the range check, as in
/// Redis.
fn set_replicaof(cfg: &mut Config, args: &[Vec<u8>]) -> Result<(), String> {
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    if cstr(&args[0]).eq_ignore_ascii_case(b"no") && cstr(&args[1]).eq_ignore_ascii_case(b"one") {
        cfg.replicaof = None;
        return Ok(());
    }
    let r = strtoll(&args[1], 10);
    let port = r.value as i32;
    if !(0..=65535).contains(&port) || !r.complete {
        return Err("Invalid master port".into());
    }
    cfg.replicaof = Some((lossy(cstr(&args[0])), port as u16));
    Ok(())
}

fn set_percentiles(cfg: &mut Config, args: &[Vec<u8>]) -> Result<(), String> {
    let args = if args.len() == 1 && args[0].is_empty() { &[][..] } else { args };
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let v = parse_f64(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        values.push(v);
    }
    cfg.latency_tracking_info_percentiles = values;
    Ok(())
}

/// The value as CONFIG GET shows it.
pub(crate) fn get(cfg: &Config, s: Special) -> Vec<u8> {
    match s {
        Special::Dir => cfg.dir.clone().into_bytes(),
        Special::Save => {
            let parts: Vec<String> =
                cfg.save_points.iter().map(|(s, c)| format!("{s} {c}")).collect();
            parts.join(" ").into_bytes()
        }
        Special::ClientOutputBufferLimit => {
            let parts: Vec<String> = ["normal", "slave", "pubsub"]
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let l = cfg.client_output_buffer_limit.class(i);
                    format!("{name} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds)
                })
                .collect();
            parts.join(" ").into_bytes()
        }
        Special::OomScoreAdjValues => {
            let v = cfg.oom_score_adj_values;
            format!("{} {} {}", v[0], v[1], v[2]).into_bytes()
        }
        Special::NotifyKeyspaceEvents => notify::format(cfg.notify_keyspace_events).into_bytes(),
        Special::Bind => cfg.bind.join(" ").into_bytes(),
        Special::ReplicaOf => match &cfg.replicaof {
            Some((host, port)) => format!("{host} {port}").into_bytes(),
            None => Vec::new(),
        },
        Special::LatencyPercentiles => {
            let parts: Vec<String> = cfg
                .latency_tracking_info_percentiles
                .iter()
                .map(|v| format_trimmed_f64(*v))
                .collect();
            parts.join(" ").into_bytes()
        }
    }
}

/// The CONFIG REWRITE lines, after Redis's `rewriteConfig*Option` for each.
pub(crate) fn rewrite(cfg: &Config, s: Special, name: &'static str, st: &mut RewriteState) {
    match s {
        Special::Dir => st.line(name, format!("{name} {}", repr(cfg.dir.as_bytes())), true),
        // `rewriteConfigSaveOption`: Sentinel never saves, so it leaves `save` alone.
        Special::Save if st.sentinel_mode => st.mark(name),
        Special::Save => {
            if cfg.save_points.is_empty() {
                st.line(name, "save \"\"".into(), true);
            }
            for (secs, changes) in &cfg.save_points {
                st.line(name, format!("save {secs} {changes}"), true);
            }
            st.mark(name);
        }
        Special::ClientOutputBufferLimit => {
            let defaults = &defaults().client_output_buffer_limit;
            for (i, class) in ["normal", "replica", "pubsub"].iter().enumerate() {
                let l = cfg.client_output_buffer_limit.class(i);
                let line = format!(
                    "{name} {class} {} {} {}",
                    format_memory(l.hard_bytes as i64),
                    format_memory(l.soft_bytes as i64),
                    l.soft_seconds
                );
                st.line(name, line, l != defaults.class(i));
            }
        }
        Special::OomScoreAdjValues => {
            let v = cfg.oom_score_adj_values;
            let force = v != defaults().oom_score_adj_values;
            st.line(name, format!("{name} {} {} {}", v[0], v[1], v[2]), force);
        }
        Special::NotifyKeyspaceEvents => {
            let flags = notify::format(cfg.notify_keyspace_events);
            st.line(
                name,
                format!("{name} {}", repr(flags.as_bytes())),
                cfg.notify_keyspace_events != 0,
            );
        }
        Special::Bind => {
            if cfg.bind == defaults().bind {
                st.mark(name);
            } else if cfg.bind.is_empty() {
                st.line(name, format!("{name} \"\""), true);
            } else {
                st.line(name, format!("{name} {}", cfg.bind.join(" ")), true);
            }
        }
        Special::ReplicaOf => match &cfg.replicaof {
            None => st.mark(name),
            Some((host, port)) => st.line(name, format!("{name} {host} {port}"), true),
        },
        Special::LatencyPercentiles => {
            let mut line = name.to_string();
            if cfg.latency_tracking_info_percentiles.is_empty() {
                line.push_str(" \"\"");
            }
            for v in &cfg.latency_tracking_info_percentiles {
                line.push(' ');
                line.push_str(&format_trimmed_f64(*v));
            }
            st.line(name, line, true);
        }
    }
}

/// `notify-keyspace-events` class letters (`keyspaceEventsStringToFlags` and back).
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// `A`: every class except key-miss (`m`) and new-key (`n`) events.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    const LETTERS: &[(u8, u32)] = &[
        (b'g', GENERIC),
        (b'$', STRING),
        (b'l', LIST),
        (b's', SET),
        (b'h', HASH),
        (b'z', ZSET),
        (b'x', EXPIRED),
        (b'e', EVICTED),
        (b't', STREAM),
        (b'd', MODULE),
        (b'n', NEW),
    ];

    /// The bit of one event-class letter as passed to `notifyKeyspaceEvent` (0 if none).
    pub fn class_bit(class: char) -> u32 {
        let c = class as u32;
        LETTERS
            .iter()
            .find(|(l, _)| u32::from(*l) == c)
            .map_or(if class == 'm' { KEY_MISS } else { 0 }, |(_, bit)| *bit)
    }

    /// Flags from class letters; `None` for an unknown letter.
    pub fn parse(s: &[u8]) -> Option<u32> {
        let mut flags = 0;
        for &c in s {
            flags |= match c {
                b'A' => ALL,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b'm' => KEY_MISS,
                c => LETTERS.iter().find(|(l, _)| *l == c)?.1,
            };
        }
        Some(flags)
    }

    /// The canonical letters CONFIG GET shows: `A` when every class of `A` is on (and
    /// then no `n`, a Redis quirk), else each class, then `K`, `E`, `m`.
    pub fn format(flags: u32) -> String {
        let mut s = String::new();
        if flags & ALL == ALL {
            s.push('A');
        } else {
            for (l, bit) in LETTERS {
                if flags & bit != 0 {
                    s.push(*l as char);
                }
            }
        }
        for (l, bit) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', KEY_MISS)] {
            if flags & bit != 0 {
                s.push(l);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn save_points() {
        let mut c = Config::default();
        set_save(&mut c, &args(&["60", "1"]), SaveMode::Replace).unwrap();
        set_save(&mut c, &args(&["+30", ""]), SaveMode::Append).unwrap();
        assert_eq!(get(&c, Special::Save), b"60 1 30 0");
        set_save(&mut c, &args(&[""]), SaveMode::Replace).unwrap();
        assert!(c.save_points.is_empty());
        assert!(set_save(&mut c, &args(&["0", "1"]), SaveMode::Replace).is_err());
        assert!(set_save(&mut c, &args(&["60"]), SaveMode::Replace).is_err());
        set_save(&mut c, &args(&["60", "4294967295"]), SaveMode::Replace).unwrap();
        assert_eq!(get(&c, Special::Save), b"60 -1");
    }

    #[test]
    fn output_buffer_limits() {
        let mut c = Config::default();
        set_obuf_limits(&mut c, &args(&["replica", "1mb", "2k", "3"])).unwrap();
        assert_eq!(
            get(&c, Special::ClientOutputBufferLimit),
            b"normal 0 0 0 slave 1048576 2000 3 pubsub 33554432 8388608 60"
        );
        assert!(
            set_obuf_limits(&mut c, &args(&["master", "1", "2", "3"]))
                .unwrap_err()
                .starts_with("Invalid client")
        );
        assert!(
            set_obuf_limits(&mut c, &args(&["normal", "1", "2", "-3"]))
                .unwrap_err()
                .starts_with("Error in hard")
        );
    }

    #[test]
    fn notify_flags_like_redis() {
        assert_eq!(notify::format(notify::parse(b"KEA").unwrap()), "AKE");
        assert_eq!(notify::format(notify::parse(b"g$lshzxet").unwrap()), "g$lshzxet");
        assert_eq!(notify::format(notify::parse(b"gd$lshzxetnmK").unwrap()), "AKm");
        assert_eq!(notify::format(notify::parse(b"Ex").unwrap()), "xE");
        assert!(notify::parse(b"Q").is_none());
    }

    #[test]
    fn replicaof_and_bind() {
        let mut c = Config::default();
        set_replicaof(&mut c, &args(&["10.0.0.1", "6380"])).unwrap();
        assert_eq!(c.replicaof, Some(("10.0.0.1".into(), 6380)));
        assert_eq!(
            set_replicaof(&mut c, &args(&["h", "70000"])).unwrap_err(),
            "Invalid master port"
        );
        set_replicaof(&mut c, &args(&["NO", "One"])).unwrap();
        assert_eq!(c.replicaof, None);
        set(&mut c, Special::Bind, &args(&[""]), SaveMode::Replace).unwrap();
        assert!(c.bind.is_empty());
        let many: Vec<String> = (0..17).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(set(&mut c, Special::Bind, &args(&many), SaveMode::Replace).is_err());
    }

    #[test]
    fn dir_must_be_a_directory() {
        let mut c = Config::default();
        assert_eq!(
            set_dir(&mut c, &args(&["/nonexistent/dir"])).unwrap_err(),
            "No such file or directory"
        );
        assert_eq!(set_dir(&mut c, &args(&["/etc/passwd"])).unwrap_err(), "Not a directory");
        set_dir(&mut c, &args(&["/"])).unwrap();
        assert_eq!(c.dir, "/");
    }
}
