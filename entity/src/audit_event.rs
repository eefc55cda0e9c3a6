//! The `audit_events` table: an append-only record of sign-ins, writes and reveals.

use sea_orm::entity::prelude::*;

/// One audited action. Ids are UUIDv7, so they sort by time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    /// `user:<id>` or `operator`.
    pub actor: String,
    pub actor_user_id: Option<Uuid>,
    /// e.g. `customer.updated`, `login.failed`.
    pub action: String,
    pub customer_id: Option<Uuid>,
    pub reason: Option<String>,
    /// Action-specific details, e.g. the field-level diff of a write (private values masked).
    pub details: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
