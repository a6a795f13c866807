//! Loading the dump at startup on a background thread while the engine answers clients
//! with `-LOADING`, as Redis does by serving events between chunks of `rdbLoad`.
//!
//! The listeners are bound and the engine runs before loading starts; commands without
//! the `loading` flag are refused (see `dispatch`), INFO reports `loading:1` with the
//! progress fields, and only a complete dataset is installed: the loader builds fresh
//! databases and hands them over in one event, or reports the error that stops the
//! server. A shutdown while loading never saves (a half-read dataset must not replace
//! the dump).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::persist::{StartupLoad, load_at_startup};
use super::{Event, Server, Shutdown, unix_ms};
use crate::config::Config;
use crate::{notice, warning};

/// A load in progress (INFO persistence's `loading_*` fields).
#[derive(Debug)]
pub struct Loading {
    pub start_unix: i64,
    pub total_bytes: u64,
    /// File offset of the last key loaded.
    pub loaded_bytes: Arc<AtomicU64>,
}

impl Loading {
    pub fn loaded(&self) -> u64 {
        self.loaded_bytes.load(Ordering::Relaxed)
    }
}

/// What the loader thread reports back.
pub type Outcome = Result<Option<StartupLoad>, String>;

/// Start loading `dbfilename` if it exists. Returns `None` (nothing to load) when there is
/// no file; otherwise the progress handle, with the outcome arriving as `Event::Loaded`.
pub fn start(
    cfg: &Config,
    limits: rhea_keyspace::limits::EncodingLimits,
    lru: u32,
    tx: super::inbox::EngineTx,
) -> Option<Loading> {
    let total_bytes = match std::fs::metadata(&cfg.dbfilename) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        // Unreadable for another reason: the loader reports it in Redis's words.
        Err(_) => 0,
    };
    let loading = Loading {
        start_unix: unix_ms() / 1000,
        total_bytes,
        loaded_bytes: Arc::new(AtomicU64::new(0)),
    };
    let progress = loading.loaded_bytes.clone();
    let cfg = cfg.clone();
    let spawned = std::thread::Builder::new().name("rhea-load".into()).spawn(move || {
        let outcome = load_at_startup(&cfg, limits, lru, &progress);
        let _ = tx.send(Event::Loaded(Box::new(outcome)));
    });
    if let Err(e) = spawned {
        warning!("Can't start loading the DB: {}", e);
        std::process::exit(1);
    }
    Some(loading)
}

impl Server {
    /// The loader finished: install the data and announce readiness, or stop.
    pub fn loaded(&mut self, outcome: Outcome) {
        if self.loading.take().is_none() {
            return;
        }
        match outcome {
            Ok(Some(l)) => {
                self.dbs = l.dbs;
                self.persist.last_load_keys_loaded = l.keys_loaded;
                self.persist.last_load_keys_expired = l.keys_expired;
                if let Some(aux) = l.repl {
                    self.restore_repl_info(&aux);
                }
                notice!("Ready to accept connections");
            }
            Ok(None) => notice!("Ready to accept connections"),
            Err(e) => {
                warning!("{}", e);
                self.shutdown = Some(Shutdown::Fatal);
            }
        }
    }

    /// SIGTERM/SIGINT during the load: stop without saving (`whileBlockedCron`).
    pub fn signal_while_loading(&mut self) {
        crate::log::write_raw(&format!(
            "{}:signal-handler ({}) Received shutdown signal during loading, scheduling \
             shutdown.\n",
            std::process::id(),
            unix_ms() / 1000
        ));
        if self.prepare_shutdown(Some(false)) {
            self.shutdown = Some(Shutdown::Requested { save: Some(false) });
        }
    }
}
