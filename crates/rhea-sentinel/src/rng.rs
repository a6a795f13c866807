//! The injected source of randomness: run ids, failover start jitter, the timer period.
//!
//! Redis calls `rand()` for the failover jitter (`sentinelStartFailover`,
//! `sentinelVoteLeader`) and for the timer frequency (`sentinelTimer`), and
//! `getRandomHexChars` for its myid. The core takes a [`SentinelRng`] instead so a
//! simulation replays exactly from a seed.

/// What the core needs from a random source.
pub trait SentinelRng {
    fn next_u64(&mut self) -> u64;

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// 40 lower-case hex characters, as `getRandomHexChars` makes run ids.
    fn hex40(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..40).map(|_| HEX[(self.next_u64() & 15) as usize] as char).collect()
    }
}

/// SplitMix64: tiny, seedable and good enough for jitter and ids. Not cryptographic; a
/// driver that wants unpredictable ids seeds it from the OS.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl SentinelRng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let id = a.hex40();
        assert_eq!(id, b.hex40());
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
