//! Files written by the real binary: exports and backups are atomic, private (0600) and never
//! written through a planted link or over a device or FIFO; `-` and `/dev/stdout` are standard
//! output; a fresh data dir and everything in it is private; a loose data dir is warned about.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use crate::support::{Sandbox, ok, read, stderr, stdout};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

fn with_incident() -> Sandbox {
    let sb = Sandbox::new();
    ok(sb.console("alice", "NDW ETL failed\n/timeline restarted docker\n"));
    sb
}

#[test]
fn a_link_planted_at_the_old_temp_name_is_not_followed() {
    let sb = with_incident();
    let victim = sb.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // The predictable temp names the export and the backup used (`<path>.warroom-tmp`).
    let out = sb.dir.path().join("INC-1.md");
    let backup = sb.dir.path().join("backup.jsonl");
    for p in [&out, &backup] {
        std::os::unix::fs::symlink(&victim, p.with_extension("warroom-tmp")).unwrap();
    }
    let o = sb.run(&["export", "INC-1", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sb.run(&["backup", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&victim), "precious", "the link was followed");
    assert!(read(&out).contains("NDW ETL failed"));
    assert!(read(&backup).contains("warroom-backup"));
    assert_eq!(mode(&out), 0o600, "export");
    assert_eq!(mode(&backup), 0o600, "backup");
}

#[test]
fn fifos_and_devices_are_refused_and_left_alone() {
    let sb = with_incident();
    let fifo = sb.dir.path().join("out.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // /dev/null as well: as root (CI), the old code replaced the device node with a file.
    for target in [fifo.to_str().unwrap(), "/dev/null"] {
        for args in [vec!["export", "INC-1", "--out", target], vec!["backup", target]] {
            let o = sb.run(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(
                e.contains("not a regular file") && e.contains("nothing was written"),
                "{args:?}: {e}"
            );
            assert!(e.contains("`-`"), "says how to write to standard output: {e}");
        }
    }
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        std::fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    let names: Vec<_> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "nothing else was created: {names:?}");
}

#[test]
fn dash_and_dev_stdout_are_standard_output() {
    let sb = with_incident();
    for out in ["-", "/dev/stdout"] {
        let o = sb.run(&["export", "INC-1", "--out", out]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("NDW ETL failed"), "export --out {out}");
        let o = sb.run(&["backup", out]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).starts_with("{\"type\":\"header\""), "backup {out}");
    }
    assert!(!sb.dir.path().join("-").exists(), "no file named `-`");
}

/// Every file under `dir` 0600 and every directory 0700 (sled's, the lock, postmortems).
fn assert_private(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let t = std::fs::symlink_metadata(&p).unwrap().file_type();
        if t.is_dir() {
            assert_private(&p);
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}

#[test]
fn a_fresh_data_dir_and_everything_in_it_is_private() {
    let sb = Sandbox::new();
    ok(sb.console("alice", "NDW ETL failed\n/incident close\n"));
    assert!(sb.data().join("postmortems").is_dir());
    assert_private(&sb.data());
    // A restore into a fresh data dir, too.
    let backup = sb.dir.path().join("b.jsonl");
    ok(sb.run(&["backup", backup.to_str().unwrap()]));
    let other = Sandbox::new();
    ok(other.run(&["restore", backup.to_str().unwrap()]));
    assert_private(&other.data());
}

#[test]
fn a_data_dir_others_can_read_is_warned_about() {
    let sb = with_incident();
    std::fs::set_permissions(sb.data(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = sb.console("alice", "/incident show\n");
    assert!(o.status.success(), "a warning, not a failure: {}", stderr(&o));
    assert!(
        stderr(&o).contains("mode 0755") && stderr(&o).contains("chmod 700"),
        "{}",
        stderr(&o)
    );
    let o = sb.run(&["check-config"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: the data dir"), "{}", stderr(&o));
    std::fs::set_permissions(sb.data(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(!stderr(&sb.run(&["check-config"])).contains("warning: the data dir"));
}

/// `warroom run` with Matrix: sled's files, the Matrix session and the SDK's SQLite stores are
/// all created private too (the process umask), not just the files warroom writes itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_bots_data_dir_is_private() {
    let syn = crate::synapse::Synapse::start().await;
    let mut bot = crate::mx::BotProc::new(&syn, &["alerts"], &["@alice:localhost"]).await;
    bot.start().await;
    assert!(bot.stop().success(), "{}", bot.log());
    let data = bot.sb.data();
    assert!(data.join("matrix").is_dir(), "the Matrix state is in the data dir");
    assert_private(&data);
}
