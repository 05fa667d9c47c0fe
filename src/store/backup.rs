//! `warroom backup` / `warroom restore`: every record as JSON Lines, independent of sled's
//! on-disk format. A restore validates the whole file before writing anything, builds the new
//! store beside the data dir's, and swaps it in with a rename.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codec::{SCHEMA, decode_u64, encode, encode_ids, entry_key, id_key};
use super::lock::DirLock;
use super::{META_NEXT_ID, META_SCHEMA, STORE_DIR, Store, StoreError, sync_dir};
use crate::domain::{Incident, IncidentId, TimelineEntry};

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

impl Store {
    /// Write every record to `w` as JSON Lines.
    pub fn backup(&self, w: &mut impl Write, now: DateTime<Utc>) -> Result<BackupStats, StoreError> {
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
        for inc in self.incidents(true)? {
            let id = inc.id;
            write_line(w, &Line::Incident { data: Box::new(inc) }).map_err(io)?;
            stats.incidents += 1;
            for e in self.entries(id)? {
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
    #[error("backup line {line}: {msg}; the file is damaged or not a warroom backup. Nothing was changed")]
    Invalid { line: usize, msg: String },
    #[error(
        "the backup is incomplete: {0}. Nothing was changed; use a complete file (`warroom backup FILE` writes one)"
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

fn parse(r: impl BufRead) -> Result<Parsed, RestoreError> {
    let mut p = Parsed {
        next_id: 1,
        incidents: Vec::new(),
        entries: Vec::new(),
        seen: Vec::new(),
    };
    let mut header = false;
    let mut end = None;
    let mut ids = BTreeSet::new();
    for (i, line) in r.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| RestoreError::Invalid {
            line: n,
            msg: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(RestoreError::Invalid {
                line: n,
                msg: "data after the end marker".into(),
            });
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| RestoreError::Invalid {
            line: n,
            msg: e.to_string(),
        })?;
        let invalid = |msg: String| RestoreError::Invalid { line: n, msg };
        match parsed {
            Line::Header { format, schema, .. } => {
                if format != FORMAT || n != 1 {
                    return Err(invalid(format!("not a warroom backup header (format `{format}`)")));
                }
                if schema > SCHEMA {
                    return Err(invalid(format!(
                        "backup has schema {schema}; this warroom reads up to {SCHEMA}; upgrade warroom"
                    )));
                }
                header = true;
            }
            _ if !header => return Err(invalid("the first line must be the warroom-backup header".into())),
            Line::Meta { next_incident_id } => p.next_id = next_incident_id,
            Line::Incident { data } => {
                if !ids.insert(data.id) {
                    return Err(invalid(format!("{} appears twice", data.id)));
                }
                p.incidents.push(*data);
            }
            Line::Entry { incident, data } => {
                if !ids.contains(&incident) {
                    return Err(invalid(format!(
                        "entry for {incident} before (or without) that incident"
                    )));
                }
                p.entries.push((incident, *data));
            }
            Line::Seen { event_id, at } => p.seen.push((event_id, at)),
            Line::End {
                incidents,
                entries,
                seen,
            } => end = Some((incidents, entries, seen)),
        }
    }
    let counts = (p.incidents.len() as u64, p.entries.len() as u64, p.seen.len() as u64);
    match end {
        None => Err(RestoreError::Incomplete(
            "no end marker (was the file cut short?)".into(),
        )),
        Some(e) if e != counts => Err(RestoreError::Incomplete(format!(
            "end marker counts {e:?} but the file holds {counts:?} (incidents, entries, seen)"
        ))),
        Some(_) => {
            let max_id = p.incidents.iter().map(|i| i.id.0).max().unwrap_or(0);
            p.next_id = p.next_id.max(max_id + 1);
            let mut seqs: std::collections::BTreeMap<IncidentId, Vec<u64>> = Default::default();
            for (id, e) in &p.entries {
                seqs.entry(*id).or_default().push(e.seq);
            }
            for inc in &p.incidents {
                if inc.id.0 == 0 {
                    return Err(RestoreError::Incomplete("an incident has id 0".into()));
                }
                let mut got = seqs.remove(&inc.id).unwrap_or_default();
                got.sort_unstable();
                if got != (1..=inc.last_seq).collect::<Vec<_>>() {
                    return Err(RestoreError::Incomplete(format!(
                        "{} should have timeline entries #1..#{} exactly once each; the file holds {} entries for it",
                        inc.id,
                        inc.last_seq,
                        got.len()
                    )));
                }
            }
            Ok(p)
        }
    }
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
            Utc::now().format("%Y%m%dT%H%M%S")
        ));
        std::fs::rename(&tmp, &stale).map_err(|e| StoreError::io(&tmp, e))?;
    }
    {
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
        s(meta.insert(META_SCHEMA, &SCHEMA.to_be_bytes()))?;
        s(meta.insert(META_NEXT_ID, &parsed.next_id.to_be_bytes()))?;
        let mut open_by_fp: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
        for inc in &parsed.incidents {
            let idb = inc.id.0.to_be_bytes();
            s(incidents.insert(id_key(inc.id), encode(inc)))?;
            for room in &inc.rooms {
                s(rooms.insert(room.as_bytes(), &idb))?;
            }
            if let Some(fp) = inc.open_fingerprint() {
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
        super::durable::Durability::new(db.clone(), &tmp)?.sync_now()?;
        sync_dir(&tmp)?;
    }
    // Swap the new store in without a moment where the data dir has no store: with an old
    // store present, exchange the two directories atomically, then rename the old one aside.
    let moved = if target.exists() {
        let aside = data_dir.join(format!("{STORE_DIR}.replaced-{}", Utc::now().format("%Y%m%dT%H%M%S")));
        exchange(&tmp, &target)?;
        std::fs::rename(&tmp, &aside).map_err(|e| StoreError::io(&tmp, e))?;
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
fn exchange(a: &Path, b: &Path) -> Result<(), StoreError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|_| StoreError::io(p, std::io::ErrorKind::InvalidInput.into()))
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
        return Err(StoreError::io(b, std::io::Error::last_os_error()));
    }
    Ok(())
}
