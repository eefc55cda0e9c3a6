//! The `points_ledger` table.

use sea_orm::entity::prelude::*;

/// One movement of loyalty points; the balance is the sum of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub points: i64,
    pub balance_after: i64,
    pub at: DateTimeUtc,
    pub reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub actor: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
