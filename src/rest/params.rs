//! The values of query parameters that the handlers parse themselves (to name the parameter
//! and the rule in a problem), declared here so the contract says what each one accepts.

use serde::Serialize;
use utoipa::ToSchema;

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
