//! The one rule on text every path applies before anything is stored or looked up: no NUL
//! (U+0000). PostgreSQL cannot store it in a text column and SQLite cuts C strings at it,
//! so a NUL is refused wherever text comes in (JSON bodies, query parameters, headers,
//! GraphQL arguments and variables), with the same code everywhere.

use crate::error::FieldError;

/// The rule's code, in REST `errors[].code` and GraphQL `extensions.fields[].code`.
pub const NUL_CODE: &str = "nul_character";

/// What the rule says, for humans (the value itself is never echoed).
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Whether `value` holds U+0000.
pub fn has_nul(value: &str) -> bool {
    value.contains('\0')
}

/// Refuse `value` if it holds U+0000, naming `field`.
///
/// # Errors
/// A field error naming `field` with [`NUL_CODE`].
pub fn refuse_nul(field: &str, value: &str) -> Result<(), FieldError> {
    if has_nul(value) {
        Err(nul_error(field))
    } else {
        Ok(())
    }
}

/// The field error of a NUL found at `field`.
pub fn nul_error(field: &str) -> FieldError {
    FieldError::new(field, NUL_CODE, NUL_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_is_refused_naming_the_field() {
        assert!(refuse_nul("q", "plain text, 中文").is_ok());
        for bad in ["\0", "a\0", "\0b", "a\0b"] {
            let err = refuse_nul("city", bad).err();
            assert_eq!(err.as_ref().map(|e| e.field.as_str()), Some("city"));
            assert_eq!(err.as_ref().map(|e| e.code.as_str()), Some(NUL_CODE));
            assert!(err.is_some_and(|e| !e.message.contains('\0')));
        }
    }
}
