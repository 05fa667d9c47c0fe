//! A second process on a data dir held by a running warroom gets a clear message, not a hang.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Sandbox, stderr};

#[test]
fn second_process_names_the_holder() {
    let sb = Sandbox::new();
    let mut holder = sb
        .cmd(&["console", "--user", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    // Wait until the console has the store open: it answers a command.
    stdin.write_all(b"/help\n").unwrap();
    let mut first = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("[alerts] Commands:"), "{first}");

    let started = Instant::now();
    let o = sb.run(&["incidents"]);
    assert!(started.elapsed() < Duration::from_secs(20), "the second process hung");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("in use by pid {}", holder.id())), "{err}");
    assert!(err.contains("warroom console"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    drop(stdin);
    assert!(holder.wait().unwrap().success());
    // Once the holder has exited, the data dir is free again.
    assert!(sb.run(&["incidents"]).status.success());
}
