//! RDB persistence of the engine: SAVE, the final save at shutdown, and loading the
//! dump at startup, on top of `rhea-rdb`.
//!
//! The file is written to `temp-<pid>.rdb` in `dir` (the process's working directory),
//! fsynced, then renamed over `dbfilename`, so a crash never leaves a torn dump.
//!
//! Caveats: saving is synchronous on the engine thread (SAVE semantics); BGSAVE, save
//! points and the MISCONF guard are not wired yet.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::time::Instant;

use rhea_keyspace::Db;
use rhea_rdb::{LoadOptions, WriteOptions};

use super::{Server, unix_ms};
use crate::config::Config;
use crate::{notice, warning};

/// Persistence bookkeeping shown by INFO persistence and LASTSAVE.
#[derive(Clone, Debug)]
pub struct SaveState {
    /// Unix seconds of the last successful save (startup time before the first one).
    pub lastsave: i64,
    pub last_save_ok: bool,
    pub saves: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl SaveState {
    pub fn new(now_unix: i64) -> SaveState {
        SaveState {
            lastsave: now_unix,
            last_save_ok: true,
            saves: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

/// Write `dbs` as an RDB file at `dbfilename`, atomically (temp file, fsync, rename).
pub fn write_rdb(cfg: &Config, dbs: &[Db]) -> Result<(), String> {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let opts = WriteOptions {
        compression: cfg.rdbcompression,
        checksum: cfg.rdbchecksum,
        ctime: unix_ms() / 1000,
        ..WriteOptions::default()
    };
    let result = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut out = rhea_rdb::write_dbs(BufWriter::new(file), dbs, &opts)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, &cfg.dbfilename)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!(
            "Failed saving the DB to {} (in server root dir {}): {}",
            cfg.dbfilename,
            cfg.dir,
            crate::config::strerror(&e)
        )
    })
}

impl Server {
    /// `rdbSave` from the engine thread: a blocking, consistent snapshot.
    pub fn save(&mut self) -> Result<(), String> {
        match write_rdb(&self.loaded.config, &self.dbs) {
            Ok(()) => {
                notice!("DB saved on disk");
                self.dirty = 0;
                self.persist.lastsave = unix_ms() / 1000;
                self.persist.last_save_ok = true;
                self.persist.saves += 1;
                Ok(())
            }
            Err(e) => {
                warning!("{}", e);
                self.persist.last_save_ok = false;
                Err(e)
            }
        }
    }

    /// `prepareForShutdown`: save when asked to (`Some(true)`), or by default when save
    /// points are configured, as SIGTERM and a bare SHUTDOWN do. Returns false, after
    /// logging why, when the save failed and the server must keep running.
    pub fn prepare_shutdown(&mut self, save: Option<bool>) -> bool {
        warning!("User requested shutdown...");
        let wanted = save.unwrap_or(!self.loaded.config.save_points.is_empty());
        if wanted {
            notice!("Saving the final RDB snapshot before exiting.");
            if self.save().is_err() {
                warning!("Error trying to save the DB, can't exit.");
                return false;
            }
        }
        true
    }
}

/// What a startup load produced.
pub struct StartupLoad {
    pub dbs: Vec<Db>,
    pub keys_loaded: u64,
    pub keys_expired: u64,
}

/// Load `dbfilename` from `dir` if it exists, logging as Redis does. An unreadable or
/// corrupt file is an error naming the file and the offset: the server must not start
/// with a partial dataset.
pub fn load_at_startup(
    cfg: &Config,
    limits: rhea_keyspace::limits::EncodingLimits,
) -> Result<Option<StartupLoad>, String> {
    let path = &cfg.dbfilename;
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "Fatal error loading the DB: {}. Exiting.",
                crate::config::strerror(&e)
            ));
        }
    };
    let start = Instant::now();
    let opts = LoadOptions { limits, verify_checksum: cfg.rdbchecksum };
    let loaded = rhea_rdb::load(&data, &opts, cfg.databases, Some(unix_ms())).map_err(|e| {
        format!("Fatal error loading the DB from {}/{}: {}. Exiting.", cfg.dir, path, e)
    })?;
    for (k, v) in &loaded.aux {
        match &k[..] {
            b"redis-ver" => {
                notice!("Loading RDB produced by version {}", String::from_utf8_lossy(v))
            }
            b"ctime" => {
                if let Some(t) = std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()) {
                    notice!("RDB age {} seconds", (unix_ms() / 1000 - t).max(0));
                }
            }
            b"used-mem" => {
                if let Some(m) = std::str::from_utf8(v).ok().and_then(|s| s.parse::<f64>().ok()) {
                    notice!("RDB memory usage when created {:.2} Mb", m / 1024.0 / 1024.0);
                }
            }
            _ => {}
        }
    }
    notice!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        loaded.keys_loaded,
        loaded.expired_skipped
    );
    notice!("DB loaded from disk: {:.3} seconds", start.elapsed().as_secs_f64());
    Ok(Some(StartupLoad {
        dbs: loaded.dbs,
        keys_loaded: loaded.keys_loaded,
        keys_expired: loaded.expired_skipped,
    }))
}
