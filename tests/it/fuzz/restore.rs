//! Fuzzing `restore` with mutated backups (and random bytes); an accepted one must open,
//! render, and restore again from its own backup.

use super::json::*;

use super::*;

/// A valid backup from the real binary: two incidents (one closed) with notes, an edited and a
/// deleted entry, roles, milestones, an action and postmortem sections.
fn valid_backup() -> Vec<Value> {
    let sb = crate::support::Sandbox::new();
    crate::support::ok(sb.console(
        "alice",
        "NDW ETL failed\n/incident lead @alice\n/timeline 10:00 first note\n/timeline edit 3 first note, edited\n/timeline second\n/timeline delete 4\n/incident milestone mitigated\n/postmortem summary it broke\n/action fix it @bob\n/incident affects etl, api\n/incident close\n/room alerts\nAPI is down\n",
    ));
    let o = sb.run(&["backup", "-"]);
    assert!(o.status.success());
    crate::support::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum LineEdit {
    Json(usize, JsonEdit),
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        6 => (any::<usize>(), json_edit()).prop_map(|(i, e)| LineEdit::Json(i, e)),
        1 => any::<usize>().prop_map(LineEdit::Drop),
        1 => any::<usize>().prop_map(LineEdit::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
    ]
}

/// Mutated backups. With `fix_counts`, the end marker is made to agree with the lines again,
/// so the mutation reaches the checks behind the count check.
fn backup_text(base: Vec<Value>) -> impl Strategy<Value = Vec<u8>> {
    let structured = (proptest::collection::vec(line_edit(), 1..4), any::<bool>()).prop_map(move |(edits, fix)| {
        let mut lines = base.clone();
        for e in &edits {
            let n = lines.len();
            match e {
                LineEdit::Json(i, je) => edit_json(&mut lines[i % n], je),
                LineEdit::Drop(i) if n > 1 => {
                    lines.remove(i % n);
                }
                LineEdit::Duplicate(i) => {
                    let l = lines[i % n].clone();
                    lines.insert(i % n, l);
                }
                LineEdit::Swap(a, b) => lines.swap(a % n, b % n),
                _ => {}
            }
        }
        if fix {
            let count = |t: &str| lines.iter().filter(|l| l["type"] == t).count();
            let (i, e, s) = (count("incident"), count("entry"), count("seen"));
            if let Some(last) = lines.last_mut().filter(|l| l["type"] == "end") {
                last["incidents"] = i.into();
                last["entries"] = e.into();
                last["seen"] = s.into();
            }
        }
        lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
    });
    prop_oneof![
        8 => structured,
        1 => proptest::collection::vec(any::<u8>(), 0..400),
    ]
}

/// Open the store `restore` just released. Another test of this process may be starting a
/// child process at that moment: between fork and exec the child holds a copy of every open
/// file, the lock file included, so the lock can look taken for a few milliseconds.
fn open_when_released(dir: &std::path::Path) -> warroom::store::Store {
    for _ in 0..200 {
        match warroom::store::Store::open(dir, "fuzz") {
            Err(warroom::store::StoreError::Locked { .. }) => std::thread::sleep(std::time::Duration::from_millis(10)),
            other => return other.unwrap(),
        }
    }
    panic!("{} stayed locked for 2 s after restore returned", dir.display())
}

/// Restore `bytes` into a fresh data dir under `root`. Refused: nothing was created. Accepted:
/// the store opens, every incident renders in every export format, and a backup of it restores
/// again (what restore accepts, it also writes).
fn check_restore(
    root: &std::path::Path,
    n: &Cell<u64>,
    accepted: &Cell<u64>,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    n.set(n.get() + 1);
    let dir = root.join(format!("case-{}", n.get()));
    match warroom::store::restore(&dir, bytes, false) {
        Err(e) => {
            prop_assert!(e.to_string().ends_with("nothing was changed"), "{e}");
            prop_assert!(!dir.join("store").exists(), "a refused restore left a store");
        }
        Ok(_) => {
            accepted.set(accepted.get() + 1);
            let store = open_when_released(&dir);
            for inc in store.incidents(true).unwrap() {
                let entries = store.entries(inc.id).unwrap();
                let pm = warroom::postmortem::Postmortem::build(&inc, &entries, chrono_tz::Europe::Amsterdam, now());
                for f in [
                    warroom::postmortem::ExportFormat::Markdown,
                    warroom::postmortem::ExportFormat::Json,
                    warroom::postmortem::ExportFormat::Html,
                ] {
                    let _ = warroom::postmortem::render(&pm, f);
                }
            }
            let mut again = Vec::new();
            store.backup(&mut again, now()).unwrap();
            drop(store);
            let copy = root.join(format!("case-{}-again", n.get()));
            let restored = warroom::store::restore(&copy, &again[..], false);
            prop_assert!(
                restored.is_ok(),
                "a backup of a restored store is refused: {:?}",
                restored.err()
            );
            let _ = std::fs::remove_dir_all(&copy);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn fuzz_restore_n(cases: u32) {
    let root = tempfile::tempdir().unwrap();
    let (n, accepted) = (Cell::new(0), Cell::new(0));
    fuzz("restore", cases, backup_text(valid_backup()), |b| {
        check_restore(root.path(), &n, &accepted, &b)
    });
    eprintln!(
        "fuzz restore: {} inputs restored (and re-checked), the rest refused",
        accepted.get()
    );
}

#[test]
fn fuzz_restore() {
    fuzz_restore_n(800);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs (default 100,000)"]
fn fuzz_restore_long() {
    fuzz_restore_n(long_cases(100_000));
}
