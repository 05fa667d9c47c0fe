//! Tests of the access rules and rate limits as the service applies them (access_tests).
use chrono::Duration;

use super::tests::{Harness, harness, harness_with};
use super::*;
use crate::domain::Status;

const ACCESS: &str = "[access]\nresponders = [\"alice\", \"bob\", \"carol\"]\nadmins = [\"root\"]\n";

/// A message from `who` on `source`, with the standing the adapter vouches for.
fn from(h: &Harness, source: Source, room: &str, who: &str, text: &str, standing: Standing) -> Inbound {
    Inbound {
        source,
        standing,
        ..h.msg(room, who, text)
    }
}

fn reply(n: &[Notice]) -> String {
    Harness::reply(n)
}

/// How many refusals /metrics shows for `reason`.
fn refused(reason: &str) -> u64 {
    let out = crate::telemetry::metrics().render(&[]);
    let prefix = format!("warroom_commands_refused_total{{reason=\"{reason}\"}} ");
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn without_access_rules_everyone_may_do_everything() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    h.say(&inc.slug, "alice", "/incident lead @alice").await;
    let n = h.say(&inc.slug, "mallory", "/incident close").await;
    assert!(reply(&n).contains("closed"), "{n:?}");
    assert_eq!(h.incident(inc.id).status, Status::Closed);
}

#[tokio::test]
async fn only_responders_declare_and_write() {
    let h = harness_with(ACCESS);
    let before = refused("not_responder");
    let n = h.say("alerts", "mallory", "/incident declare \"Fake outage\"").await;
    let text = reply(&n);
    assert!(
        text.contains("Only responders may declare incidents")
            && text.contains("[access] responders")
            && text.contains("You (mallory)"),
        "{text}"
    );
    assert!(
        h.svc.store().incidents(true).unwrap().is_empty(),
        "a refused declare created an incident"
    );
    assert!(refused("not_responder") > before);
    let n = h.say("alerts", "alice", "/incident declare \"Search is slow\"").await;
    let Some(Notice::Opened { incident, .. }) = n.into_iter().next() else {
        panic!("a responder could not declare")
    };
    let inc = h
        .svc
        .bind_room(incident.id, &format!("console:{}", incident.slug).parse().unwrap())
        .await
        .unwrap();
    // Writes by a non-responder change nothing; reading is open to whoever is in the room.
    let entries = h.svc.store().entries(inc.id).unwrap().len();
    for cmd in [
        "/timeline forged entry",
        "/incident sev sev1",
        "/postmortem impact none",
        "/action x",
    ] {
        let text = reply(&h.say(&inc.slug, "mallory", cmd).await);
        assert!(
            text.contains(&format!("Only responders may change {}", inc.id)),
            "{cmd}: {text}"
        );
    }
    assert_eq!(h.svc.store().entries(inc.id).unwrap().len(), entries);
    assert_eq!(h.incident(inc.id), inc);
    assert!(reply(&h.say(&inc.slug, "mallory", "/incident show").await).contains(&inc.id.to_string()));
    // Admins count as responders.
    assert!(reply(&h.say(&inc.slug, "root", "/timeline admin was here").await).contains("Added"));
}

#[tokio::test]
async fn privileged_commands_belong_to_the_commander_and_admins() {
    let h = harness_with(ACCESS);
    // An alert-opened incident has no commander: any responder may close and reopen it.
    let inc = h.open("NDW ETL failed").await;
    assert!(reply(&h.say(&inc.slug, "carol", "/incident close").await).contains("closed"));
    assert!(reply(&h.say(&inc.slug, "carol", "/incident reopen").await).contains("reopened"));
    // The first commander may be named by any responder; handing over is privileged.
    assert!(reply(&h.say(&inc.slug, "alice", "/incident lead @bob").await).contains("commander"));
    let before = refused("privileged");
    for (cmd, what) in [
        ("/incident close", "close"),
        ("/incident lead @alice", "change the commander of"),
    ] {
        let text = reply(&h.say(&inc.slug, "alice", cmd).await);
        assert_eq!(
            text,
            format!("⛔ Only the commander (@bob) or an admin may {what} {}.", inc.id),
            "{cmd}"
        );
    }
    assert!(refused("privileged") >= before + 2);
    let now = h.incident(inc.id);
    assert_eq!(now.status, Status::Investigating);
    assert_eq!(now.commander(), Some("@bob"));
    // The commander may; an admin (not even a responder) may.
    assert!(reply(&h.say(&inc.slug, "bob", "/incident close").await).contains("closed"));
    assert!(reply(&h.say(&inc.slug, "root", "/incident reopen").await).contains("reopened"));
    assert!(reply(&h.say(&inc.slug, "root", "/incident lead @carol").await).contains("carol is now commander"));
    assert!(reply(&h.say(&inc.slug, "bob", "/incident close").await).contains("Only the commander (@carol)"));
}

#[tokio::test]
async fn others_entries_and_replaced_sections_are_privileged() {
    let h = harness_with(ACCESS);
    let inc = h.open("NDW ETL failed").await;
    h.say(&inc.slug, "alice", "/incident lead @bob").await;
    let seq = |text: &str| {
        h.svc
            .store()
            .entries(inc.id)
            .unwrap()
            .iter()
            .find(|e| e.text == text)
            .map(|e| e.seq)
            .unwrap()
    };
    h.say(&inc.slug, "carol", "/timeline carol saw it first").await;
    h.say(&inc.slug, "alice", "/timeline alice restarted it").await;
    let (c, a) = (seq("carol saw it first"), seq("alice restarted it"));
    // Alice may not change Carol's entry; she may change her own.
    for (cmd, what) in [
        (
            format!("/timeline edit {c} rewritten"),
            "edit someone else's timeline entry in",
        ),
        (
            format!("/timeline delete {c}"),
            "delete someone else's timeline entry in",
        ),
    ] {
        let text = reply(&h.say(&inc.slug, "alice", &cmd).await);
        assert_eq!(
            text,
            format!("⛔ Only the commander (@bob) or an admin may {what} {}.", inc.id)
        );
    }
    let carols = h.svc.store().entry(inc.id, c).unwrap().unwrap();
    assert!(carols.text == "carol saw it first" && carols.deleted.is_none() && carols.edits.is_empty());
    assert!(
        reply(
            &h.say(&inc.slug, "alice", &format!("/timeline edit {a} alice restarted etl-1"))
                .await
        )
        .contains("now reads")
    );
    // The commander may change anyone's entry.
    assert!(reply(&h.say(&inc.slug, "bob", &format!("/timeline delete {c}")).await).contains("removed"));
    // Adding to a section is open to responders; replacing it is not.
    assert!(reply(&h.say(&inc.slug, "alice", "/postmortem impact stale data").await).contains("Added"));
    let text = reply(
        &h.say(&inc.slug, "alice", "/postmortem impact --replace nothing happened")
            .await,
    );
    assert_eq!(
        text,
        format!(
            "⛔ Only the commander (@bob) or an admin may replace a postmortem section of {}.",
            inc.id
        )
    );
    let sections = &h.incident(inc.id).sections;
    assert_eq!(
        sections.values().flatten().map(|c| c.text.as_str()).collect::<Vec<_>>(),
        ["stale data"]
    );
    assert!(reply(&h.say(&inc.slug, "bob", "/postmortem impact --replace none").await).contains("Replaced"));
}

#[tokio::test]
async fn responders_by_group_power_level_or_everyone() {
    // Slack user groups and Matrix power levels, as the adapters vouch for them.
    let h = harness_with("[access]\nresponders = [\"S0ONCALL1\"]\nmatrix_power_level = 50\n");
    let group = Standing {
        groups: vec!["S0ONCALL1".into()],
        ..Standing::default()
    };
    let n = h
        .svc
        .handle(from(
            &h,
            Source::Slack,
            "alerts",
            "U0DAVE001",
            "/incident declare \"One\"",
            group,
        ))
        .await;
    assert!(matches!(&n[..], [Notice::Opened { .. }]), "{n:?}");
    let n = h
        .svc
        .handle(from(
            &h,
            Source::Slack,
            "alerts",
            "U0EVE0001",
            "/incident declare \"Two\"",
            Standing::default(),
        ))
        .await;
    assert!(reply(&n).contains("Only responders"), "{n:?}");
    for (level, ok) in [(50, true), (100, true), (49, false)] {
        let standing = Standing {
            power_level: Some(level),
            ..Standing::default()
        };
        let n = h
            .svc
            .handle(from(
                &h,
                Source::Matrix,
                "alerts",
                "@x:example.org",
                "!incident declare \"Three\"",
                standing,
            ))
            .await;
        assert_eq!(
            matches!(&n[..], [Notice::Opened { .. }]),
            ok,
            "power level {level}: {n:?}"
        );
        if !ok {
            assert!(reply(&n).contains("power level 50 or more"), "{n:?}");
        }
    }
    // "*": everyone may declare and write, privileged commands still need the commander.
    let h = harness_with("[access]\nresponders = [\"*\"]\n");
    let inc = h.open("NDW ETL failed").await;
    assert!(reply(&h.say(&inc.slug, "anyone", "/incident lead @zed").await).contains("commander"));
    assert!(reply(&h.say(&inc.slug, "anyone", "/incident close").await).contains("Only the commander (@zed)"));
}

#[tokio::test]
async fn commands_per_user_are_rate_limited_on_the_service_clock() {
    let h = harness_with("[access]\ncommands_per_minute = 3\n");
    let inc = h.open("NDW ETL failed").await;
    let slack = |text: &str| from(&h, Source::Slack, &inc.slug, "U0FAST001", text, Standing::default());
    let before = refused("command_rate");
    for i in 0..3 {
        assert!(reply(&h.svc.handle(slack(&format!("/timeline typed {i}"))).await).contains("Added"));
    }
    let text = reply(&h.svc.handle(slack("/timeline one too many")).await);
    assert_eq!(
        text,
        "⏳ Slow down: at most 3 commands a minute per person. Try again in 20 s."
    );
    // Invalid commands count too (their replies cost as much).
    assert!(reply(&h.svc.handle(slack("/timeline edit x")).await).contains("Try again in 20 s"));
    assert!(refused("command_rate") >= before + 2);
    let texts: Vec<String> = h
        .svc
        .store()
        .entries(inc.id)
        .unwrap()
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(!texts.iter().any(|t| t == "one too many"), "{texts:?}");
    // Someone else is not affected; the console is never limited.
    let other = from(
        &h,
        Source::Slack,
        &inc.slug,
        "U0CALM001",
        "/timeline calm",
        Standing::default(),
    );
    assert!(reply(&h.svc.handle(other).await).contains("Added"));
    for i in 0..10 {
        assert!(reply(&h.say(&inc.slug, "alice", &format!("/timeline console {i}")).await).contains("Added"));
    }
    // 19 s later still not; 20 s later one more.
    *h.clock.0.lock().unwrap() += Duration::seconds(19);
    assert!(reply(&h.svc.handle(slack("/timeline not yet")).await).contains("Try again in 1 s"));
    *h.clock.0.lock().unwrap() += Duration::seconds(1);
    assert!(reply(&h.svc.handle(slack("/timeline now")).await).contains("Added"));
}

#[tokio::test]
async fn declarations_per_user_are_rate_limited() {
    let h = harness_with("[access]\ndeclarations_per_minute = 2\n");
    let declare = |who: &str, n: u32| {
        from(
            &h,
            Source::Matrix,
            "alerts",
            who,
            &format!("!incident declare \"outage {n}\""),
            Standing::default(),
        )
    };
    let before = refused("declaration_rate");
    for n in 0..2 {
        let out = h.svc.handle(declare("@fast:example.org", n)).await;
        assert!(matches!(&out[..], [Notice::Opened { .. }]), "{out:?}");
    }
    let text = reply(&h.svc.handle(declare("@fast:example.org", 2)).await);
    assert!(
        text.starts_with("⏳ At most 2 incidents a minute may be declared per person. Try again in 30 s"),
        "{text}"
    );
    assert_eq!(
        h.svc.store().incidents(true).unwrap().len(),
        2,
        "a refused declaration opened an incident"
    );
    assert!(refused("declaration_rate") > before);
    // Other commands of that user still work; another user may declare.
    let out = h.svc.handle(declare("@calm:example.org", 3)).await;
    assert!(matches!(&out[..], [Notice::Opened { .. }]), "{out:?}");
    h.advance(1);
    let out = h.svc.handle(declare("@fast:example.org", 4)).await;
    assert!(matches!(&out[..], [Notice::Opened { .. }]), "{out:?}");
}

#[tokio::test]
async fn replacing_a_custom_section_is_privileged_like_a_built_in_one() {
    let config = format!("{ACCESS}\n[[postmortem.sections]]\nkey = \"cost\"\ntitle = \"Cost\"\n");
    let h = harness_with(&config);
    let inc = h.open("NDW ETL failed").await;
    h.say(&inc.slug, "alice", "/incident lead @bob").await;
    assert!(reply(&h.say(&inc.slug, "alice", "/postmortem cost 3 hours").await).contains("Added to Cost"));
    let text = reply(&h.say(&inc.slug, "alice", "/postmortem cost --replace none").await);
    assert_eq!(
        text,
        format!(
            "⛔ Only the commander (@bob) or an admin may replace a postmortem section of {}.",
            inc.id
        )
    );
    assert_eq!(h.incident(inc.id).custom_sections["cost"][0].text, "3 hours");
    assert!(reply(&h.say(&inc.slug, "bob", "/postmortem cost --replace none").await).contains("Replaced Cost"));
}
