//! Rate limits for log lines anyone on the network can cause (a refused webhook or Slack
//! request): at most one WARN per interval per kind, saying how many were left out (webhook
//! refusals are also all counted in `warroom_webhook_requests_total`). An attacker cannot fill
//! the disk or push the journal into dropping the lines that matter.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One kind of log line, allowed once per `every`.
pub struct Throttle {
    every: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    pub const fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(n)` when a line may be logged now (`n`: how many were left out since the last),
    /// else `None` (this one is counted as left out).
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.0 {
            Some(last) if now.duration_since(last) < self.every => {
                s.1 += 1;
                None
            }
            _ => {
                let left_out = std::mem::take(&mut s.1);
                s.0 = Some(now);
                Some(left_out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_and_the_count_of_the_rest() {
        let t = Throttle::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(t.allow_at(t0), Some(0));
        for s in 1..=5 {
            assert_eq!(t.allow_at(t0 + Duration::from_secs(s)), None);
        }
        assert_eq!(t.allow_at(t0 + Duration::from_secs(10)), Some(5));
        assert_eq!(t.allow_at(t0 + Duration::from_secs(11)), None);
        assert_eq!(t.allow_at(t0 + Duration::from_secs(25)), Some(1));
    }
}
