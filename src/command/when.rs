//! `WHEN` expressions: `HH:MM`, `YYYY-MM-DD HH:MM`, RFC 3339, each optionally followed by a
//! zone (`UTC`, `Z`, `GMT`, `+02:00`, or an IANA name such as `Europe/Amsterdam`). Parsing is
//! pure; resolving to an instant takes "now" and the configured zone as parameters.

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::lex::Token;
use crate::domain::{DateOrder, Moment};

/// What a `WHEN` is resolved against: the clock, the configured zone and date order, and the
/// incident's context (the latest entry recorded with an explicit date).
#[derive(Debug, Clone, Copy)]
pub struct TimeContext {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub date_order: DateOrder,
    /// `Incident::dated_anchor`: while it is more than 24 h before `now`, a bare time takes its date.
    pub anchor: Option<DateTime<Utc>>,
}

/// A resolved `WHEN`: the moment, and whether the user wrote a date (which moves the
/// incident's anchor for later bare times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub moment: Moment,
    pub dated: bool,
}

/// A `HH:MM` up to this far ahead of now still means today (clock skew between people).
const CLOCK_GRACE_SECS: i64 = 120;

/// A time zone written by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

/// A parsed, not yet resolved, point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// A time of day; the date is today, or yesterday if that would lie in the future.
    Clock { time: NaiveTime, zone: Option<Zone> },
    /// A date and time; without a zone it is in the configured zone.
    Local { at: NaiveDateTime, zone: Option<Zone> },
    /// A fully specified instant (RFC 3339 with offset).
    Instant(DateTime<FixedOffset>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WhenError(pub String);

fn parse_clock(s: &str) -> Option<NaiveTime> {
    let ok_shape = |s: &str| {
        let parts: Vec<&str> = s.split(':').collect();
        (parts.len() == 2 || parts.len() == 3)
            && (1..=2).contains(&parts[0].len())
            && parts[1..].iter().all(|p| p.len() == 2)
            && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
    };
    if !ok_shape(s) {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A zone token: `UTC`, `Z`, `GMT`, `+HH:MM`, `-HHMM`, `+HH`, or an IANA name containing `/`.
/// Bare abbreviations like `EST` or country names are not zones here, so that ordinary words
/// after a time are never swallowed.
pub fn parse_zone(s: &str) -> Option<Zone> {
    let upper = s.to_ascii_uppercase();
    if matches!(upper.as_str(), "UTC" | "Z" | "GMT") {
        return Some(Zone::Fixed(FixedOffset::east_opt(0)?));
    }
    if let Some(rest) = s
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| s.strip_prefix('-').map(|r| (-1, r)))
    {
        let (sign, digits) = rest;
        let digits: String = digits.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
            return None;
        }
        let h: i32 = digits[..2].parse().ok()?;
        let m: i32 = if digits.len() == 4 {
            digits[2..].parse().ok()?
        } else {
            0
        };
        if h > 14 || m > 59 {
            return None;
        }
        return FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed);
    }
    if s.contains('/') {
        return s.parse::<Tz>().ok().map(Zone::Named);
    }
    None
}

/// Try to read a `WHEN` at the start of `tokens`; returns it and how many tokens it used.
pub fn parse_prefix(tokens: &[Token]) -> Option<(When, usize)> {
    let first = tokens.first()?.value.as_str();
    let zone_at = |i: usize| tokens.get(i).and_then(|t| parse_zone(&t.value));
    if let Some(time) = parse_clock(first) {
        return Some(match zone_at(1) {
            Some(z) => (When::Clock { time, zone: Some(z) }, 2),
            None => (When::Clock { time, zone: None }, 1),
        });
    }
    if let Some(date) = parse_date(first) {
        let time = parse_clock(tokens.get(1)?.value.as_str())?;
        let at = date.and_time(time);
        return Some(match zone_at(2) {
            Some(z) => (When::Local { at, zone: Some(z) }, 3),
            None => (When::Local { at, zone: None }, 2),
        });
    }
    if first.len() >= 16 && first.as_bytes().get(10).is_some_and(|b| *b == b'T' || *b == b't') {
        if let Ok(dt) = DateTime::parse_from_rfc3339(first) {
            return Some((When::Instant(dt), 1));
        }
        // RFC 3339 without seconds and/or without offset.
        for fmt in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%MZ"] {
            if let Ok(dt) = DateTime::parse_from_str(first, fmt) {
                return Some((When::Instant(dt), 1));
            }
        }
        if first.ends_with(['Z', 'z']) {
            let naive = &first[..first.len() - 1];
            for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
                if let Ok(at) = NaiveDateTime::parse_from_str(naive, fmt) {
                    return Some((When::Instant(at.and_utc().fixed_offset()), 1));
                }
            }
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
            if let Ok(at) = NaiveDateTime::parse_from_str(first, fmt) {
                return Some(match zone_at(1) {
                    Some(z) => (When::Local { at, zone: Some(z) }, 2),
                    None => (When::Local { at, zone: None }, 1),
                });
            }
        }
    }
    None
}

/// Does this word look like the start of a time (`25:00`, `2024-02-30`) even if it is not a
/// valid one? Such words are refused rather than taken as text.
pub fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    let clock = b.len() >= 4 && b.len() <= 8 && b.iter().all(|c| c.is_ascii_digit() || *c == b':') && b.contains(&b':');
    let date = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-';
    clock || date
}

/// An optional `WHEN` at the start of `tokens`, and how many tokens it used. A first word that
/// looks like a time but cannot be read is an error (with the accepted forms), never text.
pub fn read_prefix(tokens: &[Token]) -> Result<Option<(When, usize)>, WhenError> {
    match parse_prefix(tokens) {
        Some(found) => Ok(Some(found)),
        None => match tokens.first() {
            Some(t) if looks_like_time(&t.value) => Err(WhenError(format!(
                "`{}` is not a valid time; use HH:MM, YYYY-MM-DD HH:MM or RFC 3339",
                t.value
            ))),
            _ => Ok(None),
        },
    }
}

/// Parse a complete `WHEN` (all tokens must be used).
pub fn parse_all(tokens: &[Token]) -> Result<When, WhenError> {
    let shown = tokens.iter().map(|t| t.value.as_str()).collect::<Vec<_>>().join(" ");
    match parse_prefix(tokens) {
        Some((w, n)) if n == tokens.len() => Ok(w),
        _ => Err(WhenError(format!(
            "`{shown}` is not a time; use HH:MM, YYYY-MM-DD HH:MM or RFC 3339, optionally followed by a zone (UTC, +02:00, Europe/Amsterdam)"
        ))),
    }
}

fn to_utc<Z: TimeZone>(zone: &Z, zone_name: &str, at: NaiveDateTime) -> Result<DateTime<Utc>, WhenError> {
    match zone.from_local_datetime(&at) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // Clocks went back: the hour happened twice; take the first occurrence.
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(WhenError(format!(
            "{} does not exist in {zone_name} (the clocks jumped forward); give the time in UTC or with an offset",
            at.format("%Y-%m-%d %H:%M")
        ))),
    }
}

impl When {
    /// Is this a range (`START..END`)?
    pub fn is_range(&self) -> bool {
        false
    }

    /// The moment this denotes in `ctx`, with its precision and range end.
    pub fn resolve_in(&self, ctx: &TimeContext) -> Result<Resolved, WhenError> {
        let at = self.resolve(ctx.now, ctx.tz)?;
        Ok(Resolved {
            moment: Moment::exact(at),
            dated: !matches!(self, When::Clock { .. }),
        })
    }

    /// The instant this denotes, given the current time and the configured zone.
    pub fn resolve(&self, now: DateTime<Utc>, default_tz: Tz) -> Result<DateTime<Utc>, WhenError> {
        match self {
            When::Instant(dt) => Ok(dt.with_timezone(&Utc)),
            When::Local { at, zone } => match zone {
                Some(Zone::Fixed(off)) => to_utc(off, &off.to_string(), *at),
                Some(Zone::Named(tz)) => to_utc(tz, tz.name(), *at),
                None => to_utc(&default_tz, default_tz.name(), *at),
            },
            When::Clock { time, zone } => match zone {
                Some(Zone::Fixed(off)) => clock_to_utc(off, &off.to_string(), *time, now),
                Some(Zone::Named(tz)) => clock_to_utc(tz, tz.name(), *time, now),
                None => clock_to_utc(&default_tz, default_tz.name(), *time, now),
            },
        }
    }
}

fn clock_to_utc<Z: TimeZone>(
    zone: &Z,
    name: &str,
    time: NaiveTime,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WhenError> {
    let today = now.with_timezone(zone).date_naive();
    let limit = now + Duration::seconds(CLOCK_GRACE_SECS);
    let t = to_utc(zone, name, today.and_time(time))?;
    if t <= limit {
        return Ok(t);
    }
    // Today's would be in the future: it was yesterday.
    let yesterday = today.pred_opt().ok_or_else(|| WhenError("date out of range".into()))?;
    to_utc(zone, name, yesterday.and_time(time))
}

#[cfg(test)]
#[path = "when_tests.rs"]
mod tests;
