//! Byte layout of keys (big-endian, so scans come in order) and versioned JSON values.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::IncidentId;

/// Schema version written into every value as `"v"` and into the store's `meta`. Bump when a
/// value gains something an older warroom would lose or misread, so that older warroom refuses
/// the store ("written by a newer warroom") instead of dropping what it does not know when it
/// rewrites a record.
///
/// 1. The first layout.
/// 2. Captured chat messages and their holders, status updates, reminders and the snooze, and
///    timeline entries of the kinds `captured` and `update` with catalogue phrases: an older
///    warroom would call such an entry a damaged record, and drop the rest when rewriting an
///    incident. Stores and backups of schema 1 read as they are.
pub const SCHEMA: u32 = 2;

pub fn id_key(id: IncidentId) -> [u8; 8] {
    id.0.to_be_bytes()
}

pub fn entry_key(id: IncidentId, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.0.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what}: expected 8 bytes, found {}", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

#[derive(Serialize)]
struct VersionedRef<'a, T> {
    v: u32,
    #[serde(flatten)]
    data: &'a T,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: u32,
}

#[derive(Deserialize)]
struct Versioned<T> {
    #[allow(dead_code)]
    v: u32,
    #[serde(flatten)]
    data: T,
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain data types to JSON cannot fail (string keys, no NaN floats).
    serde_json::to_vec(&VersionedRef { v: SCHEMA, data: value }).unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    let version: VersionOnly =
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    if version.v > SCHEMA {
        return Err(StoreError::NewerSchema {
            found: version.v,
            supported: SCHEMA,
        });
    }
    let v: Versioned<T> = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    Ok(v.data)
}

/// The fingerprint index value: the ids of the open incidents holding a fingerprint, ascending.
pub fn encode_ids(ids: &[u64]) -> Vec<u8> {
    ids.iter().flat_map(|i| i.to_be_bytes()).collect()
}

pub fn decode_ids(bytes: &[u8]) -> Result<Vec<u64>, StoreError> {
    if !bytes.len().is_multiple_of(8) {
        return Err(StoreError::Corrupt(format!(
            "fingerprint index: {} bytes is not a list of ids",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
        .collect())
}
