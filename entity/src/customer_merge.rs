//! The `customer_merges` table.

use sea_orm::entity::prelude::*;

/// One merge: the survivor, the customers merged into it, the field choices and what moved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_merges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_ids: Json,
    pub choices: Json,
    /// Records moved to the survivor, by kind.
    pub moved: Json,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
