//! Group commit: writers that finish a sled transaction get a ticket and wait until a flush
//! plus fsync covering that ticket has completed. One waiter at a time leads a sync for every
//! ticket issued so far; everyone it covered returns without syncing again. A failed sync
//! poisons the store: Linux reports an fsync error once and may drop the dirty pages, so a
//! later "successful" fsync proves nothing; only a restart (which replays sled's log from
//! disk) makes durability claims trustworthy again.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::StoreError;

pub struct Durability {
    db: sled::Db,
    dir: PathBuf,
    log_file: File,
    /// Tickets handed out: one per committed write, and fresh ones taken by readers that must
    /// cover everything committed so far (`Store::sync`, `covering_visible`).
    written: AtomicU64,
    /// Highest ticket known durable.
    synced: AtomicU64,
    /// Number of flush+fsync rounds done (for benchmarks and metrics).
    syncs: AtomicU64,
    /// Writes between the start of their commit and their ticket (see `Writing`).
    in_flight: AtomicU64,
    /// Set when a flush or fsync failed; every later wait fails.
    poisoned: AtomicBool,
    /// Blob files (sled names them by log sequence number) seen by the last sync round, so the
    /// directory is fsynced only when new ones appeared.
    blobs_seen: Mutex<HashSet<u64>>,
    /// Blob files fsynced so far.
    #[cfg(test)]
    blob_syncs: AtomicU64,
    leader: tokio::sync::Mutex<()>,
}

/// A write from before its commit until its ticket (see `Durability::writing`).
pub struct Writing<'a>(&'a Durability);

impl Writing<'_> {
    /// The write committed: its ticket, for `Durability::wait`.
    pub fn ticket(self) -> u64 {
        self.0.ticket()
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Durability {
    pub fn new(db: sled::Db, dir: &Path) -> Result<Durability, StoreError> {
        let log_path = dir.join("db");
        let log_file = File::open(&log_path).map_err(|e| StoreError::io(&log_path, e))?;
        Ok(Durability {
            db,
            dir: dir.to_path_buf(),
            log_file,
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            poisoned: AtomicBool::new(false),
            blobs_seen: Mutex::new(HashSet::new()),
            #[cfg(test)]
            blob_syncs: AtomicU64::new(0),
            leader: tokio::sync::Mutex::new(()),
        })
    }

    /// Call right after a transaction committed; pass the ticket to `wait`.
    pub fn ticket(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The last ticket handed out (every write with a ticket is covered by waiting for it).
    pub fn issued(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// A write is about to commit: until the returned guard takes its ticket (or is dropped,
    /// when the write failed), `covering_visible` cannot rely on the tickets issued so far.
    pub fn writing(&self) -> Result<Writing<'_>, StoreError> {
        self.check_poison()?;
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Ok(Writing(self))
    }

    /// A ticket that covers every write a reader can already see: the last one issued, or a
    /// fresh one while a write is between its commit and its ticket (its commit may be
    /// visible; a ticket taken now is later than it). The common case, nothing under way and
    /// everything synced, costs no sync.
    pub fn covering_visible(&self) -> u64 {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            self.ticket()
        } else {
            self.written.load(Ordering::SeqCst)
        }
    }

    pub fn check_poison(&self) -> Result<(), StoreError> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(StoreError::Poisoned);
        }
        Ok(())
    }

    /// Return once everything up to `ticket` is on stable storage.
    pub async fn wait(self: &Arc<Self>, ticket: u64) -> Result<(), StoreError> {
        self.check_poison()?;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _lead = self.leader.lock().await;
        self.check_poison()?;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let target = self.written.load(Ordering::SeqCst);
        let me = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || me.sync_now())
            .await
            .unwrap_or_else(|e| Err(StoreError::Corrupt(format!("sync task failed: {e}"))));
        if let Err(e) = result {
            self.poisoned.store(true, Ordering::SeqCst);
            tracing::error!(error = %e, "durable sync failed; the store refuses further writes until restarted");
            return Err(e);
        }
        self.synced.fetch_max(target, Ordering::SeqCst);
        Ok(())
    }

    /// Flush sled's buffers and fsync its files. sled's own flush ends in `sync_file_range`,
    /// which does not flush file metadata or the drive's cache; `fsync` does.
    pub fn sync_now(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(StoreError::Sled)?;
        self.log_file
            .sync_all()
            .map_err(|e| StoreError::io(&self.dir.join("db"), e))?;
        self.sync_blobs()?;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Values above sled's blob threshold (~128 KiB) live in their own files, which sled does
    /// not fsync: fsync every one there is, after the flush. A blob of a write this round
    /// covers was written whole before that write committed, so it is there, complete. No
    /// high-water mark: a blob with a lower number can appear after a higher one (reserved
    /// earlier, written later), and one being written while it is listed may be caught half
    /// written; both are synced again in the next round. Syncing a blob that has not changed
    /// costs next to nothing. Sled may delete old blobs at any time: one that vanished is
    /// skipped. The directory is synced when names appeared since the last round.
    fn sync_blobs(&self) -> Result<(), StoreError> {
        let blobs = self.dir.join("blobs");
        let Ok(rd) = std::fs::read_dir(&blobs) else {
            return Ok(());
        };
        let mut now = HashSet::new();
        for entry in rd.flatten() {
            let Some(lsn) = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            let p = entry.path();
            match File::open(&p).and_then(|f| f.sync_all()) {
                Ok(()) => {
                    now.insert(lsn);
                    #[cfg(test)]
                    self.blob_syncs.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&p, e)),
            }
        }
        let mut seen = self.blobs_seen.lock().unwrap_or_else(|p| p.into_inner());
        if !now.is_subset(&seen) {
            sync_dir(&blobs)?;
        }
        *seen = now;
        Ok(())
    }

    /// Blob files fsynced so far.
    #[cfg(test)]
    pub fn blob_sync_count(&self) -> u64 {
        self.blob_syncs.load(Ordering::Relaxed)
    }

    pub fn sync_count(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

/// fsync a directory so that file creations and renames in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}
