//! Tests of the command module (when_tests).
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::command::lex::tokenize;

fn resolve(s: &str, now: DateTime<Utc>, tz: &str) -> Result<DateTime<Utc>, WhenError> {
    let tz: Tz = tz.parse().unwrap();
    parse_all(&tokenize(s))?.resolve(now, tz)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn clock_today_in_configured_zone() {
    // 14:00 UTC in summer is 15:00 in London (BST).
    let now = utc(2026, 7, 1, 14, 0);
    assert_eq!(resolve("13:25", now, "Europe/London").unwrap(), utc(2026, 7, 1, 12, 25));
    assert_eq!(resolve("13:25", now, "UTC").unwrap(), utc(2026, 7, 1, 13, 25));
    assert_eq!(resolve("9:05", now, "UTC").unwrap(), utc(2026, 7, 1, 9, 5));
    assert_eq!(
        resolve("13:25:30", now, "UTC").unwrap(),
        Utc.with_ymd_and_hms(2026, 7, 1, 13, 25, 30).unwrap()
    );
}

#[test]
fn clock_in_future_means_yesterday() {
    let now = utc(2026, 7, 1, 10, 0);
    assert_eq!(resolve("23:50", now, "UTC").unwrap(), utc(2026, 6, 30, 23, 50));
    // Within the two-minute grace it is still today.
    assert_eq!(resolve("10:01", now, "UTC").unwrap(), utc(2026, 7, 1, 10, 1));
    assert_eq!(resolve("10:03", now, "UTC").unwrap(), utc(2026, 6, 30, 10, 3));
}

#[test]
fn explicit_zones() {
    let now = utc(2026, 7, 1, 14, 0);
    assert_eq!(
        resolve("13:25 UTC", now, "Europe/London").unwrap(),
        utc(2026, 7, 1, 13, 25)
    );
    assert_eq!(
        resolve("13:25 Z", now, "Europe/London").unwrap(),
        utc(2026, 7, 1, 13, 25)
    );
    assert_eq!(resolve("13:25 +02:00", now, "UTC").unwrap(), utc(2026, 7, 1, 11, 25));
    assert_eq!(resolve("13:25 -0500", now, "UTC").unwrap(), utc(2026, 6, 30, 18, 25));
    assert_eq!(
        resolve("13:25 Europe/Amsterdam", now, "UTC").unwrap(),
        utc(2026, 7, 1, 11, 25)
    );
    assert_eq!(
        resolve("2020-11-13 10:54", now, "Europe/Amsterdam").unwrap(),
        utc(2020, 11, 13, 9, 54)
    );
    assert_eq!(
        resolve("2020-11-13 10:54 UTC", now, "Europe/Amsterdam").unwrap(),
        utc(2020, 11, 13, 10, 54)
    );
    assert_eq!(
        resolve("2020-11-13T10:54:00Z", now, "Europe/Amsterdam").unwrap(),
        utc(2020, 11, 13, 10, 54)
    );
    assert_eq!(
        resolve("2020-11-13T10:54:00+01:00", now, "UTC").unwrap(),
        utc(2020, 11, 13, 9, 54)
    );
    assert_eq!(
        resolve("2020-11-13T10:54Z", now, "UTC").unwrap(),
        utc(2020, 11, 13, 10, 54)
    );
    assert_eq!(
        resolve("2020-11-13T10:54 America/New_York", now, "UTC").unwrap(),
        utc(2020, 11, 13, 15, 54)
    );
}

#[test]
fn words_after_a_time_are_not_zones() {
    let toks = tokenize("13:25 Poland team called EST");
    let (w, n) = parse_prefix(&toks).unwrap();
    assert_eq!(n, 1);
    assert!(matches!(w, When::Clock { zone: None, .. }));
    assert!(parse_prefix(&tokenize("restarted docker")).is_none());
    assert!(parse_prefix(&tokenize("25:00 x")).is_none());
    assert!(parse_prefix(&tokenize("1:2 x")).is_none());
    assert!(parse_prefix(&tokenize("2026-13-01 10:00")).is_none());
}

#[test]
fn bad_when_is_an_error() {
    let now = utc(2026, 7, 1, 14, 0);
    let err = resolve("yesterday", now, "UTC").unwrap_err();
    assert!(err.0.contains("not a time"), "{err}");
    assert!(resolve("13:25 Mars/Olympus", now, "UTC").is_err());
}

#[test]
fn dst_gap_is_refused_with_reason() {
    // Europe/London springs forward on 2026-03-29 at 01:00 UTC: 01:30 local does not exist.
    let now = utc(2026, 3, 29, 12, 0);
    let err = resolve("2026-03-29 01:30", now, "Europe/London").unwrap_err();
    assert!(err.0.contains("does not exist in Europe/London"), "{err}");
    // A clock time in today's gap is refused too, not silently moved to yesterday.
    let err = resolve("01:30", now, "Europe/London").unwrap_err();
    assert!(err.0.contains("does not exist"), "{err}");
    // Later that day, an ordinary time still works.
    assert_eq!(resolve("11:00", now, "Europe/London").unwrap(), utc(2026, 3, 29, 10, 0));
}

#[test]
fn dst_overlap_takes_first_occurrence() {
    // Europe/London falls back on 2026-10-25: 01:30 happens at 00:30 UTC (BST) and 01:30 UTC (GMT).
    let now = utc(2026, 10, 25, 12, 0);
    assert_eq!(
        resolve("2026-10-25 01:30", now, "Europe/London").unwrap(),
        utc(2026, 10, 25, 0, 30)
    );
    // Just after the change, 00:59 BST and 01:00 GMT are an hour apart... in UTC 23:59 and 01:00.
    assert_eq!(
        resolve("2026-10-25 00:59", now, "Europe/London").unwrap(),
        utc(2026, 10, 24, 23, 59)
    );
    assert_eq!(
        resolve("2026-10-25 02:00", now, "Europe/London").unwrap(),
        utc(2026, 10, 25, 2, 0)
    );
}

#[test]
fn yesterday_across_dst_change() {
    // Now is 00:30 UTC on 2026-03-30 (01:30 BST); "23:00" means 2026-03-29 23:00 BST = 22:00 UTC.
    let now = utc(2026, 3, 30, 0, 30);
    assert_eq!(resolve("23:00", now, "Europe/London").unwrap(), utc(2026, 3, 29, 22, 0));
}

#[test]
fn malformed_times_are_recognised() {
    for s in ["25:00", "13:61", "2024-02-30", "2024-01-01", "99:99:99"] {
        assert!(looks_like_time(s), "{s}");
    }
    for s in ["restarted", "v1.2.3", "1:2", "abcd-ef-gh", "10"] {
        assert!(!looks_like_time(s), "{s}");
    }
}
