//! Alert webhooks: `POST /hooks/alertmanager`, `/hooks/grafana` and `/hooks/generic`. Each
//! request is authenticated (bearer token and/or HMAC-SHA256 signature, per source), limited
//! to 1 MiB, decoded into normalised alerts and applied durably before the 2xx; anything wrong
//! gets a 4xx with a JSON reason and changes nothing. A signed request is accepted once (a
//! replay inside the signature window gets 409). Unauthenticated requests hold only their
//! declared bytes for the body deadline; authenticated ones are bounded in flight, so a burst
//! waits (or gets 503 + Retry-After) instead of growing memory.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::alert::payload::{HookKind, PayloadError};
use crate::config::{HookConfig, read_secret};
use crate::incident::{IncidentService, Notice};
use crate::limits::{BodyBudget, BodyError};
use crate::signing::{SeenSignature, Signed};
use crate::telemetry::metrics;

/// Largest accepted body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Authenticated requests handled at once; more wait up to `QUEUE_WAIT` for a slot.
const IN_FLIGHT: usize = 64;
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// A source's credentials. At least one is set.
#[derive(Clone)]
pub struct HookAuth {
    bearer: Option<String>,
    hmac: Option<String>,
}

impl HookAuth {
    /// Read the secrets of `[hooks.<name>]`; a receiver without any is a configuration error.
    pub fn from_config(kind: HookKind, c: &HookConfig) -> Result<HookAuth, String> {
        let name = kind.name();
        let bearer = read_secret(
            &c.bearer_token,
            &c.bearer_token_file,
            &format!("hooks.{name}.bearer_token"),
        )?;
        let hmac = read_secret(
            &c.hmac_secret,
            &c.hmac_secret_file,
            &format!("hooks.{name}.hmac_secret"),
        )?;
        if bearer.is_none() && hmac.is_none() {
            return Err(format!(
                "[hooks.{name}] has no credentials: set WARROOM_HOOKS__{up}__BEARER_TOKEN (or bearer_token_file) or WARROOM_HOOKS__{up}__HMAC_SECRET (or hmac_secret_file)",
                up = name.to_ascii_uppercase()
            ));
        }
        Ok(HookAuth {
            bearer: bearer.map(|s| s.expose().to_string()),
            hmac: hmac.map(|s| s.expose().to_string()),
        })
    }

    /// `Err`: why the request is refused (never quoting what was sent).
    pub fn check(&self, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), String> {
        self.check_bearer(headers).map_err(str::to_string)?;
        self.check_signature(headers, body, now).map(drop)
    }

    /// The bearer token, if one is configured (headers only: checked before the body is read).
    pub fn check_bearer(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        if let Some(token) = &self.bearer {
            let got = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .ok_or("missing Authorization header (expected `Bearer <token>`)")?;
            let got = got
                .strip_prefix("Bearer ")
                .or_else(|| got.strip_prefix("bearer "))
                .ok_or("Authorization is not a bearer token; send `Authorization: Bearer <token>`")?;
            // Compare digests so the time taken says nothing about the token.
            let (a, b) = (Sha256::digest(got.trim().as_bytes()), Sha256::digest(token.as_bytes()));
            if a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0 {
                return Err("bearer token does not match; give the sender the token configured for this receiver");
            }
        }
        Ok(())
    }

    /// The HMAC signature over the body, if a secret is configured; `Ok(Some(_))` is the
    /// verified signature, to refuse a replay of the same request.
    pub fn check_signature(&self, headers: &HeaderMap, body: &[u8], now: i64) -> Result<Option<SeenSignature>, String> {
        match &self.hmac {
            Some(secret) => WARROOM_SIGNATURE.verify(secret, headers, body, now).map(Some),
            None => Ok(None),
        }
    }
}

/// `X-Warroom-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{raw body}"))` with
/// `X-Warroom-Timestamp` (unix seconds) within 5 minutes of now.
pub const WARROOM_SIGNATURE: Signed<'static> = Signed {
    timestamp_header: "X-Warroom-Timestamp",
    signature_header: "X-Warroom-Signature",
    prefix: "sha256=",
    before: "",
    between: ".",
};

/// Sign `body` the way `WARROOM_SIGNATURE` expects (for senders and tests).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    WARROOM_SIGNATURE.sign(secret, timestamp, body)
}

/// Where the notices of an applied webhook go: the chat router in `warroom run` (a trait, so
/// that the HTTP layer does not depend on the chat adapters).
pub trait Announce: Send + Sync {
    fn announce<'a>(&'a self, notices: &'a [Notice]) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

#[derive(Clone)]
struct Ctx {
    service: Arc<IncidentService>,
    router: Arc<dyn Announce>,
    auth: Arc<HashMap<&'static str, (HookKind, HookAuth)>>,
    slots: Arc<tokio::sync::Semaphore>,
    budget: BodyBudget,
}

/// The webhook routes for the configured receivers.
pub fn routes(
    service: Arc<IncidentService>,
    router: Arc<dyn Announce>,
    auth: Vec<(HookKind, HookAuth)>,
    budget: BodyBudget,
) -> Router {
    let ctx = Ctx {
        service,
        router,
        budget,
        auth: Arc::new(auth.into_iter().map(|(k, a)| (k.name(), (k, a))).collect()),
        slots: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
    };
    Router::new().route("/hooks/{source}", post(receive)).with_state(ctx)
}

fn answer(source: &str, code: StatusCode, body: serde_json::Value) -> Response {
    metrics().hook_request(source, code.as_u16());
    (code, Json(body)).into_response()
}

fn refuse(source: &str, code: StatusCode, why: &str) -> Response {
    tracing::warn!(source, status = code.as_u16(), reason = why, "webhook refused");
    if code != StatusCode::NOT_FOUND && code != StatusCode::SERVICE_UNAVAILABLE {
        metrics().alert(source, "rejected");
    }
    answer(source, code, json!({"ok": false, "error": why}))
}

/// How long a request waits for one of the `IN_FLIGHT` processing slots.
fn busy(name: &str) -> Response {
    let mut r = refuse(name, StatusCode::SERVICE_UNAVAILABLE, "busy; retry shortly");
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

async fn receive(State(ctx): State<Ctx>, Path(source): Path<String>, headers: HeaderMap, body: Body) -> Response {
    let Some((kind, auth)) = ctx.auth.get(source.as_str()).cloned() else {
        let known = HookKind::ALL.iter().any(|k| k.name() == source);
        let why = if known {
            format!("the {source} receiver is not enabled; add a [hooks.{source}] section to the config")
        } else {
            format!("no such receiver `{source}`; use /hooks/alertmanager, /hooks/grafana or /hooks/generic")
        };
        return answer("unknown", StatusCode::NOT_FOUND, json!({"ok": false, "error": why}));
    };
    let name = kind.name();
    // Authentication comes first and holds nothing an authenticated request needs: the bearer
    // token from the headers, then the body (within the server's byte budget and deadline,
    // never waiting for a slot), then its signature. Only then a processing slot.
    if let Err(why) = auth.check_bearer(&headers) {
        return refuse(name, StatusCode::UNAUTHORIZED, why);
    }
    let body = match ctx.budget.read(&headers, body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            if e != BodyError::Busy {
                metrics().alert(name, "rejected");
            }
            let r = e.response(MAX_BODY);
            metrics().hook_request(name, r.status().as_u16());
            return r;
        }
    };
    let now = ctx.service.now();
    let signature = match auth.check_signature(&headers, &body.bytes, now.timestamp()) {
        Ok(sig) => sig,
        Err(why) => return refuse(name, StatusCode::UNAUTHORIZED, &why),
    };
    if let Some(sig) = &signature {
        match ctx.service.store().signature_seen(sig.timestamp, &sig.mac) {
            Ok(false) => {}
            Ok(true) => {
                return refuse(
                    name,
                    StatusCode::CONFLICT,
                    "this signed request was already accepted; nothing was changed (sign every new request with a fresh timestamp)",
                );
            }
            Err(e) => {
                tracing::error!(source = name, error = %e, "webhook: cannot check for replays");
                return busy(name);
            }
        }
    }
    let Ok(Ok(_slot)) = tokio::time::timeout(QUEUE_WAIT, ctx.slots.acquire()).await else {
        return busy(name);
    };
    let body = &body.bytes;
    let alerts = match kind.decode(body, now) {
        Ok(a) => a,
        Err(PayloadError::Malformed(why)) => return refuse(name, StatusCode::BAD_REQUEST, &why),
        Err(PayloadError::Unsupported(why)) => return refuse(name, StatusCode::UNPROCESSABLE_ENTITY, &why),
    };
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut incidents: Vec<String> = Vec::new();
    for alert in &alerts {
        match ctx.service.ingest(alert, None).await {
            Ok((outcome, notices)) => {
                metrics().alert(name, outcome.as_str());
                *outcomes.entry(outcome.as_str()).or_default() += 1;
                for n in &notices {
                    if let crate::incident::Notice::Opened { incident, .. } = n {
                        incidents.push(incident.id.to_string());
                    }
                }
                ctx.router.announce(&notices).await;
            }
            Err(e) => {
                // Alerts before this one are saved; a retry finds them known and changes nothing.
                tracing::error!(source = name, error = %e, "webhook: could not save an alert");
                return answer(
                    name,
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"ok": false, "error": format!("could not save the alerts; retry ({e})")}),
                );
            }
        }
    }
    if let Some(sig) = &signature
        && let Err(e) = ctx
            .service
            .store()
            .remember_signature(sig.timestamp, &sig.mac, now.timestamp())
    {
        // The alerts are saved; a replay would find them known while their incidents are open.
        tracing::warn!(source = name, error = %e, "webhook: could not remember the request's signature");
    }
    answer(
        name,
        StatusCode::OK,
        json!({"ok": true, "alerts": alerts.len(), "outcomes": outcomes, "opened": incidents}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_and_signature_checks() {
        let auth = HookAuth {
            bearer: Some("s3cret".into()),
            hmac: None,
        };
        let body = br#"{"a":1}"#;
        assert!(
            auth.check(&headers(&[("authorization", "Bearer s3cret".into())]), body, 0)
                .is_ok()
        );
        assert_eq!(
            auth.check(&headers(&[("authorization", "Bearer nope".into())]), body, 0),
            Err("bearer token does not match; give the sender the token configured for this receiver".to_string())
        );
        assert!(
            auth.check(&HeaderMap::new(), body, 0)
                .unwrap_err()
                .contains("missing Authorization")
        );
        let auth = HookAuth {
            bearer: None,
            hmac: Some("key".into()),
        };
        let now = 1_700_000_000;
        let good = headers(&[
            ("x-warroom-timestamp", now.to_string()),
            ("x-warroom-signature", sign("key", now, body)),
        ]);
        assert!(auth.check(&good, body, now + 10).is_ok());
        assert!(
            auth.check(&good, b"{\"a\":2}", now)
                .unwrap_err()
                .starts_with("signature does not match")
        );
        assert!(auth.check(&good, body, now + 301).unwrap_err().contains("stale"));
        let wrong_key = headers(&[
            ("x-warroom-timestamp", now.to_string()),
            ("x-warroom-signature", sign("other", now, body)),
        ]);
        assert!(
            auth.check(&wrong_key, body, now)
                .unwrap_err()
                .starts_with("signature does not match")
        );
        let missing = headers(&[("x-warroom-timestamp", now.to_string())]);
        assert!(
            auth.check(&missing, body, now)
                .unwrap_err()
                .contains("missing X-Warroom-Signature")
        );
    }

    /// The documented format, computed independently (Python's `hmac`): what a sender
    /// following the README produces is what warroom accepts.
    #[test]
    fn signature_matches_the_documented_format() {
        let body = br#"{"title":"Disk full","fingerprint":"disk-1"}"#;
        let want = "sha256=e33b3b28110600f99bf7960b8f3ef97aadba3a2fefb02715104018d6710df385";
        assert_eq!(sign("It is a secret", 1_700_000_000, body), want);
        let h = headers(&[
            ("x-warroom-timestamp", "1700000000".into()),
            ("x-warroom-signature", want.into()),
        ]);
        assert_eq!(
            WARROOM_SIGNATURE
                .verify("It is a secret", &h, body, 1_700_000_100)
                .map(|s| s.timestamp),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn a_receiver_needs_credentials() {
        let e = HookAuth::from_config(HookKind::Grafana, &HookConfig::default())
            .err()
            .unwrap();
        assert!(e.contains("WARROOM_HOOKS__GRAFANA__BEARER_TOKEN"), "{e}");
    }
}
