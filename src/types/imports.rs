//! Bulk import jobs and their rejected rows.

use async_graphql::SimpleObject;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::time::Timestamp;

/// A bulk import: what it reads, how far it got and what it did. Counts are in records
/// (an order with several line rows is one record).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ImportJob")]
#[schema(example = json!({"id": "0193a5b0-7c1e-7d3a-9f4e-2b8c6d1e0f10", "kind": "customers",
    "format": "csv", "source": "old-crm", "dry_run": false, "status": "completed",
    "file_name": "客户.csv", "progress": 1.0, "bytes_total": 52311, "bytes_done": 52311,
    "rows": 500, "records_done": 500, "created": 480, "updated": 12, "unchanged": 3,
    "rejected": 5, "error": null, "resumed": false, "created_at": "2026-11-30T09:00:00Z",
    "started_at": "2026-11-30T09:00:00Z", "finished_at": "2026-11-30T09:00:02Z"}))]
pub struct ImportJobView {
    pub id: Uuid,
    /// `customers`, `orders`, `interactions` or `surveys`.
    pub kind: String,
    /// `csv` or `ndjson`.
    pub format: String,
    /// The system the file comes from; external ids are matched within it.
    pub source: String,
    /// A dry run checks every row and writes nothing.
    pub dry_run: bool,
    /// `queued`, `running`, `completed`, `failed` or `interrupted` (resume it).
    pub status: String,
    pub file_name: Option<String>,
    /// Share of the file read, 0–1.
    pub progress: f64,
    pub bytes_total: i64,
    pub bytes_done: i64,
    /// Data lines read.
    pub rows: i64,
    /// Rows settled in committed batches: where a resumed job starts.
    pub records_done: i64,
    pub created: i64,
    pub updated: i64,
    /// Records already there as the file has them (a re-run).
    pub unchanged: i64,
    pub rejected: i64,
    /// Why the job failed or stopped.
    pub error: Option<String>,
    /// Whether the job was resumed after stopping.
    pub resumed: bool,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// One broken rule of a rejected row.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ImportReject")]
pub struct ImportRejectView {
    /// Line of the file where the record starts (the header is line 1).
    pub row: i64,
    /// The field, as the API names it (`phone`, `individual.birthday`, `items[0].quantity`);
    /// `file` when the line itself could not be read.
    pub field: String,
    /// The rule, as the API names it (`invalid_phone`, `required`, `line_too_long`…).
    pub rule: String,
    pub message: String,
    /// The value as written, masked for the importer's clearance of the field.
    pub value: Option<String>,
}
