//! The `import_jobs` table.

use sea_orm::entity::prelude::*;

/// One bulk import: what it reads, how far it got and what it did.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `customers`, `orders`, `interactions` or `surveys`.
    pub kind: String,
    /// `csv` or `ndjson`.
    pub format: String,
    /// The system the file comes from; external ids are unique within it.
    pub source: String,
    pub dry_run: bool,
    /// `queued`, `running`, `completed`, `failed` or `interrupted`.
    pub status: String,
    pub file_name: Option<String>,
    /// Where the file is read from (an upload is kept here until the job completes).
    pub file_path: Option<String>,
    /// Column name to field, as given.
    pub mapping: Json,
    pub bytes_total: i64,
    pub bytes_done: i64,
    /// Records read and settled (written, found unchanged or rejected) in committed batches:
    /// where a resumed job starts.
    pub records_done: i64,
    /// Data lines read.
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub resumed: bool,
    /// The caller's subject (`user:…`, `api_key:…`, `operator`).
    pub created_by: String,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
