//! The running bot: `App::build` opens the store and creates the service from validated
//! `Settings`; `App::serve` wires the webhooks, the chat adapters, the router, the HTTP server
//! and the local API, supervises them until shutdown, and flushes the store. Used by the CLI
//! (`warroom run`, `console`, `export`) and by tests that run the bot in-process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::chat::matrix::MatrixAdapter;
use crate::chat::router::Router;
use crate::chat::slack::SlackAdapter;
use crate::chat::{ChatAdapter, ChatError};
use crate::http::{self, hooks::HookAuth};
use crate::limits::{BODY_BUDGET_BYTES, BodyBudget, ServerLimits};
use crate::service::{Clock, IncidentService, Notice};
use crate::settings::{MatrixSettings, Settings, SlackSettings};
use crate::shutdown::{FLUSH_BUDGET, STOP_BUDGET, Shutdown};
use crate::store::{Store, StoreError};

/// Why `App::serve` ended other than cleanly. `cli` maps it to the exit code: 1 for all of
/// these (configuration problems, exit 2, are found before: `Settings::from_config`).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A chat adapter could not be set up.
    #[error(transparent)]
    Adapter(#[from] ChatError),
    /// The store failed (the final flush).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Tasks failed while running (the errors they returned; a panic is only logged).
    #[error("{}", .0.join("\n"))]
    Failed(Vec<String>),
}

pub struct App {
    pub settings: Settings,
    pub data_dir: PathBuf,
    pub service: Arc<IncidentService>,
}

impl App {
    /// Open the store in `data_dir` (locked for this process; `holder` is shown to anyone who
    /// finds it locked) and create the service.
    /// The compiled rules move into the service (`settings.rules` is left empty).
    pub fn build(settings: Settings, data_dir: &Path, holder: &str, clock: Arc<dyn Clock>) -> Result<App, StoreError> {
        Self::with_store(settings, data_dir, Store::open(data_dir, holder)?, clock)
    }

    /// `build` for a command that only reads (`export`): the store is opened with
    /// `Store::open_to_read`, so an older store stays the older warroom's.
    pub fn build_to_read(
        settings: Settings,
        data_dir: &Path,
        holder: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<App, StoreError> {
        Self::with_store(settings, data_dir, Store::open_to_read(data_dir, holder)?, clock)
    }

    fn with_store(
        mut settings: Settings,
        data_dir: &Path,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<App, StoreError> {
        let rules = std::mem::take(&mut settings.rules);
        let service = Arc::new(
            IncidentService::new(store, rules, settings.tz, clock)
                .with_platforms(settings.platforms.clone())
                .with_max_openings_per_minute(settings.max_openings_per_minute)
                .with_access(&settings.access)
                .with_date_order(settings.date_order)
                .with_postmortem(settings.postmortem.clone())
                .with_capture_emoji(&settings.config.capture.emoji)
                .with_reminders(settings.reminders.clone()),
        );
        Ok(App {
            settings,
            data_dir: data_dir.to_path_buf(),
            service,
        })
    }

    /// Run the bot on `listener` until `shutdown` turns `true` (or nothing is left running),
    /// then give in-flight work the stop budget and flush the store.
    pub async fn serve(mut self, listener: TcpListener, shutdown: Shutdown) -> Result<(), RunError> {
        // Our own channel: tasks stop on the caller's shutdown, or when the bot stops itself.
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        forward_shutdown(shutdown, Arc::clone(&stop));
        let router = Router::new(self.service.clone(), self.settings.coalesce, stopping.clone());
        let hooks = std::mem::take(&mut self.settings.hooks);
        let hooks_on = hooks.len();
        let (routes, adapters) = self.wire(&router, hooks)?;
        let mut tasks = JoinSet::new();
        spawn_servers(&mut tasks, listener, routes, self.settings.limits, &self, &stopping);
        spawn_reminders(self.service.clone(), router.clone(), stopping.clone());
        let adapters_running = adapters.len();
        for a in adapters {
            let name = a.name();
            let (svc, stop_rx) = (self.service.clone(), stopping.clone());
            tasks.spawn(async move { (name, a.run(svc, stop_rx).await) });
        }
        tracing::info!(data_dir = %self.data_dir.display(), listen = %self.settings.listen, "warroom running");
        let outcome = supervise(tasks, &stop, stopping, adapters_running, hooks_on).await;
        match tokio::time::timeout(FLUSH_BUDGET, self.service.store().sync()).await {
            Ok(r) => r?,
            Err(_) => {
                tracing::warn!(
                    "the final store flush did not finish in time; every acknowledged write was already durable"
                )
            }
        }
        tracing::info!("store flushed; bye");
        outcome.map_err(RunError::Failed)
    }

    /// The HTTP routes (ops, webhooks, Slack's HTTP mode) and the chat adapters.
    fn wire(
        &mut self,
        router: &Arc<Router>,
        hooks: Vec<(crate::alert::payload::HookKind, HookAuth)>,
    ) -> Result<(axum::Router, Vec<Box<dyn ChatAdapter>>), RunError> {
        let budget = BodyBudget::new(BODY_BUDGET_BYTES, self.settings.limits.body_timeout);
        let mut routes = axum::Router::new()
            .merge(http::ops::routes(
                self.service.clone(),
                self.settings.metrics_bearer.clone(),
            ))
            .merge(http::hooks::routes(
                self.service.clone(),
                Arc::new(router.clone()),
                hooks,
                budget.clone(),
            ));
        let mut adapters: Vec<Box<dyn ChatAdapter>> = Vec::new();
        if let Some(SlackSettings { config, secrets }) = self.settings.slack.take() {
            let (adapter, slack_routes) =
                SlackAdapter::new(config, secrets, self.service.clone(), router.clone(), budget)?;
            if let Some(r) = slack_routes {
                routes = routes.merge(r);
            }
            adapters.push(Box::new(adapter));
        }
        if let Some(MatrixSettings { config, credentials }) = self.settings.matrix.take() {
            adapters.push(Box::new(MatrixAdapter::new(
                config,
                credentials,
                self.data_dir.clone(),
                router.clone(),
            )));
        }
        Ok((routes, adapters))
    }
}

type Tasks = JoinSet<(&'static str, Result<(), ChatError>)>;

/// Turn `stop` on when `shutdown` does (a dropped sender never stops the bot).
fn forward_shutdown(mut shutdown: Shutdown, stop: Arc<tokio::sync::watch::Sender<bool>>) {
    tokio::spawn(async move {
        if shutdown.wait_for(|v| *v).await.is_ok() {
            let _ = stop.send(true);
        }
    });
}

/// Check for due reminders (`[reminders]`) until shutdown, and route them to the incidents'
/// rooms. Nothing runs when every reminder is off.
fn spawn_reminders(service: Arc<IncidentService>, router: Arc<Router>, mut stopping: Shutdown) {
    let Some(every) = service.reminder_tick() else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.wait_for(|v| *v) => return,
            }
            // Marked sent and queued to the rooms in one durability group: a crash in between
            // neither loses the reminder nor sends it twice. Incidents that live only in the
            // console are the console's to remind.
            let store = service.store().clone();
            let done = store
                .batch(async {
                    let notices = service
                        .remind_matching(|i| {
                            i.rooms.iter().any(|r| r.platform != crate::domain::Platform::Console) || i.rooms.is_empty()
                        })
                        .await;
                    router.publish(None, &notices).await;
                })
                .await;
            if let Err(e) = done {
                tracing::error!(error = %e, "reminders could not be made durable");
            }
        }
    });
}

/// The HTTP server on `listener` and the local API on the data dir's socket.
fn spawn_servers(
    tasks: &mut Tasks,
    listener: TcpListener,
    routes: axum::Router,
    limits: ServerLimits,
    app: &App,
    stopping: &Shutdown,
) {
    let stop_http = stopping.clone();
    tasks.spawn(async move {
        let r = http::serve(listener, routes, limits, stop_http).await;
        ("http", r.map_err(|msg| ChatError::Failed { adapter: "http", msg }))
    });
    let (dir, svc, stop_local) = (app.data_dir.clone(), app.service.clone(), stopping.clone());
    tasks.spawn(async move {
        http::local::serve(&dir, svc, stop_local).await;
        ("local api", Ok(()))
    });
}

/// Wait for the tasks: a failed HTTP server stops everything, a failed adapter stops
/// everything only if no adapter and no webhook receiver is left. After shutdown, tasks get
/// `STOP_BUDGET` to finish. `Err`: something failed (the messages of the tasks that
/// returned an error; a panic is only logged).
async fn supervise(
    mut tasks: Tasks,
    stop: &tokio::sync::watch::Sender<bool>,
    stopping: Shutdown,
    mut adapters_running: usize,
    hooks_on: usize,
) -> Result<(), Vec<String>> {
    let (mut failures, mut failed) = (Vec::new(), false);
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match deadline {
            None => {
                let mut s = stopping.clone();
                tokio::select! {
                    d = tasks.join_next() => d,
                    _ = s.wait_for(|v| *v) => {
                        deadline = Some(tokio::time::Instant::now() + STOP_BUDGET);
                        continue;
                    }
                }
            }
            Some(at) => match tokio::time::timeout_at(at, tasks.join_next()).await {
                Ok(d) => d,
                Err(_) => {
                    tracing::warn!(
                        left = tasks.len(),
                        "stop budget used up; abandoning what is still running"
                    );
                    tasks.abort_all();
                    break;
                }
            },
        };
        let Some(done) = next else { break };
        match done {
            Ok((_, Ok(()))) if deadline.is_some() => {}
            Ok((name, Ok(()))) => tracing::info!(task = name, "stopped"),
            Ok((name, Err(e))) => {
                failures.push(e.to_string());
                failed = true;
                if name == "http" {
                    tracing::error!(task = name, error = %e, "failed; stopping");
                    let _ = stop.send(true);
                } else {
                    adapters_running -= 1;
                    crate::telemetry::health().set(name, false, format!("stopped: {e}"));
                    if adapters_running == 0 && hooks_on == 0 {
                        tracing::error!(adapter = name, error = %e, "failed; no adapter left, stopping");
                        let _ = stop.send(true);
                    } else {
                        // Webhooks and the other platforms keep working; /readyz shows the failure.
                        tracing::error!(adapter = name, error = %e, "adapter failed; the rest keeps running");
                    }
                }
            }
            Err(e) if e.is_cancelled() => {}
            Err(e) => {
                tracing::error!(error = %e, "task panicked; stopping");
                failed = true;
                let _ = stop.send(true);
            }
        }
    }
    if failed { Err(failures) } else { Ok(()) }
}

/// What webhooks did is announced through the chat router (the notices of opened incidents).
impl crate::http::hooks::Announce for Arc<Router> {
    fn announce<'a>(
        &'a self,
        notices: &'a [Notice],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(self.publish(None, notices))
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
