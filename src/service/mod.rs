//! Business logic, grouped by context: the only code that talks to the database.
//!
//! - `identity`: users, API keys, the audit log
//! - `customers`: the customer aggregate, custom fields, the timeline
//! - `behaviour`: orders, interactions, surveys, complaints
//! - `relations`: consents, preferences, loyalty points, relationships
//! - `analytics`: scores and their fits, segments, alerts, the overview
//! - `quality`: the data-quality report, duplicates, merge, standardisation
//! - `integration`: import, export, idempotency keys
//!
//! REST handlers and GraphQL resolvers call these functions with the caller's `Principal`
//! and get back views already rendered through `policy`.

// Shared pieces every context uses.
pub mod cache;
pub mod health;
pub mod input;
pub mod limits;
pub mod nodes;
pub(crate) mod pagination;
pub mod records;
pub mod rows;
pub mod shed;
pub(crate) mod versioned;

// The contexts, one directory each.
pub mod analytics;
pub mod behaviour;
pub mod customers;
pub mod identity;
pub mod integration;
pub mod quality;
pub mod relations;

pub use pagination::Page;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionOptions, TransactionTrait};

/// Where a write runs: the pool (`&state.db`), or a transaction the caller already holds
/// (an `Idempotency-Key` request stores its response in the transaction of its effect).
/// A service begins its own transaction with [`begin_write`] on it; inside a caller's
/// transaction that is a savepoint. Whatever it reads back before answering, it reads
/// through the same `Db`, so it sees its own uncommitted writes.
pub trait Db: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> {}

impl<T> Db for T where T: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> {}

/// Begin a transaction that will write.
///
/// On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a deferred transaction that
/// reads first and writes later fails with `SQLITE_BUSY` when another writer got in between,
/// whereas an immediate one waits its turn. PostgreSQL ignores the option. Begun on a
/// transaction, it is a savepoint of it.
///
/// # Errors
/// When the database cannot start a transaction.
pub(crate) async fn begin_write(db: &impl Db) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A stored enumeration read back: see [`crate::error::stored`], shared with `policy`.
pub(crate) use crate::error::stored;
