//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::config::Settings;

/// The database pool, the settings and the token keys.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// Failed sign-ins per address, for throttling.
    pub login_throttle: Arc<LoginThrottle>,
}

impl AppState {
    /// State over an open database.
    ///
    /// # Errors
    /// When no JWT secret is configured or a secret is too short.
    pub fn new(db: DatabaseConnection, settings: Settings) -> anyhow::Result<Self> {
        let secret = settings.jwt_secret.as_deref().ok_or_else(|| {
            anyhow::anyhow!(
                "DOSSIER_JWT_SECRET is required: set it to a random string of at least 32 bytes"
            )
        })?;
        let previous: Vec<Vec<u8>> = settings
            .jwt_previous_secrets
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let jwt = JwtKeys::new(secret.as_bytes(), &previous).map_err(|e| anyhow::anyhow!(e))?;
        Ok(Self {
            db,
            settings: Arc::new(settings),
            jwt: Arc::new(jwt),
            login_throttle: Arc::new(LoginThrottle::default()),
        })
    }
}
