//! Group commit: writers that finish a sled transaction get a ticket and wait until a flush
//! plus fsync covering that ticket has completed. One waiter at a time leads a sync for every
//! ticket issued so far; everyone it covered returns without syncing again.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;

pub struct Durability {
    db: sled::Db,
    dir: PathBuf,
    log_file: File,
    /// Tickets handed out (one per committed write).
    written: AtomicU64,
    /// Highest ticket known durable.
    synced: AtomicU64,
    /// Number of flush+fsync rounds done (for benchmarks and metrics).
    pub syncs: AtomicU64,
    leader: tokio::sync::Mutex<()>,
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
            leader: tokio::sync::Mutex::new(()),
        })
    }

    /// Call right after a transaction committed; pass the ticket to `wait`.
    pub fn ticket(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Return once everything up to `ticket` is on stable storage.
    pub async fn wait(self: &Arc<Self>, ticket: u64) -> Result<(), StoreError> {
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _lead = self.leader.lock().await;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let target = self.written.load(Ordering::SeqCst);
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.sync_now())
            .await
            .map_err(|e| StoreError::Corrupt(format!("sync task failed: {e}")))??;
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
        // Values above sled's blob threshold live in their own files, which sled does not fsync.
        let blobs = self.dir.join("blobs");
        if let Ok(rd) = std::fs::read_dir(&blobs) {
            let mut any = false;
            for entry in rd.flatten() {
                any = true;
                let p = entry.path();
                File::open(&p)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| StoreError::io(&p, e))?;
            }
            if any {
                sync_dir(&blobs)?;
            }
        }
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
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
