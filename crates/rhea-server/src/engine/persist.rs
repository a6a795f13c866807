//! RDB persistence of the engine: SAVE, the final save at shutdown, and loading the
//! dump at startup, on top of `rhea-rdb`.
//!
//! The file is written to `temp-<pid>.rdb` in `dir` (the process's working directory),
//! fsynced, then renamed over `dbfilename`, so a crash never leaves a torn dump.
//!
//! BGSAVE takes a point-in-time copy of the databases on the engine thread and
//! serialises it on a background thread (no fork: forking a multi-threaded process is
//! unsafe); the engine learns the outcome through its event channel.
//!
//! The copy shares structure instead of copying it: `Db::clone` clones the `Arc`s of the
//! dictionaries' 256-bucket segments (aggregate values are `Arc`s and string bytes are
//! reference-counted, see `rhea_keyspace::Entry`), so taking the snapshot costs a few
//! microseconds per thousand keys; the engine copies a segment or an aggregate on its
//! first write while the snapshot holds it (the fork's copy-on-write, at a coarser
//! grain). Those bytes are reported as `current_cow_size` / `rdb_last_cow_size`. While
//! the snapshot exists, tables avoid resizing and the cron does not rehash, as Redis
//! does while a fork child exists (see [`super::rehash`]).
//!
//! Caveat: a write to a large aggregate during a save copies the whole aggregate once.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rhea_keyspace::Db;
use rhea_rdb::{LoadOptions, ReplAux, WriteOptions};

use super::{Server, unix_ms};
use crate::config::Config;
use crate::{notice, warning};

/// Persistence bookkeeping shown by INFO persistence and LASTSAVE.
#[derive(Clone, Debug)]
pub struct SaveState {
    /// Unix seconds of the last successful save (startup time before the first one).
    pub lastsave: i64,
    /// `lastbgsave_status`: set by background saves, and to ok by a successful SAVE.
    pub last_save_ok: bool,
    pub saves: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    /// The BGSAVE in progress: when it started and `dirty` at that moment.
    pub bgsave: Option<(Instant, u64)>,
    /// BGSAVE SCHEDULE asked for one more once the current one ends.
    pub bgsave_scheduled: bool,
    pub last_bgsave_secs: i64,
    /// Unix seconds of the last automatic attempt (failed ones are retried after 5 s).
    pub last_bgsave_try: i64,
    /// Set by shutdown to abandon the background save in progress.
    pub bgsave_cancel: Arc<Mutex<bool>>,
    /// Copy-on-write bytes of the last save (`rdb_last_cow_size`). During a save the
    /// figure is `rhea_keyspace::cow::bytes()`, which only grows until the save ends, so
    /// it is also the peak.
    pub last_cow: u64,
    /// The BGSAVE in progress was started for a disk-based full sync (job id).
    pub for_sync: Option<u64>,
}

impl SaveState {
    pub fn new(now_unix: i64) -> SaveState {
        SaveState {
            lastsave: now_unix,
            last_save_ok: true,
            saves: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            bgsave: None,
            bgsave_scheduled: false,
            last_bgsave_secs: -1,
            last_bgsave_try: 0,
            bgsave_cancel: Arc::new(Mutex::new(false)),
            last_cow: 0,
            for_sync: None,
        }
    }
}

/// Write `dbs` as an RDB file at `dbfilename`, atomically (temp file, fsync, rename).
/// `tmp` names the temporary file (SAVE and BGSAVE use different ones). A background
/// save passes its `cancel` flag, held across the check and the rename, so a save that
/// shutdown abandoned can never replace the newer final dump.
pub fn write_rdb(
    cfg: &Config,
    dbs: &[Db],
    tmp: &str,
    cancel: Option<&Mutex<bool>>,
    repl: Option<ReplAux>,
) -> Result<(), String> {
    let opts = WriteOptions {
        compression: cfg.rdbcompression,
        checksum: cfg.rdbchecksum,
        ctime: unix_ms() / 1000,
        repl,
        ..WriteOptions::default()
    };
    let written = (|| -> std::io::Result<()> {
        let file = File::create(tmp)?;
        let mut out = rhea_rdb::write_dbs(BufWriter::new(file), dbs, &opts)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    let cwd = &cfg.dir;
    if let Err(e) = written {
        let _ = fs::remove_file(tmp);
        return Err(format!(
            "Failed opening the temp RDB file {tmp} (in server root dir {cwd}) for saving: {}",
            crate::config::strerror(&e)
        ));
    }
    let guard = cancel.map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
    if guard.as_deref() == Some(&true) {
        let _ = fs::remove_file(tmp);
        return Err("Background save abandoned by shutdown".into());
    }
    fs::rename(tmp, &cfg.dbfilename).map_err(|e| {
        let _ = fs::remove_file(tmp);
        format!(
            "Error moving temp DB file {tmp} on the final destination {} (in server root dir \
             {cwd}): {}",
            cfg.dbfilename,
            crate::config::strerror(&e)
        )
    })
}

impl Server {
    /// `rdbSave` from the engine thread: a blocking, consistent snapshot.
    pub fn save(&mut self) -> Result<(), String> {
        if self.persist.bgsave.is_some() {
            return Err("Background save already in progress".into());
        }
        let tmp = format!("temp-{}.rdb", std::process::id());
        // Redis counts attempts, and only a success touches the bgsave status.
        self.persist.saves += 1;
        match write_rdb(&self.loaded.config, &self.dbs, &tmp, None, self.rdb_repl_aux()) {
            Ok(()) => {
                notice!("DB saved on disk");
                self.dirty = 0;
                self.persist.lastsave = unix_ms() / 1000;
                self.persist.last_save_ok = true;
                Ok(())
            }
            Err(e) => {
                warning!("{}", e);
                Err(e)
            }
        }
    }

    /// `rdbSaveBackground`: copy the databases now, serialise them on another thread.
    pub fn start_bgsave(&mut self) -> Result<(), String> {
        if self.persist.bgsave.is_some() {
            return Err("Background save already in progress".into());
        }
        let Some(tx) = self.self_tx.clone() else {
            return Err("background saving is not available".into());
        };
        // Shares every Dict segment and value: O(buckets / 256), copied on first write.
        // Tables avoid resizing until the thread drops the snapshot with its hold.
        rhea_keyspace::cow::reset();
        let hold = super::rehash::SnapshotHold::acquire();
        let snapshot: Vec<Db> = self.dbs.clone();
        let cfg = self.loaded.config.clone();
        let repl = self.rdb_repl_aux();
        let cancel = Arc::new(Mutex::new(false));
        self.persist.bgsave_cancel = cancel.clone();
        self.persist.last_bgsave_try = unix_ms() / 1000;
        let spawned = std::thread::Builder::new().name("rhea-bgsave".into()).spawn(move || {
            // Yield to the engine: clients' latency matters more than the save's length.
            rhea_sys::lower_thread_priority(10);
            let tmp = format!("temp-bg-{}.rdb", std::process::id());
            let result = write_rdb(&cfg, &snapshot, &tmp, Some(&cancel), repl);
            drop(snapshot);
            drop(hold);
            // The snapshot's copy-on-write copies were just freed: hand the pages back
            // as an exiting fork child would (see `rhea_sys::release_free_memory`).
            rhea_sys::release_free_memory();
            let _ = tx.send(super::Event::BgsaveDone(result));
        });
        if let Err(e) = spawned {
            self.persist.last_save_ok = false;
            return Err(format!("Can't save in background: {e}"));
        }
        self.persist.bgsave = Some((Instant::now(), self.dirty));
        self.persist.saves += 1;
        notice!("Background saving started");
        Ok(())
    }

    /// The background thread finished (`backgroundSaveDoneHandler`).
    pub fn bgsave_done(&mut self, result: Result<(), String>) {
        let Some((started, dirty_before)) = self.persist.bgsave.take() else { return };
        // The snapshot thread dropped its copy before reporting: nothing is shared now.
        self.persist.last_cow = rhea_keyspace::cow::bytes();
        rhea_keyspace::cow::reset();
        self.persist.last_bgsave_secs = started.elapsed().as_secs() as i64;
        self.disk_sync_done(result.is_ok());
        match result {
            Ok(()) => {
                notice!("Background saving terminated with success");
                self.dirty = self.dirty.saturating_sub(dirty_before);
                self.persist.lastsave = unix_ms() / 1000;
                self.persist.last_save_ok = true;
            }
            Err(e) => {
                warning!("{}", e);
                warning!("Background saving error");
                self.persist.last_save_ok = false;
            }
        }
        if std::mem::take(&mut self.persist.bgsave_scheduled) {
            let _ = self.start_bgsave();
        }
    }

    /// `rdbPopulateSaveInfo`: the replication id and offset saved in the dump's aux
    /// fields, so a restarted replica can PSYNC from where its dump left off.
    pub fn rdb_repl_aux(&self) -> Option<ReplAux> {
        let repl_id = self.repl.ids.replid_str().to_string();
        match &self.repl.master {
            Some(m) => {
                let db = match m.client.and_then(|id| self.clients.get(&id)) {
                    Some(c) => c.db,
                    None => m.cached_db,
                };
                let offset = match &m.cached {
                    Some(c) if m.client.is_none() => c.reploff,
                    _ => m.reploff,
                };
                (m.client.is_some() || m.cached.is_some()).then_some(ReplAux {
                    stream_db: db as u32,
                    repl_id,
                    offset,
                })
            }
            None if self.repl.backlog.is_active() => Some(ReplAux {
                stream_db: self.repl.feed.selected_db().max(0) as u32,
                repl_id,
                offset: self.repl.offset(),
            }),
            None => None,
        }
    }

    /// `serverCron`'s save points: a BGSAVE once `changes` writes are `secs` old, unless
    /// the last attempt failed less than 5 seconds ago.
    pub fn check_save_points(&mut self) {
        if self.persist.bgsave.is_some() {
            return;
        }
        let now = unix_ms() / 1000;
        let retry_ok = self.persist.last_save_ok || now - self.persist.last_bgsave_try > 5;
        let due = self.loaded.config.save_points.iter().find(|&&(secs, changes)| {
            self.dirty as i64 >= changes && now - self.persist.lastsave > secs as i64
        });
        if let (Some(&(secs, changes)), true) = (due, retry_ok) {
            notice!("{} changes in {} seconds. Saving...", changes, secs);
            let _ = self.start_bgsave();
        }
    }

    /// `writeCommandsDeniedByDiskError`: the last save failed and the user asked writes
    /// to stop in that case.
    pub fn writes_denied_by_disk_error(&self) -> bool {
        let c = &self.loaded.config;
        c.stop_writes_on_bgsave_error && !c.save_points.is_empty() && !self.persist.last_save_ok
    }

    /// `prepareForShutdown`: save when asked to (`Some(true)`), or by default when save
    /// points are configured, as SIGTERM and a bare SHUTDOWN do. Returns false, after
    /// logging why, when the save failed and the server must keep running.
    pub fn prepare_shutdown(&mut self, save: Option<bool>) -> bool {
        warning!("User requested shutdown...");
        if self.persist.bgsave.take().is_some() {
            warning!("There is a child saving an .rdb. Killing it!");
            *self.persist.bgsave_cancel.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
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
    /// The `repl-id` / `repl-offset` / `repl-stream-db` aux fields, when all present.
    pub repl: Option<ReplAux>,
}

impl std::fmt::Debug for StartupLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartupLoad")
            .field("keys_loaded", &self.keys_loaded)
            .field("keys_expired", &self.keys_expired)
            .finish_non_exhaustive()
    }
}

/// Load `dbfilename` from `dir` if it exists, logging as Redis does. An unreadable or
/// corrupt file is an error naming the file and the offset: the server must not start
/// with a partial dataset.
pub fn load_at_startup(
    cfg: &Config,
    limits: rhea_keyspace::limits::EncodingLimits,
    lru: u32,
    progress: &std::sync::atomic::AtomicU64,
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
    let loaded =
        rhea_rdb::load_with_progress(&data, &opts, cfg.databases, Some(unix_ms()), lru, progress)
            .map_err(|e| {
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
    let aux = |name: &[u8]| {
        loaded.aux.iter().find(|(k, _)| &k[..] == name).map(|(_, v)| String::from_utf8_lossy(v))
    };
    let repl = match (aux(b"repl-id"), aux(b"repl-offset"), aux(b"repl-stream-db")) {
        (Some(id), Some(off), Some(db)) if id.len() == 40 => Some(ReplAux {
            repl_id: id.into_owned(),
            offset: off.parse().unwrap_or(0),
            stream_db: db.parse().unwrap_or(0),
        }),
        _ => None,
    };
    Ok(Some(StartupLoad {
        repl,
        dbs: loaded.dbs,
        keys_loaded: loaded.keys_loaded,
        keys_expired: loaded.expired_skipped,
    }))
}
