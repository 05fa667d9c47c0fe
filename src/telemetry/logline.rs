//! The human log format's fields: written like tracing's default (`message`, then
//! `name=value`), with every control character in a value escaped, so one event is always one
//! line, whatever an alert or a user put into a logged value.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

use crate::sanitize::one_line;

/// The field formatter of the human format.
#[derive(Debug, Default)]
pub struct OneLineFields;

impl<'w> FormatFields<'w> for OneLineFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Visitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct Visitor<'w> {
    writer: Writer<'w>,
    empty: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    /// `value` is already formatted; `message` goes without its name.
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        // `log` crate metadata is shown by the event formatter itself.
        if name.starts_with("log.") {
            return;
        }
        let pad = if self.empty { "" } else { " " };
        self.empty = false;
        let value = one_line(value);
        self.result = match name {
            "message" => write!(self.writer, "{pad}{value}"),
            name => write!(self.writer, "{pad}{}={value}", name.trim_start_matches("r#")),
        };
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, value);
        } else {
            self.write(field, &format!("{value:?}"));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(s) = source {
            let _ = write!(text, ": {s}");
            source = s.source();
        }
        self.write(field, &text);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}
