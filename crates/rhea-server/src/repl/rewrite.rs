//! What an executed command propagates (placeholder until the full rewrite table lands:
//! verbatim, except the SET/SETEX/EXPIRE/INCRBYFLOAT forms of [`super::feed`]).

use bytes::Bytes;
use rhea_resp::Reply;

use super::feed;

/// Facts the rewrite needs beyond argv and reply.
pub struct Env<'a> {
    pub unix_ms: i64,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_expire: bool,
    pub key_exists: &'a dyn Fn(&[u8]) -> bool,
    pub ttl_ms: &'a dyn Fn(&[u8]) -> Option<i64>,
}

/// The argv vectors to propagate, in order (empty = nothing).
pub fn propagation_forms(argv: &[Bytes], reply: &Reply, env: &Env<'_>) -> Vec<Vec<Bytes>> {
    let name = argv[0].to_ascii_lowercase();
    let rewritten = match &name[..] {
        b"set" => feed::rewrite_set(argv, env.unix_ms),
        b"setex" | b"psetex" => feed::rewrite_setex(argv, env.unix_ms),
        b"expire" | b"pexpire" | b"expireat" | b"pexpireat" => {
            if (env.key_exists)(&argv[1]) {
                feed::rewrite_expire(argv, env.unix_ms)
            } else {
                Some(feed::deletion(&argv[1], env.lazyfree_lazy_expire))
            }
        }
        b"incrbyfloat" => match reply {
            Reply::Bulk(v) => Some(feed::incrbyfloat_as_set(&argv[1], v)),
            _ => None,
        },
        _ => None,
    };
    vec![rewritten.unwrap_or_else(|| argv.to_vec())]
}
