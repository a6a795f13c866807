//! Redis's approximate LRU clock and logarithmic LFU counter (`evict.c`), stored in the
//! 24 bits of each entry's `lru` field.

use rhea_keyspace::Entry;

/// 24-bit clock with one-second resolution.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Counter value of a new key under LFU, so it is not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_CLOCK_MAX
}

/// Idle time in ms of an entry under an LRU policy (`estimateObjectIdleTime`).
pub fn idle_ms(entry_lru: u32, clock: u32) -> u64 {
    if clock >= entry_lru {
        u64::from(clock - entry_lru) * 1000
    } else {
        u64::from(clock + (LRU_CLOCK_MAX - entry_lru)) * 1000
    }
}

fn minutes_elapsed(ldt: u32, now_min: u32) -> u32 {
    let now = now_min & 0xFFFF;
    if now >= ldt { now - ldt } else { 65535 - ldt + now }
}

/// The counter after applying decay (`LFUDecrAndReturn`).
pub fn lfu_decayed(lru: u32, now_min: u32, decay_time: u32) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let periods = minutes_elapsed(ldt, now_min).checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// `LFULogIncr`: increment with probability 1/((counter-5)*factor+1). `rnd` in [0,1).
pub fn lfu_log_incr(counter: u32, factor: u32, rnd: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * factor as f64 + 1.0);
    if rnd < p { counter + 1 } else { counter }
}

/// `updateLFU` on access.
pub fn lfu_touch(e: &mut Entry, now_min: u32, factor: u32, decay: u32, rnd: f64) {
    let counter = lfu_log_incr(lfu_decayed(e.lru, now_min, decay), factor, rnd);
    e.lru = ((now_min & 0xFFFF) << 8) | counter;
}

/// The `lru` field of a newly created key.
pub fn initial(now_ms: i64, lfu: bool) -> u32 {
    if lfu { (((now_ms / 60_000) as u32 & 0xFFFF) << 8) | LFU_INIT_VAL } else { lru_clock(now_ms) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_counts_up_and_decays() {
        assert_eq!(lfu_log_incr(0, 10, 0.99), 1, "below the init value it always increments");
        assert_eq!(lfu_log_incr(255, 10, 0.0), 255);
        let lru = (100 << 8) | 20;
        assert_eq!(lfu_decayed(lru, 100, 1), 20);
        assert_eq!(lfu_decayed(lru, 105, 1), 15);
        assert_eq!(lfu_decayed(lru, 200, 1), 0);
        assert_eq!(lfu_decayed(lru, 200, 0), 20, "decay time 0 never decays");
    }

    #[test]
    fn idle_wraps() {
        assert_eq!(idle_ms(10, 15), 5000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 1, 1), 2000);
    }
}
