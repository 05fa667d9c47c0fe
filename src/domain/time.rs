//! How times are written for people and in file names: one function per format, so every
//! message, listing, postmortem and file name shows a time the same way.

use std::fmt::Display;

use chrono::{DateTime, TimeZone, Utc};

/// How far in the future a user-given time may lie before it is refused (clock skew).
pub const FUTURE_SLACK_SECS: i64 = 120;

/// `2026-11-20 13:40 CET`: date and minute in `tz`, with the zone's abbreviation.
pub fn fmt_minute<Z: TimeZone>(t: DateTime<Utc>, tz: &Z) -> String
where
    Z::Offset: Display,
{
    t.with_timezone(tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// `2026-11-20 13:40:05 UTC`: to the second, in UTC (log-like notices).
pub fn fmt_second_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `20261120T134005`: a UTC stamp for names of files and directories set aside.
pub fn fmt_file_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_writes_what_it_did_before() {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 12, 40, 5).unwrap();
        assert_eq!(fmt_minute(t, &chrono_tz::Europe::Amsterdam), "2026-11-20 13:40 CET");
        assert_eq!(fmt_minute(t, &chrono_tz::UTC), "2026-11-20 12:40 UTC");
        assert_eq!(fmt_minute(t, &Utc), "2026-11-20 12:40 UTC");
        assert_eq!(fmt_second_utc(t), "2026-11-20 12:40:05 UTC");
        assert_eq!(fmt_file_stamp(t), "20261120T124005");
    }
}
