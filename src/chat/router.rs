//! Routing across platforms: one incident may live in a Slack channel and a Matrix room at
//! once. Each adapter carries out the notices of its own inputs (replies, its own room); the
//! router carries everything about an incident to the other platforms it lives on, and all
//! alert news to every platform, coalesced so an alert storm posts a bounded number of
//! messages. Platforms register a `Sink` once connected; until then their notices wait here
//! (bounded).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::{Incident, IncidentId, Platform};
use crate::service::{ExportFile, IncidentService, Notice, resolve_proposal};
use crate::shutdown::Shutdown;

pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A platform's outbound side: each call queues durable jobs on its outbox.
pub trait Sink: Send + Sync {
    /// The platform this sink posts on.
    fn platform(&self) -> Platform;
    /// Open the incident's room here (announcement first).
    fn open(&self, incident: IncidentId) -> BoxFuture<'_>;
    /// Post `text` (Markdown-ish) in the incident's room.
    fn post(&self, incident: IncidentId, text: String) -> BoxFuture<'_>;
    fn postmortem(&self, incident: IncidentId, markdown: String, file: ExportFile) -> BoxFuture<'_>;
    /// Bring the room topic up to date.
    fn topic(&self, incident: IncidentId) -> BoxFuture<'_>;
    /// Post `text` in this platform's updates room (`[slack] updates_channel`, `[matrix]
    /// updates_room`), if one is configured.
    fn broadcast(&self, text: String) -> BoxFuture<'_>;
}

/// Should the adapter of `platform` open the room of a new incident it was told about by its
/// own input? (An empty `open_in` means: where it was declared.)
pub fn opens_here(inc: &Incident, platform: Platform) -> bool {
    inc.open_in.is_empty() || inc.open_in.contains(&platform)
}

/// What the origin room is told when a new incident opens only on other platforms, in the
/// incident's language.
pub fn opened_elsewhere(inc: &Incident, lang: crate::postmortem::Lang) -> String {
    let names: Vec<&str> = inc.open_in.iter().map(|p| p.as_str()).collect();
    lang.fmt(
        "opened-elsewhere",
        &[
            ("id", &inc.id.to_string()),
            ("platforms", &names.join(" + ")),
            ("title", &inc.title),
        ],
    )
}

#[derive(Debug, Clone)]
enum Job {
    Open(IncidentId),
    Post(IncidentId, String),
    Postmortem(IncidentId, String, ExportFile),
    Topic(IncidentId),
    Broadcast(String),
}

/// Alert news lines shown in one summary; the rest are counted.
const NEWS_LINES: usize = 5;
/// Jobs kept for a platform that has not connected yet.
const MAX_WAITING: usize = 10_000;

#[derive(Default)]
struct Platforms {
    sinks: HashMap<Platform, Arc<dyn Sink>>,
    waiting: HashMap<Platform, VecDeque<Job>>,
}

#[derive(Debug, Default)]
struct News {
    lines: Vec<String>,
    more: u64,
}

pub struct Router {
    service: Arc<IncidentService>,
    /// Connected platforms, and the jobs of platforms not connected yet; one lock, so a job
    /// is either handed to a sink or waits, never lost or overtaken while a platform registers.
    platforms: Mutex<Platforms>,
    /// Incidents with a coalescing window open, and what arrived in it.
    news: Mutex<HashMap<IncidentId, News>>,
    window: Duration,
    shutdown: Shutdown,
}

impl Router {
    /// `window`: alert news about one incident is posted at most once per window (the first
    /// item at once, the rest as one summary when the window ends).
    pub fn new(service: Arc<IncidentService>, window: Duration, shutdown: Shutdown) -> Arc<Router> {
        Arc::new(Router {
            service,
            platforms: Mutex::default(),
            news: Mutex::default(),
            window,
            shutdown,
        })
    }

    /// A platform is connected: hand it what waited for it.
    pub async fn register(&self, sink: Arc<dyn Sink>) {
        let platform = sink.platform();
        // Drain what waits; jobs arriving meanwhile keep waiting behind it. Only when nothing
        // is left does the sink take over, under the same lock.
        loop {
            let waited = {
                let mut p = self.platforms.lock().unwrap_or_else(|p| p.into_inner());
                match p.waiting.remove(&platform) {
                    Some(q) if !q.is_empty() => q,
                    _ => {
                        p.sinks.insert(platform, Arc::clone(&sink));
                        return;
                    }
                }
            };
            tracing::info!(
                %platform,
                jobs = waited.len(),
                "router: delivering what waited for the platform"
            );
            for job in waited {
                run(&sink, job).await;
            }
        }
    }

    /// Platforms the incident lives on: its rooms and the platforms it opens on.
    fn platforms(&self, inc: &Incident) -> Vec<Platform> {
        let mut out = inc.home_platforms();
        for r in &inc.rooms {
            if !out.contains(&r.platform) {
                out.push(r.platform);
            }
        }
        out
    }

    fn incident(&self, id: IncidentId) -> Option<Incident> {
        match self.service.store().incident(id) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(incident = %id, error = %e, "router: cannot load incident");
                None
            }
        }
    }

    async fn send(&self, platform: Platform, job: Job) {
        let sink = {
            let mut p = self.platforms.lock().unwrap_or_else(|p| p.into_inner());
            match p.sinks.get(&platform).cloned() {
                Some(s) => s,
                None if self.service.platforms().contains(&platform) => {
                    let q = p.waiting.entry(platform).or_default();
                    if q.len() >= MAX_WAITING {
                        // Openings are never dropped: a missing room is worse than a message.
                        if let Some(i) = q.iter().position(|j| !matches!(j, Job::Open(_))) {
                            q.remove(i);
                            tracing::warn!(
                                %platform,
                                "router: too much waiting for the platform to connect; oldest message dropped"
                            );
                        }
                    }
                    q.push_back(job);
                    return;
                }
                None => {
                    match platform {
                        // The console posts nothing to other platforms' incidents.
                        Platform::Console => {}
                        Platform::Matrix | Platform::Slack => tracing::warn!(
                            %platform,
                            "router: an incident should open on a platform that is not configured; add its section or fix the rule's open_in"
                        ),
                    }
                    return;
                }
            }
        };
        run(&sink, job).await;
    }

    /// Route the notices of one input. `origin`: the platform it came from (its adapter has
    /// carried out the notices about its own rooms); `None` for webhooks.
    pub async fn publish(self: &Arc<Self>, origin: Option<Platform>, notices: &[Notice]) {
        for n in notices {
            match n {
                Notice::Opened { incident, .. } => {
                    for p in self.platforms(incident) {
                        if Some(p) != origin {
                            self.send(p, Job::Open(incident.id)).await;
                        }
                    }
                }
                Notice::Postmortem {
                    incident,
                    markdown,
                    file,
                } => {
                    self.others(
                        *incident,
                        origin,
                        Job::Postmortem(*incident, markdown.clone(), file.clone()),
                    )
                    .await
                }
                Notice::Changed {
                    incident,
                    by,
                    source,
                    command,
                    reply,
                } => {
                    let text = if reply.is_empty() {
                        format!("✎ {} ({}): `{command}`", by.name, source.as_str())
                    } else {
                        format!("✎ {} ({}): `{command}`\n{reply}", by.name, source.as_str())
                    };
                    self.others(*incident, origin, Job::Post(*incident, text)).await;
                    self.others(*incident, origin, Job::Topic(*incident)).await;
                }
                Notice::AlertNews { incident, line } => self.news(*incident, line.clone()).await,
                Notice::ProposeResolve { incident, alerts } => {
                    self.flush(*incident, false).await;
                    if let Some(inc) = self.incident(*incident) {
                        for p in self.platforms(&inc) {
                            let text = resolve_proposal(inc.id, *alerts, p.source(), self.service.lang(&inc));
                            self.send(p, Job::Post(inc.id, text)).await;
                        }
                    }
                }
                Notice::Remind { incident, text } => {
                    if let Some(inc) = self.incident(*incident) {
                        for p in self.platforms(&inc) {
                            self.send(p, Job::Post(inc.id, text.clone())).await;
                        }
                    }
                }
                Notice::Update { incident, text } => {
                    // Every room of the incident, the origin's too (its adapter leaves the
                    // update to the router), then every platform's updates room.
                    if let Some(inc) = self.incident(*incident) {
                        for p in self.platforms(&inc) {
                            self.send(p, Job::Post(inc.id, text.clone())).await;
                            self.send(p, Job::Topic(inc.id)).await;
                        }
                    }
                    for p in self.service.platforms().to_vec() {
                        self.send(p, Job::Broadcast(text.clone())).await;
                    }
                }
                Notice::Reply(_) | Notice::File(_) => {}
            }
        }
    }

    /// Send a job to every platform of the incident except `origin`.
    async fn others(&self, id: IncidentId, origin: Option<Platform>, job: Job) {
        let Some(inc) = self.incident(id) else { return };
        for p in self.platforms(&inc) {
            if Some(p) != origin {
                self.send(p, job.clone()).await;
            }
        }
    }

    /// Alert news: the first item of a window goes out at once, later ones are gathered and
    /// posted as one summary when the window ends.
    async fn news(self: &Arc<Self>, id: IncidentId, line: String) {
        let first = {
            let mut news = self.news.lock().unwrap_or_else(|p| p.into_inner());
            match news.get_mut(&id) {
                Some(n) => {
                    if n.lines.len() < NEWS_LINES {
                        n.lines.push(line.clone());
                    } else {
                        n.more += 1;
                    }
                    false
                }
                None => {
                    news.insert(id, News::default());
                    true
                }
            }
        };
        if !first {
            return;
        }
        // Post at once only where the room exists: elsewhere the opening (from a concurrent
        // request) may not be queued yet, so the line waits for the end of the window.
        let ready = self
            .incident(id)
            .is_some_and(|inc| self.platforms(&inc).iter().all(|p| inc.room_on(*p).is_some()));
        if ready {
            self.others(id, None, Job::Post(id, format!("⚠ {line}"))).await;
        } else if let Some(n) = self.news.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id) {
            n.lines.insert(0, line.clone());
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut stop = me.shutdown.clone();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(me.window) => {}
                    _ = stop.wait_for(|s| *s) => {}
                }
                if !me.flush(id, true).await {
                    return;
                }
                if *stop.borrow() {
                    me.flush(id, true).await;
                    return;
                }
            }
        });
    }

    /// Post what gathered in the incident's window; `false` if nothing had.
    /// With `close`, an empty window is closed in the same step, so a line arriving just then
    /// opens a new window instead of being lost.
    async fn flush(&self, id: IncidentId, close: bool) -> bool {
        let taken = {
            let mut news = self.news.lock().unwrap_or_else(|p| p.into_inner());
            match news.get_mut(&id) {
                Some(n) if !n.lines.is_empty() => Some(std::mem::take(n)),
                Some(_) if close => {
                    news.remove(&id);
                    None
                }
                _ => None,
            }
        };
        let Some(n) = taken else { return false };
        let total = n.lines.len() as u64 + n.more;
        let lang = self.service.lang_of(id);
        let mut text = if total == 1 {
            format!("⚠ {}", n.lines[0])
        } else {
            let head = lang.fmt("alert-updates", &[("count", &total.to_string())]);
            format!(
                "{head}\n{}",
                n.lines.iter().map(|l| format!("• {l}")).collect::<Vec<_>>().join("\n")
            )
        };
        if n.more > 0 {
            text.push('\n');
            text.push_str(&lang.fmt("alert-updates-more", &[("count", &n.more.to_string())]));
        }
        self.others(id, None, Job::Post(id, text)).await;
        true
    }
}

async fn run(sink: &Arc<dyn Sink>, job: Job) {
    match job {
        Job::Open(id) => sink.open(id).await,
        Job::Post(id, text) => sink.post(id, text).await,
        Job::Postmortem(id, md, file) => sink.postmortem(id, md, file).await,
        Job::Topic(id) => sink.topic(id).await,
        Job::Broadcast(text) => sink.broadcast(text).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::RuleSet;
    use crate::domain::{Opening, Person, Severity, Source};
    use crate::service::SystemClock;
    use crate::store::Store;

    /// A sink that records what it was asked to do.
    struct Recorder(Mutex<Vec<String>>);

    impl Sink for Recorder {
        fn platform(&self) -> Platform {
            Platform::Matrix
        }
        fn open(&self, id: IncidentId) -> BoxFuture<'_> {
            self.0.lock().unwrap().push(format!("open {id}"));
            Box::pin(async {})
        }
        fn post(&self, id: IncidentId, text: String) -> BoxFuture<'_> {
            self.0.lock().unwrap().push(format!("post {id} {text}"));
            Box::pin(async {})
        }
        fn postmortem(&self, id: IncidentId, _: String, _: ExportFile) -> BoxFuture<'_> {
            self.0.lock().unwrap().push(format!("postmortem {id}"));
            Box::pin(async {})
        }
        fn topic(&self, id: IncidentId) -> BoxFuture<'_> {
            self.0.lock().unwrap().push(format!("topic {id}"));
            Box::pin(async {})
        }
        fn broadcast(&self, text: String) -> BoxFuture<'_> {
            self.0.lock().unwrap().push(format!("broadcast {text}"));
            Box::pin(async {})
        }
    }

    /// The origin room hears where an incident opened in the incident's language.
    #[test]
    fn opened_elsewhere_speaks_the_incidents_language() {
        let now = chrono::Utc::now();
        let (mut inc, _) =
            crate::domain::Incident::open(Opening::by_hand(IncidentId(3), "DB down", Person::new("a", "a"), now))
                .unwrap();
        inc.open_in = vec![Platform::Slack, Platform::Matrix];
        let en = opened_elsewhere(&inc, "en".parse().unwrap());
        assert_eq!(en, "🚨 INC-3 opened in slack + matrix: DB down");
        let fr = opened_elsewhere(&inc, "fr".parse().unwrap());
        assert_eq!(fr, "🚨 INC-3 ouvert dans slack + matrix : DB down");
    }

    /// A status update goes to every room of its incident, the origin platform's too, and to
    /// every platform's updates room.
    #[tokio::test]
    async fn an_update_goes_to_the_incidents_rooms_and_the_updates_rooms() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "test").unwrap();
        let service = Arc::new(
            IncidentService::new(store, RuleSet::default(), chrono_tz::UTC, Arc::new(SystemClock))
                .with_platforms(vec![Platform::Matrix]),
        );
        let now = chrono::Utc::now();
        let c = service
            .store()
            .create_incident::<std::convert::Infallible>(None, now, |id| {
                let (mut inc, e) =
                    crate::domain::Incident::open(Opening::by_hand(id, "DB down", Person::new("a", "a"), now)).unwrap();
                inc.open_in = vec![Platform::Matrix];
                Ok((inc, e))
            })
            .await
            .unwrap();
        let id = c.incident.id;
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        let router = Router::new(service, Duration::from_millis(50), stop);
        let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
        router.register(rec.clone()).await;
        router
            .publish(
                Some(Platform::Matrix),
                &[Notice::Update {
                    incident: id,
                    text: "📣 up".into(),
                }],
            )
            .await;
        let got = until(&rec, |g| g.len() >= 3).await;
        assert_eq!(
            got,
            [
                format!("post {id} 📣 up"),
                format!("topic {id}"),
                "broadcast 📣 up".to_string()
            ]
        );
    }

    /// What the recorder got, once `done` says so (within 10 s).
    async fn until(rec: &Recorder, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = rec.0.lock().unwrap().clone();
            if done(&got) {
                return got;
            }
            assert!(std::time::Instant::now() < deadline, "timed out: {got:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A router with one webhook incident (in `language`, if given) whose opening and twelve
    /// alert news lines were published before Matrix connected; then Matrix connects. Returns
    /// what Matrix was asked to do once the first summary went out.
    async fn twelve_news_before_matrix(language: Option<&str>) -> NewsRig {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "test").unwrap();
        let svc = Arc::new(
            IncidentService::new(store, RuleSet::default(), chrono_tz::UTC, Arc::new(SystemClock))
                .with_platforms(vec![Platform::Matrix]),
        );
        let c = svc
            .store()
            .create_incident::<crate::domain::TransitionError>(None, chrono::Utc::now(), |id| {
                let (mut inc, e) = Incident::open(Opening {
                    severity: Severity::Sev3,
                    source: Source::Webhook,
                    ..Opening::by_hand(id, "t", Person::warroom(), chrono::Utc::now())
                })?;
                inc.open_in = vec![Platform::Matrix];
                inc.language = language.map(str::to_string);
                Ok((inc, e))
            })
            .await
            .unwrap();
        let id = c.incident.id;
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let router = Router::new(svc.clone(), Duration::from_millis(300), stop);
        let opened = Notice::Opened {
            incident: Box::new(c.incident.clone()),
            announcement: String::new(),
            origin_room: "hook:generic".into(),
        };
        // Before Matrix connects: the opening and the news wait, in order.
        router.publish(None, &[opened]).await;
        for n in 0..12 {
            let line = format!("line {n}");
            router.publish(None, &[Notice::AlertNews { incident: id, line }]).await;
        }
        let rec = Arc::new(Recorder(Mutex::default()));
        router.register(rec.clone()).await;
        assert_eq!(rec.0.lock().unwrap().first().map(String::as_str), Some("open INC-1"));
        // The room does not exist yet, so nothing was posted at once: one summary per window.
        assert_eq!(rec.0.lock().unwrap().len(), 1);
        let got = until(&rec, |g| g.len() >= 2).await;
        NewsRig {
            router,
            rec,
            id,
            got,
            _stop: stop_tx,
            _dir: dir,
        }
    }

    /// What `twelve_news_before_matrix` set up; the store's directory and the router's stop
    /// switch live as long as it does.
    struct NewsRig {
        router: Arc<Router>,
        rec: Arc<Recorder>,
        id: IncidentId,
        got: Vec<String>,
        _stop: tokio::sync::watch::Sender<bool>,
        _dir: tempfile::TempDir,
    }

    #[tokio::test]
    async fn alert_news_summaries_speak_the_incidents_language() {
        let got = twelve_news_before_matrix(Some("fr")).await.got;
        assert!(
            got[1].contains("12 mises à jour d'alertes") && got[1].contains("… et 7 de plus"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn waiting_jobs_keep_order_and_alert_news_is_coalesced() {
        let rig = twelve_news_before_matrix(None).await;
        let (router, rec, id, got) = (&rig.router, &rig.rec, rig.id, &rig.got);
        assert!(
            got[1].contains("12 alert updates") && got[1].contains("line 0") && got[1].contains("… and 7 more"),
            "{got:?}"
        );
        // The window closes after an empty round: the next line opens a new one.
        router
            .publish(
                None,
                &[Notice::AlertNews {
                    incident: id,
                    line: "late".into(),
                }],
            )
            .await;
        let got = until(rec, |g| g.last().is_some_and(|l| l.contains("late"))).await;
        assert_eq!(got.len(), 3, "one summary, then the late line: {got:?}");
    }
}
