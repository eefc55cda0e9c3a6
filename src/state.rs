//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;

/// The database pool and the settings.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
}
