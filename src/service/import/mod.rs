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

pub mod columns;
pub mod reader;

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
use self::reader::{Cells, FileError, Format, Records};
use super::audit::{self, Event};
use super::custom_fields::{self, Definition};
use super::input::parse_document;
use super::{customers, engagement, orders, versioned};
use crate::domain::{CustomerSource, Sensitivity};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Action, Clearance, Principal, authorize};
use crate::policy::{class_of, mask_email, mask_money, record_class};
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
    let job = create_job(state, principal, options, path).await?;
    Ok(view(&job))
}

async fn create_job(
    state: &AppState,
    principal: &Principal,
    options: Options,
    path: &Path,
) -> AppResult<import_job::Model> {
    options.kind.require(principal)?;
    check_source(&options.source)?;
    let defs = custom_fields::definitions(&state.db).await?;
    inspect(path, options.kind, options.format, &options.mapping, &defs)?;
    let bytes_total = std::fs::metadata(path)
        .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
        .map_err(|e| AppError::Internal(e.into()))?;
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
    .insert(&state.db)
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
    let job = create_job(state, principal, options, path).await?;
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

/// Run a job in the background of this server; its outcome is on the job.
pub fn spawn(state: AppState, principal: Principal, id: Uuid) {
    actix_web::rt::spawn(async move {
        if let Err(err) = run(&state, &principal, id, &|_| {}).await {
            tracing::warn!(import.id = %id, error = %err, "import stopped");
        }
    });
}

/// Counters of a run, added to the job's as each batch commits.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    records: i64,
    rows: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
}

/// Where a record's customer is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CustomerRef {
    Id(String),
    External(String),
}

/// A record ready to be checked.
#[derive(Debug)]
struct Parsed {
    doc: Map<String, Value>,
    /// Cells as written, by field path (CSV).
    raw: Vec<(String, String)>,
    /// The object as written (NDJSON).
    original: Option<Map<String, Value>>,
    external_id: Option<String>,
    customer: Option<CustomerRef>,
}

/// One record of the file.
#[derive(Debug)]
struct Item {
    line: u64,
    /// Data lines it spans (an order's line rows).
    rows: i64,
    body: Result<Parsed, (String, String, String)>,
}

/// A reject before masking.
struct Reject {
    line: u64,
    field: String,
    rule: String,
    message: String,
    value: Option<String>,
}

/// What a batch did.
#[derive(Default)]
struct Outcome {
    created: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    rejects: Vec<Reject>,
    touched: Vec<Uuid>,
}

impl Outcome {
    fn reject_item(&mut self, line: u64, parsed: Option<&Parsed>, errors: Vec<FieldError>) {
        self.rejected += 1;
        for e in errors {
            let value = parsed.and_then(|p| raw_value(p, &e.field));
            self.rejects.push(Reject {
                line,
                field: e.field,
                rule: e.code,
                message: e.message,
                value,
            });
        }
    }

    fn reject(&mut self, line: u64, parsed: &Parsed, field: &str, rule: &str, message: &str) {
        self.reject_item(
            line,
            Some(parsed),
            vec![FieldError::new(field, rule, message)],
        );
    }

    fn reject_error(&mut self, line: u64, parsed: &Parsed, err: AppError) -> AppResult<()> {
        match err {
            AppError::Validation(errors) => {
                self.reject_item(line, Some(parsed), errors);
                Ok(())
            }
            AppError::BadRequest { message, errors } => {
                let errors = if errors.is_empty() {
                    vec![FieldError::new("file", "invalid", message)]
                } else {
                    errors
                };
                self.reject_item(line, Some(parsed), errors);
                Ok(())
            }
            other => Err(other),
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn raw_value(p: &Parsed, field: &str) -> Option<String> {
    if let Some((_, v)) = p.raw.iter().find(|(path, _)| path == field) {
        return Some(v.clone());
    }
    let source = p.original.as_ref().unwrap_or(&p.doc);
    columns::value_at(source, field)
        .filter(|v| !v.is_object() && !v.is_array())
        .map(text_of)
}

/// Everything a run needs besides the records.
struct Ctx<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    job: Uuid,
    kind: Kind,
    source: String,
    defs: Vec<Definition>,
    owner: Option<Uuid>,
    products_by_sku: HashMap<String, Uuid>,
    products: HashMap<Uuid, product::Model>,
    /// Customers already resolved by this run (bounded by [`CUSTOMER_CACHE`]).
    customers: std::sync::Mutex<HashMap<CustomerRef, Uuid>>,
}

impl Ctx<'_> {
    fn class(&self, field: &str) -> Sensitivity {
        let path: String = field
            .split('.')
            .map(|p| p.split_once('[').map_or(p, |(name, _)| name))
            .collect::<Vec<_>>()
            .join(".");
        if matches!(
            path.as_str(),
            "external_id" | "customer_id" | "customer_external_id" | "file"
        ) {
            return Sensitivity::Public;
        }
        match self.kind {
            Kind::Customers => match path.strip_prefix("custom.") {
                Some(key) => self
                    .defs
                    .iter()
                    .find(|d| d.key == key)
                    .map_or(Sensitivity::Sensitive, |d| d.sensitivity),
                None => class_of(&path),
            },
            kind => {
                let resource = match kind {
                    Kind::Orders => "order",
                    Kind::Interactions => "interaction",
                    _ => "survey",
                };
                let full = format!("{resource}.{path}");
                record_class(&full).unwrap_or(Sensitivity::Public)
            }
        }
    }

    /// A rejected value as the importer may see it.
    fn mask(&self, field: &str, value: Option<String>) -> Option<String> {
        let value = value?;
        let shown: String = value.chars().take(200).collect();
        match self.principal.clearance(self.class(field)) {
            Clearance::Full => Some(shown),
            Clearance::Partial => Some(if field == "email" && value.contains('@') {
                mask_email(&value)
            } else if let Some(band) = mask_money(&value) {
                band
            } else {
                mask_text(&value)
            }),
            Clearance::None => Some("[withheld]".to_owned()),
        }
    }
}

/// Keep the first three and last two characters of a value.
fn mask_text(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

/// Take a string field out of a document (numbers are accepted as their text).
fn take_text(doc: &mut Map<String, Value>, key: &str) -> Option<String> {
    match doc.remove(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    }
}

fn parse_item(
    kind: Kind,
    line: u64,
    cells: Cells,
    columns: Option<&Columns>,
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> Item {
    let (mut doc, mut raw, original) = match (cells, columns) {
        (Cells::Row(row), Some(columns)) => {
            let (doc, raw) = columns::document(columns, &row);
            (doc, raw, None)
        }
        (Cells::Object(object), _) => {
            let doc = columns::rename(kind, object, mapping, defs);
            let original = doc.clone();
            (doc, Vec::new(), Some(original))
        }
        (Cells::Row(_), None) => (Map::new(), Vec::new(), None),
    };
    for (path, _) in &mut raw {
        if let Some(field) = path.strip_prefix("items.") {
            *path = format!("items[0].{field}");
        }
    }
    let external_id = if kind == Kind::Orders {
        None
    } else {
        take_text(&mut doc, "external_id")
    };
    let customer = if kind == Kind::Customers {
        None
    } else {
        let id = take_text(&mut doc, "customer_id");
        let external = take_text(&mut doc, "customer_external_id");
        id.map(CustomerRef::Id)
            .or(external.map(CustomerRef::External))
    };
    // A CSV without a kind column: organizations are recognised by their profile fields.
    if kind == Kind::Customers && !doc.contains_key("kind") && original.is_none() {
        let kind = if doc.contains_key("organization") {
            "organization"
        } else {
            "individual"
        };
        doc.insert("kind".to_owned(), json!(kind));
    }
    Item {
        line,
        rows: 1,
        body: Ok(Parsed {
            doc,
            raw,
            original,
            external_id,
            customer,
        }),
    }
}

/// The key that must not repeat within a batch: a record's external id, an order's number.
fn batch_key(kind: Kind, item: &Item) -> Option<String> {
    let parsed = item.body.as_ref().ok()?;
    match kind {
        Kind::Orders => parsed.doc.get("number").map(text_of),
        _ => parsed.external_id.clone(),
    }
}

/// Whether a CSV order row continues the order before it (same number): its line item joins.
fn continues(previous: &Item, next: &Item) -> bool {
    match (&previous.body, &next.body) {
        (Ok(a), Ok(b)) => {
            a.original.is_none()
                && b.original.is_none()
                && a.doc.get("number").is_some()
                && a.doc.get("number") == b.doc.get("number")
        }
        _ => false,
    }
}

fn join_line(previous: &mut Item, next: Item) {
    let (Ok(a), Ok(b)) = (&mut previous.body, next.body) else {
        return;
    };
    previous.rows += 1;
    let Some(Value::Array(new_items)) = b.doc.get("items").cloned() else {
        return;
    };
    let items = a
        .doc
        .entry("items".to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = items {
        let n = list.len();
        for (path, value) in b.raw {
            if let Some(field) = path.strip_prefix("items[0].") {
                a.raw.push((format!("items[{n}].{field}"), value));
            }
        }
        list.extend(new_items);
    }
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
    let outcome = finish(state, principal, &job, progress).await;
    let rows = outcome
        .as_ref()
        .ok()
        .map(|v| u64::try_from(v.rows).unwrap_or(0));
    state.http_metrics.import_finished(&job.kind, rows);
    outcome
}

/// Execute a running job and record how it ended.
async fn finish(
    state: &AppState,
    principal: &Principal,
    job: &import_job::Model,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<ImportJobView> {
    let id = job.id;
    match execute(state, principal, job, progress).await {
        Ok(()) => {
            let job = find(&state.db, principal, id).await?;
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

async fn load_products(db: &DatabaseConnection) -> AppResult<Vec<product::Model>> {
    Ok(product::Entity::find().all(db).await?)
}

async fn execute(
    state: &AppState,
    principal: &Principal,
    job: &import_job::Model,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<()> {
    let kind = Kind::parse(&job.kind)
        .ok_or_else(|| AppError::Conflict("unknown import kind".to_owned()))?;
    let format = Format::parse(&job.format)
        .ok_or_else(|| AppError::Conflict("unknown import format".to_owned()))?;
    kind.require(principal)?;
    let path = PathBuf::from(job.file_path.clone().unwrap_or_default());
    let mapping = job.mapping.as_object().cloned().unwrap_or_default();
    let defs = custom_fields::definitions(&state.db).await?;
    let columns = inspect_file(&path, kind, format, &mapping, &defs).map_err(|e| file_error(&e))?;
    let file = File::open(&path).map_err(|e| AppError::Internal(e.into()))?;
    let mut records = Records::new(BufReader::with_capacity(1 << 18, file), format);
    if format == Format::Csv {
        records
            .next_record()
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let (products_by_sku, products) = if kind == Kind::Orders {
        let all = load_products(&state.db).await?;
        (
            all.iter().map(|p| (p.sku.clone(), p.id)).collect(),
            all.into_iter().map(|p| (p.id, p)).collect(),
        )
    } else {
        (HashMap::new(), HashMap::new())
    };
    let ctx = Ctx {
        state,
        principal,
        job: job.id,
        kind,
        source: job.source.clone(),
        defs,
        owner: crate::policy::rows(principal).owner(),
        products_by_sku,
        products,
        customers: std::sync::Mutex::new(HashMap::new()),
    };
    let mut job = job.clone();
    let mut skip = job.records_done;
    let mut touched: HashSet<Uuid> = HashSet::new();
    let mut batch: Vec<Item> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    loop {
        let raw = records
            .next_record()
            .map_err(|e| AppError::Internal(e.into()))?;
        let Some(raw) = raw else { break };
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let item = match raw.body {
            Ok(cells) => parse_item(kind, raw.line, cells, columns.as_ref(), &mapping, &ctx.defs),
            Err(e) => Item {
                line: raw.line,
                rows: 1,
                body: Err(("file".to_owned(), e.rule.to_owned(), e.message)),
            },
        };
        if kind == Kind::Orders
            && let Some(last) = batch.last_mut()
            && continues(last, &item)
        {
            join_line(last, item);
            continue;
        }
        let key = batch_key(kind, &item);
        let repeats = key.as_ref().is_some_and(|k| keys.contains(k));
        if batch.len() >= BATCH || repeats {
            let bytes = records.bytes;
            job = flush(&ctx, &job, std::mem::take(&mut batch), bytes, &mut touched).await?;
            keys.clear();
            progress(&view(&job));
        }
        if let Some(k) = key {
            keys.insert(k);
        }
        batch.push(item);
    }
    if !batch.is_empty() {
        job = flush(&ctx, &job, batch, records.bytes, &mut touched).await?;
        progress(&view(&job));
    }
    if !job.dry_run && state.db.get_database_backend() == DatabaseBackend::Postgres {
        // Planner statistics of tables that just grew; autovacuum would catch up later.
        state
            .db
            .execute_unprepared(
                "ANALYZE customers, customer_tags, external_refs, orders, order_items, interactions, surveys",
            )
            .await?;
    }
    if kind == Kind::Orders && !job.dry_run {
        if job.resumed {
            // Customers of the batches before the stop are not known here: rebuild them all.
            orders::rebuild_stats(&state.db, &state.settings.currency).await?;
        } else {
            refresh_touched(&state.db, touched, &state.settings.currency).await?;
        }
    }
    Ok(())
}

/// Recompute the aggregates of the customers an order import touched, a chunk at a time.
async fn refresh_touched(
    db: &DatabaseConnection,
    touched: HashSet<Uuid>,
    base: &str,
) -> AppResult<()> {
    let ids: Vec<Uuid> = touched.into_iter().collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<orders::KeyedOrderFacts> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::CustomerId)
            .column(order::Column::Status)
            .column(order::Column::OrderedAt)
            .column(order::Column::Total)
            .column(order::Column::PaidAmount)
            .column(order::Column::Currency)
            .filter(order::Column::CustomerId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let mut aggregates: HashMap<Uuid, orders::Aggregate> = chunk
            .iter()
            .map(|id| (*id, orders::Aggregate::default()))
            .collect();
        for (id, customer, status, at, total, paid, currency) in &rows {
            if let Some(agg) = aggregates.get_mut(customer) {
                agg.add(*id, status, *at, *total, *paid, currency, base)?;
            }
        }
        let txn = super::begin_write(db).await?;
        orders::upsert_stats(&txn, aggregates.iter().map(|(id, a)| a.row(*id)).collect()).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Check and write one batch, store its rejects and advance the job, in one transaction
/// (for a dry run the records' writes are rolled back and the job's progress kept).
async fn flush(
    ctx: &Ctx<'_>,
    job: &import_job::Model,
    batch: Vec<Item>,
    bytes: u64,
    touched: &mut HashSet<Uuid>,
) -> AppResult<import_job::Model> {
    let db = &ctx.state.db;
    let counts_rows: i64 = batch.iter().map(|i| i.rows).sum();
    let txn = super::begin_write(db).await?;
    let mut out = Outcome::default();
    let mut items = Vec::with_capacity(batch.len());
    for item in batch {
        match item.body {
            Ok(parsed) => items.push((item.line, parsed)),
            Err((field, rule, message)) => {
                out.rejected += 1;
                out.rejects.push(Reject {
                    line: item.line,
                    field,
                    rule,
                    message,
                    value: None,
                });
            }
        }
    }
    match ctx.kind {
        Kind::Customers => write_customers(&txn, ctx, items, &mut out).await?,
        Kind::Orders => write_orders(&txn, ctx, items, &mut out).await?,
        Kind::Interactions => write_interactions(&txn, ctx, items, &mut out).await?,
        Kind::Surveys => write_surveys(&txn, ctx, items, &mut out).await?,
    }
    let txn = if job.dry_run {
        txn.rollback().await?;
        super::begin_write(db).await?
    } else {
        txn
    };
    let room = usize::try_from((MAX_REJECTS - stored_rejects(job)).max(0)).unwrap_or(0);
    let rows: Vec<import_reject::ActiveModel> = out
        .rejects
        .into_iter()
        .take(room)
        .map(|r| {
            let value = ctx.mask(&r.field, r.value);
            import_reject::ActiveModel {
                id: Set(Uuid::now_v7()),
                job_id: Set(ctx.job),
                row: Set(i64::try_from(r.line).unwrap_or(i64::MAX)),
                field: Set(r.field.chars().take(200).collect()),
                rule: Set(r.rule.chars().take(64).collect()),
                message: Set(r.message),
                value: Set(value),
            }
        })
        .collect();
    insert_chunked::<import_reject::Entity, _>(&txn, rows, 7).await?;
    let counts = Counts {
        records: counts_rows,
        rows: counts_rows,
        created: out.created,
        updated: out.updated,
        unchanged: out.unchanged,
        rejected: out.rejected,
    };
    let mut active = job.clone().into_active_model();
    active.records_done = Set(job.records_done + counts.records);
    active.rows = Set(job.rows + counts.rows);
    active.created = Set(job.created + counts.created);
    active.updated = Set(job.updated + counts.updated);
    active.unchanged = Set(job.unchanged + counts.unchanged);
    active.rejected = Set(job.rejected + counts.rejected);
    active.bytes_done = Set(i64::try_from(bytes)
        .unwrap_or(i64::MAX)
        .min(job.bytes_total));
    active.updated_at = Set(crate::clock::now());
    let job = active.update(&txn).await?;
    txn.commit().await?;
    touched.extend(out.touched);
    Ok(job)
}

/// Rejects stored so far, near enough: a rejected record may break several rules.
fn stored_rejects(job: &import_job::Model) -> i64 {
    job.rejected
}

/// Insert rows. On PostgreSQL the batch goes as one JSON document expanded by
/// `json_populate_recordset` (a multi-row `VALUES` with tens of thousands of parameters
/// costs far more to parse and plan); elsewhere, in statements of at most [`MAX_BINDS`]
/// parameters (`columns` per row).
async fn insert_chunked<E, A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
    columns: usize,
) -> AppResult<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    if conn.get_database_backend() == DatabaseBackend::Postgres
        && let Some(document) = json_rows::<E, A>(&rows)
    {
        let table = E::default().table_name().to_owned();
        let names: Vec<String> = E::Column::iter()
            .map(|c| format!("\"{}\"", c.as_str()))
            .collect();
        let list = names.join(", ");
        let sql = format!(
            "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
        );
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            [sea_orm::Value::Json(Some(Box::new(document)))],
        ))
        .await?;
        return Ok(());
    }
    let per = (MAX_BINDS / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        E::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The rows as a JSON array of objects keyed by column, when every value has a plain JSON
/// form (otherwise `None`, and the rows go the usual way).
fn json_rows<E, A>(rows: &[A]) -> Option<Value>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
{
    use sea_orm::Value as V;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut object = Map::new();
        for column in E::Column::iter() {
            let value = match row.get(column).into_value() {
                None => continue,
                Some(value) => match value {
                    V::Bool(v) => v.map_or(Value::Null, Value::Bool),
                    V::Int(v) => v.map_or(Value::Null, Value::from),
                    V::BigInt(v) => v.map_or(Value::Null, Value::from),
                    V::String(v) => v.map_or(Value::Null, Value::String),
                    V::Uuid(v) => v.map_or(Value::Null, |u| Value::String(u.to_string())),
                    V::Json(v) => v.map_or(Value::Null, |j| *j),
                    V::ChronoDate(v) => v.map_or(Value::Null, |d| Value::String(d.to_string())),
                    V::ChronoDateTimeUtc(v) => v.map_or(Value::Null, |t| {
                        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                    }),
                    _ => return None,
                },
            };
            object.insert(column.as_str().to_owned(), value);
        }
        out.push(Value::Object(object));
    }
    Some(Value::Array(out))
}

/// The ids of records of this job's kind already imported from its source, by external id.
async fn known_refs(
    conn: &impl ConnectionTrait,
    kind: &str,
    source: &str,
    ids: Vec<String>,
) -> AppResult<HashMap<String, Uuid>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut known = HashMap::new();
    for chunk in ids.chunks(5000) {
        let rows = external_ref::Entity::find()
            .filter(external_ref::Column::Kind.eq(kind))
            .filter(external_ref::Column::Source.eq(source))
            .filter(external_ref::Column::ExternalId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        known.extend(rows.into_iter().map(|r| (r.external_id, r.record_id)));
    }
    Ok(known)
}

fn new_ref(
    kind: &str,
    source: &str,
    external_id: String,
    record: Uuid,
) -> external_ref::ActiveModel {
    external_ref::ActiveModel {
        kind: Set(kind.to_owned()),
        source: Set(source.to_owned()),
        external_id: Set(external_id),
        record_id: Set(record),
        created_at: Set(crate::clock::now()),
    }
}

/// What an importer confined to their own customers (sales) is told when a line's external
/// id was imported from the same source for a customer they may not change.
///
/// External ids are unique per source, so the line cannot create a second customer under
/// it; the reject names neither that customer nor its owner nor its state (deleted or not),
/// and reads like the refusal of an order number in use ([`orders::NUMBER_TAKEN`]): the
/// importer learns that the id is taken, which no answer can avoid, and nothing more.
const EXTERNAL_ID_TAKEN: &str = "this external id is already in use in this source (external ids are unique per source); choose another, or leave the row out";

/// The reject rule of [`EXTERNAL_ID_TAKEN`], the same as an order number's in use.
const EXTERNAL_ID_TAKEN_RULE: &str = orders::NUMBER_TAKEN_RULE;

fn check_external_id(out: &mut Outcome, line: u64, p: &Parsed) -> bool {
    if p.external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > 128)
    {
        out.reject(
            line,
            p,
            "external_id",
            "too_long",
            "must be at most 128 characters",
        );
        return false;
    }
    true
}

async fn write_customers(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let region = &ctx.state.settings.default_region;
    let ext: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.external_id.clone())
        .collect();
    let known = known_refs(txn, "customer", &ctx.source, ext).await?;
    let mut existing: HashMap<Uuid, customer::Model> = if known.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(known.values().copied().collect::<Vec<_>>()))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    let now = crate::clock::now();
    let mut news = Vec::new();
    let mut tags = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        if !check_external_id(out, line, &p) {
            continue;
        }
        // Two external ids may name one customer (after a merge): each row sees the last write.
        let current = p
            .external_id
            .as_ref()
            .and_then(|e| known.get(e))
            .and_then(|id| existing.get(id))
            .cloned();
        if let Some(current) = current {
            let current = &current;
            // Checked before anything else about the row, so that an importer confined to
            // their own customers learns nothing of another owner's (not even whether it is
            // deleted): see [`EXTERNAL_ID_TAKEN`].
            if ctx.owner.is_some() && current.owner_id != ctx.owner {
                out.reject(
                    line,
                    &p,
                    "external_id",
                    EXTERNAL_ID_TAKEN_RULE,
                    EXTERNAL_ID_TAKEN,
                );
                continue;
            }
            if current.deleted_at.is_some() {
                out.reject(line, &p, "external_id", "deleted",
                    "the customer imported with this external id is deleted; restore it first or leave the row out");
                continue;
            }
            let patch = Value::Object(std::mem::take(&mut p.doc));
            match customers::prepare_update(current, &patch, &ctx.defs, region) {
                Ok(None) => out.unchanged += 1,
                Ok(Some((mut active, next, new_tags))) => {
                    active.updated_at = Set(now);
                    active.not_set(customer::Column::Version);
                    let changes = customer::Entity::update_many().set(active);
                    if !versioned::try_update(txn, current.id, current.version, changes).await? {
                        out.reject(
                            line,
                            &p,
                            "external_id",
                            "conflict",
                            "the customer was changed while the import ran; import the row again",
                        );
                        continue;
                    }
                    customers::replace_tags(txn, current.id, &new_tags).await?;
                    let mut stored = next.clone();
                    stored.version = current.version + 1;
                    stored.updated_at = now;
                    existing.insert(current.id, stored);
                    let changes = customers::audit_change(current, &next, &ctx.defs);
                    audit::record(
                        txn,
                        ctx.principal,
                        Event {
                            action: "customer.updated",
                            customer_id: Some(current.id),
                            reason: Some(format!("import {}", ctx.job)),
                            details: changes,
                        },
                    )
                    .await?;
                    out.updated += 1;
                }
                Err(e) => {
                    p.doc = patch.as_object().cloned().unwrap_or_default();
                    out.reject_error(line, &p, e)?;
                }
            }
            continue;
        }
        if !p.doc.contains_key("source") {
            p.doc
                .insert("source".to_owned(), json!(CustomerSource::Import.as_str()));
        }
        let doc = Value::Object(p.doc.clone());
        match customers::prepare_new(doc, &ctx.defs, region, ctx.owner, now) {
            Ok((active, new_tags)) => {
                let id = match &active.id {
                    sea_orm::ActiveValue::Set(id) => *id,
                    _ => continue,
                };
                tags.extend(new_tags.into_iter().map(|tag| customer_tag::ActiveModel {
                    customer_id: Set(id),
                    tag: Set(tag),
                }));
                if let Some(e) = p.external_id.take() {
                    refs.push(new_ref("customer", &ctx.source, e, id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<customer::Entity, _>(txn, news, 60).await?;
    insert_chunked::<customer_tag::Entity, _>(txn, tags, 2).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}

/// The customers records refer to, by reference, among those the importer may see; the
/// ones a run has resolved before are not looked up again.
async fn resolve_customers(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: &[(u64, Parsed)],
) -> AppResult<HashMap<CustomerRef, Uuid>> {
    let mut resolved: HashMap<CustomerRef, Uuid> = HashMap::new();
    let mut missing: HashSet<CustomerRef> = HashSet::new();
    {
        let cache = ctx
            .customers
            .lock()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("customer cache poisoned")))?;
        for (_, p) in items {
            if let Some(r) = &p.customer {
                match cache.get(r) {
                    Some(id) => {
                        resolved.insert(r.clone(), *id);
                    }
                    None => {
                        missing.insert(r.clone());
                    }
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(resolved);
    }
    let external: Vec<String> = missing
        .iter()
        .filter_map(|r| match r {
            CustomerRef::External(e) => Some(e.clone()),
            CustomerRef::Id(_) => None,
        })
        .collect();
    let known = known_refs(txn, "customer", &ctx.source, external).await?;
    let mut wanted: HashMap<CustomerRef, Uuid> = known
        .into_iter()
        .map(|(e, id)| (CustomerRef::External(e), id))
        .collect();
    for r in &missing {
        if let CustomerRef::Id(raw) = r
            && let Ok(id) = Uuid::parse_str(raw)
        {
            wanted.insert(r.clone(), id);
        }
    }
    let ids: Vec<Uuid> = wanted
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut visible = HashSet::new();
    for chunk in ids.chunks(5000) {
        let mut query = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.is_in(chunk.to_vec()))
            .filter(customer::Column::DeletedAt.is_null());
        if let Some(owner) = ctx.owner {
            query = query.filter(customer::Column::OwnerId.eq(owner));
        }
        let found: Vec<Uuid> = query.into_tuple().all(txn).await?;
        visible.extend(found);
    }
    wanted.retain(|_, id| visible.contains(id));
    let mut cache = ctx
        .customers
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("customer cache poisoned")))?;
    if cache.len() + wanted.len() > CUSTOMER_CACHE {
        cache.clear();
    }
    cache.extend(wanted.iter().map(|(r, id)| (r.clone(), *id)));
    resolved.extend(wanted);
    Ok(resolved)
}

/// The customer of a record, or a reject naming the reference.
fn customer_of(
    out: &mut Outcome,
    line: u64,
    p: &Parsed,
    customers: &HashMap<CustomerRef, Uuid>,
) -> Option<Uuid> {
    match &p.customer {
        None => {
            out.reject(line, p, "customer_external_id", "required",
                "give the customer: customer_external_id (as imported from this source) or customer_id");
            None
        }
        Some(r) => match customers.get(r) {
            Some(id) => Some(*id),
            None => {
                let (field, message) = match r {
                    CustomerRef::Id(raw) if Uuid::parse_str(raw).is_err() => {
                        ("customer_id", "must be a customer id")
                    }
                    CustomerRef::Id(_) => ("customer_id", "no customer you can see has this id"),
                    CustomerRef::External(_) => (
                        "customer_external_id",
                        "no customer you can see was imported with this external id from this source",
                    ),
                };
                out.reject(line, p, field, "unknown_customer", message);
                None
            }
        },
    }
}

async fn write_orders(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let customers = resolve_customers(txn, ctx, &items).await?;
    let numbers: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.doc.get("number").map(text_of))
        .collect();
    let mut taken: HashMap<String, Uuid> = HashMap::new();
    for chunk in numbers.chunks(5000) {
        let rows: Vec<(String, Uuid)> = order::Entity::find()
            .select_only()
            .column(order::Column::Number)
            .column(order::Column::CustomerId)
            .filter(order::Column::Number.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        taken.extend(rows);
    }
    let base = &ctx.state.settings.currency;
    let mut news = Vec::new();
    let mut lines = Vec::new();
    for (line, mut p) in items {
        let Some(number) = p.doc.get("number").map(text_of) else {
            out.reject(line, &p, "number", "required",
                "is required in an import: orders are matched by their number when a file is imported again");
            continue;
        };
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        if let Some(owner) = taken.get(&number) {
            if *owner == customer {
                out.unchanged += 1;
            } else {
                // The same answer whether or not the importer can see that order.
                out.reject(
                    line,
                    &p,
                    "number",
                    orders::NUMBER_TAKEN_RULE,
                    orders::NUMBER_TAKEN,
                );
            }
            continue;
        }
        // Lines may name their product by SKU.
        let mut unknown = Vec::new();
        if let Some(Value::Array(lines_in)) = p.doc.get_mut("items") {
            for (i, item) in lines_in.iter_mut().enumerate() {
                if let Value::Object(fields) = item
                    && let Some(sku) = fields.remove("sku")
                {
                    let sku = text_of(&sku);
                    match ctx.products_by_sku.get(sku.trim()) {
                        Some(id) => {
                            fields.insert("product_id".to_owned(), json!(id));
                        }
                        None => unknown.push(FieldError::new(
                            format!("items[{i}].sku"),
                            "unknown_product",
                            format!("no product in the catalogue has SKU {sku}"),
                        )),
                    }
                }
            }
        }
        if !unknown.is_empty() {
            out.reject_item(line, Some(&p), unknown);
            continue;
        }
        let checked = parse_document::<OrderInput>(Value::Object(p.doc.clone()))
            .and_then(|input| orders::check_new_order(&ctx.products, base, input, customer));
        match checked {
            Ok(new) => {
                news.push(new.order);
                lines.extend(new.lines);
                out.touched.push(customer);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<order::Entity, _>(txn, news, 16).await?;
    insert_chunked::<order_item::Entity, _>(txn, lines, 7).await?;
    Ok(())
}

/// Split records into those already imported (counted unchanged) and new ones.
async fn new_records(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<Vec<(u64, Parsed)>> {
    let ext: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.external_id.clone())
        .collect();
    let known = known_refs(txn, ctx.kind.ref_kind(), &ctx.source, ext).await?;
    let mut fresh = Vec::with_capacity(items.len());
    for (line, p) in items {
        if !check_external_id(out, line, &p) {
            continue;
        }
        if p.external_id
            .as_ref()
            .is_some_and(|e| known.contains_key(e))
        {
            out.unchanged += 1;
        } else {
            fresh.push((line, p));
        }
    }
    Ok(fresh)
}

async fn write_interactions(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let items = new_records(txn, ctx, items, out).await?;
    let customers = resolve_customers(txn, ctx, &items).await?;
    let now = crate::clock::now();
    let mut news = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        let doc = Value::Object(p.doc.clone());
        let input = match parse_document::<InteractionInput>(doc.clone()) {
            Ok(input) => input,
            Err(e) => {
                out.reject_error(line, &p, e)?;
                continue;
            }
        };
        let id = Uuid::now_v7();
        let mut active = interaction::ActiveModel {
            id: Set(id),
            customer_id: Set(customer),
            user_id: Set(ctx.principal.user_id),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        match engagement::apply_interaction(txn, &doc, input, &mut active, true).await {
            Ok(()) => {
                if let Some(e) = p.external_id.take() {
                    refs.push(new_ref("interaction", &ctx.source, e, id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<interaction::Entity, _>(txn, news, 14).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}

async fn write_surveys(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let items = new_records(txn, ctx, items, out).await?;
    let customers = resolve_customers(txn, ctx, &items).await?;
    let mut news = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        let checked = parse_document::<SurveyInput>(Value::Object(p.doc.clone()))
            .and_then(|input| engagement::check_survey(input, customer));
        match checked {
            Ok(active) => {
                if let (Some(e), sea_orm::ActiveValue::Set(id)) = (p.external_id.take(), &active.id)
                {
                    refs.push(new_ref("survey", &ctx.source, e, *id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<survey::Entity, _>(txn, news, 8).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}

/// Write a job's rejects as CSV (line, field, rule, message, value), all of them, a page at
/// a time.
///
/// # Errors
/// `NotFound`.
pub async fn rejects_csv(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, fields: &[&str]| {
        out.write_record(fields.iter().map(|f| super::export::cell(f)))
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
    out.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
