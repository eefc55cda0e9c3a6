//! The `alerts` table.

use sea_orm::entity::prelude::*;

/// An alert a rule raised about a customer (and an order or complaint of theirs).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub rule_id: Uuid,
    pub kind: String,
    pub customer_id: Uuid,
    /// The order or complaint concerned, if any.
    pub subject_id: Option<Uuid>,
    /// Rule and subject: one active alert per key.
    pub dedup_key: String,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    pub message: String,
    pub details: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
    pub resolution: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
