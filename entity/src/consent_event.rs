//! The `consent_events` table.

use sea_orm::entity::prelude::*;

/// A grant or withdrawal of consent to contact on one channel; the latest per channel is in force.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub channel: String,
    pub granted: bool,
    pub at: DateTimeUtc,
    pub source: String,
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
