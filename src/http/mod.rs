//! The HTTP server of `warroom run` on `http.listen`: alert webhooks (`hooks`), health,
//! readiness and metrics (`ops`), and Slack's HTTP-mode routes when configured; plus the
//! local API on a unix socket (`local`). Stops accepting on shutdown and lets requests in
//! flight finish.

pub mod hooks;
pub mod local;
pub mod ops;

use axum::Router;
use tokio::net::TcpListener;

use crate::chat::Shutdown;

/// Bind `listen` (so a taken port stops `run` before anything else starts).
pub async fn bind(listen: &str) -> Result<TcpListener, String> {
    TcpListener::bind(listen).await.map_err(|e| {
        format!(
            "cannot listen on {listen} ({e}); set http.listen (or WARROOM_HTTP__LISTEN) to a free address, e.g. 127.0.0.1:8081"
        )
    })
}

/// Serve `router` on `listener` until shutdown.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: Shutdown) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, "http: listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
        .map_err(|e| format!("http server on {addr}: {e}"))
}
