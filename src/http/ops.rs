//! Operations endpoints: `GET /healthz` (the process answers), `GET /readyz` (the store
//! works and every configured chat adapter is connected; `?only=store` checks the store
//! alone, for load balancers in front of the webhook receiver) and `GET /metrics`
//! (OpenMetrics text, which Prometheus reads). Answering reads every incident in the store, so
//! one answer is made at a time per kind of request (requests that arrive meanwhile share the
//! next one), off the async workers: a flood of scrapes costs one blocking thread per endpoint,
//! not the process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

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
        .with_state(Arc::new(Ops::new(service)));
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

/// The ops endpoints' state: the service, and the answer being made (or last made) for each
/// of the three kinds of request.
pub(crate) struct Ops {
    service: Arc<IncidentService>,
    ready: Coalesced,
    ready_store: Coalesced,
    metrics: Coalesced,
}

impl Ops {
    pub(crate) fn new(service: Arc<IncidentService>) -> Ops {
        Ops {
            service,
            ready: Coalesced::default(),
            ready_store: Coalesced::default(),
            metrics: Coalesced::default(),
        }
    }
}

/// One answer at a time for one kind of request. A request takes the last answer if that was
/// started after the request arrived; otherwise it makes a new one. So requests that arrive
/// while an answer is being made wait for it to finish and then share one new answer: never an
/// answer from before the request came. The answer is made by a task of its own that holds the
/// slot until it is done: a request that goes away meanwhile cancels nothing and leaves no
/// second answer being made beside it.
#[derive(Default)]
struct Coalesced(Arc<tokio::sync::Mutex<Option<(Instant, StatusCode, String)>>>);

impl Coalesced {
    async fn answer(
        &self,
        make: impl std::future::Future<Output = (StatusCode, String)> + Send + 'static,
    ) -> (StatusCode, String) {
        let arrived = Instant::now();
        let mut last = Arc::clone(&self.0).lock_owned().await;
        if let Some((started, code, body)) = last.as_ref()
            && *started >= arrived
        {
            return (*code, body.clone());
        }
        let made = tokio::spawn(async move {
            let started = Instant::now();
            let (code, body) = make.await;
            *last = Some((started, code, body.clone()));
            (code, body)
        });
        made.await.unwrap_or_else(failed)
    }
}

/// The answer when making one panicked: a 500 that says where to look.
fn failed(e: tokio::task::JoinError) -> (StatusCode, String) {
    tracing::error!(error = %e, "ops: making an answer failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"ok": false, "error": "warroom failed while making this answer; its log says why"}).to_string(),
    )
}

/// `f` on a blocking thread (it reads and decodes the store), its panic as a 500.
async fn blocking(f: impl FnOnce() -> (StatusCode, String) + Send + 'static) -> (StatusCode, String) {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(failed)
}

async fn readyz(State(ops): State<Arc<Ops>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let only_store = q.get("only").map(String::as_str) == Some("store");
    let service = Arc::clone(&ops.service);
    let slot = if only_store { &ops.ready_store } else { &ops.ready };
    let (code, body) = slot
        .answer(async move {
            // The store's health without a sync of its own: every write already waits for one,
            // and a failed one poisons the store, which this reports. (A sync per request would
            // let anyone who can reach this endpoint keep the disk busy.)
            let store = match service.store().settle().await {
                Ok(()) => json!({"ready": true, "detail": "open"}),
                Err(e) => json!({"ready": false, "detail": e.to_string()}),
            };
            blocking(move || {
                let (code, v) = readiness(&service, store, only_store);
                (code, v.to_string())
            })
            .await
        })
        .await;
    (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `/readyz`'s answer, given the store's state.
fn readiness(service: &IncidentService, store: serde_json::Value, only_store: bool) -> (StatusCode, serde_json::Value) {
    let mut ready = store["ready"] == true;
    let mut adapters = serde_json::Map::new();
    if !only_store {
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
        json!({"ready": ready, "store": store, "adapters": adapters, "incidents_without_room": without_room}),
    )
}

async fn metrics_text(State(ops): State<Arc<Ops>>) -> Response {
    let service = Arc::clone(&ops.service);
    let (code, body) = ops
        .metrics
        .answer(blocking(move || match scrape(&service) {
            Ok(text) => (StatusCode::OK, text),
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("store unavailable: {e}\n")),
        }))
        .await;
    let content_type = if code == StatusCode::OK {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    (code, [(header::CONTENT_TYPE, content_type)], body).into_response()
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
        let r = metrics_text(State(Arc::new(Ops::new(svc)))).await;
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

    /// Probing readiness costs no sync of its own (before, every request forced a flush and an
    /// fsync), and still reports a store that can no longer be written.
    #[tokio::test]
    async fn readiness_probes_do_not_sync_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "test").unwrap();
        let svc = Arc::new(
            IncidentService::new(store.clone(), RuleSet::default(), chrono_tz::UTC, Arc::new(SystemClock))
                .with_platforms(vec![]),
        );
        let app = routes(svc, None);
        store.sync().await.unwrap();
        let before = store.sync_count();
        for path in ["/readyz", "/readyz?only=store"].into_iter().cycle().take(20) {
            let req = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
            let r = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let v: serde_json::Value =
                serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
            assert_eq!(v["store"]["ready"], true, "{v}");
        }
        assert_eq!(store.sync_count(), before, "a readiness probe synced the store");
    }

    /// Concurrent scrapes share one answer made after they arrived; a later scrape makes a
    /// new one.
    #[tokio::test]
    async fn concurrent_requests_share_an_answer_made_after_they_came() {
        let slot = Arc::new(Coalesced::default());
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Each answer says it has begun, then takes a while.
        let (begun_tx, mut begun) = tokio::sync::mpsc::unbounded_channel::<()>();
        let ask = |slot: Arc<Coalesced>| {
            let (made, begun_tx) = (made.clone(), begun_tx.clone());
            async move {
                slot.answer(async move {
                    let _ = begun_tx.send(());
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    let n = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    (StatusCode::OK, n.to_string())
                })
                .await
            }
        };
        let first = tokio::spawn(ask(slot.clone()));
        begun.recv().await.unwrap();
        // These arrive while the first answer is made from what was there before them: they
        // wait, then make one answer for all of them.
        let waiting: Vec<_> = (0..5).map(|_| tokio::spawn(ask(slot.clone()))).collect();
        assert_eq!(first.await.unwrap().1, "1");
        for w in waiting {
            assert_eq!(
                w.await.unwrap().1,
                "2",
                "a waiting request got an answer older than itself or its own"
            );
        }
        assert_eq!(ask(slot.clone()).await.1, "3");
    }

    /// A request that goes away while its answer is made cancels nothing: the answer is
    /// finished, and no second one is made beside it (requests gone away cannot stack up
    /// work).
    #[tokio::test]
    async fn requests_that_go_away_do_not_stack_up_work() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slot = Arc::new(Coalesced::default());
        let (running, most, made) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        // An answer, once begun, is held until the test lets it finish.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let (begun_tx, mut begun) = tokio::sync::mpsc::unbounded_channel::<()>();
        let ask = || {
            let (slot, running, most, made) = (slot.clone(), running.clone(), most.clone(), made.clone());
            let (gate, begun_tx) = (gate.clone(), begun_tx.clone());
            tokio::spawn(async move {
                slot.answer(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let _ = begun_tx.send(());
                    gate.acquire().await.unwrap().forget();
                    running.fetch_sub(1, Ordering::SeqCst);
                    made.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::OK, String::new())
                })
                .await
            })
        };
        // The request in charge goes away while its answer is made, and so do four more.
        let first = ask();
        begun.recv().await.unwrap();
        first.abort();
        for _ in 0..4 {
            let r = ask();
            tokio::task::yield_now().await;
            r.abort();
        }
        gate.add_permits(1);
        // The answer begun for the first is finished (the slot is free once it is); the others,
        // gone before their turn, began none.
        drop(slot.0.lock().await);
        assert_eq!(most.load(Ordering::SeqCst), 1, "answers made side by side");
        assert_eq!(made.load(Ordering::SeqCst), 1, "requests that went away made answers");
        assert_eq!(running.load(Ordering::SeqCst), 0, "an answer was cut off half made");
    }
}
