//! Tests of the command module (when_tests): every `WHEN` form, refusals, ranges, precision,
//! DST edges, both bare-time regimes and the date order.
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::command::lex::tokenize;

fn ctx(now: DateTime<Utc>, tz: &str) -> TimeContext {
    TimeContext {
        now,
        tz: tz.parse().unwrap(),
        date_order: DateOrder::Dmy,
        anchor: None,
    }
}

fn mdy(now: DateTime<Utc>, tz: &str) -> TimeContext {
    TimeContext {
        date_order: DateOrder::Mdy,
        ..ctx(now, tz)
    }
}

fn anchored(now: DateTime<Utc>, tz: &str, anchor: DateTime<Utc>) -> TimeContext {
    TimeContext {
        anchor: Some(anchor),
        ..ctx(now, tz)
    }
}

fn read(s: &str, c: &TimeContext) -> Result<Resolved, WhenError> {
    parse_all(&tokenize(s))?.resolve_in(c)
}

fn moment(s: &str, c: &TimeContext) -> Moment {
    read(s, c).unwrap_or_else(|e| panic!("{s}: {e}")).moment
}

fn resolve(s: &str, now: DateTime<Utc>, tz: &str) -> Result<DateTime<Utc>, WhenError> {
    Ok(read(s, &ctx(now, tz))?.moment.at)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn utcs(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

#[test]
fn clock_today_in_configured_zone() {
    // 14:00 UTC in summer is 15:00 in London (BST).
    let now = utc(2026, 7, 1, 14, 0);
    assert_eq!(resolve("13:25", now, "Europe/London").unwrap(), utc(2026, 7, 1, 12, 25));
    assert_eq!(resolve("13:25", now, "UTC").unwrap(), utc(2026, 7, 1, 13, 25));
    assert_eq!(resolve("9:05", now, "UTC").unwrap(), utc(2026, 7, 1, 9, 5));
    assert_eq!(resolve("13:25:30", now, "UTC").unwrap(), utcs(2026, 7, 1, 13, 25, 30));
    // The compatibility entry point agrees.
    let w = parse_all(&tokenize("13:25")).unwrap();
    assert_eq!(w.resolve(now, Tz::UTC).unwrap(), utc(2026, 7, 1, 13, 25));
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
    let cases = [
        ("13:25 UTC", "Europe/London", utc(2026, 7, 1, 13, 25)),
        ("13:25 Z", "Europe/London", utc(2026, 7, 1, 13, 25)),
        ("13:25 GMT", "Europe/London", utc(2026, 7, 1, 13, 25)),
        ("13:25 +02:00", "UTC", utc(2026, 7, 1, 11, 25)),
        ("13:25 -0500", "UTC", utc(2026, 6, 30, 18, 25)),
        ("13:25 Europe/Amsterdam", "UTC", utc(2026, 7, 1, 11, 25)),
        ("2020-11-13 10:54", "Europe/Amsterdam", utc(2020, 11, 13, 9, 54)),
        ("2020-11-13 10:54 UTC", "Europe/Amsterdam", utc(2020, 11, 13, 10, 54)),
        ("2020-11-13T10:54:00Z", "Europe/Amsterdam", utc(2020, 11, 13, 10, 54)),
        ("2020-11-13T10:54:00+01:00", "UTC", utc(2020, 11, 13, 9, 54)),
        ("2020-11-13T10:54Z", "UTC", utc(2020, 11, 13, 10, 54)),
        ("2020-11-13T10:54+01:00", "UTC", utc(2020, 11, 13, 9, 54)),
        ("2020-11-13T10:54 America/New_York", "UTC", utc(2020, 11, 13, 15, 54)),
        ("2020-11-13T10:54", "Europe/Amsterdam", utc(2020, 11, 13, 9, 54)),
        ("13h25 UTC", "Europe/Amsterdam", utc(2026, 7, 1, 13, 25)),
        ("10:54am +02:00", "UTC", utc(2026, 7, 1, 8, 54)),
        ("18.6.2024 13h25 America/New_York", "UTC", utc(2024, 6, 18, 17, 25)),
    ];
    for (s, tz, want) in cases {
        assert_eq!(resolve(s, now, tz).unwrap(), want, "{s} in {tz}");
    }
}

#[test]
fn times_people_write() {
    // 2026-07-01 14:00 UTC is 16:00 in Amsterdam (CEST, +02:00).
    let c = ctx(utc(2026, 7, 1, 14, 0), "Europe/Amsterdam");
    let today = |h, m| utc(2026, 7, 1, h, m) - Duration::hours(2);
    let cases = [
        ("13h25", today(13, 25)),
        ("13H25", today(13, 25)),
        ("13h", today(13, 0)),
        ("9h", today(9, 0)),
        ("9h05", today(9, 5)),
        ("10:54am", today(10, 54)),
        ("10:54AM", today(10, 54)),
        ("10:54 am", today(10, 54)),
        ("3pm", today(15, 0)),
        ("3PM", today(15, 0)),
        ("3 pm", today(15, 0)),
        ("3 p.m.", today(15, 0)),
        ("12am", today(0, 0)),
        ("12pm", today(12, 0)),
        ("12:30am", today(0, 30)),
        ("0200Z", utc(2026, 7, 1, 2, 0)),
        ("1350z", utc(2026, 7, 1, 13, 50)),
    ];
    for (s, want) in cases {
        let r = read(s, &c).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(r.moment.at, want, "{s}");
        assert_eq!(r.moment.precision, Precision::Minute, "{s}");
        assert!(!r.dated && !parse_all(&tokenize(s)).unwrap().is_range(), "{s}");
    }
    let m = moment("10:54:30pm", &ctx(utc(2026, 7, 1, 23, 0), "UTC"));
    assert_eq!((m.at, m.precision), (utcs(2026, 7, 1, 22, 54, 30), Precision::Second));
    // 0200Z is UTC even where the configured zone is not, and is not moved by a following zone word.
    let (w, n) = read_prefix(&tokenize("0200Z Europe/Amsterdam paged")).unwrap().unwrap();
    assert_eq!(n, 1);
    assert_eq!(w.resolve_in(&c).unwrap().moment.at, utc(2026, 7, 1, 2, 0));
}

#[test]
fn dates_and_dates_with_times() {
    let c = ctx(utc(2026, 7, 1, 14, 0), "Europe/Amsterdam");
    let cases = [
        ("2020-11-13 08:00", utc(2020, 11, 13, 7, 0), Precision::Minute),
        ("2020-11-13 08:00:15", utcs(2020, 11, 13, 7, 0, 15), Precision::Second),
        ("18.6.2024 13h25", utc(2024, 6, 18, 11, 25), Precision::Minute),
        ("18.06.2024 13:25", utc(2024, 6, 18, 11, 25), Precision::Minute),
        ("22/04/2020 10:54am", utc(2020, 4, 22, 8, 54), Precision::Minute),
        ("2020-4-2 3pm", utc(2020, 4, 2, 13, 0), Precision::Minute),
        ("2020-11-13 0200Z", utc(2020, 11, 13, 2, 0), Precision::Minute),
        // A date alone: the start of that day in the zone, date precision.
        ("2020-11-13", utc(2020, 11, 12, 23, 0), Precision::Date),
        ("18.6.2024", utc(2024, 6, 17, 22, 0), Precision::Date),
        ("22/04/2020", utc(2020, 4, 21, 22, 0), Precision::Date),
        ("2020-11-13T08:00:00Z", utc(2020, 11, 13, 8, 0), Precision::Second),
        ("2020-11-13T08:00Z", utc(2020, 11, 13, 8, 0), Precision::Minute),
    ];
    for (s, want, precision) in cases {
        let r = read(s, &c).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!((r.moment.at, r.moment.precision), (want, precision), "{s}");
        assert!(r.dated, "{s} is dated");
        assert_eq!(r.moment.end, None, "{s}");
    }
}

#[test]
fn slashed_dates_follow_the_date_order() {
    let now = utc(2026, 7, 1, 14, 0);
    assert_eq!(moment("04/05/2024 12:00", &ctx(now, "UTC")).at, utc(2024, 5, 4, 12, 0));
    assert_eq!(moment("04/05/2024 12:00", &mdy(now, "UTC")).at, utc(2024, 4, 5, 12, 0));
    assert_eq!(moment("4/22/2020", &mdy(now, "UTC")).at, utc(2020, 4, 22, 0, 0));
    // Other forms do not depend on it.
    assert_eq!(moment("18.6.2024 13:00", &mdy(now, "UTC")).at, utc(2024, 6, 18, 13, 0));
    assert_eq!(moment("2024-06-18 13:00", &mdy(now, "UTC")).at, utc(2024, 6, 18, 13, 0));
    // Valid in only the other order: refused when resolving, saying why and what to write.
    let err = read("22/04/2020 10:00", &mdy(now, "UTC")).unwrap_err().0;
    assert!(err.contains("month/day/year") && err.contains("YYYY-MM-DD"), "{err}");
    let err = read("4/22/2020", &ctx(now, "UTC")).unwrap_err().0;
    assert!(
        err.contains("day/month/year") && err.contains("date_order = \"mdy\""),
        "{err}"
    );
}

#[test]
fn relative_times_count_back_from_now() {
    let now = utcs(2026, 7, 1, 14, 0, 20);
    let c = anchored(now, "Europe/Amsterdam", utc(2020, 1, 1, 0, 0));
    let cases = [
        ("-15m", 15 * 60, Precision::Minute),
        ("-2h", 2 * 3600, Precision::Minute),
        ("-1d", 86_400, Precision::Minute),
        ("-90s", 90, Precision::Second),
        ("-1h30m", 5400, Precision::Minute),
        ("-0m", 0, Precision::Minute),
    ];
    for (s, secs, precision) in cases {
        let r = read(s, &c).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(r.moment.at, now - Duration::seconds(secs), "{s}");
        assert_eq!(r.moment.precision, precision, "{s}");
        // Not dated, and not moved to the anchor's date while reconstructing.
        assert!(!r.dated, "{s}");
    }
    assert_eq!(moment("~-15m", &c).precision, Precision::Approximate);
}

#[test]
fn approximate_times() {
    let c = ctx(utc(2026, 7, 1, 14, 0), "UTC");
    for s in ["~06:00", "~ 06:00", "~6h", "~6am"] {
        let m = moment(s, &c);
        assert_eq!(
            (m.at, m.precision),
            (utc(2026, 7, 1, 6, 0), Precision::Approximate),
            "{s}"
        );
    }
    for s in ["~2020-11-13 08:00", "~ 2020-11-13 08:00", "~2020-11-13 08:00:30"] {
        let m = moment(s, &c);
        assert_eq!(m.precision, Precision::Approximate, "{s}");
        assert_eq!(
            m.at.date_naive(),
            chrono::NaiveDate::from_ymd_opt(2020, 11, 13).unwrap()
        );
    }
    // A date alone is already vague: `~` keeps it date precision (a time would be invented).
    assert_eq!(moment("~2020-11-13", &c).precision, Precision::Date);
    assert!(read("~2020-11-13", &c).unwrap().dated);
    let (w, n) = read_prefix(&tokenize("~ 06:00 first page")).unwrap().unwrap();
    assert!(w.approx && n == 2);
}

#[test]
fn ranges() {
    let c = ctx(utc(2026, 7, 1, 20, 0), "Europe/Amsterdam");
    let ams = |d, h, m| utc(2026, 7, d, h, m) - Duration::hours(2);
    let same_day = [
        "13:35..15:50",
        "13:35–15:50",
        "13:35 .. 15:50",
        "13:35 – 15:50",
        "13:35.. 15:50",
        "13:35 ..15:50",
        "13h35..15h50",
        "1:35pm..3:50pm",
    ];
    for s in same_day {
        let m = moment(s, &c);
        assert_eq!((m.at, m.end), (ams(1, 13, 35), Some(ams(1, 15, 50))), "{s}");
        assert_eq!(m.precision, Precision::Minute, "{s}");
        assert!(parse_all(&tokenize(s)).unwrap().is_range(), "{s}");
    }
    // Across midnight: the end rolls to the next day.
    let m = moment("23:10..00:40", &c);
    assert_eq!(
        (m.at, m.end),
        (utc(2026, 6, 30, 21, 10), Some(utc(2026, 6, 30, 22, 40)))
    );
    // Across days, with dates.
    let m = moment("2020-04-22 13:35..2020-04-23 18:10", &c);
    assert_eq!(
        (m.at, m.end),
        (utc(2020, 4, 22, 11, 35), Some(utc(2020, 4, 23, 16, 10)))
    );
    // A bare end takes the start's date.
    let m = moment("2020-04-22 13:35..15:50", &c);
    assert_eq!(m.end, Some(utc(2020, 4, 22, 13, 50)));
    // Date ranges: date precision, the end is the start of the last day.
    let r = read("2020-11-13..2020-11-15", &c).unwrap();
    assert_eq!(r.moment.precision, Precision::Date);
    assert_eq!(
        (r.moment.at, r.moment.end),
        (utc(2020, 11, 12, 23, 0), Some(utc(2020, 11, 14, 23, 0)))
    );
    assert!(r.dated);
    assert_eq!(moment("18.6.2024–20.6.2024", &c).precision, Precision::Date);
    // Seconds on either end, approximate.
    assert_eq!(moment("13:35:10..15:50", &c).precision, Precision::Second);
    let m = moment("~13:35..15:50", &c);
    assert_eq!((m.precision, m.end), (Precision::Approximate, Some(ams(1, 15, 50))));
}

#[test]
fn range_zones_and_refusals() {
    let c = ctx(utc(2026, 7, 1, 20, 0), "Europe/Amsterdam");
    // A zone written on one end applies to both.
    let m = moment("13:35..15:50 UTC", &c);
    assert_eq!((m.at, m.end), (utc(2026, 7, 1, 13, 35), Some(utc(2026, 7, 1, 15, 50))));
    let m = moment("13:35 UTC..15:50", &c);
    assert_eq!((m.at, m.end), (utc(2026, 7, 1, 13, 35), Some(utc(2026, 7, 1, 15, 50))));
    // The end before the start (with dates) is refused.
    let err = read("2020-04-23 18:10..2020-04-22 13:35", &c).unwrap_err().0;
    assert!(err.contains("before it starts"), "{err}");
    assert!(
        err.contains("ends (2020-04-22 13:35 CEST) before it starts (2020-04-23 18:10 CEST)"),
        "{err}"
    );
    let err = read("2020-11-15..2020-11-13", &c).unwrap_err().0;
    assert!(err.contains("ends (2020-11-13) before it starts (2020-11-15)"), "{err}");
    // A date and a time do not make a range.
    let err = read("2020-11-13..15:50", &c).unwrap_err().0;
    assert!(err.contains("two dates") && err.contains("Accepted"), "{err}");
    // A glued separator without an end, or a malformed end.
    for s in ["13:35..", "13:35..soon", "13:35..25:00", "13:35 .. 25:00"] {
        let err = read_prefix(&tokenize(&format!("{s} db down"))).unwrap_err().0;
        assert!(err.contains("Accepted") && err.contains("--"), "{s}: {err}");
    }
    // A dash that starts a word after a time is punctuation of the text.
    let (w, n) = read_prefix(&tokenize("13:35 – deploy started")).unwrap().unwrap();
    assert!(!w.is_range() && n == 1);
    let (w, n) = read_prefix(&tokenize("13:35 ...and then")).unwrap().unwrap();
    assert!(!w.is_range() && n == 1);
}

#[test]
fn how_many_words_a_when_uses() {
    let cases = [
        ("13:25 Poland team called EST", 1),
        ("13:25 UTC restart", 2),
        ("10:54 am restart", 2),
        ("2020-11-13 deploy", 1),
        ("2020-11-13 08:00 deploy", 2),
        ("2020-11-13 08:00 Europe/Amsterdam deploy", 3),
        ("2020-04-22 13:35..2020-04-23 18:10 UTC db failover", 4),
        ("~ 2020-04-22 13:35 .. 2020-04-23 18:10 x", 6),
        ("2020-11-13 10 pods restarted", 1),
        ("-15m paged", 1),
        ("-2h -0500 x", 1),
    ];
    for (s, want) in cases {
        let (_, n) = read_prefix(&tokenize(s)).unwrap().unwrap_or_else(|| panic!("{s}"));
        assert_eq!(n, want, "{s}");
    }
}

#[test]
fn words_that_stay_text() {
    let text = [
        "3.5 GB freed",
        "1st responder",
        "404s everywhere",
        "2x load",
        "10 pods",
        "- alone",
        "-v flag",
        "-1 replicas",
        "-10% traffic",
        "10.0.0.1 unreachable",
        "24/7 support",
        "1/2 of the pods",
        "1:1 with the vendor",
        "8th retry",
        "99.9% availability",
        "~5 users",
        "v1.2.3 deployed",
        "2000 users",
        "restarted docker",
        "Poland",
        "",
        "h2 disabled",
        "100h of compute",
    ];
    for s in text {
        assert_eq!(read_prefix(&tokenize(s)), Ok(None), "{s:?} should be text");
    }
}

#[test]
fn words_that_are_refused() {
    let refused = [
        "25:00",
        "13:61",
        "99:99:99",
        "13h75",
        "24h",
        "13h5",
        "32.1.2024",
        "1.2.3",
        "18.6.24",
        "31.2.2024",
        "2024-02-30",
        "2024-13-01",
        "2024-01",
        "32/1/2024",
        "13/13/2024",
        "~",
        "~ deploy",
        "13pm",
        "0am",
        "13:00pm",
        "2500Z",
        "200Z",
        "-5min",
        "-99999999d",
        "10:30,",
        "12:30ish",
        "2024-02-30T10:00:00Z",
        "2024-01-01 25:00",
        "2024-01-01 13h75",
        "~25:00",
    ];
    for s in refused {
        let err = read_prefix(&tokenize(&format!("{s} then something"))).expect_err(s).0;
        assert!(err.contains("Accepted:") && err.contains("--"), "{s}: {err}");
        assert!(
            err.contains(s.split(' ').next_back().unwrap()) || s.starts_with('~'),
            "{s}: {err}"
        );
        assert!(looks_like_when(s.split(' ').next().unwrap()), "{s}");
    }
}

#[test]
fn parse_all_needs_a_complete_when() {
    for s in [
        "yesterday",
        "13:25 Poland",
        "",
        "2020-11-13 08:00 later",
        "13:25 Mars/Olympus",
        "25:00",
        "2020-11-13..15:50",
    ] {
        let err = parse_all(&tokenize(s)).unwrap_err().0;
        assert!(err.contains("Accepted:"), "{s}: {err}");
        // A WHEN on its own is not followed by text: no advice about `--`.
        assert!(!err.contains("--"), "{s}: {err}");
    }
    assert!(parse_all(&tokenize("2020-11-13..2020-11-15")).unwrap().is_range());
}

#[test]
fn reconstructing_takes_the_anchors_date() {
    // Typed at 02:38 in Amsterdam; the incident's latest dated entry is two years old.
    let now = utc(2026, 7, 1, 0, 38);
    let anchor = utc(2024, 6, 18, 4, 0);
    let c = anchored(now, "Europe/Amsterdam", anchor);
    let r = read("06:00", &c).unwrap();
    assert_eq!(r.moment.at, utc(2024, 6, 18, 4, 0));
    assert!(!r.dated);
    // Later than the anchor's time of day, or in the new forms, the same date.
    assert_eq!(moment("23h15", &c).at, utc(2024, 6, 18, 21, 15));
    assert_eq!(moment("~3pm", &c).at, utc(2024, 6, 18, 13, 0));
    let m = moment("13:35..15:50", &c);
    assert_eq!(
        (m.at, m.end),
        (utc(2024, 6, 18, 11, 35), Some(utc(2024, 6, 18, 13, 50)))
    );
    // The anchor's date is taken in the zone the time is read in.
    let late = anchored(now, "Europe/Amsterdam", utc(2024, 6, 18, 23, 30));
    assert_eq!(moment("06:00", &late).at, utc(2024, 6, 19, 4, 0));
    assert_eq!(moment("06:00 UTC", &late).at, utc(2024, 6, 18, 6, 0));
    // A written date is still taken as written.
    assert_eq!(moment("2024-06-20 06:00", &c).at, utc(2024, 6, 20, 4, 0));
}

#[test]
fn live_bare_times_are_the_latest_not_in_the_future() {
    let now = utc(2026, 7, 1, 0, 38); // 02:38 in Amsterdam
    let yesterday_six = utc(2026, 6, 30, 4, 0);
    assert_eq!(moment("06:00", &ctx(now, "Europe/Amsterdam")).at, yesterday_six);
    // A recent anchor (or one exactly 24 h old) keeps the live rule.
    for age in [Duration::hours(1), Duration::hours(24)] {
        let c = anchored(now, "Europe/Amsterdam", now - age);
        assert_eq!(moment("06:00", &c).at, yesterday_six, "anchor {age} old");
        assert_eq!(moment("02:30", &c).at, utc(2026, 7, 1, 0, 30));
    }
    // Just over 24 h: reconstructing, so 02:30 is on the anchor's date, not today.
    let c = anchored(
        now,
        "Europe/Amsterdam",
        now - Duration::hours(24) - Duration::minutes(1),
    );
    assert_eq!(moment("02:30", &c).at, utc(2026, 6, 30, 0, 30));
}

#[test]
fn dst_gap_is_refused_with_reason() {
    // Europe/Amsterdam springs forward on 2026-03-29 at 02:00 local; America/New_York on 2026-03-08.
    let ams = ctx(utc(2026, 3, 29, 12, 0), "Europe/Amsterdam");
    for s in [
        "2026-03-29 02:30",
        "29.3.2026 2h30",
        "29/3/2026 2:30am",
        "02:30",
        "2h30",
    ] {
        let err = read(s, &ams).unwrap_err().0;
        assert!(err.contains("does not exist in Europe/Amsterdam"), "{s}: {err}");
    }
    let ny = mdy(utc(2026, 3, 8, 18, 0), "America/New_York");
    for s in ["2026-03-08 02:30", "3/8/2026 2:30am", "2:30am", "~2h30"] {
        let err = read(s, &ny).unwrap_err().0;
        assert!(err.contains("does not exist in America/New_York"), "{s}: {err}");
    }
    // Later that day, ordinary times still work; the date alone starts at midnight.
    assert_eq!(moment("11h", &ams).at, utc(2026, 3, 29, 9, 0));
    assert_eq!(moment("2026-03-29", &ams).at, utc(2026, 3, 28, 23, 0));
    // A range across the gap is measured in real time.
    let m = moment("01:30..03:30", &ams);
    assert_eq!((m.at, m.end), (utc(2026, 3, 29, 0, 30), Some(utc(2026, 3, 29, 1, 30))));
}

#[test]
fn dst_overlap_takes_first_occurrence() {
    // Europe/Amsterdam falls back on 2026-10-25 (02:30 happens at 00:30 and 01:30 UTC);
    // America/New_York on 2026-11-01 (01:30 at 05:30 and 06:30 UTC).
    let ams = ctx(utc(2026, 10, 25, 12, 0), "Europe/Amsterdam");
    for s in ["2026-10-25 02:30", "25.10.2026 2h30", "2:30am", "02:30"] {
        assert_eq!(moment(s, &ams).at, utc(2026, 10, 25, 0, 30), "{s}");
    }
    let ny = mdy(utc(2026, 11, 1, 12, 0), "America/New_York");
    for s in ["2026-11-01 01:30", "11/1/2026 1:30am", "1:30am", "~01:30"] {
        assert_eq!(moment(s, &ny).at, utc(2026, 11, 1, 5, 30), "{s}");
    }
    let london = ctx(utc(2026, 10, 25, 12, 0), "Europe/London");
    assert_eq!(moment("2026-10-25 00:59", &london).at, utc(2026, 10, 24, 23, 59));
    assert_eq!(moment("2026-10-25 02:00", &london).at, utc(2026, 10, 25, 2, 0));
}

#[test]
fn yesterday_across_dst_change() {
    // Now is 00:30 UTC on 2026-03-30 (01:30 BST); "23:00" means 2026-03-29 23:00 BST = 22:00 UTC.
    let now = utc(2026, 3, 30, 0, 30);
    assert_eq!(resolve("23:00", now, "Europe/London").unwrap(), utc(2026, 3, 29, 22, 0));
}

#[test]
fn a_day_whose_midnight_is_skipped_starts_at_its_first_hour() {
    // Chile springs forward at midnight: 2024-09-08 00:00 does not exist, the day starts at 01:00 (-03).
    let c = ctx(utc(2026, 7, 1, 12, 0), "America/Santiago");
    assert_eq!(moment("2024-09-08", &c).at, utc(2024, 9, 8, 4, 0));
}

#[test]
fn tokens_split_at_separators_and_a_leading_tilde() {
    assert_eq!(split_token("13:35..15:50"), ["13:35", "..", "15:50"]);
    assert_eq!(split_token("13:35–15:50"), ["13:35", "–", "15:50"]);
    assert_eq!(split_token("~06:00"), ["~", "06:00"]);
    assert_eq!(split_token("~"), ["~"]);
    assert_eq!(split_token("UTC..2020-04-23"), ["UTC", "..", "2020-04-23"]);
    assert_eq!(split_token("a–b..c"), ["a", "–", "b", "..", "c"]);
    assert_eq!(split_token("..."), ["..", "."]);
    assert_eq!(split_token("13:35.."), ["13:35", ".."]);
}

#[test]
fn a_date_alone_with_a_zone_is_refused_since_the_day_is_the_teams() {
    let tokens = crate::command::lex::tokenize("2020-11-13 UTC");
    let w = parse_all(&tokens).unwrap();
    let ctx = TimeContext {
        now: chrono::Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap(),
        tz: chrono_tz::America::New_York,
        date_order: crate::domain::DateOrder::Dmy,
        anchor: None,
    };
    let e = w.resolve_in(&ctx).unwrap_err();
    assert!(e.0.contains("leave the zone out"), "{}", e.0);
    let w = parse_all(&crate::command::lex::tokenize("2020-11-13")).unwrap();
    let m = w.resolve_in(&ctx).unwrap().moment;
    assert_eq!(crate::domain::fmt_moment(&m, &ctx.tz), "2020-11-13");
}
