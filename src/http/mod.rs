//! The HTTP server of `warroom run` on `http.listen`: today the Slack HTTP-mode routes (the
//! alert webhooks, health and metrics join it next). Stops accepting on shutdown and lets
//! requests in flight finish.

use axum::Router;

use crate::chat::Shutdown;

/// Serve `router` on `listen` until shutdown.
pub async fn serve(listen: &str, router: Router, mut shutdown: Shutdown) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {listen} ({e}); set http.listen (or WARROOM_HTTP__LISTEN) to a free address, e.g. 127.0.0.1:8081"
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, "http: listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
        .map_err(|e| format!("http server on {addr}: {e}"))
}
