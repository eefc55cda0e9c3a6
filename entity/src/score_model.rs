//! The `score_models` table.

use sea_orm::entity::prelude::*;

/// A fitted (or refused) churn and spend model, with what it was fitted on.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "score_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fitted_at: DateTimeUtc,
    pub as_of: Date,
    /// `fitted`, or `insufficient_data` when scores fall back to RFM rules.
    pub status: String,
    pub customers: i64,
    pub repeat_buyers: i64,
    /// The fit as printed by `dossier scores fit --json`.
    pub params: Json,
    pub log_likelihood: Option<f64>,
    pub fit_millis: i64,
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
