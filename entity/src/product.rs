//! The `products` table.

use sea_orm::entity::prelude::*;

/// A product of the catalogue; prices are exact [`Amount`](crate::amount::Amount)s.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub list_price: crate::amount::Amount,
    pub currency: String,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
