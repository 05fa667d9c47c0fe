//! What an unauthenticated request may cost before its credentials are checked: the server's
//! connection cap and time limits (`ServerLimits`), and reading a request body within a size
//! cap, a deadline and a server-wide byte budget (`BodyBudget::read`).
//!
//! The rule: every connection, byte and second an anonymous client can make the server hold
//! is bounded before the signature or token is looked at, and a stalled client never holds
//! anything an authenticated request needs (a slot, a lock, a queue place).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use http_body_util::BodyExt;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::HttpConfig;

/// Bytes of request bodies held in memory at once, across all routes, per pool (anonymous
/// senders; header-authenticated ones).
pub const BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;
/// The budget is counted in units of this many bytes.
const UNIT: usize = 1024;

/// Limits of the `http.listen` server, from `[http]`.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Connections one peer address may hold; more are closed at once.
    pub max_connections_per_ip: usize,
    /// A request's headers (and, on a kept-alive connection, the next request's first byte)
    /// must arrive within this.
    pub header_timeout: Duration,
    /// A request body must arrive whole within this.
    pub body_timeout: Duration,
    /// A connection on which nothing moves (no byte read or written) for this long is closed.
    pub idle_timeout: Duration,
}

impl ServerLimits {
    /// From the config; `max_connections = 0` means "derived from the open-file limit".
    pub fn from_config(c: &HttpConfig) -> ServerLimits {
        let max_connections = match c.max_connections {
            0 => connections_for_fd_limit(raise_fd_limit()),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        ServerLimits {
            max_connections,
            max_connections_per_ip: match c.max_connections_per_ip {
                0 => (max_connections / 4).max(8),
                n => usize::try_from(n).unwrap_or(usize::MAX),
            },
            header_timeout: Duration::from_secs(c.header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(c.body_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(c.idle_timeout_secs.max(1)),
        }
    }
}

/// Raise the soft open-file limit to the hard one (as most servers do) and return it.
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    lim.rlim_cur
}

/// Keep 256 descriptors (or half, on tiny limits) for the store, outbound HTTP, the Matrix
/// SDK's database and logs; the rest may be client connections, at most 4,096.
pub fn connections_for_fd_limit(fds: u64) -> usize {
    let reserve = 256.min(fds / 2);
    (fds.saturating_sub(reserve) as usize).clamp(16, 4096)
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Declared or sent more than the route's cap.
    TooLarge,
    /// The server already holds its whole body budget; retry shortly.
    Busy,
    /// The body did not arrive in time.
    Timeout,
    /// The client broke off or sent malformed chunking.
    Broken,
}

impl BodyError {
    /// The HTTP status of the refusal.
    pub fn status(self) -> StatusCode {
        match self {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            BodyError::Timeout => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken => StatusCode::BAD_REQUEST,
        }
    }

    /// The refusal, as JSON with a reason. Timeouts and broken uploads close the connection so
    /// the rest of a stalled body is never waited for.
    pub fn response(self, cap: usize) -> Response {
        let why = match self {
            BodyError::TooLarge => format!("body larger than {}; split it into smaller requests", size(cap)),
            BodyError::Busy => "busy receiving other requests; retry shortly".to_string(),
            BodyError::Timeout => "the body did not arrive in time; send it whole and promptly".to_string(),
            BodyError::Broken => {
                "the body broke off or its length or chunking is malformed; send it again, whole".to_string()
            }
        };
        let code = self.status();
        let mut r = (code, Json(json!({"ok": false, "error": why}))).into_response();
        if self == BodyError::Busy {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        // The rest of the body is never waited for.
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    }
}

/// `512 KiB`, `1 MiB`.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// Who sent a body, as far as the server knows before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Already authenticated from its headers (a bearer token): its own pool, so anonymous
    /// uploads can never keep it out.
    Authenticated,
    /// Not authenticated yet (a signature over the body is still to be checked), from this
    /// peer if known: counted in the shared pool and in the peer's share of it.
    Anonymous(Option<IpAddr>),
}

/// The peer of a request as its limits count it (see `peer_group`), put on every request by
/// the server's accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

/// The address a peer's connections and bytes are counted under: an IPv4 address as it is, an
/// IPv6 address by its /64 (one host is usually given a whole /64: counted address by address,
/// it could take every connection), an IPv4-mapped IPv6 address as that IPv4 address.
pub fn peer_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A body read within the budget; its bytes stay counted until this is dropped.
pub struct ReadBody {
    pub bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
    _peer: Option<PeerShare>,
}

/// Bytes one anonymous peer holds; given back on drop.
struct PeerShare {
    peers: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
    units: usize,
}

impl PeerShare {
    /// Count `more` units for the peer, unless that takes it past `cap`.
    fn grow(&mut self, more: usize, cap: usize) -> bool {
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let held = peers.entry(self.ip).or_default();
        if *held + more > cap {
            return false;
        }
        *held += more;
        self.units += more;
        true
    }
}

impl Drop for PeerShare {
    fn drop(&mut self) {
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = peers.get_mut(&self.ip) {
            *held = held.saturating_sub(self.units);
            if *held == 0 {
                peers.remove(&self.ip);
            }
        }
    }
}

/// The server-wide byte budget for request bodies being read or handled. Bytes are counted as
/// they arrive (a declared length only has to fit the route's cap), without waiting: when a
/// pool is spent the request is refused at once with 503. Anonymous senders share one pool,
/// and one peer may hold at most a quarter of it; header-authenticated requests have a pool
/// of their own. So holding the budget takes real bandwidth from several addresses, and even
/// then only delays requests whose signature is in the body, for at most the body timeout.
#[derive(Clone)]
pub struct BodyBudget {
    anonymous: Arc<Semaphore>,
    authenticated: Arc<Semaphore>,
    peers: Arc<Mutex<HashMap<IpAddr, usize>>>,
    peer_cap: usize,
    timeout: Duration,
}

impl BodyBudget {
    /// Pools of `bytes` each (anonymous and authenticated).
    pub fn new(bytes: usize, timeout: Duration) -> BodyBudget {
        let units = bytes.div_ceil(UNIT);
        BodyBudget {
            anonymous: Arc::new(Semaphore::new(units)),
            authenticated: Arc::new(Semaphore::new(units)),
            peers: Arc::new(Mutex::new(HashMap::new())),
            peer_cap: (units / 4).max(1),
            timeout,
        }
    }

    /// Read `body` (at most `cap` bytes) within the body timeout.
    pub async fn read(&self, headers: &HeaderMap, body: Body, cap: usize, from: Sender) -> Result<ReadBody, BodyError> {
        let declared = match headers.get(header::CONTENT_LENGTH) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or(BodyError::Broken)?,
            ),
        };
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(BodyError::TooLarge);
        }
        let (pool, mut peer) = match from {
            Sender::Authenticated => (&self.authenticated, None),
            Sender::Anonymous(ip) => (
                &self.anonymous,
                ip.map(|ip| PeerShare {
                    peers: Arc::clone(&self.peers),
                    ip,
                    units: 0,
                }),
            ),
        };
        let mut held: Option<OwnedSemaphorePermit> = None;
        // Nothing is allocated before bytes arrive and are counted: what is counted is the
        // buffer's capacity (what it holds in memory), not just its length.
        let mut buf: Vec<u8> = Vec::new();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut body = body;
        loop {
            let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                Err(_) => return Err(BodyError::Timeout),
                Ok(None) => break,
                Ok(Some(Err(_))) => return Err(BodyError::Broken),
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let len = buf.len() + data.len();
            if len > cap {
                return Err(BodyError::TooLarge);
            }
            // Grow by doubling (few copies), never past the cap, and count the new capacity.
            let capacity = if len > buf.capacity() {
                len.max(buf.capacity() * 2).min(cap)
            } else {
                buf.capacity()
            };
            let have = held.as_ref().map_or(0, |p| p.num_permits());
            let more = capacity.div_ceil(UNIT).saturating_sub(have);
            if more > 0 {
                let extra = Arc::clone(pool)
                    .try_acquire_many_owned(u32::try_from(more).map_err(|_| BodyError::TooLarge)?)
                    .map_err(|_| BodyError::Busy)?;
                if let Some(p) = peer.as_mut()
                    && !p.grow(more, self.peer_cap)
                {
                    return Err(BodyError::Busy);
                }
                match held.as_mut() {
                    Some(h) => h.merge(extra),
                    None => held = Some(extra),
                }
            }
            buf.reserve_exact(capacity - buf.len());
            buf.extend_from_slice(&data);
        }
        Ok(ReadBody {
            bytes: Bytes::from(buf),
            _held: held,
            _peer: peer,
        })
    }
}

/// A connection that is closed when nothing moves on it for `idle`: a client that stops
/// reading our answer, or stops sending in the middle of a body, cannot hold it forever.
pub struct IdleDeadline<T> {
    inner: T,
    idle: Duration,
    /// When a byte last moved. Progress only records the time; the timer is re-armed lazily
    /// when it fires, so a busy connection costs no timer operations per read or write.
    last_progress: tokio::time::Instant,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl<T> IdleDeadline<T> {
    pub fn new(inner: T, idle: Duration) -> IdleDeadline<T> {
        IdleDeadline {
            inner,
            idle,
            last_progress: tokio::time::Instant::now(),
            sleep: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn progressed(&mut self) {
        self.last_progress = tokio::time::Instant::now();
    }

    /// On `Pending`: has nothing moved for `idle`? When the timer fires early (there was
    /// progress since it was armed), it is re-armed for the real deadline.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        while self.sleep.as_mut().poll(cx).is_ready() {
            let due = self.last_progress + self.idle;
            if tokio::time::Instant::now() >= due {
                return true;
            }
            self.sleep.as_mut().reset(due);
        }
        false
    }
}

fn idle_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleDeadline<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleDeadline<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    self.progressed();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_length(n: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_str(n).unwrap());
        h
    }

    #[test]
    fn connection_cap_leaves_descriptors_for_the_rest() {
        assert_eq!(connections_for_fd_limit(512), 256);
        assert_eq!(connections_for_fd_limit(1024), 768);
        assert_eq!(connections_for_fd_limit(64), 32);
        assert_eq!(connections_for_fd_limit(1 << 20), 4096);
        assert_eq!(connections_for_fd_limit(0), 16);
    }

    const ANON: Sender = Sender::Anonymous(None);

    #[test]
    fn an_ipv6_host_is_counted_by_its_64() {
        let g = |s: &str| peer_group(s.parse().unwrap()).to_string();
        assert_eq!(g("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(g("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::");
        assert_ne!(g("2001:db8:1:3::1"), g("2001:db8:1:2::1"));
        assert_eq!(g("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(g("192.0.2.7"), "192.0.2.7");
    }

    fn peer(n: u8) -> Sender {
        Sender::Anonymous(Some(IpAddr::from([10, 0, 0, n])))
    }

    #[tokio::test]
    async fn declared_length_over_the_cap_is_refused_before_reading() {
        let budget = BodyBudget::new(4096, Duration::from_secs(5));
        // A body that would never finish: refused on its declared length alone.
        let (_tx, body) = stalled_body();
        let r = budget.read(&with_length("1990000"), body, 1024, ANON).await;
        assert_eq!(r.err(), Some(BodyError::TooLarge));
        let r = budget.read(&with_length("-1"), Body::empty(), 1024, ANON).await;
        assert_eq!(r.err(), Some(BodyError::Broken));
    }

    #[tokio::test]
    async fn declaring_a_length_holds_nothing_until_bytes_arrive() {
        let budget = BodyBudget::new(4 * UNIT, Duration::from_secs(30));
        let mut stalled = Vec::new();
        for _ in 0..50 {
            let (tx, body) = stalled_body();
            let b = budget.clone();
            stalled.push((
                tx,
                tokio::spawn(async move { b.read(&with_length("4096"), body, 4096, ANON).await.is_ok() }),
            ));
        }
        tokio::task::yield_now().await;
        let r = budget
            .read(&with_length("10"), Body::from("0123456789"), 4096, ANON)
            .await;
        assert_eq!(r.map(|b| b.bytes.len()).ok(), Some(10));
    }

    #[tokio::test]
    async fn bytes_held_are_bounded_per_pool_and_per_peer() {
        let budget = BodyBudget::new(8 * UNIT, Duration::from_secs(30));
        // One peer may hold a quarter of the anonymous pool.
        let two_units = || Body::from(vec![b'x'; 2 * UNIT]);
        let held = budget
            .read(&HeaderMap::new(), two_units(), 4096, peer(1))
            .await
            .unwrap();
        let r = budget.read(&HeaderMap::new(), Body::from("x"), 4096, peer(1)).await;
        assert_eq!(r.err(), Some(BodyError::Busy), "past the peer's share");
        let empty = HeaderMap::new();
        let mut others = Vec::new();
        for n in [2, 3, 4] {
            others.push(budget.read(&empty, two_units(), 4096, peer(n)).await.unwrap());
        }
        let r = budget.read(&HeaderMap::new(), Body::from("x"), 4096, peer(5)).await;
        assert_eq!(r.err(), Some(BodyError::Busy), "the anonymous pool is spent");
        // Header-authenticated requests have their own pool.
        let r = budget
            .read(&HeaderMap::new(), two_units(), 4096, Sender::Authenticated)
            .await;
        assert!(r.is_ok());
        // What is dropped is given back, to the pool and to the peer.
        drop(held);
        drop(others);
        let r = budget.read(&HeaderMap::new(), two_units(), 4096, peer(1)).await;
        assert!(r.is_ok());
        assert!(budget.peers.lock().unwrap().len() <= 1);
    }

    /// A body arriving in small frames is counted by the buffer it grows: its spare room too
    /// (the buffer doubles), never more than twice its bytes; a declared length alone takes
    /// nothing, and all is given back on drop.
    #[tokio::test]
    async fn a_body_counts_the_memory_it_holds() {
        let budget = BodyBudget::new(64 * UNIT, Duration::from_secs(5));
        let (tx, body) = stalled_body();
        let reading = tokio::spawn({
            let budget = budget.clone();
            async move {
                budget
                    .read(&with_length("40000"), body, 64 * UNIT, Sender::Authenticated)
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            budget.authenticated.available_permits(),
            64,
            "a declared length took memory"
        );
        for _ in 0..40 {
            tx.send(Ok(Bytes::from(vec![b'x'; 1000]))).await.unwrap();
        }
        drop(tx);
        let read = reading.await.unwrap().unwrap();
        assert_eq!(read.bytes.len(), 40_000);
        let held = 64 - budget.authenticated.available_permits();
        let byte_units = read.bytes.len().div_ceil(UNIT);
        // 40 frames of 1,000 bytes: the buffer doubled up to 64,000 bytes (63 units) while the
        // body holds 40,000 (40 units). Counting bytes alone would leave 23 units of memory
        // uncounted.
        assert!(
            held > byte_units && held <= 2 * byte_units,
            "{held} units counted for {} bytes",
            read.bytes.len()
        );
        drop(read);
        assert_eq!(budget.authenticated.available_permits(), 64);
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let budget = BodyBudget::new(4096, Duration::from_millis(50));
        let (_tx, body) = stalled_body();
        let r = budget.read(&with_length("100"), body, 1024, ANON).await;
        assert_eq!(r.err(), Some(BodyError::Timeout));
    }

    #[tokio::test]
    async fn a_body_longer_than_declared_or_the_cap_is_too_large() {
        let budget = BodyBudget::new(1 << 20, Duration::from_secs(5));
        let r = budget
            .read(&HeaderMap::new(), Body::from(vec![b'x'; 2000]), 1024, ANON)
            .await;
        assert_eq!(r.err(), Some(BodyError::TooLarge));
    }

    /// A body whose sender never sends (kept alive by the returned sender).
    fn stalled_body() -> (tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>, Body) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (tx, Body::from_stream(stream))
    }
}
