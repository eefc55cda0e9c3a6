//! Custom-field definitions, and checking custom values against them.

use chrono::NaiveDate;
use entity::custom_field;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use std::sync::Arc;

use crate::domain::{AppliesTo, CustomFieldType, CustomerKind, Sensitivity, parse_decimal};
use crate::error::{AppError, AppResult};
use crate::policy::CustomFieldClasses;
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::cache::{self, Caches, Topic};
use crate::service::input::{Checker, parse_document, reject_read_only};
use crate::service::stored;
use crate::state::AppState;
use crate::types::custom_field::{CustomFieldInput, CustomFieldView};

/// Longest `text` value when a definition sets no `max_length`.
const DEFAULT_TEXT_MAX: usize = 1000;
const READ_ONLY: &[&str] = &["version", "created_at", "updated_at"];

/// A definition, parsed.
#[derive(Debug, Clone)]
pub struct Definition {
    pub key: String,
    pub field_type: CustomFieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub sensitivity: Sensitivity,
    pub applies_to: AppliesTo,
    pub max_length: Option<i32>,
}

impl Definition {
    /// A stored definition; a type, class or kind this version does not know is an error,
    /// never `text` (which would accept any value) or `all` (any customer).
    fn from_model(m: &custom_field::Model) -> AppResult<Self> {
        Ok(Self {
            key: m.key.clone(),
            field_type: stored(
                CustomFieldType::parse(&m.field_type),
                TABLE,
                "field_type",
                m.id,
            )?,
            options: string_array(&m.options),
            required: m.required,
            sensitivity: stored(
                Sensitivity::parse(&m.sensitivity),
                TABLE,
                "sensitivity",
                m.id,
            )?,
            applies_to: stored(AppliesTo::parse(&m.applies_to), TABLE, "applies_to", m.id)?,
            max_length: m.max_length,
        })
    }
}

const TABLE: &str = "custom_field_definitions";

fn string_array(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn view(m: custom_field::Model) -> AppResult<CustomFieldView> {
    let d = Definition::from_model(&m)?;
    Ok(CustomFieldView {
        key: m.key,
        label: m.label,
        field_type: d.field_type,
        options: d.options,
        required: m.required,
        sensitivity: d.sensitivity,
        applies_to: d.applies_to,
        description: m.description,
        max_length: m.max_length,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
    })
}

/// Every definition, parsed, ordered by key: what a write checks custom values against.
///
/// # Errors
/// Database failures; `Internal` for a stored definition this version does not know.
pub async fn definitions(conn: &impl ConnectionTrait) -> AppResult<Vec<Definition>> {
    let models = custom_field::Entity::find()
        .order_by_asc(custom_field::Column::Key)
        .all(conn)
        .await?;
    models.iter().map(Definition::from_model).collect()
}

/// The sensitivity class of each defined key, from parsed definitions.
pub fn classes(defs: &[Definition]) -> CustomFieldClasses {
    defs.iter()
        .map(|d| (d.key.clone(), d.sensitivity))
        .collect()
}

/// The sensitivity class of each defined key, for rendering customers: all a read needs of
/// the definitions.
///
/// A class this version does not know is read as `sensitive`, the strictest, and logged
/// naming the row. That is the one stored value read leniently, and on purpose: every
/// customer read renders through these classes, so an error would fail every read of every
/// customer, while `sensitive` only withholds the value from whoever may not see every
/// class, never shows it to someone who should not see it. Writes and the definition
/// itself refuse it (see [`definitions`]).
///
/// Cached (`service::cache`): most reads cost no statement for them.
///
/// # Errors
/// Database failures.
pub async fn render_classes(
    conn: &impl ConnectionTrait,
    caches: &Caches,
) -> AppResult<Arc<CustomFieldClasses>> {
    if let Some(classes) = caches.classes() {
        return Ok(classes);
    }
    let since = caches.generation(Topic::CustomFields);
    let classes = Arc::new(load_classes(conn).await?);
    caches.remember_classes(since, Arc::clone(&classes));
    Ok(classes)
}

async fn load_classes(conn: &impl ConnectionTrait) -> AppResult<CustomFieldClasses> {
    let models = custom_field::Entity::find().all(conn).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let class = Sensitivity::parse(&m.sensitivity).unwrap_or_else(|| {
                tracing::warn!(
                    custom_field.id = %m.id,
                    "stored value in {TABLE}.sensitivity is not one this version knows: \
                     rendered as sensitive"
                );
                Sensitivity::Sensitive
            });
            (m.key, class)
        })
        .collect())
}

/// Check custom values for a customer of `kind` against the definitions and return the
/// normalised map. Any key without a definition is an error (the caller leaves values of
/// deleted definitions out of the stored document before merging a patch).
///
/// `previous` is the stored map on update, `None` on create: a required field must be
/// present on create and, once set, cannot be removed (customers created before the field
/// became required may still lack it).
pub fn check_values(
    checker: &mut Checker,
    defs: &[Definition],
    kind: CustomerKind,
    values: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in values {
        let field = format!("custom.{key}");
        let Some(def) = defs.iter().find(|d| d.key == key) else {
            checker.fail(
                &field,
                "unknown_custom_field",
                "is not a defined custom field",
            );
            continue;
        };
        if !def.applies_to.admits(kind) {
            checker.fail(
                &field,
                "not_applicable",
                format!("applies only to {} customers", def.applies_to),
            );
            continue;
        }
        if value.is_null() {
            if def.required {
                checker.fail(&field, "required", "is required and cannot be cleared");
            }
            continue;
        }
        if let Some(v) = check_value(checker, &field, def, value) {
            out.insert(key, v);
        }
    }
    for def in defs
        .iter()
        .filter(|d| d.required && d.applies_to.admits(kind))
    {
        let field = format!("custom.{}", def.key);
        let was_set = previous.is_none_or(|p| p.contains_key(&def.key));
        if was_set
            && !out.contains_key(&def.key)
            && !checker.errors.iter().any(|e| e.field == field)
        {
            checker.fail(&field, "required", "is required and cannot be removed");
        }
    }
    out
}

fn check_value(
    checker: &mut Checker,
    field: &str,
    def: &Definition,
    value: Value,
) -> Option<Value> {
    let wrong = |checker: &mut Checker, what: &str| {
        checker.fail(field, "invalid_type", format!("must be {what}"));
        None
    };
    match def.field_type {
        CustomFieldType::Text => match value {
            Value::String(s) => {
                let max = def
                    .max_length
                    .map_or(DEFAULT_TEXT_MAX, |m| m.max(1) as usize);
                let s = s.trim().to_owned();
                if s.chars().count() > max {
                    checker.fail(
                        field,
                        "too_long",
                        format!("must be at most {max} characters"),
                    );
                    return None;
                }
                Some(Value::String(s))
            }
            _ => wrong(checker, "a string"),
        },
        CustomFieldType::Number => match &value {
            Value::Number(n) if n.is_i64() => Some(value),
            _ => wrong(checker, "an integer"),
        },
        CustomFieldType::Decimal => {
            let raw = match &value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return wrong(checker, "a decimal number"),
            };
            match parse_decimal(field, &raw) {
                Ok(d) => Some(Value::String(d.to_string())),
                Err(e) => {
                    checker.errors.push(e);
                    None
                }
            }
        }
        CustomFieldType::Date => match value
            .as_str()
            .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        {
            Some(Ok(d)) => Some(Value::String(d.to_string())),
            _ => wrong(checker, "a date as YYYY-MM-DD"),
        },
        CustomFieldType::Bool => match value {
            Value::Bool(_) => Some(value),
            _ => wrong(checker, "true or false"),
        },
        CustomFieldType::Enum => match value.as_str() {
            Some(s) if def.options.iter().any(|o| o == s) => Some(value),
            _ => wrong(checker, &format!("one of: {}", def.options.join(", "))),
        },
        CustomFieldType::MultiEnum => {
            let Some(items) = value.as_array() else {
                return wrong(checker, &format!("an array of: {}", def.options.join(", ")));
            };
            let mut seen: Vec<&str> = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) if def.options.iter().any(|o| o == s) && !seen.contains(&s) => {
                        seen.push(s)
                    }
                    _ => {
                        return wrong(
                            checker,
                            &format!(
                                "an array of distinct values from: {}",
                                def.options.join(", ")
                            ),
                        );
                    }
                }
            }
            Some(value)
        }
    }
}

/// A definition document, checked.
struct ValidDefinition {
    key: String,
    label: String,
    field_type: CustomFieldType,
    options: Vec<String>,
    required: bool,
    sensitivity: Sensitivity,
    applies_to: AppliesTo,
    description: Option<String>,
    max_length: Option<i32>,
}

fn validate(input: CustomFieldInput) -> AppResult<ValidDefinition> {
    let mut c = Checker::default();
    let key = input.key.map(|k| k.trim().to_owned()).unwrap_or_default();
    let key_ok = !key.is_empty()
        && key.len() <= 40
        && key.starts_with(|ch: char| ch.is_ascii_lowercase())
        && key
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if key.is_empty() {
        c.fail("key", "required", "is required");
    } else if !key_ok {
        c.fail("key", "invalid_key", "must match ^[a-z][a-z0-9_]{0,39}$");
    }
    let label = c.text("label", input.label, 100);
    if label.is_none() {
        c.fail("label", "required", "is required");
    }
    let field_type = input.field_type;
    if field_type.is_none() {
        c.fail(
            "type",
            "required",
            format!("is required: one of {}", CustomFieldType::expected()),
        );
    }
    let options = input.options.unwrap_or_default();
    let is_enum = matches!(
        field_type,
        Some(CustomFieldType::Enum | CustomFieldType::MultiEnum)
    );
    if is_enum {
        if options.is_empty() {
            c.fail(
                "options",
                "required",
                "enum fields need at least one option",
            );
        }
        if options.len() > 200 {
            c.fail("options", "too_many", "at most 200 options");
        }
        for (i, o) in options.iter().enumerate() {
            if o.trim().is_empty() || o.chars().count() > 100 {
                c.fail(
                    &format!("options[{i}]"),
                    "invalid_option",
                    "must be 1-100 characters",
                );
            } else if options[..i].contains(o) {
                c.fail(
                    &format!("options[{i}]"),
                    "duplicate",
                    "options must be distinct",
                );
            }
        }
    } else if !options.is_empty() {
        c.fail(
            "options",
            "not_applicable",
            "only enum and multi_enum fields have options",
        );
    }
    if let Some(m) = input.max_length {
        if field_type != Some(CustomFieldType::Text) {
            c.fail(
                "max_length",
                "not_applicable",
                "only text fields have a max_length",
            );
        } else if !(1..=10_000).contains(&m) {
            c.fail("max_length", "out_of_range", "must be between 1 and 10000");
        }
    }
    let description = c.text("description", input.description, 1000);
    let valid = ValidDefinition {
        key,
        label: label.unwrap_or_default(),
        field_type: field_type.unwrap_or(CustomFieldType::Text),
        options,
        required: input.required.unwrap_or(false),
        sensitivity: input.sensitivity.unwrap_or(Sensitivity::Public),
        applies_to: input.applies_to.unwrap_or(AppliesTo::All),
        description,
        max_length: input.max_length,
    };
    c.finish(valid)
}

fn to_document(m: &custom_field::Model) -> AppResult<Value> {
    let v = view(m.clone())?;
    let input = CustomFieldInput {
        key: Some(v.key),
        label: Some(v.label),
        field_type: Some(v.field_type),
        options: Some(v.options),
        required: Some(v.required),
        sensitivity: Some(v.sensitivity),
        applies_to: Some(v.applies_to),
        description: v.description,
        max_length: v.max_length,
    };
    Ok(serde_json::to_value(input).unwrap_or(Value::Null))
}

async fn find(conn: &impl ConnectionTrait, key: &str) -> AppResult<custom_field::Model> {
    custom_field::Entity::find()
        .filter(custom_field::Column::Key.eq(key))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound {
            entity: "custom field",
        })
}

/// All definitions.
///
/// # Errors
/// Database failures.
pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<CustomFieldView>> {
    authorize(principal, Action::ReadCustomers)?;
    let models = custom_field::Entity::find()
        .order_by_asc(custom_field::Column::Key)
        .all(&state.db)
        .await?;
    models.into_iter().map(view).collect()
}

/// One definition by key.
///
/// # Errors
/// `NotFound`.
pub async fn get(state: &AppState, principal: &Principal, key: &str) -> AppResult<CustomFieldView> {
    authorize(principal, Action::ReadCustomers)?;
    find(&state.db, key).await.and_then(view)
}

/// Define a custom field.
///
/// # Errors
/// `Validation` naming bad fields; `Conflict` when the key exists.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    doc: Value,
) -> AppResult<CustomFieldView> {
    let view = create_in(&state.db, principal, doc).await?;
    state.caches.forget(Topic::CustomFields);
    Ok(view)
}

/// As [`create`], written and read back through `db` (a caller's transaction).
pub async fn create_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    doc: Value,
) -> AppResult<CustomFieldView> {
    authorize(principal, Action::Administer)?;
    reject_read_only(&doc, READ_ONLY)?;
    let valid = validate(parse_document(doc)?)?;
    let exists = custom_field::Entity::find()
        .filter(custom_field::Column::Key.eq(&valid.key))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(AppError::Conflict(format!(
            "custom field `{}` already exists",
            valid.key
        )));
    }
    let now = crate::clock::now();
    let model = custom_field::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set(valid.key),
        label: Set(valid.label),
        field_type: Set(valid.field_type.as_str().to_owned()),
        options: Set(Value::from(valid.options)),
        required: Set(valid.required),
        sensitivity: Set(valid.sensitivity.as_str().to_owned()),
        applies_to: Set(valid.applies_to.as_str().to_owned()),
        description: Set(valid.description),
        max_length: Set(valid.max_length),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    // Heard by the other instances when the caller's transaction commits; the caller
    // forgets the classes here once it has.
    cache::announce(db, Topic::CustomFields).await?;
    view(model)
}

/// Change a definition with a JSON merge patch; `key` and `type` cannot change.
///
/// # Errors
/// `NotFound`; `Validation` naming bad or immutable fields; `PreconditionFailed` for a stale
/// version.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    key: &str,
    expected_version: Option<i64>,
    patch: Value,
) -> AppResult<CustomFieldView> {
    authorize(principal, Action::Administer)?;
    reject_read_only(&patch, READ_ONLY)?;
    let current = find(&state.db, key).await?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    let mut doc = to_document(&current)?;
    let before = doc.clone();
    json_patch::merge(&mut doc, &patch);
    let mut immutable = Vec::new();
    for field in ["key", "type"] {
        if doc.get(field) != before.get(field) {
            immutable.push(crate::error::FieldError::new(
                field,
                "immutable",
                "cannot be changed after creation",
            ));
        }
    }
    if !immutable.is_empty() {
        return Err(AppError::Validation(immutable));
    }
    let valid = validate(parse_document(doc)?)?;
    let mut active: custom_field::ActiveModel = current.clone().into();
    active.label = Set(valid.label);
    active.options = Set(Value::from(valid.options));
    active.required = Set(valid.required);
    active.sensitivity = Set(valid.sensitivity.as_str().to_owned());
    active.applies_to = Set(valid.applies_to.as_str().to_owned());
    active.description = Set(valid.description);
    active.max_length = Set(valid.max_length);
    active.updated_at = Set(crate::clock::now());
    let model =
        crate::service::versioned::update_model(&state.db, current.id, base, active).await?;
    cache::changed(&state.db, &state.caches, Topic::CustomFields).await?;
    view(model)
}

/// Remove a definition. Values stored under its key stop being rendered and are dropped on
/// each customer's next write.
///
/// # Errors
/// `NotFound`; `PreconditionFailed` for a stale version.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    key: &str,
    expected_version: Option<i64>,
) -> AppResult<()> {
    authorize(principal, Action::Administer)?;
    let current = find(&state.db, key).await?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    crate::service::versioned::delete::<custom_field::Entity>(&state.db, current.id, base).await?;
    cache::changed(&state.db, &state.caches, Topic::CustomFields).await
}
