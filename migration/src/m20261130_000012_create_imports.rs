//! Bulk imports: the jobs, their rejected rows, and the identifiers records carry in the
//! systems they were imported from.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExternalRefs {
    Table,
    Kind,
    Source,
    ExternalId,
    RecordId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    Kind,
    Format,
    Source,
    DryRun,
    Status,
    FileName,
    FilePath,
    Mapping,
    BytesTotal,
    BytesDone,
    RecordsDone,
    Rows,
    Created,
    Updated,
    Unchanged,
    Rejected,
    Error,
    Resumed,
    CreatedBy,
    UserId,
    ApiKeyId,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ImportRejects {
    Table,
    Id,
    JobId,
    Row,
    Field,
    Rule,
    Message,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExternalRefs::Table)
                    .col(string_len(ExternalRefs::Kind, 16))
                    .col(string_len(ExternalRefs::Source, 64))
                    .col(string_len(ExternalRefs::ExternalId, 128))
                    .col(uuid(ExternalRefs::RecordId))
                    .col(timestamp_with_time_zone(ExternalRefs::CreatedAt))
                    // The external id leads, so a batch's lookup (`external_id IN (…)`) is
                    // an index condition whatever the planner guesses about the rest.
                    .primary_key(
                        Index::create()
                            .col(ExternalRefs::ExternalId)
                            .col(ExternalRefs::Source)
                            .col(ExternalRefs::Kind),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_external_refs_record")
                    .table(ExternalRefs::Table)
                    .col(ExternalRefs::RecordId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportJobs::Table)
                    .col(uuid(ImportJobs::Id).primary_key())
                    .col(string_len(ImportJobs::Kind, 16))
                    .col(string_len(ImportJobs::Format, 8))
                    .col(string_len(ImportJobs::Source, 64))
                    .col(boolean(ImportJobs::DryRun))
                    .col(string_len(ImportJobs::Status, 16))
                    .col(string_len_null(ImportJobs::FileName, 255))
                    .col(string_len_null(ImportJobs::FilePath, 1000))
                    .col(json(ImportJobs::Mapping))
                    .col(big_integer(ImportJobs::BytesTotal))
                    .col(big_integer(ImportJobs::BytesDone))
                    .col(big_integer(ImportJobs::RecordsDone))
                    .col(big_integer(ImportJobs::Rows))
                    .col(big_integer(ImportJobs::Created))
                    .col(big_integer(ImportJobs::Updated))
                    .col(big_integer(ImportJobs::Unchanged))
                    .col(big_integer(ImportJobs::Rejected))
                    .col(text_null(ImportJobs::Error))
                    .col(boolean(ImportJobs::Resumed))
                    .col(string_len(ImportJobs::CreatedBy, 100))
                    .col(uuid_null(ImportJobs::UserId))
                    .col(uuid_null(ImportJobs::ApiKeyId))
                    .col(timestamp_with_time_zone(ImportJobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(ImportJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(ImportJobs::FinishedAt))
                    .col(timestamp_with_time_zone(ImportJobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_jobs_created")
                    .table(ImportJobs::Table)
                    .col(ImportJobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRejects::Table)
                    .col(uuid(ImportRejects::Id).primary_key())
                    .col(uuid(ImportRejects::JobId))
                    .col(big_integer(ImportRejects::Row))
                    .col(string_len(ImportRejects::Field, 200))
                    .col(string_len(ImportRejects::Rule, 64))
                    .col(text(ImportRejects::Message))
                    .col(text_null(ImportRejects::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_rejects_job")
                    .table(ImportRejects::Table)
                    .col(ImportRejects::JobId)
                    .col(ImportRejects::Row)
                    .to_owned(),
            )
            .await
    }
}
