//! The command line (README "CLI"): argument parsing and one function per subcommand.
//! Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.

use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{App, RunError};
use crate::chat::ChatAdapter;
use crate::chat::console::Console;
use crate::config::Config;
use crate::domain::IncidentId;
use crate::http::{self, local};
use crate::postmortem::ExportFormat;
use crate::service::SystemClock;
use crate::settings::Settings;
use crate::shutdown::shutdown_signal;
use crate::store::{BackupStats, STORE_DIR, Store, StoreError, restore};
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
        /// File format
        #[arg(long, value_enum, ignore_case = true, default_value_t = FormatArg::Md)]
        format: FormatArg,
        /// Output file (default: standard output)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate and print the effective configuration, secrets redacted
    CheckConfig,
    /// The built-in postmortem templates: list them, or print one to copy and edit
    Template {
        #[command(subcommand)]
        action: TemplateCmd,
    },
    /// Write all data as JSON Lines to FILE (`-` for standard output); while `warroom run` holds
    /// the data dir, a snapshot is taken from it without stopping it
    Backup { file: PathBuf },
    /// Load a backup (`-` for standard input) into the data dir (which must hold no store, unless --force)
    Restore {
        file: PathBuf,
        /// Move an existing store aside (it is kept, renamed) and restore in its place
        #[arg(long)]
        force: bool,
    },
    /// Health check for containers: exit 0 if the bot's store is ready (`GET /readyz?only=store`
    /// answers 200), 1 otherwise with the reason on stderr
    Probe {
        /// Base URL of the bot's HTTP server (default: http:// and the configured http.listen)
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for the answer
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
}

/// `export --format`: the formats of `postmortem::ExportFormat`, spelled as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    #[value(alias = "markdown")]
    Md,
    Json,
    #[value(alias = "htm")]
    Html,
}

impl From<FormatArg> for ExportFormat {
    fn from(f: FormatArg) -> ExportFormat {
        match f {
            FormatArg::Md => ExportFormat::Markdown,
            FormatArg::Json => ExportFormat::Json,
            FormatArg::Html => ExportFormat::Html,
        }
    }
}

/// The reader of standard output went away (`warroom check-config | head -1`): the output
/// ends there, and the command exits 0 like any tool in a pipeline.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
struct StdoutClosed;

/// A failed write to standard output: a closed pipe is `StdoutClosed`, anything else a failure.
fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("writing to standard output")
    }
}

/// `println!` for the CLI's reports, returning the write error (see `stdout_error`) instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*).map_err(stdout_error)?
    };
}

/// A writer that remembers whether its reader went away, for writes made deep in the store.
struct PipeWatch<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.closed |= r.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe);
        r
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.closed |= r.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe);
        r
    }
}

/// An error and its causes on one line, each cause shown once: a cause whose text the message
/// before it already quotes (`cannot read FILE: No such file ...`) is left out.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

#[derive(Debug, Subcommand)]
pub enum TemplateCmd {
    /// List the built-in templates ([postmortem] template = "NAME")
    List,
    /// Print a built-in template, headed by what a template can use
    Show {
        /// warroom, google-sre, atlassian or pagerduty
        name: String,
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
        Err(e) if e.chain().any(|c| c.is::<StdoutClosed>()) => ExitCode::SUCCESS,
        Err(e) => {
            let usage = e
                .chain()
                .any(|c| c.downcast_ref::<crate::config::ConfigError>().is_some());
            // Errors can quote input (an id, the running bot's answer): shown, not obeyed.
            eprintln!("error: {}", crate::sanitize::for_terminal(&error_text(&e)));
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
    Ok(Store::open_to_read(&cli.data_dir, holder)?)
}

pub async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Cmd::Run => run(&cli).await,
        Cmd::Console { user } => console(&cli, user.clone()).await,
        Cmd::Incidents { all } => incidents(&cli, *all),
        Cmd::Export { id, format, out } => export(&cli, id, (*format).into(), out.as_deref()),
        Cmd::CheckConfig => check_config(&cli).await,
        Cmd::Template { action } => template(action),
        Cmd::Backup { file } => backup(&cli, file),
        Cmd::Restore { file, force } => restore_cmd(&cli, file, *force),
        Cmd::Probe { url, timeout } => probe(&cli, url.as_deref(), *timeout).await,
    }
}

async fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    if config.chat_platforms().is_empty() && config.hooks.enabled().is_empty() {
        eprintln!(
            "warroom run: no chat adapter is configured (add a [matrix] or [slack] section to the config).\n\
             To try warroom without a chat account, run `warroom console`."
        );
        return Ok(ExitCode::from(2));
    }
    for w in crate::config::loose_secret_files(&config) {
        tracing::warn!("{w}");
    }
    // Missing, empty or weak secrets and rules for unconfigured platforms: exit 2.
    let settings = match Settings::from_config(config) {
        Ok(s) => s,
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    if settings.platforms.is_empty() {
        tracing::warn!("no chat adapter configured: webhook alerts are recorded, but no room is opened");
    }
    for w in settings.config.warnings() {
        tracing::warn!("{w}");
    }
    warn_data_dir(cli);
    let app = App::build(settings, &cli.data_dir, "warroom run", Arc::new(SystemClock))?;
    let listener = http::bind(&app.settings.listen).await.map_err(|e| anyhow::anyhow!(e))?;
    match app.serve(listener, shutdown_signal()).await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(RunError::Failed(errors)) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
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
    let settings = Settings::local(config)?;
    let app = App::build(settings, &cli.data_dir, "warroom console", Arc::new(SystemClock))?;
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
        .any(|c| matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. })));
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
        outln!(
            "{}",
            if all {
                "No incidents."
            } else {
                "No open incidents. (`warroom incidents --all` lists closed ones too.)"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:<8} {:<5} {:<14} {:<21} TITLE", "ID", "SEV", "STATUS", "DECLARED");
    for i in list {
        let at = crate::domain::fmt_minute(i.declared_at, &tz);
        outln!(
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

fn export(cli: &Cli, id: &str, format: ExportFormat, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let id: IncidentId = id.parse()?;
    let config = load_config(cli)?;
    require_store(cli)?;
    let settings = Settings::local(config)?;
    let content = match App::build_to_read(settings, &cli.data_dir, "warroom export", Arc::new(SystemClock)) {
        Ok(app) => {
            app.service
                .export(id, format)
                .map_err(|r| anyhow::anyhow!(r.to_string()))?
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
        // JSON escapes everything a terminal would act on (and must stay valid JSON in a pipe);
        // Markdown and HTML are shown with control characters made visible, wherever stdout
        // leads (a pipe often ends in a terminal too).
        _ if format == ExportFormat::Json => write_out(Path::new("-"), content.as_bytes())?,
        _ => write_out(Path::new("-"), crate::sanitize::for_terminal(&content).as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `warroom template list` / `warroom template show NAME`.
fn template(action: &TemplateCmd) -> anyhow::Result<ExitCode> {
    use crate::postmortem::template::{BUILT_INS, DEFAULT, show};
    match action {
        TemplateCmd::List => {
            for (name, what, _) in BUILT_INS {
                let default = if *name == DEFAULT { " (default)" } else { "" };
                outln!("{name:<12} {what}{default}");
            }
            outln!(
                "\nPrint one with `warroom template show NAME`; save it as a *.md.j2 file, edit it and set [postmortem] template to its path."
            );
        }
        TemplateCmd::Show { name } => {
            let Some(text) = show(name) else {
                let names: Vec<&str> = BUILT_INS.iter().map(|(n, _, _)| *n).collect();
                bail!(
                    "`{}` is not a built-in template; `warroom template list` shows them ({})",
                    crate::sanitize::one_line(name),
                    names.join(", ")
                );
            };
            print!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `bytes` to `path` (atomically, mode 0600), or to standard output for `-` and
/// `/dev/stdout`.
fn write_out(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if crate::files::is_stdout(path) {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes).map_err(stdout_error)?;
        stdout.flush().map_err(stdout_error)?;
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
    outln!("# configuration from {source}, with WARROOM_* environment overrides; secrets redacted");
    write!(std::io::stdout(), "{}", config.to_redacted_toml()).map_err(stdout_error)?;
    let built = Settings::from_config(config.clone());
    outln!("\n# checks");
    if let Ok(s) = &built {
        outln!("# timezone: {} ok", config.timezone);
        outln!("# alert rules: {} compiled", s.rules.len());
        let p = &s.postmortem;
        outln!(
            "# postmortem: template {} parsed, language {}, front matter {}",
            p.template.name(),
            p.lang.code(),
            if p.front_matter { "on" } else { "off" }
        );
        if !p.custom_sections.is_empty() {
            let keys: Vec<&str> = p.custom_sections.iter().map(|c| c.key.as_str()).collect();
            outln!("# postmortem sections of your own: {}", keys.join(", "));
        }
    }
    outln!("# console alert rooms: {}", config.console.alert_rooms.join(", "));
    outln!("# data dir: {}", cli.data_dir.display());
    for w in crate::config::loose_secret_files(&config) {
        outln!("# warning: {w}");
    }
    if let Some(w) = crate::files::data_dir_warning(&cli.data_dir) {
        eprintln!("warning: {w}");
    }
    let mut problems = Vec::new();
    if let Some(m) = &config.matrix {
        outln!(
            "# matrix: messages heard from servers: {}",
            m.allowed_servers().join(", ")
        );
        problems.extend(check_matrix(m, &built, &cli.data_dir).await?);
    }
    if let Some(s) = &config.slack {
        outln!("# slack: configured ({:?} mode, API {})", s.mode, s.api_url);
        outln!(
            "# slack: requests accepted from workspace {} and app {}",
            s.team_id.as_deref().unwrap_or("<the bot token's, from auth.test>"),
            s.app_id.as_deref().unwrap_or("<the bot token's, from bots.info>")
        );
    }
    if let Ok(s) = &built {
        for (kind, _) in &s.hooks {
            outln!("# POST /hooks/{}: credentials set", kind.name());
        }
    }
    if config.access.is_open() {
        outln!("# access: open (no [access] responders or admins)");
    } else {
        outln!(
            "# access: {} responders, {} admins; privileged: {}",
            config.access.responders.len(),
            config.access.admins.len(),
            config.access.privileged.join(", ")
        );
    }
    for w in config.warnings() {
        eprintln!("warning: {w}");
    }
    if let Err(p) = built {
        problems.extend(p);
    }
    if problems.is_empty() {
        outln!("# configuration ok");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("error: {p}");
        }
        Ok(ExitCode::from(2))
    }
}

/// Ask the homeserver whether `[matrix]` works (with the credentials the settings read; when
/// the settings have other problems, the credentials are read here for this check only).
async fn check_matrix(
    m: &crate::config::MatrixConfig,
    built: &Result<Settings, Vec<String>>,
    data_dir: &Path,
) -> anyhow::Result<Vec<String>> {
    let credentials = match built {
        Ok(s) => s.matrix.as_ref().map(|m| m.credentials.clone()),
        // A credential problem is already in the settings' list.
        Err(_) => crate::chat::matrix::credentials(m).ok(),
    };
    let mut problems = Vec::new();
    if let Some(c) = credentials {
        for finding in crate::chat::matrix::check(m, &c, data_dir).await {
            match finding {
                Ok(line) => outln!("# {line}"),
                Err(problem) => problems.push(problem),
            }
        }
    }
    Ok(problems)
}

/// `warroom backup`: from the store directly, or, while `warroom run` holds the data dir, a
/// snapshot streamed from it over the local API (the bot keeps working meanwhile).
fn backup(cli: &Cli, file: &Path) -> anyhow::Result<ExitCode> {
    let (stats, source) = match open_store(cli, "warroom backup") {
        Ok(store) => {
            let now = chrono::Utc::now();
            let stats = write_backup(file, |w| Ok(store.backup(&mut { w }, now)?))?;
            (stats, "")
        }
        Err(e) if held_by_bot(cli, &e) => {
            let counts = write_backup(file, |w| {
                let c = local::get_backup(&cli.data_dir, w).map_err(|e| anyhow::anyhow!(e))?;
                Ok(BackupStats {
                    incidents: c.incidents,
                    entries: c.entries,
                    seen: c.seen,
                })
            })?;
            (counts, " (from the running bot)")
        }
        Err(e) => return Err(e),
    };
    eprintln!(
        "backup: {} incidents, {} timeline entries, {} event ids written to {}{source}",
        stats.incidents,
        stats.entries,
        stats.seen,
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Run `produce` into standard output (`-`), or into a temp file renamed over `file` once
/// `produce` succeeded (a failed backup leaves no partial file). Streamed either way.
fn write_backup(
    file: &Path,
    produce: impl FnOnce(&mut dyn Write) -> anyhow::Result<BackupStats>,
) -> anyhow::Result<BackupStats> {
    if !crate::files::is_stdout(file) {
        return crate::files::write_atomically_with(file, produce);
    }
    let mut out = std::io::BufWriter::new(PipeWatch {
        inner: std::io::stdout().lock(),
        closed: false,
    });
    let done = produce(&mut out).and_then(|stats| {
        out.flush()?;
        Ok(stats)
    });
    match done {
        Ok(stats) => Ok(stats),
        Err(_) if out.get_ref().closed => Err(StdoutClosed.into()),
        Err(e) => Err(e),
    }
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

/// `warroom probe`: exit 0 when the store is ready, 1 otherwise (never 2, which Docker
/// reserves in health checks), the reason on one stderr line.
async fn probe(cli: &Cli, url: Option<&str>, timeout: u64) -> anyhow::Result<ExitCode> {
    match probe_store(cli, url, timeout).await {
        Ok(line) => {
            outln!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!("warroom probe: {}", crate::sanitize::one_line(&reason));
            Ok(ExitCode::from(1))
        }
    }
}

async fn probe_store(cli: &Cli, url: Option<&str>, timeout: u64) -> Result<String, String> {
    let config = load_config(cli);
    let base = match (url, &config) {
        (Some(u), _) => u.trim_end_matches('/').to_string(),
        (None, Ok(config)) => format!("http://{}", probe_host(&config.http.listen)),
        (None, Err(e)) => return Err(error_text(e)),
    };
    // `/readyz` behind `[http] metrics_bearer`: send it (a broken setting is an error, not a
    // silent 401).
    let bearer = match &config {
        Ok(c) => c.http.metrics_bearer().map_err(|e| e.to_string())?,
        Err(_) => None,
    };
    let url = format!("{base}/readyz?only=store");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout.max(1)))
        // A health check asks this host's bot, never through a proxy from the environment.
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut req = http.get(&url);
    if let Some(token) = &bearer {
        req = req.bearer_auth(token.expose());
    }
    let resp = req.send().await.map_err(|e| {
        format!(
            "cannot reach {url} ({}); is `warroom run` running and listening there? (--url or http.listen)",
            error_text(&anyhow::Error::new(e))
        )
    })?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let detail = body["store"]["detail"].as_str().unwrap_or("no detail");
    if status == reqwest::StatusCode::OK {
        Ok(format!("store ready ({url})"))
    } else if status == reqwest::StatusCode::UNAUTHORIZED {
        Err(format!(
            "{url} answered 401: /readyz is behind a bearer; give the probe the same `http.metrics_bearer_file` (or WARROOM_HTTP__METRICS_BEARER) as the bot"
        ))
    } else {
        Err(format!("store not ready: {url} answered {status}: {detail}"))
    }
}

/// Where to reach a server listening on `listen`: a wildcard address means this host.
fn probe_host(listen: &str) -> String {
    if let Some(port) = listen.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = listen.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        listen.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_shows_a_quoted_cause_once_and_other_causes_in_order() {
        let read = crate::config::ConfigError::Read {
            path: "/nope.toml".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let text = error_text(&anyhow::Error::from(read));
        assert_eq!(text.matches("entity not found").count(), 1, "{text}");
        assert!(text.starts_with("cannot read config file /nope.toml"), "{text}");
        let chained = anyhow::anyhow!("disk on fire").context("saving INC-1");
        assert_eq!(error_text(&chained), "saving INC-1: disk on fire");
    }

    #[test]
    fn probe_reaches_a_wildcard_listen_address_on_this_host() {
        assert_eq!(probe_host("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(probe_host("[::]:9000"), "[::1]:9000");
        assert_eq!(probe_host("127.0.0.1:8081"), "127.0.0.1:8081");
        assert_eq!(probe_host("warroom.internal:80"), "warroom.internal:80");
    }

    #[test]
    fn every_export_format_has_a_command_line_spelling() {
        for f in FormatArg::value_variants() {
            let name = f.to_possible_value().expect("visible").get_name().to_string();
            assert_eq!(ExportFormat::from(*f).extension(), name);
        }
        assert_eq!(FormatArg::from_str("markdown", true), Ok(FormatArg::Md));
        assert_eq!(FormatArg::from_str("HTML", true), Ok(FormatArg::Html));
        assert!(FormatArg::from_str("pdf", true).is_err());
    }
}
