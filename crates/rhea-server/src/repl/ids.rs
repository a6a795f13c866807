//! Replication ids: `master_replid`, `master_replid2` and `second_repl_offset`.
//!
//! Mirrors Redis 7.0 `changeReplicationId`, `clearReplicationId2` and
//! `shiftReplicationId`. The RNG is injected so tests are deterministic.
//!
//! Caveats: Redis draws its hex from a SHA1-based generator (`getRandomHexChars`); any
//! 40 lowercase hex digits are equivalent on the wire.

use rand::RngCore;

/// Length of a replication id (`CONFIG_RUN_ID_SIZE`).
pub const REPLID_LEN: usize = 40;

/// A 40-character lowercase hex replication id.
pub type Replid = [u8; REPLID_LEN];

/// The "no id" value INFO shows for `master_replid2`: forty `0` characters.
pub const ZERO_REPLID: Replid = [b'0'; REPLID_LEN];

/// Draws a fresh random replid (40 chars of `[0-9a-f]`).
pub fn random_replid(rng: &mut impl RngCore) -> Replid {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut raw = [0u8; REPLID_LEN];
    rng.fill_bytes(&mut raw);
    raw.map(|b| HEX[(b & 0x0f) as usize])
}

/// The pair of ids a master (or replica) answers PSYNC with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplIds {
    /// `master_replid`: the current history.
    pub replid: Replid,
    /// `master_replid2`: the history we inherited, valid up to `second_repl_offset`.
    pub replid2: Replid,
    /// `second_repl_offset`: the first offset *not* covered by `replid2`; -1 when unset.
    pub second_repl_offset: i64,
}

impl ReplIds {
    /// A fresh id with no secondary id (as at server start).
    pub fn new(rng: &mut impl RngCore) -> Self {
        ReplIds { replid: random_replid(rng), replid2: ZERO_REPLID, second_repl_offset: -1 }
    }

    /// `changeReplicationId`: take a new random replid (replid2 untouched).
    pub fn change_replication_id(&mut self, rng: &mut impl RngCore) {
        self.replid = random_replid(rng);
    }

    /// `clearReplicationId2`: forget the inherited history.
    pub fn clear_replication_id2(&mut self) {
        self.replid2 = ZERO_REPLID;
        self.second_repl_offset = -1;
    }

    /// `shiftReplicationId`, used on promotion (`REPLICAOF NO ONE`, failover): the old
    /// replid becomes replid2, valid up to and including `master_repl_offset`, so
    /// replicas of the old master can PSYNC to us; then a new replid is drawn.
    ///
    /// Redis stores `master_repl_offset + 1` because a replica asks for the *next* byte
    /// it wants; asking for exactly that offset is still accepted.
    pub fn shift_replication_id(&mut self, rng: &mut impl RngCore, master_repl_offset: i64) {
        self.replid2 = self.replid;
        self.second_repl_offset = master_repl_offset + 1;
        self.change_replication_id(rng);
    }

    /// `+CONTINUE <newid>` on a replica (`slaveTryPartialResynchronization`): the cached
    /// master's id becomes replid2 (valid to `master_repl_offset + 1`) and the new id is
    /// adopted.
    pub fn adopt_new_master_id(&mut self, new_replid: Replid, master_repl_offset: i64) {
        self.replid2 = self.replid;
        self.second_repl_offset = master_repl_offset + 1;
        self.replid = new_replid;
    }

    /// `master_replid` as text.
    pub fn replid_str(&self) -> &str {
        std::str::from_utf8(&self.replid).unwrap_or("")
    }

    /// `master_replid2` as text.
    pub fn replid2_str(&self) -> &str {
        std::str::from_utf8(&self.replid2).unwrap_or("")
    }
}

/// Parses a 40-character replid (any case accepted, stored as given).
pub fn parse_replid(s: &[u8]) -> Option<Replid> {
    if s.len() != REPLID_LEN {
        return None;
    }
    let mut id = [0u8; REPLID_LEN];
    id.copy_from_slice(s);
    Some(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    pub(crate) fn rng() -> SmallRng {
        SmallRng::seed_from_u64(7)
    }

    #[test]
    fn replid_is_forty_lowercase_hex() {
        let id = random_replid(&mut rng());
        assert!(id.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)));
    }

    #[test]
    fn fresh_ids_show_zero_replid2_and_minus_one() {
        let ids = ReplIds::new(&mut rng());
        assert_eq!(ids.replid2_str(), "0000000000000000000000000000000000000000");
        assert_eq!(ids.second_repl_offset, -1);
    }

    #[test]
    fn promotion_shifts_replid_into_replid2_at_offset_plus_one() {
        // wire-spec §2.4 (observed): master_repl_offset:1919 → second_repl_offset:1920.
        let mut r = rng();
        let mut ids = ReplIds::new(&mut r);
        let old = ids.replid;
        ids.shift_replication_id(&mut r, 1919);
        assert_eq!(ids.replid2, old);
        assert_eq!(ids.second_repl_offset, 1920);
        assert_ne!(ids.replid, old);
    }

    #[test]
    fn clear_replication_id2_resets_to_zeros() {
        let mut r = rng();
        let mut ids = ReplIds::new(&mut r);
        ids.shift_replication_id(&mut r, 5);
        ids.clear_replication_id2();
        assert_eq!(ids.replid2, ZERO_REPLID);
        assert_eq!(ids.second_repl_offset, -1);
    }

    #[test]
    fn continue_with_new_id_keeps_old_history_as_replid2() {
        let mut r = rng();
        let mut ids = ReplIds::new(&mut r);
        let old = ids.replid;
        let new = random_replid(&mut r);
        ids.adopt_new_master_id(new, 100);
        assert_eq!((ids.replid, ids.replid2, ids.second_repl_offset), (new, old, 101));
    }
}
