//! The `surveys` table.

use sea_orm::entity::prelude::*;

/// A satisfaction survey answer (CSAT and/or NPS).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub csat: Option<i32>,
    pub nps: Option<i32>,
    pub comment: Option<String>,
    pub channel: Option<String>,
    pub answered_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
