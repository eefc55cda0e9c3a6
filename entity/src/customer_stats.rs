//! The `customer_stats` table.

use sea_orm::entity::prelude::*;

/// Maintained purchase aggregates of one customer, updated with every order write.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub order_count: i64,
    /// Distinct UTC dates with a counted order.
    pub purchase_days: i64,
    pub monetary_total: crate::amount::Amount,
    pub outstanding: crate::amount::Amount,
    pub first_order_at: Option<DateTimeUtc>,
    pub last_order_at: Option<DateTimeUtc>,
    /// Value of the first purchase day in the base currency; null until recomputed.
    pub first_day_total: Option<crate::amount::Amount>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
