//! Turning a JSON document into a typed input, with every failure naming its field.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// Reject fields the caller may not write (they are set by the server).
///
/// # Errors
/// `Validation` naming each read-only field present in `doc`.
pub fn reject_read_only(doc: &Value, read_only: &[&str]) -> Result<(), AppError> {
    let Some(object) = doc.as_object() else {
        return Err(AppError::invalid(
            "",
            "not_an_object",
            "the body must be a JSON object",
        ));
    };
    let errors: Vec<FieldError> = read_only
        .iter()
        .filter(|field| object.contains_key(**field))
        .map(|field| {
            FieldError::new(
                *field,
                "read_only",
                "is set by the server and cannot be written",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Deserialize `doc` into `T`, naming the offending field on failure.
///
/// # Errors
/// `Validation` with the path of the first field that does not fit (unknown field, wrong
/// type, unknown enum value, bad date).
pub fn parse_document<T: DeserializeOwned>(doc: Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize::<_, T>(doc).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = err.into_inner().to_string();
        let join = |name: &str| {
            if path.is_empty() || path == name || path.ends_with(&format!(".{name}")) {
                if path.is_empty() {
                    name.to_owned()
                } else {
                    path.clone()
                }
            } else {
                format!("{path}.{name}")
            }
        };
        let (field, code, message) = if let Some(name) = quoted_after(&inner, "unknown field `") {
            (
                join(name),
                "unknown_field",
                "is not a known field".to_owned(),
            )
        } else if let Some(name) = quoted_after(&inner, "missing field `") {
            (join(name), "required", "is required".to_owned())
        } else if inner.starts_with("unknown variant") {
            (path.clone(), "invalid_enum", without_value(&inner))
        } else {
            (path.clone(), "invalid_type", without_value(&inner))
        };
        AppError::Validation(vec![FieldError::new(field, code, message)])
    })
}

/// serde names fields in backticks: "unknown field `x`, expected …", "missing field `x`".
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// serde's message without the value that was sent: "invalid type: integer `13812345678`,
/// expected a string" becomes "invalid type: integer, expected a string", "unknown variant
/// `x`, expected one of `a`, `b`" becomes "expected one of `a`, `b`". An error never
/// echoes what the caller submitted.
fn without_value(message: &str) -> String {
    let message = strip_position(message);
    // The expectation is serde's own and comes last, after anything the caller sent.
    let expected = message
        .rfind(", expected ")
        .map(|i| message[i + 2..].to_owned());
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = rest
                .split(['`', '"', ','])
                .next()
                .unwrap_or_default()
                .trim();
            return match expected {
                Some(expected) => format!("{prefix}{kind}, {expected}"),
                None => format!("{prefix}{kind}"),
            };
        }
    }
    if message.starts_with("unknown variant") {
        return expected.unwrap_or_else(|| "is not one of the allowed values".to_owned());
    }
    if message.starts_with("invalid length") {
        return expected.unwrap_or_else(|| "has the wrong length".to_owned());
    }
    // Any other message is this code's own (a domain type's), which names no value.
    message
}

/// serde_json appends " at line 1 column 5" to some messages; it means nothing for a value.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Collects field errors while a document is checked, so all of them are reported at once.
#[derive(Default)]
pub struct Checker {
    pub errors: Vec<FieldError>,
}

impl Checker {
    /// Record a broken rule.
    pub fn fail(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Trim a text value; empty becomes absent; longer than `max` characters is an error.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let trimmed = value?.trim().to_owned();
        if trimmed.is_empty() {
            return None;
        }
        if trimmed.chars().count() > max {
            self.fail(
                field,
                "too_long",
                format!("must be at most {max} characters"),
            );
        }
        Some(trimmed)
    }

    /// Finish: the value if no rule was broken.
    ///
    /// # Errors
    /// `Validation` with every recorded field error.
    pub fn finish<T>(self, value: T) -> Result<T, AppError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// An input as an adapter read it, whose errors the service reports only once it has
/// authorised the caller: a caller who may not act gets 403, never a 422 that tells it what
/// the input should have been.
#[derive(Debug)]
pub struct Submitted<T>(Result<T, AppError>);

impl<T: DeserializeOwned> Submitted<T> {
    /// A JSON document to be read as `T` (see [`parse_document`]).
    pub fn document(doc: Value) -> Self {
        Self(parse_document(doc))
    }
}

impl<T> Submitted<T> {
    /// The input, once the caller may act.
    ///
    /// # Errors
    /// The input's `Validation` error.
    pub fn accept(self) -> Result<T, AppError> {
        self.0
    }

    /// The same input in another form.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Submitted<U> {
        Submitted(self.0.map(f))
    }
}

impl<T> From<T> for Submitted<T> {
    fn from(value: T) -> Self {
        Self(Ok(value))
    }
}
