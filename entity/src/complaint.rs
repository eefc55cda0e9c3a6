//! The `complaints` table.

use sea_orm::entity::prelude::*;

/// A complaint ticket and where it stands in its workflow.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub category: String,
    pub severity: String,
    pub status: String,
    pub subject: String,
    pub description: Option<String>,
    pub opened_at: DateTimeUtc,
    pub sla_due_at: DateTimeUtc,
    pub resolution: Option<String>,
    pub satisfaction: Option<i32>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
