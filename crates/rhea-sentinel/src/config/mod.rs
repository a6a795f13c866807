//! sentinel.conf: loading it at start-up and rewriting it whenever the state changes,
//! as Redis 7.0.15 does.
//!
//! Redis loads sentinel.conf with the ordinary config loader; every line starting with
//! `sentinel` is queued and, once the whole file is read, handed to Sentinel
//! (`sentinelHandleConfiguration`); everything else (`port`, `bind`, `dir`, `logfile`, …)
//! is a normal server directive. Rhea does the same on top of `rhea_server::config`.
//!
//! ## Layout
//! * [`model`]: the data both sides agree on: what the file says, and what a rewrite
//!   must persist.
//! * `load`: the start-up entry point [`load_sentinel_config`] and its errors.
//! * `directive`: one `sentinel …` line applied to the model, with Redis's errors.
//! * `rewrite`: [`flush_config`] (`sentinelFlushConfig`) and [`render`].
//! * `addr`, `cnum`, `access`: Redis's address checks, C number parsing and `access()`.
//!
//! ## Contract for the driver
//! ```text
//! start:  load_sentinel_config(argv[1..]) ──Err(e)──▶ print e.report() (stderr, or as
//!            │                                        a `#` log line if e.is_log_message()),
//!            ▼                                        exit(1)
//!         LoadedSentinel { server, sentinel }
//!         if sentinel.myid is None: pick 40 random hex chars, flush_config(...)
//! change: mutate the SentinelConfig (SET, MONITOR, REMOVE, CONFIG SET, new replica,
//!         new peer, epochs, vote, switch) ──▶ flush_config(path, &server, &sentinel)
//!                                             Err(e) ──▶ log e.log_lines() as warnings;
//!                                             commands reply FLUSH_FAILED_REPLY
//! ```
//!
//! ## Caveats
//! * Hosts are kept as written; rewrites print their IP (`announce-hostnames no`), which
//!   for a hostname (`resolve-hostnames yes`) means resolving it again at rewrite time.
//! * `sentinel announce-port` outside 0..=65535 is refused (Redis stores any `int`).
//! * See `rewrite` for the two deliberate differences in rewritten files.

mod access;
pub(crate) mod addr;
mod cnum;
mod directive;
mod load;
pub mod model;
mod rewrite;

pub use addr::{Resolve, SharedResolver, SystemResolver, announced_host};
pub use directive::MYID_LEN;
pub use load::{
    LoadError, LoadedSentinel, apply_sentinel_lines, check_config_file, load_sentinel_config,
    load_sentinel_config_with,
};
pub use model::{KnownSentinel, MasterConfig, SentinelConfig};
pub use rewrite::{
    FLUSH_FAILED_REPLY, FLUSH_OK_LOG, FlushError, flush_config, flush_config_with, render,
    rewrite_sentinel_options,
};
