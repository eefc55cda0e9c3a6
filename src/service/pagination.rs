//! Opaque cursors for keyset pagination.
//!
//! A cursor is the base64url of `[sort value, id]` of a row; the next page starts strictly
//! after the last row's, the previous page ends strictly before the first row's, so pages never
//! overlap or skip rows under concurrent inserts. A page read backwards is scanned in the
//! reverse of the list's order and put back into it, so it reads as forwards.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, Condition};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::AppError;

/// One page of results and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor of each item, for Relay edges.
    pub cursors: Vec<String>,
    /// The last cursor, when items follow the page (REST's `next_cursor`).
    pub next_cursor: Option<String>,
    /// Items follow the page: found by reading one more forwards; when read backwards, the
    /// page ends before a cursor.
    pub has_next: bool,
    /// Items precede the page: found by reading one more backwards; when read forwards, the
    /// page starts after a cursor.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// A page of `items` in the list's order with their cursors, read forwards or
    /// `backward`; `more`: rows lie beyond it in the reading direction; `from_cursor`: it
    /// was read from a cursor, so rows lie on the cursor's side.
    pub fn read(
        items: Vec<T>,
        cursors: Vec<String>,
        backward: bool,
        from_cursor: bool,
        more: bool,
    ) -> Self {
        let (has_next, has_previous) = if backward {
            (from_cursor, more)
        } else {
            (more, from_cursor)
        };
        let next_cursor = if has_next {
            cursors.last().cloned()
        } else {
            None
        };
        Self {
            items,
            cursors,
            next_cursor,
            has_next,
            has_previous,
        }
    }
}

/// Cut a scan of up to `limit + 1` rows to the page, in the list's order (a backward scan
/// ran in reverse); true when the scan found a row beyond the page.
pub fn trim<T>(rows: &mut Vec<T>, limit: u64, backward: bool) -> bool {
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if backward {
        rows.reverse();
    }
    more
}

/// Rows strictly past the cursor row `(key, id)` in scan order: after it when the scan
/// ascends, before it when it descends (ties on `column` broken by `id_column`).
pub fn past<C: ColumnTrait>(
    column: C,
    key: sea_orm::Value,
    id_column: C,
    id: Uuid,
    ascending: bool,
) -> Condition {
    let (beyond, beyond_id) = if ascending {
        (column.gt(key.clone()), id_column.gt(id))
    } else {
        (column.lt(key.clone()), id_column.lt(id))
    };
    Condition::any()
        .add(beyond)
        .add(Condition::all().add(column.eq(key)).add(beyond_id))
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
