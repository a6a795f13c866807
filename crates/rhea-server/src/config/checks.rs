//! Per-parameter validity checks (Redis's `is_valid_fn`s), with Redis's error texts.

use super::settings::ShutdownFlags;

/// `isValidActiveDefrag`: Redis 7.0.15 as packaged here is built without defrag support,
/// and so is Rhea, so `activedefrag yes` is refused with the same words.
pub fn active_defrag(on: bool) -> Result<(), &'static str> {
    if on {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution");
    }
    Ok(())
}

/// `pathIsBaseName`: no `/` and no `\`.
fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

/// `isValidDBfilename`.
pub fn dbfilename(v: &[u8]) -> Result<(), &'static str> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `isValidAOFfilename`.
pub fn appendfilename(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `isValidAOFdirname`.
pub fn appenddirname(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `isValidAnnouncedHostname`.
pub fn hostname(v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.') {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// `isValidProcTitleTemplate`: the template must expand (known `{variables}`, balanced
/// braces, `{{` for a literal brace) to a non-empty title. Expanded as at validation time
/// in Redis: `{title}` and `{server-mode}` are empty for a standalone server; we also take
/// `{unixsocket}` and `{config-file}` as empty (Redis uses their current values).
pub fn proc_title_template(v: &[u8]) -> Result<(), &'static str> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let mut out_len = 0;
    let mut p = v;
    while !p.is_empty() {
        let Some(open) = p.iter().position(|&c| c == b'{') else {
            out_len += p.len();
            break;
        };
        out_len += open;
        let rest = &p[open + 1..];
        match rest.first() {
            None => return Err(INVALID),
            Some(b'{') => {
                out_len += 1;
                p = &rest[1..];
                continue;
            }
            Some(_) => {}
        }
        let close = rest.iter().position(|&c| c == b'}').ok_or(INVALID)?;
        out_len += match &rest[..close] {
            b"title" | b"server-mode" | b"unixsocket" | b"config-file" => 0,
            b"listen-addr" | b"port" | b"tls-port" => 1,
            _ => return Err(INVALID),
        };
        p = &rest[close + 1..];
    }
    if out_len == 0 { Err(INVALID) } else { Ok(()) }
}

/// `isValidShutdownOnSigFlags`.
pub fn shutdown_flags(v: u32) -> Result<(), &'static str> {
    if v & ShutdownFlags::SAVE != 0 && v & ShutdownFlags::NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_title_templates() {
        assert!(proc_title_template(b"{title} {listen-addr} {server-mode}").is_ok());
        assert!(proc_title_template(b"{title}").is_err());
        assert!(proc_title_template(b"{foo}").is_err());
        assert!(proc_title_template(b"x {port").is_err());
        assert!(proc_title_template(b"{{").is_ok());
        assert!(proc_title_template(b"").is_err());
    }

    #[test]
    fn file_names() {
        assert!(dbfilename(b"a\\b").is_err());
        assert!(dbfilename(b"").is_ok());
        assert_eq!(appendfilename(b""), Err("appendfilename can't be empty"));
        assert!(hostname(b"a_b").is_err());
    }
}
