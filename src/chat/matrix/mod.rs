//! The Matrix adapter, the only module importing matrix_sdk: logs in (session kept in the
//! data dir), watches alert rooms, opens incident rooms, runs `!` commands and posts the
//! postmortem, and keeps going (queueing, retrying) while the homeserver is unreachable.

mod bot;
mod capture;
mod check;
mod client;
mod outbox;
mod rooms;
mod sync;
mod text;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::ruma::{RoomId, TransactionId};

pub use check::check;

/// Read the password or access token of `[matrix]` (once, when the settings are built).
/// `Err`: the configured credentials are missing or unreadable, saying what to set.
pub fn credentials(cfg: &MatrixConfig) -> Result<Credentials, String> {
    client::credentials(cfg).map_err(|e| e.to_string())
}
pub use client::Credentials;
pub use client::STATE_DIR;

use super::{ChatAdapter, ChatError, pause};
use crate::chat::router::Router;
use crate::config::MatrixConfig;
use crate::domain::{Incident, Platform, Source};
use crate::service::{IncidentService, announcement};
use crate::shutdown::Shutdown;
use crate::telemetry::health;
use bot::{Bot, MatrixSink};
use client::ConnectError;
use outbox::{JobKind, Lane};

/// Store key of the random id that marks this store's incident rooms.
const INSTANCE_KEY: &str = "matrix.instance";

pub struct MatrixAdapter {
    cfg: MatrixConfig,
    credentials: Credentials,
    data_dir: PathBuf,
    router: Arc<Router>,
}

impl MatrixAdapter {
    pub fn new(cfg: MatrixConfig, credentials: Credentials, data_dir: PathBuf, router: Arc<Router>) -> MatrixAdapter {
        MatrixAdapter {
            cfg,
            credentials,
            data_dir,
            router,
        }
    }

    async fn run_loop(self, service: Arc<IncidentService>, mut shutdown: Shutdown) -> Result<(), ChatError> {
        let fail = |msg: String| ChatError::Failed {
            adapter: Platform::Matrix.as_str(),
            msg,
        };
        let me = client::user_id(&self.cfg).map_err(|e| fail(e.to_string()))?;
        let mut backoff = Duration::from_secs(1);
        health().set(Platform::Matrix.as_str(), false, "logging in");
        let client = loop {
            match client::connect(&self.cfg, &self.credentials, &self.data_dir).await {
                Ok(c) => break c,
                Err(ConnectError::Fatal(m)) => {
                    health().set(Platform::Matrix.as_str(), false, "login refused");
                    return Err(fail(m));
                }
                Err(ConnectError::Unavailable(m)) => {
                    health().set(Platform::Matrix.as_str(), false, "homeserver unreachable");
                    tracing::warn!(error = %m, retry_in_s = backoff.as_secs(), "matrix: cannot log in yet");
                    if !pause(&mut backoff, &mut shutdown).await {
                        return Ok(());
                    }
                }
            }
        };
        let store = service.store().clone();
        let instance = match store.adapter_state(INSTANCE_KEY).map_err(|e| fail(e.to_string()))? {
            Some(i) => i,
            None => {
                let i = TransactionId::new().to_string();
                store
                    .set_adapter_state(INSTANCE_KEY, &i)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                i
            }
        };
        let bot = Arc::new(Bot::new(
            client,
            service,
            self.cfg,
            me,
            instance,
            Arc::clone(&self.router),
        ));
        bot.restore_queue();
        self.router.register(Arc::new(MatrixSink(Arc::clone(&bot)))).await;
        bot.reconcile().await;
        // Alert rooms are joined after the first sync, once our device keys are uploaded (so
        // senders in encrypted rooms share their keys with this device).
        let result = bot.sync_loop(shutdown.clone()).await;
        bot.outbox.finish().await;
        result
    }
}

impl Bot {
    /// Open incidents meant to live in Matrix (opened from Matrix, or `open_in` it) whose room
    /// was never created (the bot stopped in between) get their room now.
    async fn reconcile(self: &Arc<Self>) {
        let open = match self.service.store().incidents(false) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "matrix: cannot list open incidents");
                return;
            }
        };
        for inc in open {
            if inc.lives_on(Platform::Matrix) && self.claim_opening(&inc) {
                tracing::info!(incident = %inc.id, "matrix: creating the room an earlier run did not get to");
                self.queue_opening(&inc).await;
            }
        }
    }

    /// Queue the opening of an incident's room (after `claim_opening`): the announcement, the
    /// alert's poster invited, a link back in the alert room when it was a Matrix room.
    pub async fn queue_opening(self: &Arc<Self>, inc: &Incident) {
        let origin = inc
            .trigger
            .as_ref()
            .and_then(|a| RoomId::parse(a.room.as_str()).ok())
            .map(|r| (r, None));
        let invite = inc
            .trigger
            .as_ref()
            .map_or(inc.declared_by.id.as_str(), |a| a.sender.id.as_str())
            .parse()
            .ok();
        self.enqueue(
            Lane::Incident(inc.id),
            JobKind::OpenRoom {
                incident: inc.id,
                announcement: announcement(inc, Source::Matrix, self.service.tz(), self.service.lang(inc)),
                origin,
                invite_also: invite,
            },
        )
        .await;
    }
}

impl ChatAdapter for MatrixAdapter {
    fn name(&self) -> &'static str {
        Platform::Matrix.as_str()
    }

    fn run(
        self: Box<Self>,
        service: Arc<IncidentService>,
        shutdown: Shutdown,
    ) -> Pin<Box<dyn Future<Output = Result<(), ChatError>> + Send>> {
        Box::pin((*self).run_loop(service, shutdown))
    }
}
