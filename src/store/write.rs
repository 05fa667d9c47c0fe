//! Transactional writes. Each write runs a caller's pure closure inside one sled transaction
//! that also hands out timeline sequence numbers, keeps the room and fingerprint indexes in
//! step with the incident, and records the inbound event id; it returns once durable.
//! `Store::transaction` runs several such changes as one transaction (a webhook notification's
//! alerts): each incident is decoded and encoded once per transaction, however many changes
//! it takes.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::codec::{decode, decode_ids, decode_u64, encode, encode_ids, entry_key, id_key};
use super::{META_NEXT_ID, Store, StoreError};
use crate::domain::{EntryKind, Incident, IncidentId, NewEntry, TimelineEntry};

/// What a write produced, returned after it is durable.
#[derive(Debug, Clone)]
pub struct Committed<T> {
    pub value: T,
    pub incident: Incident,
    /// Timeline entries this write appended (or, for an entry edit, the edited entry).
    pub entries: Vec<TimelineEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError<E> {
    /// The domain refused the change; nothing was written.
    #[error("rejected")]
    Rejected(E),
    /// The inbound event was handled before; nothing was written.
    #[error("event already handled")]
    Duplicate,
    #[error("{0} does not exist")]
    NotFound(IncidentId),
    #[error("timeline entry #{1} of {0} does not exist")]
    NoEntry(IncidentId, u64),
    /// The change was committed but could not be confirmed on disk; do not blindly retry.
    #[error("recorded, but not confirmed on disk: {0}")]
    NotDurable(StoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a transaction stopped; only `write.rs` builds and reads them.
pub(crate) enum Abort<E> {
    Rejected(E),
    Duplicate,
    NotFound,
    Corrupt(String),
}

/// The result of one step inside a transaction; `?` passes an abort on to `Store::transaction`.
pub(crate) type Tx<T, E> = Result<T, ConflictableTransactionError<Abort<E>>>;

fn abort<E>(a: Abort<E>) -> ConflictableTransactionError<Abort<E>> {
    ConflictableTransactionError::Abort(a)
}

/// One transaction's trees, and the incidents it changed (written once, when it ends).
pub(crate) struct Trees<'a> {
    meta: &'a TransactionalTree,
    incidents: &'a TransactionalTree,
    entries: &'a TransactionalTree,
    rooms: &'a TransactionalTree,
    fingerprints: &'a TransactionalTree,
    seen: &'a TransactionalTree,
    /// Incidents saved in this transaction, by id: later steps read them from here, and
    /// `flush` encodes each once.
    changed: RefCell<BTreeMap<u64, Incident>>,
}

impl Trees<'_> {
    fn claim_event<E>(&self, event_id: Option<&str>, now: DateTime<Utc>) -> Tx<(), E> {
        if let Some(ev) = event_id {
            if self.seen.get(ev.as_bytes())?.is_some() {
                return Err(abort(Abort::Duplicate));
            }
            self.seen.insert(ev.as_bytes(), now.to_rfc3339().as_bytes())?;
        }
        Ok(())
    }

    fn fingerprint_ids<E>(&self, fp: &str) -> Tx<Vec<u64>, E> {
        match self.fingerprints.get(fp.as_bytes())? {
            Some(v) => decode_ids(&v).map_err(|e| abort(Abort::Corrupt(e.to_string()))),
            None => Ok(Vec::new()),
        }
    }

    fn fingerprint_update<E>(&self, fp: &str, f: impl FnOnce(&mut Vec<u64>)) -> Tx<(), E> {
        let mut ids = self.fingerprint_ids(fp)?;
        f(&mut ids);
        if ids.is_empty() {
            self.fingerprints.remove(fp.as_bytes())?;
        } else {
            self.fingerprints.insert(fp.as_bytes(), encode_ids(&ids))?;
        }
        Ok(())
    }

    /// Open a new incident with the next incident id, and take that id only if `build` accepts:
    /// a refused opening writes nothing (part of the caller's transaction).
    fn open_new<E>(
        &self,
        build: impl FnOnce(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
        now: DateTime<Utc>,
    ) -> Tx<Committed<()>, E> {
        let next = match self.meta.get(META_NEXT_ID)? {
            Some(v) => decode_u64(&v, "next id").map_err(|e| abort(Abort::Corrupt(e.to_string())))?,
            None => 1,
        };
        let after = next
            .checked_add(1)
            .ok_or_else(|| abort(Abort::Corrupt(format!("next incident id {next}: ids used up"))))?;
        let (mut incident, new) = build(IncidentId(next)).map_err(|e| abort(Abort::Rejected(e)))?;
        self.meta.insert(META_NEXT_ID, &after.to_be_bytes())?;
        let entries = self.save(None, &mut incident, new, now)?;
        Ok(Committed {
            value: (),
            incident,
            entries,
        })
    }

    /// A step's refusal by the domain as a value, so the transaction goes on with its other
    /// steps: `Ok(Err(e))`. Only for steps that write nothing before they can be refused:
    /// `open_or_attach` and `attach_or_storm` called without an event id, and `attach_open`.
    /// With `event_id` (whose claim the step writes first) a refusal stays an abort, so the
    /// claim is not kept and a redelivery is handled again.
    pub(crate) fn refusable<T, E>(&self, event_id: Option<&str>, step: Tx<T, E>) -> Tx<Result<T, E>, E> {
        match step {
            Ok(v) => Ok(Ok(v)),
            Err(ConflictableTransactionError::Abort(Abort::Rejected(e))) if event_id.is_none() => Ok(Err(e)),
            Err(other) => Err(other),
        }
    }

    fn load<E>(&self, id: IncidentId) -> Tx<Incident, E> {
        if let Some(inc) = self.changed.borrow().get(&id.0) {
            return Ok(inc.clone());
        }
        let v = self.incidents.get(id_key(id))?.ok_or(abort(Abort::NotFound))?;
        decode(&v, "incident").map_err(|e| abort(Abort::Corrupt(e.to_string())))
    }

    /// Write the incidents this transaction changed.
    fn flush<E>(&self) -> Tx<(), E> {
        for inc in self.changed.borrow().values() {
            self.incidents.insert(&id_key(inc.id), encode(inc))?;
        }
        Ok(())
    }

    /// Write `after` (whose previous state is `before`), append `new` entries, update indexes.
    fn save<E>(
        &self,
        before: Option<&Incident>,
        after: &mut Incident,
        new: Vec<NewEntry>,
        now: DateTime<Utc>,
    ) -> Tx<Vec<TimelineEntry>, E> {
        let mut appended = Vec::with_capacity(new.len());
        for e in new {
            after.last_seq = after.last_seq.checked_add(1).ok_or_else(|| {
                abort(Abort::Corrupt(format!(
                    "{}: timeline sequence numbers used up",
                    after.id
                )))
            })?;
            let entry = TimelineEntry::from_new(after.last_seq, now, e);
            self.entries.insert(&entry_key(after.id, entry.seq), encode(&entry))?;
            appended.push(entry);
        }
        let id_bytes = after.id.0.to_be_bytes();
        for room in &after.rooms {
            if before.is_none_or(|b| !b.rooms.contains(room)) {
                self.rooms.insert(room.to_string().as_bytes(), &id_bytes)?;
            }
        }
        // The fingerprint index lists the open incidents holding each fingerprint. An alert
        // storm's grouped fingerprints are written when they are added or removed; its own
        // fingerprint on every save.
        let was: BTreeSet<&str> = before.map(|b| b.open_fingerprints().collect()).unwrap_or_default();
        let now_fps: BTreeSet<&str> = after.open_fingerprints().collect();
        for old in was.difference(&now_fps) {
            self.fingerprint_update(old, |ids| ids.retain(|i| *i != after.id.0))?;
        }
        let own = after.open_fingerprint();
        for fp in now_fps.iter().filter(|fp| !was.contains(*fp) || own == Some(**fp)) {
            self.fingerprint_update(fp, |ids| {
                if !ids.contains(&after.id.0) {
                    ids.push(after.id.0);
                    ids.sort_unstable();
                }
            })?;
        }
        self.changed.borrow_mut().insert(after.id.0, after.clone());
        Ok(appended)
    }
}

/// A committed transaction's result and its durability ticket (`Store::durable` waits for it).
struct Ticketed<T> {
    value: T,
    ticket: u64,
}

fn finish<T, E>(r: Result<T, TransactionError<Abort<E>>>) -> Result<T, WriteError<E>> {
    r.map_err(|e| match e {
        TransactionError::Abort(Abort::Rejected(e)) => WriteError::Rejected(e),
        TransactionError::Abort(Abort::Duplicate) => WriteError::Duplicate,
        TransactionError::Abort(Abort::NotFound) => WriteError::NotFound(IncidentId(0)),
        TransactionError::Abort(Abort::Corrupt(m)) => WriteError::Store(StoreError::Corrupt(m)),
        TransactionError::Storage(s) => WriteError::Store(StoreError::Sled(s)),
    })
}

impl Store {
    /// Wait until no backup is being taken, then hold the write gate shared (with other
    /// writers) for one transaction: see `Store::backup`.
    pub(super) async fn admit(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.inner.write_gate.read().await
    }

    /// Run one transaction; `_gate` (from `admit`) is released when it returns, before the
    /// caller waits for durability (`durable`, with the ticket taken here).
    fn transact<A, E>(
        &self,
        _gate: tokio::sync::RwLockReadGuard<'_, ()>,
        f: impl Fn(&Trees<'_>) -> Tx<A, E>,
    ) -> Result<Ticketed<A>, WriteError<E>> {
        use sled::Transactional;
        let i = &self.inner;
        let writing = i.durability.writing()?;
        let value = finish(
            (&i.meta, &i.incidents, &i.entries, &i.rooms, &i.fingerprints, &i.seen).transaction(
                |(meta, incidents, entries, rooms, fingerprints, seen)| {
                    let t = Trees {
                        meta,
                        incidents,
                        entries,
                        rooms,
                        fingerprints,
                        seen,
                        changed: RefCell::new(BTreeMap::new()),
                    };
                    let out = f(&t)?;
                    t.flush()?;
                    Ok(out)
                },
            ),
        )?;
        Ok(Ticketed {
            value,
            ticket: writing.ticket(),
        })
    }

    /// Run `f`'s steps (`Trees::open_or_attach`, `attach_or_storm`, `attach_open`) as one
    /// transaction, made durable as one write: all of them are stored, or none. A step's
    /// rejection aborts the whole transaction, unless the step is wrapped in
    /// `Trees::refusable` (then it changes nothing and the others go on). `f` may run more than once (on a conflict with a
    /// concurrent writer), so it must only compute from what it reads.
    pub(crate) async fn transaction<A, E>(&self, f: impl Fn(&Trees<'_>) -> Tx<A, E>) -> Result<A, WriteError<E>> {
        let done = self.transact(self.admit().await, f)?;
        self.durable(done).await
    }

    async fn durable<T, E>(&self, done: Ticketed<T>) -> Result<T, WriteError<E>> {
        self.durable_after(done.ticket).await.map_err(WriteError::NotDurable)?;
        Ok(done.value)
    }

    /// Open a new incident: allocate the next id, let `build` construct it, store it.
    pub async fn create_incident<E>(
        &self,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        build: impl Fn(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
    ) -> Result<Committed<()>, WriteError<E>> {
        let done = self.transact(self.admit().await, |t| {
            t.claim_event(event_id, now)?;
            t.open_new(&build, now)
        })?;
        self.durable(done).await
    }

    /// Change an incident with `f`, which returns a value for the caller and the timeline
    /// entries the change implies. A rejection from `f` writes nothing.
    pub async fn update_incident<T, E>(
        &self,
        id: IncidentId,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        f: impl Fn(&mut Incident) -> Result<(T, Vec<NewEntry>), E>,
    ) -> Result<Committed<T>, WriteError<E>> {
        let done = self
            .transact(self.admit().await, |t| {
                t.claim_event(event_id, now)?;
                let before = t.load(id)?;
                let mut after = before.clone();
                let (value, new) = f(&mut after).map_err(|e| abort(Abort::Rejected(e)))?;
                let entries = t.save(Some(&before), &mut after, new, now)?;
                Ok(Committed {
                    value,
                    incident: after,
                    entries,
                })
            })
            .map_err(|e| match e {
                WriteError::NotFound(_) => WriteError::NotFound(id),
                other => other,
            })?;
        let done = self.durable(done).await?;
        let closes = done.entries.iter().filter(|e| e.kind == EntryKind::Closed).count();
        if closes > 0 {
            crate::telemetry::metrics().incidents_closed(closes as u64);
        }
        Ok(done)
    }

    /// Change an incident and one of its stored entries together: `seq_of` names the entry
    /// (from the incident as stored; none: no entry), `f` changes both and may append entries.
    /// Used where the incident's own record says which entry an event is about (a captured
    /// chat message). A rejection from `f` writes nothing.
    pub async fn update_incident_entry<T, E>(
        &self,
        id: IncidentId,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        seq_of: impl Fn(&Incident) -> Option<u64>,
        f: impl Fn(&mut Incident, Option<&mut TimelineEntry>) -> Result<(T, Vec<NewEntry>), E>,
    ) -> Result<Committed<T>, WriteError<E>> {
        let done = self
            .transact(self.admit().await, |t| {
                t.claim_event(event_id, now)?;
                let before = t.load(id)?;
                let mut entry = match seq_of(&before) {
                    Some(seq) => match t.entries.get(entry_key(id, seq))? {
                        Some(raw) => Some(
                            decode::<TimelineEntry>(&raw, "entry").map_err(|e| abort(Abort::Corrupt(e.to_string())))?,
                        ),
                        None => {
                            return Err(abort(Abort::Corrupt(format!(
                                "{id}: entry #{seq} named by the incident is missing"
                            ))));
                        }
                    },
                    None => None,
                };
                let original = entry.clone();
                let mut after = before.clone();
                let (value, new) = f(&mut after, entry.as_mut()).map_err(|e| abort(Abort::Rejected(e)))?;
                let mut entries = Vec::new();
                if let Some(e) = entry.filter(|e| Some(e) != original.as_ref()) {
                    t.entries.insert(&entry_key(id, e.seq), encode(&e))?;
                    entries.push(e);
                }
                entries.extend(t.save(Some(&before), &mut after, new, now)?);
                Ok(Committed {
                    value,
                    incident: after,
                    entries,
                })
            })
            .map_err(|e| match e {
                WriteError::NotFound(_) => WriteError::NotFound(id),
                other => other,
            })?;
        self.durable(done).await
    }

    /// Change one stored timeline entry (edit or delete).
    pub async fn update_entry<E>(
        &self,
        id: IncidentId,
        seq: u64,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        f: impl Fn(&mut TimelineEntry) -> Result<(), E>,
    ) -> Result<Committed<()>, WriteError<E>> {
        let done = self
            .transact(self.admit().await, |t| {
                t.claim_event(event_id, now)?;
                let incident = t.load(id)?;
                let key = entry_key(id, seq);
                let raw = t.entries.get(key)?.ok_or(abort(Abort::NotFound))?;
                let mut entry: TimelineEntry =
                    decode(&raw, "entry").map_err(|e| abort(Abort::Corrupt(e.to_string())))?;
                f(&mut entry).map_err(|e| abort(Abort::Rejected(e)))?;
                t.entries.insert(&key, encode(&entry))?;
                Ok(Committed {
                    value: (),
                    incident,
                    entries: vec![entry],
                })
            })
            .map_err(|e| match e {
                WriteError::NotFound(_) => match self.incident(id) {
                    Ok(Some(_)) => WriteError::NoEntry(id, seq),
                    Ok(None) => WriteError::NotFound(id),
                    Err(s) => WriteError::Store(s),
                },
                other => other,
            })?;
        self.durable(done).await
    }
}

/// Outcome of `open_or_attach`.
#[derive(Debug, Clone)]
pub enum OpenOrAttach<T = ()> {
    Opened(Committed<()>),
    Attached(Committed<T>),
}

/// Outcome of `attach_or_storm`.
#[derive(Debug, Clone)]
pub enum Stormed<T = ()> {
    /// An open incident already held the alert's own fingerprint; the alert joined it.
    Attached(Committed<T>),
    /// The alert joined the open alert-storm incident.
    Joined(Committed<T>),
    /// The alert opened the alert-storm incident.
    Opened(Committed<()>),
}

impl Store {
    /// In one transaction: if an open incident holds `fingerprint`, apply `attach` to it;
    /// otherwise open a new one with `build`. Concurrent alerts with one fingerprint therefore
    /// never open two incidents.
    pub async fn open_or_attach<T, E>(
        &self,
        fingerprint: &str,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        build: impl Fn(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
        attach: impl Fn(&mut Incident) -> (T, Vec<NewEntry>),
    ) -> Result<OpenOrAttach<T>, WriteError<E>> {
        self.transaction(|t| t.open_or_attach(fingerprint, event_id, now, &build, &attach))
            .await
    }

    /// During an alert storm, in one transaction: apply `attach(incident, false)` to the open
    /// incident holding `fingerprint` if there is one; else `attach(incident, true)` to the open
    /// alert-storm incident holding `storm`; else open that one with `build`.
    pub async fn attach_or_storm<T, E>(
        &self,
        fingerprint: &str,
        storm: &str,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        build: impl Fn(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
        attach: impl Fn(&mut Incident, bool) -> (T, Vec<NewEntry>),
    ) -> Result<Stormed<T>, WriteError<E>> {
        self.transaction(|t| t.attach_or_storm(fingerprint, storm, event_id, now, &build, &attach))
            .await
    }

    /// In one transaction: apply `attach` to the open incident holding `fingerprint`, if any.
    /// `None`: no open incident has it; nothing was written.
    pub async fn attach_open<T, E>(
        &self,
        fingerprint: &str,
        now: DateTime<Utc>,
        attach: impl Fn(&mut Incident) -> (T, Vec<NewEntry>),
    ) -> Result<Option<Committed<T>>, WriteError<E>> {
        let done = self.transact(self.admit().await, |t| t.attach_open(fingerprint, now, &attach))?;
        self.durable(done).await
    }
}

impl Trees<'_> {
    /// `Store::open_or_attach` as a step of a larger transaction.
    pub(crate) fn open_or_attach<T, E>(
        &self,
        fingerprint: &str,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        build: &impl Fn(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
        attach: &impl Fn(&mut Incident) -> (T, Vec<NewEntry>),
    ) -> Tx<OpenOrAttach<T>, E> {
        self.claim_event(event_id, now)?;
        if let Some(c) = self.attach_open(fingerprint, now, attach)? {
            return Ok(OpenOrAttach::Attached(c));
        }
        self.open_new(build, now).map(OpenOrAttach::Opened)
    }

    /// `Store::attach_or_storm` as a step of a larger transaction.
    pub(crate) fn attach_or_storm<T, E>(
        &self,
        fingerprint: &str,
        storm: &str,
        event_id: Option<&str>,
        now: DateTime<Utc>,
        build: &impl Fn(IncidentId) -> Result<(Incident, Vec<NewEntry>), E>,
        attach: &impl Fn(&mut Incident, bool) -> (T, Vec<NewEntry>),
    ) -> Tx<Stormed<T>, E> {
        self.claim_event(event_id, now)?;
        if let Some(c) = self.attach_open(fingerprint, now, &|i: &mut Incident| attach(i, false))? {
            return Ok(Stormed::Attached(c));
        }
        if let Some(c) = self.attach_open(storm, now, &|i: &mut Incident| attach(i, true))? {
            return Ok(Stormed::Joined(c));
        }
        self.open_new(build, now).map(Stormed::Opened)
    }

    /// Attach to the oldest open incident with this fingerprint; drop stale ids on the way.
    /// `None`: no open incident has it; nothing was written.
    pub(crate) fn attach_open<T, E>(
        &self,
        fingerprint: &str,
        now: DateTime<Utc>,
        attach: &impl Fn(&mut Incident) -> (T, Vec<NewEntry>),
    ) -> Tx<Option<Committed<T>>, E> {
        for id in self.fingerprint_ids(fingerprint)? {
            match self.load(IncidentId(id)) {
                Ok(before) if !before.is_closed() => {
                    let mut after = before.clone();
                    let (value, new) = attach(&mut after);
                    let entries = self.save(Some(&before), &mut after, new, now)?;
                    return Ok(Some(Committed {
                        value,
                        incident: after,
                        entries,
                    }));
                }
                Ok(_) | Err(ConflictableTransactionError::Abort(Abort::NotFound)) => {
                    self.fingerprint_update(fingerprint, |ids| ids.retain(|i| *i != id))?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}
