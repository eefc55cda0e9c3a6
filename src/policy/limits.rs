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
//!
//! A window starts with the first event counted in it and lasts its length; once it has
//! passed, counting starts again from one.

use std::net::IpAddr;
use std::time::Duration;

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
}

impl Limit {
    /// The name the counters are stored under.
    pub fn name(self) -> &'static str {
        match self {
            Self::LoginIp => "login.ip",
            Self::LoginAddressIp => "login.address_ip",
            Self::LoginAddress => "login.address",
            Self::Export => "export",
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_ip: Rule::per_minutes(20, 15),
            login_address_ip: Rule::per_minutes(5, 15),
            login_address: Rule::per_minutes(50, 15),
            export: Rule::per_minutes(5, 60),
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
        }
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
