//! The `custom_field_definitions` table: typed, classified custom fields.

use sea_orm::entity::prelude::*;

/// A custom-field definition; values live in `customers.custom` under `key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub key: String,
    pub label: String,
    pub field_type: String,
    /// JSON array of allowed values for enum and multi-enum fields.
    pub options: Json,
    pub required: bool,
    pub sensitivity: String,
    pub applies_to: String,
    pub description: Option<String>,
    pub max_length: Option<i32>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
