//! Chat messages captured into the timeline without typing (a configured reaction such as 📌,
//! or a pin): which entry each message became, who keeps it there, and how edits and
//! deletions of the message on its platform follow. Pure: the store hands in the entry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MAX_TEXT_CHARS;
use super::incident::{Incident, TransitionError};
use super::time::{Moment, Precision};
use super::timeline::{EntryKind, NewEntry, Person, Source, TimelineEntry};

/// Messages captured per incident at most; beyond, a capture is refused with a clear reply.
pub const MAX_CAPTURES: usize = 5_000;
/// Holders (reactions and pins) remembered per captured message at most.
pub const MAX_HOLDS: usize = 100;
/// Removals remembered for messages not captured yet, at most (the oldest go first).
pub const MAX_EARLY_REMOVALS: usize = 1_000;

fn removal_key(key: &str, holder: &str) -> String {
    format!("{key}\u{1f}{holder}")
}

/// A chat message as captured: who wrote it, when it was sent, what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedMessage {
    /// Platform-qualified message id: `slack:C0123/1700000000.000100`, `matrix:$event`.
    pub key: String,
    pub author: Person,
    /// When the platform says it was sent (the entry's time, to the second).
    pub sent_at: DateTime<Utc>,
    pub text: String,
    /// Files and images in the message: name and link.
    pub files: Vec<Attachment>,
    /// A link to the message itself (Slack permalink, matrix.to).
    pub link: Option<String>,
    pub source: Source,
}

/// A file or image of a captured message, kept as a link with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub url: String,
}

/// One holder of a capture (a reaction by someone, or the pin) and its latest known state,
/// with the platform time of the event that set it: an older event never overrides a newer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub present: bool,
    pub at: DateTime<Utc>,
    /// The platform event that added it (a Matrix reaction is removed by redacting that event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// What became of a captured message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The timeline entry it became.
    pub seq: u64,
    /// Who keeps it on the timeline: `reaction:<user id>` or `pin`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub holds: BTreeMap<String, Hold>,
    /// The platform time of the text on record (when it was sent, or of the edit applied last).
    pub text_at: DateTime<Utc>,
    /// The message was deleted (or redacted) on its platform: its entry stays deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Capture {
    fn held(&self) -> bool {
        self.holds.values().any(|h| h.present)
    }
}

/// What a capture event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Captured {
    /// A new entry #seq.
    Added(u64),
    /// The message was on the timeline already (#seq); one more holder.
    Held(u64),
    /// Its entry #seq was back from deletion.
    Restored(u64),
    /// The last holder went: entry #seq is removed from the draft (kept in history).
    Released(u64),
    /// A holder went, others keep entry #seq.
    StillHeld(u64),
    /// An edit of the message is now the text of entry #seq.
    Followed(u64),
    /// The message was deleted: entry #seq is removed from the draft (kept in history).
    Deleted(u64),
    /// Nothing to do: not captured, an older or repeated event, a deleted message.
    Nothing,
}

/// The entry text of a captured message: its text (shortened to what an entry holds), then its
/// files and a link to it, one per line.
/// Names and links of a captured message come from the platform and its author: each is kept
/// as one line of at most this many characters…
const MAX_PART: usize = 300;
/// …and at most this many files are kept.
const MAX_FILES: usize = 10;

fn cut(s: &str) -> String {
    let one = super::single_line(s);
    if one.chars().count() > MAX_PART {
        one.chars().take(MAX_PART - 1).collect::<String>() + "…"
    } else {
        one
    }
}

/// A message's files and link as they are kept: cut and counted (what `entry_text` shows).
fn kept(files: &[Attachment], link: Option<&str>) -> (Vec<Attachment>, Option<String>) {
    let files = files
        .iter()
        .take(MAX_FILES)
        .map(|f| Attachment {
            name: cut(&f.name),
            url: cut(&f.url),
        })
        .collect();
    (files, link.map(cut))
}

pub fn entry_text(text: &str, files: &[Attachment], link: Option<&str>) -> String {
    // Each name and link one short line, at most `MAX_FILES` files: the text stays within an
    // entry whatever the message held.
    let mut tail = String::new();
    for f in files.iter().take(MAX_FILES) {
        tail.push_str(&format!("\n📎 {}: {}", cut(&f.name), cut(&f.url)));
    }
    if files.len() > MAX_FILES {
        tail.push_str(&format!("\n📎 … and {} more files", files.len() - MAX_FILES));
    }
    if let Some(l) = link {
        tail.push_str(&format!("\n🔗 {}", cut(l)));
    }
    let room = MAX_TEXT_CHARS.saturating_sub(tail.chars().count() + 1);
    let body = text.trim();
    let mut out: String = if body.chars().count() > room {
        body.chars().take(room.saturating_sub(1)).collect::<String>() + "…"
    } else if body.is_empty() {
        "(no text)".to_string()
    } else {
        body.to_string()
    };
    out.push_str(&tail);
    out
}

impl Incident {
    /// The entry a captured message became, if it was captured here.
    pub fn capture(&self, key: &str) -> Option<&Capture> {
        self.captures.get(key)
    }

    /// The capture and holder a platform event added (a Matrix reaction's event id).
    pub fn hold_by_event(&self, event: &str) -> Option<(String, String)> {
        self.captures.iter().find_map(|(key, c)| {
            c.holds
                .iter()
                .find(|(_, h)| h.event.as_deref() == Some(event))
                .map(|(holder, _)| (key.clone(), holder.clone()))
        })
    }

    /// `holder` keeps `msg` on the timeline (a reaction added at `at`, a pin). A message
    /// captured for the first time becomes an entry at its send time, by its author; one
    /// captured before gets the holder, and its entry back if nobody held it any more.
    /// `entry`: the message's entry, when it was captured before.
    #[allow(clippy::too_many_arguments)]
    pub fn hold(
        &mut self,
        msg: &CapturedMessage,
        holder: &str,
        event: Option<&str>,
        at: DateTime<Utc>,
        by: &Person,
        now: DateTime<Utc>,
        entry: Option<&mut TimelineEntry>,
    ) -> Result<(Captured, Vec<NewEntry>), TransitionError> {
        let hold = Hold {
            present: true,
            at,
            event: event.map(str::to_string),
        };
        let Some(c) = self.captures.get_mut(&msg.key) else {
            // Its removal was handled first (events handled concurrently): nothing to add.
            let early = removal_key(&msg.key, holder);
            if self.capture_removals.get(&early).is_some_and(|t| *t >= at) {
                return Ok((Captured::Nothing, Vec::new()));
            }
            self.capture_removals.remove(&early);
            if self.captures.len() >= MAX_CAPTURES {
                return Err(TransitionError::BadAction(format!(
                    "{} already has {MAX_CAPTURES} captured messages; add this one with `timeline`",
                    self.id
                )));
            }
            let seq = self.last_seq + 1;
            let text = entry_text(&msg.text, &msg.files, msg.link.as_deref());
            let (files, link) = kept(&msg.files, msg.link.as_deref());
            let new =
                NewEntry::new(msg.sent_at, &msg.author, EntryKind::Captured, text, msg.source).at_moment(Moment {
                    at: msg.sent_at,
                    precision: Precision::Second,
                    end: None,
                });
            self.captures.insert(
                msg.key.clone(),
                Capture {
                    seq,
                    holds: BTreeMap::from([(holder.to_string(), hold)]),
                    text_at: msg.sent_at,
                    gone: false,
                    files,
                    link,
                },
            );
            return Ok((Captured::Added(seq), vec![new]));
        };
        let seq = c.seq;
        if c.gone || c.holds.get(holder).is_some_and(|h| h.at > at || h.present) {
            return Ok((Captured::Nothing, Vec::new()));
        }
        if !c.holds.contains_key(holder) && c.holds.len() >= MAX_HOLDS {
            return Ok((Captured::Held(seq), Vec::new()));
        }
        let was_held = c.held();
        c.holds.insert(holder.to_string(), hold);
        let Some(e) = entry.filter(|e| e.deleted.is_some() && !was_held) else {
            return Ok((Captured::Held(seq), Vec::new()));
        };
        e.restore(by, now).map_err(TransitionError::BadAction)?;
        Ok((Captured::Restored(seq), Vec::new()))
    }

    /// `holder` no longer keeps the message `key` (a reaction removed at `at`, an unpin); when
    /// nobody does, its entry leaves the draft (deleted by `by`, kept in history).
    pub fn release(
        &mut self,
        key: &str,
        holder: &str,
        at: DateTime<Utc>,
        by: &Person,
        now: DateTime<Utc>,
        entry: Option<&mut TimelineEntry>,
    ) -> Result<Captured, TransitionError> {
        let Some(c) = self.captures.get_mut(key) else {
            // Not captured (yet): remember the removal, so an older add arriving later
            // changes nothing. Bounded: the oldest removals are forgotten first.
            if self.capture_removals.len() >= MAX_EARLY_REMOVALS
                && let Some(oldest) = self
                    .capture_removals
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone())
            {
                self.capture_removals.remove(&oldest);
            }
            self.capture_removals.insert(removal_key(key, holder), at);
            return Ok(Captured::Nothing);
        };
        let seq = c.seq;
        let room_for_more = c.holds.len() < MAX_HOLDS;
        match c.holds.get_mut(holder) {
            Some(h) if h.present && h.at <= at => {
                h.present = false;
                h.at = at;
            }
            // A removal that overtook its add (events handled concurrently): remembered, so
            // the older add arriving later changes nothing.
            None if room_for_more => {
                c.holds.insert(
                    holder.to_string(),
                    Hold {
                        present: false,
                        at,
                        event: None,
                    },
                );
                return Ok(Captured::Nothing);
            }
            _ => return Ok(Captured::Nothing),
        }
        if c.held() {
            return Ok(Captured::StillHeld(seq));
        }
        match entry.filter(|e| e.deleted.is_none()) {
            Some(e) if !c.gone => {
                e.delete(by, now).map_err(TransitionError::BadAction)?;
                Ok(Captured::Released(seq))
            }
            _ => Ok(Captured::Nothing),
        }
    }

    /// The message `key` was edited on its platform at `edited_at` by `by`: its entry's text
    /// follows (the previous text kept in the entry's history). Only its author's edits count
    /// (a Matrix server relays an `m.replace` from anyone; clients show only the sender's).
    /// Older edits than the text on record, and edits of messages not captured or deleted,
    /// change nothing.
    pub fn follow_edit(
        &mut self,
        key: &str,
        text: &str,
        edited_at: DateTime<Utc>,
        by: &Person,
        now: DateTime<Utc>,
        entry: Option<&mut TimelineEntry>,
    ) -> Result<Captured, TransitionError> {
        let Some(c) = self.captures.get_mut(key) else {
            return Ok(Captured::Nothing);
        };
        if c.gone || edited_at <= c.text_at {
            return Ok(Captured::Nothing);
        }
        let Some(e) = entry.filter(|e| e.author.id == by.id) else {
            return Ok(Captured::Nothing);
        };
        c.text_at = edited_at;
        let new = entry_text(text, &c.files, c.link.as_deref());
        if new == e.text {
            return Ok(Captured::Nothing);
        }
        if e.deleted.is_some() {
            // Not on the draft now: the text changes, silently, for when it comes back.
            e.text = new;
            return Ok(Captured::Nothing);
        }
        e.correct(None, Some(new), by, now)
            .map_err(TransitionError::BadAction)?;
        Ok(Captured::Followed(c.seq))
    }

    /// The message `key` was deleted (or redacted) on its platform: its entry leaves the draft
    /// for good (kept in history), whoever holds it.
    pub fn follow_delete(
        &mut self,
        key: &str,
        by: &Person,
        now: DateTime<Utc>,
        entry: Option<&mut TimelineEntry>,
    ) -> Result<Captured, TransitionError> {
        let Some(c) = self.captures.get_mut(key) else {
            return Ok(Captured::Nothing);
        };
        if c.gone {
            return Ok(Captured::Nothing);
        }
        c.gone = true;
        match entry.filter(|e| e.deleted.is_none()) {
            Some(e) => {
                e.delete(by, now).map_err(TransitionError::BadAction)?;
                Ok(Captured::Deleted(c.seq))
            }
            None => Ok(Captured::Nothing),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{IncidentId, Opening};

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, m, s).unwrap()
    }

    fn opened() -> Incident {
        let o = Opening::by_hand(IncidentId(1), "DB down", Person::new("@dan:x", "Dan"), t(13, 0, 0));
        let (mut inc, entries) = Incident::open(o).unwrap();
        inc.last_seq = entries.len() as u64;
        inc
    }

    fn msg(text: &str) -> CapturedMessage {
        CapturedMessage {
            key: "matrix:$m1".into(),
            author: Person::new("@bob:x", "Bob"),
            sent_at: t(13, 25, 7),
            text: text.into(),
            files: vec![Attachment {
                name: "graph.png".into(),
                url: "mxc://x/abc".into(),
            }],
            link: Some("https://matrix.to/#/!r:x/$m1".into()),
            source: Source::Matrix,
        }
    }

    /// Applies a transition's new entry like the store does, returning it.
    fn stored(inc: &mut Incident, new: Vec<NewEntry>) -> TimelineEntry {
        assert_eq!(new.len(), 1);
        inc.last_seq += 1;
        TimelineEntry::from_new(inc.last_seq, t(14, 0, 0), new.into_iter().next().unwrap())
    }

    #[test]
    fn a_captured_message_keeps_its_author_time_text_files_and_link() {
        let mut inc = opened();
        let alice = Person::new("@alice:x", "Alice");
        let (r, new) = inc
            .hold(
                &msg("restarted docker"),
                "reaction:@alice:x",
                Some("$r1"),
                t(13, 30, 0),
                &alice,
                t(13, 30, 0),
                None,
            )
            .unwrap();
        let e = stored(&mut inc, new);
        assert_eq!(r, Captured::Added(e.seq));
        assert_eq!(
            (e.author.name.as_str(), e.at, e.precision),
            ("Bob", t(13, 25, 7), Precision::Second)
        );
        assert_eq!(e.kind, EntryKind::Captured);
        assert_eq!(
            e.text,
            "restarted docker\n📎 graph.png: mxc://x/abc\n🔗 https://matrix.to/#/!r:x/$m1"
        );
        assert_eq!(inc.capture("matrix:$m1").unwrap().seq, e.seq);
        assert_eq!(
            inc.hold_by_event("$r1"),
            Some(("matrix:$m1".into(), "reaction:@alice:x".into()))
        );
    }

    #[test]
    fn reactions_pins_edits_and_deletes_follow_and_repeats_change_nothing() {
        let mut inc = opened();
        let (alice, carol) = (Person::new("@alice:x", "Alice"), Person::new("@carol:x", "Carol"));
        let m = msg("restarted docker");
        let (_, new) = inc
            .hold(&m, "reaction:a", None, t(13, 30, 0), &alice, t(13, 30, 0), None)
            .unwrap();
        let mut e = stored(&mut inc, new);
        let seq = e.seq;
        // A pin keeps it too; the same reaction again (a redelivery) changes nothing.
        assert_eq!(
            inc.hold(&m, "pin", None, t(13, 31, 0), &carol, t(13, 31, 0), Some(&mut e))
                .unwrap()
                .0,
            Captured::Held(seq)
        );
        assert_eq!(
            inc.hold(&m, "reaction:a", None, t(13, 30, 0), &alice, t(13, 32, 0), Some(&mut e))
                .unwrap()
                .0,
            Captured::Nothing
        );
        // One holder goes: still on the timeline. The last one goes: deleted, kept.
        assert_eq!(
            inc.release(&m.key, "reaction:a", t(13, 33, 0), &alice, t(13, 33, 0), Some(&mut e))
                .unwrap(),
            Captured::StillHeld(seq)
        );
        assert!(e.is_visible());
        assert_eq!(
            inc.release(&m.key, "pin", t(13, 34, 0), &carol, t(13, 34, 0), Some(&mut e))
                .unwrap(),
            Captured::Released(seq)
        );
        assert_eq!(e.deleted.as_ref().unwrap().by, carol);
        // A removal delivered again, or an add older than the removal, changes nothing.
        assert_eq!(
            inc.release(&m.key, "pin", t(13, 34, 0), &carol, t(13, 35, 0), Some(&mut e))
                .unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.hold(&m, "pin", None, t(13, 31, 0), &carol, t(13, 35, 0), Some(&mut e))
                .unwrap()
                .0,
            Captured::Nothing
        );
        assert!(!e.is_visible());
        // Reacting again brings it back (the deletion stays on record).
        assert_eq!(
            inc.hold(&m, "reaction:a", None, t(13, 36, 0), &alice, t(13, 36, 0), Some(&mut e))
                .unwrap()
                .0,
            Captured::Restored(seq)
        );
        assert!(e.is_visible() && e.restores.len() == 1);
        // Edits follow, newest wins; an older edit arriving late changes nothing.
        let bob = Person::new("@bob:x", "Bob");
        assert_eq!(
            inc.follow_edit(
                &m.key,
                "restarted docker on etl-1",
                t(13, 40, 0),
                &bob,
                t(13, 40, 0),
                Some(&mut e)
            )
            .unwrap(),
            Captured::Followed(seq)
        );
        assert!(e.text.starts_with("restarted docker on etl-1\n📎 graph.png"));
        assert_eq!(
            e.edits.last().unwrap().previous_text.lines().next(),
            Some("restarted docker")
        );
        assert_eq!(
            inc.follow_edit(&m.key, "older edit", t(13, 39, 0), &bob, t(13, 41, 0), Some(&mut e))
                .unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.follow_edit(
                &m.key,
                "restarted docker on etl-1",
                t(13, 40, 0),
                &bob,
                t(13, 41, 0),
                Some(&mut e)
            )
            .unwrap(),
            Captured::Nothing
        );
        // Someone else's `m.replace` is not an edit of the message.
        assert_eq!(
            inc.follow_edit(&m.key, "forged", t(13, 42, 0), &carol, t(13, 42, 0), Some(&mut e))
                .unwrap(),
            Captured::Nothing
        );
        // Deleted on the platform: gone from the draft for good.
        assert_eq!(
            inc.follow_delete(&m.key, &bob, t(13, 45, 0), Some(&mut e)).unwrap(),
            Captured::Deleted(seq)
        );
        assert_eq!(
            inc.follow_delete(&m.key, &bob, t(13, 46, 0), Some(&mut e)).unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.hold(&m, "reaction:c", None, t(13, 47, 0), &carol, t(13, 47, 0), Some(&mut e))
                .unwrap()
                .0,
            Captured::Nothing
        );
        assert!(!e.is_visible());
        assert_eq!(e.edits.len(), 1, "history kept");
        // A removal that overtakes its add: the late add changes nothing.
        let dan = Person::new("@dan:x", "Dan");
        let m2 = CapturedMessage {
            key: "matrix:$m2".into(),
            ..msg("second")
        };
        let (_, new) = inc
            .hold(&m2, "pin", None, t(13, 50, 0), &dan, t(13, 50, 0), None)
            .unwrap();
        let mut e2 = stored(&mut inc, new);
        assert_eq!(
            inc.release(&m2.key, "reaction:dan", t(13, 52, 0), &dan, t(13, 52, 0), Some(&mut e2))
                .unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.hold(
                &m2,
                "reaction:dan",
                None,
                t(13, 51, 0),
                &dan,
                t(13, 53, 0),
                Some(&mut e2)
            )
            .unwrap()
            .0,
            Captured::Nothing
        );
        assert_eq!(
            inc.release(&m2.key, "pin", t(13, 54, 0), &dan, t(13, 54, 0), Some(&mut e2))
                .unwrap(),
            Captured::Released(e2.seq)
        );
        // A removal before the message was ever captured: the older add arriving later adds
        // nothing; a newer add still captures.
        let m3 = CapturedMessage {
            key: "matrix:$m3".into(),
            ..msg("third")
        };
        assert_eq!(
            inc.release(&m3.key, "reaction:dan", t(14, 0, 5), &dan, t(14, 0, 5), None)
                .unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.hold(&m3, "reaction:dan", None, t(14, 0, 4), &dan, t(14, 0, 6), None)
                .unwrap()
                .0,
            Captured::Nothing
        );
        assert!(inc.capture(&m3.key).is_none());
        assert!(matches!(
            inc.hold(&m3, "reaction:dan", None, t(14, 1, 0), &dan, t(14, 1, 0), None)
                .unwrap()
                .0,
            Captured::Added(_)
        ));
        assert!(inc.capture_removals.is_empty());
        // Messages never captured: nothing.
        assert_eq!(
            inc.release("matrix:$other", "pin", t(13, 50, 0), &bob, t(13, 50, 0), None)
                .unwrap(),
            Captured::Nothing
        );
        assert_eq!(
            inc.follow_edit("matrix:$other", "x", t(13, 50, 0), &bob, t(13, 50, 0), None)
                .unwrap(),
            Captured::Nothing
        );
    }

    #[test]
    fn long_messages_are_shortened_to_fit_an_entry_with_their_files() {
        let long = "x".repeat(MAX_TEXT_CHARS * 2);
        let text = entry_text(
            &long,
            &[Attachment {
                name: "a\nb.txt".into(),
                url: "https://f".into(),
            }],
            Some("https://l"),
        );
        assert!(text.chars().count() <= MAX_TEXT_CHARS, "{}", text.chars().count());
        assert!(
            text.ends_with("…\n📎 a b.txt: https://f\n🔗 https://l"),
            "{}",
            &text[text.len() - 40..]
        );
        assert_eq!(entry_text("  ", &[], None), "(no text)");
        // Hostile names and links cannot push an entry past its limit.
        let huge = Attachment {
            name: "n".repeat(30_000),
            url: "u".repeat(30_000),
        };
        let text = entry_text(&long, &vec![huge; 50], Some(&"l".repeat(30_000)));
        assert!(text.chars().count() <= MAX_TEXT_CHARS, "{}", text.chars().count());
        assert!(text.contains("… and 40 more files"));
        // What the record keeps of them is bounded the same way.
        let mut inc = opened();
        let m = CapturedMessage {
            files: vec![
                Attachment {
                    name: "n".repeat(30_000),
                    url: "u".repeat(30_000),
                };
                50
            ],
            link: Some("l".repeat(30_000)),
            ..msg("x")
        };
        inc.hold(&m, "pin", None, t(13, 0, 1), &Person::new("a", "a"), t(13, 0, 1), None)
            .unwrap();
        let c = inc.capture(&m.key).unwrap();
        assert_eq!(c.files.len(), 10);
        assert!(
            c.files
                .iter()
                .all(|f| f.name.chars().count() <= 300 && f.url.chars().count() <= 300)
        );
        assert!(c.link.as_ref().unwrap().chars().count() <= 300);
    }
}
