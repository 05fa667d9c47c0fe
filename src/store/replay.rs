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

    /// Remember a signature unless it is known: `false` when it already was (a replay). One
    /// atomic step, so of concurrent copies of a request exactly one is new. Like
    /// `remember_signature`, not durable by itself.
    pub fn claim_signature(&self, timestamp: i64, mac: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let tree = &self.inner.signatures;
        let new = tree
            .compare_and_swap(key(timestamp, mac), None::<&[u8]>, Some(&[] as &[u8]))
            .map_err(StoreError::Sled)?
            .is_ok();
        if new {
            self.forget_signatures_before(now)?;
        }
        Ok(new)
    }

    /// Remember an accepted signature and forget those too old to matter at `now`. Not durable
    /// by itself: the caller waits (`Store::commit_point`) where a replay after a crash must be
    /// refused too (webhooks); otherwise it becomes durable with the next write's group
    /// commit, or sled's own flush within half a second.
    pub fn remember_signature(&self, timestamp: i64, mac: &[u8; 32], now: i64) -> Result<(), StoreError> {
        self.inner
            .signatures
            .insert(key(timestamp, mac), &[])
            .map_err(StoreError::Sled)?;
        self.forget_signatures_before(now)
    }

    /// Forget the signatures too old to matter at `now`.
    fn forget_signatures_before(&self, now: i64) -> Result<(), StoreError> {
        let tree = &self.inner.signatures;
        let horizon = key(now.saturating_sub(KEEP_SECS), &[0; 32]);
        for k in tree.range(..horizon).keys() {
            tree.remove(k.map_err(StoreError::Sled)?).map_err(StoreError::Sled)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn of_concurrent_claims_of_one_signature_exactly_one_is_new() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), "t").unwrap());
        let mac = [7u8; 32];
        // All eight start their claim at the same moment.
        let start = Arc::new(std::sync::Barrier::new(8));
        let claims: Vec<_> = (0..8)
            .map(|_| {
                let (store, start) = (Arc::clone(&store), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    store.claim_signature(1_000, &mac, 1_000).unwrap()
                })
            })
            .collect();
        let new = claims.into_iter().map(|c| c.join().unwrap()).filter(|n| *n).count();
        assert_eq!(new, 1);
        assert!(store.signature_seen(1_000, &mac).unwrap());
        assert!(
            store.claim_signature(1_000, &[8u8; 32], 1_000).unwrap(),
            "another MAC is new"
        );
    }
}
