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

/// What webhooks did is announced through the chat router (the notices of opened incidents).
impl crate::http::hooks::Announce for Arc<crate::chat::router::Router> {
    fn announce<'a>(
        &'a self,
        notices: &'a [crate::incident::Notice],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(self.publish(None, notices))
    }
}
