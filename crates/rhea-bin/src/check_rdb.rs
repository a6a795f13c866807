//! `rhea check-rdb FILE` (argv[0] `redis-check-rdb`): verify an RDB file and report, in
//! redis-check-rdb's line format, what is in it or what is wrong and at which offset.

use std::time::{SystemTime, UNIX_EPOCH};

/// Returns the exit code: 0 when the file is valid, 1 otherwise (as redis-check-rdb).
pub fn main(program: &str, args: &[String]) -> i32 {
    let Some(path) = args.first() else {
        eprintln!("Usage: {program} <rdb-file-name>");
        return 1;
    };
    println!("[offset 0] Checking RDB file {path}");
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            // redis-check-rdb stops silently here; saying why costs nothing.
            eprintln!("Cannot open {path}: {e}");
            return 1;
        }
    };
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let report = rhea_rdb::check_at(&data, Some(now_ms));
    // The header line was printed before reading, like the real tool does.
    let rendered = report.render(path);
    print!("{}", rendered.split_once('\n').map_or("", |(_, rest)| rest));
    if report.ok() { 0 } else { 1 }
}
