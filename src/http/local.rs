//! The local API: while `warroom run` holds the data dir, `warroom incidents`,
//! `warroom export` and `warroom backup` ask it over a unix socket in the data dir (`DATA_DIR/warroom.sock`, mode
//! 0600: only the bot's user can connect). Server routes and the small blocking client.

use std::io::{BufRead, Read, Write};
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
        .route("/v1/backup", get(backup))
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
    // Read, then wait until everything read is durable (a commit seen in the instant before
    // its writer's ticket included): nothing exported can disappear in a crash.
    let exported = svc.export(id, format);
    if let Err(e) = svc.store().settle_seen().await {
        return bad(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    match exported {
        Ok(f) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], f.content).into_response(),
        Err(r) => bad(StatusCode::NOT_FOUND, r.to_string()),
    }
}

/// Bytes of the backup read from the spool and sent per chunk; with `CHUNKS_IN_FLIGHT`, the
/// most a backup being sent holds in memory.
const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// `GET /v1/backup`: the store as `warroom backup` writes it, taken at one point in the write
/// order while the bot keeps working (`Store::backup_spooled` says how), then streamed in
/// chunks at the reader's pace. An error after the first byte ends the stream early; the
/// reader sees no end marker and refuses the file.
async fn backup(State(svc): State<Arc<IncidentService>>) -> Response {
    let store = svc.store().clone();
    let started = std::time::Instant::now();
    let (spool, stats) = match store.backup_spooled(chrono::Utc::now()).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "backup over the local API failed");
            return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": e.to_string()}))).into_response();
        }
    };
    tracing::info!(
        incidents = stats.incidents,
        entries = stats.entries,
        seen = stats.seen,
        snapshot_ms = started.elapsed().as_millis() as u64,
        "backup snapshot taken for the local API"
    );
    let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || send_spool(spool, tx));
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::new(ChunkBody(rx)),
    )
        .into_response()
}

/// Read the spool in chunks into the channel until it ends or the reader goes away.
fn send_spool(mut spool: std::fs::File, tx: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>) {
    let mut buf = vec![0; CHUNK];
    loop {
        let chunk = match spool.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => Ok(axum::body::Bytes::copy_from_slice(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(error = %e, "reading the backup spool failed; the backup sent is cut short");
                Err(e)
            }
        };
        let last = chunk.is_err();
        if tx.blocking_send(chunk).is_err() || last {
            return;
        }
    }
}

/// A response body fed chunk by chunk from a channel.
struct ChunkBody(tokio::sync::mpsc::Receiver<std::io::Result<axum::body::Bytes>>);

impl axum::body::HttpBody for ChunkBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(hyper::body::Frame::data)))
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
        .map_err(|e| format!("reading the local API's answer: {e}; check that `warroom run` is still running (its log says why it stopped), then try again"))?;
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

/// What a backup from the running bot covered: the counts of its end marker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct BackupCounts {
    pub incidents: u64,
    pub entries: u64,
    pub seen: u64,
}

/// How long `get_backup` waits for each read: the bot writes the whole snapshot to its spool
/// before the first byte, which takes a while for a large store.
const BACKUP_READ_TIMEOUT: Duration = Duration::from_secs(600);

/// `GET /v1/backup` from the running bot, copied to `out` as it arrives (never held whole in
/// memory). Succeeds only if the stream ends with the backup's end marker, whose counts it
/// returns; a stream cut short (the bot stopped, a disk error) is an error.
pub fn get_backup(data_dir: &Path, out: &mut dyn Write) -> Result<BackupCounts, String> {
    let sock = socket_path(data_dir);
    let s = UnixStream::connect(&sock)
        .map_err(|e| format!("cannot reach the running bot's local API at {} ({e}); is `warroom run` still running on this data dir? If it is not, retry", sock.display()))?;
    let _ = s.set_read_timeout(Some(BACKUP_READ_TIMEOUT));
    (&s).write_all(b"GET /v1/backup HTTP/1.0\r\nHost: warroom\r\n\r\n")
        .map_err(|e| format!("asking the running bot for a backup: {e}; check that `warroom run` is running with this --data-dir, then try again"))?;
    let mut r = std::io::BufReader::new(&s);
    let status = read_head(&mut r)?;
    if status != 200 {
        let mut body = String::new();
        let _ = std::io::Read::take(r, 64 * 1024).read_to_string(&mut body);
        return Err(format!(
            "the running bot could not take a backup: {}; its log says more; fix that and try again",
            error_text(&body)
        ));
    }
    let mut last = LastLine::default();
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(format!(
                    "the backup stream from the running bot broke off: {e}; nothing usable was written, retry"
                ));
            }
        };
        out.write_all(&buf[..n])
            .map_err(|e| format!("writing the backup: {e}; check the output path and free space, then try again"))?;
        last.push(&buf[..n]);
    }
    out.flush()
        .map_err(|e| format!("writing the backup: {e}; check the output path and free space, then try again"))?;
    end_counts(&last.0).ok_or_else(|| {
        "the backup stream from the running bot ended without its end marker (the bot stopped or hit an error; see its log); the file is incomplete, retry".to_string()
    })
}

/// The last line of a stream seen in chunks, to check a backup's end marker; a line longer
/// than the (short) end marker is not kept whole.
#[derive(Default)]
struct LastLine(Vec<u8>);

impl LastLine {
    fn push(&mut self, chunk: &[u8]) {
        self.0.extend_from_slice(chunk);
        // Keep what follows the last line break that is not the final byte.
        if let Some(i) = self.0[..self.0.len().saturating_sub(1)]
            .iter()
            .rposition(|b| *b == b'\n')
        {
            self.0.drain(..=i);
        }
        if self.0.len() > 8192 {
            self.0.clear();
        }
    }
}

/// The counts of a backup's end marker line (`{"type":"end",...}`).
fn end_counts(line: &[u8]) -> Option<BackupCounts> {
    let v: serde_json::Value = serde_json::from_slice(line.trim_ascii()).ok()?;
    (v["type"] == "end").then(|| serde_json::from_value(v).ok()).flatten()
}

/// Read an HTTP answer's status line and headers; the status code.
fn read_head(r: &mut impl std::io::BufRead) -> Result<u16, String> {
    let malformed =
        "the local API sent a malformed answer; is the running bot the same warroom version as this command?";
    let mut line = String::new();
    std::io::Read::take(&mut *r, 1024)
        .read_line(&mut line)
        .map_err(|e| format!("reading the local API's answer: {e}; check that `warroom run` is still running (its log says why it stopped), then try again"))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or(malformed)?;
    for _ in 0..100 {
        line.clear();
        let n = std::io::Read::take(&mut *r, 8192)
            .read_line(&mut line)
            .map_err(|e| format!("reading the local API's answer: {e}; check that `warroom run` is still running (its log says why it stopped), then try again"))?;
        if n == 0 {
            return Err(malformed.into());
        }
        if line == "\r\n" || line == "\n" {
            return Ok(status);
        }
    }
    Err(malformed.into())
}

/// The `error` of a JSON error answer, or the body itself.
pub fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: &str = "{\"type\":\"end\",\"incidents\":2,\"entries\":5,\"seen\":1}\n";

    #[test]
    fn the_last_line_is_found_wherever_the_chunks_split() {
        let stream = format!("{{\"type\":\"header\"}}\n{}\n{END}", "x".repeat(10_000));
        let want = Some(BackupCounts {
            incidents: 2,
            entries: 5,
            seen: 1,
        });
        for size in [1, 2, 7, 64, 8191, 8192, 10_050, 100_000] {
            let mut last = LastLine::default();
            for chunk in stream.as_bytes().chunks(size) {
                last.push(chunk);
            }
            assert_eq!(end_counts(&last.0), want, "chunks of {size}");
        }
        let mut cut = LastLine::default();
        cut.push(&stream.as_bytes()[..stream.len() - 5]);
        assert_eq!(end_counts(&cut.0), None);
    }

    /// Serve one canned answer on the data dir's socket.
    fn answer_once(dir: &Path, answer: String) -> std::thread::JoinHandle<()> {
        let listener = std::os::unix::net::UnixListener::bind(socket_path(dir)).unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            s.write_all(answer.as_bytes()).unwrap();
        })
    }

    #[test]
    fn a_backup_stream_must_end_with_its_end_marker() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!("{{\"type\":\"header\"}}\n{END}");
        let server = answer_once(
            dir.path(),
            format!("HTTP/1.0 200 OK\r\ncontent-type: application/x-ndjson\r\n\r\n{body}"),
        );
        let mut out = Vec::new();
        let counts = get_backup(dir.path(), &mut out).unwrap();
        server.join().unwrap();
        assert_eq!(out, body.as_bytes());
        assert_eq!(counts.entries, 5);

        std::fs::remove_file(socket_path(dir.path())).unwrap();
        let server = answer_once(
            dir.path(),
            format!("HTTP/1.0 200 OK\r\n\r\n{}", &body[..body.len() - 9]),
        );
        let err = get_backup(dir.path(), &mut Vec::new()).unwrap_err();
        server.join().unwrap();
        assert!(err.contains("without its end marker"), "{err}");

        std::fs::remove_file(socket_path(dir.path())).unwrap();
        let server = answer_once(
            dir.path(),
            "HTTP/1.0 503 Service Unavailable\r\n\r\n{\"error\":\"disk on fire\"}".into(),
        );
        let err = get_backup(dir.path(), &mut Vec::new()).unwrap_err();
        server.join().unwrap();
        assert!(err.contains("could not take a backup: disk on fire"), "{err}");
    }
}
