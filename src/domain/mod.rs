//! Value types that parse, never just validate: once a value is one of these it is valid.
//!
//! Nothing here touches the database or a transport; enums derive the serde, OpenAPI and
//! GraphQL traits so both APIs spell them the same way.

mod contact;
mod enums;
pub mod horizon;
mod org;
mod place;
pub mod text;

pub use contact::{normalize_email, normalize_phone};
pub use enums::*;
pub use org::{is_valid_credit_code, is_valid_website};
pub use place::{normalize_city, normalize_name, normalize_province};

use crate::error::{AppError, FieldError};

/// Parse a path identifier, naming `field` when it is not a UUID.
///
/// # Errors
/// `BadRequest` naming the field.
pub fn parse_id(field: &str, raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw)
        .map_err(|_| AppError::bad_param(field, "invalid_uuid", "must be a UUID"))
}

/// Parse a non-negative decimal given as a string or JSON number, keeping its scale.
///
/// # Errors
/// A field error naming `field`.
pub fn parse_decimal(field: &str, raw: &str) -> Result<rust_decimal::Decimal, FieldError> {
    let value: rust_decimal::Decimal = raw.trim().parse().map_err(|_| {
        FieldError::new(
            field,
            "invalid_decimal",
            "must be a decimal number such as \"1234.50\"",
        )
    })?;
    Ok(value)
}

/// Whether `code` has the shape of an ISO 4217 currency code: three upper-case letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}
