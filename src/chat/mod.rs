//! Chat adapters: the `ChatAdapter` trait every platform implements (console, Matrix, Slack),
//! the shared outbound queue (`outbox`), `pause` for retries, and `dispatch`, which runs each inbound message in its own task so that a
//! panic while handling one message becomes an error reply instead of a dead bot.

pub mod console;
pub mod matrix;
pub mod outbox;
pub mod router;
pub mod slack;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::service::IncidentService;
pub use crate::service::{ExportFile, Inbound, Notice};
use crate::shutdown::Shutdown;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{adapter}: {msg}")]
    Failed { adapter: &'static str, msg: String },
}

/// A chat platform connection. `run` receives messages, hands them to the service through
/// `dispatch`, and carries out the resulting notices, until its input ends or `shutdown` fires.
pub trait ChatAdapter: Send {
    fn name(&self) -> &'static str;
    fn run(
        self: Box<Self>,
        service: Arc<IncidentService>,
        shutdown: Shutdown,
    ) -> Pin<Box<dyn Future<Output = Result<(), ChatError>> + Send>>;
}

/// Wait `backoff` before a retry (returns `false` if shutdown came first), then double it, up
/// to 30 s.
pub async fn pause(backoff: &mut std::time::Duration, shutdown: &mut Shutdown) -> bool {
    let go_on = tokio::select! {
        _ = tokio::time::sleep(*backoff) => true,
        _ = shutdown.wait_for(|s| *s) => false,
    };
    *backoff = (*backoff * 2).min(std::time::Duration::from_secs(30));
    go_on
}

/// Handle one message in its own task. A panic is logged and answered with an error reply.
pub async fn dispatch(service: &Arc<IncidentService>, msg: Inbound) -> Vec<Notice> {
    let svc = Arc::clone(service);
    let room = msg.room.clone();
    // Spawned so a panic becomes a reply; the caller's store batch (if any) carries over.
    let handled = crate::store::Store::carry_batch(async move { svc.handle(msg).await });
    match tokio::spawn(handled).await {
        Ok(notices) => notices,
        Err(e) => {
            tracing::error!(%room, error = %e, "message handler failed");
            vec![Notice::Reply(
                "⚠ warroom hit an internal error while handling that message. Check with `incident show` or `timeline list` whether it was recorded.".into(),
            )]
        }
    }
}
