//! The limits that protect accounts and data: what is counted, per what, and how many are
//! allowed in which window. The counting itself (in the database, so it holds across
//! server instances) is `service::limits`.
//!
//! | limit | counts | default |
//! |---|---|---|
//! | `login.ip` | failed sign-ins (and wrong current passwords) from one client IP | 20 per 15 minutes |
//! | `login.address_ip` | failed sign-ins for one address from one IP: the lockout a user's own mistakes meet | 5 per 15 minutes |
//! | `login.address` | failed sign-ins for one address from any IP: stops a distributed attack on one account, high enough that a stranger cannot lock a user out | 50 per 15 minutes |
//! | `export` | exports of customer data per caller | 5 per hour |
//! | `harvest` | customers whose contact fields a caller who does not see them in full ([`counts_harvest`]) received, per caller, on every list, search, segment page and get | 1,000 per hour |
//!
//! A window starts with the first event counted in it and lasts its length; once it has
//! passed, counting starts again from one.
//!
//! The request-rate buckets ([`RateLimits`]) are a different kind of limit: token buckets
//! kept in each server's memory (not shared between instances), one per principal and one
//! per client IP for requests without valid credentials.

use std::net::IpAddr;
use std::time::Duration;

use super::{Caller, Clearance, Principal};
use crate::domain::Sensitivity;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Failed sign-ins from one IP.
    LoginIp,
    /// Failed sign-ins for one address from one IP.
    LoginAddressIp,
    /// Failed sign-ins for one address from any IP.
    LoginAddress,
    /// Exports per caller.
    Export,
    /// Customers whose contact fields a masked caller received.
    Harvest,
}

impl Limit {
    /// The name the counters are stored under.
    pub fn name(self) -> &'static str {
        match self {
            Self::LoginIp => "login.ip",
            Self::LoginAddressIp => "login.address_ip",
            Self::LoginAddress => "login.address",
            Self::Export => "export",
            Self::Harvest => "harvest",
        }
    }
}

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub max: u32,
    pub window: Duration,
}

impl Rule {
    /// `max` per `minutes`.
    pub const fn per_minutes(max: u32, minutes: u64) -> Self {
        Self {
            max,
            window: Duration::from_secs(minutes * 60),
        }
    }

    /// Read `N/WINDOW`, the window a number with a unit `s`, `m` or `h` (`20/15m`, `5/1h`).
    ///
    /// # Errors
    /// A sentence saying what is expected.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("expected COUNT/WINDOW such as 20/15m or 5/1h, got {raw:?}");
        let (max, window) = raw.trim().split_once('/').ok_or_else(bad)?;
        let max: u32 = max.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let unit = match window.chars().last() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            _ => return Err(bad()),
        };
        let n: u64 = window[..window.len() - 1].parse().map_err(|_| bad())?;
        if max == 0 || n == 0 || n > 7 * 24 * 3600 {
            return Err(bad());
        }
        Ok(Self {
            max,
            window: Duration::from_secs(n * unit),
        })
    }
}

/// The configured rules, one per [`Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub login_ip: Rule,
    pub login_address_ip: Rule,
    pub login_address: Rule,
    pub export: Rule,
    pub harvest: Rule,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_ip: Rule::per_minutes(20, 15),
            login_address_ip: Rule::per_minutes(5, 15),
            login_address: Rule::per_minutes(50, 15),
            export: Rule::per_minutes(5, 60),
            harvest: Rule::per_minutes(1_000, 60),
        }
    }
}

impl Limits {
    /// The rule of `limit`.
    pub fn rule(&self, limit: Limit) -> Rule {
        match limit {
            Limit::LoginIp => self.login_ip,
            Limit::LoginAddressIp => self.login_address_ip,
            Limit::LoginAddress => self.login_address,
            Limit::Export => self.export,
            Limit::Harvest => self.harvest,
        }
    }
}

/// Whether what `principal` receives of customers counts towards the harvest limit: it
/// does for a caller who does not see contact fields in full (support sees them masked,
/// analysts and keys without `pii:contact` not at all), whose paging through the customer
/// base is what a harvest looks like. Callers who see contact in full are not counted.
pub fn counts_harvest(principal: &Principal) -> bool {
    principal.caller() != Caller::Operator
        && principal.clearance(Sensitivity::Contact) != Clearance::Full
}

/// The request-rate buckets: `None` turns one off. A rule `N/WINDOW` is a bucket of `N`
/// requests that refills evenly over `WINDOW` (`100/5s`: bursts of 100, 20 a second
/// sustained), the `q` and `w` of the `RateLimit-Policy` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per principal (user or API key), for requests with valid credentials.
    pub principal: Option<Rule>,
    /// Per client IP, for requests without credentials or whose credentials fail.
    pub anonymous: Option<Rule>,
    /// Requests one principal may have in flight at once (`None`: no cap): beyond it a
    /// request is refused at once, so one caller's flood cannot hold every database
    /// connection and worker while others wait.
    pub in_flight: Option<usize>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            principal: Some(Rule {
                max: 100,
                window: Duration::from_secs(5),
            }),
            anonymous: Some(Rule {
                max: 30,
                window: Duration::from_secs(6),
            }),
            in_flight: Some(8),
        }
    }
}

impl RateLimits {
    /// Read one bucket's rule: `N/WINDOW` as [`Rule::parse`], or `off`.
    ///
    /// # Errors
    /// A sentence saying what is expected.
    pub fn parse_rule(raw: &str) -> Result<Option<Rule>, String> {
        if raw.trim().eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        Rule::parse(raw)
            .map(Some)
            .map_err(|e| format!("{e}, or off"))
    }
}

/// Longest key kept, in characters: an address longer than any real one is cut.
const MAX_KEY: usize = 254;

/// The key of an IP (`unknown` when the peer has none, e.g. over a Unix socket).
pub fn ip_key(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The key of an e-mail address as typed: trimmed, lower-cased, at most 254 characters.
pub fn address_key(address: &str) -> String {
    address
        .trim()
        .to_lowercase()
        .chars()
        .take(MAX_KEY)
        .collect()
}

/// The counters one sign-in attempt is checked against, the IP's first.
pub fn login_keys(address: &str, ip: Option<IpAddr>) -> [(Limit, String); 3] {
    let (address, ip) = (address_key(address), ip_key(ip));
    [
        (Limit::LoginIp, ip.clone()),
        (Limit::LoginAddressIp, format!("{address} {ip}")),
        (Limit::LoginAddress, address),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_count_and_window() {
        assert_eq!(Rule::parse("20/15m"), Ok(Rule::per_minutes(20, 15)));
        assert_eq!(Rule::parse(" 5 / 1h "), Ok(Rule::per_minutes(5, 60)));
        assert_eq!(
            Rule::parse("3/30s").map(|r| r.window),
            Ok(Duration::from_secs(30))
        );
        for bad in [
            "", "20", "0/15m", "20/0m", "20/15", "x/15m", "20/15d", "-1/1h",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_bucket_reads_as_a_rule_or_off() {
        assert_eq!(
            RateLimits::parse_rule("100/5s"),
            Ok(Some(Rule {
                max: 100,
                window: Duration::from_secs(5)
            }))
        );
        assert_eq!(RateLimits::parse_rule(" OFF "), Ok(None));
        assert!(RateLimits::parse_rule("fast").is_err());
    }

    #[test]
    fn the_harvest_counts_callers_who_do_not_see_contact_in_full() {
        use crate::domain::{Role, Scope};
        let id = uuid::Uuid::nil();
        for (role, counted) in [
            (Role::Admin, false),
            (Role::Manager, false),
            (Role::Sales, false),
            (Role::Support, true),
            (Role::Analyst, true),
        ] {
            assert_eq!(
                counts_harvest(&Principal::user(id, role)),
                counted,
                "{role}"
            );
        }
        assert!(counts_harvest(&Principal::api_key(
            id,
            vec![Scope::CustomersRead]
        )));
        assert!(!counts_harvest(&Principal::api_key(
            id,
            vec![Scope::CustomersRead, Scope::PiiContact]
        )));
        assert!(!counts_harvest(&Principal::operator()));
    }

    #[test]
    fn an_attempt_is_counted_per_ip_per_address_and_ip_and_per_address() {
        let ip: IpAddr = [203, 0, 113, 7].into();
        let keys = login_keys(" Ann@Example.COM ", Some(ip));
        assert_eq!(keys[0], (Limit::LoginIp, "203.0.113.7".to_owned()));
        assert_eq!(
            keys[1],
            (
                Limit::LoginAddressIp,
                "ann@example.com 203.0.113.7".to_owned()
            )
        );
        assert_eq!(keys[2], (Limit::LoginAddress, "ann@example.com".to_owned()));
        assert_eq!(address_key(&"a".repeat(1000)).len(), 254);
    }
}
