//! Per-user rate limits: a token bucket per user in memory, timed by the service's clock. The
//! number of users tracked is bounded; when it is reached, the buckets closest to full go
//! first (forgetting them grants the least: a refilled bucket means nothing), the longest
//! unused among equals.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Users tracked per limiter at most.
pub const MAX_TRACKED_USERS: usize = 10_000;

/// One token is this many credit units; a bucket refills `per_minute` units per millisecond
/// (integer arithmetic: no rounding drift).
const UNIT: u128 = 60_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    credit: u128,
    at: DateTime<Utc>,
}

/// At most `per_minute` actions per user per minute, in bursts of up to `per_minute`.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u64,
    max_users: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `per_minute = 0`: no limit.
    pub fn new(per_minute: u64, max_users: usize) -> RateLimiter {
        RateLimiter {
            per_minute,
            max_users: max_users.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(&self) -> u64 {
        self.per_minute
    }

    fn capacity(&self) -> u128 {
        u128::from(self.per_minute) * UNIT
    }

    /// The bucket's credit at `now` (a clock that went back refills nothing).
    fn refilled(&self, b: Bucket, now: DateTime<Utc>) -> u128 {
        let ms = u128::try_from((now - b.at).num_milliseconds()).unwrap_or(0);
        b.credit
            .saturating_add(ms.saturating_mul(u128::from(self.per_minute)))
            .min(self.capacity())
    }

    /// Take one action for `who` at `now`. `Err`: how long until the next one is allowed.
    /// A refused attempt costs nothing.
    pub fn take(&self, who: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !buckets.contains_key(who) && buckets.len() >= self.max_users {
            self.evict(&mut buckets, now);
        }
        let b = buckets.entry(who.to_string()).or_insert(Bucket {
            credit: self.capacity(),
            at: now,
        });
        let credit = self.refilled(*b, now);
        if credit >= UNIT {
            *b = Bucket {
                credit: credit - UNIT,
                at: now.max(b.at),
            };
            Ok(())
        } else {
            let ms = (UNIT - credit).div_ceil(u128::from(self.per_minute));
            Err(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
        }
    }

    fn evict(&self, buckets: &mut HashMap<String, Bucket>, now: DateTime<Utc>) {
        let cap = self.capacity();
        buckets.retain(|_, b| self.refilled(*b, now) < cap);
        if buckets.len() < self.max_users {
            return;
        }
        let mut order: Vec<(u128, DateTime<Utc>, String)> = buckets
            .iter()
            .map(|(k, b)| (self.refilled(*b, now), b.at, k.clone()))
            .collect();
        // Fullest first, then oldest.
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let excess = buckets.len() + 1 - self.max_users;
        for (_, _, k) in order.into_iter().take(excess) {
            buckets.remove(&k);
        }
    }

    /// Users tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// "4 s", "1 min 5 s": a wait rounded up to whole seconds.
pub fn show_wait(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let secs = secs.max(1);
    if secs < 60 {
        format!("{secs} s")
    } else if secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(secs * 1000)
    }

    #[test]
    fn bursts_then_refills_at_the_rate() {
        let l = RateLimiter::new(60, 100);
        for _ in 0..60 {
            assert!(l.take("a", t(0)).is_ok());
        }
        let wait = l.take("a", t(0)).unwrap_err();
        assert_eq!(show_wait(wait), "1 s");
        // Another user has their own bucket.
        assert!(l.take("b", t(0)).is_ok());
        // One per second comes back.
        assert!(l.take("a", t(1)).is_ok());
        assert!(l.take("a", t(1)).is_err());
        // A full minute later the whole burst is back, and no more.
        for _ in 0..60 {
            assert!(l.take("a", t(100)).is_ok());
        }
        assert!(l.take("a", t(100)).is_err());
    }

    #[test]
    fn slow_limits_say_how_long_to_wait_and_zero_is_off() {
        let l = RateLimiter::new(5, 100);
        for _ in 0..5 {
            l.take("a", t(0)).unwrap();
        }
        assert_eq!(show_wait(l.take("a", t(0)).unwrap_err()), "12 s");
        assert_eq!(show_wait(l.take("a", t(5)).unwrap_err()), "7 s");
        assert!(l.take("a", t(12)).is_ok());
        // A clock that goes back neither refills nor breaks the bucket.
        assert!(l.take("a", t(-600)).is_err());
        let off = RateLimiter::new(0, 1);
        for _ in 0..10_000 {
            assert!(off.take("a", t(0)).is_ok());
        }
        assert_eq!(off.tracked(), 0);
        assert_eq!(show_wait(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(show_wait(Duration::from_millis(1)), "1 s");
    }

    #[test]
    fn memory_is_bounded() {
        let l = RateLimiter::new(10, 100);
        // An attacker's flood of ids never grows the table past its cap...
        for i in 0..1_000 {
            l.take(&format!("u{i}"), t(i)).unwrap();
            assert!(l.tracked() <= 100);
        }
        // ...and a user who is still limited is not the one forgotten for a newcomer.
        let l = RateLimiter::new(2, 2);
        l.take("busy", t(0)).unwrap();
        l.take("busy", t(0)).unwrap();
        l.take("other", t(0)).unwrap();
        l.take("new", t(0)).unwrap();
        assert!(l.take("busy", t(0)).is_err(), "a limited user escaped by eviction");
    }
}
