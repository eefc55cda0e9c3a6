//! Streaming exports of customers (a list's filters, or a segment's members) as CSV or
//! NDJSON, rendered through the policy for the caller, a page at a time so memory stays flat
//! whatever the size.
//!
//! Exports carry personal data out of the system, so on top of the caller's masks:
//! - phone and e-mail only for managers and admins (everyone else's have them empty);
//! - five exports per caller per hour (429 with `Retry-After`);
//! - each export is audited with what was exported and how many rows.
//!
//! CSV cells that a spreadsheet would run as a formula (`= + - @`, tab, carriage return
//! first) are prefixed with `'`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::Page;
use crate::service::analytics::{scoring::with_scores, segments};
use crate::service::records::Window;
use crate::state::AppState;
use crate::types::customer::CustomerView;

/// Rows per page read while streaming (the largest page a list serves).
const PAGE: u64 = 200;

/// An export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// Parse `csv` or `ndjson`.
    ///
    /// # Errors
    /// `BadRequest` naming `format`.
    pub fn parse(raw: Option<&str>) -> AppResult<Self> {
        match raw.map(str::trim) {
            None | Some("csv") => Ok(Self::Csv),
            Some("ndjson") => Ok(Self::Ndjson),
            Some(_) => Err(AppError::bad_param(
                "format",
                "invalid_enum",
                "must be csv or ndjson",
            )),
        }
    }

    /// The response's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }
}

/// The bytes of an export, as they are produced.
pub type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = AppResult<actix_web::web::Bytes>>>>;

/// Reads one page of the customers to export, with their scores.
pub type PageReader = Arc<
    dyn Fn(AppState, Principal, Window) -> BoxFuture<'static, AppResult<Page<CustomerView>>>
        + Send
        + Sync,
>;

/// Columns of the CSV export.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "display_name",
    "phone",
    "email",
    "province",
    "city",
    "tags",
    "status",
    "owner_id",
    "lifecycle_stage",
    "grade",
    "churn_risk",
    "p_alive",
    "loyalty",
    "lifetime_value_12m",
    "monetary",
    "frequency",
    "recency_days",
    "rfm_segment",
    "completeness",
];

/// A text cell that a spreadsheet must not read as a formula.
pub(crate) fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Whether an export may carry phone and e-mail: managers and admins (and the operator).
pub fn exports_contact(principal: &Principal) -> bool {
    crate::policy::allows(principal, Action::ExportContacts)
}

/// A customer as exported: contact details withheld below a manager.
fn exported(c: &CustomerView, contact: bool) -> CustomerView {
    let mut c = c.clone();
    if !contact {
        for (value, name) in [(&mut c.phone, "phone"), (&mut c.email, "email")] {
            if value.take().is_some() && !c.masked.iter().any(|m| m == name) {
                c.masked.push(name.to_owned());
            }
        }
    }
    c
}

fn csv_rows(items: &[CustomerView], header: bool) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.into());
    if header {
        w.write_record(CSV_COLUMNS).map_err(fail)?;
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    for c in items {
        let address = c.address.as_ref();
        let s = c.scores.as_deref();
        let number = |v: Option<f64>| v.map(|n| format!("{n:.4}")).unwrap_or_default();
        let row: Vec<String> = vec![
            c.id.to_string(),
            c.kind.as_str().to_owned(),
            cell(&c.display_name),
            opt(c.phone.clone()),
            cell(&opt(c.email.clone())),
            cell(&opt(address.and_then(|a| a.province.clone()))),
            cell(&opt(address.and_then(|a| a.city.clone()))),
            cell(&c.tags.join(";")),
            c.status.as_str().to_owned(),
            opt(c.owner_id.map(|id| id.to_string())),
            opt(s.map(|s| s.lifecycle_stage.as_str().to_owned())),
            opt(s.and_then(|s| s.grade).map(|g| g.as_str().to_owned())),
            number(s.and_then(|s| s.churn.risk)),
            number(s.and_then(|s| s.churn.p_alive)),
            s.and_then(|s| s.loyalty.score)
                .map(|v| format!("{v:.1}"))
                .unwrap_or_default(),
            opt(s.and_then(|s| s.lifetime_value.as_ref()?.value.clone())),
            opt(s.and_then(|s| s.rfm.monetary.clone())),
            opt(s.map(|s| s.rfm.frequency.to_string())),
            opt(s.and_then(|s| s.rfm.recency_days).map(|d| d.to_string())),
            opt(s.and_then(|s| s.rfm.segment).map(|g| g.as_str().to_owned())),
            opt(s.and_then(|s| s.completeness).map(|v| v.to_string())),
        ];
        w.write_record(&row).map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(e.into()))
}

fn ndjson_rows(items: &[CustomerView]) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    for c in items {
        serde_json::to_writer(&mut out, c).map_err(|e| AppError::Internal(e.into()))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Check the caller's export allowance, audit the export (`action`, with `details`), and
/// stream the pages `read` returns in `format`.
///
/// # Errors
/// `TooManyRequests` over the allowance; database failures writing the audit event.
pub async fn stream(
    state: AppState,
    principal: Principal,
    action: &'static str,
    mut details: Value,
    format: Format,
    read: impl Fn(AppState, Principal, Window) -> BoxFuture<'static, AppResult<Page<CustomerView>>>
    + Send
    + Sync
    + 'static,
) -> AppResult<ByteStream> {
    // Counted before the first page is read (so concurrent exports cannot all slip under
    // the allowance) and given back if it fails.
    let allowance = crate::service::limits::take(
        &state.db,
        &state.settings.limits,
        crate::policy::limits::Limit::Export,
        principal.subject(),
    )
    .await?;
    // The first page is read before anything is sent, so its errors get a proper status;
    // a failure on a later page can only end the stream.
    let read: PageReader = Arc::new(read);
    let window = |cursor: Option<String>| Window {
        limit: PAGE,
        cursor,
        cursor_param: "cursor",
        backward: false,
    };
    let first = match read(state.clone(), principal.clone(), window(None)).await {
        Ok(first) => first,
        Err(err) => {
            crate::service::limits::refund(&state.db, &[allowance]).await?;
            return Err(err);
        }
    };
    let contact = exports_contact(&principal);
    details["format"] = Value::from(format.extension());
    details["contact_columns"] = Value::from(contact);
    crate::service::identity::audit::record(
        &state.db,
        &principal,
        crate::service::identity::audit::Event {
            action,
            customer_id: None,
            reason: None,
            details,
        },
    )
    .await?;
    let render = move |page: &Page<CustomerView>, header: bool| {
        let items: Vec<CustomerView> = page.items.iter().map(|c| exported(c, contact)).collect();
        match format {
            Format::Csv => csv_rows(&items, header),
            Format::Ndjson => ndjson_rows(&items),
        }
        .map(actix_web::web::Bytes::from)
    };
    let head = futures_util::stream::once(std::future::ready(render(&first, true)));
    let rest = futures_util::stream::unfold(
        (first.next_cursor, state, principal, read),
        move |(cursor, state, principal, read)| async move {
            let cursor = cursor?;
            match read(state.clone(), principal.clone(), window(Some(cursor))).await {
                Ok(page) => {
                    let chunk = render(&page, false);
                    Some((chunk, (page.next_cursor, state, principal, read)))
                }
                Err(e) => Some((Err(e), (None, state, principal, read))),
            }
        },
    );
    Ok(Box::pin(futures_util::StreamExt::chain(head, rest)))
}

/// Customers matching a list's filters, with their scores, as CSV or NDJSON.
///
/// # Errors
/// As [`stream`]; a filter the caller may not use.
pub async fn customers(
    state: AppState,
    principal: Principal,
    filter: crate::service::customers::CustomerFilter,
    format: Format,
) -> AppResult<ByteStream> {
    authorize(&principal, Action::ReadCustomers)?;
    let rows = crate::service::customers::count(&state, &principal, &filter).await?;
    let details = serde_json::json!({"filter": format!("{filter:?}"), "rows": rows});
    stream(
        state,
        principal,
        "customers.exported",
        details,
        format,
        move |state, principal, window| {
            let query = crate::service::customers::CustomerQuery {
                filter: filter.clone(),
                limit: window.limit,
                cursor: window.cursor,
                cursor_param: "cursor",
                ..Default::default()
            };
            Box::pin(async move {
                let mut page =
                    crate::service::customers::export_page(&state, &principal, query).await?;
                let items = std::mem::take(&mut page.items);
                let items = with_scores(&state, &principal, items).await?;
                Ok(page.with(items))
            })
        },
    )
    .await
}

/// A segment's members as CSV or NDJSON, streamed.
///
/// # Errors
/// `NotFound`, `Forbidden` or `TooManyRequests` before the first byte; a failure later ends
/// the stream.
pub async fn segment(
    state: AppState,
    principal: Principal,
    id: uuid::Uuid,
    format: Format,
) -> AppResult<ByteStream> {
    authorize(&principal, Action::ReadCustomers)?;
    let m = segments::find(&state, id).await?;
    let parsed = segments::parse_filter(&principal, &segments::conditions(&m))?;
    let rows =
        sea_orm::PaginatorTrait::count(segments::members_query(&principal, &parsed), &state.db)
            .await?;
    let details =
        serde_json::json!({"segment_id": m.id, "name": m.name, "filter": m.filter, "rows": rows});
    stream(
        state,
        principal,
        "segment.exported",
        details,
        format,
        move |state, principal, window| {
            let parsed = parsed.clone();
            Box::pin(async move { segments::page_of(&state, &principal, &parsed, &window).await })
        },
    )
    .await
}
