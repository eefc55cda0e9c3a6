//! The values of query parameters that the handlers parse themselves (to name the parameter
//! and the rule in a problem), declared here so the contract says what each one accepts.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};

/// How the customer list is sorted: a field, `-` first for descending.
#[derive(Serialize, ToSchema)]
pub enum CustomerSort {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
    #[serde(rename = "display_name")]
    DisplayName,
    #[serde(rename = "-display_name")]
    DisplayNameDesc,
}

/// What a customer list adds to each customer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerInclude {
    Scores,
    Stats,
}

/// What an order or alert brings along in the same response.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordExpand {
    Customer,
}

/// What creating a customer does when look-alikes exist.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatesMode {
    Warn,
    Strict,
}

/// The format of an export or of an import file.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Ndjson,
}

/// What an import file holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Orders,
    Interactions,
    Surveys,
}

/// The format of an import's rejects.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectFormat {
    Csv,
    Json,
}

/// One column mapping of an import: `column:field`, or `column:` to skip the column.
pub struct ImportMapping;

impl utoipa::PartialSchema for ImportMapping {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[^:]+:.*$"))
            .description(Some(
                "One column mapping: `column:field`, or `column:` to skip the column.",
            ))
            .into()
    }
}

impl ToSchema for ImportMapping {}

/// `cursor` and `limit` of a page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// Query parameter of exports.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default; UTF-8 with a header row) or `ndjson` (one customer JSON per line).
    #[param(value_type = Option<FileFormat>)]
    pub format: Option<String>,
}

/// An enumerated query parameter, naming it and the values it takes when it is none of them.
///
/// # Errors
/// `BadRequest` naming the parameter.
pub fn enum_param<T>(
    name: &str,
    raw: Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> AppResult<Option<T>> {
    raw.map(|v| {
        parse(v.trim()).ok_or_else(|| {
            AppError::bad_param(
                name,
                "invalid_enum",
                format!("must be one of: {}", expected()),
            )
        })
    })
    .transpose()
}

/// A `true`/`false` query parameter (absent is false).
///
/// # Errors
/// `BadRequest` naming the parameter.
pub fn bool_param(name: &str, raw: Option<&str>) -> AppResult<bool> {
    match raw.map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(AppError::bad_param(
            name,
            "invalid_bool",
            "must be true or false",
        )),
    }
}
