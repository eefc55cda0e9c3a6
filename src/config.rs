//! Settings, read from the environment.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://dossier.db?mode=rwc` | SQLite file or `postgres://…` URL; TLS to PostgreSQL as its `sslmode` says (`prefer` when absent; `verify-full` for a remote database, `disable` on loopback) |
//! | `DOSSIER_BIND` | `127.0.0.1:8080` | address the server listens on |
//! | `DOSSIER_DEFAULT_REGION` | `CN` | region of phone numbers written without `+country` |
//! | `DOSSIER_CURRENCY` | `CNY` | ISO 4217 currency of prices and orders sent without one, and of the purchase aggregates |
//! | `DOSSIER_MAX_BODY_BYTES` | `262144` | largest accepted request body |
//! | `DOSSIER_JWT_SECRET` | (required) | at least 32 bytes; signs access tokens (`serve --demo` makes one up) |
//! | `DOSSIER_JWT_PREVIOUS_SECRETS` | (none) | comma-separated retired secrets still accepted until their tokens expire |
//! | `DOSSIER_CORS_ORIGINS` | (none) | comma-separated browser origins allowed to call the API |
//! | `DOSSIER_GRADE_SHARES` | `0.2,0.3,0.3` | shares of buyers graded A, B and C by spend (the rest are D) |
//! | `DOSSIER_MONTHLY_DISCOUNT` | `0.01` | monthly discount rate of lifetime values |
//! | `DOSSIER_SCORES_REFIT_HOURS` | `24` | hours between background refits of the churn and spend models and the score snapshot; `0` turns the job off |
//! | `DOSSIER_GRAPHQL_TIMEOUT_MS` | `10000` | a GraphQL operation still running after this many milliseconds is stopped (`TIMEOUT`) |
//! | `DOSSIER_GRAPHQL_INTROSPECTION` | `false` | `true` answers GraphQL introspection and suggestions and serves the SDL (on with `serve --demo`) |
//! | `DOSSIER_CACHE_SECONDS` | `5` | how long who a token or key belongs to, and the custom-field definitions, are kept in process; a change made through the server forgets them at once (on PostgreSQL on every instance), one made by another process over SQLite within this time; `0` keeps nothing |
//! | `DOSSIER_HASH_WORKERS` | the number of cores | password checks (Argon2id, 19 MiB each) that run at once |
//! | `DOSSIER_HASH_QUEUE` | 4 × the number of cores | password checks that may wait for a turn; beyond them a sign-in gets 503 `busy` with `Retry-After` |
//! | `DOSSIER_EXPENSIVE_PER_PRINCIPAL` | `2` | expensive operations (score validation, the overview, fits, exports, duplicate scans, the quality report, segment members; see `policy::cost`) one principal may run at once; beyond it 503 `busy` with `Retry-After` |
//! | `DOSSIER_EXPENSIVE_CONCURRENCY` | the number of cores | expensive operations all principals together may run at once; beyond it 503 `busy` with `Retry-After` |
//! | `DOSSIER_LIMIT_LOGIN_IP` | `20/15m` | failed sign-ins allowed from one IP per window |
//! | `DOSSIER_LIMIT_LOGIN_ADDRESS_IP` | `5/15m` | failed sign-ins allowed for one address from one IP per window |
//! | `DOSSIER_LIMIT_LOGIN_ADDRESS` | `50/15m` | failed sign-ins allowed for one address from all IPs together per window |
//! | `DOSSIER_LIMIT_EXPORT` | `5/1h` | exports of customer data allowed per caller per window |
//! | `DOSSIER_TRUSTED_PROXIES` | (none) | comma-separated IPs and CIDRs (`10.0.0.0/8`) of reverse proxies: from them the client IP is the right-most `X-Forwarded-For` address that is not a trusted proxy, and their `X-Request-Id` is kept |
//! | `DOSSIER_HSTS` | (off) | a `Strict-Transport-Security` value (`max-age=31536000; includeSubDomains`) sent on every response; only behind a TLS-terminating proxy |
//! | `DOSSIER_HARVEST_LIMIT` | `1000/1h` | customers whose contact fields a caller who does not see them in full may receive per window |
//! | `DOSSIER_RATE_LIMIT` | `100/5s` | request bucket per principal (this instance): `N/WINDOW` holds N requests and refills over WINDOW; `off` |
//! | `DOSSIER_RATE_LIMIT_ANONYMOUS` | `30/6s` | request bucket per client IP for requests without valid credentials (this instance); `off` |
//! | `DOSSIER_IN_FLIGHT_PER_PRINCIPAL` | `8` | requests one user or key may have in flight at once (this instance); beyond it 503 `busy` at once; `off` |
//! | `DOSSIER_LOG_FORMAT` | `pretty` | `pretty` or `json` |
//! | `RUST_LOG` | `info` | log filter |

use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

use crate::analytics::scores::GradeShares;
use crate::policy::limits::{Limits, RateLimits, Rule};

/// Read a `COUNT/WINDOW` limit from `name`, or keep `default`.
fn limit_rule(value: Option<String>, name: &str, default: Rule) -> anyhow::Result<Rule> {
    value.map_or(Ok(default), |v| {
        Rule::parse(&v).map_err(|e| anyhow::anyhow!("{name}: {e}"))
    })
}

/// Read a request bucket (`N/WINDOW` or `off`) from `name`, or keep `default`.
fn rate_rule(
    value: Option<String>,
    name: &str,
    default: Option<Rule>,
) -> anyhow::Result<Option<Rule>> {
    value.map_or(Ok(default), |v| {
        RateLimits::parse_rule(&v).map_err(|e| anyhow::anyhow!("{name}: {e}"))
    })
}

/// Read a whole number from `name`, or keep `default`.
fn count(value: Option<String>, name: &str, default: usize) -> anyhow::Result<usize> {
    value.map_or(Ok(default), |v| {
        v.trim()
            .parse()
            .with_context(|| format!("{name} must be a whole number"))
    })
}

/// Parse `a,b,c`: shares of buyers graded A, B and C, each above 0, summing to at most 1.
fn parse_shares(raw: &str) -> anyhow::Result<GradeShares> {
    let parts: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .context("DOSSIER_GRADE_SHARES must be three numbers such as 0.2,0.3,0.3")?;
    let [a, b, c] = parts[..] else {
        bail!("DOSSIER_GRADE_SHARES must be three numbers such as 0.2,0.3,0.3");
    };
    if [a, b, c].iter().any(|s| s.is_nan() || *s <= 0.0) || a + b + c > 1.0 + 1e-9 {
        bail!("DOSSIER_GRADE_SHARES must be above 0 each and sum to at most 1");
    }
    Ok(GradeShares { a, b, c })
}

/// Parse `10.0.0.0/8, 192.168.1.7`: networks, a bare address standing for itself alone.
fn parse_proxies(raw: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .with_context(|| {
                    format!("DOSSIER_TRUSTED_PROXIES must be comma-separated IPs or CIDRs, not {p}")
                })
        })
        .collect()
}

/// The default database: an SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://dossier.db?mode=rwc";
/// The default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// May hold a password: kept as a secret, shown only through `startup::redact`.
    pub database_url: SecretString,
    pub bind: String,
    /// ISO 3166 region used to read phone numbers without a country code.
    pub default_region: String,
    pub max_body_bytes: usize,
    /// ISO 4217 code of the business's currency.
    pub currency: String,
    /// Exact origins (`https://crm.example.com`) browsers may call the API from; empty
    /// means same-origin only.
    pub cors_origins: Vec<String>,
    /// Signs access tokens; `None` only until `serve --demo` makes one up.
    pub jwt_secret: Option<SecretString>,
    /// Retired secrets whose tokens are still accepted.
    pub jwt_previous_secrets: Vec<SecretString>,
    /// Shares of buyers graded A, B and C.
    pub grade_shares: GradeShares,
    /// Monthly discount rate of lifetime values.
    pub monthly_discount: f64,
    /// Hours between background refits; 0 turns the job off.
    pub refit_hours: u64,
    /// Where uploaded import files wait until their job completes.
    pub import_dir: std::path::PathBuf,
    /// Largest import file accepted over the API, in bytes.
    pub import_max_bytes: u64,
    /// Reverse proxies (single IPs are /32 or /128 networks): their `X-Forwarded-For` gives
    /// the client IP and their `X-Request-Id` is kept; from anyone else both are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `Strict-Transport-Security` sent on every response; `None` (the default) sends none.
    pub hsts: Option<String>,
    /// Bearer token `/metrics` asks for; without one it answers loopback callers only.
    pub metrics_token: Option<String>,
    /// How long the server waits, bounded, for each thing a request needs.
    pub timeouts: Timeouts,
    /// Pooled database connections; `None`: 4 on SQLite, 16 on PostgreSQL.
    pub db_max_connections: Option<u32>,
    /// How long a GraphQL operation may run before it is stopped.
    pub graphql_timeout: std::time::Duration,
    /// Answer GraphQL introspection and "did you mean" suggestions, serve the SDL.
    pub graphql_introspection: bool,
    /// How long who a token or key belongs to, and the custom-field classes, are cached in
    /// process (`service::cache`); zero caches nothing.
    pub cache_ttl: Duration,
    /// Password checks that run at once.
    pub hash_workers: usize,
    /// Password checks that may wait for a turn; beyond them, 503 `busy`.
    pub hash_queue: usize,
    /// The sign-in, export and harvest limits.
    pub limits: Limits,
    /// The request-rate buckets of this instance.
    pub rate_limits: RateLimits,
    /// How many expensive operations may run at once, per principal and in all.
    pub expensive: crate::policy::cost::Concurrency,
}

/// Every wait a request can meet, bounded. Defaults suit one small server; each is a
/// `DOSSIER_*_MS` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for a pooled connection (`DOSSIER_DB_ACQUIRE_TIMEOUT_MS`, 3 s); beyond it
    /// the request answers 503 with `Retry-After`.
    pub db_acquire: Duration,
    /// One SQL statement, and waiting for a row lock, on PostgreSQL
    /// (`DOSSIER_STATEMENT_TIMEOUT_MS`, 30 s; 0 turns it off). Operator commands (import,
    /// fit, rebuild) run without it.
    pub statement: Option<Duration>,
    /// Waiting for SQLite's write lock (`DOSSIER_SQLITE_BUSY_TIMEOUT_MS`, 5 s).
    pub sqlite_busy: Duration,
    /// A whole request, from its head to its response's head (`DOSSIER_REQUEST_TIMEOUT_MS`,
    /// 30 s): beyond it the work is dropped and the answer is 503. A streamed body (an
    /// export) goes on after its head.
    pub request: Duration,
    /// Receiving a JSON body, or the gap between two pieces of an upload
    /// (`DOSSIER_BODY_TIMEOUT_MS`, 10 s): beyond it, 408.
    pub body: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            db_acquire: Duration::from_secs(3),
            statement: Some(Duration::from_secs(30)),
            sqlite_busy: Duration::from_secs(5),
            request: Duration::from_secs(30),
            body: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let ms = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            match var(name) {
                Some(v) => Ok(Duration::from_millis(v.trim().parse().with_context(
                    || format!("{name} must be a whole number of milliseconds"),
                )?)),
                None => Ok(default),
            }
        };
        let d = Self::default();
        let statement = ms(
            "DOSSIER_STATEMENT_TIMEOUT_MS",
            d.statement.unwrap_or_default(),
        )?;
        Ok(Self {
            db_acquire: ms("DOSSIER_DB_ACQUIRE_TIMEOUT_MS", d.db_acquire)?,
            statement: (!statement.is_zero()).then_some(statement),
            sqlite_busy: ms("DOSSIER_SQLITE_BUSY_TIMEOUT_MS", d.sqlite_busy)?,
            request: ms("DOSSIER_REQUEST_TIMEOUT_MS", d.request)?,
            body: ms("DOSSIER_BODY_TIMEOUT_MS", d.body)?,
        })
    }
}

/// Name of the setting that turns GraphQL introspection on.
pub const GRAPHQL_INTROSPECTION_VAR: &str = "DOSSIER_GRAPHQL_INTROSPECTION";

impl Settings {
    /// Read settings from the environment, falling back to the defaults above.
    ///
    /// # Errors
    /// When a variable is present but invalid.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let settings = Self {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
                .into(),
            bind: var("DOSSIER_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            default_region: var("DOSSIER_DEFAULT_REGION").unwrap_or_else(|| "CN".to_owned()),
            max_body_bytes: match var("DOSSIER_MAX_BODY_BYTES") {
                Some(v) => v
                    .parse()
                    .context("DOSSIER_MAX_BODY_BYTES must be a number of bytes")?,
                None => 262_144,
            },
            currency: var("DOSSIER_CURRENCY")
                .map_or_else(|| "CNY".to_owned(), |c| c.trim().to_ascii_uppercase()),
            cors_origins: var("DOSSIER_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            jwt_secret: var("DOSSIER_JWT_SECRET").map(SecretString::from),
            jwt_previous_secrets: var("DOSSIER_JWT_PREVIOUS_SECRETS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(SecretString::from)
                        .collect()
                })
                .unwrap_or_default(),
            grade_shares: match var("DOSSIER_GRADE_SHARES") {
                Some(v) => parse_shares(&v)?,
                None => GradeShares::default(),
            },
            monthly_discount: match var("DOSSIER_MONTHLY_DISCOUNT") {
                Some(v) => v
                    .trim()
                    .parse()
                    .context("DOSSIER_MONTHLY_DISCOUNT must be a number such as 0.01")?,
                None => 0.01,
            },
            refit_hours: match var("DOSSIER_SCORES_REFIT_HOURS") {
                Some(v) => v
                    .trim()
                    .parse()
                    .context("DOSSIER_SCORES_REFIT_HOURS must be a whole number of hours")?,
                None => 24,
            },
            import_dir: var("DOSSIER_IMPORT_DIR").map_or_else(
                || std::env::temp_dir().join("dossier-imports"),
                std::path::PathBuf::from,
            ),
            import_max_bytes: match var("DOSSIER_IMPORT_MAX_BYTES") {
                Some(v) => v
                    .trim()
                    .parse()
                    .context("DOSSIER_IMPORT_MAX_BYTES must be a number of bytes")?,
                None => 512 << 20,
            },
            trusted_proxies: match var("DOSSIER_TRUSTED_PROXIES") {
                Some(v) => parse_proxies(&v)?,
                None => Vec::new(),
            },
            hsts: var("DOSSIER_HSTS").map(|v| v.trim().to_owned()),
            metrics_token: var("DOSSIER_METRICS_TOKEN"),
            timeouts: Timeouts::from_env(var)?,
            db_max_connections: match var("DOSSIER_DB_MAX_CONNECTIONS") {
                Some(v) => Some(
                    v.trim()
                        .parse()
                        .context("DOSSIER_DB_MAX_CONNECTIONS must be a whole number")?,
                ),
                None => None,
            },
            graphql_timeout: match var("DOSSIER_GRAPHQL_TIMEOUT_MS") {
                Some(v) => std::time::Duration::from_millis(v.trim().parse().context(
                    "DOSSIER_GRAPHQL_TIMEOUT_MS must be a whole number of milliseconds",
                )?),
                None => std::time::Duration::from_secs(10),
            },
            graphql_introspection: match var(GRAPHQL_INTROSPECTION_VAR).as_deref().map(str::trim) {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => bail!("DOSSIER_GRAPHQL_INTROSPECTION must be true or false"),
            },
            cache_ttl: match var("DOSSIER_CACHE_SECONDS") {
                Some(v) => Duration::from_secs(
                    v.trim()
                        .parse()
                        .context("DOSSIER_CACHE_SECONDS must be a whole number of seconds")?,
                ),
                None => Duration::from_secs(5),
            },
            hash_workers: count(
                var("DOSSIER_HASH_WORKERS"),
                "DOSSIER_HASH_WORKERS",
                crate::auth::password::cores(),
            )?,
            hash_queue: count(
                var("DOSSIER_HASH_QUEUE"),
                "DOSSIER_HASH_QUEUE",
                4 * crate::auth::password::cores(),
            )?,
            expensive: {
                let d = crate::policy::cost::Concurrency::default();
                crate::policy::cost::Concurrency {
                    per_principal: count(
                        var("DOSSIER_EXPENSIVE_PER_PRINCIPAL"),
                        "DOSSIER_EXPENSIVE_PER_PRINCIPAL",
                        d.per_principal,
                    )?,
                    total: count(
                        var("DOSSIER_EXPENSIVE_CONCURRENCY"),
                        "DOSSIER_EXPENSIVE_CONCURRENCY",
                        d.total,
                    )?,
                }
            },
            limits: {
                let d = Limits::default();
                Limits {
                    login_ip: limit_rule(
                        var("DOSSIER_LIMIT_LOGIN_IP"),
                        "DOSSIER_LIMIT_LOGIN_IP",
                        d.login_ip,
                    )?,
                    login_address_ip: limit_rule(
                        var("DOSSIER_LIMIT_LOGIN_ADDRESS_IP"),
                        "DOSSIER_LIMIT_LOGIN_ADDRESS_IP",
                        d.login_address_ip,
                    )?,
                    login_address: limit_rule(
                        var("DOSSIER_LIMIT_LOGIN_ADDRESS"),
                        "DOSSIER_LIMIT_LOGIN_ADDRESS",
                        d.login_address,
                    )?,
                    export: limit_rule(
                        var("DOSSIER_LIMIT_EXPORT"),
                        "DOSSIER_LIMIT_EXPORT",
                        d.export,
                    )?,
                    harvest: limit_rule(
                        var("DOSSIER_HARVEST_LIMIT"),
                        "DOSSIER_HARVEST_LIMIT",
                        d.harvest,
                    )?,
                }
            },
            rate_limits: {
                let d = RateLimits::default();
                RateLimits {
                    principal: rate_rule(
                        var("DOSSIER_RATE_LIMIT"),
                        "DOSSIER_RATE_LIMIT",
                        d.principal,
                    )?,
                    anonymous: rate_rule(
                        var("DOSSIER_RATE_LIMIT_ANONYMOUS"),
                        "DOSSIER_RATE_LIMIT_ANONYMOUS",
                        d.anonymous,
                    )?,
                    in_flight: match var("DOSSIER_IN_FLIGHT_PER_PRINCIPAL") {
                        Some(v) if v.trim().eq_ignore_ascii_case("off") => None,
                        v => Some(
                            count(
                                v,
                                "DOSSIER_IN_FLIGHT_PER_PRINCIPAL",
                                d.in_flight.unwrap_or(8),
                            )?
                            .max(1),
                        ),
                    },
                }
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Settings for a test server: the given database, an ephemeral port, and one allowed
    /// browser origin (`https://app.example.com`).
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".to_owned(),
            default_region: "CN".to_owned(),
            max_body_bytes: 262_144,
            currency: "CNY".to_owned(),
            cors_origins: vec!["https://app.example.com".to_owned()],
            jwt_secret: Some("test-secret-0123456789-0123456789-abcdef".into()),
            jwt_previous_secrets: Vec::new(),
            grade_shares: GradeShares::default(),
            monthly_discount: 0.01,
            refit_hours: 0,
            import_dir: std::env::temp_dir().join("dossier-imports"),
            import_max_bytes: 64 << 20,
            trusted_proxies: Vec::new(),
            hsts: None,
            metrics_token: None,
            timeouts: Timeouts::default(),
            db_max_connections: None,
            graphql_timeout: std::time::Duration::from_secs(10),
            graphql_introspection: false,
            cache_ttl: Duration::from_secs(5),
            hash_workers: crate::auth::password::cores(),
            hash_queue: 4 * crate::auth::password::cores(),
            limits: Limits::default(),
            // Buckets no test of anything else reaches; tests of the limits set small ones.
            rate_limits: RateLimits {
                principal: Some(Rule {
                    max: 1_000_000,
                    window: Duration::from_secs(1),
                }),
                anonymous: Some(Rule {
                    max: 1_000_000,
                    window: Duration::from_secs(1),
                }),
                // Tests race many requests of one principal; the cap's own test sets one.
                in_flight: None,
            },
            // Generous, so tests that run expensive operations side by side are not
            // refused; the shedding tests set their own.
            expensive: crate::policy::cost::Concurrency {
                per_principal: 16,
                total: 16,
            },
        }
    }

    /// Check the settings make sense before anything starts.
    ///
    /// # Errors
    /// Describing the first bad setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self
            .default_region
            .parse::<phonenumber::country::Id>()
            .is_err()
        {
            bail!("DOSSIER_DEFAULT_REGION must be an ISO 3166 region code such as CN or US");
        }
        let url = self.database_url.expose_secret();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
            bail!("DATABASE_URL must start with sqlite: or postgres://");
        }
        for origin in &self.cors_origins {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.contains('*')
                && origin.matches('/').count() == 2;
            if !ok {
                bail!(
                    "DOSSIER_CORS_ORIGINS entries must be exact origins such as https://crm.example.com, got {origin}"
                );
            }
        }
        for secret in self.jwt_secret.iter().chain(&self.jwt_previous_secrets) {
            if secret.expose_secret().len() < crate::auth::jwt::MIN_SECRET_BYTES {
                bail!(
                    "DOSSIER_JWT_SECRET and DOSSIER_JWT_PREVIOUS_SECRETS must be at least 32 bytes each"
                );
            }
        }
        if !crate::domain::is_currency_code(&self.currency) {
            bail!("DOSSIER_CURRENCY must be an ISO 4217 code such as CNY or USD");
        }
        if !(0.0..1.0).contains(&self.monthly_discount) {
            bail!("DOSSIER_MONTHLY_DISCOUNT must be at least 0 and below 1");
        }
        if self.db_max_connections == Some(0) {
            bail!("DOSSIER_DB_MAX_CONNECTIONS must be at least 1");
        }
        for (name, d) in [
            ("DOSSIER_DB_ACQUIRE_TIMEOUT_MS", self.timeouts.db_acquire),
            ("DOSSIER_REQUEST_TIMEOUT_MS", self.timeouts.request),
            ("DOSSIER_BODY_TIMEOUT_MS", self.timeouts.body),
        ] {
            if d.is_zero() {
                bail!("{name} must be more than 0");
            }
        }
        if self.graphql_timeout.is_zero() {
            bail!("DOSSIER_GRAPHQL_TIMEOUT_MS must be at least 1");
        }
        if self.expensive.per_principal == 0 || self.expensive.total == 0 {
            bail!(
                "DOSSIER_EXPENSIVE_PER_PRINCIPAL and DOSSIER_EXPENSIVE_CONCURRENCY must be at least 1"
            );
        }
        if self.hash_workers == 0 {
            bail!("DOSSIER_HASH_WORKERS must be at least 1");
        }
        if let Some(hsts) = &self.hsts {
            let printable = hsts.bytes().all(|b| (b' '..=b'~').contains(&b));
            if !(printable && hsts.to_ascii_lowercase().starts_with("max-age=")) {
                bail!(
                    "DOSSIER_HSTS must be a Strict-Transport-Security value such as max-age=31536000; includeSubDomains"
                );
            }
        }
        if self.max_body_bytes < 1024 {
            bail!("DOSSIER_MAX_BODY_BYTES must be at least 1024");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_proxies;

    #[test]
    fn trusted_proxies_are_addresses_and_networks() {
        let nets = parse_proxies(" 10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8").unwrap_or_default();
        let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["10.0.0.0/8", "192.168.1.7/32", "::1/128", "fd00::/8"]
        );
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("proxy.example").is_err());
    }
}
