//! The `order_items` table.

use sea_orm::entity::prelude::*;

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: i64,
    pub unit_price: crate::amount::Amount,
    pub line_total: crate::amount::Amount,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
