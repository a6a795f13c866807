//! The generic parameter types of Redis 7.0 (`boolConfigSet`, `numericConfigSet`,
//! `enumConfigSet`, `stringConfigSet` and their getters): parsing and validating a value,
//! storing it where the table says, and formatting it as CONFIG GET shows it. Error texts
//! are Redis's, word for word.

use std::sync::OnceLock;

use rhea_resp::number::parse_i64;

use super::params::{Kind, MULTI_ARG, NumFmt, NumSpec, Param, Slot, Special, StrSpec, Support};
use super::settings::{Config, Raw};
use super::special;
use super::units::{cstr, memtoull, strtoll};

/// How a `save` directive combines with the save points already set: the first `save`
/// line of a config file replaces the defaults, the following ones add to it, and CONFIG
/// SET always replaces (`setConfigSaveOption`'s `reading_config_file` logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SaveMode {
    Replace,
    Append,
}

/// Set parameter `p` from its arguments (already split for multi-argument parameters),
/// then refuse any non-default value of a default-only parameter. On error `cfg` may be
/// partly changed; callers restore a copy.
pub(crate) fn apply(
    cfg: &mut Config,
    p: &Param,
    args: &[Vec<u8>],
    mode: SaveMode,
) -> Result<(), String> {
    set(cfg, p, args, mode)?;
    if p.support == Support::DefaultOnly && !is_default(cfg, p) {
        return Err(unsupported(p));
    }
    Ok(())
}

/// The error for a non-default value of a default-only parameter.
pub(crate) fn unsupported(p: &Param) -> String {
    let default = String::from_utf8_lossy(&get(defaults(), p)).into_owned();
    format!(
        "'{}' is not supported by Rhea yet: only its default value '{}' is accepted",
        p.name, default
    )
}

/// A configuration with every default, built once.
pub(crate) fn defaults() -> &'static Config {
    static DEFAULTS: OnceLock<Config> = OnceLock::new();
    DEFAULTS.get_or_init(Config::default)
}

/// Does `p` hold its default value?
pub(crate) fn is_default(cfg: &Config, p: &Param) -> bool {
    match &p.kind {
        Kind::Special(Special::Dir) => true,
        _ => get(cfg, p) == get(defaults(), p),
    }
}

fn set(cfg: &mut Config, p: &Param, args: &[Vec<u8>], mode: SaveMode) -> Result<(), String> {
    match &p.kind {
        Kind::Bool { slot, check, default } => {
            let arg = cstr(&args[0]);
            let v = if arg.eq_ignore_ascii_case(b"yes") {
                true
            } else if arg.eq_ignore_ascii_case(b"no") {
                false
            } else {
                return Err("argument must be 'yes' or 'no'".into());
            };
            if let Some(check) = check {
                check(v)?;
            }
            store(cfg, p, slot, v, *default, Raw::Bool(v));
        }
        Kind::Num { spec, slot } => {
            let v = parse_num(spec, &args[0])?;
            store(cfg, p, slot, v, spec.default, Raw::Num(v));
        }
        Kind::Enum { values, slot, check, default } => {
            let v = parse_enum(values, args, p.has(MULTI_ARG))?;
            if let Some(check) = check {
                check(v)?;
            }
            store(cfg, p, slot, v, *default, Raw::Enum(v));
        }
        Kind::Str { spec, slot } => {
            let v = parse_str(spec, &args[0])?;
            let default = spec.default.map(|d| d.as_bytes().to_vec());
            store(cfg, p, slot, v.clone(), default, Raw::Str(v));
        }
        Kind::Special(s) => special::set(cfg, *s, args, mode)?,
    }
    Ok(())
}

/// Write `v` to its field, or keep it in the side map unless it is the default.
fn store<T: PartialEq>(cfg: &mut Config, p: &Param, slot: &Slot<T>, v: T, default: T, raw: Raw) {
    match slot {
        Slot::Field(_, put) => put(cfg, v),
        Slot::Extra if v == default => {
            cfg.extra.remove(p.name);
        }
        Slot::Extra => {
            cfg.extra.insert(p.name, raw);
        }
    }
}

/// `numericParseString` followed by `numericBoundaryCheck`. Returns the value as the C
/// type holds it (unsigned types see a negative input wrap around, as in Redis).
pub(crate) fn parse_num(spec: &NumSpec, arg: &[u8]) -> Result<i128, String> {
    let memory = matches!(spec.fmt, NumFmt::Memory | NumFmt::MemoryPercent);
    let parsed: Option<i64> = (|| {
        if memory && let Some(v) = memtoull(arg) {
            return Some(v as i64);
        }
        if spec.fmt == NumFmt::MemoryPercent
            && arg.len() > 1
            && arg.ends_with(b"%")
            && let Some(v) = parse_i64(&arg[..arg.len() - 1]).filter(|v| *v >= 0)
        {
            return Some(-v);
        }
        if spec.fmt == NumFmt::Octal {
            let r = strtoll(arg, 8);
            if !r.overflow && r.complete {
                return Some(r.value);
            }
        }
        if spec.fmt == NumFmt::Int {
            return parse_i64(arg);
        }
        None
    })();
    let Some(ll) = parsed else {
        return Err(match spec.fmt {
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Int => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if spec.unsigned {
        let v = i128::from(ll as u64);
        if v > spec.max || v < spec.min {
            return Err(if spec.fmt == NumFmt::Octal {
                format!("argument must be between {:o} and {:o} inclusive", spec.min, spec.max)
            } else {
                format!("argument must be between {} and {} inclusive", spec.min, spec.max)
            });
        }
        return Ok(v);
    }
    let v = i128::from(ll);
    if spec.fmt == NumFmt::MemoryPercent && v < 0 {
        if v < spec.min {
            return Err(format!("percentage argument must be less or equal to {}", -spec.min));
        }
    } else if v > spec.max || v < spec.min {
        return Err(format!("argument must be between {} and {} inclusive", spec.min, spec.max));
    }
    Ok(v)
}

/// `configEnumGetValue`: one name, or for bit-flag enums any number of names OR-ed.
fn parse_enum(values: &[(&str, u32)], args: &[Vec<u8>], bitflags: bool) -> Result<u32, String> {
    let error = || {
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        format!("argument(s) must be one of the following: {}", names.join(", "))
    };
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return Err(error());
    }
    let mut v = 0;
    for arg in args {
        let arg = cstr(arg);
        let matched: Vec<u32> = values
            .iter()
            .filter(|(n, _)| n.as_bytes().eq_ignore_ascii_case(arg))
            .map(|(_, v)| *v)
            .collect();
        if matched.is_empty() {
            return Err(error());
        }
        v |= matched.iter().fold(0, |a, b| a | b);
    }
    Ok(v)
}

/// `configEnumGetName`: the first exact match, or for bit flags the names of the set bits.
pub(crate) fn enum_name(values: &[(&str, u32)], v: u32, bitflags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = v;
    for (name, val) in values {
        if *val == v {
            return (*name).to_string();
        }
        if bitflags && *val != 0 && *val == unmatched & *val {
            names.push(name);
            unmatched &= !*val;
        }
    }
    if names.is_empty() || unmatched != 0 { "unknown".to_string() } else { names.join(" ") }
}

/// `stringConfigSet` / `sdsConfigSet`: validate, then turn `""` into "unset" when asked.
fn parse_str(spec: &StrSpec, arg: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let arg = if spec.binary { arg } else { cstr(arg) };
    if let Some(check) = spec.check {
        check(arg)?;
    }
    Ok(if spec.empty_is_null && arg.is_empty() { None } else { Some(arg.to_vec()) })
}

/// The value of `p` as CONFIG GET prints it.
pub(crate) fn get(cfg: &Config, p: &Param) -> Vec<u8> {
    match &p.kind {
        Kind::Bool { .. } => if bool_value(cfg, p) { "yes" } else { "no" }.into(),
        Kind::Num { spec, .. } => {
            let v = num_value(cfg, p);
            match spec.fmt {
                NumFmt::MemoryPercent if v < 0 => format!("{}%", -v),
                NumFmt::Octal => format!("{v:o}"),
                _ => v.to_string(),
            }
            .into_bytes()
        }
        Kind::Enum { values, .. } => {
            enum_name(values, enum_value(cfg, p), p.has(MULTI_ARG)).into_bytes()
        }
        Kind::Str { .. } => str_value(cfg, p).unwrap_or_default(),
        Kind::Special(s) => special::get(cfg, *s),
    }
}

pub(crate) fn bool_value(cfg: &Config, p: &Param) -> bool {
    match &p.kind {
        Kind::Bool { slot: Slot::Field(get, _), .. } => get(cfg),
        Kind::Bool { default, .. } => match cfg.extra.get(p.name) {
            Some(Raw::Bool(b)) => *b,
            _ => *default,
        },
        _ => false,
    }
}

pub(crate) fn num_value(cfg: &Config, p: &Param) -> i128 {
    match &p.kind {
        Kind::Num { slot: Slot::Field(get, _), .. } => get(cfg),
        Kind::Num { spec, .. } => match cfg.extra.get(p.name) {
            Some(Raw::Num(v)) => *v,
            _ => spec.default,
        },
        _ => 0,
    }
}

pub(crate) fn enum_value(cfg: &Config, p: &Param) -> u32 {
    match &p.kind {
        Kind::Enum { slot: Slot::Field(get, _), .. } => get(cfg),
        Kind::Enum { default, .. } => match cfg.extra.get(p.name) {
            Some(Raw::Enum(v)) => *v,
            _ => *default,
        },
        _ => 0,
    }
}

pub(crate) fn str_value(cfg: &Config, p: &Param) -> Option<Vec<u8>> {
    match &p.kind {
        Kind::Str { slot: Slot::Field(get, _), .. } => get(cfg),
        Kind::Str { spec, .. } => match cfg.extra.get(p.name) {
            Some(Raw::Str(v)) => v.clone(),
            _ => spec.default.map(|d| d.as_bytes().to_vec()),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::lookup;
    use super::*;

    fn try_set(cfg: &mut Config, name: &str, value: &str) -> Result<(), String> {
        let (p, _) = lookup(name.as_bytes()).unwrap();
        apply(cfg, p, &[value.as_bytes().to_vec()], SaveMode::Replace)
    }

    fn get_str(cfg: &Config, name: &str) -> String {
        String::from_utf8(get(cfg, lookup(name.as_bytes()).unwrap().0)).unwrap()
    }

    #[test]
    fn every_row_default_matches_the_struct_default() {
        let cfg = Config::default();
        for p in super::super::params::PARAMS {
            let declared = match &p.kind {
                Kind::Bool { default, .. } => if *default { "yes" } else { "no" }.to_string(),
                Kind::Num { spec, .. } => match spec.fmt {
                    NumFmt::Octal => format!("{:o}", spec.default),
                    _ => spec.default.to_string(),
                },
                Kind::Enum { values, default, .. } => enum_name(values, *default, p.has(MULTI_ARG)),
                Kind::Str { spec, .. } => spec.default.unwrap_or("").to_string(),
                Kind::Special(_) => continue,
            };
            assert_eq!(get_str(&cfg, p.name), declared, "{}", p.name);
        }
    }

    #[test]
    fn numeric_errors_match_redis() {
        let mut c = Config::default();
        assert_eq!(
            try_set(&mut c, "port", "70000").unwrap_err(),
            "argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            try_set(&mut c, "port", "0100").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            try_set(&mut c, "maxmemory", "-1").unwrap_err(),
            "argument must be a memory value"
        );
        assert_eq!(
            try_set(&mut c, "maxclients", "-1").unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(
            try_set(&mut c, "unixsocketperm", "1000").unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            try_set(&mut c, "unixsocketperm", "800").unwrap_err(),
            "argument couldn't be parsed as an octal number"
        );
        assert_eq!(
            try_set(&mut c, "maxmemory-clients", "200%").unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            try_set(&mut c, "proto-max-bulk-len", "16000000000000000000").unwrap_err(),
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        );
    }

    #[test]
    fn numeric_values_round_trip() {
        let mut c = Config::default();
        try_set(&mut c, "maxmemory", "5gb").unwrap();
        assert_eq!(c.maxmemory, 5 << 30);
        try_set(&mut c, "maxmemory", "18446744073709551616").unwrap();
        assert_eq!(get_str(&c, "maxmemory"), "18446744073709551615");
        try_set(&mut c, "maxmemory-clients", "10%").unwrap();
        assert_eq!(get_str(&c, "maxmemory-clients"), "10%");
        try_set(&mut c, "unixsocketperm", "0700").unwrap();
        assert_eq!((c.unixsocketperm, get_str(&c, "unixsocketperm")), (0o700, "700".into()));
        try_set(&mut c, "hz", "0").unwrap();
        assert_eq!(c.hz, 1);
        try_set(&mut c, "hz", "1000").unwrap();
        assert_eq!(get_str(&c, "hz"), "500");
        try_set(&mut c, "tcp-keepalive", "0").unwrap();
        assert!(c.tcp_keepalive.is_zero());
    }

    #[test]
    fn enums_bools_strings() {
        let mut c = Config::default();
        try_set(&mut c, "maxmemory-policy", "ALLKEYS-LRU").unwrap();
        assert_eq!(get_str(&c, "maxmemory-policy"), "allkeys-lru");
        assert!(
            try_set(&mut c, "loglevel", "loud")
                .unwrap_err()
                .starts_with("argument(s) must be one of")
        );
        try_set(&mut c, "oom-score-adj", "no").unwrap();
        assert_eq!(
            try_set(&mut c, "protected-mode", "maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        try_set(&mut c, "requirepass", "").unwrap();
        assert_eq!(c.requirepass, None);
        try_set(&mut c, "requirepass", "a\0b").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"a\0b"[..]));
        try_set(&mut c, "pidfile", "/run/x\0y").unwrap();
        assert_eq!(c.pidfile.as_deref(), Some("/run/x"));
        let (p, _) = lookup(b"shutdown-on-sigint").unwrap();
        apply(&mut c, p, &[b"save".to_vec(), b"now".to_vec()], SaveMode::Replace).unwrap();
        assert_eq!(get_str(&c, "shutdown-on-sigint"), "save now");
    }

    #[test]
    fn default_only_refuses_other_values() {
        let mut c = Config::default();
        try_set(&mut c, "appendonly", "no").unwrap();
        let e = try_set(&mut c, "appendonly", "yes").unwrap_err();
        assert_eq!(
            e,
            "'appendonly' is not supported by Rhea yet: only its default value 'no' is accepted"
        );
        try_set(&mut c, "tls-port", "0").unwrap();
        assert!(try_set(&mut c, "tls-port", "6380").is_err());
    }

    #[test]
    fn inert_values_are_kept_and_echoed() {
        let mut c = Config::default();
        try_set(&mut c, "tcp-backlog", "1024").unwrap();
        assert_eq!(get_str(&c, "tcp-backlog"), "1024");
        try_set(&mut c, "tcp-backlog", "511").unwrap();
        assert!(c.extra.is_empty());
    }
}
