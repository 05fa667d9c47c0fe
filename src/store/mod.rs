//! The durable store: the only module that uses sled. Semantic methods over named trees
//! (`incidentid_incident`, `incidentid_seq_entry`, `room_incidentid`, `fingerprint_incidentid`,
//! `eventid_seen`, `signature_seen`, and adapter bookkeeping in `adapterkey_state` and `adapterseq_job`); every
//! write returns only after it is flushed and fsynced (group commit).

mod backup;
mod codec;
mod durable;
mod lock;
mod replay;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

tokio::task_local! {
    /// Set inside `Store::batch`: writes take their durability ticket but do not wait.
    static BATCH: ();
}

pub use backup::{BackupStats, RestoreError, restore};
pub use codec::SCHEMA;
pub use durable::sync_dir;
pub use lock::{DirLock, LOCK_FILE};
pub use write::{Committed, OpenOrAttach, Stormed, WriteError};

use crate::domain::{Incident, IncidentId, TimelineEntry};
use codec::{decode, decode_u64, id_key};
use durable::Durability;

fn queue_prefix(adapter: &str) -> Vec<u8> {
    let mut k = adapter.as_bytes().to_vec();
    k.push(0);
    k
}

/// The sequence number in a queue key.
fn queue_seq(adapter: &str, key: &[u8]) -> Result<u64, StoreError> {
    codec::decode_u64(
        &key[queue_prefix(adapter).len().min(key.len())..],
        &format!("{adapter} queue key"),
    )
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| StoreError::Corrupt(format!("{what}: not UTF-8")))
}

fn queue_key(adapter: &str, seq: u64) -> Vec<u8> {
    let mut k = queue_prefix(adapter);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Sub-directory of the data dir holding sled's files.
pub const STORE_DIR: &str = "store";

const META_SCHEMA: &[u8] = b"schema_version";
const META_NEXT_ID: &[u8] = b"next_incident_id";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data dir {} is in use by {holder}; stop that process first (for read-only commands, wait until it exits)", dir.display())]
    Locked { dir: PathBuf, holder: String },
    #[error("{}: {source}; check that it exists, that this user may write it, and that the disk has free space", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "the store could not be opened or read: {0}; retry, and if it persists check the disk, then restore a backup (`warroom restore FILE`) into an empty data dir"
    )]
    Sled(#[source] sled::Error),
    #[error(
        "the store holds a damaged record ({0}); restore a backup with `warroom restore FILE` into an empty data dir"
    )]
    Corrupt(String),
    #[error(
        "the store was written by a newer warroom (schema {found}; this build reads up to {supported}); upgrade warroom, or restore a backup into an empty data dir"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error(
        "a write was committed but could not be made durable earlier (disk error); warroom refuses further writes until it is restarted. Check the disk, then restart; nothing acknowledged before the error is lost"
    )]
    Poisoned,
    #[error(
        "the store is being written by this process, so a backup cannot be taken here; take it from the running bot (`warroom backup` does), or retry"
    )]
    Busy,
    #[error("the data dir has no store but holds {} from an earlier or interrupted restore; rename it to `store` to use it, or move it out of the data dir to start empty", path.display())]
    Leftover { path: PathBuf },
    #[error("{} exists but is not a warroom store (no schema marker); refusing to start empty over it. Move it aside, or point --data-dir elsewhere", path.display())]
    NotAStore { path: PathBuf },
    #[error("the store at {} could not be opened ({detail}); it may be damaged. Keep it for inspection, move it aside and restore a backup with `warroom restore FILE`", path.display())]
    Unopenable { path: PathBuf, detail: String },
}

impl StoreError {
    pub fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Handle to the open store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    meta: sled::Tree,
    incidents: sled::Tree,
    entries: sled::Tree,
    rooms: sled::Tree,
    fingerprints: sled::Tree,
    seen: sled::Tree,
    /// Signed requests accepted while their signature window lasts (not backed up).
    signatures: sled::Tree,
    /// Adapter bookkeeping (e.g. the Matrix sync position); describes one deployment's
    /// connections, so it is not part of backups.
    adapter_state: sled::Tree,
    /// Outbound work adapters accepted but have not delivered yet (`adapterseq_job`).
    adapter_queue: sled::Tree,
    queue_lock: std::sync::Mutex<()>,
    /// Held shared by every transactional write and exclusively by a backup, so a backup
    /// reads the store between two commits (see `Store::backup`). An async lock: writers
    /// waiting for a backup do not block the runtime's threads.
    write_gate: Arc<tokio::sync::RwLock<()>>,
    durability: Arc<Durability>,
    dir: PathBuf,
    _lock: DirLock,
}

fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir).flush_every_ms(Some(500))
}

/// Open sled's files. Our data-dir lock keeps other processes out, so a busy sled file lock can
/// only be this process's own handle that sled's background threads have not released yet
/// (seen right after creating a store under load): wait for it, up to 5 s.
fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled_config(dir).open() {
            Ok(db) => return Ok(db),
            // sled reports it as `Other` with this text.
            Err(sled::Error::Io(io))
                if io.to_string().starts_with("could not acquire lock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                return Err(StoreError::Unopenable {
                    path: dir.to_path_buf(),
                    detail: e.to_string(),
                });
            }
        }
    }
}

/// A data dir without a store but with copies left by a restore is not "new": refuse to start
/// empty next to data someone will want back.
fn refuse_if_leftovers(data_dir: &Path) -> Result<(), StoreError> {
    let rd = std::fs::read_dir(data_dir).map_err(|e| StoreError::io(data_dir, e))?;
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{STORE_DIR}.replaced-")) || name.starts_with(&format!("{STORE_DIR}.restore")) {
            return Err(StoreError::Leftover { path: entry.path() });
        }
    }
    Ok(())
}

/// Create a new, empty store at `dir` atomically: built beside it, then renamed into place.
fn init_store(dir: &Path) -> Result<(), StoreError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let tmp = parent.join(format!("{}.init-tmp", STORE_DIR));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    }
    {
        let db = open_db(&tmp)?;
        let meta = db.open_tree("meta").map_err(StoreError::Sled)?;
        meta.insert(META_SCHEMA, &SCHEMA.to_be_bytes())
            .map_err(StoreError::Sled)?;
        meta.insert(META_NEXT_ID, &1u64.to_be_bytes())
            .map_err(StoreError::Sled)?;
        Durability::new(db.clone(), &tmp)?.sync_now()?;
        for f in ["conf", "db"] {
            let p = tmp.join(f);
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::io(&p, e))?;
        }
        sync_dir(&tmp)?;
    }
    std::fs::rename(&tmp, dir).map_err(|e| StoreError::io(dir, e))?;
    sync_dir(parent)
}

/// Who opens a store: the running bot or console (writes; may mark an older store with this
/// schema), or a command that only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opener {
    Writer,
    Reader,
}

impl Store {
    /// Open (or create) the store in `data_dir`, taking the data-dir lock. `holder` describes
    /// this process for anyone who finds the lock taken (e.g. `warroom console`).
    pub fn open(data_dir: &Path, holder: &str) -> Result<Store, StoreError> {
        Self::open_as(data_dir, holder, Opener::Writer)
    }

    /// `open` for a command that only reads (`incidents`, `backup`, `export`): a store of an
    /// older schema is read as it is and left marked with its own schema, so the warroom that
    /// wrote it can still open it. (A backup taken this way carries this version's schema: to
    /// roll back, back up with the version that wrote the store.)
    pub fn open_to_read(data_dir: &Path, holder: &str) -> Result<Store, StoreError> {
        Self::open_as(data_dir, holder, Opener::Reader)
    }

    fn open_as(data_dir: &Path, holder: &str, who: Opener) -> Result<Store, StoreError> {
        crate::files::create_private_dir(data_dir).map_err(|e| StoreError::io(data_dir, e))?;
        let lock = DirLock::acquire(data_dir, holder)?;
        let dir = data_dir.join(STORE_DIR);
        if !dir.exists() {
            refuse_if_leftovers(data_dir)?;
            init_store(&dir)?;
        }
        Self::open_dir(&dir, lock, who)
    }

    fn open_dir(dir: &Path, lock: DirLock, who: Opener) -> Result<Store, StoreError> {
        let db = open_db(dir)?;
        let tree = |name: &str| db.open_tree(name).map_err(StoreError::Sled);
        let meta = tree("meta")?;
        let mut older = None;
        match meta.get(META_SCHEMA).map_err(StoreError::Sled)? {
            None => {
                return Err(StoreError::NotAStore {
                    path: dir.to_path_buf(),
                });
            }
            Some(v) => {
                let found = u32::from_be_bytes(
                    v.as_ref()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("schema marker".into()))?,
                );
                if found > SCHEMA {
                    return Err(StoreError::NewerSchema {
                        found,
                        supported: SCHEMA,
                    });
                }
                if found < SCHEMA {
                    older = Some(found);
                }
            }
        }
        let durability = Arc::new(Durability::new(db.clone(), dir)?);
        let store = Store {
            inner: Arc::new(Inner {
                incidents: tree("incidentid_incident")?,
                entries: tree("incidentid_seq_entry")?,
                rooms: tree("room_incidentid")?,
                fingerprints: tree("fingerprint_incidentid")?,
                seen: tree("eventid_seen")?,
                signatures: tree("signature_seen")?,
                adapter_state: tree("adapterkey_state")?,
                adapter_queue: tree("adapterseq_job")?,
                queue_lock: std::sync::Mutex::new(()),
                write_gate: Arc::new(tokio::sync::RwLock::new(())),
                meta,
                durability,
                dir: dir.to_path_buf(),
                _lock: lock,
            }),
        };
        // Decode every incident now, so damage is reported at start, not mid-incident.
        store.incidents(true)?;
        if who == Opener::Writer {
            if let Some(found) = older {
                // Older records read as they are; from now on an older warroom must refuse this
                // store, since it would lose what this one writes. Marked only once every
                // record was read: a store this version cannot open stays the old version's.
                store
                    .inner
                    .meta
                    .insert(META_SCHEMA, &SCHEMA.to_be_bytes())
                    .map_err(StoreError::Sled)?;
                tracing::info!(from = found, to = SCHEMA, "store: schema upgraded");
            }
            // What sled recovered after a crash may be in the page cache only (written, never
            // fsynced): make it durable before anything read from it reaches a chat platform
            // (the outbox restores its jobs next).
            store.inner.durability.sync_now()?;
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// `Err(Poisoned)` once a sync failed: nothing written since is sure to be durable, until a
    /// restart.
    pub fn check_poison(&self) -> Result<(), StoreError> {
        self.inner.durability.check_poison()
    }

    /// Number of flush+fsync rounds so far (group commit makes this lower than the writes).
    pub fn sync_count(&self) -> u64 {
        self.inner.durability.sync_count()
    }

    /// Run `f` as one durability group: the writes inside it (store transactions, outbox
    /// jobs, adapter state) commit as usual but do not each wait for a flush and fsync; one
    /// sync at the end covers them all, so an input and the jobs it causes cost one fsync
    /// round. Nothing made inside may be acknowledged before `batch` returns `Ok`; outbox jobs
    /// queued inside are delivered only once durable (their worker `settle`s first). `Err`:
    /// the final sync failed, and nothing inside is durable for sure. The final wait also
    /// covers what the batch only read: an input found already handled (a redelivery) is
    /// acknowledged only once the write that handled it is durable, even if that write is
    /// still on its way to its ticket.
    pub async fn batch<T>(&self, f: impl std::future::Future<Output = T>) -> Result<T, StoreError> {
        let out = BATCH.scope((), f).await;
        self.settle_seen().await?;
        Ok(out)
    }

    /// `f` as part of the caller's batch, if the caller is in one: for work the caller spawns
    /// onto another task and awaits (a spawned task does not inherit the batch).
    pub fn carry_batch<F: std::future::Future>(f: F) -> impl std::future::Future<Output = F::Output> {
        let inside = BATCH.try_with(|_| ()).is_ok();
        async move { if inside { BATCH.scope((), f).await } else { f.await } }
    }

    /// Wait until every write that already has a durability ticket is on disk: immediate when
    /// it is (an outbox worker calls this before delivering a job queued in a `batch`: the job
    /// and the write that caused it took their tickets before the job reached the worker).
    pub async fn settle(&self) -> Result<(), StoreError> {
        let t = self.inner.durability.issued();
        self.inner.durability.wait(t).await
    }

    /// `settle` for a reader: wait until everything it may have read is on disk, including a
    /// commit it saw in the instant before that write took its ticket (see
    /// `Durability::covering_visible`). A job about to show an incident's state calls this
    /// after reading the incident. Costs a sync round of its own only while a write is under
    /// way.
    pub async fn settle_seen(&self) -> Result<(), StoreError> {
        let t = self.inner.durability.covering_visible();
        self.inner.durability.wait(t).await
    }

    /// The point after a write where it must be durable: wait for the group commit, or, inside
    /// a `batch`, only take the ticket the batch's final sync will cover. The ticket is taken
    /// here, after the commit: fine for writes no `settle_seen` reader shows (a webhook's
    /// signature); the store's own writes take theirs through `Durability::writing`.
    pub(crate) async fn commit_point(&self) -> Result<(), StoreError> {
        self.durable_after(self.inner.durability.ticket()).await
    }

    /// `commit_point` for a write that took `ticket` itself.
    pub(crate) async fn durable_after(&self, ticket: u64) -> Result<(), StoreError> {
        if BATCH.try_with(|_| ()).is_ok() {
            return self.inner.durability.check_poison();
        }
        self.inner.durability.wait(ticket).await
    }

    /// Wait until every write committed so far is durable (before reads that are shown to
    /// users, and at shutdown). Takes a fresh ticket rather than the newest issued one: a
    /// writer takes its ticket only after its commit, so a commit this read can already see
    /// may not have a ticket yet.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let t = self.inner.durability.ticket();
        self.inner.durability.wait(t).await
    }

    pub fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        self.inner
            .incidents
            .get(id_key(id))
            .map_err(StoreError::Sled)?
            .map(|v| decode(&v, &format!("incident {id}")))
            .transpose()
    }

    fn incident_via(&self, tree: &sled::Tree, key: &str, what: &str) -> Result<Option<Incident>, StoreError> {
        match tree.get(key.as_bytes()).map_err(StoreError::Sled)? {
            Some(v) => self.incident(IncidentId(decode_u64(&v, what)?)),
            None => Ok(None),
        }
    }

    /// The incident bound to a chat room (`platform:room`).
    pub fn incident_by_room(&self, room: &str) -> Result<Option<Incident>, StoreError> {
        self.incident_via(&self.inner.rooms, room, "room index")
    }

    /// The (oldest) open incident holding an alert fingerprint.
    /// Does an open incident hold `fingerprint`? From the index alone, without decoding the
    /// incident (saves keep the index to open incidents).
    pub fn fingerprint_is_open(&self, fingerprint: &str) -> Result<bool, StoreError> {
        match self
            .inner
            .fingerprints
            .get(fingerprint.as_bytes())
            .map_err(StoreError::Sled)?
        {
            None => Ok(false),
            Some(v) => Ok(!codec::decode_ids(&v)?.is_empty()),
        }
    }

    pub fn incident_by_fingerprint(&self, fingerprint: &str) -> Result<Option<Incident>, StoreError> {
        let Some(v) = self
            .inner
            .fingerprints
            .get(fingerprint.as_bytes())
            .map_err(StoreError::Sled)?
        else {
            return Ok(None);
        };
        for id in codec::decode_ids(&v)? {
            if let Some(inc) = self.incident(IncidentId(id))?.filter(|i| !i.is_closed()) {
                return Ok(Some(inc));
            }
        }
        Ok(None)
    }

    /// Incidents in id order; closed ones only with `all`.
    pub fn incidents(&self, all: bool) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        for kv in self.inner.incidents.iter() {
            let (k, v) = kv.map_err(StoreError::Sled)?;
            let inc: Incident = decode(&v, &format!("incident key {k:?}"))?;
            if all || !inc.is_closed() {
                out.push(inc);
            }
        }
        Ok(out)
    }

    /// Every timeline entry of an incident, deleted ones included, in sequence order.
    pub fn entries(&self, id: IncidentId) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut out = Vec::new();
        for kv in self.inner.entries.scan_prefix(id_key(id)) {
            let (_, v) = kv.map_err(StoreError::Sled)?;
            out.push(decode(&v, &format!("timeline entry of {id}"))?);
        }
        Ok(out)
    }

    /// One timeline entry of an incident (deleted or not).
    pub fn entry(&self, id: IncidentId, seq: u64) -> Result<Option<TimelineEntry>, StoreError> {
        self.inner
            .entries
            .get(codec::entry_key(id, seq))
            .map_err(StoreError::Sled)?
            .map(|v| decode(&v, &format!("timeline entry #{seq} of {id}")))
            .transpose()
    }

    /// A value an adapter saved with `set_adapter_state` (e.g. `matrix.next_batch`).
    pub fn adapter_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner
            .adapter_state
            .get(key.as_bytes())
            .map_err(StoreError::Sled)?
            .map(|v| utf8(&v, &format!("adapter state {key}")))
            .transpose()
    }

    /// Save an adapter's bookkeeping value; returns once it is durable.
    pub async fn set_adapter_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let writing = self.inner.durability.writing()?;
        self.inner
            .adapter_state
            .insert(key.as_bytes(), value.as_bytes())
            .map_err(StoreError::Sled)?;
        self.durable_after(writing.ticket()).await
    }

    /// Queue an adapter's outbound job durably (e.g. a Matrix reply that must survive a restart
    /// while the homeserver is down); returns its sequence number: above every job waiting in
    /// the queue (across restarts too), so jobs keep their order; numbers start again at 0 once
    /// the queue is empty.
    pub async fn queue_push(&self, adapter: &str, job: &str) -> Result<u64, StoreError> {
        let i = &self.inner;
        let writing = i.durability.writing()?;
        let seq = {
            let _one_at_a_time = i.queue_lock.lock().unwrap_or_else(|p| p.into_inner());
            let last = i
                .adapter_queue
                .scan_prefix(queue_prefix(adapter))
                .next_back()
                .transpose()
                .map_err(StoreError::Sled)?;
            let seq = match last {
                Some((k, _)) => queue_seq(adapter, &k)?
                    .checked_add(1)
                    .ok_or_else(|| StoreError::Corrupt(format!("{adapter} queue: sequence numbers used up")))?,
                None => 0,
            };
            i.adapter_queue
                .insert(queue_key(adapter, seq), job.as_bytes())
                .map_err(StoreError::Sled)?;
            seq
        };
        self.durable_after(writing.ticket()).await?;
        Ok(seq)
    }

    /// Drop a delivered job. Not fsynced on its own (sled flushes within 500 ms, and the next
    /// durable write covers it): a job that reappears after a crash in that window is sent
    /// again; Matrix de-duplicates it by transaction id, Slack may show it twice.
    pub fn queue_remove(&self, adapter: &str, seq: u64) -> Result<(), StoreError> {
        self.inner
            .adapter_queue
            .remove(queue_key(adapter, seq))
            .map_err(StoreError::Sled)?;
        Ok(())
    }

    /// An adapter's queued jobs, oldest first.
    pub fn queued(&self, adapter: &str) -> Result<Vec<(u64, String)>, StoreError> {
        let prefix = queue_prefix(adapter);
        let mut out = Vec::new();
        for kv in self.inner.adapter_queue.scan_prefix(&prefix) {
            let (k, v) = kv.map_err(StoreError::Sled)?;
            out.push((queue_seq(adapter, &k)?, utf8(&v, &format!("{adapter} queue job"))?));
        }
        Ok(out)
    }

    /// Has an inbound platform event with this id been handled already?
    pub fn is_seen(&self, event_id: &str) -> Result<bool, StoreError> {
        self.inner
            .seen
            .contains_key(event_id.as_bytes())
            .map_err(StoreError::Sled)
    }
}

/// Fault injection for tests elsewhere in the crate: an incident's stored bytes, read and
/// replaced as they are.
#[cfg(test)]
impl Store {
    pub(crate) fn raw_incident(&self, id: IncidentId) -> Option<Vec<u8>> {
        self.inner
            .incidents
            .get(codec::id_key(id))
            .ok()
            .flatten()
            .map(|v| v.to_vec())
    }

    pub(crate) fn put_raw_incident(&self, id: IncidentId, bytes: &[u8]) {
        self.inner.incidents.insert(codec::id_key(id), bytes).unwrap();
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
