//! The command line as a newcomer meets it: help that lists what works, usage errors that exit
//! 2, output into a pipe whose reader stops early, and configuration errors that say what to do.

use std::process::{Command, Output, Stdio};

use crate::support::{Sandbox, ok, stderr, stdout};

/// Run `cmd` with its standard output on a pipe whose reader is already gone: every write
/// fails with EPIPE, as when `| head -1` has read its line and exited.
fn into_closed_pipe(mut cmd: Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    cmd.stdout(writer).stderr(Stdio::piped());
    cmd.output().expect("run warroom")
}

fn assert_quiet_success(what: &str, o: &Output) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(0), "{what}: exit {:?}\n{err}", o.status);
    assert!(!err.contains("panicked") && !err.contains("rror"), "{what}: {err}");
}

#[test]
fn console_help_lists_the_console_commands() {
    let sb = Sandbox::new();
    let out = ok(sb.console("alice", "/help\n"));
    assert!(out.contains("[alerts] Commands:"), "{out}");
    assert!(out.contains("/room NAME"), "{out}");
    assert!(out.contains("/quit"), "{out}");
    // Help for one family stays about that family.
    let out = ok(sb.console("alice", "/help timeline\n"));
    assert!(!out.contains("/room NAME"), "{out}");
}

#[test]
fn export_format_is_checked_by_the_argument_parser() {
    let sb = Sandbox::new();
    let o = sb.run(&["export", "INC-1", "--format", "pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("pdf") && err.contains("md") && err.contains("json") && err.contains("html"),
        "{err}"
    );
    // Nothing was created for a usage error.
    assert!(!sb.data().exists());
    // The long name is still accepted (and reaches the store check).
    let o = sb.run(&["export", "INC-1", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no warroom store"), "{}", stderr(&o));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new();
    ok(sb.console("alice", "NDW ETL failed\n/timeline restarted docker on etl-1\n"));
    for args in [
        vec!["check-config"],
        vec!["incidents", "--all"],
        vec!["export", "INC-1"],
        vec!["export", "INC-1", "--format", "json", "--out", "-"],
        vec!["backup", "-"],
        vec!["--help"],
        vec!["export", "--help"],
    ] {
        let o = into_closed_pipe(sb.cmd(&args));
        assert_quiet_success(&args.join(" "), &o);
    }
    // The data is untouched: a full backup still reads everything.
    let backup = ok(sb.run(&["backup", "-"]));
    assert!(backup.contains("restarted docker on etl-1"), "{backup}");
}

#[test]
fn a_missing_config_file_names_the_os_error_once() {
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("nope.toml");
    let o = sb.run(&["--config", missing.to_str().unwrap(), "check-config"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("nope.toml"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn a_secret_variable_alone_says_which_section_it_created() {
    let sb = Sandbox::new();
    let o = sb
        .cmd(&["check-config"])
        .env("WARROOM_MATRIX__PASSWORD", "correct-horse-battery-staple")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("WARROOM_MATRIX__PASSWORD created a [matrix] section"),
        "{err}"
    );
    assert!(err.contains("`homeserver` and `user`"), "{err}");
    assert!(!err.contains("missing field"), "{err}");
    assert!(!err.contains("correct-horse"), "the secret is echoed: {err}");
}

#[test]
fn check_config_refuses_a_listen_address_without_a_port() {
    let sb = Sandbox::new();
    let cfg = sb.dir.path().join("listen.toml");
    std::fs::write(&cfg, "[http]\nlisten = \"1\"\n").unwrap();
    let o = sb.run(&["--config", cfg.to_str().unwrap(), "check-config"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("http.listen") && err.contains("host:port"), "{err}");
    // A host name with a port is an address.
    std::fs::write(&cfg, "[http]\nlisten = \"localhost:8081\"\n").unwrap();
    ok(sb.run(&["--config", cfg.to_str().unwrap(), "check-config"]));
}
