//! A real Synapse homeserver for tests: installed from PyPI into a cached venv (once per
//! machine), started on 127.0.0.1 with a generated config (client API only, no federation,
//! rate limits raised), users registered through the shared-secret admin API, and stopped by
//! PID when the handle is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// The Synapse release the tests (and `.ci/run`) install.
pub const SYNAPSE_VERSION: &str = "1.163.2";
pub const SERVER_NAME: &str = "localhost";

static INSTALL: Mutex<()> = Mutex::new(());

/// Where the venv lives: `WARROOM_SYNAPSE_VENV`, else `~/.cache/warroom-synapse`.
pub fn venv() -> PathBuf {
    std::env::var_os("WARROOM_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache/warroom-synapse")
        })
}

fn has_synapse(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import synapse, sys; sys.exit(0 if synapse.__version__ else 1)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The venv's python with Synapse importable, installing it first if needed.
pub fn python() -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let venv = venv();
    let python = venv.join("bin/python");
    if has_synapse(&python) {
        return python;
    }
    // Serialise installs across test processes too.
    std::fs::create_dir_all(venv.parent().unwrap_or(Path::new("/tmp"))).ok();
    let lock_path = venv.with_extension("lock");
    let lock = std::fs::File::create(&lock_path).expect("create the install lock file");
    lock.lock().expect("lock the install lock file");
    if has_synapse(&python) {
        return python;
    }
    eprintln!(
        "installing Synapse {SYNAPSE_VERSION} from PyPI into {} (once per machine, about 30 s)",
        venv.display()
    );
    let how = format!(
        "the Matrix tests need a real Synapse homeserver. Install it with:\n  python3 -m venv {v} && {v}/bin/pip install matrix-synapse=={SYNAPSE_VERSION}\nor point WARROOM_SYNAPSE_VENV at a venv that has it (.ci/run does this).",
        v = venv.display()
    );
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("matrix-synapse=={SYNAPSE_VERSION}"))
            .status()
            .is_ok_and(|s| s.success());
    assert!(ok && has_synapse(&python), "installing Synapse failed; {how}");
    python
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Rate limits for tests: high enough never to throttle, unless a test asks for the bot to be
/// throttled (`message_rate`).
fn config(dir: &Path, port: u16, secret: &str, message_rate: Option<(f64, u32)>) -> String {
    let d = dir.display();
    let lots = "{per_second: 10000, burst_count: 10000}";
    let (mps, burst) = message_rate.unwrap_or((10000.0, 10000));
    format!(
        r#"server_name: "{SERVER_NAME}"
pid_file: "{d}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{d}/homeserver.db"
log_config: "{d}/log.yaml"
media_store_path: "{d}/media"
signing_key_path: "{d}/signing.key"
registration_shared_secret: "{secret}"
macaroon_secret_key: "{secret}-macaroon"
form_secret: "{secret}-form"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
bcrypt_rounds: 4
enable_registration: false
use_presence: false
url_preview_enabled: false
max_upload_size: 50M
# Tests poll /sync without a token; a cached answer would hide new invites.
caches:
  sync_response_cache_duration: 0
rc_message: {{per_second: {mps}, burst_count: {burst}}}
rc_registration: {lots}
rc_registration_token_validity: {lots}
rc_login:
  address: {lots}
  account: {lots}
  failed_attempts: {lots}
rc_admin_redaction: {lots}
rc_joins:
  local: {lots}
  remote: {lots}
rc_joins_per_room: {lots}
rc_3pid_validation: {lots}
rc_invites:
  per_room: {lots}
  per_user: {lots}
  per_issuer: {lots}
rc_third_party_invite: {lots}
rc_room_creation: {lots}
rc_media_create: {lots}
rc_presence:
  per_user: {lots}
rc_delayed_event_mgmt: {lots}
rc_reports: {lots}
"#
    )
}

const LOG_CONFIG: &str = "version: 1
formatters:
  plain:
    format: '%(asctime)s %(name)s %(levelname)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: plain
    filename: LOGFILE
root:
  level: WARNING
  handlers: [file]
loggers:
  synapse.access:
    level: INFO
disable_existing_loggers: false
";

pub struct Synapse {
    child: Option<Child>,
    pub url: String,
    dir: tempfile::TempDir,
    secret: String,
    http: reqwest::Client,
}

impl Synapse {
    pub async fn start() -> Synapse {
        Self::start_with(None).await
    }

    /// Synapse whose `rc_message` limit is `(per_second, burst)`; exempt users with `unthrottle`.
    pub async fn start_with(message_rate: Option<(f64, u32)>) -> Synapse {
        crate::support::init_crypto();
        let python = tokio::task::spawn_blocking(python).await.expect("install task");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let secret = format!("test-{:016x}", fastrand::u64(..));
        let d = dir.path();
        std::fs::write(d.join("homeserver.yaml"), config(d, port, &secret, message_rate)).expect("write config");
        std::fs::write(
            d.join("log.yaml"),
            LOG_CONFIG.replace("LOGFILE", &d.join("homeserver.log").display().to_string()),
        )
        .expect("write log config");
        let seed: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
        std::fs::write(
            d.join("signing.key"),
            format!("ed25519 a_test {}\n", b64(&seed).trim_end_matches('=')),
        )
        .expect("write signing key");
        let mut s = Synapse {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            secret,
            http: reqwest::Client::new(),
        };
        s.spawn(&python);
        s.wait_ready().await;
        s
    }

    fn spawn(&mut self, python: &Path) {
        let log = std::fs::File::create(self.dir.path().join("stdout.log")).expect("log file");
        let mut cmd = Command::new(python);
        cmd.args(["-m", "synapse.app.homeserver", "-c"])
            .arg(self.dir.path().join("homeserver.yaml"))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl only; if the test process dies, Synapse dies with it.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        self.child = Some(cmd.spawn().expect("start Synapse"));
    }

    /// How many of `user`'s requests Synapse answered with 429 (from its access log).
    #[allow(dead_code)] // not every module of the test binary uses it
    pub fn rate_limited(&self, user: &str) -> usize {
        std::fs::read_to_string(self.dir.path().join("homeserver.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("{{{user}}}")) && l.contains(" 429 \""))
            .count()
    }

    fn log_tail(&self) -> String {
        let mut out = String::new();
        for f in ["stdout.log", "homeserver.log"] {
            let text = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&lines[lines.len().saturating_sub(30)..].join("\n"));
            out.push('\n');
        }
        out
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("Synapse exited during startup ({status}):\n{}", self.log_tail());
            }
            let ok = self
                .http
                .get(format!("{}/_matrix/client/versions", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "Synapse did not answer within 90 s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stop the server (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: signalling our own child by pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port with the same data.
    pub async fn restart(&mut self) {
        self.stop();
        let python = python();
        self.spawn(&python);
        self.wait_ready().await;
    }

    /// Register a user through the shared-secret admin API; returns (user id, access token).
    pub async fn register(&self, name: &str, password: &str, admin: bool) -> (String, String) {
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: Value = self
            .http
            .get(&url)
            .send()
            .await
            .expect("nonce")
            .json()
            .await
            .expect("nonce json");
        let nonce = nonce["nonce"].as_str().expect("nonce field").to_string();
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        let kind = if admin { "admin" } else { "notadmin" };
        mac.update(format!("{nonce}\0{name}\0{password}\0{kind}").as_bytes());
        let mac = hex::encode(mac.finalize().into_bytes());
        let resp = self
            .http
            .post(&url)
            .json(&json!({"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac}))
            .send()
            .await
            .expect("register");
        let status = resp.status();
        let body: Value = resp.json().await.expect("register json");
        assert!(status.is_success(), "registering {name} failed: {status} {body}");
        (
            body["user_id"].as_str().expect("user_id").to_string(),
            body["access_token"].as_str().expect("token").to_string(),
        )
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        self.stop();
    }
}
