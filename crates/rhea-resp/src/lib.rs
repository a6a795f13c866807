//! # rhea-resp: the Redis wire protocol, free of I/O
//!
//! Owns everything about RESP bytes that both the server and its tools need:
//!
//! * [`request`]: the incremental *request* decoder, multibulk (`*3\r\n$3\r\nSET…`) and
//!   inline (`SET k v\n`), with Redis 7.0's limits and its exact protocol-error wording
//!   (`networking.c` `processMultibulkBuffer` / `processInlineBuffer`).
//! * [`reply`]: the [`Reply`] value a command produces and its encoder for RESP2 and RESP3,
//!   including the RESP2 downgrades (map → flat array, double → bulk, null → `$-1`/`*-1`).
//! * [`split`]: Redis's shell-like argument splitting (`sdssplitargs`), shared by inline
//!   requests and the config-file parsers.
//! * [`number`]: Redis's strict integer parsing (`string2ll`) and `%.17g` / long-double
//!   formatting, which replies must match byte for byte.
//!
//! ## Guarantees
//! The decoder never panics and never allocates more than the bytes it was given plus the
//! declared argument count capped by what is buffered, so a hostile `*2147483647\r\n` costs
//! nothing. It is fuzzed by the property tests in `tests/`.
//!
//! ## Caveats
//! * Like Redis, the decoder finds a header line by its `\r` and skips the following byte
//!   without checking that it is `\n`.
//! * Arguments are copied out of the read buffer (one allocation each, as Redis creates one
//!   object per argument) so that values stored in the keyspace never pin a large buffer.

pub mod number;
pub mod reply;
pub mod request;
pub mod split;

pub use reply::{Protocol, Reply};
pub use request::{Limits, ParseError, Request, parse_request};
