//! The `sentinel …` directives of sentinel.conf.
//!
//! Redis loads sentinel.conf with the ordinary config loader; every line starting with
//! `sentinel` is handed to Sentinel (`sentinelHandleConfiguration`), everything else
//! (`port`, `bind`, `dir`, `logfile`, …) is a normal server directive. [`model`] holds the
//! data both sides agree on: what the file says, and what a rewrite must persist.

pub mod model;

pub use model::{KnownSentinel, MasterConfig, SentinelConfig};
