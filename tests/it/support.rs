//! Helpers shared by the integration tests: run the real binary hermetically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// A data dir and a working directory without a config file, so the built-in defaults apply.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// `WARROOM_*` settings every command of this sandbox gets (`with_env`).
    env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
            env: Vec::new(),
        }
    }

    /// A sandbox whose commands all run with these environment settings (a time zone, the
    /// postmortem language, ...), in place of a config file.
    pub fn with_env(env: &[(&str, &str)]) -> Sandbox {
        Sandbox {
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Sandbox::new()
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `warroom --data-dir DATA <args>` with no inherited WARROOM_* variables.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .arg("--data-dir")
            .arg(self.data())
            .args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("WARROOM_") {
                c.env_remove(k);
            }
        }
        c.env("WARROOM_LOG", "warn");
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run warroom")
    }

    /// Feed `script` to `warroom console --user USER` through a pipe.
    pub fn console(&self, user: &str, script: &str) -> Output {
        let mut child = self
            .cmd(&["console", "--user", user])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn console");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write script");
        child.wait_with_output().expect("console output")
    }
}

/// Install rustls's crypto provider (aws-lc-rs, the only one compiled in) as the process
/// default once per test process, before any HTTP client is built.
pub fn init_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert success and return stdout.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `p` quantile (0..=1, nearest rank) of sorted samples, in milliseconds (benches).
#[allow(dead_code)]
pub fn percentile_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// A memory figure of a process from /proc (`VmRSS:`, `VmHWM:`), in MB (benches).
#[allow(dead_code)]
pub fn proc_mb(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A process's memory as the benches report it: RSS split into anonymous memory and file-backed
/// pages (mostly the binary's code), and PSS; in MiB ("MB").
#[allow(dead_code)]
pub fn memory(pid: u32) -> String {
    format!(
        "RSS {:.1} MB (anonymous {:.1}, file {:.1}), PSS {:.1} MB",
        proc_mb(pid, "VmRSS:"),
        proc_mb(pid, "RssAnon:"),
        proc_mb(pid, "RssFile:"),
        smaps_pss_mb(pid)
    )
}

/// A process's proportional set size from /proc (`smaps_rollup`), in MB (benches).
#[allow(dead_code)]
pub fn smaps_pss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The `/metrics` text of the bot at `base`.
#[allow(dead_code)]
pub async fn scrape(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body")
}

/// The value of the first sample whose line starts with `line_start` (0 when there is none).
#[allow(dead_code)]
pub fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}
