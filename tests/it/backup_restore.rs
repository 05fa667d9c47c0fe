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
