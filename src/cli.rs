//! The command line (DESIGN.md §3): argument parsing and one function per subcommand.
//! Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.

use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::app::{App, AppError};
use crate::chat::ChatAdapter;
use crate::chat::console::Console;
use crate::chat::matrix::MatrixAdapter;
use crate::chat::router::Router;
use crate::chat::slack::SlackAdapter;
use crate::config::Config;
use crate::domain::IncidentId;
use crate::http::{self, hooks::HookAuth, local};
use crate::postmortem::ExportFormat;
use crate::shutdown::{FLUSH_BUDGET, STOP_BUDGET, shutdown_channel, shutdown_signal};
use crate::store::{STORE_DIR, Store, StoreError, restore};
use crate::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "warroom",
    version,
    about = "Self-hosted incident-response bot for Slack and Matrix"
)]
pub struct Cli {
    /// Config file (default: ./config/warroom.toml if present, else the built-in defaults)
    #[arg(long, global = true, env = "WARROOM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory holding the store, adapter state and written postmortems
    #[arg(long, global = true, env = "WARROOM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Log format on stderr
    #[arg(long, global = true, env = "WARROOM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the bot: every configured adapter (slack, matrix) and the HTTP server
    Run,
    /// Chat with the bot in this terminal; no chat account needed; stdin may be a pipe
    Console {
        /// Your name in the timeline (default: $USER)
        #[arg(long)]
        user: Option<String>,
    },
    /// List incidents (open ones by default)
    Incidents {
        /// Include closed incidents
        #[arg(long)]
        all: bool,
    },
    /// Write an incident's postmortem
    Export {
        /// Incident id, e.g. INC-3
        id: String,
        /// md, json or html
        #[arg(long, default_value = "md")]
        format: String,
        /// Output file (default: standard output)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate and print the effective configuration, secrets redacted
    CheckConfig,
    /// Write all data as JSON Lines to FILE (`-` for standard output)
    Backup { file: PathBuf },
    /// Load a backup (`-` for standard input) into the data dir (which must hold no store, unless --force)
    Restore {
        file: PathBuf,
        /// Move an existing store aside (it is kept, renamed) and restore in its place
        #[arg(long)]
        force: bool,
    },
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    // Before any file or directory exists: the store, backups, exports and the Matrix SDK's
    // files are for this user only (0600, directories 0700).
    crate::files::private_umask();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let level = if matches!(cli.command, Cmd::Run) {
        "info"
    } else {
        "warn"
    };
    telemetry::init(cli.log_format, level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(code) => code,
        Err(e) => {
            let usage = e
                .chain()
                .any(|c| c.downcast_ref::<crate::config::ConfigError>().is_some())
                || matches!(e.downcast_ref::<AppError>(), Some(AppError::Config(_)));
            // Errors can quote input (an id, the running bot's answer): shown, not obeyed.
            eprintln!("error: {}", crate::sanitize::for_terminal(&format!("{e:#}")));
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let (config, _) = Config::load(cli.config.as_deref(), std::env::vars())?;
    Ok(config)
}

/// Commands that read existing data refuse a data dir without a store instead of creating one
/// (a mistyped `--data-dir` should not look like "no incidents").
fn require_store(cli: &Cli) -> anyhow::Result<()> {
    if !cli.data_dir.join(STORE_DIR).exists() {
        bail!(
            "no warroom store in {} (wrong --data-dir? it is created by `warroom console` or `warroom run`)",
            cli.data_dir.display()
        );
    }
    Ok(())
}

fn open_store(cli: &Cli, holder: &str) -> anyhow::Result<Store> {
    require_store(cli)?;
    Ok(Store::open(&cli.data_dir, holder)?)
}

pub async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Cmd::Run => run(&cli).await,
        Cmd::Console { user } => console(&cli, user.clone()).await,
        Cmd::Incidents { all } => incidents(&cli, *all),
        Cmd::Export { id, format, out } => export(&cli, id, format, out.as_deref()),
        Cmd::CheckConfig => check_config(&cli).await,
        Cmd::Backup { file } => backup(&cli, file),
        Cmd::Restore { file, force } => restore_cmd(&cli, file, *force),
    }
}

async fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let hooks = config.hooks.enabled();
    let hooks_on = hooks.len();
    if config.chat_platforms().is_empty() && hooks.is_empty() {
        eprintln!(
            "warroom run: no chat adapter is configured (add a [matrix] or [slack] section to the config).\n\
             To try warroom without a chat account, run `warroom console`."
        );
        return Ok(ExitCode::from(2));
    }
    for w in crate::config::loose_secret_files(&config) {
        tracing::warn!("{w}");
    }
    let mut auth = Vec::new();
    for (kind, c) in &hooks {
        match HookAuth::from_config(*kind, c) {
            Ok(a) => auth.push((*kind, a)),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    // Missing, empty or weak Slack secrets are a configuration error (exit 2), like the hooks'.
    if let Some(s) = &config.slack
        && let Err(problems) = crate::chat::slack::Secrets::read(s)
    {
        for p in problems {
            eprintln!("error: {p}");
        }
        return Ok(ExitCode::from(2));
    }
    if config.chat_platforms().is_empty() {
        tracing::warn!("no chat adapter configured: webhook alerts are recorded, but no room is opened");
    }
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let (matrix, slack) = (config.matrix.clone(), config.slack.clone());
    let window = std::time::Duration::from_secs(config.alerts.coalesce_seconds.max(1));
    let listen = config.http.listen.clone();
    let limits = crate::limits::ServerLimits::from_config(&config.http);
    let budget = crate::limits::BodyBudget::new(crate::limits::BODY_BUDGET_BYTES, limits.body_timeout);
    warn_data_dir(cli);
    let app = App::build(config, &cli.data_dir, "warroom run")?;
    let configured = app.service.platforms().to_vec();
    let rules = app.config.rules()?;
    for (rule, p) in rules.open_in() {
        if !configured.iter().any(|c| c == p) {
            eprintln!(
                "error: alert rule `{rule}` opens incidents in {p}, but no [{p}] section is configured; add it, or remove {p} from the rule's open_in"
            );
            return Ok(ExitCode::from(2));
        }
    }
    let (stop, shutdown) = shutdown_channel();
    let router = Router::new(app.service.clone(), window, shutdown.clone());
    let mut routes = axum::Router::new()
        .merge(http::ops::routes(app.service.clone()))
        .merge(http::hooks::routes(
            app.service.clone(),
            Arc::new(router.clone()),
            auth,
            budget.clone(),
        ));
    let mut adapters: Vec<Box<dyn ChatAdapter>> = Vec::new();
    if let Some(s) = slack {
        let (adapter, slack_routes) = SlackAdapter::new(s, app.service.clone(), router.clone(), budget)?;
        if let Some(r) = slack_routes {
            routes = routes.merge(r);
        }
        adapters.push(Box::new(adapter));
    }
    if let Some(m) = matrix {
        adapters.push(Box::new(MatrixAdapter::new(m, app.data_dir.clone(), router.clone())));
    }
    let listener = http::bind(&listen).await.map_err(|e| anyhow::anyhow!(e))?;
    let mut tasks = tokio::task::JoinSet::new();
    {
        let stop_http = shutdown.clone();
        tasks.spawn(async move {
            let r = http::serve(listener, routes, limits, stop_http).await;
            (
                "http",
                r.map_err(|msg| crate::chat::ChatError::Failed { adapter: "http", msg }),
            )
        });
        let (dir, svc, stop_local) = (app.data_dir.clone(), app.service.clone(), shutdown.clone());
        tasks.spawn(async move {
            http::local::serve(&dir, svc, stop_local).await;
            ("local api", Ok(()))
        });
    }
    let mut adapters_running = adapters.len();
    for a in adapters {
        let name = a.name();
        let (svc, stop_rx) = (app.service.clone(), shutdown.clone());
        tasks.spawn(async move { (name, a.run(svc, stop_rx).await) });
    }
    tracing::info!(data_dir = %app.data_dir.display(), %listen, "warroom running");
    let mut failed = false;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match deadline {
            None => {
                let mut s = shutdown.clone();
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
                eprintln!("error: {e}");
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
    match tokio::time::timeout(FLUSH_BUDGET, app.service.store().sync()).await {
        Ok(r) => r?,
        Err(_) => {
            tracing::warn!("the final store flush did not finish in time; every acknowledged write was already durable")
        }
    }
    tracing::info!("store flushed; bye");
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

async fn console(cli: &Cli, user: Option<String>) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    if config.console.alert_rooms.is_empty() {
        bail!(
            "console.alert_rooms is empty; the console needs a room to start in: set console.alert_rooms = [\"alerts\"]"
        );
    }
    let user = user
        .or_else(|| std::env::var("USER").ok())
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "operator".into());
    let rooms = config.console.alert_rooms.clone();
    warn_data_dir(cli);
    let app = App::build(config, &cli.data_dir, "warroom console")?;
    let interactive = std::io::stdin().is_terminal();
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    let adapter: Box<dyn ChatAdapter> = Box::new(Console::new(
        input,
        std::io::stdout(),
        &user,
        rooms,
        &app.data_dir,
        interactive,
    ));
    adapter.run(app.service.clone(), shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Is the data dir held by a running bot we can ask instead?
fn held_by_bot(cli: &Cli, e: &anyhow::Error) -> bool {
    let locked = e
        .chain()
        .any(|c| matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. })))
        || matches!(
            e.downcast_ref::<AppError>(),
            Some(AppError::Store(StoreError::Locked { .. }))
        );
    locked && local::socket_path(&cli.data_dir).exists()
}

/// Ask the running bot; an answer other than 200 becomes an error with its message.
fn ask_bot(cli: &Cli, path: &str) -> anyhow::Result<String> {
    let (status, body) = local::get_local(&cli.data_dir, path).map_err(|e| anyhow::anyhow!(e))?;
    if status != 200 {
        bail!("{}", local::error_text(&body));
    }
    Ok(body)
}

fn incidents(cli: &Cli, all: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let tz = config.tz()?;
    let list: Vec<local::IncidentRow> = match open_store(cli, "warroom incidents") {
        Ok(store) => store
            .incidents(all)?
            .into_iter()
            .map(local::IncidentRow::from)
            .collect(),
        Err(e) if held_by_bot(cli, &e) => {
            let body = ask_bot(cli, &format!("/v1/incidents?all={all}"))?;
            serde_json::from_str(&body).context("the running bot sent an unreadable incident list")?
        }
        Err(e) => return Err(e),
    };
    if list.is_empty() {
        println!(
            "{}",
            if all {
                "No incidents."
            } else {
                "No open incidents. (`warroom incidents --all` lists closed ones too.)"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<8} {:<5} {:<14} {:<21} TITLE", "ID", "SEV", "STATUS", "DECLARED");
    for i in list {
        let at = i.declared_at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z");
        println!(
            "{:<8} {:<5} {:<14} {:<21} {}",
            i.id,
            i.severity,
            i.status,
            at.to_string(),
            crate::sanitize::one_line(&i.title)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn export(cli: &Cli, id: &str, format: &str, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let id: IncidentId = id.parse()?;
    let format: ExportFormat = format.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let config = load_config(cli)?;
    require_store(cli)?;
    let content = match App::build(config, &cli.data_dir, "warroom export") {
        Ok(app) => {
            app.service
                .export(id, format)
                .map_err(|r| anyhow::anyhow!(r.0))?
                .content
        }
        Err(e) => {
            let e = anyhow::Error::from(e);
            if !held_by_bot(cli, &e) {
                return Err(e);
            }
            ask_bot(cli, &format!("/v1/incidents/{id}/export?format={}", format.extension()))?
        }
    };
    match out {
        Some(path) if !crate::files::is_stdout(path) => {
            write_out(path, content.as_bytes())?;
            eprintln!("{id} postmortem written to {}", path.display());
        }
        // Standard output: user text must not send escape sequences to the terminal.
        _ => write_out(Path::new("-"), crate::sanitize::for_terminal(&content).as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `bytes` to `path` (atomically, mode 0600), or to standard output for `-` and
/// `/dev/stdout`.
fn write_out(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if crate::files::is_stdout(path) {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        return Ok(());
    }
    Ok(crate::files::write_atomically(path, bytes)?)
}

/// Warn (never fail) when the data dir can be read by group or others.
fn warn_data_dir(cli: &Cli) {
    if let Some(w) = crate::files::data_dir_warning(&cli.data_dir) {
        tracing::warn!("{w}");
    }
}

async fn check_config(cli: &Cli) -> anyhow::Result<ExitCode> {
    let (config, source) = Config::load(cli.config.as_deref(), std::env::vars())?;
    let rules = config.rules()?;
    let mut problems = Vec::new();
    println!("# configuration from {source}, with WARROOM_* environment overrides; secrets redacted");
    print!("{}", config.to_redacted_toml());
    println!("\n# checks");
    println!("# timezone: {} ok", config.timezone);
    println!("# alert rules: {} compiled", rules.len());
    println!("# console alert rooms: {}", config.console.alert_rooms.join(", "));
    println!("# data dir: {}", cli.data_dir.display());
    for w in crate::config::loose_secret_files(&config) {
        println!("# warning: {w}");
    }
    if let Some(w) = crate::files::data_dir_warning(&cli.data_dir) {
        eprintln!("warning: {w}");
    }
    if let Some(m) = &config.matrix {
        println!(
            "# matrix: messages heard from servers: {}",
            m.allowed_servers().join(", ")
        );
        match crate::chat::matrix::check_credentials(m) {
            Err(e) => problems.push(e),
            Ok(()) => {
                for finding in crate::chat::matrix::check(m, &cli.data_dir).await {
                    match finding {
                        Ok(line) => println!("# {line}"),
                        Err(problem) => problems.push(problem),
                    }
                }
            }
        }
    }
    if let Some(s) = &config.slack {
        if let Err(p) = crate::chat::slack::Secrets::read(s) {
            problems.extend(p);
        }
        println!("# slack: configured ({:?} mode, API {})", s.mode, s.api_url);
        println!(
            "# slack: requests accepted from workspace {} and app {}",
            s.team_id.as_deref().unwrap_or("<the bot token's, from auth.test>"),
            s.app_id.as_deref().unwrap_or("<the bot token's, from bots.info>")
        );
    }
    for (kind, h) in config.hooks.enabled() {
        match HookAuth::from_config(kind, h) {
            Ok(_) => println!("# POST /hooks/{}: credentials set", kind.name()),
            Err(e) => problems.push(e),
        }
    }
    if config.access.is_open() {
        println!("# access: open (no [access] responders or admins)");
    } else {
        println!(
            "# access: {} responders, {} admins; privileged: {}",
            config.access.responders.len(),
            config.access.admins.len(),
            config.access.privileged.join(", ")
        );
    }
    for w in config.warnings() {
        eprintln!("warning: {w}");
    }
    if problems.is_empty() {
        println!("# configuration ok");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("error: {p}");
        }
        Ok(ExitCode::from(2))
    }
}

fn backup(cli: &Cli, file: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(cli, "warroom backup")?;
    let now = chrono::Utc::now();
    let stats = if crate::files::is_stdout(file) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        store.backup(&mut out, now)?
    } else {
        let mut buf = Vec::new();
        let stats = store.backup(&mut buf, now)?;
        write_out(file, &buf)?;
        stats
    };
    eprintln!(
        "backup: {} incidents, {} timeline entries, {} event ids written to {}",
        stats.incidents,
        stats.entries,
        stats.seen,
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn restore_cmd(cli: &Cli, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let (stats, moved) = if file == Path::new("-") {
        restore(&cli.data_dir, std::io::stdin().lock(), force)?
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        restore(&cli.data_dir, BufReader::new(f), force)?
    };
    if let Some(old) = moved {
        eprintln!("the previous store was moved to {}", old.display());
    }
    eprintln!(
        "restored {} incidents, {} timeline entries, {} event ids into {}",
        stats.incidents,
        stats.entries,
        stats.seen,
        cli.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
