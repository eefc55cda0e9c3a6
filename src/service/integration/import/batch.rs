//! What a batch is made of: records as parsed, rejects before masking, what a batch did,
//! and the context the pipeline and the writers share.

use super::*;

/// Counters of a run, added to the job's as each batch commits.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) records: i64,
    pub(super) rows: i64,
    pub(super) created: i64,
    pub(super) updated: i64,
    pub(super) unchanged: i64,
    pub(super) rejected: i64,
}

/// Where a record's customer is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum CustomerRef {
    Id(String),
    External(String),
}

/// A record ready to be checked.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) doc: Map<String, Value>,
    /// Cells as written, by field path (CSV).
    pub(super) raw: Vec<(String, String)>,
    /// The object as written (NDJSON).
    pub(super) original: Option<Map<String, Value>>,
    pub(super) external_id: Option<String>,
    pub(super) customer: Option<CustomerRef>,
}

/// One record of the file.
#[derive(Debug)]
pub(super) struct Item {
    pub(super) line: u64,
    /// Data lines it spans (an order's line rows).
    pub(super) rows: i64,
    pub(super) body: Result<Parsed, (String, String, String)>,
}

/// A reject before masking.
pub(super) struct Reject {
    pub(super) line: u64,
    pub(super) field: String,
    pub(super) rule: String,
    pub(super) message: String,
    pub(super) value: Option<String>,
}

/// What a batch did.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) created: i64,
    pub(super) updated: i64,
    pub(super) unchanged: i64,
    pub(super) rejected: i64,
    pub(super) rejects: Vec<Reject>,
    pub(super) touched: Vec<Uuid>,
}

impl Outcome {
    pub(super) fn reject_item(
        &mut self,
        line: u64,
        parsed: Option<&Parsed>,
        errors: Vec<FieldError>,
    ) {
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

    pub(super) fn reject(
        &mut self,
        line: u64,
        parsed: &Parsed,
        field: &str,
        rule: &str,
        message: &str,
    ) {
        self.reject_item(
            line,
            Some(parsed),
            vec![FieldError::new(field, rule, message)],
        );
    }

    pub(super) fn reject_error(
        &mut self,
        line: u64,
        parsed: &Parsed,
        err: AppError,
    ) -> AppResult<()> {
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

pub(super) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn raw_value(p: &Parsed, field: &str) -> Option<String> {
    if let Some((_, v)) = p.raw.iter().find(|(path, _)| path == field) {
        return Some(v.clone());
    }
    let source = p.original.as_ref().unwrap_or(&p.doc);
    columns::value_at(source, field)
        .filter(|v| !v.is_object() && !v.is_array())
        .map(text_of)
}

/// Everything a run needs besides the records.
pub(super) struct Ctx<'a> {
    pub(super) state: &'a AppState,
    pub(super) principal: &'a Principal,
    pub(super) job: Uuid,
    pub(super) kind: Kind,
    pub(super) source: String,
    pub(super) defs: Vec<Definition>,
    pub(super) owner: Option<Uuid>,
    pub(super) products_by_sku: HashMap<String, Uuid>,
    pub(super) products: HashMap<Uuid, product::Model>,
    /// Customers already resolved by this run (bounded by [`CUSTOMER_CACHE`]).
    pub(super) customers: std::sync::Mutex<HashMap<CustomerRef, Uuid>>,
}

impl Ctx<'_> {
    pub(super) fn class(&self, field: &str) -> Sensitivity {
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
    pub(super) fn mask(&self, field: &str, value: Option<String>) -> Option<String> {
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
pub(super) fn mask_text(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

/// Take a string field out of a document (numbers are accepted as their text).
pub(super) fn take_text(doc: &mut Map<String, Value>, key: &str) -> Option<String> {
    match doc.remove(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    }
}
