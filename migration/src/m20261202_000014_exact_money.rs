//! Money as exact numbers: on PostgreSQL the amount columns become `NUMERIC(28, 4)` (amounts
//! have at most 4 decimals; 24 integer digits hold a line of a million units at the largest
//! price and any sum of them, and fit `rust_decimal`), so a value that is not a number cannot
//! be stored and sums in SQL are exact. SQLite keeps the decimal text (its `NUMERIC`
//! affinity would turn `0.10` into a float); there the service parses every amount strictly
//! and adds them as decimals.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every amount column, by table.
const AMOUNTS: &[(&str, &[&str])] = &[
    ("orders", &["total", "paid_amount"]),
    ("order_items", &["unit_price", "line_total"]),
    ("products", &["list_price"]),
    (
        "customer_stats",
        &["monetary_total", "outstanding", "first_day_total"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, columns) in AMOUNTS {
            // A stored value that is not a number makes the cast, and so the migration, fail.
            let changes: Vec<String> = columns
                .iter()
                .map(|c| {
                    format!(
                        "ALTER COLUMN \"{c}\" TYPE NUMERIC(28, 4) \
                         USING CAST(\"{c}\" AS NUMERIC(28, 4))"
                    )
                })
                .collect();
            db.execute_unprepared(&format!("ALTER TABLE \"{table}\" {}", changes.join(", ")))
                .await?;
        }
        Ok(())
    }
}
