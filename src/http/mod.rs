//! The HTTP server of `warroom run` on `http.listen`: alert webhooks (`hooks`), health,
//! readiness and metrics (`ops`), and Slack's HTTP-mode routes when configured; plus the
//! local API on a unix socket (`local`). Runs its own accept loop so that connections,
//! header and idle times are bounded (`limits`); stops accepting on shutdown and lets requests
//! in flight finish.

pub mod hooks;
pub mod local;
pub mod ops;

use axum::Router;
use tokio::net::TcpListener;

use crate::limits;
use crate::shutdown::Shutdown;

/// Longest a request may take from its headers to its answer; past it the client gets 408.
/// (The local API's streamed backup is on its own server, not bound by this.)
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The standard layers of every route on `http.listen`, outermost first: a tracing span per
/// request (method and path only: no query, no headers, no body; its status and latency in
/// milliseconds at debug, server errors at error), a panic in a handler answered with a 500
/// (the connection and the process go on), and `timeout` per request.
pub fn with_layers(router: Router, timeout: std::time::Duration) -> Router {
    use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
    use tracing::Level;
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
            tracing::debug_span!(target: "tower_http", "http", method = %req.method(), path = %req.uri().path())
        })
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::DEBUG)
                .latency_unit(tower_http::LatencyUnit::Millis),
        )
        .on_failure(DefaultOnFailure::new().level(Level::ERROR));
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(trace)
}

/// The answer to a request whose handler panicked: a 500 saying so (the panic is logged; its
/// message is not sent, it may quote input).
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("http: a request handler panicked; answered 500");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({"ok": false, "error": "internal error; nothing was acknowledged, send the request again"})),
    )
        .into_response()
}

/// Bind `listen` (so a taken port stops `run` before anything else starts).
pub async fn bind(listen: &str) -> Result<TcpListener, String> {
    TcpListener::bind(listen).await.map_err(|e| {
        format!(
            "cannot listen on {listen} ({e}); set http.listen (or WARROOM_HTTP__LISTEN) to a free address, e.g. 127.0.0.1:8081"
        )
    })
}

/// Connections held per peer address.
#[derive(Clone, Default)]
struct PerIp(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>);

/// One connection of a peer; given back on drop.
struct IpShare(PerIp, std::net::IpAddr);

impl PerIp {
    fn claim(&self, ip: std::net::IpAddr, max: usize) -> Option<IpShare> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpShare(self.clone(), ip))
    }
}

impl Drop for IpShare {
    fn drop(&mut self) {
        let mut held = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.1);
            }
        }
    }
}

/// Serve `router` on `listener` until shutdown, within `limits`: at most `max_connections`
/// at once and `max_connections_per_ip` per peer address (the rest wait in the kernel's accept
/// queue, so descriptors never run out; a peer's excess is closed at once), headers
/// within `header_timeout` (which also closes idle kept-alive connections), and no connection
/// on which nothing moves for `idle_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: limits::ServerLimits,
    mut shutdown: Shutdown,
) -> Result<(), String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        %addr,
        max_connections = limits.max_connections,
        header_timeout_s = limits.header_timeout.as_secs(),
        idle_timeout_s = limits.idle_timeout.as_secs(),
        "http: listening"
    );
    let router = with_layers(router, REQUEST_TIMEOUT);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_ip = PerIp::default();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(16 * 1024);
    let mut last_accept_warning: Option<tokio::time::Instant> = None;
    loop {
        let slot = tokio::select! {
            s = std::sync::Arc::clone(&slots).acquire_owned() => s.map_err(|e| e.to_string())?,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let (stream, ip) = match accepted {
            Ok((stream, peer)) => (stream, limits::peer_group(peer.ip())),
            Err(e) => {
                // Out of descriptors (EMFILE/ENFILE) or a connection reset before we took it:
                // pause instead of spinning, and say so at most every 10 s.
                if last_accept_warning.is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(10)) {
                    tracing::warn!(error = %e, "http: accept failed; pausing new connections briefly");
                    last_accept_warning = Some(tokio::time::Instant::now());
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        // One address may not take every connection: the excess is closed at once.
        let Some(share) = per_ip.claim(ip, limits.max_connections_per_ip) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(limits::IdleDeadline::new(stream, limits.idle_timeout));
        let routes = router.clone().layer(axum::Extension(limits::Peer(ip)));
        let service = hyper_util::service::TowerToHyperService::new(routes);
        let conn = graceful.watch(http1.serve_connection(io, service));
        tokio::spawn(async move {
            // Errors here are clients going away or timing out; nothing to act on.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "http: connection ended");
            }
            drop((slot, share));
        });
    }
    drop(listener);
    // Requests in flight finish; the caller's stop budget bounds how long that may take.
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn status(router: &Router, path: &str) -> StatusCode {
        router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    }

    /// A panicking handler is a 500 (not a dropped connection), a slow one a 408 at the
    /// timeout, and the others are untouched.
    #[tokio::test]
    async fn panics_and_slow_handlers_get_an_answer() {
        let router = with_layers(
            Router::new()
                .route("/ok", get(|| async { "ok" }))
                .route(
                    "/panic",
                    get(|| async {
                        if std::hint::black_box(true) {
                            panic!("boom");
                        }
                        "never"
                    }),
                )
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        "late"
                    }),
                ),
            std::time::Duration::from_millis(100),
        );
        assert_eq!(status(&router, "/ok").await, StatusCode::OK);
        assert_eq!(status(&router, "/panic").await, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status(&router, "/slow").await, StatusCode::REQUEST_TIMEOUT);
    }
}
