//! Alerts (预警): configurable rules and the alerts they raise.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    Name,
    Kind,
    Params,
    Enabled,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleId,
    Kind,
    CustomerId,
    SubjectId,
    DedupKey,
    Status,
    Message,
    Details,
    CreatedAt,
    UpdatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ResolvedAt,
    ResolvedBy,
    Resolution,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .col(uuid(AlertRules::Id).primary_key())
                    .col(string_len_uniq(AlertRules::Name, 200))
                    .col(string_len(AlertRules::Kind, 32))
                    .col(json(AlertRules::Params))
                    .col(boolean(AlertRules::Enabled))
                    .col(uuid_null(AlertRules::CreatedBy))
                    .col(big_integer(AlertRules::Version))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .col(timestamp_with_time_zone(AlertRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(uuid(Alerts::Id).primary_key())
                    .col(uuid(Alerts::RuleId))
                    .col(string_len(Alerts::Kind, 32))
                    .col(uuid(Alerts::CustomerId))
                    .col(uuid_null(Alerts::SubjectId))
                    .col(string_len(Alerts::DedupKey, 100))
                    .col(string_len(Alerts::Status, 16))
                    .col(text(Alerts::Message))
                    .col(json(Alerts::Details))
                    .col(timestamp_with_time_zone(Alerts::CreatedAt))
                    .col(timestamp_with_time_zone(Alerts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .col(uuid_null(Alerts::AcknowledgedBy))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .col(uuid_null(Alerts::ResolvedBy))
                    .col(text_null(Alerts::Resolution))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_alerts_status_created",
                vec![Alerts::Status, Alerts::CreatedAt],
            ),
            ("idx_alerts_dedup", vec![Alerts::DedupKey, Alerts::Status]),
            ("idx_alerts_customer", vec![Alerts::CustomerId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alerts::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }
}
