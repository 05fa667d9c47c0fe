//! Signed requests already accepted (`signature_seen`): a webhook or Slack request signed with
//! a timestamp is accepted once while its timestamp is inside the signature window, so the
//! same bytes replayed later change nothing, across restarts too. Keys are the signed
//! timestamp (big-endian, offset so negative times sort first) followed by the MAC, so old
//! entries are pruned with one range scan.

use super::{Store, StoreError};

/// How long a signature is remembered, by its signed timestamp: twice the 5-minute signature
/// window (the HTTP layer refuses anything older as stale anyway).
const KEEP_SECS: i64 = 600;

fn key(timestamp: i64, mac: &[u8; 32]) -> [u8; 40] {
    let mut k = [0u8; 40];
    // Flip the sign bit: big-endian order of the result is numeric order of the i64.
    k[..8].copy_from_slice(&((timestamp as u64) ^ (1 << 63)).to_be_bytes());
    k[8..].copy_from_slice(mac);
    k
}

impl Store {
    /// Was this signature accepted before?
    pub fn signature_seen(&self, timestamp: i64, mac: &[u8; 32]) -> Result<bool, StoreError> {
        self.inner
            .signatures
            .contains_key(key(timestamp, mac))
            .map_err(StoreError::Sled)
    }

    /// Remember an accepted signature and forget those too old to matter at `now`. Not durable
    /// by itself: the caller waits (`Store::commit_point`) where a replay after a crash must be
    /// refused too (webhooks); otherwise it becomes durable with the next write's group
    /// commit, or sled's own flush within half a second.
    pub fn remember_signature(&self, timestamp: i64, mac: &[u8; 32], now: i64) -> Result<(), StoreError> {
        let tree = &self.inner.signatures;
        tree.insert(key(timestamp, mac), &[]).map_err(StoreError::Sled)?;
        let horizon = key(now.saturating_sub(KEEP_SECS), &[0; 32]);
        for k in tree.range(..horizon).keys() {
            tree.remove(k.map_err(StoreError::Sled)?).map_err(StoreError::Sled)?;
        }
        Ok(())
    }
}
