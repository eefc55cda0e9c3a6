//! Sliding-window throttles kept in memory, so per server instance:
//! - failed sign-ins: after too many wrong passwords for one e-mail address within 15
//!   minutes, further attempts for it are refused with 429 until the window has passed;
//! - exports of customer data: at most a few per caller per hour (a CRM's sensitive flow is
//!   the mass harvesting of personal data).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per address within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted over.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Exports allowed per caller within [`EXPORT_WINDOW`].
pub const MAX_EXPORTS: usize = 5;
/// The window exports are counted over.
pub const EXPORT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Recent events per key (a lower-cased e-mail address, a caller).
#[derive(Debug)]
pub struct Throttle {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// The sign-in throttle.
pub type LoginThrottle = Throttle;

impl Default for Throttle {
    /// The sign-in throttle: [`MAX_FAILURES`] per [`WINDOW`].
    fn default() -> Self {
        Self::new(MAX_FAILURES, WINDOW)
    }
}

impl Throttle {
    /// At most `max` events per key within `window`.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The export throttle: [`MAX_EXPORTS`] per [`EXPORT_WINDOW`].
    pub fn exports() -> Self {
        Self::new(MAX_EXPORTS, EXPORT_WINDOW)
    }

    /// Seconds until `email` may try again, if it is throttled now.
    pub fn retry_after(&self, email: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entries = map.get_mut(email)?;
        while entries
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            entries.pop_front();
        }
        if entries.len() < self.max {
            return None;
        }
        let oldest = entries.front()?;
        Some(
            self.window
                .saturating_sub(now.duration_since(*oldest))
                .as_secs()
                .max(1),
        )
    }

    /// Count an event (a failed sign-in, an export).
    pub fn record(&self, email: &str) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound memory under a flood of distinct addresses: forget the idle ones.
        if map.len() > 100_000 {
            let now = Instant::now();
            map.retain(|_, v| {
                v.back()
                    .is_some_and(|t| now.duration_since(*t) <= self.window)
            });
        }
        map.entry(email.to_owned())
            .or_default()
            .push_back(Instant::now());
    }

    /// Forget the failures of an address after a successful sign-in.
    pub fn clear(&self, email: &str) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_is_throttled_and_success_clears() {
        let t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert_eq!(t.retry_after("a@x.example"), None);
            t.record("a@x.example");
        }
        assert!(
            t.retry_after("a@x.example")
                .is_some_and(|s| s > 0 && s <= WINDOW.as_secs())
        );
        assert_eq!(
            t.retry_after("b@x.example"),
            None,
            "other addresses are unaffected"
        );
        t.clear("a@x.example");
        assert_eq!(t.retry_after("a@x.example"), None);
    }
}
