//! Dossier's schema migrations: forward-only, one module per change, portable DDL built with
//! sea-orm-migration so the same steps run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_customers;
mod m20261122_000002_create_idempotency_keys;
mod m20261122_000003_create_users;
mod m20261122_000004_create_audit_events;
mod m20261122_000005_create_api_keys;
mod m20261123_000006_create_behaviour;
mod m20261123_000007_create_score_models;
mod m20261123_000008_add_purchase_days;
mod m20261130_000009_create_score_snapshot;
mod m20261130_000010_create_alerts;
mod m20261130_000011_create_merges;
mod m20261130_000012_create_imports;
mod m20261202_000013_add_preference_loyalty_versions;
mod m20261202_000014_exact_money;
mod m20261203_000015_create_limit_counters;
mod m20261204_000016_audit_append_only;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_customers::Migration),
            Box::new(m20261122_000002_create_idempotency_keys::Migration),
            Box::new(m20261122_000003_create_users::Migration),
            Box::new(m20261122_000004_create_audit_events::Migration),
            Box::new(m20261122_000005_create_api_keys::Migration),
            Box::new(m20261123_000006_create_behaviour::Migration),
            Box::new(m20261123_000007_create_score_models::Migration),
            Box::new(m20261123_000008_add_purchase_days::Migration),
            Box::new(m20261130_000009_create_score_snapshot::Migration),
            Box::new(m20261130_000010_create_alerts::Migration),
            Box::new(m20261130_000011_create_merges::Migration),
            Box::new(m20261130_000012_create_imports::Migration),
            Box::new(m20261202_000013_add_preference_loyalty_versions::Migration),
            Box::new(m20261202_000014_exact_money::Migration),
            Box::new(m20261203_000015_create_limit_counters::Migration),
            Box::new(m20261204_000016_audit_append_only::Migration),
        ]
    }
}
