//! Scores in the API: the first purchase day's value in the aggregates (the spend model
//! leaves the first purchase out), a snapshot of every customer's scores for segment filters
//! and the overview, and saved segments.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerStats {
    Table,
    FirstDayTotal,
}

#[derive(DeriveIden)]
enum CustomerScores {
    Table,
    CustomerId,
    ComputedAt,
    ModelId,
    RecencyDays,
    Frequency,
    Monetary,
    R,
    F,
    M,
    RfmSegment,
    PAlive,
    ChurnRisk,
    LifetimeValue,
    Loyalty,
    Grade,
    LifecycleStage,
    Completeness,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    Name,
    Description,
    Filter,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Null until the customer's aggregates are next recomputed (any order write or
        // `dossier stats rebuild`); scores then use the mean over every purchase day.
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerStats::Table)
                    .add_column(text_null(CustomerStats::FirstDayTotal))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerScores::Table)
                    .col(uuid(CustomerScores::CustomerId).primary_key())
                    .col(timestamp_with_time_zone(CustomerScores::ComputedAt))
                    .col(uuid_null(CustomerScores::ModelId))
                    .col(big_integer_null(CustomerScores::RecencyDays))
                    .col(big_integer(CustomerScores::Frequency))
                    .col(double(CustomerScores::Monetary))
                    .col(small_integer_null(CustomerScores::R))
                    .col(small_integer_null(CustomerScores::F))
                    .col(small_integer_null(CustomerScores::M))
                    .col(string_len_null(CustomerScores::RfmSegment, 24))
                    .col(double_null(CustomerScores::PAlive))
                    .col(double_null(CustomerScores::ChurnRisk))
                    .col(double_null(CustomerScores::LifetimeValue))
                    .col(double(CustomerScores::Loyalty))
                    .col(string_len_null(CustomerScores::Grade, 1))
                    .col(string_len(CustomerScores::LifecycleStage, 16))
                    .col(small_integer(CustomerScores::Completeness))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_customer_scores_grade", CustomerScores::Grade),
            ("idx_customer_scores_stage", CustomerScores::LifecycleStage),
            ("idx_customer_scores_risk", CustomerScores::ChurnRisk),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(CustomerScores::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(uuid(Segments::Id).primary_key())
                    .col(string_len_uniq(Segments::Name, 200))
                    .col(text_null(Segments::Description))
                    .col(json(Segments::Filter))
                    .col(uuid_null(Segments::CreatedBy))
                    .col(big_integer(Segments::Version))
                    .col(timestamp_with_time_zone(Segments::CreatedAt))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}
