//! What the operations routes ask of the database: whether it answers, and how full the
//! connection pool is.

use sea_orm::DatabaseConnection;

/// Whether the database answers.
///
/// # Errors
/// The database's error when it does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    db.ping().await
}

/// The connection pool's size and idle connections.
pub fn pool(db: &DatabaseConnection) -> Option<(u32, usize)> {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        sea_orm::DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        _ => None,
    }
}
