//! Operations endpoints: `GET /healthz` (the process answers), `GET /readyz` (the store
//! works and every configured chat adapter is connected; `?only=store` checks the store
//! alone, for load balancers in front of the webhook receiver) and `GET /metrics`
//! (OpenMetrics text, which Prometheus reads).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;

use crate::service::IncidentService;
use crate::telemetry::{CONTENT_TYPE, Outbox, Scrape, health, metrics};

/// The ops routes; with `bearer` (`[http] metrics_bearer`), `/readyz` and `/metrics` answer
/// 401 unless the request carries it (`/healthz` stays open: it says nothing).
pub fn routes(service: Arc<IncidentService>, bearer: Option<crate::config::Secret>) -> Router {
    let guarded = Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(service);
    let guarded = match bearer {
        Some(token) => guarded.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let ok = super::hooks::check_bearer(req.headers(), token.expose()).is_ok();
            async move {
                if ok {
                    next.run(req).await
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        [(header::WWW_AUTHENTICATE, "Bearer")],
                        Json(json!({"ok": false, "error": "this endpoint needs the bearer token of http.metrics_bearer"})),
                    )
                        .into_response()
                }
            }
        })),
        None => guarded,
    };
    Router::new().route("/healthz", get(healthz)).merge(guarded)
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(service): State<Arc<IncidentService>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let store = match service.store().sync().await {
        Ok(()) => json!({"ready": true, "detail": "open"}),
        Err(e) => json!({"ready": false, "detail": e.to_string()}),
    };
    let mut ready = store["ready"] == true;
    let mut adapters = serde_json::Map::new();
    if q.get("only").map(String::as_str) != Some("store") {
        let known = health().snapshot();
        for p in service.platforms() {
            let v = match known.get(p.as_str()) {
                Some(r) => {
                    ready &= r.ready;
                    serde_json::to_value(r).unwrap_or_default()
                }
                None => {
                    ready = false;
                    json!({"ready": false, "detail": "starting"})
                }
            };
            adapters.insert(p.to_string(), v);
        }
    }
    // Incidents whose room could not be made yet: shown (they are retried), not a reason to
    // take the bot out of service.
    let mut without_room = serde_json::Map::new();
    if let Ok(all) = service.store().incidents(false) {
        for p in service.platforms() {
            let n = all.iter().filter(|i| i.lacks_room_on(*p)).count();
            without_room.insert(p.to_string(), json!(n));
        }
    }
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({"ready": ready, "store": store, "adapters": adapters, "incidents_without_room": without_room})),
    )
        .into_response()
}

async fn metrics_text(State(service): State<Arc<IncidentService>>) -> Response {
    match scrape(&service) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("store unavailable: {e}\n")).into_response(),
    }
}

/// The metrics text: the store's incidents and outbox, each configured adapter's connection.
fn scrape(service: &IncidentService) -> Result<String, crate::store::StoreError> {
    let store = service.store();
    let all = store.incidents(true)?;
    let known = health().snapshot();
    let mut s = Scrape {
        incidents: &all,
        syncs: store.sync_count(),
        ..Scrape::default()
    };
    for p in service.platforms() {
        let name = p.as_str();
        s.adapters
            .push((name.to_string(), known.get(name).is_some_and(|r| r.ready)));
        let seqs: Vec<u64> = store.queued(name)?.into_iter().map(|(seq, _)| seq).collect();
        s.outbox.push(Outbox::of(name, &seqs));
        let stranded = all.iter().filter(|i| i.lacks_room_on(*p)).count() as u64;
        s.without_room.push((name.to_string(), stranded));
    }
    Ok(metrics().render_scrape(&s))
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;
    use crate::alert::RuleSet;
    use crate::domain::Platform;
    use crate::service::SystemClock;
    use crate::store::Store;

    /// `/metrics` as served: the content type, each configured adapter's connection and the
    /// outbox read from the store.
    #[tokio::test]
    async fn metrics_show_adapters_and_the_stored_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "test").unwrap();
        for job in ["{}", "{}"] {
            store.queue_push(Platform::Matrix.as_str(), job).await.unwrap();
        }
        let svc = Arc::new(
            IncidentService::new(store, RuleSet::default(), chrono_tz::UTC, Arc::new(SystemClock))
                .with_platforms(vec![Platform::Matrix, Platform::Slack]),
        );
        health().set(Platform::Matrix.as_str(), true, "connected");
        let r = metrics_text(State(svc)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for want in [
            "warroom_adapter_up{platform=\"matrix\"} 1",
            "warroom_adapter_up{platform=\"slack\"} 0",
            "warroom_outbox_jobs{platform=\"matrix\"} 2",
            "warroom_outbox_jobs{platform=\"slack\"} 0",
            "warroom_outbox_oldest_job_age_seconds{platform=\"slack\"} 0.0",
        ] {
            assert!(lines.contains(&want), "{want}:\n{text}");
        }
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("warroom_outbox_oldest_job_age_seconds{platform=\"matrix\"} ")),
            "{text}"
        );
    }
}
