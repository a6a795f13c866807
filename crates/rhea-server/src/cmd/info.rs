//! INFO (`genRedisInfoString`): every section and field of Redis 7.0.15, in its order,
//! with our own values.
//!
//! Section selection mirrors 7.0's `genInfoSectionDict`: no argument means `default`;
//! `all` adds commandstats and latencystats; `everything` is `all` plus module sections
//! (we have none); names are case-insensitive; unknown names select nothing, so
//! `INFO nosuch` is an empty reply. Sections always come out in the fixed order, each
//! after a blank line, every line ending in CRLF. RESP3 clients get a verbatim string.
//!
//! ## Caveats
//! * `used_memory` is the counting allocator's figure (see `engine::memory`). We run on
//!   glibc malloc, so the allocator-internal fields are derived the way they relate in
//!   jemalloc's terms: allocated = active = `used_memory`, resident = RSS, hence a
//!   fragmentation of 1.00 inside the allocator and all of RSS − used as "rss" overhead.
//!   `used_memory_overhead` counts the startup memory, client buffers and the tables
//!   of the keyspace, not Redis's exact list of structures.
//! * CPU times come from `/proc/self/stat` and `/proc/thread-self/stat` (the engine
//!   thread runs INFO, so that is the "main thread"), assuming 100 ticks per second.
//! * latencystats percentiles are the mean latency of each command, since no per-call
//!   histogram is recorded yet.
//! * Fields for features we lack (AOF, forks, Lua, tracking, defrag, replicas, I/O
//!   threads) report the values of an idle Redis with the feature off.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::table::Command;
use crate::engine::{Server, memory, unix_ms};

/// Every section in output order; `true` marks the `default` ones.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

pub fn info(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let text = generate(ctx, &args[1..]);
    Reply::Verbatim("txt", Bytes::from(text))
}

/// Which sections the arguments select, in output order.
pub fn selected(args: &[Bytes]) -> Vec<&'static str> {
    let names: Vec<String> =
        args.iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let default = names.is_empty() || names.iter().any(|n| n == "default");
    let all = names.iter().any(|n| n == "all" || n == "everything");
    SECTIONS
        .iter()
        .filter(|(name, is_default)| {
            all || default && *is_default
                || names.iter().any(|n| n == name || *name == "modules" && n == "module_list")
        })
        .map(|(name, _)| *name)
        .collect()
}

/// A Sentinel's sections (`sentinelInfoCommand`): any of these by name; "default",
/// "all" or "everything" (or nothing) select them all.
const SENTINEL_SECTIONS: &[&str] = &["server", "clients", "stats", "cpu", "sentinel"];

fn selected_in_sentinel(args: &[Bytes]) -> Vec<&'static str> {
    let names: Vec<String> =
        args.iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let every = names.is_empty()
        || names.iter().any(|n| matches!(n.as_str(), "default" | "all" | "everything"));
    SENTINEL_SECTIONS.iter().copied().filter(|s| every || names.iter().any(|n| n == s)).collect()
}

/// The INFO text for `args` (section names).
pub fn generate(ctx: &mut Ctx<'_>, args: &[Bytes]) -> String {
    let mut out = String::new();
    let sections =
        if ctx.srv.sentinel.is_some() { selected_in_sentinel(args) } else { selected(args) };
    for (i, name) in sections.into_iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let mut lines = Lines::default();
        match name {
            "server" => server(ctx, &mut lines),
            "clients" => clients(ctx, &mut lines),
            "memory" => memory(ctx, &mut lines),
            "persistence" => persistence(ctx.srv, &mut lines),
            "stats" => stats(ctx.srv, &mut lines),
            "replication" => replication(ctx.srv, &mut lines),
            "cpu" => cpu(&mut lines),
            "modules" => {}
            "commandstats" => commandstats(ctx.srv, &mut lines),
            "errorstats" => errorstats(ctx.srv, &mut lines),
            "latencystats" => latencystats(ctx.srv, &mut lines),
            "cluster" => lines.add("cluster_enabled", 0),
            "sentinel" => {
                if let Some(s) = &ctx.srv.sentinel {
                    lines.0.push_str(&s.info_section());
                }
            }
            _ => keyspace(ctx.srv, &mut lines),
        }
        let title = match name {
            "cpu" => "CPU".to_string(),
            n => n[..1].to_ascii_uppercase() + &n[1..],
        };
        let _ = write!(out, "# {title}\r\n{}", lines.0);
    }
    out
}

/// `name:value\r\n` lines.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn add(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

// ===== sections =====

fn server(ctx: &Ctx<'_>, l: &mut Lines) {
    let srv = &*ctx.srv;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let uptime = srv.started.elapsed().as_secs();
    l.add("redis_version", crate::REDIS_VERSION);
    l.add("redis_git_sha1", "00000000");
    l.add("redis_git_dirty", 0);
    l.add("redis_build_id", &super::sha1::hex(&super::sha1::sha1(b"rhea"))[..16]);
    l.add("redis_mode", if srv.sentinel.is_some() { "sentinel" } else { "standalone" });
    l.add("os", os_name());
    l.add("arch_bits", usize::BITS);
    l.add("monotonic_clock", "POSIX clock_gettime");
    l.add("multiplexing_api", "epoll");
    l.add("atomicvar_api", "c11-builtin");
    // Redis prints the GCC version it was built with, or 0.0.0 for other compilers.
    l.add("gcc_version", "0.0.0");
    l.add("process_id", std::process::id());
    l.add("process_supervised", "no");
    l.add("run_id", &srv.run_id);
    l.add("tcp_port", srv.settings.port);
    l.add("server_time_usec", now.as_micros());
    l.add("uptime_in_seconds", uptime);
    l.add("uptime_in_days", uptime / 86400);
    l.add("hz", srv.settings.hz);
    l.add("configured_hz", srv.settings.hz);
    l.add("lru_clock", crate::engine::lru::lru_clock(crate::engine::unix_ms()));
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    l.add("executable", exe);
    let conf = srv.loaded.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    l.add("config_file", conf);
    l.add("io_threads_active", 0);
}

fn clients(ctx: &Ctx<'_>, l: &mut Lines) {
    let all = ctx.all_clients();
    let replicas = all.iter().filter(|c| c.is_replica).count();
    l.add("connected_clients", all.len() - replicas);
    l.add("cluster_connections", 0);
    l.add("maxclients", ctx.srv.settings.maxclients);
    l.add("client_recent_max_input_buffer", all.iter().map(|c| c.qbuf).max().unwrap_or(0));
    l.add("client_recent_max_output_buffer", all.iter().map(|c| c.outbuf.len()).max().unwrap_or(0));
    l.add("blocked_clients", ctx.srv.stats.blocked_clients);
    l.add("tracking_clients", 0);
    l.add("clients_in_timeout_table", ctx.srv.block_deadlines.len());
}

fn memory(ctx: &mut Ctx<'_>, l: &mut Lines) {
    // Like Redis, INFO raises the peak itself, so that used never shows above it.
    let used = ctx.srv.memory.update_peak();
    let srv = &*ctx.srv;
    let rss = memory::rss();
    let startup = srv.memory.startup;
    let peak = srv.memory.peak;
    let clients_mem: u64 = ctx.all_clients().iter().map(|c| (c.qbuf + c.outbuf.len()) as u64).sum();
    let tables: u64 =
        srv.dbs.iter().map(|db| (db.dict.table_bytes() + db.expires.table_bytes()) as u64).sum();
    let overhead = startup + clients_mem + tables;
    let dataset = used.saturating_sub(overhead);
    // getMemoryOverheadData: percentages of the memory used beyond startup (at least 1).
    let net = if used > startup { used - startup } else { 1 };
    let total_system = system_memory();
    let policy = super::debug::config_str(ctx, b"maxmemory-policy");
    let ratio = |a: u64, b: u64| format!("{:.2}", a as f64 / b.max(1) as f64);
    let signed_diff = |a: u64, b: u64| a as i64 - b as i64;
    l.add("used_memory", used);
    l.add("used_memory_human", human(used));
    l.add("used_memory_rss", rss);
    l.add("used_memory_rss_human", human(rss));
    l.add("used_memory_peak", peak);
    l.add("used_memory_peak_human", human(peak));
    l.add("used_memory_peak_perc", format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64));
    l.add("used_memory_overhead", overhead);
    l.add("used_memory_startup", startup);
    l.add("used_memory_dataset", dataset);
    l.add("used_memory_dataset_perc", format!("{:.2}%", dataset as f64 * 100.0 / net as f64));
    l.add("allocator_allocated", used);
    l.add("allocator_active", used);
    l.add("allocator_resident", rss);
    l.add("total_system_memory", total_system);
    l.add("total_system_memory_human", human(total_system));
    // No scripting engine: the Lua and function figures are those of nothing loaded.
    l.add("used_memory_lua", 0);
    l.add("used_memory_vm_eval", 0);
    l.add("used_memory_lua_human", human(0));
    l.add("used_memory_scripts_eval", 0);
    l.add("number_of_cached_scripts", 0);
    l.add("number_of_functions", 0);
    l.add("number_of_libraries", 0);
    l.add("used_memory_vm_functions", 0);
    l.add("used_memory_vm_total", 0);
    l.add("used_memory_vm_total_human", human(0));
    l.add("used_memory_functions", 0);
    l.add("used_memory_scripts", 0);
    l.add("used_memory_scripts_human", human(0));
    l.add("maxmemory", srv.settings.maxmemory);
    l.add("maxmemory_human", human(srv.settings.maxmemory));
    l.add("maxmemory_policy", policy);
    l.add("allocator_frag_ratio", "1.00");
    l.add("allocator_frag_bytes", 0);
    l.add("allocator_rss_ratio", ratio(rss, used));
    l.add("allocator_rss_bytes", signed_diff(rss, used));
    l.add("rss_overhead_ratio", "1.00");
    l.add("rss_overhead_bytes", 0);
    l.add("mem_fragmentation_ratio", ratio(rss, used));
    l.add("mem_fragmentation_bytes", signed_diff(rss, used));
    l.add("mem_not_counted_for_evict", srv.mem_not_counted_for_evict());
    l.add("mem_replication_backlog", 0);
    l.add("mem_total_replication_buffers", 0);
    l.add("mem_clients_slaves", 0);
    l.add("mem_clients_normal", clients_mem);
    l.add("mem_cluster_links", 0);
    l.add("mem_aof_buffer", 0);
    // What Redis prints when built against the C library's malloc, as we are.
    l.add("mem_allocator", "libc");
    l.add("active_defrag_running", 0);
    l.add("lazyfree_pending_objects", 0);
    l.add("lazyfreed_objects", 0);
}

fn persistence(srv: &Server, l: &mut Lines) {
    l.add("loading", i64::from(srv.loading.is_some()));
    l.add("async_loading", 0);
    // Bytes the engine copied because the snapshot shared them (see rhea_keyspace::cow).
    // It only grows during a save, so the current size is also the peak.
    let cow = if srv.persist.bgsave.is_some() { rhea_keyspace::cow::bytes() } else { 0 };
    l.add("current_cow_peak", cow);
    l.add("current_cow_size", cow);
    l.add("current_cow_size_age", 0);
    l.add("current_fork_perc", "0.00");
    l.add("current_save_keys_processed", 0);
    l.add("current_save_keys_total", 0);
    l.add("rdb_changes_since_last_save", srv.dirty);
    l.add("rdb_bgsave_in_progress", i64::from(srv.persist.bgsave.is_some()));
    // No save has happened yet: Redis reports its start time until the first one.
    l.add("rdb_last_save_time", srv.persist.lastsave);
    l.add("rdb_last_bgsave_status", if srv.persist.last_save_ok { "ok" } else { "err" });
    l.add("rdb_last_bgsave_time_sec", srv.persist.last_bgsave_secs);
    l.add(
        "rdb_current_bgsave_time_sec",
        srv.persist.bgsave.map_or(-1, |(t, _)| t.elapsed().as_secs() as i64),
    );
    l.add("rdb_saves", srv.persist.saves);
    l.add("rdb_last_cow_size", srv.persist.last_cow);
    l.add("rdb_last_load_keys_expired", srv.persist.last_load_keys_expired);
    l.add("rdb_last_load_keys_loaded", srv.persist.last_load_keys_loaded);
    l.add("aof_enabled", 0);
    l.add("aof_rewrite_in_progress", 0);
    l.add("aof_rewrite_scheduled", 0);
    l.add("aof_last_rewrite_time_sec", -1);
    l.add("aof_current_rewrite_time_sec", -1);
    l.add("aof_last_bgrewrite_status", "ok");
    l.add("aof_rewrites", 0);
    l.add("aof_rewrites_consecutive_failures", 0);
    l.add("aof_last_write_status", "ok");
    l.add("aof_last_cow_size", 0);
    l.add("module_fork_in_progress", 0);
    l.add("module_fork_last_cow_size", 0);
    if let Some(ld) = &srv.loading {
        let loaded = ld.loaded();
        let elapsed = (crate::engine::unix_ms() / 1000 - ld.start_unix).max(0) as u64;
        // Redis's formulas, including the +1s that avoid dividing by zero.
        let perc = loaded as f64 / (ld.total_bytes + 1) as f64 * 100.0;
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed * ld.total_bytes.saturating_sub(loaded) / (loaded + 1)
        };
        l.add("loading_start_time", ld.start_unix);
        l.add("loading_total_bytes", ld.total_bytes);
        l.add("loading_rdb_used_mem", 0);
        l.add("loading_loaded_bytes", loaded);
        l.add("loading_loaded_perc", format!("{perc:.2}"));
        l.add("loading_eta_seconds", eta);
    }
}

fn stats(srv: &Server, l: &mut Lines) {
    let s = &srv.stats;
    let (net_in, net_out) = srv.net_bytes();
    l.add("total_connections_received", s.total_connections_received);
    l.add("total_commands_processed", s.total_commands_processed);
    l.add("instantaneous_ops_per_sec", s.instantaneous_ops);
    l.add("total_net_input_bytes", net_in);
    l.add("total_net_output_bytes", net_out);
    l.add("total_net_repl_input_bytes", 0);
    l.add("total_net_repl_output_bytes", 0);
    for f in [
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps",
        "instantaneous_output_repl_kbps",
    ] {
        l.add(f, "0.00");
    }
    l.add("rejected_connections", s.rejected_connections);
    l.add("sync_full", s.sync_full);
    l.add("sync_partial_ok", s.sync_partial_ok);
    l.add("sync_partial_err", s.sync_partial_err);
    l.add("expired_keys", s.expired_keys);
    l.add("expired_stale_perc", "0.00");
    l.add("expired_time_cap_reached_count", 0);
    l.add("expire_cycle_cpu_milliseconds", 0);
    l.add("evicted_keys", s.evicted_keys);
    l.add("evicted_clients", 0);
    let (exceeded_total, exceeded_now) = srv.evict.exceeded_times();
    l.add("total_eviction_exceeded_time", exceeded_total.as_millis());
    l.add("current_eviction_exceeded_time", exceeded_now.as_millis());
    l.add("keyspace_hits", s.keyspace_hits);
    l.add("keyspace_misses", s.keyspace_misses);
    l.add("pubsub_channels", srv.pubsub.channels.len());
    l.add("pubsub_patterns", srv.pubsub.patterns.len());
    for f in [
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
    ] {
        l.add(f, 0);
    }
    l.add("total_error_replies", s.total_error_replies);
    l.add("dump_payload_sanitizations", 0);
    // No separate read/write event counters: every batch is one read and one write.
    l.add("total_reads_processed", s.total_commands_processed);
    l.add("total_writes_processed", s.total_commands_processed);
    for f in [
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ] {
        l.add(f, 0);
    }
}

/// The `master_sync_*` lines during an RDB transfer. Like Redis, an EOF-marked transfer
/// has size -1, so its percentage comes out negative.
fn transfer_progress(p: &crate::net::master_link::TransferProgress, now: i64, l: &mut Lines) {
    use std::sync::atomic::Ordering::Relaxed;
    let (size, read) = (p.size.load(Relaxed), p.read.load(Relaxed));
    let perc = if size != 0 { read as f64 / size as f64 * 100.0 } else { 0.0 };
    l.add("master_sync_total_bytes", size);
    l.add("master_sync_read_bytes", read);
    l.add("master_sync_left_bytes", size - read);
    l.add("master_sync_perc", format!("{perc:.2}"));
    l.add("master_sync_last_io_seconds_ago", now - p.last_io.load(Relaxed));
}

/// INFO replication, in 7.0's field order (wire-spec §2.6).
fn replication(srv: &Server, l: &mut Lines) {
    let r = &srv.repl;
    let now = unix_ms() / 1000;
    match &r.master {
        Some(m) => {
            l.add("role", "slave");
            l.add("master_host", &m.host);
            l.add("master_port", m.port);
            l.add("master_link_status", m.state.link_status());
            let last_io = match m.client {
                Some(_) => m.last_io.elapsed().as_secs() as i64,
                None => -1,
            };
            l.add("master_last_io_seconds_ago", last_io);
            l.add("master_sync_in_progress", m.state.sync_in_progress() as i32);
            // Redis reports 1 when there is neither a master client nor a cached one.
            let offset = match (&m.client, &m.cached) {
                (Some(_), _) => m.reploff,
                (None, Some(c)) => c.reploff,
                (None, None) => 1,
            };
            l.add("slave_read_repl_offset", offset);
            l.add("slave_repl_offset", offset);
            if m.state == crate::repl::handshake::ReplState::Transfer {
                transfer_progress(&m.progress, now, l);
            }
            if m.state != crate::repl::handshake::ReplState::Connected {
                l.add("master_link_down_since_seconds", m.down_since.map_or(-1, |t| now - t));
            }
            l.add("slave_priority", srv.loaded.config.replica_priority);
            l.add("slave_read_only", srv.loaded.config.replica_read_only as i32);
            l.add("replica_announced", srv.loaded.config.replica_announced as i32);
        }
        None => l.add("role", "master"),
    }
    l.add("connected_slaves", r.replicas.len());
    if srv.loaded.config.min_replicas_to_write > 0
        && !srv.loaded.config.min_replicas_max_lag.is_zero()
    {
        l.add("min_slaves_good_slaves", r.good_replicas);
    }
    let mut n = 0;
    for id in &r.replicas {
        let Some(c) = srv.clients.get(id) else { continue };
        let Some(info) = c.replica.as_ref() else { continue };
        let Some(state) = info.state else { continue };
        let lag = if state.is_online() { now - info.ack_time } else { 0 };
        l.add(
            &format!("slave{n}"),
            format!(
                "ip={},port={},state={},offset={},lag={}",
                super::replication::replica_ip(c),
                info.listening_port,
                state.info_name(),
                info.ack_off,
                lag
            ),
        );
        n += 1;
    }
    l.add("master_failover_state", "no-failover");
    l.add("master_replid", r.ids.replid_str());
    l.add("master_replid2", r.ids.replid2_str());
    l.add("master_repl_offset", r.offset());
    l.add("second_repl_offset", r.ids.second_repl_offset);
    l.add("repl_backlog_active", r.backlog.is_active() as i32);
    l.add("repl_backlog_size", r.backlog.size());
    l.add("repl_backlog_first_byte_offset", r.backlog.first_byte_offset());
    l.add("repl_backlog_histlen", r.backlog.histlen());
}

fn cpu(l: &mut Lines) {
    let (user, sys, cuser, csys) = cpu_ticks("/proc/self/stat");
    let (tuser, tsys, _, _) = cpu_ticks("/proc/thread-self/stat");
    l.add("used_cpu_sys", secs(sys));
    l.add("used_cpu_user", secs(user));
    l.add("used_cpu_sys_children", secs(csys));
    l.add("used_cpu_user_children", secs(cuser));
    l.add("used_cpu_sys_main_thread", secs(tsys));
    l.add("used_cpu_user_main_thread", secs(tuser));
}

/// Every command and subcommand in table order: Redis walks its command dict.
fn all_commands(srv: &Server) -> Vec<&'static Command> {
    let mut v = Vec::new();
    for c in &srv.table.all {
        v.push(*c);
        v.extend(c.subcommands.iter());
    }
    v
}

fn commandstats(srv: &Server, l: &mut Lines) {
    for c in all_commands(srv) {
        let Some(st) = srv.stats.commands.get(c.name) else { continue };
        if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
            continue;
        }
        let per_call = if st.calls == 0 { 0.0 } else { st.usec as f64 / st.calls as f64 };
        l.add(
            &format!("cmdstat_{}", c.name),
            format!(
                "calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                st.calls, st.usec, per_call, st.rejected_calls, st.failed_calls
            ),
        );
    }
}

fn errorstats(srv: &Server, l: &mut Lines) {
    // Redis keeps error codes in a radix tree, so they come out sorted.
    let mut codes: Vec<(&String, &u64)> = srv.stats.errors.iter().collect();
    codes.sort();
    for (code, n) in codes {
        l.add(&format!("errorstat_{code}"), format!("count={n}"));
    }
}

fn latencystats(srv: &Server, l: &mut Lines) {
    for c in all_commands(srv) {
        let Some(st) = srv.stats.commands.get(c.name).filter(|s| s.calls > 0) else { continue };
        let mean = st.usec as f64 / st.calls as f64;
        l.add(
            &format!("latency_percentiles_usec_{}", c.name),
            format!("p50={mean:.3},p99={mean:.3},p99.9={mean:.3}"),
        );
    }
}

fn keyspace(srv: &Server, l: &mut Lines) {
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        l.add(
            &format!("db{i}"),
            format!("keys={},expires={},avg_ttl={}", db.len(), db.expires_len(), db.avg_ttl),
        );
    }
}

// ===== process facts =====

/// `os:` as Redis builds it from uname: "Linux <release> <machine>".
fn os_name() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {} {}", release.trim(), std::env::consts::ARCH)
}

fn system_memory() -> u64 {
    memory::proc_kb("/proc/meminfo", "MemTotal:") * 1024
}

/// (utime, stime, cutime, cstime) in clock ticks from a /proc stat file.
fn cpu_ticks(path: &str) -> (u64, u64, u64, u64) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The command name may contain spaces; the numeric fields start after its ')'.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> =
        rest.split_whitespace().skip(11).take(4).filter_map(|x| x.parse().ok()).collect();
    match f[..] {
        [u, s, cu, cs] => (u, s, cu, cs),
        _ => (0, 0, 0, 0),
    }
}

/// Ticks (1/100 s, Linux's USER_HZ) as Redis's `%ld.%06ld` seconds.
fn secs(ticks: u64) -> String {
    format!("{}.{:06}", ticks / 100, (ticks % 100) * 10_000)
}

/// `bytesToHuman`.
pub fn human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] =
        [(1 << 10, "K"), (1 << 20, "M"), (1 << 30, "G"), (1 << 40, "T"), (1 << 50, "P")];
    if n < 1024 {
        return format!("{n}B");
    }
    for (i, (div, unit)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(1u64 << 60, |(d, _)| *d);
        if n < next {
            return format!("{:.2}{}", n as f64 / *div as f64, unit);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(args: &[&str]) -> Vec<&'static str> {
        let a: Vec<Bytes> = args.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
        selected(&a)
    }

    #[test]
    fn section_selection() {
        let default = sel(&[]);
        assert_eq!(default.len(), 11);
        assert!(!default.contains(&"commandstats"));
        assert_eq!(sel(&["default"]), default);
        assert_eq!(sel(&["ALL"]).len(), 13);
        assert_eq!(sel(&["everything"]).len(), 13);
        assert_eq!(sel(&["keyspace", "Server"]), vec!["server", "keyspace"]);
        assert_eq!(sel(&["module_list"]), vec!["modules"]);
        assert!(sel(&["nosuch"]).is_empty());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(916_488), "895.01K");
        assert_eq!(human(12_140_544), "11.58M");
        assert_eq!(human(25_276_510_208), "23.54G");
    }

    #[test]
    fn cpu_seconds() {
        assert_eq!(secs(0), "0.000000");
        assert_eq!(secs(123), "1.230000");
    }
}
