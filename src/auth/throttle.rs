//! Failed sign-in throttling: after too many wrong passwords for one e-mail address within a
//! window, further attempts for it are refused with 429 until the window has passed.
//!
//! Kept in memory, so it is per server instance; that bounds guessing to
//! `MAX_FAILURES` per window per instance.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per address within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted over.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failures per (lower-cased) e-mail address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
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
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            entries.pop_front();
        }
        if entries.len() < MAX_FAILURES {
            return None;
        }
        let oldest = entries.front()?;
        Some(
            WINDOW
                .saturating_sub(now.duration_since(*oldest))
                .as_secs()
                .max(1),
        )
    }

    /// Count a failed attempt.
    pub fn record_failure(&self, email: &str) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound memory under a flood of distinct addresses: forget the idle ones.
        if map.len() > 100_000 {
            let now = Instant::now();
            map.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) <= WINDOW));
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
            t.record_failure("a@x.example");
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
