//! Wiring: `App::build` opens the store, compiles the rules and creates the service. Shared by
//! `main` and the integration tests; also the shutdown signal (SIGINT and SIGTERM).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::incident::{Clock, IncidentService, SystemClock};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct App {
    pub config: Config,
    pub data_dir: PathBuf,
    pub service: Arc<IncidentService>,
}

impl App {
    /// Open everything for a process described by `holder` (shown to anyone who finds the
    /// data dir locked).
    pub fn build(config: Config, data_dir: &Path, holder: &str) -> Result<App, AppError> {
        Self::build_with_clock(config, data_dir, holder, Arc::new(SystemClock))
    }

    pub fn build_with_clock(
        config: Config,
        data_dir: &Path,
        holder: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<App, AppError> {
        let tz = config.tz()?;
        let rules = config.rules().map_err(ConfigError::from)?;
        let store = Store::open(data_dir, holder)?;
        let platforms = config.chat_platforms();
        let service = Arc::new(
            IncidentService::new(store, rules, tz, clock)
                .with_platforms(platforms)
                .with_max_openings_per_minute(config.alerts.max_openings_per_minute)
                .with_access(&config.access),
        );
        Ok(App {
            config,
            data_dir: data_dir.to_path_buf(),
            service,
        })
    }
}

/// A receiver that turns `true` on SIGINT or SIGTERM.
pub fn shutdown_signal() -> tokio::sync::watch::Receiver<bool> {
    shutdown_channel().1
}

/// Like `shutdown_signal`, plus the sender, so the process can also stop itself.
pub fn shutdown_channel() -> (
    Arc<tokio::sync::watch::Sender<bool>>,
    tokio::sync::watch::Receiver<bool>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tx = Arc::new(tx);
    let sender = Arc::clone(&tx);
    tokio::spawn(async move {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
        tracing::info!("shutdown requested");
        let _ = tx.send(true);
    });
    (sender, rx)
}
