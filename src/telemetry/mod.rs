//! Logging (human or JSON lines on stderr, filtered by `WARROOM_LOG`, tracing's EnvFilter
//! syntax; chat output goes to stdout, so logs never mix with the console transcript), plus the
//! process's metrics and adapter readiness.

mod health;
mod metrics;

pub use health::{Readiness, health};
pub use metrics::{Metrics, metrics};

use tracing_subscriber::EnvFilter;

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
