//! `REPLCONF` on the master side: option parsing and Redis 7.0's replies.
//!
//! Mirrors 7.0 `replconfCommand`. Options are applied left to right; the first error
//! replies and stops (earlier options stay applied, as in Redis). Reply texts were
//! checked against redis-server 7.0.15:
//!
//! ```text
//! REPLCONF listening-port          -ERR syntax error              (even argc)
//! REPLCONF                         +OK                            (argc 1 is odd)
//! REPLCONF listening-port abc      -ERR value is not an integer or out of range
//! REPLCONF ip-address <300 bytes>  -ERR REPLCONF ip-address provided by replica instance is too long: 300 bytes
//! REPLCONF capa weird              +OK                            (unknown capa ignored)
//! REPLCONF rdb-only 2              -ERR value is out of range, value must between 0 and 1
//! REPLCONF rdb-filter-only bogus   -ERR Unsupported rdb-filter-only option: bogus
//! REPLCONF rdb-filter-only ""      +OK                            (empty RDB)
//! REPLCONF foo 1                   -ERR Unrecognized REPLCONF option: foo
//! REPLCONF ack <off> / getack *    (no reply at all)
//! ```
//!
//! Caveats: `ack … fack <aofoff>` is 7.2 (WAITAOF) and is not accepted specially here;
//! as in 7.0 the words after `ack <off>` are ignored because ACK returns at once.

use bytes::Bytes;

/// `NET_HOST_STR_LEN`: ip-address must be shorter than this.
pub const NET_HOST_STR_LEN: usize = 256;

/// One applied option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplconfOpt {
    ListeningPort(i64),
    IpAddress(Bytes),
    CapaEof,
    CapaPsync2,
    RdbOnly(bool),
    /// `rdb-filter-only`: whether functions are included (data never is).
    RdbFilterOnly {
        functions: bool,
    },
}

/// What the driver does with a REPLCONF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplconfOutcome {
    /// Apply `opts` and reply `+OK`.
    Ok(Vec<ReplconfOpt>),
    /// Apply `opts` (those before the error) and reply with `err` (full line, no CRLF).
    Err { applied: Vec<ReplconfOpt>, err: String },
    /// `ack <offset>`: update the replica's ack offset (only if the client is a replica
    /// and only if larger; an unparsable offset is ignored) and send **no reply**.
    Ack { applied: Vec<ReplconfOpt>, offset: Option<i64> },
    /// `getack`: a replica answers with `REPLCONF ACK <offset>`; no reply otherwise.
    GetAck { applied: Vec<ReplconfOpt> },
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty()
        || s.starts_with('+')
        || (s.len() > 1 && s.starts_with('0'))
        || s.starts_with("-0")
    {
        return None;
    }
    s.parse().ok()
}

const NOT_INT: &str = "ERR value is not an integer or out of range";

/// Parses `REPLCONF <opt> <val> …` (argv includes the command name).
pub fn parse(argv: &[Bytes]) -> ReplconfOutcome {
    let mut applied = Vec::new();
    if argv.len().is_multiple_of(2) {
        return ReplconfOutcome::Err { applied, err: "ERR syntax error".into() };
    }
    for pair in argv[1..].chunks(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        let is = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        if is("listening-port") {
            match parse_i64(val) {
                Some(p) => applied.push(ReplconfOpt::ListeningPort(p)),
                None => return ReplconfOutcome::Err { applied, err: NOT_INT.into() },
            }
        } else if is("ip-address") {
            if val.len() >= NET_HOST_STR_LEN {
                let err = format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    val.len()
                );
                return ReplconfOutcome::Err { applied, err };
            }
            applied.push(ReplconfOpt::IpAddress(val.clone()));
        } else if is("capa") {
            if val.eq_ignore_ascii_case(b"eof") {
                applied.push(ReplconfOpt::CapaEof);
            } else if val.eq_ignore_ascii_case(b"psync2") {
                applied.push(ReplconfOpt::CapaPsync2);
            }
        } else if is("ack") {
            return ReplconfOutcome::Ack { applied, offset: parse_i64(val) };
        } else if is("getack") {
            return ReplconfOutcome::GetAck { applied };
        } else if is("rdb-only") {
            match parse_i64(val) {
                Some(v @ 0..=1) => applied.push(ReplconfOpt::RdbOnly(v == 1)),
                Some(_) => {
                    let err = "ERR value is out of range, value must between 0 and 1".into();
                    return ReplconfOutcome::Err { applied, err };
                }
                None => return ReplconfOutcome::Err { applied, err: NOT_INT.into() },
            }
        } else if is("rdb-filter-only") {
            let mut functions = false;
            for word in val.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
                if word.eq_ignore_ascii_case(b"functions") {
                    functions = true;
                } else {
                    let err = format!(
                        "ERR Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(word)
                    );
                    return ReplconfOutcome::Err { applied, err };
                }
            }
            applied.push(ReplconfOpt::RdbFilterOnly { functions });
        } else {
            let err = format!("ERR Unrecognized REPLCONF option: {}", String::from_utf8_lossy(opt));
            return ReplconfOutcome::Err { applied, err };
        }
    }
    ReplconfOutcome::Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    fn err(argv: &[&str]) -> String {
        match parse(&v(argv)) {
            ReplconfOutcome::Err { err, .. } => err,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replica_handshake_options_reply_ok() {
        let got =
            parse(&v(&["REPLCONF", "listening-port", "6380", "capa", "eof", "capa", "psync2"]));
        let want =
            vec![ReplconfOpt::ListeningPort(6380), ReplconfOpt::CapaEof, ReplconfOpt::CapaPsync2];
        assert_eq!(got, ReplconfOutcome::Ok(want));
    }

    #[test]
    fn even_argc_is_syntax_error_and_bare_replconf_is_ok() {
        assert_eq!(err(&["REPLCONF", "listening-port"]), "ERR syntax error");
        assert_eq!(parse(&v(&["REPLCONF"])), ReplconfOutcome::Ok(vec![]));
    }

    #[test]
    fn unknown_capa_is_ignored_unknown_option_is_an_error() {
        assert_eq!(parse(&v(&["replconf", "capa", "weird"])), ReplconfOutcome::Ok(vec![]));
        assert_eq!(err(&["REPLCONF", "foo", "1"]), "ERR Unrecognized REPLCONF option: foo");
    }

    #[test]
    fn value_errors_match_redis_7_0_texts() {
        assert_eq!(
            err(&["REPLCONF", "listening-port", "abc"]),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            err(&["REPLCONF", "rdb-only", "2"]),
            "ERR value is out of range, value must between 0 and 1"
        );
        assert_eq!(
            err(&["REPLCONF", "rdb-only", "x"]),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            err(&["REPLCONF", "rdb-filter-only", "bogus"]),
            "ERR Unsupported rdb-filter-only option: bogus"
        );
        let long = "a".repeat(300);
        assert_eq!(
            err(&["REPLCONF", "ip-address", &long]),
            "ERR REPLCONF ip-address provided by replica instance is too long: 300 bytes"
        );
    }

    #[test]
    fn rdb_filter_only_empty_means_no_functions() {
        assert_eq!(
            parse(&v(&["REPLCONF", "rdb-filter-only", ""])),
            ReplconfOutcome::Ok(vec![ReplconfOpt::RdbFilterOnly { functions: false }])
        );
        assert_eq!(
            parse(&v(&["REPLCONF", "rdb-filter-only", "functions"])),
            ReplconfOutcome::Ok(vec![ReplconfOpt::RdbFilterOnly { functions: true }])
        );
    }

    #[test]
    fn ack_and_getack_have_no_reply() {
        assert_eq!(
            parse(&v(&["REPLCONF", "ACK", "1050"])),
            ReplconfOutcome::Ack { applied: vec![], offset: Some(1050) }
        );
        assert_eq!(
            parse(&v(&["REPLCONF", "GETACK", "*"])),
            ReplconfOutcome::GetAck { applied: vec![] }
        );
    }
}
