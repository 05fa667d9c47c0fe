//! The local API: while `warroom run` holds the data dir, `warroom incidents` and
//! `warroom export` ask it over a unix socket in the data dir (`DATA_DIR/warroom.sock`, mode
//! 0600: only the bot's user can connect). Server routes and the small blocking client.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::IncidentId;
use crate::postmortem::ExportFormat;
use crate::service::IncidentService;
use crate::shutdown::Shutdown;

pub const SOCKET: &str = "warroom.sock";

/// One line of `warroom incidents`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: String,
    pub severity: String,
    pub status: String,
    pub declared_at: chrono::DateTime<chrono::Utc>,
    pub title: String,
}

impl From<crate::domain::Incident> for IncidentRow {
    fn from(i: crate::domain::Incident) -> Self {
        IncidentRow {
            id: i.id.to_string(),
            severity: i.severity.as_str().into(),
            status: i.status.as_str().into(),
            declared_at: i.declared_at,
            title: i.title,
        }
    }
}

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

fn routes(service: Arc<IncidentService>) -> Router {
    Router::new()
        .route("/v1/incidents", get(list))
        .route("/v1/incidents/{id}/export", get(export))
        .with_state(service)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn list(State(svc): State<Arc<IncidentService>>, Query(q): Query<ListQuery>) -> Response {
    match svc.store().incidents(q.all) {
        Ok(v) => Json(v.into_iter().map(IncidentRow::from).collect::<Vec<_>>()).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
    State(svc): State<Arc<IncidentService>>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let bad = |code: StatusCode, e: String| (code, Json(json!({"error": e}))).into_response();
    let id: IncidentId = match id.parse() {
        Ok(i) => i,
        Err(e) => return bad(StatusCode::BAD_REQUEST, format!("{e}")),
    };
    let format: ExportFormat = match q.format.as_deref().unwrap_or("md").parse() {
        Ok(f) => f,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    if let Err(e) = svc.store().sync().await {
        return bad(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    match svc.export(id, format) {
        Ok(f) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], f.content).into_response(),
        Err(r) => bad(StatusCode::NOT_FOUND, r.to_string()),
    }
}

/// Serve the local API on the data dir's socket until shutdown. Failing to bind is logged,
/// not fatal: the bot's real work does not depend on it.
pub async fn serve(data_dir: &Path, service: Arc<IncidentService>, mut shutdown: Shutdown) {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(data_dir);
    // We hold the data dir lock, so a socket file left here is from a dead process.
    let _ = std::fs::remove_file(&path);
    // Bound under a temporary name, made private, then renamed into place: nobody else can
    // connect in between.
    let tmp = data_dir.join(format!("{SOCKET}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let bound = tokio::net::UnixListener::bind(&tmp).and_then(|l| {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&tmp, &path)?;
        Ok(l)
    });
    let listener = match bound {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(path = %path.display(), error = %e, "local API unavailable, so `warroom incidents`/`export` cannot ask the running bot: check that the data dir is writable and its path short enough for a unix socket (about 100 bytes)");
            return;
        }
    };
    tracing::info!(path = %path.display(), "local API listening");
    let _ = axum::serve(listener, routes(service))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await;
    let _ = std::fs::remove_file(&path);
}

/// GET `path` from the running bot; `Ok((status, body))`.
pub fn get_local(data_dir: &Path, path: &str) -> Result<(u16, String), String> {
    let sock = socket_path(data_dir);
    let mut s = UnixStream::connect(&sock)
        .map_err(|e| format!("cannot reach the running bot's local API at {} ({e}); is `warroom run` still running on this data dir? If it is not, retry", sock.display()))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    write!(s, "GET {path} HTTP/1.0\r\nHost: warroom\r\n\r\n").map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("reading the local API's answer: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the local API sent a malformed answer; is the running bot the same warroom version as this command?")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or(
            "the local API sent a malformed status line; is the running bot the same warroom version as this command?",
        )?;
    Ok((status, body.to_string()))
}

/// The `error` of a JSON error answer, or the body itself.
pub fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.trim().to_string())
}
