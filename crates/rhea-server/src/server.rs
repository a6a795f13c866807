//! Process lifecycle of `rhea server`: load the config, log the startup lines, bind the
//! listeners, run the engine thread and the I/O runtime, and shut down cleanly on
//! SHUTDOWN, SIGTERM or SIGINT.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::config;
use crate::engine::inbox::EngineTx;
use crate::engine::io::Io;
use crate::engine::sentinel::{Publisher, SentinelHooks};
use crate::engine::{Event, Server, Shared, Shutdown};
use crate::log;
use crate::net::listener::{self, BindSpec, Listener};
use crate::startup::Startup;
use crate::{notice, warning};
use crossbeam_channel::unbounded;

/// Entry point: `args` excludes the program name. Returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    if let Some(code) = crate::startup::early_flags(args) {
        return code;
    }
    let loaded = match config::load(args) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.fatal_report());
            return 1;
        }
    };
    run(args, loaded, None)
}

/// Builds the Sentinel a sentinel-mode engine serves, once the engine's inbox exists
/// (its events are published through the [`Publisher`]).
pub type SentinelFactory = Box<dyn FnOnce(Publisher) -> Box<dyn SentinelHooks>>;

/// Run the server on a loaded configuration: as a Redis server, or with `sentinel` as
/// a Sentinel (`redis-sentinel`: no dataset, no dump, Sentinel's command table, role
/// `X` in the log). `args` are the command line, for daemonizing again.
pub fn run(
    args: &[String],
    loaded: config::LoadedConfig,
    sentinel: Option<SentinelFactory>,
) -> i32 {
    // Redis `chdir`s into `dir` while reading the config; RDB files live there.
    if let Err(e) = std::env::set_current_dir(&loaded.config.dir) {
        eprintln!("Can't chdir to '{}': {}", loaded.config.dir, crate::config::strerror(&e));
        return 1;
    }
    let st = Startup::from_config(&loaded);
    if st.daemonize && std::env::var_os(crate::startup::DAEMON_ENV).is_none() {
        return crate::startup::daemonize(args);
    }
    log::configure(st.loglevel, st.logfile.as_deref());
    let pid = std::process::id();
    warning!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    warning!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        crate::REDIS_VERSION,
        pid
    );
    // Like Redis, any argument at all counts as configuration.
    if !args.is_empty() {
        warning!("Configuration loaded");
    } else {
        warning!(
            "Warning: no config file specified, using the default config. In order to specify a \
             config file use {} /path/to/redis.conf",
            crate::startup::program_name()
        );
    }
    if sentinel.is_none() {
        log::set_role('M');
    }
    notice!("monotonic clock: POSIX clock_gettime");
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(st.io_threads)
        .thread_name("rhea-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            warning!("Failed creating the I/O runtime: {}", e);
            return 1;
        }
    };
    let shared = Arc::new(Shared::default());
    shared.auth_required.store(loaded.config.requirepass.is_some(), Ordering::Relaxed);
    let (poll, waker) = match mio::Poll::new().and_then(|p| {
        let w = mio::Waker::new(p.registry(), crate::engine::io::WAKER)?;
        Ok((p, w))
    }) {
        Ok(x) => x,
        Err(e) => {
            warning!("Failed creating the event loop. Error message: '{}'", e);
            return 1;
        }
    };
    let (raw_tx, rx) = unbounded::<Event>();
    let tx = EngineTx::new(raw_tx, Arc::new(waker));
    // Bind before announcing readiness, exactly as Redis does; a taken port aborts.
    let listeners = match bind_all(&st) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let io = match Io::new(poll, listeners) {
        Ok(io) => io,
        Err(e) => {
            warning!("Failed registering the listening sockets: {}", e);
            return 1;
        }
    };
    let is_sentinel = sentinel.is_some();
    let mode = if is_sentinel { "sentinel" } else { "standalone" };
    if st.always_show_logo {
        log::write_raw(&crate::startup::logo(st.port, pid));
    } else {
        notice!("Running mode={}, port={}.", mode, st.port);
    }
    if sentinel.is_none() {
        warning!("Server initialized");
    }
    if let Some(p) = &st.pidfile
        && let Err(e) = std::fs::write(p, format!("{pid}\n"))
    {
        warning!("Failed to write PID file: {}", e);
    }
    // Clients are served from here on; while the dump loads on its own thread they get
    // -LOADING, and a bad file stops the server instead of serving part of it.
    let settings = crate::startup::settings_from(&loaded);
    // `used_memory_startup`: what the server uses before any data, as Redis measures it
    // at the end of its initialisation, before loading the dump.
    let startup_memory = crate::engine::memory::used();
    rt.spawn(forward_signals(tx.clone()));
    shared.max_bulk_len.store(st.proto_max_bulk_len, Ordering::Relaxed);
    shared.query_buffer_limit.store(st.client_query_buffer_limit, Ordering::Relaxed);
    let encoding = settings.encoding;
    let mut engine = Server::new(settings, loaded, shared);
    engine.self_tx = Some(tx.clone());
    engine.inbox = Some(rx);
    engine.io = Some(io);
    engine.runtime = Some(rt.handle().clone());
    engine.memory.startup = startup_memory;
    if let Some(make) = sentinel {
        // A Sentinel has no dataset: nothing to load, replicate or save.
        engine.loaded.config.save_points.clear();
        let renames = &engine.loaded.config.renamed_commands;
        engine.table = Arc::new(crate::cmd::serving_table(true, renames));
        engine.sentinel = Some(make(Publisher::new(tx.clone())));
    }
    if let Err(e) = engine.load_users() {
        for line in e.lines() {
            warning!("{}", line);
        }
        return 1;
    }
    if !is_sentinel {
        engine.init_replica_from_config();
        // Keys loaded from the dump get the LRU/LFU field of a new key (`createObject`).
        engine.loading = crate::engine::loading::start(
            &engine.loaded.config,
            encoding,
            engine.initial_lru(),
            tx,
        );
        if engine.loading.is_none() {
            notice!("Ready to accept connections");
        }
    }
    if (1..1 << 20).contains(&engine.loaded.config.maxmemory) {
        warning!(
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is \
             {} bytes). Are you sure this is what you really want?",
            engine.loaded.config.maxmemory
        );
    }
    let handle = std::thread::Builder::new()
        .name("rhea-engine".into())
        .spawn(move || engine.run())
        .expect("spawn engine thread");
    let shutdown = handle.join();
    if matches!(shutdown, Ok(Shutdown::Fatal)) {
        return 1;
    }
    if let Some(p) = &st.pidfile {
        notice!("Removing the pid file.");
        let _ = std::fs::remove_file(p);
    }
    if let Some(path) = &st.unixsocket {
        notice!("Removing the unix socket file.");
        let _ = std::fs::remove_file(path);
    }
    // `prepareForShutdown` names the mode it ran in.
    warning!("{} is now ready to exit, bye bye...", if is_sentinel { "Sentinel" } else { "Redis" });
    rt.shutdown_background();
    0
}

/// Bind every listener (the engine's poller accepts on them). Returns them, or the exit
/// code after logging Redis's failure lines.
fn bind_all(st: &Startup) -> Result<Vec<Listener>, i32> {
    let mut out = Vec::new();
    if st.port != 0 {
        for BindSpec { addr, optional } in listener::parse_bind(&st.bind) {
            match listener::bind_tcp(&addr, st.port, st.tcp_backlog) {
                Ok(l) => out.push(Listener::tcp(l, st.tcp_keepalive)),
                Err(e) if optional && is_unavailable(&e) => continue,
                Err(e) => {
                    warning!(
                        "Warning: Could not create server TCP listening socket {}:{}: bind: {}",
                        addr,
                        st.port,
                        describe(&e)
                    );
                    warning!("Failed listening on port {} (TCP), aborting.", st.port);
                    return Err(1);
                }
            }
        }
    }
    if let Some(path) = &st.unixsocket {
        let _ = std::fs::remove_file(path);
        let bound = std::os::unix::net::UnixListener::bind(path)
            .and_then(|l| Listener::unix(l, path.clone()));
        match bound {
            Ok(l) => {
                if st.unixsocketperm != 0 {
                    use std::os::unix::fs::PermissionsExt;
                    let perm = std::fs::Permissions::from_mode(st.unixsocketperm);
                    let _ = std::fs::set_permissions(path, perm);
                }
                out.push(l);
            }
            Err(e) => {
                warning!("Failed opening Unix socket: {}", describe(&e));
                return Err(1);
            }
        }
    }
    if out.is_empty() {
        warning!("Configured to not listen anywhere, exiting.");
        return Err(1);
    }
    Ok(out)
}

fn is_unavailable(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported)
        || e.raw_os_error() == Some(97) // EAFNOSUPPORT: no IPv6 on this host
}

/// strerror-style text, as Redis prints it ("Address already in use").
fn describe(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

async fn forward_signals(tx: EngineTx) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return;
    };
    loop {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Event::Signal(name));
    }
}
