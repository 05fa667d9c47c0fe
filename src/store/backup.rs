//! `warroom backup` / `warroom restore`: every record as JSON Lines, independent of sled's
//! on-disk format. A restore validates the whole file before writing anything, builds the new
//! store beside the data dir's, and swaps it in with a rename.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codec::{SCHEMA, decode, decode_u64, encode, encode_ids, entry_key, id_key};
use super::lock::DirLock;
use super::{META_NEXT_ID, META_SCHEMA, STORE_DIR, Store, StoreError, sync_dir};
use crate::domain::{Incident, IncidentId, RoomKey, TimelineEntry, fmt_file_stamp};

const FORMAT: &str = "warroom-backup";

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Header {
        format: String,
        schema: u32,
        created_at: DateTime<Utc>,
    },
    Meta {
        next_incident_id: u64,
    },
    Incident {
        data: Box<Incident>,
    },
    Entry {
        incident: IncidentId,
        data: Box<TimelineEntry>,
    },
    Seen {
        event_id: String,
        at: String,
    },
    End {
        incidents: u64,
        entries: u64,
        seen: u64,
    },
}

/// Counts of what a backup or restore covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupStats {
    pub incidents: u64,
    pub entries: u64,
    pub seen: u64,
}

fn write_line(w: &mut impl Write, line: &Line) -> Result<(), std::io::Error> {
    serde_json::to_writer(&mut *w, line)?;
    w.write_all(b"\n")
}

/// Size of the buffer between a backup and its file or spool.
const WRITE_BUFFER: usize = 256 * 1024;

impl Store {
    /// Write every record to `w` as JSON Lines, as of one point in the store's write order.
    ///
    /// Consistency: sled's iterators each see writes made while they run, and one write
    /// touches several trees at once (an incident, its new timeline entries, the inbound
    /// event id it claims, the next incident id). Reading tree by tree during a burst could
    /// therefore save an incident whose `last_seq` counts an entry the file lacks, or an event
    /// id marked seen whose change is missing, which `restore` rightly refuses. So every
    /// transactional write holds the store's write gate shared (writers still run side by side,
    /// as sled's transactions allow) and a backup holds it exclusively: it reads the store
    /// between two commits, after every write that has returned from its transaction and
    /// before any that has not started. Writes wait (asynchronously) while a backup runs; to
    /// keep that short while a bot is running, `backup_spooled` writes to a local file under
    /// the gate and sends it afterwards, so a slow reader never holds writes up.
    ///
    /// This synchronous form is for a store no other task writes (the CLI's own, tests): if a
    /// write is in progress it refuses (`StoreError::Busy`) rather than block.
    pub fn backup(&self, w: &mut impl Write, now: DateTime<Utc>) -> Result<BackupStats, StoreError> {
        let _quiet = self.inner.write_gate.try_write().map_err(|_| StoreError::Busy)?;
        self.write_records(w, now)
    }

    /// A backup of a store that other tasks keep writing, for the local API: waits for the
    /// writes in progress, then, holding the write gate (see `backup`), writes every record on
    /// a blocking thread to an unnamed temporary file in the data dir, which is returned
    /// rewound for the caller to stream at its own pace. Memory stays bounded by one record
    /// and the write buffer; the disk holds one backup's size until the file is closed (it
    /// has no name, so nothing is left behind even after a crash).
    pub async fn backup_spooled(&self, now: DateTime<Utc>) -> Result<(std::fs::File, BackupStats), StoreError> {
        let gate = self.inner.write_gate.clone().write_owned().await;
        let store = self.clone();
        let spool = tokio::task::spawn_blocking(move || {
            let _quiet = gate;
            store.spool(now)
        });
        spool
            .await
            .map_err(|e| StoreError::io(Path::new("backup"), std::io::Error::other(e)))?
    }

    fn spool(&self, now: DateTime<Utc>) -> Result<(std::fs::File, BackupStats), StoreError> {
        let dir = self.inner.dir.parent().unwrap_or(Path::new("."));
        let spool = tempfile::tempfile_in(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut w = std::io::BufWriter::with_capacity(WRITE_BUFFER, spool);
        let stats = self.write_records(&mut w, now)?;
        let mut spool = w.into_inner().map_err(|e| StoreError::io(dir, e.into_error()))?;
        spool.rewind().map_err(|e| StoreError::io(dir, e))?;
        Ok((spool, stats))
    }

    /// The records, one line each, streamed from sled's iterators (one record in memory at a
    /// time). The caller holds the write gate exclusively.
    fn write_records(&self, w: &mut impl Write, now: DateTime<Utc>) -> Result<BackupStats, StoreError> {
        let io = |e| StoreError::io(Path::new("backup"), e);
        let mut stats = BackupStats::default();
        write_line(
            w,
            &Line::Header {
                format: FORMAT.into(),
                schema: SCHEMA,
                created_at: now,
            },
        )
        .map_err(io)?;
        let next = match self.inner.meta.get(META_NEXT_ID).map_err(StoreError::Sled)? {
            Some(v) => decode_u64(&v, "next id")?,
            None => 1,
        };
        write_line(w, &Line::Meta { next_incident_id: next }).map_err(io)?;
        for kv in self.inner.incidents.iter() {
            let (k, v) = kv.map_err(StoreError::Sled)?;
            let inc: Incident = decode(&v, &format!("incident key {k:?}"))?;
            let id = inc.id;
            write_line(w, &Line::Incident { data: Box::new(inc) }).map_err(io)?;
            stats.incidents += 1;
            for kv in self.inner.entries.scan_prefix(id_key(id)) {
                let (_, v) = kv.map_err(StoreError::Sled)?;
                let e: TimelineEntry = decode(&v, &format!("timeline entry of {id}"))?;
                write_line(
                    w,
                    &Line::Entry {
                        incident: id,
                        data: Box::new(e),
                    },
                )
                .map_err(io)?;
                stats.entries += 1;
            }
        }
        for kv in self.inner.seen.iter() {
            let (k, v) = kv.map_err(StoreError::Sled)?;
            let event_id = String::from_utf8_lossy(&k).into_owned();
            let at = String::from_utf8_lossy(&v).into_owned();
            write_line(w, &Line::Seen { event_id, at }).map_err(io)?;
            stats.seen += 1;
        }
        write_line(
            w,
            &Line::End {
                incidents: stats.incidents,
                entries: stats.entries,
                seen: stats.seen,
            },
        )
        .map_err(io)?;
        w.flush().map_err(io)?;
        Ok(stats)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("backup line {line}: {msg}. The file is damaged or not a warroom backup; nothing was changed")]
    Invalid { line: usize, msg: String },
    #[error(
        "the backup is incomplete or inconsistent: {0}. Use a complete file (`warroom backup FILE` writes one); nothing was changed"
    )]
    Incomplete(String),
    #[error("{} already holds a warroom store; restore into an empty data dir, or pass --force to move the existing store aside", .0.display())]
    Exists(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Parsed {
    next_id: u64,
    incidents: Vec<Incident>,
    entries: Vec<(IncidentId, TimelineEntry)>,
    seen: Vec<(String, String)>,
}

/// Everything a restore checks while reading, line by line: the invariants of each record
/// (`check_invariants`) and those across records that the live store keeps (ids handed out
/// 1, 2, 3... and never deleted, one incident per room, timeline entries numbered 1..=last_seq
/// exactly once, one record per event id). Nothing is allocated from a count in the file.
#[derive(Default)]
struct Checker {
    header: bool,
    next_id: Option<u64>,
    end: Option<(u64, u64, u64)>,
    /// Each incident's `last_seq`, and the entries seen for it so far.
    incidents: BTreeMap<IncidentId, (u64, u64)>,
    rooms: HashMap<RoomKey, IncidentId>,
    seqs: HashSet<(IncidentId, u64)>,
    seen: HashSet<String>,
}

impl Checker {
    fn line(&mut self, parsed: Line, p: &mut Parsed) -> Result<(), String> {
        match parsed {
            Line::Header { .. } => return Err("a second header".into()),
            Line::Meta { next_incident_id } => {
                if self.next_id.replace(next_incident_id).is_some() {
                    return Err("a second meta line".into());
                }
            }
            Line::Incident { data } => {
                self.incident(&data)?;
                p.incidents.push(*data);
            }
            Line::Entry { incident, data } => {
                self.entry(incident, &data)?;
                p.entries.push((incident, *data));
            }
            Line::Seen { event_id, at } => {
                if !self.seen.insert(event_id.clone()) {
                    return Err(format!("event id `{event_id}` appears twice"));
                }
                p.seen.push((event_id, at));
            }
            Line::End {
                incidents,
                entries,
                seen,
            } => self.end = Some((incidents, entries, seen)),
        }
        Ok(())
    }

    fn incident(&mut self, inc: &Incident) -> Result<(), String> {
        inc.check_invariants().map_err(|e| format!("{}: {e}", inc.id))?;
        if self.incidents.insert(inc.id, (inc.last_seq, 0)).is_some() {
            return Err(format!("{} appears twice", inc.id));
        }
        for room in &inc.rooms {
            if room.room.is_empty() {
                return Err(format!("{} is bound to an empty room name", inc.id));
            }
            if let Some(other) = self.rooms.insert(room.clone(), inc.id) {
                return Err(format!(
                    "room `{room}` is bound to both {other} and {} (a room belongs to one incident)",
                    inc.id
                ));
            }
        }
        Ok(())
    }

    fn entry(&mut self, id: IncidentId, e: &TimelineEntry) -> Result<(), String> {
        let Some((last_seq, count)) = self.incidents.get_mut(&id) else {
            return Err(format!("entry for {id} before (or without) that incident"));
        };
        e.check_invariants().map_err(|m| format!("{id}: {m}"))?;
        if e.seq > *last_seq {
            return Err(format!(
                "{id} entry #{} is beyond the incident's last entry number {last_seq}",
                e.seq
            ));
        }
        if !self.seqs.insert((id, e.seq)) {
            return Err(format!("{id} entry #{} appears twice", e.seq));
        }
        *count += 1;
        Ok(())
    }

    /// After the last line: the end marker's counts, ids 1..=N, the next id N+1, and every
    /// incident's entries complete (unique and at most `last_seq`, so `last_seq` of them
    /// means exactly #1..#last_seq).
    fn finish(self, p: &Parsed) -> Result<u64, RestoreError> {
        let counts = (p.incidents.len() as u64, p.entries.len() as u64, p.seen.len() as u64);
        let incomplete = |m: String| Err(RestoreError::Incomplete(m));
        match self.end {
            None => return incomplete("no end marker (was the file cut short?)".into()),
            Some(e) if e != counts => {
                return incomplete(format!(
                    "end marker counts {e:?} but the file holds {counts:?} (incidents, entries, seen)"
                ));
            }
            Some(_) => {}
        }
        let n = counts.0;
        if let Some((&max, _)) = self.incidents.last_key_value()
            && max.0 != n
        {
            return incomplete(format!(
                "the file holds {n} incidents but ids up to {max}; ids run 1, 2, 3... without gaps (warroom never deletes an incident)"
            ));
        }
        match self.next_id {
            None => return incomplete("no meta line with the next incident id".into()),
            Some(next) if next != n + 1 => {
                return incomplete(format!(
                    "the next incident id is {next}, but with {n} incidents it must be {}",
                    n + 1
                ));
            }
            Some(_) => {}
        }
        for (id, (last_seq, count)) in &self.incidents {
            if count != last_seq {
                return incomplete(format!(
                    "{id} should have timeline entries #1..#{last_seq} exactly once each; the file holds {count} entries for it"
                ));
            }
        }
        Ok(n + 1)
    }
}

/// Longest line `restore` reads: far above any record the live code writes (texts are capped
/// at 8,000 characters, alerts per incident at 1,000), so a line past it is not a backup.
const MAX_LINE: u64 = 64 * 1024 * 1024;

/// The lines of `r`, each read within `MAX_LINE` bytes (a crafted file cannot make one line
/// take all memory).
pub(super) fn bounded_lines(mut r: impl BufRead, max: u64) -> impl Iterator<Item = std::io::Result<String>> {
    std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match std::io::Read::take(&mut r, max + 1).read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Err(e) => Some(Err(e)),
            Ok(_) if buf.len() as u64 > max => Some(Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("line longer than {max} bytes"),
            ))),
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Some(
                    String::from_utf8(buf)
                        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text")),
                )
            }
        }
    })
}

fn parse(r: impl BufRead) -> Result<Parsed, RestoreError> {
    let mut p = Parsed {
        next_id: 1,
        incidents: Vec::new(),
        entries: Vec::new(),
        seen: Vec::new(),
    };
    let mut check = Checker::default();
    for (i, line) in bounded_lines(r, MAX_LINE).enumerate() {
        let n = i + 1;
        let invalid = |msg: String| RestoreError::Invalid { line: n, msg };
        let line = line.map_err(|e| invalid(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        if check.end.is_some() {
            return Err(invalid("data after the end marker".into()));
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| invalid(e.to_string()))?;
        match parsed {
            Line::Header { format, schema, .. } if !check.header => {
                if format != FORMAT || n != 1 {
                    return Err(invalid(format!("not a warroom backup header (format `{format}`)")));
                }
                if schema > SCHEMA {
                    return Err(invalid(format!(
                        "backup has schema {schema}; this warroom reads up to {SCHEMA}; upgrade warroom"
                    )));
                }
                check.header = true;
            }
            _ if !check.header => return Err(invalid("the first line must be the warroom-backup header".into())),
            other => check.line(other, &mut p).map_err(invalid)?,
        }
    }
    p.next_id = check.finish(&p)?;
    Ok(p)
}

/// Restore a backup into `data_dir`. Refuses to replace an existing store unless `force`, in
/// which case the old store is renamed aside (never deleted). Returns what was restored and
/// where the old store went.
pub fn restore(data_dir: &Path, r: impl BufRead, force: bool) -> Result<(BackupStats, Option<PathBuf>), RestoreError> {
    let parsed = parse(r)?;
    crate::files::create_private_dir(data_dir).map_err(|e| StoreError::io(data_dir, e))?;
    let _lock = DirLock::acquire(data_dir, "warroom restore")?;
    let target = data_dir.join(STORE_DIR);
    if target.exists() && !force {
        return Err(RestoreError::Exists(data_dir.to_path_buf()));
    }
    let tmp = data_dir.join(format!("{STORE_DIR}.restore-tmp"));
    if tmp.exists() {
        // Left by an interrupted restore: a partial new store, or (if it stopped right after
        // the swap) the previous store. Keep it, never delete it.
        let stale = data_dir.join(format!(
            "{STORE_DIR}.restore-interrupted-{}",
            fmt_file_stamp(Utc::now())
        ));
        std::fs::rename(&tmp, &stale).map_err(|e| StoreError::io(&tmp, e))?;
    }
    // Build the new store beside the old one. If that fails, what was built is only a partial
    // copy of the backup (never anything else): removed, so nothing half-made is left to use.
    let build = || -> Result<(), StoreError> {
        let db = super::open_db(&tmp)?;
        let tree = |n: &str| db.open_tree(n).map_err(StoreError::Sled);
        let (meta, incidents, entries, rooms, fps, seen) = (
            tree("meta")?,
            tree("incidentid_incident")?,
            tree("incidentid_seq_entry")?,
            tree("room_incidentid")?,
            tree("fingerprint_incidentid")?,
            tree("eventid_seen")?,
        );
        let s = |r: Result<Option<sled::IVec>, sled::Error>| r.map(|_| ()).map_err(StoreError::Sled);
        s(meta.insert(META_NEXT_ID, &parsed.next_id.to_be_bytes()))?;
        let mut open_by_fp: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
        for inc in &parsed.incidents {
            let idb = inc.id.0.to_be_bytes();
            s(incidents.insert(id_key(inc.id), encode(inc)))?;
            for room in &inc.rooms {
                s(rooms.insert(room.to_string().as_bytes(), &idb))?;
            }
            for fp in inc.open_fingerprints() {
                open_by_fp.entry(fp.to_string()).or_default().push(inc.id.0);
            }
        }
        for (fp, mut ids) in open_by_fp {
            ids.sort_unstable();
            s(fps.insert(fp.as_bytes(), encode_ids(&ids)))?;
        }
        for (id, e) in &parsed.entries {
            s(entries.insert(entry_key(*id, e.seq), encode(e)))?;
        }
        for (ev, at) in &parsed.seen {
            s(seen.insert(ev.as_bytes(), at.as_bytes()))?;
        }
        // The schema marker last: a build cut short (a crash, a full disk) leaves a directory
        // that no warroom opens as a store, never a store with records silently missing.
        s(meta.insert(META_SCHEMA, &SCHEMA.to_be_bytes()))?;
        super::durable::Durability::new(db.clone(), &tmp)?.sync_now()?;
        sync_dir(&tmp)?;
        Ok(())
    };
    if let Err(e) = build() {
        if let Err(rm) = std::fs::remove_dir_all(&tmp) {
            tracing::warn!(path = %tmp.display(), error = %rm, "restore: could not remove the partial new store");
        }
        return Err(e.into());
    }
    // Swap the new store in without a moment where the data dir has no store: with an old
    // store present, exchange the two directories atomically, then rename the old one aside.
    let moved = if target.exists() {
        let aside = data_dir.join(format!("{STORE_DIR}.replaced-{}", fmt_file_stamp(Utc::now())));
        match exchange(&tmp, &target) {
            Ok(()) => std::fs::rename(&tmp, &aside).map_err(|e| StoreError::io(&tmp, e))?,
            Err(e) if cannot_exchange(&e) => {
                // The filesystem cannot exchange directories (NFS, older ZFS): the old store
                // aside, then the new one in. A crash between the two leaves no store but both
                // directories, and the next start refuses and names them (`Leftover`).
                tracing::info!(error = %e, "restore: this filesystem cannot swap directories atomically; moving the old store aside first");
                std::fs::rename(&target, &aside).map_err(|e| StoreError::io(&target, e))?;
                if let Err(e) = sync_dir(data_dir)
                    .and_then(|()| std::fs::rename(&tmp, &target).map_err(|e| StoreError::io(&target, e)))
                {
                    // Put the old store back: the data dir is as it was, and the error says so.
                    return Err(match std::fs::rename(&aside, &target) {
                        Ok(()) => StoreError::io(
                            &target,
                            std::io::Error::other(format!(
                                "could not move the new store in ({e}); the old store is back in place and nothing changed. Free the problem (space, permissions) and run the restore again"
                            )),
                        )
                        .into(),
                        Err(back) => StoreError::io(
                            &aside,
                            std::io::Error::other(format!(
                                "{e}; the old store is at {} and could not be moved back ({back}): rename it to {} to use it",
                                aside.display(),
                                target.display()
                            )),
                        )
                        .into(),
                    });
                }
            }
            Err(e) => {
                // Nothing was swapped: the old store is as it was; the new one is removed.
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(StoreError::io(
                    &target,
                    std::io::Error::other(format!(
                        "could not swap the new store in ({e}); the old store is unchanged. Fix the cause (permissions, a mount) and run the restore again"
                    )),
                )
                .into());
            }
        }
        Some(aside)
    } else {
        std::fs::rename(&tmp, &target).map_err(|e| StoreError::io(&target, e))?;
        None
    };
    sync_dir(data_dir)?;
    let stats = BackupStats {
        incidents: parsed.incidents.len() as u64,
        entries: parsed.entries.len() as u64,
        seen: parsed.seen.len() as u64,
    };
    Ok((stats, moved))
}

/// Atomically exchange two directories (Linux `renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated C strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Does `e` say the filesystem (or kernel) cannot exchange directories atomically, as opposed
/// to a real failure?
pub(super) fn cannot_exchange(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP))
}
