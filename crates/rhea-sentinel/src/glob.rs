//! Redis's glob matcher (`stringmatchlen`), for `SENTINEL RESET <pattern>`:
//! `*`, `?`, `[...]` with ranges and `^` negation, `\` escapes. Case-sensitive, as
//! RESET calls it with `nocase = 0`.

/// Does `string` match `pattern`?
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                return (s..=string.len()).any(|i| glob_match(&pattern[p + 1..], &string[i..]));
            }
            b'?' => {
                if s >= string.len() {
                    return false;
                }
                s += 1;
            }
            b'[' => {
                if s >= string.len() {
                    return false;
                }
                p += 1;
                let negate = p < pattern.len() && pattern[p] == b'^';
                if negate {
                    p += 1;
                }
                let mut matched = false;
                while p < pattern.len() && pattern[p] != b']' {
                    if pattern[p] == b'\\' && p + 1 < pattern.len() {
                        p += 1;
                        matched |= pattern[p] == string[s];
                    } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' {
                        let (lo, hi) = if pattern[p] <= pattern[p + 2] {
                            (pattern[p], pattern[p + 2])
                        } else {
                            (pattern[p + 2], pattern[p])
                        };
                        matched |= (lo..=hi).contains(&string[s]);
                        p += 2;
                    } else {
                        matched |= pattern[p] == string[s];
                    }
                    p += 1;
                }
                if matched == negate {
                    return false;
                }
                s += 1;
            }
            c => {
                let c = if c == b'\\' && p + 1 < pattern.len() {
                    p += 1;
                    pattern[p]
                } else {
                    c
                };
                if s >= string.len() || string[s] != c {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
    }
    s == string.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn redis_glob_cases() {
        assert!(glob_match(b"*", b"mymaster"));
        assert!(glob_match(b"my*", b"mymaster"));
        assert!(glob_match(b"m?master", b"mymaster"));
        assert!(glob_match(b"[lm]y*", b"mymaster"));
        assert!(!glob_match(b"[^m]y*", b"mymaster"));
        assert!(glob_match(b"[a-z]ymaster", b"mymaster"));
        assert!(!glob_match(b"other", b"mymaster"));
        assert!(!glob_match(b"MY*", b"mymaster"));
        assert!(glob_match(b"a\\*b", b"a*b"));
    }
}
