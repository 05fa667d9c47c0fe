//! Stopping the process: the shutdown signal every task watches (`Shutdown`, set on SIGINT or
//! SIGTERM or by the process itself) and the budgets that bound how long stopping may take.

use std::sync::Arc;
use std::time::Duration;

/// Set to `true` when the process should stop taking new work.
pub type Shutdown = tokio::sync::watch::Receiver<bool>;

/// After shutdown is requested, how long in-flight work may take before the process exits.
pub const STOP_BUDGET: Duration = Duration::from_millis(8_000);
/// The final store flush gets this long on top (the store is durable per write anyway).
pub const FLUSH_BUDGET: Duration = Duration::from_millis(1_500);

/// A receiver that turns `true` on SIGINT or SIGTERM.
pub fn shutdown_signal() -> Shutdown {
    shutdown_channel().1
}

/// Like `shutdown_signal`, plus the sender, so the process can also stop itself.
pub fn shutdown_channel() -> (Arc<tokio::sync::watch::Sender<bool>>, Shutdown) {
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
