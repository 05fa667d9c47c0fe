//! `WHEN` expressions: the times people write (`13:25`, `13h25`, `10:54am`, `0200Z`,
//! `2020-11-13`, `18.6.2024 13h25`, `22/04/2020`, RFC 3339, `-15m`), optionally with a zone,
//! `~` for "about" and `START..END` ranges; which words are refused as malformed times; and
//! how a `WHEN` resolves to a `Moment` against the clock, the zone, the date order and the
//! incident's dated anchor. Parsing needs no configuration.

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::lex::Token;
use crate::domain::{DateOrder, FUTURE_SLACK_SECS, Moment, Precision};

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
    /// A time without a date that took the date of the anchor (the team is reconstructing):
    /// replies say so, since a live incident should not be read that way.
    pub anchored: bool,
}

/// While the anchor is older than this, the team is reconstructing and bare times take its date.
const RECONSTRUCTION_HOURS: i64 = 24;

/// A relative time (`-2h`) reaches at most this far back.
const MAX_AGO_DAYS: i64 = 3650;

/// The forms, briefly, for every refusal.
pub const ACCEPTED: &str = "Accepted: 13:25 or 13:25:30, 13h25 or 13h, 10:54am or 3pm, 0200Z (UTC); \
a date 2020-11-13, 18.6.2024 or 18/6/2024, alone or followed by a time; RFC 3339 (2020-11-13T08:00:00Z); \
-15m, -2h, -1d (that long ago); then optionally a zone (UTC, +02:00, Europe/Amsterdam). \
Put ~ in front for \"about\" (~06:00) and .. between two for a range (13:35..15:50).";

/// A time zone written by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

/// A time of day as written; `seconds` when the seconds were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub time: NaiveTime,
    pub seconds: bool,
}

/// A date as written. With slashes the order of day and month is the team's (`date_order`),
/// known only when resolving, so the numbers are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Known(NaiveDate),
    Slashed { first: u32, second: u32, year: i32 },
}

/// One end of a `WHEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Point {
    /// A time of day without a date: its date comes from the incident's context.
    Bare { clock: Clock, zone: Option<Zone> },
    /// A date, alone (date precision) or with a time of day.
    Dated {
        day: Day,
        clock: Option<Clock>,
        zone: Option<Zone>,
    },
    /// RFC 3339 with an offset.
    Instant { at: DateTime<FixedOffset>, seconds: bool },
    /// `-15m`: this many seconds before now; `seconds` when written in seconds.
    Ago { secs: i64, seconds: bool },
}

/// A parsed, not yet resolved, `WHEN`: a point or a range, maybe approximate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub start: Point,
    pub end: Option<Point>,
    pub approx: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WhenError(pub String);

// ---------------------------------------------------------------- single words

/// Decimal digits only, `min..=max` of them.
fn num(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn clock(h: u32, m: u32, s: Option<u32>) -> Option<Clock> {
    Some(Clock {
        time: NaiveTime::from_hms_opt(h, m, s.unwrap_or(0))?,
        seconds: s.is_some(),
    })
}

/// `H:MM` or `H:MM:SS` (one or two hour digits).
fn colon_clock(s: &str) -> Option<Clock> {
    let mut parts = s.split(':');
    let h = num(parts.next()?, 1, 2)?;
    let m = num(parts.next()?, 2, 2)?;
    let sec = parts.next().map(|p| num(p, 2, 2)).map_or(Some(None), |v| v.map(Some))?;
    if parts.next().is_some() {
        return None;
    }
    clock(h, m, sec)
}

/// `3pm`, `10:54am`, `12:00:30pm` (body without the suffix); 12am is midnight, 12pm noon.
fn twelve_hour(body: &str, pm: bool) -> Option<Clock> {
    let c = match num(body, 1, 2) {
        Some(h) => clock(h, 0, None)?,
        None => colon_clock(body)?,
    };
    let h = c.time.hour();
    if !(1..=12).contains(&h) {
        return None;
    }
    Some(Clock {
        time: c.time.with_hour(h % 12 + if pm { 12 } else { 0 })?,
        seconds: c.seconds,
    })
}

fn utc_zone() -> Option<Zone> {
    FixedOffset::east_opt(0).map(Zone::Fixed)
}

/// A time of day in one word: `13:25`, `13:25:30`, `13h25`, `13h`, `10:54am`, `3pm`, or
/// `0200Z` (which carries its zone, UTC).
fn read_clock(word: &str) -> Option<(Clock, Option<Zone>)> {
    let s = word.to_ascii_lowercase();
    if let Some(hhmm) = s.strip_suffix('z') {
        let (h, m) = (num(hhmm.get(..2)?, 2, 2)?, num(hhmm.get(2..)?, 2, 2)?);
        return Some((clock(h, m, None)?, utc_zone()));
    }
    for (suffix, pm) in [("am", false), ("pm", true)] {
        if let Some(body) = s.strip_suffix(suffix) {
            return Some((twelve_hour(body, pm)?, None));
        }
    }
    if let Some((h, m)) = s.split_once('h') {
        let m = if m.is_empty() { 0 } else { num(m, 2, 2)? };
        return Some((clock(num(h, 1, 2)?, m, None)?, None));
    }
    Some((colon_clock(&s)?, None))
}

/// A date in one word: `2020-11-13`, `18.6.2024` (always day first), `18/6/2024` (day or
/// month first; valid in at least one order).
fn read_day(s: &str) -> Option<Day> {
    let split3 = |sep: char| {
        let v: Vec<&str> = s.split(sep).collect();
        (v.len() == 3).then_some(v)
    };
    if let Some(p) = split3('-') {
        let (y, m, d) = (num(p[0], 4, 4)?, num(p[1], 1, 2)?, num(p[2], 1, 2)?);
        return NaiveDate::from_ymd_opt(y as i32, m, d).map(Day::Known);
    }
    if let Some(p) = split3('.') {
        let (d, m, y) = (num(p[0], 1, 2)?, num(p[1], 1, 2)?, num(p[2], 4, 4)?);
        return NaiveDate::from_ymd_opt(y as i32, m, d).map(Day::Known);
    }
    let p = split3('/')?;
    let (first, second, year) = (num(p[0], 1, 2)?, num(p[1], 1, 2)?, num(p[2], 4, 4)? as i32);
    let day = Day::Slashed { first, second, year };
    let valid = [DateOrder::Dmy, DateOrder::Mdy].iter().any(|o| day.date(*o).is_some());
    valid.then_some(day)
}

impl Day {
    /// The calendar date, reading a slashed date in `order`.
    fn date(self, order: DateOrder) -> Option<NaiveDate> {
        match (self, order) {
            (Day::Known(d), _) => Some(d),
            (Day::Slashed { first, second, year }, DateOrder::Dmy) => NaiveDate::from_ymd_opt(year, second, first),
            (Day::Slashed { first, second, year }, DateOrder::Mdy) => NaiveDate::from_ymd_opt(year, first, second),
        }
    }
}

/// RFC 3339 in one word: with an offset (an instant) or without one (a local date and time,
/// seconds optional).
fn read_rfc3339(s: &str) -> Option<Point> {
    if s.len() < 16 || !s.as_bytes().get(10).is_some_and(|b| *b == b'T' || *b == b't') {
        return None;
    }
    let seconds = s.as_bytes().get(16) == Some(&b':');
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Some(Point::Instant { at, seconds });
    }
    let upper = s.to_ascii_uppercase();
    let (naive, offset) = match upper.strip_suffix('Z') {
        Some(n) => (n.to_string(), Some("+00:00".to_string())),
        None => match upper.get(16..).and_then(|t| t.find(['+', '-']).map(|i| i + 16)) {
            Some(i) => (upper[..i].to_string(), Some(upper[i..].to_string())),
            None => (upper.clone(), None),
        },
    };
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&naive, f).ok())?;
    match offset {
        Some(o) => match parse_zone(&o)? {
            Zone::Fixed(off) => Some(Point::Instant {
                at: off.from_local_datetime(&local).single()?,
                seconds,
            }),
            Zone::Named(_) => None,
        },
        None => Some(Point::Dated {
            day: Day::Known(local.date()),
            clock: Some(Clock {
                time: local.time(),
                seconds,
            }),
            zone: None,
        }),
    }
}

/// `-15m`, `-2h`, `-1d`, `-90s`, `-1h30m`: that long before now.
fn read_ago(s: &str) -> Option<Point> {
    let mut rest = s.strip_prefix('-')?;
    let (mut secs, mut seconds) = (0i64, false);
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let value: i64 = rest.get(..n).filter(|d| !d.is_empty() && d.len() <= 7)?.parse().ok()?;
        let unit = match rest.as_bytes().get(n)?.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86_400,
            _ => return None,
        };
        seconds |= unit == 1;
        secs = secs.checked_add(value.checked_mul(unit)?)?;
        rest = &rest[n + 1..];
    }
    (secs <= MAX_AGO_DAYS * 86_400).then_some(Point::Ago { secs, seconds })
}

/// A zone token: `UTC`, `Z`, `GMT`, `+HH:MM`, `-HHMM`, `+HH`, or an IANA name containing `/`.
/// Bare abbreviations like `EST` or country names are not zones here, so that ordinary words
/// after a time are never swallowed.
pub fn parse_zone(s: &str) -> Option<Zone> {
    let upper = s.to_ascii_uppercase();
    if matches!(upper.as_str(), "UTC" | "Z" | "GMT") {
        return utc_zone();
    }
    if let Some((sign, digits)) = s
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| s.strip_prefix('-').map(|r| (-1, r)))
    {
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

// ---------------------------------------------------------------- shapes (what is refused)

/// Does this word look like a time or date, even one that cannot be read (`25:00`, `13h75`,
/// `32.1.2024`, `2024-02-30`, `~`)? Such a first word is refused rather than taken as text.
/// Ordinary words stay text: `3.5`, `10.0.0.1`, `24/7`, `1:1`, `8th`, `404s`, `2x`, `-v`.
pub fn looks_like_when(word: &str) -> bool {
    if word == "~" {
        return true;
    }
    let w = word.strip_prefix('~').unwrap_or(word);
    if let Some(rest) = w.strip_prefix('-') {
        let unit = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        return unit.len() < rest.len() && unit.starts_with(['s', 'm', 'h', 'd', 'S', 'M', 'H', 'D']);
    }
    let head = w.split("..").next().unwrap_or(w);
    let head = head.split('–').next().unwrap_or(head).to_ascii_lowercase();
    looks_like_clock(&head) || looks_like_date(&head)
}

/// The shape of a time of day: `\d{1,2}:\d\d…`, `\d{1,2}h\d*`, `\d{3,6}z`, `\d[\d:]*(am|pm)`.
fn looks_like_clock(s: &str) -> bool {
    let lead = s.bytes().take_while(u8::is_ascii_digit).count();
    if lead == 0 {
        return false;
    }
    let after = &s[lead..];
    let two_digits = |t: &str| t.len() >= 2 && t.as_bytes()[..2].iter().all(u8::is_ascii_digit);
    let colon = lead <= 2 && after.strip_prefix(':').is_some_and(two_digits);
    let french = lead <= 2
        && after
            .strip_prefix('h')
            .is_some_and(|m| m.bytes().all(|b| b.is_ascii_digit()));
    let zulu = (3..=6).contains(&lead) && after == "z";
    let meridiem = (after.ends_with("am") || after.ends_with("pm"))
        && after[..after.len() - 2]
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':');
    colon || french || zulu || meridiem
}

/// The shape of a date: `\d{4}-\d…`, or three groups of digits joined by `.` or by `/`.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    let iso = b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit();
    let three = |sep: char| {
        let v: Vec<&str> = s.split(sep).collect();
        v.len() == 3 && v.iter().all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
    };
    iso || three('.') || three('/')
}

// ---------------------------------------------------------------- words to a When

/// A part of a token: tokens are split at range separators (`..`, `–`) and after a leading `~`.
struct Piece<'a> {
    text: &'a str,
    token: usize,
    /// The last piece of its token (a `WHEN` must end at a word boundary).
    last: bool,
    /// The first piece of its token.
    first: bool,
}

/// At most this many words are looked at: the longest `WHEN` is
/// `~ 2020-04-22 13:35 Europe/Amsterdam .. 2020-04-23 18:10 Europe/Amsterdam`.
const MAX_WHEN_TOKENS: usize = 12;

/// Where the next range separator (`..` or `–`) in `s` starts, and its length in bytes.
fn next_separator(s: &str) -> Option<(usize, usize)> {
    match (s.find(".."), s.find('–')) {
        (Some(d), Some(e)) if e < d => Some((e, '–'.len_utf8())),
        (Some(d), _) => Some((d, 2)),
        (None, Some(e)) => Some((e, '–'.len_utf8())),
        (None, None) => None,
    }
}

/// One token's pieces: a leading `~`, then the text between separators and the separators.
fn split_token(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = value;
    if let Some(r) = rest.strip_prefix('~').filter(|r| !r.is_empty()) {
        parts.push("~");
        rest = r;
    }
    while let Some((at, len)) = next_separator(rest) {
        parts.extend(Some(&rest[..at]).filter(|p| !p.is_empty()));
        parts.push(&rest[at..at + len]);
        rest = &rest[at + len..];
    }
    parts.extend(Some(rest).filter(|p| !p.is_empty()));
    parts
}

fn pieces(tokens: &[Token]) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().take(MAX_WHEN_TOKENS).enumerate() {
        let parts = split_token(&t.value);
        let n = parts.len();
        out.extend(parts.into_iter().enumerate().map(|(k, text)| Piece {
            text,
            token: i,
            last: k + 1 == n,
            first: k == 0,
        }));
    }
    out
}

fn is_separator(s: &str) -> bool {
    s == ".." || s == "–"
}

fn refusal(word: &str, why: &str) -> WhenError {
    WhenError(format!("`{word}` {why}. {ACCEPTED}"))
}

/// Said when the first word of a text is refused as a malformed time.
const FORCE_TEXT: &str = "To keep such a word as text, put `--` before it (`timeline -- 1.2.3 deployed`).";

type Step<T> = Result<Option<(T, usize)>, WhenError>;

/// A zone at piece `i`, if there is one.
fn zone_at(ps: &[Piece], i: usize) -> (Option<Zone>, usize) {
    match ps.get(i).and_then(|p| parse_zone(p.text)) {
        Some(z) => (Some(z), 1),
        None => (None, 0),
    }
}

/// A time of day at piece `i` (with a following `am`/`pm` word), and the pieces it used.
fn clock_at(ps: &[Piece], i: usize) -> Option<((Clock, Option<Zone>), usize)> {
    let p = ps.get(i)?;
    if let Some(next) = ps.get(i + 1).filter(|n| n.first && p.last) {
        let m = next.text.to_ascii_lowercase().replace('.', "");
        if (m == "am" || m == "pm")
            && let Some(c) = read_clock(&format!("{}{m}", p.text))
        {
            return Some((c, 2));
        }
    }
    read_clock(p.text).map(|c| (c, 1))
}

/// One point at piece `i`: relative, RFC 3339, a date (and a time), or a time; then a zone.
fn point_at(ps: &[Piece], i: usize) -> Step<Point> {
    let Some(p) = ps.get(i) else { return Ok(None) };
    if let Some(ago) = read_ago(p.text) {
        return Ok(Some((ago, 1)));
    }
    if let Some(point) = read_rfc3339(p.text) {
        let (zone, z) = match point {
            Point::Dated { .. } => zone_at(ps, i + 1),
            _ => (None, 0),
        };
        return Ok(Some((with_zone(point, zone), 1 + z)));
    }
    if let Some(day) = read_day(p.text) {
        let (clock, n) = match clock_at(ps, i + 1) {
            Some(((c, zone), n)) => (Some((c, zone)), n),
            None => match ps.get(i + 1) {
                Some(t) if looks_like_clock(&t.text.to_ascii_lowercase()) => {
                    return Err(refusal(t.text, "is not a time of day"));
                }
                _ => (None, 0),
            },
        };
        let (written, zone) = (clock.map(|c| c.0), clock.and_then(|c| c.1));
        let (zone, z) = if zone.is_some() {
            (zone, 0)
        } else {
            zone_at(ps, i + 1 + n)
        };
        let point = Point::Dated {
            day,
            clock: written,
            zone,
        };
        return Ok(Some((point, 1 + n + z)));
    }
    if let Some(((clock, zone), n)) = clock_at(ps, i) {
        let (zone, z) = if zone.is_some() { (zone, 0) } else { zone_at(ps, i + n) };
        return Ok(Some((Point::Bare { clock, zone }, n + z)));
    }
    if looks_like_when(p.text) {
        return Err(refusal(p.text, "is not a time or date I can read"));
    }
    Ok(None)
}

fn with_zone(point: Point, zone: Option<Zone>) -> Point {
    match point {
        Point::Dated { day, clock, .. } => Point::Dated { day, clock, zone },
        other => other,
    }
}

impl Point {
    fn zone(&self) -> Option<Zone> {
        match self {
            Point::Bare { zone, .. } | Point::Dated { zone, .. } => *zone,
            _ => None,
        }
    }

    fn set_zone_if_none(&mut self, z: Option<Zone>) {
        if let Point::Bare { zone, .. } | Point::Dated { zone, .. } = self
            && zone.is_none()
        {
            *zone = z;
        }
    }

    fn date_only(&self) -> bool {
        matches!(self, Point::Dated { clock: None, .. })
    }
}

/// `[~] POINT [.. POINT]` at the start of the pieces, and how many pieces it used.
fn when_at(ps: &[Piece]) -> Step<When> {
    let Some(first) = ps.first() else { return Ok(None) };
    let approx = first.text == "~";
    let i = usize::from(approx);
    let Some((start, n)) = point_at(ps, i)? else {
        return match approx && first.last {
            true => Err(refusal("~", "must be followed by a time (~06:00, ~2020-11-13 08:00)")),
            false => Ok(None),
        };
    };
    let mut used = i + n;
    let mut when = When {
        start,
        end: None,
        approx,
    };
    if let Some(sep) = ps.get(used).filter(|p| is_separator(p.text)) {
        match point_at(ps, used + 1)? {
            Some((end, m)) => {
                when.end = Some(end);
                used += 1 + m;
            }
            // A dash that starts a word is punctuation in the text (`13:35 – deploy started`).
            None if sep.first => {}
            None => {
                return Err(refusal(
                    sep.text,
                    "must be followed by the end of the range (13:35..15:50)",
                ));
            }
        }
    }
    check_range(&mut when)?;
    Ok(Some((when, used)))
}

/// A range is two dates or two times; a zone written on one end applies to the other.
fn check_range(w: &mut When) -> Result<(), WhenError> {
    let Some(end) = w.end.as_mut() else { return Ok(()) };
    if w.start.date_only() != end.date_only() {
        return Err(WhenError(format!(
            "a range is two dates (2020-11-13..2020-11-15) or two times (13:35..15:50, 2020-04-22 13:35..2020-04-23 18:10), not a date and a time. {ACCEPTED}"
        )));
    }
    let (sz, ez) = (w.start.zone(), end.zone());
    end.set_zone_if_none(sz);
    w.start.set_zone_if_none(ez);
    Ok(())
}

/// An optional `WHEN` at the start of `tokens`; returns it and how many tokens it used. A
/// first word that looks like a time or date but cannot be read is refused (with the accepted
/// forms and `--` to force text), never taken as text.
pub fn read_prefix(tokens: &[Token]) -> Result<Option<(When, usize)>, WhenError> {
    read_start(tokens).map_err(|e| WhenError(format!("{} {FORCE_TEXT}", e.0)))
}

/// `read_prefix` without the advice about `--` (for a `WHEN` that is not followed by text).
fn read_start(tokens: &[Token]) -> Result<Option<(When, usize)>, WhenError> {
    let Some(first) = tokens.first() else { return Ok(None) };
    let ps = pieces(tokens);
    let found = match when_at(&ps)? {
        Some((w, used)) if ps[used - 1].last => Some((w, ps[used - 1].token + 1)),
        _ => None,
    };
    match found {
        Some(f) => Ok(Some(f)),
        None if looks_like_when(&first.value) => Err(refusal(&first.value, "is not a time or date I can read")),
        None => Ok(None),
    }
}

/// Parse a complete `WHEN` (all tokens must be used): milestones, impact windows.
pub fn parse_all(tokens: &[Token]) -> Result<When, WhenError> {
    let shown = tokens.iter().map(|t| t.value.as_str()).collect::<Vec<_>>().join(" ");
    match read_start(tokens)? {
        Some((w, n)) if n == tokens.len() => Ok(w),
        _ => Err(WhenError(format!("`{shown}` is not a time. {ACCEPTED}"))),
    }
}

// ---------------------------------------------------------------- resolving

/// A point placed in time: its instant and what was written.
struct Placed {
    at: DateTime<Utc>,
    seconds: bool,
    dated: bool,
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

/// A local date and time in the written zone, or else in the configured one.
fn local_to_utc(zone: Option<Zone>, tz: Tz, at: NaiveDateTime) -> Result<DateTime<Utc>, WhenError> {
    match zone {
        Some(Zone::Fixed(off)) => to_utc(&off, &off.to_string(), at),
        Some(Zone::Named(z)) => to_utc(&z, z.name(), at),
        None => to_utc(&tz, tz.name(), at),
    }
}

/// The calendar date of `t` in the written zone, or else in the configured one.
fn local_date(zone: Option<Zone>, tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    match zone {
        Some(Zone::Fixed(off)) => t.with_timezone(&off).date_naive(),
        Some(Zone::Named(z)) => t.with_timezone(&z).date_naive(),
        None => t.with_timezone(&tz).date_naive(),
    }
}

/// The start of `day` in the zone (the first instant of that day where midnight is skipped).
fn start_of_day(zone: Option<Zone>, tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, WhenError> {
    (0..=3)
        .find_map(|h| local_to_utc(zone, tz, day.and_hms_opt(h, 0, 0)?).ok())
        .ok_or_else(|| WhenError(format!("the start of {day} cannot be placed in its zone; give a time")))
}

/// A bare time: the anchor's date while reconstructing, else the latest such time not in the
/// future (a time up to `FUTURE_SLACK_SECS` ahead, clock skew between people, is still today).
fn place_bare(clock: Clock, zone: Option<Zone>, ctx: &TimeContext) -> Result<DateTime<Utc>, WhenError> {
    let reconstructing = ctx
        .anchor
        .filter(|a| ctx.now - *a > Duration::hours(RECONSTRUCTION_HOURS));
    if let Some(anchor) = reconstructing {
        let day = local_date(zone, ctx.tz, anchor);
        return local_to_utc(zone, ctx.tz, day.and_time(clock.time));
    }
    let today = local_date(zone, ctx.tz, ctx.now);
    let t = local_to_utc(zone, ctx.tz, today.and_time(clock.time))?;
    if t <= ctx.now + Duration::seconds(FUTURE_SLACK_SECS) {
        return Ok(t);
    }
    // Today's would be in the future: it was yesterday.
    let yesterday = today.pred_opt().ok_or_else(|| WhenError("date out of range".into()))?;
    local_to_utc(zone, ctx.tz, yesterday.and_time(clock.time))
}

/// The end of a range written as a bare time: the start's date (in the end's zone), or the
/// next day when that would be before the start (`23:10..00:40` crosses midnight).
fn place_bare_end(clock: Clock, zone: Option<Zone>, tz: Tz, start: DateTime<Utc>) -> Result<DateTime<Utc>, WhenError> {
    let day = local_date(zone, tz, start);
    let t = local_to_utc(zone, tz, day.and_time(clock.time))?;
    if t >= start {
        return Ok(t);
    }
    let next = day.succ_opt().ok_or_else(|| WhenError("date out of range".into()))?;
    local_to_utc(zone, tz, next.and_time(clock.time))
}

fn slashed_date(day: Day, order: DateOrder) -> Result<NaiveDate, WhenError> {
    day.date(order).ok_or_else(|| {
        let Day::Slashed { first, second, year } = day else {
            return WhenError("not a date".into());
        };
        let (reading, fix) = match order {
            DateOrder::Dmy => ("day/month/year", "month first needs `[time] date_order = \"mdy\"`"),
            DateOrder::Mdy => ("month/day/year", "or write it as YYYY-MM-DD"),
        };
        WhenError(format!(
            "{first}/{second}/{year} is not a date read as {reading} (this team's date order); write it as YYYY-MM-DD ({fix})"
        ))
    })
}

impl Point {
    /// Place this point; `start` is the range's start when this is its end.
    fn place(&self, ctx: &TimeContext, start: Option<DateTime<Utc>>) -> Result<Placed, WhenError> {
        let placed = |at, seconds, dated| Placed { at, seconds, dated };
        Ok(match self {
            Point::Bare { clock, zone } => {
                let at = match start {
                    Some(s) => place_bare_end(*clock, *zone, ctx.tz, s)?,
                    None => place_bare(*clock, *zone, ctx)?,
                };
                placed(at, clock.seconds, false)
            }
            Point::Dated { day, clock, zone } => {
                let date = slashed_date(*day, ctx.date_order)?;
                let at = match clock {
                    Some(c) => local_to_utc(*zone, ctx.tz, date.and_time(c.time))?,
                    // A day is a day in the team's zone (drafts show it there): a zone on a
                    // date alone would move it to another day on the page.
                    None => {
                        let at = start_of_day(None, ctx.tz, date)?;
                        if zone.is_some() && start_of_day(*zone, ctx.tz, date)? != at {
                            return Err(WhenError(format!(
                                "a date alone ({date}) is that day in the configured zone ({}); leave the zone out, or give a time with it",
                                ctx.tz.name()
                            )));
                        }
                        at
                    }
                };
                placed(at, clock.is_some_and(|c| c.seconds), true)
            }
            Point::Instant { at, seconds } => placed(at.with_timezone(&Utc), *seconds, true),
            Point::Ago { secs, seconds } => placed(ctx.now - Duration::seconds(*secs), *seconds, false),
        })
    }
}

impl When {
    /// Is this a range (`START..END`)?
    pub fn is_range(&self) -> bool {
        self.end.is_some()
    }

    /// The moment this denotes in `ctx`, with its precision and range end.
    pub fn resolve_in(&self, ctx: &TimeContext) -> Result<Resolved, WhenError> {
        let start = self.start.place(ctx, None)?;
        let end = match &self.end {
            Some(p) => Some(p.place(ctx, Some(start.at))?),
            None => None,
        };
        if let Some(e) = &end
            && e.at < start.at
        {
            let format = if self.start.date_only() {
                "%Y-%m-%d"
            } else {
                "%Y-%m-%d %H:%M %Z"
            };
            let shown = |t: DateTime<Utc>| t.with_timezone(&ctx.tz).format(format).to_string();
            return Err(WhenError(format!(
                "the range ends ({}) before it starts ({}); write the earlier time first",
                shown(e.at),
                shown(start.at),
            )));
        }
        let precision = if self.start.date_only() {
            Precision::Date
        } else if self.approx {
            Precision::Approximate
        } else if start.seconds || end.as_ref().is_some_and(|e| e.seconds) {
            Precision::Second
        } else {
            Precision::Minute
        };
        Ok(Resolved {
            moment: Moment {
                at: start.at,
                precision,
                end: end.as_ref().map(|e| e.at),
            },
            dated: start.dated || end.is_some_and(|e| e.dated),
            anchored: matches!(self.start, Point::Bare { .. })
                && ctx
                    .anchor
                    .is_some_and(|a| ctx.now - a > Duration::hours(RECONSTRUCTION_HOURS)),
        })
    }

    /// The instant this denotes (its start), given the current time and the configured zone,
    /// outside any incident (no anchor, day-first dates).
    pub fn resolve(&self, now: DateTime<Utc>, default_tz: Tz) -> Result<DateTime<Utc>, WhenError> {
        let ctx = TimeContext {
            now,
            tz: default_tz,
            date_order: DateOrder::Dmy,
            anchor: None,
        };
        Ok(self.resolve_in(&ctx)?.moment.at)
    }
}

#[cfg(test)]
#[path = "when_tests.rs"]
mod tests;
