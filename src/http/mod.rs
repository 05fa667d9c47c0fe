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

/// A signed request, as Slack and warroom's webhooks sign them: which headers carry the
/// timestamp and the signature, the signature's prefix, and how the signed text begins.
pub struct Signed<'a> {
    pub timestamp_header: &'static str,
    pub signature_header: &'static str,
    /// `v0=` (Slack), `sha256=` (warroom).
    pub prefix: &'static str,
    /// The text signed is `before` + timestamp + `between` + raw body.
    pub before: &'a str,
    pub between: &'a str,
}

/// How far a signed request's timestamp may be from now.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

impl Signed<'_> {
    /// Check an HMAC-SHA256 signature (constant-time) and its 5-minute timestamp window. `Err`
    /// says why, without repeating what was sent.
    pub fn verify(&self, secret: &str, headers: &axum::http::HeaderMap, body: &[u8], now: i64) -> Result<(), String> {
        use hmac::Mac;
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .ok_or_else(|| format!("missing {name} header"))
        };
        let ts = header(self.timestamp_header)?;
        let sig = header(self.signature_header)?;
        let when: i64 = ts
            .parse()
            .map_err(|_| format!("{} is not unix seconds", self.timestamp_header))?;
        if (now - when).abs() > SIGNATURE_WINDOW_SECS {
            return Err(format!(
                "stale request ({} outside the 5-minute window; check the sender's clock)",
                self.timestamp_header
            ));
        }
        let expected = sig
            .strip_prefix(self.prefix)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| format!("{} must be {}<hex>", self.signature_header, self.prefix))?;
        self.mac(secret, ts, body)
            .verify_slice(&expected)
            .map_err(|_| "signature does not match (check the shared secret)".to_string())
    }

    /// The signature header's value for `body` sent at `timestamp` (for senders and tests).
    pub fn sign(&self, secret: &str, timestamp: i64, body: &[u8]) -> String {
        use hmac::Mac;
        let mac = self.mac(secret, &timestamp.to_string(), body);
        format!("{}{}", self.prefix, hex::encode(mac.finalize().into_bytes()))
    }

    fn mac(&self, secret: &str, ts: &str, body: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::{KeyInit, Mac};
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(self.before.as_bytes());
        mac.update(ts.as_bytes());
        mac.update(self.between.as_bytes());
        mac.update(body);
        mac
    }
}

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
