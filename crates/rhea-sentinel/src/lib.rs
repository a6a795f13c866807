//! # rhea-sentinel: Redis Sentinel 7.0, as a sans-IO core
//!
//! Owns what Sentinel decides: which instances it monitors, when a master is subjectively
//! and objectively down, epochs and leader votes, the failover state machine, replica
//! selection, hello messages, and the `sentinel …` lines of sentinel.conf (parse and
//! rewrite). It never touches a socket or a clock: drivers pass `now` in and carry the
//! actions it returns out (see `style.md` B1/B3).
//!
//! * [`config`]: the `sentinel` directives of sentinel.conf as Redis 7.0 reads and
//!   rewrites them (`sentinelHandleConfiguration`, `rewriteConfigSentinelOption`).
//!
//! ## Caveats
//! Work in progress (issue 5): the core and its driver land in later commits.

pub mod config;
