//! A scripted console session from alert to postmortem, and a restart on the same data dir.

use crate::support::{Sandbox, ok, read, stderr, stdout};

const ROOM: &str = "inc-1-ndw-etl-failed";

#[test]
fn alert_to_postmortem_and_restart_keeps_everything() {
    let sb = Sandbox::new();
    let script = "\
good morning team
NDW ETL failed
/incident lead @alice
/timeline 2026-11-20 13:25 UTC restarted docker on etl-1
/timeline 2026-11-20T13:31:00Z \"rerun\" started, it's slow
/incident sev sev1
/incident sev sev9
/incident milestone started 2026-11-20 13:00 UTC
/incident milestone detected 2026-11-20 13:05 UTC
/incident affects etl ndw-api
/postmortem impact NDW data was 50 minutes stale
/postmortem root-cause log rotation disabled
/action alert on disk usage @bob
/room alerts
NDW ETL failed
CRITICAL: payments db unreachable
/room inc-1-ndw-etl-failed
/incident resolve
/incident close
";
    let out = ok(sb.console("alice", script));
    let lines: Vec<&str> = out.lines().collect();
    // Every bot line is prefixed with its room.
    assert!(lines.iter().all(|l| l.starts_with('[')), "{out}");
    // Chatter is ignored; the alert opens INC-1 and the console moves into its room.
    assert_eq!(
        lines[0],
        format!("[alerts] INC-1 opened: NDW ETL failed — now in room {ROOM}")
    );
    assert!(
        lines[1].starts_with(&format!(
            "[{ROOM}] 🚨 INC-1: NDW ETL failed — SEV2 (major), investigating"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "[{ROOM}] Added #4 at 2026-11-20 13:25 UTC: restarted docker on etl-1"
        )),
        "{out}"
    );
    assert!(
        out.contains("Added #5 at 2026-11-20 13:31:00 UTC: \"rerun\" started, it's slow"),
        "{out}"
    );
    assert!(out.contains("not a valid severity"), "{out}");
    // The repeated alert attaches to INC-1; a different alert opens INC-2 (sev1).
    assert!(
        out.contains(&format!("[{ROOM}] alert repeated (×2): NDW ETL failed")),
        "{out}"
    );
    assert!(out.contains("[alerts] INC-2 opened: payments db unreachable"), "{out}");
    assert!(
        out.contains("🚨 INC-2: payments db unreachable — SEV1 (critical)"),
        "{out}"
    );
    // Close prints the draft and writes it to DATA_DIR/postmortems/INC-1.md.
    let md_path = sb.data().join("postmortems/INC-1.md");
    assert!(
        out.contains(&format!("[{ROOM}] Postmortem written to {}", md_path.display())),
        "{out}"
    );
    let md = read(&md_path);
    assert!(out.contains(&format!("[{ROOM}] # INC-1: NDW ETL failed")));
    for want in [
        "| Severity | SEV1 (critical) |",
        "| Commander | @alice |",
        "| Started | 2026-11-20 13:00 UTC |",
        "| Detected | 2026-11-20 13:05 UTC |",
        "| Time to detect | 5m |",
        "| Affected services | etl, ndw-api |",
        "NDW data was 50 minutes stale",
        "- log rotation disabled (alice)",
        "| 1 | alert on disk usage | open | @bob |",
        "- **2026-11-20 13:25 UTC** — alice: restarted docker on etl-1\n",
        "alert repeated (×2): NDW ETL failed",
        "_What happened, in two or three sentences?",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // Backdated entries sort before the later ones.
    assert!(md.find("13:00 UTC** — alice: milestone started").unwrap() < md.find("restarted docker").unwrap());

    // Restart: a new process on the same data dir sees everything.
    let list = ok(sb.run(&["incidents", "--all"]));
    assert!(
        list.contains("INC-1") && list.contains("closed") && list.contains("NDW ETL failed"),
        "{list}"
    );
    assert!(list.contains("INC-2") && list.contains("investigating"), "{list}");
    let open = ok(sb.run(&["incidents"]));
    assert!(!open.contains("INC-1 ") && open.contains("INC-2"), "{open}");
    let json = ok(sb.run(&["export", "INC-1", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status"], "closed");
    assert_eq!(v["timeline"][0]["at"], "2026-11-20T13:00:00Z");
    let n = v["timeline"].as_array().unwrap().len();

    // Continue the incident in a second session.
    let out = ok(sb.console(
        "bob",
        &format!(
            "/room {ROOM}\n/incident reopen\n/timeline edit 4 restarted docker on etl-1 and etl-2\n/timeline list\n"
        ),
    ));
    assert!(out.contains("INC-1 reopened"), "{out}");
    assert!(
        out.contains("restarted docker on etl-1 and etl-2 (edited by bob at "),
        "{out}"
    );
    let json = ok(sb.run(&["export", "INC-1", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status"], "investigating");
    assert_eq!(v["timeline"].as_array().unwrap().len(), n + 1);

    // Export to a file, HTML too.
    let html = sb.dir.path().join("inc1.html");
    let o = sb.run(&["export", "INC-1", "--format", "html", "--out", html.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&html).contains("<h1>INC-1: NDW ETL failed</h1>"));
}

#[test]
fn cli_errors_are_clear_and_change_nothing() {
    let sb = Sandbox::new();
    // Reading commands do not create a store in a mistyped data dir.
    let o = sb.run(&["incidents"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no warroom store"), "{}", stderr(&o));
    assert!(!sb.data().exists());
    // Alert text that starts with a console word is still an alert, and the session goes on.
    let out = ok(sb.console(
        "alice",
        "exit code 137: nightly ETL failed\n/room alerts\nroom 4 AC unit is down\n",
    ));
    assert!(out.contains("INC-1 opened: exit code 137: nightly ETL failed"), "{out}");
    assert!(out.contains("INC-2 opened: room 4 AC unit is down"), "{out}");
    let o = sb.run(&["export", "INC-9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("INC-9 does not exist"), "{}", stderr(&o));
    let o = sb.run(&["export", "INC-1", "--format", "pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values: md, json, html"), "{}", stderr(&o));
    let o = sb.run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("warroom console"), "{}", stderr(&o));
    // A bad config is a usage error naming the key; the data is untouched.
    let cfg = sb.dir.path().join("bad.toml");
    std::fs::write(&cfg, "timezone = \"UTC\"\n[console]\nalert_room = [\"x\"]\n").unwrap();
    let o = sb.run(&["--config", cfg.to_str().unwrap(), "check-config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("console.alert_room"), "{}", stderr(&o));
    let o = sb
        .cmd(&["check-config"])
        .env("WARROOM_TIMEZONE", "Europe/Amsterdam")
        .output()
        .unwrap();
    let shown = ok(o);
    assert!(
        shown.contains("timezone = \"Europe/Amsterdam\"") && shown.contains("configuration ok"),
        "{shown}"
    );
    assert!(ok(sb.run(&["incidents"])).contains("INC-1"));
}

/// The scripted demo from the README runs cleanly, twice in a row on one data dir.
#[test]
fn readme_demo_session_runs() {
    let sb = Sandbox::new();
    let script = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo-session.txt"));
    for (n, id) in [(1, "INC-1"), (2, "INC-2")] {
        let out = ok(sb.console("alice", &script));
        assert!(out.contains(&format!("{id} opened: NDW ETL failed")), "run {n}: {out}");
        assert!(!out.contains("usage:") && !out.contains("⚠"), "run {n}: {out}");
        let md = read(&sb.data().join(format!("postmortems/{id}.md")));
        for want in [
            "| Time to detect | 10m |",
            "| Time to acknowledge | 2m |",
            "| Time to mitigate | 40m |",
            "| Time to resolve | 55m |",
            "etl-1 ran out of disk",
            "- log rotation was disabled on etl-1 (alice)",
            "| 2 | alert on disk usage above 80% | open | @carol |",
        ] {
            assert!(md.contains(want), "run {n}: missing {want:?} in\n{md}");
        }
    }
}

/// Without `[access]` rules check-config says access control is off; with them the console
/// goes through the same rules as chat, by its user name.
#[test]
fn access_rules_in_check_config_and_console() {
    let sb = Sandbox::new();
    let o = sb.run(&["check-config"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: no [access] responders or admins: access control is off"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("# access: open"), "{}", stdout(&o));

    let shipped = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/warroom.toml"));
    std::fs::create_dir_all(sb.dir.path().join("config")).unwrap();
    std::fs::write(
        sb.dir.path().join("config/warroom.toml"),
        format!("{shipped}\n[access]\nresponders = [\"alice\"]\nadmins = [\"root\"]\n"),
    )
    .unwrap();
    let o = sb.run(&["check-config"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("access control is off"), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("# access: 1 responders, 1 admins; privileged: incident close"),
        "{}",
        stdout(&o)
    );

    let out = ok(sb.console("mallory", "/incident declare \"Fake outage\"\n"));
    assert!(
        out.contains("Only responders may declare incidents") && out.contains("You (mallory)"),
        "{out}"
    );
    let out = ok(sb.console("alice", "/incident declare \"Search is slow\"\n/incident lead @alice\n"));
    assert!(
        out.contains("INC-1") && out.contains("@alice is now commander"),
        "{out}"
    );
    let out = ok(sb.console("mallory", "/room inc-1-search-is-slow\n/incident close\n"));
    assert!(out.contains("Only responders may change INC-1"), "{out}");
    let listed = ok(sb.run(&["incidents", "--all"]));
    assert!(
        listed.contains("INC-1") && !listed.contains("Fake outage") && !listed.contains("closed"),
        "{listed}"
    );
}

/// The README's walkthrough, typed exactly as printed (its `text` blocks: the `alice@alerts>`
/// prompt line and the command lines), works whenever it is run: no line is refused, and the
/// draft it ends with is written.
#[test]
fn readme_walkthrough_runs_at_any_hour() {
    let readme = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let start = readme.find("## Walkthrough").expect("walkthrough section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut script = String::new();
    for block in section.split("```text\n").skip(1) {
        let block = &block[..block.find("```").expect("closed block")];
        for line in block.lines() {
            if let Some(typed) = line.strip_prefix("alice@alerts> ") {
                script.push_str(typed);
                script.push('\n');
            } else if line.starts_with('/') {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    assert!(script.lines().count() >= 10, "walkthrough not found:\n{script}");
    let sb = Sandbox::new();
    let out = ok(sb.console("alice", &script));
    for refusal in [
        "usage:",
        "can't",
        "is not a",
        "in the future",
        "⛔",
        "not an incident room",
        "⚠",
    ] {
        assert!(
            !out.contains(refusal),
            "a walkthrough line was refused ({refusal}):\n{out}"
        );
    }
    let md = read(&sb.data().join("postmortems/INC-1.md"));
    for want in [
        "| Commander | @alice |",
        "| Total impact | 44m |",
        "re-enable log rotation",
        "prevent",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

/// The console demo with a short reminder (`WARROOM_REMINDERS__LEAD_AFTER=10s`): nobody takes
/// the lead, and the incident's room is reminded while the session waits for input.
#[test]
fn the_console_shows_a_reminder_when_nobody_leads() {
    use std::io::{BufRead, Write};
    let sb = Sandbox::new();
    let mut child = sb
        .cmd(&["console", "--user", "alice"])
        .env("WARROOM_REMINDERS__LEAD_AFTER", "10s")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn console");
    let mut stdin = child.stdin.take().expect("stdin");
    // Half a line before the check must survive it.
    stdin.write_all(b"NDW ETL failed\n/timeline still").unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let mut seen = Vec::new();
    let reminder = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains("⏰") => break l,
            Ok(l) => seen.push(l),
            Err(_) => panic!("no reminder within 40 s; saw {seen:#?}"),
        }
    };
    assert!(
        reminder.starts_with(&format!("[{ROOM}] ⏰ Nobody leads INC-1 yet")),
        "{reminder}"
    );
    stdin.write_all(b" investigating\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("still investigating")),
        "the half-typed line was kept: {rest:#?}"
    );
}
