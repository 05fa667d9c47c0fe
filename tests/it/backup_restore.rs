//! `warroom backup` / `warroom restore` round-trip everything through JSON Lines.

use crate::support::{Sandbox, ok, read, stderr};

fn strip_generated(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_object_mut().unwrap().remove("generated_at");
    v
}

#[test]
fn backup_restore_round_trip() {
    let src = Sandbox::new();
    ok(src.console(
        "alice",
        "NDW ETL failed\n/timeline 10:00 first note\n/postmortem summary it broke\n/action fix it @bob\n/timeline delete 3\n/room alerts\nAPI is down\n/incident close\n",
    ));
    let file = src.dir.path().join("backup.jsonl");
    let o = src.run(&["backup", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 incidents"), "{}", stderr(&o));
    let text = read(&file);
    assert!(text.lines().next().unwrap().contains("\"format\":\"warroom-backup\""));
    assert!(text.lines().last().unwrap().contains("\"type\":\"end\""));

    let dst = Sandbox::new();
    let o = dst.run(&["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for id in ["INC-1", "INC-2"] {
        let a = ok(src.run(&["export", id, "--format", "json"]));
        let b = ok(dst.run(&["export", id, "--format", "json"]));
        assert_eq!(strip_generated(&a), strip_generated(&b), "{id} differs after restore");
    }
    assert_eq!(
        ok(src.run(&["incidents", "--all"])),
        ok(dst.run(&["incidents", "--all"]))
    );
    // A second backup of the restored store holds the same records.
    let again = dst.dir.path().join("again.jsonl");
    ok(dst.run(&["backup", again.to_str().unwrap()]));
    let body = |t: &str| t.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(body(&text), body(&read(&again)));
    // The restored store keeps working: ids continue.
    let out = ok(dst.console("bob", "BAG ETL failed\n"));
    assert!(out.contains("INC-3 opened"), "{out}");

    // Restoring over existing data is refused without --force, and keeps the old store with it.
    let o = dst.run(&["restore", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(ok(dst.run(&["incidents", "--all"])).contains("INC-3"));
    let o = dst.run(&["restore", "--force", file.to_str().unwrap()]);
    assert!(stderr(&o).contains("moved to"), "{}", stderr(&o));
    assert!(!ok(dst.run(&["incidents", "--all"])).contains("INC-3"));

    // A damaged backup changes nothing.
    let cut = src.dir.path().join("cut.jsonl");
    std::fs::write(&cut, text.lines().take(4).collect::<Vec<_>>().join("\n")).unwrap();
    let empty = Sandbox::new();
    let o = empty.run(&["restore", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));
    assert!(!empty.data().join("store").exists());
}

/// A backup's lines as JSON values, to craft damaged ones from.
fn backup_values(sb: &Sandbox) -> Vec<serde_json::Value> {
    let o = sb.run(&["backup", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    crate::support::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn lines_of(values: &[serde_json::Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// The `data` of every line of `kind` (`incident`, `entry`) for incident `id`.
fn records<'a>(
    values: &'a mut [serde_json::Value],
    kind: &'a str,
    id: u64,
) -> impl Iterator<Item = &'a mut serde_json::Value> + 'a {
    values.iter_mut().filter_map(move |v| {
        let ours = v["type"] == kind && (v["data"]["id"] == id || v["incident"] == id);
        ours.then(|| &mut v["data"])
    })
}

fn incident(values: &mut [serde_json::Value], id: u64) -> &mut serde_json::Value {
    records(values, "incident", id).next().unwrap()
}

type Craft = Box<dyn Fn(&mut Vec<serde_json::Value>)>;

#[test]
fn crafted_backups_are_refused_cleanly_and_change_nothing() {
    let src = Sandbox::new();
    ok(src.console(
        "alice",
        "NDW ETL failed\n/timeline 10:00 first note\n/postmortem summary it broke\n/action fix it @bob\n/incident close\n/room alerts\nAPI is down\n",
    ));
    let good = backup_values(&src);
    // Each restore target already has a store; a refused restore with --force must leave it.
    let target = || {
        let dst = Sandbox::new();
        ok(dst.console("bob", "BAG ETL failed\n"));
        dst
    };
    let listing = |dst: &Sandbox| {
        let mut names: Vec<_> = std::fs::read_dir(dst.data())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        (names, ok(dst.run(&["incidents", "--all"])))
    };
    let huge_title = "x".repeat(2_000_000);
    let year_min = serde_json::to_value(chrono::DateTime::<chrono::Utc>::MIN_UTC).unwrap();
    let cases: Vec<(&str, Craft)> = vec![
        // `(1..=last_seq).collect()` allocated 800 GB and aborted.
        (
            "exactly once",
            Box::new(|v| incident(v, 1)["last_seq"] = 100_000_000_000u64.into()),
        ),
        // capacity overflow
        (
            "exactly once",
            Box::new(|v| incident(v, 1)["last_seq"] = u64::MAX.into()),
        ),
        // `max_id + 1` overflowed.
        (
            "ids up to INC-18446744073709551615",
            Box::new(|v| {
                let inc = incident(v, 2);
                inc["id"] = u64::MAX.into();
                inc["slug"] = format!("inc-{}-api-is-down", u64::MAX).into();
                for e in v.iter_mut().filter(|e| e["incident"] == 2) {
                    e["incident"] = u64::MAX.into();
                }
            }),
        ),
        // Restored, then the next declaration overflowed.
        (
            "next incident id is 18446744073709551615",
            Box::new(|v| v[1]["next_incident_id"] = u64::MAX.into()),
        ),
        (
            "next incident id is 7",
            Box::new(|v| v[1]["next_incident_id"] = 7.into()),
        ),
        (
            "title: text is too long (2000000 characters",
            Box::new(move |v| incident(v, 1)["title"] = huge_title.clone().into()),
        ),
        (
            "bound to both INC-1 and INC-2",
            Box::new(|v| {
                let room = incident(v, 1)["rooms"][0].clone();
                incident(v, 2)["rooms"] = serde_json::json!([room]);
            }),
        ),
        (
            "outside the years 0 to 9999",
            Box::new(move |v| incident(v, 2)["milestones"]["detected"] = year_min.clone()),
        ),
        (
            "outside the years 0 to 9999",
            Box::new(|v| records(v, "entry", 1).next().unwrap()["at"] = "+10001-01-01T00:00:00Z".into()),
        ),
        (
            "before detected",
            Box::new(|v| incident(v, 2)["milestones"]["mitigated"] = "2000-01-01T00:00:00Z".into()),
        ),
        (
            "does not match the closed milestone",
            Box::new(|v| incident(v, 2)["status"] = "closed".into()),
        ),
        (
            "actions are numbered",
            Box::new(|v| incident(v, 1)["actions"][0]["n"] = u32::MAX.into()),
        ),
        (
            "two holders",
            Box::new(|v| incident(v, 2)["roles"] = serde_json::json!([["commander", "@a"], ["commander", "@b"]])),
        ),
        (
            "entry #0",
            Box::new(|v| records(v, "entry", 2).next().unwrap()["seq"] = 0.into()),
        ),
        (
            "beyond the incident's last entry number",
            Box::new(|v| records(v, "entry", 2).last().unwrap()["seq"] = u64::MAX.into()),
        ),
        (
            "entry #3: text is too long",
            Box::new(|v| records(v, "entry", 1).nth(2).unwrap()["text"] = "y".repeat(8_001).into()),
        ),
        (
            "recorded automatically but has edits",
            Box::new(
                |v| records(v, "entry", 1).next().unwrap()["edits"] = serde_json::json!([{"at": "2026-01-01T00:00:00Z", "by": {"id": "x", "name": "x"}, "previous_text": "t"}]),
            ),
        ),
        (
            "room name",
            Box::new(|v| incident(v, 2)["slug"] = "inc-2-<!channel>".into()),
        ),
        (
            "appears twice",
            Box::new(|v| {
                let seen = serde_json::json!({"type": "seen", "event_id": "$e", "at": "x"});
                let end = v.pop().unwrap();
                v.extend([seen.clone(), seen]);
                v.push(end);
                let n = v.len() - 1;
                v[n]["seen"] = 2.into();
            }),
        ),
    ];
    let file = src.dir.path().join("crafted.jsonl");
    let mut problems = Vec::new();
    for (says, craft) in &cases {
        let mut values = good.clone();
        craft(&mut values);
        std::fs::write(&file, lines_of(&values)).unwrap();
        let dst = target();
        let before = listing(&dst);
        let o = dst.run(&["restore", "--force", file.to_str().unwrap()]);
        let err = stderr(&o);
        let first = err.lines().next().unwrap_or_default();
        if o.status.code() != Some(1) || !err.contains(says) || !err.trim_end().ends_with("nothing was changed") {
            problems.push(format!("`{says}`: exit {:?}: {first}", o.status.code()));
        }
        if listing(&dst) != before {
            problems.push(format!("`{says}` changed the data dir"));
        }
    }
    assert!(problems.is_empty(), "not refused cleanly:\n{}", problems.join("\n"));
    // A literal float where a count belongs is refused by the JSON reader.
    let text = lines_of(&good).replacen("\"last_seq\":6", "\"last_seq\":1e11", 1);
    assert!(text.contains("1e11"));
    std::fs::write(&file, text).unwrap();
    let dst = target();
    let before = listing(&dst);
    let o = dst.run(&["restore", "--force", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).trim_end().ends_with("nothing was changed"), "{}", stderr(&o));
    assert_eq!(listing(&dst), before);
    // The uncrafted file restores, and the store keeps working.
    std::fs::write(&file, lines_of(&good)).unwrap();
    ok(dst.run(&["restore", "--force", file.to_str().unwrap()]));
    assert!(ok(dst.console("bob", "DNS is down\n")).contains("INC-3 opened"));
}

/// `warroom backup` while `warroom run` holds the data dir and a webhook burst is being written:
/// the backup comes from the running bot, restores (so every incident passes the invariants
/// `restore` checks), holds every alert acknowledged before it started, and each incident's
/// timeline is #1..#n without gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_during_a_webhook_burst_restores_to_a_consistent_prefix() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    crate::support::init_crypto();
    let mut bot = crate::mx::BotProc::configured(
        "[hooks.generic]\n",
        &[
            ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "backup-bearer-5e21"),
            ("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "0"),
        ],
        "http: listening",
    );
    bot.start().await;
    bot.wait_log("local API listening", 1).await;
    let url = format!("{}/hooks/generic", bot.http_url());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for s in 0..6 {
        let (http, url, acked, stop) = (http.clone(), url.clone(), acked.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                // Every third alert repeats an earlier fingerprint, so incidents also grow
                // timelines during the backup, not only new incidents appear.
                let fp = if n % 3 == 2 {
                    format!("bk-{s}-{}", n - 1)
                } else {
                    format!("bk-{s}-{n}")
                };
                let body = serde_json::json!({"title": format!("Burst {fp}"), "fingerprint": fp, "severity": "sev4"});
                let sent = http
                    .post(&url)
                    .bearer_auth("backup-bearer-5e21")
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push(fp),
                    _ => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 150 {
        assert!(Instant::now() < deadline, "the burst did not get going:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acked.lock().unwrap().clone();
    let file = bot.sb.dir.path().join("online.jsonl");
    let mut backup = bot.cmd(&["backup", file.to_str().unwrap()]);
    let started = Instant::now();
    let o = tokio::task::spawn_blocking(move || backup.output().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    let during = acked.lock().unwrap().len();
    assert!(o.status.success(), "{}\n{}", stderr(&o), bot.log());
    assert!(stderr(&o).contains("from the running bot"), "{}", stderr(&o));
    // The bot keeps acknowledging alerts after the backup.
    let mut after = acked.lock().unwrap().len();
    while after < during + 20 {
        assert!(
            Instant::now() < deadline,
            "the burst stopped after the backup:\n{}",
            bot.log()
        );
        tokio::task::yield_now().await;
        after = acked.lock().unwrap().len();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in senders {
        let _ = s.await;
    }
    assert!(bot.stop().success(), "{}", bot.log());
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!(
        "online backup: {size} bytes in {took:?}, {} alerts acknowledged before it, {during} when it ended, {after} in all",
        before.len()
    );

    // Restore validates every incident's invariants and timeline numbering.
    let dst = Sandbox::new();
    let o = dst.run(&["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = ok(dst.run(&["incidents", "--all"]));
    let titles: std::collections::HashSet<&str> = listed
        .lines()
        .filter_map(|l| l.split_once(" Burst ").map(|(_, t)| t))
        .collect();
    let first_seen: std::collections::HashSet<&str> = before.iter().map(String::as_str).collect();
    let missing: Vec<&&str> = first_seen.iter().filter(|fp| !titles.contains(**fp)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but missing: {missing:?}"
    );
    // Each incident's timeline is #1..#n, read from the file itself.
    let mut seqs: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
    for line in read(&file).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] == "entry" {
            seqs.entry(v["incident"].as_u64().unwrap())
                .or_default()
                .push(v["data"]["seq"].as_u64().unwrap());
        }
    }
    assert!(!seqs.is_empty());
    for (id, s) in seqs {
        assert_eq!(
            s,
            (1..=s.len() as u64).collect::<Vec<_>>(),
            "INC-{id} timeline has gaps"
        );
    }
}
