//! A version on a customer's preferences and loyalty membership, so a write to either can be
//! conditional (`If-Match`) like every other versioned resource. Existing rows start at 1.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerPreferences {
    Table,
    Version,
}

#[derive(DeriveIden)]
enum LoyaltyAccounts {
    Table,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds no more at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerPreferences::Table)
                    .add_column(big_integer(CustomerPreferences::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoyaltyAccounts::Table)
                    .add_column(big_integer(LoyaltyAccounts::Version).default(1))
                    .to_owned(),
            )
            .await
    }
}
