//! The `customer_scores` table.

use sea_orm::entity::prelude::*;

/// A snapshot of one customer's scores, refreshed by the fit job and on demand; segment
/// filters and the overview read it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub computed_at: DateTimeUtc,
    /// The fitted model the scores used; null when they used the RFM rules.
    pub model_id: Option<Uuid>,
    pub recency_days: Option<i64>,
    pub frequency: i64,
    pub monetary: f64,
    pub r: Option<i16>,
    pub f: Option<i16>,
    pub m: Option<i16>,
    pub rfm_segment: Option<String>,
    pub p_alive: Option<f64>,
    pub churn_risk: Option<f64>,
    /// Over the default horizon, in the base currency.
    pub lifetime_value: Option<f64>,
    pub loyalty: f64,
    pub grade: Option<String>,
    pub lifecycle_stage: String,
    pub completeness: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
