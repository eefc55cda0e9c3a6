//! The `idempotency_keys` table: the first response to a keyed POST, for replays.

use sea_orm::entity::prelude::*;

/// A claimed idempotency key and, once the request finished, its response.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// Who sent the key: keys of different callers never collide.
    #[sea_orm(primary_key, auto_increment = false)]
    pub principal: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub method: String,
    pub path: String,
    /// SHA-256 of the request body, to tell a retry from a different request.
    pub request_hash: String,
    /// Null while the first request is in progress.
    pub status: Option<i32>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
