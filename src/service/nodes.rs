//! Which kind of record an id names, for GraphQL's `node(id:)`: ids are UUIDv7s, unique
//! across every kind, so one statement finds the table; the kind's own read then applies
//! the caller's rights and rows.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use uuid::Uuid;

use crate::error::AppResult;
use crate::state::AppState;

/// The kinds of record `node(id:)` reads, in the order of [`TABLES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Customer,
    Order,
    Product,
    Interaction,
    Complaint,
    Segment,
    Alert,
    ImportJob,
}

/// The table of each kind (identifiers of this code, never input).
const TABLES: [(NodeKind, &str); 8] = [
    (NodeKind::Customer, "customers"),
    (NodeKind::Order, "orders"),
    (NodeKind::Product, "products"),
    (NodeKind::Interaction, "interactions"),
    (NodeKind::Complaint, "complaints"),
    (NodeKind::Segment, "segments"),
    (NodeKind::Alert, "alerts"),
    (NodeKind::ImportJob, "import_jobs"),
];

/// The kind of the record with this id, if there is one (whoever may read it: the caller's
/// rights are the kind's read's to check, so an invisible record and a missing one look the
/// same to the caller).
///
/// # Errors
/// Database failures.
pub async fn kind_of(state: &AppState, id: Uuid) -> AppResult<Option<NodeKind>> {
    let backend = state.db.get_database_backend();
    let (placeholder, values) = match backend {
        DatabaseBackend::Postgres => ("$1", vec![id.into()]),
        _ => ("?", vec![id.into(); TABLES.len()]),
    };
    let sql = TABLES
        .iter()
        .enumerate()
        .map(|(i, (_, table))| {
            format!("SELECT CAST({i} AS BIGINT) AS kind FROM {table} WHERE id = {placeholder}")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("{sql} LIMIT 1"),
            values,
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let index: i64 = row.try_get("", "kind")?;
    Ok(usize::try_from(index)
        .ok()
        .and_then(|i| TABLES.get(i))
        .map(|(kind, _)| *kind))
}
