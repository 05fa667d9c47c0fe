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

pub fn routes(service: Arc<IncidentService>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(service)
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
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({"ready": ready, "store": store, "adapters": adapters})),
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
        ..Scrape::default()
    };
    for p in service.platforms() {
        let name = p.as_str();
        s.adapters
            .push((name.to_string(), known.get(name).is_some_and(|r| r.ready)));
        let seqs: Vec<u64> = store.queued(name)?.into_iter().map(|(seq, _)| seq).collect();
        s.outbox.push(Outbox::of(name, &seqs));
    }
    Ok(metrics().render_scrape(&s))
}
