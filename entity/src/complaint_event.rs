//! The `complaint_events` table.

use sea_orm::entity::prelude::*;

/// One step of a complaint's workflow: who moved it from which status to which, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub customer_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: DateTimeUtc,
    pub actor: String,
    pub actor_user_id: Option<Uuid>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
