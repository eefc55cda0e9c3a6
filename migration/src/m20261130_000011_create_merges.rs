//! Merging duplicate customers: where a merged-away customer went, and a record of each
//! merge.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    MergedInto,
}

#[derive(DeriveIden)]
enum CustomerMerges {
    Table,
    Id,
    SurvivorId,
    MergedIds,
    Choices,
    Moved,
    Actor,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(uuid_null(Customers::MergedInto))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerMerges::Table)
                    .col(uuid(CustomerMerges::Id).primary_key())
                    .col(uuid(CustomerMerges::SurvivorId))
                    .col(json(CustomerMerges::MergedIds))
                    .col(json(CustomerMerges::Choices))
                    .col(json(CustomerMerges::Moved))
                    .col(string_len(CustomerMerges::Actor, 100))
                    .col(timestamp_with_time_zone(CustomerMerges::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_merges_survivor")
                    .table(CustomerMerges::Table)
                    .col(CustomerMerges::SurvivorId)
                    .to_owned(),
            )
            .await
    }
}
