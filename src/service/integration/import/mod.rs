//! Bulk import of customers, orders, interactions and surveys from CSV or NDJSON.
//!
//! - The file is checked before anything is written: its kind (not a workbook, archive or
//!   binary), its text, and, for CSV, that every column maps to a field ([`columns`]).
//! - Records are read a line at a time ([`reader`]) and checked by the same rules as the API.
//!   Valid ones are written in batches, one transaction per batch; a bad record becomes a
//!   reject (line, field, rule, value masked for the importer) and never costs its neighbours.
//! - Each batch's transaction also advances the job's `records_done`, so a job stopped by a
//!   crash resumes exactly after its last committed batch.
//! - Re-running a file does not duplicate: customers, interactions and surveys are matched by
//!   their `external_id` within the file's `source` (customers are updated, the others are
//!   left as they are); orders are matched by their number, which is unique.
//! - A dry run does all of it in transactions that are rolled back.
//!
//! This file is the job's lifecycle (create, inspect, run, resume, list, rejects); a run
//! goes through [`pipeline`] (read, parse, batch), [`batch`] (what a batch holds and did),
//! [`writers`] (one per kind) and [`bulk`] (many rows in few statements). The background
//! task that runs a job is in `crate::jobs::imports`.

mod batch;
mod bulk;
pub mod columns;
mod pipeline;
pub mod reader;
mod writers;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use entity::{
    customer, customer_tag, external_ref, import_job, import_reject, interaction, order,
    order_item, product, survey,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityTrait, IdenStatic, IntoActiveModel, Iterable, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use self::columns::Columns;
use self::pipeline::execute;
use self::reader::{Cells, FileError, Format, ReadAhead, Records};
use crate::domain::{CustomerSource, Sensitivity};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Action, Clearance, Principal, authorize};
use crate::policy::{class_of, mask_email, mask_money, record_class};
use crate::service::customers::custom_fields::{self, Definition};
use crate::service::identity::audit::{self, Event};
use crate::service::input::parse_document;
use crate::service::{behaviour::engagement, behaviour::orders, customers, versioned};
use crate::state::AppState;
use crate::types::commerce::OrderInput;
use crate::types::engagement::{InteractionInput, SurveyInput};
use crate::types::imports::{ImportJobView, ImportRejectView};

/// Records per batch (one transaction each).
const BATCH: usize = 1000;
/// Most rejects kept per job; the counts go on.
const MAX_REJECTS: i64 = 100_000;
/// Customer references a run remembers once resolved; the memory is bounded by this, not
/// by the file.
const CUSTOMER_CACHE: usize = 200_000;
/// Bind parameters per statement, under SQLite's limit of 32 766.
const MAX_BINDS: usize = 30_000;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Customers,
    Orders,
    Interactions,
    Surveys,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::Interactions => "interactions",
            Self::Surveys => "surveys",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customers" => Some(Self::Customers),
            "orders" => Some(Self::Orders),
            "interactions" => Some(Self::Interactions),
            "surveys" => Some(Self::Surveys),
            _ => None,
        }
    }

    /// The `external_refs.kind` of its records.
    fn ref_kind(self) -> &'static str {
        match self {
            Self::Customers => "customer",
            Self::Orders => "order",
            Self::Interactions => "interaction",
            Self::Surveys => "survey",
        }
    }

    /// Refuse a caller who may not write records of this kind.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require(self, principal: &Principal) -> AppResult<()> {
        match self {
            Self::Customers | Self::Orders => authorize(principal, Action::WriteCustomers),
            Self::Interactions | Self::Surveys => authorize(principal, Action::RecordActivity),
        }
    }
}

/// How to import a file.
#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Kind,
    pub format: Format,
    /// The system the file comes from (1–64 characters).
    pub source: String,
    pub dry_run: bool,
    /// Column (or NDJSON key) to field; `null` skips it.
    pub mapping: Map<String, Value>,
    pub file_name: Option<String>,
}

fn file_error(e: &FileError) -> AppError {
    AppError::Validation(vec![FieldError::new("file", e.rule(), e.to_string())])
}

fn check_source(source: &str) -> AppResult<()> {
    let ok = !source.is_empty()
        && source.chars().count() <= 64
        && source
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "source",
            "invalid_source",
            "must be 1–64 letters, digits, `-`, `_`, `.` or `:`",
        ))
    }
}

/// Check a file can be imported as `kind`: not empty, not a workbook or binary, text, and
/// for CSV a header whose every column maps to a field.
///
/// # Errors
/// `Validation` on `file` with the rule (`empty_file`, `wrong_file_kind`, `bad_header`…) and
/// a sentence saying what to do.
pub fn inspect(
    path: &Path,
    kind: Kind,
    format: Format,
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> AppResult<()> {
    inspect_file(path, kind, format, mapping, defs)
        .map(|_| ())
        .map_err(|e| file_error(&e))
}

fn inspect_file(
    path: &Path,
    kind: Kind,
    format: Format,
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> Result<Option<Columns>, FileError> {
    let mut head = Vec::with_capacity(8192);
    File::open(path)?.take(8192).read_to_end(&mut head)?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    reader::sniff(text)?;
    let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut records = Records::new(BufReader::new(File::open(path)?), format);
    let Some(header) = records.next_record()? else {
        return Err(FileError::Empty);
    };
    match (format, header.body) {
        (Format::Csv, _) if first == Some(b'{') => Err(FileError::WrongKind(
            "the file looks like NDJSON (one JSON object per line): import it with format ndjson"
                .to_owned(),
        )),
        (Format::Csv, Err(e)) => Err(FileError::Header(format!(
            "the header line cannot be read: {}",
            e.message
        ))),
        (Format::Csv, Ok(Cells::Row(names))) => {
            let columns =
                columns::resolve(kind, &names, mapping, defs).map_err(FileError::Header)?;
            if records.next_record()?.is_none() {
                return Err(FileError::WrongKind(
                    "the file has a header but no rows".to_owned(),
                ));
            }
            Ok(Some(columns))
        }
        (Format::Ndjson, Err(e)) => Err(FileError::WrongKind(format!(
            "the first line is not a JSON object ({}): is this a CSV file? import it with format csv",
            e.message
        ))),
        (_, Ok(_)) => Ok(None),
    }
}

/// Create a job for a file already on disk (checked first; nothing is written when it fails).
///
/// # Errors
/// `Forbidden` for a caller who may not write this kind; `Validation` for a bad source or file.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    options: Options,
    path: &Path,
) -> AppResult<ImportJobView> {
    create_in(&state.db, principal, options, path).await
}

/// As [`create`], the job written through `db` (a caller's transaction: the job exists once
/// it commits).
///
/// # Errors
/// As [`create`].
pub async fn create_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    options: Options,
    path: &Path,
) -> AppResult<ImportJobView> {
    let job = create_job(db, principal, options, path).await?;
    Ok(view(&job))
}

async fn create_job(
    db: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    options: Options,
    path: &Path,
) -> AppResult<import_job::Model> {
    options.kind.require(principal)?;
    check_source(&options.source)?;
    let defs = custom_fields::definitions(db).await?;
    // The file is read on the blocking pool, never on an async worker.
    let bytes_total = {
        let (path, kind, format) = (path.to_owned(), options.kind, options.format);
        let mapping = options.mapping.clone();
        tokio::task::spawn_blocking(move || {
            inspect(&path, kind, format, &mapping, &defs)?;
            std::fs::metadata(&path)
                .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
                .map_err(|e| AppError::Internal(e.into()))
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))??
    };
    let now = crate::clock::now();
    let job = import_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(options.kind.as_str().to_owned()),
        format: Set(options.format.as_str().to_owned()),
        source: Set(options.source),
        dry_run: Set(options.dry_run),
        status: Set("queued".to_owned()),
        file_name: Set(options.file_name),
        file_path: Set(Some(path.to_string_lossy().into_owned())),
        mapping: Set(Value::Object(options.mapping)),
        bytes_total: Set(bytes_total),
        bytes_done: Set(0),
        records_done: Set(0),
        rows: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        rejected: Set(0),
        error: Set(None),
        resumed: Set(false),
        created_by: Set(principal.subject()),
        user_id: Set(principal.user_id),
        api_key_id: Set(principal.api_key_id),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(job)
}

/// Import a file in the foreground (the command line): create the job and run it.
///
/// # Errors
/// As [`create`] and [`run`].
pub async fn import_file(
    state: &AppState,
    principal: &Principal,
    options: Options,
    path: &Path,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<ImportJobView> {
    let job = create_job(&state.db, principal, options, path).await?;
    run(state, principal, job.id, progress).await
}

fn may_see_all(principal: &Principal) -> bool {
    crate::policy::allows(principal, Action::SeeAllImports)
}

async fn find(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
) -> AppResult<import_job::Model> {
    let job = import_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: "import" })?;
    if may_see_all(principal) || job.created_by == principal.subject() {
        Ok(job)
    } else {
        Err(AppError::NotFound { entity: "import" })
    }
}

/// One import job (its creator's, or any for admins and managers).
///
/// # Errors
/// `NotFound`.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<ImportJobView> {
    Ok(view(&find(&state.db, principal, id).await?))
}

/// The newest import jobs the caller may see (their own; all for admins and managers).
///
/// # Errors
/// Database failures.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    limit: u64,
) -> AppResult<Vec<ImportJobView>> {
    let mut query = import_job::Entity::find()
        .order_by_desc(import_job::Column::CreatedAt)
        .order_by_desc(import_job::Column::Id)
        .limit(limit.clamp(1, 200));
    if !may_see_all(principal) {
        query = query.filter(import_job::Column::CreatedBy.eq(principal.subject()));
    }
    Ok(query.all(&state.db).await?.iter().map(view).collect())
}

/// A job's rejects in file order, at most `limit` from line `after` on.
///
/// # Errors
/// `NotFound`.
pub async fn rejects(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<ImportRejectView>, Option<Uuid>)> {
    find(&state.db, principal, id).await?;
    let mut query = import_reject::Entity::find()
        .filter(import_reject::Column::JobId.eq(id))
        .order_by_asc(import_reject::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(import_reject::Column::Id.gt(after));
    }
    let rows = query.all(&state.db).await?;
    let last = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok((
        rows.into_iter()
            .map(|r| ImportRejectView {
                row: r.row,
                field: r.field,
                rule: r.rule,
                message: r.message,
                value: r.value,
            })
            .collect(),
        last,
    ))
}

fn view(job: &import_job::Model) -> ImportJobView {
    let progress = if job.status == "completed" || job.bytes_total == 0 {
        if job.status == "completed" { 1.0 } else { 0.0 }
    } else {
        #[allow(clippy::cast_precision_loss)]
        let share = job.bytes_done as f64 / job.bytes_total as f64;
        share.clamp(0.0, 1.0)
    };
    ImportJobView {
        id: job.id,
        kind: job.kind.clone(),
        format: job.format.clone(),
        source: job.source.clone(),
        dry_run: job.dry_run,
        status: job.status.clone(),
        file_name: job.file_name.clone(),
        progress,
        bytes_total: job.bytes_total,
        bytes_done: job.bytes_done,
        rows: job.rows,
        records_done: job.records_done,
        created: job.created,
        updated: job.updated,
        unchanged: job.unchanged,
        rejected: job.rejected,
        error: job.error.clone(),
        resumed: job.resumed,
        created_at: job.created_at.into(),
        started_at: job.started_at.map(Into::into),
        finished_at: job.finished_at.map(Into::into),
    }
}

/// Mark jobs left queued or running by a previous process as interrupted, so they can be
/// resumed. Called when the server starts.
///
/// # Errors
/// Database failures.
pub async fn interrupt_stale(db: &DatabaseConnection) -> AppResult<u64> {
    let result = import_job::Entity::update_many()
        .col_expr(import_job::Column::Status, Expr::value("interrupted"))
        .col_expr(
            import_job::Column::Error,
            Expr::value("the server stopped during the import; resume it"),
        )
        .filter(import_job::Column::Status.is_in(["queued", "running"]))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Prepare a stopped job (`failed` or `interrupted`) to go on after its last committed batch.
///
/// # Errors
/// `NotFound`; `Conflict` when the job is not stopped, is a dry run, or its file is gone or
/// changed.
pub async fn prepare_resume(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<ImportJobView> {
    let job = find(&state.db, principal, id).await?;
    if !matches!(job.status.as_str(), "failed" | "interrupted") {
        return Err(AppError::Conflict(format!(
            "only a failed or interrupted import can be resumed; this one is {}",
            job.status
        )));
    }
    let size = job
        .file_path
        .as_deref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX));
    if size != Some(job.bytes_total) {
        return Err(AppError::Conflict(
            "the import's file is gone or has changed; import it again (a re-run does not duplicate)"
                .to_owned(),
        ));
    }
    let mut active = job.into_active_model();
    active.status = Set("queued".to_owned());
    active.resumed = Set(true);
    active.error = Set(None);
    active.updated_at = Set(crate::clock::now());
    Ok(view(&active.update(&state.db).await?))
}

/// Run a queued job to the end, a batch per transaction.
///
/// # Errors
/// `NotFound`; the job is marked failed (with the reason) on any other error, which is also
/// returned.
pub async fn run(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<ImportJobView> {
    let job = find(&state.db, principal, id).await?;
    let now = crate::clock::now();
    let mut active = job.clone().into_active_model();
    active.status = Set("running".to_owned());
    if job.started_at.is_none() {
        active.started_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    let job = active.update(&state.db).await?;
    state.http_metrics.import_started();
    finish(state, principal, &job, progress).await
}

/// Execute a running job and record how it ended: in `/metrics` first, then on the job, so
/// whoever sees the job ended sees it counted.
async fn finish(
    state: &AppState,
    principal: &Principal,
    job: &import_job::Model,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<ImportJobView> {
    let id = job.id;
    match execute(state, principal, job, progress).await {
        Ok(()) => {
            let job = match find(&state.db, principal, id).await {
                Ok(job) => job,
                Err(e) => {
                    state.http_metrics.import_finished(&job.kind, None);
                    return Err(e);
                }
            };
            let rows = u64::try_from(job.rows).unwrap_or(0);
            state.http_metrics.import_finished(&job.kind, Some(rows));
            let mut active = job.clone().into_active_model();
            active.status = Set("completed".to_owned());
            active.bytes_done = Set(job.bytes_total);
            active.finished_at = Set(Some(crate::clock::now()));
            active.updated_at = Set(crate::clock::now());
            let done = active.update(&state.db).await?;
            if !done.dry_run {
                audit::record(
                    &state.db,
                    principal,
                    Event {
                        action: "import.completed",
                        customer_id: None,
                        reason: None,
                        details: json!({"import_id": done.id, "kind": done.kind, "source": done.source,
                            "rows": done.rows, "created": done.created, "updated": done.updated,
                            "unchanged": done.unchanged, "rejected": done.rejected}),
                    },
                )
                .await?;
            }
            if let Some(path) = &done.file_path
                && Path::new(path).starts_with(&state.settings.import_dir)
            {
                let _ = std::fs::remove_file(path);
            }
            tracing::info!(import.id = %id, rows = done.rows, created = done.created,
                updated = done.updated, rejected = done.rejected, "import completed");
            let view = view(&done);
            progress(&view);
            Ok(view)
        }
        Err(err) => {
            let message = match &err {
                AppError::Database(_) | AppError::Internal(_) => {
                    tracing::error!(import.id = %id, error = %format!("{err:?}"), "import failed");
                    "the import stopped on an internal error; resume it to go on from the last committed batch".to_owned()
                }
                other => other.to_string(),
            };
            state.http_metrics.import_finished(&job.kind, None);
            // Keep the committed counters: only the status and the reason change.
            import_job::Entity::update_many()
                .col_expr(import_job::Column::Status, Expr::value("failed"))
                .col_expr(import_job::Column::Error, Expr::value(message))
                .col_expr(
                    import_job::Column::UpdatedAt,
                    Expr::value(crate::clock::now()),
                )
                .filter(import_job::Column::Id.eq(id))
                .exec(&state.db)
                .await?;
            Err(err)
        }
    }
}

/// Write a job's rejects as CSV (line, field, rule, message, value), all of them, a page at
/// a time.
///
/// # Errors
/// `NotFound`.
pub async fn rejects_csv(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, fields: &[&str]| {
        out.write_record(
            fields
                .iter()
                .map(|f| crate::service::integration::export::cell(f)),
        )
        .map_err(|e| AppError::Internal(e.into()))
    };
    write(&mut out, &["row", "field", "rule", "message", "value"])?;
    let mut after = None;
    loop {
        let (page, next) = rejects(state, principal, id, after, 5000).await?;
        for r in &page {
            write(
                &mut out,
                &[
                    &r.row.to_string(),
                    &r.field,
                    &r.rule,
                    &r.message,
                    r.value.as_deref().unwrap_or(""),
                ],
            )?;
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    out.into_inner().map_err(|e| AppError::Internal(e.into()))
}
