//! The `api_keys` table: integration keys, stored as SHA-256 with a visible prefix.

use sea_orm::entity::prelude::*;

/// An API key. The secret itself is shown once at creation and never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key (`dsk_ab12cd34`), to recognise it in lists and logs.
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// JSON array of scopes.
    pub scopes: Json,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// Who created it (`user:<id>` or `operator`).
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
