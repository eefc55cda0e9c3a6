//! The `customer_preferences` table.

use sea_orm::entity::prelude::*;

/// A customer's stated preferences.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub categories: Json,
    pub preferred_channel: Option<String>,
    pub preferred_time: Option<String>,
    /// Bumped by every write; the `ETag` of the resource.
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
