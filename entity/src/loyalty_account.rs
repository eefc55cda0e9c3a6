//! The `loyalty_accounts` table.

use sea_orm::entity::prelude::*;

/// A customer's membership of the loyalty programme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub tier: String,
    pub joined_at: DateTimeUtc,
    /// Bumped by every write; the `ETag` of the resource.
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
