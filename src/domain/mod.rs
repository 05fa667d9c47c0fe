//! Pure incident domain: ids, severities, statuses, roles, milestones, timeline entries and the
//! transitions between them. No I/O and no clock: every transition takes its time as a parameter.

mod capture;
mod incident;
mod invariants;
mod platform;
mod time;
mod timeline;
mod types;
mod updates;
pub mod writeup;

pub use capture::{Attachment, Capture, Captured, CapturedMessage, Hold, MAX_CAPTURES, entry_text};
pub use incident::{
    Action, ActionEdit, ActionFields, AlertEffect, AlertInfo, Contribution, CustomSectionEdit, DURATIONS, DurationSpec,
    ImpactWindow, Incident, MAX_CUSTOM_SECTIONS, MAX_LISTED_ALERTS, MAX_TRACKED_ALERTS, Opening, SectionEdit, Stamp,
    TitleEdit, TransitionError, action_line, check_text, room_slug, single_line, storm_fingerprint, storm_subject,
};
pub use invariants::{clamp_time, time_range};
pub use platform::{Platform, RoomKey};
pub use time::{
    DateOrder, FUTURE_SLACK_SECS, Moment, Precision, fmt_file_stamp, fmt_minute, fmt_moment, fmt_second_utc,
};
pub use timeline::{Edit, EntryKind, NewEntry, Person, Phrase, Restore, Source, TimelineEntry, sort_for_display};
pub use types::{
    IncidentId, MAX_CUSTOM_KEY_CHARS, Milestone, ParseError, Role, SECTION_NAMES, Section, Severity, Status,
    is_custom_section_key,
};
pub use updates::{Reminder, ReminderRules, Reminders, StatusUpdate};
pub use writeup::{
    BUILTIN_TEMPLATES, LANGUAGES, Link, MAX_WRITEUP_ITEMS, People, Related, RelatedRef, ReviewChange, ReviewStatus,
};

/// Longest free text accepted in one field (timeline entry, section contribution, title, ...).
pub const MAX_TEXT_CHARS: usize = 8_000;
