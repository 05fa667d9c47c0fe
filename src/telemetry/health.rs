//! Readiness of each configured chat adapter, as reported by the adapters themselves
//! (connected, or why not), for `GET /readyz`.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};

/// One adapter's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// What the adapter last said (`connected`, `logging in`, the error).
    pub detail: String,
    pub since: DateTime<Utc>,
}

/// Adapters by name.
#[derive(Debug, Default)]
pub struct Health {
    adapters: Mutex<BTreeMap<String, Readiness>>,
}

/// The process-wide registry.
pub fn health() -> &'static Health {
    static H: OnceLock<Health> = OnceLock::new();
    H.get_or_init(Health::default)
}

impl Health {
    /// Record `adapter`'s state; the time changes only when readiness flips.
    pub fn set(&self, adapter: &str, ready: bool, detail: impl Into<String>) {
        let detail = detail.into();
        let mut map = self.adapters.lock().unwrap_or_else(|p| p.into_inner());
        let since = match map.get(adapter) {
            Some(r) if r.ready == ready => r.since,
            _ => {
                if ready {
                    tracing::info!(adapter, "adapter ready");
                }
                Utc::now()
            }
        };
        map.insert(adapter.to_string(), Readiness { ready, detail, since });
    }

    pub fn snapshot(&self) -> BTreeMap<String, Readiness> {
        self.adapters.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
