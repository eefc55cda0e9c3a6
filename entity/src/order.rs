//! The `orders` table.

use sea_orm::entity::prelude::*;

/// An order (purchase record). Money is an exact [`Amount`](crate::amount::Amount) in `currency`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub channel: String,
    pub status: String,
    pub ordered_at: DateTimeUtc,
    pub currency: String,
    pub total: crate::amount::Amount,
    pub paid_amount: crate::amount::Amount,
    pub due_date: Option<Date>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
