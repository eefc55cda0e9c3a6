//! Counters of the limits that protect accounts and data (failed sign-ins per IP, per
//! address and per address and IP; exports per caller), kept in the database so they hold
//! across server instances. One row per limit and key: the window it counts in (Unix
//! milliseconds, so both databases compare plain integers) and the events counted so far.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LimitCounters {
    Table,
    LimitName,
    LimitKey,
    WindowStart,
    ExpiresAt,
    Hits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LimitCounters::Table)
                    .col(string_len(LimitCounters::LimitName, 40))
                    .col(string_len(LimitCounters::LimitKey, 320))
                    .col(big_integer(LimitCounters::WindowStart))
                    .col(big_integer(LimitCounters::ExpiresAt))
                    .col(big_integer(LimitCounters::Hits))
                    .primary_key(
                        Index::create()
                            .col(LimitCounters::LimitName)
                            .col(LimitCounters::LimitKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_limit_counters_expires")
                    .table(LimitCounters::Table)
                    .col(LimitCounters::ExpiresAt)
                    .to_owned(),
            )
            .await
    }
}
