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

use axum::Extension;
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
use crate::limits::{BodyBudget, BodyError, Peer, Sender};
use crate::service::{IncidentService, Notice};
use crate::signing::{SeenSignature, Signed};
use crate::telemetry::metrics;

/// Largest accepted body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Authenticated requests handled at once; more wait up to `QUEUE_WAIT` for a slot.
const IN_FLIGHT: usize = 64;
const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// Why alerts were not saved, as the sender is told (the log has the details).
const UNSAVED: &str = "the store could not save them; the bot's log says why";

/// A source's credentials. At least one is set.
#[derive(Clone)]
pub struct HookAuth {
    bearer: Option<String>,
    hmac: Option<String>,
}

/// Does the request carry `Authorization: Bearer <token>`? Digests are compared, so the time
/// taken says nothing about the token (not even its length). `Err`: what the sender should fix.
pub fn check_bearer(headers: &HeaderMap, token: &str) -> Result<(), &'static str> {
    let got = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("missing Authorization header (expected `Bearer <token>`)")?;
    let got = got
        .strip_prefix("Bearer ")
        .or_else(|| got.strip_prefix("bearer "))
        .ok_or("Authorization is not a bearer token; send `Authorization: Bearer <token>`")?;
    let (a, b) = (Sha256::digest(got.trim().as_bytes()), Sha256::digest(token.as_bytes()));
    if a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0 {
        return Err(
            "bearer token does not match; send the token configured for this endpoint (hooks.<receiver>.bearer_token, or http.metrics_bearer for /metrics and /readyz)",
        );
    }
    Ok(())
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
        match &self.bearer {
            Some(token) => check_bearer(headers, token),
            None => Ok(()),
        }
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
    /// Signatures of requests being handled now: a copy of one arriving meanwhile is told to
    /// retry (the stored record of accepted signatures is written only once a request's alerts
    /// are saved, so a failed request can be sent again as it is).
    in_flight: InFlight,
}

/// Signatures (signed timestamp, MAC) of the requests being handled.
type InFlight = Arc<std::sync::Mutex<std::collections::HashSet<(i64, [u8; 32])>>>;

/// A signature claimed by the request handling it; released when the work on its alerts ends
/// (by then the signature is in the store if they were saved), even if the request itself
/// timed out or its client went away first.
struct Claim {
    in_flight: InFlight,
    key: (i64, [u8; 32]),
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
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
        in_flight: Arc::default(),
    };
    Router::new().route("/hooks/{source}", post(receive)).with_state(ctx)
}

fn answer(source: &str, code: StatusCode, body: serde_json::Value) -> Response {
    metrics().hook_request(source, code.as_u16());
    (code, Json(body)).into_response()
}

/// Why a webhook request is refused: a 4xx or 503 with a JSON reason, and nothing changed.
#[derive(Debug, thiserror::Error)]
enum HookError {
    /// No receiver at this path (`known`: one warroom has, but not configured).
    #[error("{}", no_receiver(.path, *.known))]
    NoReceiver { path: String, known: bool },
    /// Bearer token or signature missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The body was too large, late, broken, or the server's body budget is spent.
    #[error("{0:?}")]
    Body(BodyError),
    /// A signed request accepted before, sent again.
    #[error(
        "this signed request was already accepted; nothing was changed (sign every new request with a fresh timestamp)"
    )]
    Replay,
    /// No processing slot, or the replay check could not read the store: retry shortly.
    #[error("busy; retry shortly")]
    Busy,
    /// The same signed request is being handled now: if that fails, this copy is welcome then.
    #[error("this signed request is being handled; retry shortly (if it succeeds, the retry is answered as a replay)")]
    InProgress,
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Unsupported(String),
    /// The store failed while saving the alerts: nothing of the failing transaction was kept
    /// (of a notification larger than one transaction, earlier chunks were), and a retry finds
    /// what was kept known.
    #[error("could not save the alerts; retry ({0})")]
    NotSaved(String),
}

fn no_receiver(source: &str, known: bool) -> String {
    if known {
        format!("the {source} receiver is not enabled; add a [hooks.{source}] section to the config")
    } else {
        format!("no such receiver `{source}`; use /hooks/alertmanager, /hooks/grafana or /hooks/generic")
    }
}

impl From<PayloadError> for HookError {
    fn from(e: PayloadError) -> Self {
        match e {
            PayloadError::Malformed(why) => HookError::Malformed(why),
            PayloadError::Unsupported(why) => HookError::Unsupported(why),
        }
    }
}

impl HookError {
    fn status(&self) -> StatusCode {
        match self {
            HookError::NoReceiver { .. } => StatusCode::NOT_FOUND,
            HookError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HookError::Body(e) => e.status(),
            HookError::Replay => StatusCode::CONFLICT,
            HookError::Busy | HookError::InProgress | HookError::NotSaved(_) => StatusCode::SERVICE_UNAVAILABLE,
            HookError::Malformed(_) => StatusCode::BAD_REQUEST,
            HookError::Unsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// Does the request count as a rejected alert (`warroom_alerts_total{outcome="rejected"}`)?
    /// Not when the sender is not at fault or the path is no receiver.
    fn rejects_alert(&self) -> bool {
        match self {
            HookError::NoReceiver { .. } | HookError::Busy | HookError::InProgress | HookError::NotSaved(_) => false,
            HookError::Body(e) => *e != BodyError::Busy,
            HookError::Unauthorized(_) | HookError::Replay | HookError::Malformed(_) | HookError::Unsupported(_) => {
                true
            }
        }
    }

    /// The `source` label of the metrics: the receiver, or `unknown` for a path that is none.
    fn label<'a>(&self, name: &'a str) -> &'a str {
        match self {
            HookError::NoReceiver { .. } => "unknown",
            _ => name,
        }
    }
}

/// A refused request to the receiver `source`.
#[derive(Debug)]
struct Refused {
    source: &'static str,
    error: HookError,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let Refused { source, error } = self;
        let code = error.status();
        let label = error.label(source);
        if error.rejects_alert() {
            metrics().alert(label, "rejected");
        }
        let r = match error {
            HookError::Body(e) => e.response(MAX_BODY),
            // Not the sender's doing: answered, not logged as a refusal (a save failure is
            // logged where it happens).
            HookError::NoReceiver { .. } | HookError::NotSaved(_) => {
                (code, Json(json!({"ok": false, "error": error.to_string()}))).into_response()
            }
            error => {
                let why = error.to_string();
                // Anyone can cause this line: at most one WARN a minute (every refusal is in
                // the metrics), the others at debug.
                static REFUSALS: crate::telemetry::Throttle =
                    crate::telemetry::Throttle::new(std::time::Duration::from_secs(60));
                match REFUSALS.allow() {
                    Some(left_out) => tracing::warn!(
                        source,
                        status = code.as_u16(),
                        reason = why.as_str(),
                        left_out,
                        "webhook refused (at most one such line a minute; left_out: refusals not logged since the last, see warroom_webhook_requests_total)"
                    ),
                    None => tracing::debug!(source, status = code.as_u16(), reason = why.as_str(), "webhook refused"),
                }
                let mut r = (code, Json(json!({"ok": false, "error": why}))).into_response();
                if matches!(error, HookError::Busy | HookError::InProgress) {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                }
                r
            }
        };
        metrics().hook_request(label, r.status().as_u16());
        r
    }
}

async fn receive(
    State(ctx): State<Ctx>,
    Path(source): Path<String>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Refused> {
    let Some((kind, auth)) = ctx.auth.get(source.as_str()).cloned() else {
        let known = HookKind::ALL.iter().any(|k| k.name() == source);
        let error = HookError::NoReceiver { path: source, known };
        return Err(Refused {
            source: "unknown",
            error,
        });
    };
    let name = kind.name();
    let peer = peer.map(|Extension(Peer(ip))| ip);
    let body = accept(&ctx, kind, &auth, peer, &headers, body)
        .await
        .map_err(|error| Refused { source: name, error })?;
    Ok(answer(name, StatusCode::OK, body))
}

/// Authenticate, read, decode and apply one request to the receiver `kind`; the JSON answer.
async fn accept(
    ctx: &Ctx,
    kind: HookKind,
    auth: &HookAuth,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Value, HookError> {
    let name = kind.name();
    // Authentication comes first and holds nothing an authenticated request needs: the bearer
    // token from the headers, then the body (within the server's byte budget and deadline,
    // never waiting for a slot), then its signature. Only then a processing slot.
    auth.check_bearer(headers)
        .map_err(|why| HookError::Unauthorized(why.to_string()))?;
    // A bearer token already checked makes the sender known: its body comes from the pool
    // anonymous uploads cannot spend.
    let from = if auth.bearer.is_some() {
        Sender::Authenticated
    } else {
        Sender::Anonymous(peer)
    };
    let body = ctx
        .budget
        .read(headers, body, MAX_BODY, from)
        .await
        .map_err(HookError::Body)?;
    let now = ctx.service.now();
    let signature = auth
        .check_signature(headers, &body.bytes, now.timestamp())
        .map_err(HookError::Unauthorized)?;
    let mut claim = None;
    if let Some(sig) = &signature {
        let key = (sig.timestamp, sig.mac);
        // Checked and claimed under one lock: of concurrent copies of a request, one goes on.
        let mut in_flight = ctx.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.contains(&key) {
            return Err(HookError::InProgress);
        }
        let seen = ctx
            .service
            .store()
            .signature_seen(sig.timestamp, &sig.mac)
            .map_err(|e| {
                tracing::error!(source = name, error = %e, "webhook: cannot check for replays");
                HookError::Busy
            })?;
        if seen {
            // A store that failed a sync may have taken the signature without making it (or its
            // alerts) durable: "already accepted" would be final for the sender, so it is told
            // to retry until a restart settles what was kept.
            if let Err(e) = ctx.service.store().check_poison() {
                tracing::error!(source = name, error = %e, "webhook: a copy of a request was not answered as a replay: the store cannot confirm what it kept until warroom is restarted");
                return Err(HookError::NotSaved(UNSAVED.into()));
            }
            return Err(HookError::Replay);
        }
        in_flight.insert(key);
        claim = Some(Claim {
            in_flight: Arc::clone(&ctx.in_flight),
            key,
        });
    }
    let Ok(Ok(slot)) = tokio::time::timeout(QUEUE_WAIT, ctx.slots.clone().acquire_owned()).await else {
        return Err(HookError::Busy);
    };
    let alerts = kind.decode(&body.bytes, now)?;
    let count = alerts.len();
    // The whole notification is one durability group: its alerts, the jobs they cause and the
    // signature are made durable by one sync before the answer (a 10-alert notification costs
    // one transaction and one fsync round, not ten). Run as its own task, so a request
    // timeout or a client going away cannot stop it between an alert and its room's opening.
    let (task_ctx, signature) = (ctx.clone(), signature);
    let applied = tokio::spawn(async move {
        // The processing slot and the signature's claim go with the work: a request that times
        // out or whose client goes away frees neither while its alerts are still being applied
        // (a retry then finds the signature in flight, later stored).
        let (_slot, _claim) = (slot, claim);
        let store = task_ctx.service.store().clone();
        store
            .batch(apply_alerts(&task_ctx, name, &alerts, signature.as_ref(), now))
            .await
    })
    .await;
    let (outcomes, incidents, refused) = match applied {
        Ok(Ok(r)) => r?,
        Ok(Err(e)) => {
            tracing::error!(source = name, error = %e, "webhook: the alerts could not be made durable");
            // The details (paths, the OS error) are in the log, not in the sender's answer.
            return Err(HookError::NotSaved(UNSAVED.into()));
        }
        Err(e) => {
            tracing::error!(source = name, error = %e, "webhook: applying the alerts failed");
            return Err(HookError::NotSaved("internal error".into()));
        }
    };
    let mut answer = json!({"ok": true, "alerts": count, "outcomes": outcomes, "opened": incidents});
    if !refused.is_empty() {
        answer["refused"] = refused.into();
    }
    Ok(answer)
}

/// Apply a notification's alerts in order and remember its signature; the outcomes by kind, the
/// incidents it opened, and the alerts refused (by index, with why).
async fn apply_alerts(
    ctx: &Ctx,
    name: &'static str,
    alerts: &[crate::alert::Alert],
    signature: Option<&crate::signing::SeenSignature>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Answered, HookError> {
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut incidents: Vec<String> = Vec::new();
    let mut refused: Vec<serde_json::Value> = Vec::new();
    // One transaction per `ALERTS_PER_TRANSACTION` alerts: a notification of up to that many is
    // stored whole or not at all (the retry of a request answered with an error applies it
    // whole); an alert the domain refuses changes nothing and is reported.
    let (applied, failed) = match ctx.service.ingest_all(alerts).await {
        Ok(done) => (done, None),
        Err((done, e)) => {
            tracing::error!(source = name, error = %e, saved = done.len(), "webhook: could not save the alerts");
            (done, Some(HookError::NotSaved(UNSAVED.into())))
        }
    };
    for (i, a) in applied.into_iter().enumerate() {
        let (outcome, notices) = (a.outcome, a.notices);
        if let Some(why) = a.refused {
            refused.push(json!({"alert": i, "error": why}));
        }
        metrics().alert(name, outcome.as_str());
        *outcomes.entry(outcome.as_str()).or_default() += 1;
        for n in &notices {
            if let crate::service::Notice::Opened { incident, .. } = n {
                incidents.push(incident.id.to_string());
            }
        }
        ctx.router.announce(&notices).await;
    }
    // Earlier chunks of a large notification that are stored were announced above.
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(sig) = signature {
        // Remembered once the alerts are saved (a failed request may be retried as it is),
        // durable with them, so a replay after a crash is refused too.
        let store = ctx.service.store();
        let remembered = store
            .remember_signature(sig.timestamp, &sig.mac, now.timestamp())
            .map_err(|e| e.to_string());
        if let Err(e) = match remembered {
            Ok(()) => store.commit_point().await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        } {
            // The alerts are saved; a replay would find them known while their incidents are open.
            tracing::warn!(source = name, error = %e, "webhook: could not remember the request's signature");
        }
    }
    Ok((outcomes, incidents, refused))
}

/// What `apply_alerts` did: outcomes by kind, incidents opened, alerts refused.
type Answered = (BTreeMap<&'static str, usize>, Vec<String>, Vec<serde_json::Value>);

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
            Err("bearer token does not match; send the token configured for this endpoint (hooks.<receiver>.bearer_token, or http.metrics_bearer for /metrics and /readyz)".to_string())
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

    /// The counter line `name{source="src",key="value"}` as rendered now (0 if absent).
    fn counter(name: &str, source: &str, key: &str, value: &str) -> u64 {
        let want = format!("{name}{{source=\"{source}\",{key}=\"{value}\"}} ");
        metrics()
            .render(&[])
            .lines()
            .find_map(|l| l.strip_prefix(&want).map(|n| n.parse().unwrap()))
            .unwrap_or(0)
    }

    /// Each refusal answers with the status, JSON reason, Retry-After and metrics the handler
    /// gave before it had an error type.
    #[tokio::test]
    async fn each_refusal_maps_to_its_status_and_metrics() {
        let no_receiver = HookError::NoReceiver {
            path: "pagerduty".into(),
            known: false,
        };
        // (metric source, error, status, counted as a rejected alert, Retry-After)
        let cases: Vec<(&'static str, HookError, u16, bool, bool)> = vec![
            ("t-none", no_receiver, 404, false, false),
            (
                "t-auth",
                HookError::Unauthorized("missing Authorization header".into()),
                401,
                true,
                false,
            ),
            ("t-large", HookError::Body(BodyError::TooLarge), 413, true, false),
            ("t-budget", HookError::Body(BodyError::Busy), 503, false, true),
            ("t-late", HookError::Body(BodyError::Timeout), 408, true, false),
            ("t-broken", HookError::Body(BodyError::Broken), 400, true, false),
            ("t-replay", HookError::Replay, 409, true, false),
            ("t-busy", HookError::Busy, 503, false, true),
            ("t-in-progress", HookError::InProgress, 503, false, true),
            ("t-malformed", HookError::Malformed("not JSON".into()), 400, true, false),
            (
                "t-unsupported",
                HookError::Unsupported("no alerts".into()),
                422,
                true,
                false,
            ),
            ("t-unsaved", HookError::NotSaved("disk full".into()), 503, false, false),
        ];
        for (source, error, code, rejected, retry) in cases {
            let label = if code == 404 { "unknown" } else { source };
            let before = (
                counter("warroom_webhook_requests_total", label, "code", &code.to_string()),
                counter("warroom_alerts_total", label, "outcome", "rejected"),
            );
            let why = error.to_string();
            let body_error = matches!(error, HookError::Body(_));
            let r = Refused { source, error }.into_response();
            assert_eq!(r.status().as_u16(), code, "{source}");
            assert_eq!(r.headers().get(header::RETRY_AFTER).is_some(), retry, "{source}");
            let after = (
                counter("warroom_webhook_requests_total", label, "code", &code.to_string()),
                counter("warroom_alerts_total", label, "outcome", "rejected"),
            );
            assert_eq!(after, (before.0 + 1, before.1 + u64::from(rejected)), "{source}");
            let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["ok"], false, "{source}");
            if !body_error {
                assert_eq!(json["error"], why.as_str(), "{source}");
            }
        }
        assert_eq!(
            HookError::NotSaved("disk full".into()).to_string(),
            "could not save the alerts; retry (disk full)"
        );
        assert_eq!(
            HookError::NoReceiver {
                path: "grafana".into(),
                known: true
            }
            .to_string(),
            "the grafana receiver is not enabled; add a [hooks.grafana] section to the config"
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
