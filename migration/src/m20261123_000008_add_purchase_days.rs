//! Purchase days in the maintained aggregates: the distinct UTC dates with a counted order,
//! the frequency the churn model counts (several orders on one day are one purchase).

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerStats {
    Table,
    PurchaseDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerStats::Table)
                    .add_column(big_integer(CustomerStats::PurchaseDays).default(0))
                    .to_owned(),
            )
            .await?;
        // Fill it for the aggregates that already exist.
        let day = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "CAST(o.ordered_at AT TIME ZONE 'UTC' AS DATE)",
            _ => "date(o.ordered_at)",
        };
        let sql = format!(
            "UPDATE customer_stats SET purchase_days = (SELECT COUNT(DISTINCT {day}) FROM orders o \
             WHERE o.customer_id = customer_stats.customer_id \
             AND o.status NOT IN ('cancelled', 'refunded'))"
        );
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}
