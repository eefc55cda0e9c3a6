//! The audit log is append-only: the database itself refuses to UPDATE or DELETE a row of
//! `audit_events`, whoever asks (the server, an operator's SQL, a bug). SQLite: `BEFORE
//! UPDATE` / `BEFORE DELETE` triggers that `RAISE(ABORT)`; PostgreSQL: one trigger function
//! raising an exception, fired before each UPDATE or DELETE row and before TRUNCATE.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: [&str; 2] = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
];

const POSTGRES: [&str; 3] = [
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP \
     USING ERRCODE = 'insufficient_privilege'; \
     END $$",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES,
            DbBackend::Sqlite => &SQLITE,
            other => {
                return Err(DbErr::Migration(format!(
                    "the append-only audit log has no triggers for {other:?}"
                )));
            }
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
