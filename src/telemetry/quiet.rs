//! What the Matrix SDK may log: its routine chatter and its benign "errors" kept out of
//! warroom's log, so that a WARN or an ERROR there is something for an operator to act on.
//!
//! matrix-sdk logs every failed request at ERROR, including the 404 a homeserver answers when
//! it asks for a new room's `m.room.encryption` state (the room has none yet; the SDK treats
//! the 404 as "not encrypted"); it warns on every sync that no key backup is set up (warroom
//! does not use server-side key backup); and it logs each sync and each sent event at INFO.
//! These are dropped unless the `WARROOM_LOG` filter names `matrix_sdk` (then every event the
//! filter selects is shown as the SDK emits it).

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The layer; `active` is false when the operator's filter asked for the SDK's events.
#[derive(Debug, Clone, Copy)]
pub struct QuietSdk {
    active: bool,
}

impl QuietSdk {
    /// Quiet unless `filter` (the `WARROOM_LOG` directives in force) names the SDK.
    pub fn for_filter(filter: &str) -> QuietSdk {
        QuietSdk {
            active: !filter.contains("matrix_sdk"),
        }
    }
}

/// Targets whose events are dropped below `max` (tracing orders levels from ERROR up to TRACE).
const QUIET_TARGETS: &[(&str, Level)] = &[
    // "Trying to backup room keys but no backup key was found", on every sync.
    ("matrix_sdk_crypto::backups", Level::ERROR),
    // Each sync response, each sent event, each key upload.
    ("matrix_sdk", Level::WARN),
];

impl<S: Subscriber> Layer<S> for QuietSdk {
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        if !self.active {
            return true;
        }
        let target = meta.target();
        match QUIET_TARGETS.iter().find(|(t, _)| target.starts_with(t)) {
            Some((_, max)) => meta.level() <= max,
            None => true,
        }
    }

    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        !(self.active && is_not_found_answer(event))
    }
}

/// matrix-sdk's ERROR for a request the homeserver answered with 404: the caller handles
/// "not found" (for `m.room.encryption` it means "not encrypted"), so it is not an error.
fn is_not_found_answer(event: &Event<'_>) -> bool {
    let meta = event.metadata();
    if meta.target() != "matrix_sdk::http_client" || *meta.level() != Level::ERROR {
        return false;
    }
    let mut message = Message(String::new());
    event.record(&mut message);
    message.0.starts_with("Error while sending request") && message.0.contains("status_code: 404")
}

/// The `message` field of an event, as text.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}
