//! Automatic openings per minute, per alert rule (or per webhook source when no rule matched):
//! a sliding one-minute window of the incidents each opened, and whether it is in an alert
//! storm (over the limit), so further alerts join one alert-storm incident instead.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::domain::Incident;

pub use crate::config::DEFAULT_MAX_OPENINGS_PER_MINUTE;

/// What an alert that would open an incident may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Open it; the opening is reserved at this time (`release` it if nothing opened).
    /// `ended`: this key's storm, of that many alerts, is over (none in the last minute).
    Open {
        reserved: Option<DateTime<Utc>>,
        ended: Option<u64>,
    },
    /// Over the limit: join the alert-storm incident (the first of its alerts that is stored
    /// says so in the log: `announce`).
    Storm,
}

#[derive(Debug, Default)]
struct KeyState {
    /// Times of the openings within the window, oldest first.
    opened: VecDeque<DateTime<Utc>>,
    /// Alerts routed to the storm incident since the storm began, and when the last one was;
    /// `None`: no storm.
    storm: Option<(u64, DateTime<Utc>)>,
    /// The current storm has been announced in the log (see `announce`).
    announced: bool,
}

#[derive(Debug, Default)]
struct State {
    seeded: bool,
    keys: HashMap<String, KeyState>,
}

/// The per-rule window of automatic openings; `limit` 0 means no limit.
#[derive(Debug)]
pub struct OpeningLimiter {
    limit: u32,
    state: Mutex<State>,
}

fn window() -> Duration {
    Duration::minutes(1)
}

impl OpeningLimiter {
    pub fn new(limit: u32) -> Self {
        OpeningLimiter {
            limit,
            state: Mutex::new(State::default()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Has the window been filled from the store since this process started?
    pub fn is_seeded(&self) -> bool {
        self.with(|s| s.seeded)
    }

    /// Count the openings of the last minute recorded in the store (`incidents`: the open
    /// ones), so a restart during a storm does not open another `limit` incidents.
    pub fn seed(&self, incidents: &[Incident], now: DateTime<Utc>) {
        self.with(|s| {
            if s.seeded {
                return;
            }
            s.seeded = true;
            let mut recent: Vec<(&str, DateTime<Utc>)> = incidents
                .iter()
                .filter(|i| i.storm.is_none() && now - i.declared_at < window() && i.declared_at <= now)
                .filter_map(|i| i.trigger.as_ref().map(|t| (t.rule.as_str(), i.declared_at)))
                .collect();
            recent.sort_by_key(|(_, at)| *at);
            for (key, at) in recent {
                s.keys.entry(key.to_string()).or_default().opened.push_back(at);
            }
        });
    }

    /// May an alert of `key` (a rule name, or `hook:<source>`) open an incident at `now`?
    pub fn reserve(&self, key: &str, now: DateTime<Utc>) -> Decision {
        if self.limit == 0 {
            return Decision::Open {
                reserved: None,
                ended: None,
            };
        }
        self.with(|s| {
            let k = s.keys.entry(key.to_string()).or_default();
            while k.opened.front().is_some_and(|t| now - *t >= window()) {
                k.opened.pop_front();
            }
            if k.opened.len() < self.limit as usize {
                k.opened.push_back(now);
                // A storm lasts while its alerts keep coming, even if some open incidents again.
                let over = k.storm.is_some_and(|(_, last)| now - last >= window());
                if over {
                    k.announced = false;
                }
                Decision::Open {
                    reserved: Some(now),
                    ended: if over { k.storm.take().map(|(n, _)| n) } else { None },
                }
            } else {
                let (n, last) = k.storm.get_or_insert((0, now));
                *n += 1;
                *last = now;
                Decision::Storm
            }
        })
    }

    /// Should the storm of `key` be announced now? True once per storm: for the first alert
    /// of it that was stored. (Not decided by `reserve`: the alert that began the storm may be
    /// part of a notification that fails and is sent again, or be refused while the others
    /// are stored.)
    pub fn announce(&self, key: &str) -> bool {
        self.with(|s| match s.keys.get_mut(key) {
            Some(k) if k.storm.is_some() && !k.announced => {
                k.announced = true;
                true
            }
            _ => false,
        })
    }

    /// Give back a reservation that opened nothing (the alert joined an open incident).
    pub fn release(&self, key: &str, reserved: DateTime<Utc>) {
        self.with(|s| {
            if let Some(k) = s.keys.get_mut(key)
                && let Some(pos) = k.opened.iter().rposition(|t| *t == reserved)
            {
                k.opened.remove(pos);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn a_sliding_minute_per_key() {
        let l = OpeningLimiter::new(2);
        assert!(matches!(l.reserve("a", t(0)), Decision::Open { ended: None, .. }));
        assert!(matches!(l.reserve("a", t(10)), Decision::Open { .. }));
        assert_eq!(l.reserve("a", t(20)), Decision::Storm);
        assert_eq!(l.reserve("a", t(30)), Decision::Storm);
        // Another rule has its own window.
        assert!(matches!(l.reserve("b", t(30)), Decision::Open { .. }));
        // One minute after the first opening, one slot is free again; the storm goes on (its
        // last alert was 30 s ago) and the next alert over the limit is part of it.
        assert_eq!(
            l.reserve("a", t(60)),
            Decision::Open {
                reserved: Some(t(60)),
                ended: None
            }
        );
        assert_eq!(l.reserve("a", t(61)), Decision::Storm);
        // A minute without storm alerts ends it.
        assert_eq!(
            l.reserve("a", t(125)),
            Decision::Open {
                reserved: Some(t(125)),
                ended: Some(3)
            }
        );
    }

    #[test]
    fn a_storm_is_announced_once_whichever_alert_is_stored_first() {
        let l = OpeningLimiter::new(1);
        assert!(!l.announce("a"), "no storm, nothing to announce");
        assert!(matches!(l.reserve("a", t(0)), Decision::Open { .. }));
        assert_eq!(l.reserve("a", t(1)), Decision::Storm);
        assert_eq!(l.reserve("a", t(2)), Decision::Storm);
        // The first was not stored; whichever is stored first announces the storm, once.
        assert!(l.announce("a"));
        assert!(!l.announce("a"));
        assert_eq!(l.reserve("a", t(3)), Decision::Storm);
        assert!(!l.announce("a"));
        // A storm over; the next one is announced again.
        assert!(matches!(l.reserve("a", t(70)), Decision::Open { ended: Some(3), .. }));
        assert_eq!(l.reserve("a", t(71)), Decision::Storm);
        assert!(l.announce("a"));
    }

    #[test]
    fn released_reservations_do_not_count_and_zero_is_no_limit() {
        let l = OpeningLimiter::new(1);
        let Decision::Open { reserved: Some(at), .. } = l.reserve("a", t(0)) else {
            panic!("first opening refused")
        };
        l.release("a", at);
        assert!(matches!(l.reserve("a", t(1)), Decision::Open { .. }));
        let unlimited = OpeningLimiter::new(0);
        for s in 0..1_000 {
            assert!(matches!(unlimited.reserve("a", t(s / 100)), Decision::Open { .. }));
        }
    }
}
