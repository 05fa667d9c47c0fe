//! Logging (human or JSON lines on stderr, filtered by `WARROOM_LOG`, tracing's EnvFilter
//! syntax; chat output goes to stdout, so logs never mix with the console transcript), plus the
//! process's metrics and adapter readiness. A logged value never spans lines (see `logline`).

mod health;
mod logline;
mod metrics;

pub use health::{Readiness, health};
pub use metrics::{Metrics, metrics};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// Log output format (`--log-format` / `WARROOM_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// Install the global subscriber. `default_level` applies when `WARROOM_LOG` is unset.
pub fn init(format: LogFormat, default_level: &str) {
    // matrix-sdk logs benign 404s at ERROR level; keep them out of the default output.
    let default = format!("{default_level},matrix_sdk::http_client=off,sled=warn");
    let filter = EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = subscriber(format, filter, std::io::stderr, ansi).try_init();
}

/// The subscriber `init` installs, writing to `writer`. The human format escapes control
/// characters in every field (one event, one line); JSON escapes them by itself.
fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    match format {
        LogFormat::Human => Box::new(builder.fmt_fields(logline::OneLineFields).finish()),
        LogFormat::Json => Box::new(builder.json().finish()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Log through the real setup of `format`; what was written.
    fn logged(format: LogFormat, ansi: bool) -> String {
        let out = Capture::default();
        let w = out.clone();
        let sub = subscriber(format, EnvFilter::new("info"), move || w.clone(), ansi);
        tracing::subscriber::with_default(sub, || {
            let group = "{}:{alertname=\"x\"}\n2026-01-01T00:00:00Z ERROR forged: drop the database";
            tracing::info!(fingerprint = %group, "resolved alert for no open incident; ignored");
            tracing::warn!(title = ?"a\nb", "a message\n2026-01-01T00:00:01Z ERROR forged \u{1b}[31mred");
            let e = std::io::Error::other("disk\nfull");
            tracing::error!(error = &e as &dyn std::error::Error, "failed");
        });
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn one_event_is_one_line_whatever_the_values() {
        let human = logged(LogFormat::Human, false);
        assert_eq!(human.lines().count(), 3, "{human}");
        assert!(!human.contains('\u{1b}'), "{human:?}");
        assert!(!human.lines().any(|l| l.starts_with("2026-01-01")), "{human}");
        assert!(human.contains("\\n2026-01-01T00:00:00Z ERROR forged"), "{human}");
        assert!(human.contains("fingerprint={}:{alertname=\"x\"}\\n"), "{human}");
        assert!(
            human.contains("a message\\n2026-01-01T00:00:01Z ERROR forged \\u{1b}[31mred"),
            "{human}"
        );
        assert!(human.contains("error=disk\\nfull"), "{human}");
        // On a terminal the levels are coloured, and values still cannot add escapes.
        let coloured = logged(LogFormat::Human, true);
        assert_eq!(coloured.lines().count(), 3, "{coloured}");
        assert!(!coloured.contains("\u{1b}[31mred"), "{coloured:?}");
        let json = logged(LogFormat::Json, false);
        assert_eq!(json.lines().count(), 3, "{json}");
        for line in json.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }
}
