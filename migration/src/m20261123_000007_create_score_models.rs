//! Fitted churn and spend models: what the scores are computed with.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScoreModels {
    Table,
    Id,
    FittedAt,
    AsOf,
    Status,
    Customers,
    RepeatBuyers,
    Params,
    LogLikelihood,
    FitMillis,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScoreModels::Table)
                    .col(uuid(ScoreModels::Id).primary_key())
                    .col(timestamp_with_time_zone(ScoreModels::FittedAt))
                    .col(date(ScoreModels::AsOf))
                    .col(string_len(ScoreModels::Status, 24))
                    .col(big_integer(ScoreModels::Customers))
                    .col(big_integer(ScoreModels::RepeatBuyers))
                    .col(json(ScoreModels::Params))
                    .col(double_null(ScoreModels::LogLikelihood))
                    .col(big_integer(ScoreModels::FitMillis))
                    .col(text_null(ScoreModels::Message))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_score_models_fitted_at")
                    .table(ScoreModels::Table)
                    .col(ScoreModels::FittedAt)
                    .to_owned(),
            )
            .await
    }
}
