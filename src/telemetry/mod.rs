//! Logging (human or JSON lines on stderr, filtered by `WARROOM_LOG`, tracing's EnvFilter
//! syntax; chat output goes to stdout, so logs never mix with the console transcript), plus the
//! process's metrics and adapter readiness. A logged value never spans lines (see `logline`).

mod health;
mod logline;
mod metrics;
mod process;
mod quiet;
mod scrape;
mod throttle;

pub use health::{Readiness, health};
pub use metrics::{CONTENT_TYPE, Metrics, Outbox, Scrape, metrics};
pub use scrape::{job_done, job_queued};
pub use throttle::Throttle;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use quiet::QuietSdk;

/// Log output format (`--log-format` / `WARROOM_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// Install the global subscriber. `default_level` applies when `WARROOM_LOG` is unset (or
/// not a valid filter). The Matrix SDK's chatter and benign errors are dropped (see `quiet`)
/// unless the filter names `matrix_sdk`.
pub fn init(format: LogFormat, default_level: &str) {
    let default = format!("{default_level},sled=warn");
    let (directives, filter) = match std::env::var("WARROOM_LOG") {
        Ok(d) => match EnvFilter::try_new(&d) {
            Ok(f) => (d, f),
            Err(_) => (default.clone(), EnvFilter::new(&default)),
        },
        Err(_) => (default.clone(), EnvFilter::new(&default)),
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let quiet = QuietSdk::for_filter(&directives);
    let _ = subscriber(format, filter, quiet, std::io::stderr, ansi).try_init();
}

/// The subscriber `init` installs, writing to `writer`. The human format escapes control
/// characters in every field (one event, one line); JSON escapes them by itself.
fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    quiet: QuietSdk,
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
        LogFormat::Human => Box::new(builder.fmt_fields(logline::OneLineFields).finish().with(quiet)),
        LogFormat::Json => Box::new(builder.json().finish().with(quiet)),
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
        let sub = subscriber(
            format,
            EnvFilter::new("info"),
            QuietSdk::for_filter("info"),
            move || w.clone(),
            ansi,
        );
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

    /// What reaches the log under `filter` when the SDK and warroom log what they do.
    fn sdk_logged(filter: &str) -> String {
        let out = Capture::default();
        let w = out.clone();
        let sub = subscriber(
            LogFormat::Human,
            EnvFilter::new(filter),
            QuietSdk::for_filter(filter),
            move || w.clone(),
            false,
        );
        tracing::subscriber::with_default(sub, || {
            // As matrix-sdk 0.18 logs a 404 answer (here: a new room's encryption state).
            tracing::error!(
                target: "matrix_sdk::http_client",
                "Error while sending request: {}",
                "Api(Server(MatrixError(Error { status_code: 404, body: Standard(StandardErrorBody { kind: NotFound, message: \"Event not found.\" }) })))"
            );
            tracing::error!(
                target: "matrix_sdk::http_client",
                "Error while sending request: {}",
                "Reqwest(reqwest::Error { kind: Request, source: ConnectError(\"Connection refused\") })"
            );
            tracing::warn!(target: "matrix_sdk_crypto::backups", "Trying to backup room keys but no backup key was found");
            tracing::info!(target: "matrix_sdk_base::client", "Processed a sync response");
            tracing::warn!(target: "matrix_sdk::room", "Not sharing message history as cross-signing is not set up");
            tracing::info!(target: "warroom::chat::matrix", "matrix: ready");
        });
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_matrix_sdk_logs_only_what_an_operator_acts_on() {
        let log = sdk_logged("info");
        assert!(!log.contains("status_code: 404"), "{log}");
        assert!(!log.contains("no backup key"), "{log}");
        assert!(!log.contains("Processed a sync response"), "{log}");
        // A homeserver that cannot be reached is an error; the SDK's other warnings stay.
        assert!(log.contains("ERROR") && log.contains("Connection refused"), "{log}");
        assert!(log.contains("Not sharing message history"), "{log}");
        assert!(log.contains("matrix: ready"), "{log}");
        assert_eq!(log.lines().count(), 3, "{log}");
        // A filter that names the SDK gets everything it selects.
        let all = sdk_logged("info,matrix_sdk=info");
        assert!(
            all.contains("status_code: 404") && all.contains("no backup key"),
            "{all}"
        );
        assert_eq!(all.lines().count(), 6, "{all}");
    }
}
