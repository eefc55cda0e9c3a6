//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::HashPool;
use crate::config::Settings;

/// The database pool, the settings and the token keys.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// The bounded pool every password check runs through.
    pub hashing: Arc<HashPool>,
    /// Admissions for the expensive operations (`policy::cost`).
    pub shedder: Arc<crate::service::shed::Shedder>,
    /// Counters of the SQL statements this process ran, served at `/metrics`.
    pub db_metrics: Arc<DbMetrics>,
    /// Requests per route and status, their latency and the pool, served at `/metrics`.
    pub http_metrics: Arc<crate::metrics::HttpMetrics>,
    /// Whether the server is still loading data before it takes traffic (`/readyz` 503).
    pub loading: Arc<AtomicBool>,
    /// This instance's request-rate buckets.
    pub rate: Arc<crate::auth::rate::RateBuckets>,
    /// Who tokens and keys belong to, and the custom-field classes (`service::cache`).
    pub caches: Arc<crate::service::cache::Caches>,
}

/// Counters of SQL statements: how many, how many failed, and the time spent in them.
#[derive(Debug, Default)]
pub struct DbMetrics {
    pub statements: AtomicU64,
    pub failures: AtomicU64,
    pub micros: AtomicU64,
}

impl DbMetrics {
    /// Count one statement.
    pub fn observe(&self, info: &sea_orm::metric::Info<'_>) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        if info.failed {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::Relaxed);
    }
}

impl AppState {
    /// Say whether data is still being loaded; `/readyz` answers 503 meanwhile.
    pub fn set_loading(&self, loading: bool) {
        self.loading.store(loading, Ordering::Release);
    }

    /// Whether data is still being loaded.
    pub fn is_loading(&self) -> bool {
        self.loading.load(Ordering::Acquire)
    }

    /// State over an open database.
    ///
    /// # Errors
    /// When no JWT secret is configured or a secret is too short.
    pub fn new(mut db: DatabaseConnection, settings: Settings) -> anyhow::Result<Self> {
        let secret = settings.jwt_secret.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "DOSSIER_JWT_SECRET is required: set it to a random string of at least 32 bytes"
            )
        })?;
        let previous: Vec<Vec<u8>> = settings
            .jwt_previous_secrets
            .iter()
            .map(|s| s.expose_secret().as_bytes().to_vec())
            .collect();
        let jwt = JwtKeys::new(secret.expose_secret().as_bytes(), &previous)
            .map_err(|e| anyhow::anyhow!(e))?;
        let db_metrics = Arc::new(DbMetrics::default());
        let observer = Arc::clone(&db_metrics);
        db.set_metric_callback(move |info| observer.observe(info));
        let hashing = Arc::new(HashPool::new(settings.hash_workers, settings.hash_queue));
        let rate = Arc::new(crate::auth::rate::RateBuckets::new(&settings.rate_limits));
        let shedder = Arc::new(crate::service::shed::Shedder::new(settings.expensive));
        Ok(Self {
            caches: Arc::new(crate::service::cache::Caches::new(settings.cache_ttl)),
            rate,
            db,
            db_metrics,
            shedder,
            http_metrics: Arc::new(crate::metrics::HttpMetrics::default()),
            settings: Arc::new(settings),
            jwt: Arc::new(jwt),
            hashing,
            loading: Arc::new(AtomicBool::new(false)),
        })
    }
}
