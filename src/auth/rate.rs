//! Request-rate token buckets (`governor`), kept in this instance's memory: one per
//! principal (user or API key) for requests with valid credentials, one per client IP for
//! requests without credentials or whose credentials fail, so a made-up token never gets a
//! bucket of its own. Each server has its own buckets: behind a load balancer of N
//! instances a caller may send up to N times the rate. The limits that protect accounts
//! and data (sign-in, export, harvest) are counted in the database instead
//! (`service::limits`).
//!
//! A request is charged once: before its handler runs when it carries no credentials (by
//! `rest::ratelimit`), else when its credentials are checked (`Principal`'s extractor), or
//! after the handler when it had credentials but its route never looked at them. A GraphQL
//! operation then pays for its cost as well (`graphql::cost::COST_PER_TOKEN`). The
//! [`Meter`] of a request carries what was charged to the middleware, which writes the
//! `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers-09).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::AppError;
use crate::policy::Principal;
use crate::policy::limits::{RateLimits, Rule};

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One kind of bucket: its rule and a bucket per key.
struct Buckets<K: std::hash::Hash + Eq + Clone> {
    rule: Rule,
    limiter: Keyed<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn new(rule: Rule, clock: &DefaultClock) -> Self {
        let max = NonZeroU32::new(rule.max).unwrap_or(NonZeroU32::MIN);
        let period = (rule.window / max.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(max))
            .allow_burst(max);
        Self {
            rule,
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
        }
    }

    /// Take `n` tokens from `key`'s bucket (at most the bucket's size).
    fn take(&self, key: &K, n: u32, clock: &DefaultClock) -> Outcome {
        let n = n.clamp(1, self.rule.max.max(1));
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        let interval = self.rule.window / self.rule.max.max(1);
        let window = self.rule.window.as_secs().max(1);
        match self.limiter.check_key_n(key, n) {
            Ok(Ok(snapshot)) => {
                let remaining = snapshot.remaining_burst_capacity();
                let empty = self.rule.max.saturating_sub(remaining);
                Outcome {
                    quota: self.rule.max,
                    window,
                    remaining,
                    reset: seconds(interval * empty),
                    retry_after: None,
                }
            }
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(clock.now());
                Outcome {
                    quota: self.rule.max,
                    window,
                    remaining: 0,
                    reset: seconds(wait + interval * self.rule.max.saturating_sub(n.get())),
                    retry_after: Some(seconds(wait).max(1)),
                }
            }
            // `n` is clamped to the bucket's size, so this cannot happen; refuse for a window.
            Err(_) => Outcome {
                quota: self.rule.max,
                window,
                remaining: 0,
                reset: window,
                retry_after: Some(window),
            },
        }
    }
}

/// Whole seconds, rounded up.
fn seconds(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 { s + 1 } else { s }
}

/// What the buckets said about a request: the `RateLimit` headers' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The bucket's size (`q`).
    pub quota: u32,
    /// Seconds the bucket takes to refill from empty (`w`).
    pub window: u64,
    /// Tokens left (`r`).
    pub remaining: u32,
    /// Seconds until the bucket is full again (`t`).
    pub reset: u64,
    /// When refused: seconds until enough tokens are back.
    pub retry_after: Option<u64>,
}

impl Outcome {
    /// `RateLimit-Policy`.
    pub fn policy_header(&self) -> String {
        format!("\"default\";q={};w={}", self.quota, self.window)
    }

    /// `RateLimit`.
    pub fn header(&self) -> String {
        format!("\"default\";r={};t={}", self.remaining, self.reset)
    }

    fn refusal(&self) -> Option<AppError> {
        self.retry_after
            .map(|retry_after| AppError::TooManyRequests { retry_after })
    }
}

/// Every bucket of this instance.
pub struct RateBuckets {
    clock: DefaultClock,
    principals: Option<Buckets<String>>,
    anonymous: Option<Buckets<Option<IpAddr>>>,
    in_flight: Option<InFlight>,
}

/// How many requests each principal has in flight, capped: a principal is in the map only
/// while it has one, so the map holds at most the requests being served.
struct InFlight {
    max: usize,
    held: Mutex<std::collections::HashMap<String, usize>>,
}

impl InFlight {
    fn held(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Count one more request of `subject`, unless it is at the cap.
    fn enter(&self, subject: &str) -> bool {
        let mut held = self.held();
        let n = held.entry(subject.to_owned()).or_insert(0);
        if *n >= self.max {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, subject: &str) {
        let mut held = self.held();
        if let Some(n) = held.get_mut(subject) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(subject);
            }
        }
    }
}

impl RateBuckets {
    /// Buckets following `limits`.
    pub fn new(limits: &RateLimits) -> Self {
        let clock = DefaultClock::default();
        Self {
            principals: limits.principal.map(|r| Buckets::new(r, &clock)),
            anonymous: limits.anonymous.map(|r| Buckets::new(r, &clock)),
            in_flight: limits.in_flight.map(|max| InFlight {
                max: max.max(1),
                held: Mutex::default(),
            }),
            clock,
        }
    }

    /// Forget the buckets that are full again (a full bucket is the same as none), so the
    /// map holds only callers seen within a window; run now and then.
    pub fn retain_recent(&self) {
        if let Some(b) = &self.principals {
            b.limiter.retain_recent();
            b.limiter.shrink_to_fit();
        }
        if let Some(b) = &self.anonymous {
            b.limiter.retain_recent();
            b.limiter.shrink_to_fit();
        }
    }

    /// Buckets held now (principals, IPs).
    pub fn len(&self) -> (usize, usize) {
        (
            self.principals.as_ref().map_or(0, |b| b.limiter.len()),
            self.anonymous.as_ref().map_or(0, |b| b.limiter.len()),
        )
    }

    /// Take the request's token, or with `more` `n` more (at most the bucket's size less
    /// one, so that a full bucket pays for any operation; none when that is zero).
    fn take(&self, key: &Key, n: u32, more: bool) -> Option<Outcome> {
        fn at<K: std::hash::Hash + Eq + Clone>(
            b: &Buckets<K>,
            key: &K,
            n: u32,
            more: bool,
            clock: &DefaultClock,
        ) -> Option<Outcome> {
            let n = if more {
                n.min(b.rule.max.saturating_sub(1))
            } else {
                1
            };
            (n > 0).then(|| b.take(key, n, clock))
        }
        match key {
            Key::Principal(subject) => self
                .principals
                .as_ref()
                .and_then(|b| at(b, subject, n, more, &self.clock)),
            Key::Ip(ip) => self
                .anonymous
                .as_ref()
                .and_then(|b| at(b, ip, n, more, &self.clock)),
        }
    }
}

/// Whose bucket a request was charged to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Principal(String),
    Ip(Option<IpAddr>),
}

#[derive(Default)]
struct Charged {
    key: Option<Key>,
    outcome: Option<Outcome>,
    /// The principal counted in flight for this request, until the request ends.
    entered: Option<String>,
    /// The principal was at its in-flight cap.
    crowded: bool,
}

/// What one request was charged, shared by the middleware, the credential check and the
/// GraphQL guard through the request's extensions.
pub struct Meter {
    buckets: Arc<RateBuckets>,
    charged: Mutex<Charged>,
}

impl Meter {
    /// A meter over `buckets` with nothing charged yet.
    pub fn new(buckets: Arc<RateBuckets>) -> Self {
        Self {
            buckets,
            charged: Mutex::new(Charged::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Charged> {
        self.charged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the request has been charged to a bucket.
    pub fn is_charged(&self) -> bool {
        self.state().key.is_some()
    }

    /// The last outcome, for the headers.
    pub fn outcome(&self) -> Option<Outcome> {
        self.state().outcome
    }

    /// Charge the request once to `key` (and count a principal's request in flight); later
    /// calls answer as the first did.
    fn charge(&self, key: Key) -> Result<(), AppError> {
        let mut state = self.state();
        if state.key.is_none() {
            state.outcome = self.buckets.take(&key, 1, false);
            let refused = state.outcome.is_some_and(|o| o.retry_after.is_some());
            if let (Key::Principal(subject), Some(in_flight), false) =
                (&key, &self.buckets.in_flight, refused)
            {
                if in_flight.enter(subject) {
                    state.entered = Some(subject.clone());
                } else {
                    state.crowded = true;
                }
            }
            state.key = Some(key);
        }
        if let Some(refusal) = state.outcome.and_then(|o| o.refusal()) {
            return Err(refusal);
        }
        if state.crowded {
            return Err(AppError::Busy {
                retry_after: IN_FLIGHT_RETRY_AFTER,
            });
        }
        Ok(())
    }

    /// Charge the request to its client IP's bucket.
    ///
    /// # Errors
    /// `TooManyRequests` when the bucket is empty.
    pub fn charge_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        self.charge(Key::Ip(ip))
    }

    /// Charge the request to `principal`'s bucket.
    ///
    /// # Errors
    /// `TooManyRequests` when the bucket is empty.
    pub fn charge_principal(&self, principal: &Principal) -> Result<(), AppError> {
        self.charge(Key::Principal(principal.subject()))
    }

    /// Take `n` more tokens from the bucket the request was charged to (a GraphQL
    /// operation's cost), at most the bucket's size less one; nothing when it was charged
    /// to none.
    ///
    /// # Errors
    /// `TooManyRequests` when the bucket has fewer than `n` tokens.
    pub fn charge_more(&self, n: u32) -> Result<(), AppError> {
        if n == 0 {
            return Ok(());
        }
        let mut state = self.state();
        let Some(key) = state.key.clone() else {
            return Ok(());
        };
        let Some(outcome) = self.buckets.take(&key, n, true) else {
            return Ok(());
        };
        state.outcome = Some(outcome);
        outcome.refusal().map_or(Ok(()), Err)
    }
}

impl Drop for Meter {
    /// The request has ended: it is no longer in flight.
    fn drop(&mut self) {
        let entered = self.state().entered.take();
        if let (Some(subject), Some(in_flight)) = (entered, &self.buckets.in_flight) {
            in_flight.leave(&subject);
        }
    }
}

/// Seconds a principal at its in-flight cap is told to wait.
pub const IN_FLIGHT_RETRY_AFTER: u64 = 1;

/// The request's meter, put in its extensions by the middleware (`rest::ratelimit`); as an
/// extractor, `None` for a request the middleware did not see.
#[derive(Clone)]
pub struct RequestMeter(pub Option<Arc<Meter>>);

impl RequestMeter {
    /// The meter of `req`, if the middleware gave it one.
    pub fn of(req: &HttpRequest) -> Option<Arc<Meter>> {
        req.extensions().get::<Self>().and_then(|m| m.0.clone())
    }
}

impl FromRequest for RequestMeter {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(Self::of(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(principal: &str, anonymous: &str) -> (Arc<RateBuckets>, Meter) {
        let limits = RateLimits {
            principal: RateLimits::parse_rule(principal).unwrap_or_default(),
            anonymous: RateLimits::parse_rule(anonymous).unwrap_or_default(),
            in_flight: Some(2),
        };
        let buckets = Arc::new(RateBuckets::new(&limits));
        let meter = Meter::new(Arc::clone(&buckets));
        (buckets, meter)
    }

    #[test]
    fn a_bucket_counts_down_and_refuses_when_empty() {
        let (buckets, _) = meter("3/1h", "off");
        let ann = Principal::user(uuid::Uuid::nil(), crate::domain::Role::Admin);
        let mut last = None;
        for left in [2, 1, 0] {
            let m = Meter::new(Arc::clone(&buckets));
            assert!(m.charge_principal(&ann).is_ok());
            let o = m.outcome().expect("charged");
            assert_eq!((o.quota, o.window, o.remaining), (3, 3600, left));
            last = Some(o);
        }
        assert_eq!(
            last.map(|o| o.policy_header()),
            Some("\"default\";q=3;w=3600".to_owned())
        );
        let m = Meter::new(Arc::clone(&buckets));
        let refused = m.charge_principal(&ann);
        assert!(
            matches!(refused, Err(AppError::TooManyRequests { retry_after }) if retry_after > 1000)
        );
        assert!(
            m.outcome()
                .is_some_and(|o| o.header().starts_with("\"default\";r=0;t="))
        );
    }

    #[test]
    fn a_request_is_charged_once_and_an_off_bucket_charges_nothing() {
        let (_, m) = meter("off", "2/1h");
        assert!(m.charge_ip(None).is_ok());
        assert!(
            m.charge_ip(None).is_ok(),
            "the second call answers as the first"
        );
        assert_eq!(m.outcome().map(|o| o.remaining), Some(1));
        let ann = Principal::user(uuid::Uuid::nil(), crate::domain::Role::Admin);
        let (_, m) = meter("off", "off");
        assert!(m.charge_principal(&ann).is_ok());
        assert!(m.charge_more(50).is_ok());
        assert_eq!(m.outcome(), None);
    }

    #[test]
    fn buckets_full_again_are_forgotten() {
        let (buckets, m) = meter("1000000/1s", "1000000/1s");
        let ann = Principal::user(uuid::Uuid::nil(), crate::domain::Role::Admin);
        assert!(m.charge_principal(&ann).is_ok());
        assert!(Meter::new(Arc::clone(&buckets)).charge_ip(None).is_ok());
        assert_eq!(buckets.len(), (1, 1));
        // One token comes back every microsecond: both are full again long before this ends.
        std::thread::sleep(Duration::from_millis(20));
        buckets.retain_recent();
        assert_eq!(buckets.len(), (0, 0));
    }

    #[test]
    fn more_tokens_come_from_the_same_bucket_and_never_more_than_it_holds() {
        let (_, m) = meter("10/1h", "off");
        let ann = Principal::user(uuid::Uuid::nil(), crate::domain::Role::Admin);
        assert!(m.charge_principal(&ann).is_ok());
        assert!(m.charge_more(4).is_ok());
        assert_eq!(m.outcome().map(|o| o.remaining), Some(5));
        assert!(
            m.charge_more(1000).is_err(),
            "clamped to the size, still refused"
        );
    }

    #[test]
    fn a_principal_has_at_most_its_cap_in_flight_and_a_finished_request_frees_its_place() {
        let (buckets, first) = meter("1000/1h", "off");
        let p = Principal::user(uuid::Uuid::now_v7(), crate::domain::Role::Support);
        assert!(first.charge_principal(&p).is_ok());
        let second = Meter::new(Arc::clone(&buckets));
        assert!(second.charge_principal(&p).is_ok());
        let third = Meter::new(Arc::clone(&buckets));
        assert!(matches!(
            third.charge_principal(&p),
            Err(AppError::Busy { retry_after: 1 })
        ));
        drop(third);
        drop(first);
        let fourth = Meter::new(Arc::clone(&buckets));
        assert!(
            fourth.charge_principal(&p).is_ok(),
            "the first one's place is free"
        );
        drop((second, fourth));
        assert!(
            buckets
                .in_flight
                .as_ref()
                .is_some_and(|f| f.held().is_empty())
        );
    }
}
