//! Deserialization helpers for inputs.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A decimal amount written as a string (`"12.50"`) or a JSON number (`12.5`), kept as text
/// for the service to parse with `rust_decimal`.
///
/// # Errors
/// When the value is neither a string nor a number.
pub fn decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom(
            "invalid type: expected a decimal number such as \"1234.50\"",
        )),
    }
}
