//! How times are written for people and in file names: one function per format, so every
//! message, listing, postmortem and file name shows a time the same way.

use std::fmt::Display;

use chrono::{DateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// How far in the future a user-given time may lie before it is refused (clock skew).
pub const FUTURE_SLACK_SECS: i64 = 120;

/// `2026-11-20 13:40 CET`: date and minute in `tz`, with the zone's abbreviation.
pub fn fmt_minute<Z: TimeZone>(t: DateTime<Utc>, tz: &Z) -> String
where
    Z::Offset: Display,
{
    t.with_timezone(tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// How precisely a recorded time is known. Times people give carry the precision they wrote
/// (`06:00:30` to the second, `~06:00` approximately, `2020-11-13` only the day); times a
/// platform stamps (a message, an alert, "now") are to the minute for people and exact in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Known to the minute (the default; shown `HH:MM`).
    #[default]
    Minute,
    /// Given to the second (shown `HH:MM:SS`).
    Second,
    /// About this time (shown `~HH:MM`).
    Approximate,
    /// Only the day is known (shown as the date; `at` is the start of that day in the zone it
    /// was given in).
    Date,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Minute => "minute",
            Precision::Second => "second",
            Precision::Approximate => "approximate",
            Precision::Date => "date",
        }
    }

    /// The default precision (left out of stored records).
    pub fn is_minute(&self) -> bool {
        *self == Precision::Minute
    }

    /// Durations computed from such a time are approximate.
    pub fn is_vague(self) -> bool {
        matches!(self, Precision::Approximate | Precision::Date)
    }
}

/// How people of this team write a date with slashes: `22/04/2020` (day first, the default)
/// or `04/22/2020` (`[time] date_order = "mdy"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    #[default]
    Dmy,
    Mdy,
}

/// When something happened: a start, how precisely it is known, and for a range its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Precision::is_minute")]
    pub precision: Precision,
    /// The end of a range (`13:35..15:50`); never before `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
}

impl Moment {
    /// A point in time known to the minute (platform timestamps, "now").
    pub fn exact(at: DateTime<Utc>) -> Moment {
        Moment {
            at,
            precision: Precision::Minute,
            end: None,
        }
    }
}

impl From<DateTime<Utc>> for Moment {
    fn from(at: DateTime<Utc>) -> Moment {
        Moment::exact(at)
    }
}

/// `2026-11-20 13:40 CET`, `2026-11-20 13:40:05 CET`, `~2026-11-20 13:40 CET`, `2026-11-20`,
/// `2026-11-20 13:35–15:50 CET`, `2020-04-22 13:35 – 2020-04-23 18:10 CEST`: a moment in `tz`
/// as precisely as it is known, always with its date (and zone when it has a time of day).
pub fn fmt_moment<Z: TimeZone>(m: &Moment, tz: &Z) -> String
where
    Z::Offset: Display,
{
    let start = m.at.with_timezone(tz);
    let approx = if m.precision == Precision::Approximate { "~" } else { "" };
    let clock = if m.precision == Precision::Second {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    let Some(end) = m.end.map(|e| e.with_timezone(tz)) else {
        return match m.precision {
            Precision::Date => start.format("%Y-%m-%d").to_string(),
            _ => format!("{approx}{}", start.format(&format!("%Y-%m-%d {clock} %Z"))),
        };
    };
    // A range across a change of the zone's offset (summer time) names the zone of both ends.
    let (start_zone, dash) = if start.offset().fix() == end.offset().fix() {
        ("", "–")
    } else {
        (" %Z", " – ")
    };
    match m.precision {
        Precision::Date if start.date_naive() == end.date_naive() => start.format("%Y-%m-%d").to_string(),
        Precision::Date => format!("{}–{}", start.format("%Y-%m-%d"), end.format("%Y-%m-%d")),
        _ if start.date_naive() == end.date_naive() => format!(
            "{approx}{}{dash}{}",
            start.format(&format!("%Y-%m-%d {clock}{start_zone}")),
            end.format(&format!("{clock} %Z"))
        ),
        _ => format!(
            "{approx}{} – {}",
            start.format(&format!("%Y-%m-%d {clock}{start_zone}")),
            end.format(&format!("%Y-%m-%d {clock} %Z"))
        ),
    }
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

    fn m(at: DateTime<Utc>, precision: Precision, end: Option<DateTime<Utc>>) -> Moment {
        Moment { at, precision, end }
    }

    #[test]
    fn a_moment_is_shown_as_precisely_as_it_is_known_with_date_and_zone() {
        let ams = chrono_tz::Europe::Amsterdam;
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 12, 40, 5).unwrap();
        let cases = [
            (m(t, Precision::Minute, None), "2026-11-20 13:40 CET"),
            (m(t, Precision::Second, None), "2026-11-20 13:40:05 CET"),
            (m(t, Precision::Approximate, None), "~2026-11-20 13:40 CET"),
            // A date alone: the day in the zone, no clock and so no zone.
            (
                m(
                    Utc.with_ymd_and_hms(2026, 11, 19, 23, 0, 0).unwrap(),
                    Precision::Date,
                    None,
                ),
                "2026-11-20",
            ),
        ];
        for (moment, want) in cases {
            assert_eq!(fmt_moment(&moment, &ams), want, "{moment:?}");
        }
        // Exact is the minute default and writes what fmt_minute writes.
        assert_eq!(fmt_moment(&Moment::exact(t), &ams), fmt_minute(t, &ams));
    }

    #[test]
    fn ranges_show_one_date_within_a_day_and_both_across_days() {
        let ams = chrono_tz::Europe::Amsterdam;
        let at = |d, h, mi| Utc.with_ymd_and_hms(2020, 4, d, h, mi, 0).unwrap();
        // Same day: 13:35–15:50 local (CEST, UTC+2).
        let same = m(at(22, 11, 35), Precision::Minute, Some(at(22, 13, 50)));
        assert_eq!(fmt_moment(&same, &ams), "2020-04-22 13:35–15:50 CEST");
        let approx = m(at(22, 11, 35), Precision::Approximate, Some(at(22, 13, 50)));
        assert_eq!(fmt_moment(&approx, &ams), "~2020-04-22 13:35–15:50 CEST");
        let secs = m(
            at(22, 11, 35),
            Precision::Second,
            Some(at(22, 13, 50) + chrono::Duration::seconds(7)),
        );
        assert_eq!(fmt_moment(&secs, &ams), "2020-04-22 13:35:00–15:50:07 CEST");
        // Across days: both dates, an en dash with spaces.
        let days = m(at(22, 11, 35), Precision::Minute, Some(at(23, 16, 10)));
        assert_eq!(fmt_moment(&days, &ams), "2020-04-22 13:35 – 2020-04-23 18:10 CEST");
        // Days only.
        let dates = m(at(21, 22, 0), Precision::Date, Some(at(23, 22, 0)));
        assert_eq!(fmt_moment(&dates, &ams), "2020-04-22–2020-04-24");
        let one_day = m(at(21, 22, 0), Precision::Date, Some(at(21, 22, 0)));
        assert_eq!(fmt_moment(&one_day, &ams), "2020-04-22");
        // Crossing midnight in the zone but not in UTC: the zone's dates decide.
        let night = m(at(22, 21, 30), Precision::Minute, Some(at(22, 22, 30)));
        assert_eq!(fmt_moment(&night, &ams), "2020-04-22 23:30 – 2020-04-23 00:30 CEST");
        assert_eq!(fmt_moment(&night, &Utc), "2020-04-22 21:30–22:30 UTC");
    }

    #[test]
    fn a_range_across_a_dst_change_names_the_zone_of_both_ends() {
        let ams = chrono_tz::Europe::Amsterdam;
        // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST.
        let start = Utc.with_ymd_and_hms(2026, 3, 28, 23, 30, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 3, 29, 9, 0, 0).unwrap();
        let r = m(start, Precision::Minute, Some(end));
        assert_eq!(fmt_moment(&r, &ams), "2026-03-29 00:30 CET – 11:00 CEST");
        let r = m(start - chrono::Duration::hours(1), Precision::Minute, Some(end));
        assert_eq!(fmt_moment(&r, &ams), "2026-03-28 23:30 CET – 2026-03-29 11:00 CEST");
        assert_eq!(fmt_moment(&Moment::exact(start), &ams), "2026-03-29 00:30 CET");
    }
}
