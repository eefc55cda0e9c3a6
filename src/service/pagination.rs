//! Opaque cursors for keyset pagination.
//!
//! A cursor is the base64url of `[sort value, id]` of the last row of a page; the next page
//! starts strictly after it, so pages never overlap or skip rows under concurrent inserts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::AppError;

/// One page of results and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor of each item, for Relay edges.
    pub cursors: Vec<String>,
    pub next_cursor: Option<String>,
}

/// Encode the position of a row.
pub fn encode(sort_value: &Value, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(json!([sort_value, id]).to_string())
}

/// Decode a cursor made by [`encode`].
///
/// # Errors
/// `BadRequest` naming `field` when the cursor is not one of ours.
pub fn decode(field: &str, cursor: &str) -> Result<(Value, Uuid), AppError> {
    let bad = || {
        AppError::bad_param(
            field,
            "invalid_cursor",
            "is not a cursor returned by this API",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let Value::Array(mut parts) = value else {
        return Err(bad());
    };
    if parts.len() != 2 {
        return Err(bad());
    }
    let id = parts
        .pop()
        .and_then(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .ok_or_else(bad)?;
    let sort_value = parts.pop().ok_or_else(bad)?;
    Ok((sort_value, id))
}
