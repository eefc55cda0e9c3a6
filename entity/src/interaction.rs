//! The `interactions` table.

use sea_orm::entity::prelude::*;

/// A call, e-mail, meeting, visit or message with a customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub direction: String,
    pub occurred_at: DateTimeUtc,
    pub duration_seconds: Option<i64>,
    pub subject: Option<String>,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub user_id: Option<Uuid>,
    pub next_follow_up_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
