//! The `alert_rules` table.

use sea_orm::entity::prelude::*;

/// A configured alert rule: its kind and parameters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub name: String,
    /// `overdue_receivable`, `churn_risk`, `no_contact` or `complaint_sla`.
    pub kind: String,
    /// The kind's parameters, as sent.
    pub params: Json,
    pub enabled: bool,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
