//! The customer aggregate: create, read, list, merge-patch update, soft delete, restore.

pub mod custom_fields;
pub mod duplicates;
pub mod timeline;

use crate::policy::{Action, authorize};
use crate::service::cache::Caches;
use crate::service::rows::find;
use chrono::{DateTime, Utc};
use entity::{customer, customer_tag};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::clock::now;

use crate::domain::{
    CustomerKind, CustomerSortField, CustomerSource, CustomerStatus, Sensitivity, SortDirection,
    is_valid_credit_code, is_valid_website, normalize_city, normalize_email, normalize_name,
    normalize_phone, normalize_province, parse_decimal,
};
use crate::error::{AppError, AppResult};
use crate::policy::render_customer;
use crate::policy::{Clearance, Principal};
use crate::service::identity::audit::{self, Event};
use crate::service::input::{Checker, Submitted, parse_document, reject_read_only};
use crate::service::pagination::{self, Page};
use crate::service::{stored, versioned};
use crate::state::AppState;
use crate::types::customer::{
    AddressInput, CustomerInput, CustomerView, IndividualInput, OrganizationInput,
};
use custom_fields::Definition;

/// Fields the server sets; a body that contains one is refused rather than silently ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "masked",
];
const MAX_TAGS: usize = 50;
const MAX_TAG_LEN: usize = 50;
/// Largest page a caller may ask for.
pub const MAX_PAGE: u64 = 200;
/// Page size when the caller does not say.
pub const DEFAULT_PAGE: u64 = 50;

/// Which customers to list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub kind: Option<CustomerKind>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub source: Option<CustomerSource>,
    pub owner_id: Option<Uuid>,
    pub status: Option<CustomerStatus>,
    /// Inclusive.
    pub created_after: Option<DateTime<Utc>>,
    /// Exclusive.
    pub created_before: Option<DateTime<Utc>>,
    /// Case-insensitive search in name and e-mail; its digits also match the phone.
    pub q: Option<String>,
    /// List soft-deleted customers instead of live ones.
    pub deleted: bool,
}

/// A list request: filter, order, and position.
#[derive(Debug, Clone)]
pub struct CustomerQuery {
    pub filter: CustomerFilter,
    pub sort: CustomerSortField,
    pub direction: SortDirection,
    pub limit: u64,
    pub cursor: Option<String>,
    /// Name of the cursor parameter, for error messages (`cursor`, `after` or `before`).
    pub cursor_param: &'static str,
    /// Read the page just before the cursor (the last page without one), still in the
    /// requested order (GraphQL's `last`/`before`).
    pub backward: bool,
}

impl Default for CustomerQuery {
    fn default() -> Self {
        Self {
            filter: CustomerFilter::default(),
            sort: CustomerSortField::CreatedAt,
            direction: SortDirection::Desc,
            limit: DEFAULT_PAGE,
            cursor: None,
            cursor_param: "cursor",
            backward: false,
        }
    }
}

/// The checked column values of a customer.
struct Valid {
    kind: CustomerKind,
    display_name: String,
    phone: Option<String>,
    email: Option<String>,
    address: AddressInput,
    tags: Vec<String>,
    source: CustomerSource,
    status: CustomerStatus,
    notes: Option<String>,
    individual: IndividualInput,
    organization: OrganizationInput,
    annual_income: Option<String>,
    registered_capital: Option<String>,
    credit_limit: Option<String>,
    custom: Map<String, Value>,
}

fn money(c: &mut Checker, field: &str, value: Option<Value>) -> Option<String> {
    let raw = match value? {
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => {
            c.fail(
                field,
                "invalid_decimal",
                "must be a decimal number such as \"1234.50\"",
            );
            return None;
        }
    };
    match parse_decimal(field, &raw) {
        Ok(d) if d.is_sign_negative() => {
            c.fail(field, "negative", "must not be negative");
            None
        }
        Ok(d) => Some(d.to_string()),
        Err(e) => {
            c.errors.push(e);
            None
        }
    }
}

fn validate(
    input: CustomerInput,
    defs: &[Definition],
    region: &str,
    previous_custom: Option<&Map<String, Value>>,
) -> AppResult<Valid> {
    let mut c = Checker::default();
    let today = Utc::now().date_naive();
    let kind = input.kind;
    if kind.is_none() {
        c.fail(
            "kind",
            "required",
            format!("is required: one of {}", CustomerKind::expected()),
        );
    }
    let kind = kind.unwrap_or(CustomerKind::Individual);
    let display_name = c
        .text("display_name", input.display_name, 200)
        .map(|n| normalize_name(&n));
    if display_name.is_none() {
        c.fail(
            "display_name",
            "required",
            "is required and must not be blank",
        );
    }
    let phone = c
        .text("phone", input.phone, 64)
        .and_then(|p| match normalize_phone(&p, region) {
            Ok(p) => Some(p),
            Err(msg) => {
                c.fail("phone", "invalid_phone", msg);
                None
            }
        });
    let email = c
        .text("email", input.email, 254)
        .and_then(|e| match normalize_email(&e) {
            Ok(e) => Some(e),
            Err(msg) => {
                c.fail("email", "invalid_email", msg);
                None
            }
        });
    let a = input.address.unwrap_or_default();
    let country = c.text("address.country", a.country, 64);
    // Chinese place names get their standard spelling (上海 / Shanghai → 上海市).
    let chinese = country
        .as_deref()
        .is_none_or(|k| ["cn", "chn", "china", "中国"].contains(&k.trim().to_lowercase().as_str()));
    let place = |v: Option<String>, f: fn(&str) -> String| {
        v.map(|v| if chinese { f(&v) } else { normalize_name(&v) })
    };
    let address = AddressInput {
        province: place(
            c.text("address.province", a.province, 100),
            normalize_province,
        ),
        city: place(c.text("address.city", a.city, 100), normalize_city),
        country,
        district: c.text("address.district", a.district, 100),
        street: c.text("address.street", a.street, 200),
        postcode: c.text("address.postcode", a.postcode, 20),
    };
    let raw_tags = input.tags.unwrap_or_default();
    if raw_tags.len() > MAX_TAGS {
        c.fail("tags", "too_many", format!("at most {MAX_TAGS} tags"));
    }
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in raw_tags.into_iter().enumerate() {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
            c.fail(
                &format!("tags[{i}]"),
                "invalid_tag",
                format!("must be 1-{MAX_TAG_LEN} characters"),
            );
        } else if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let notes = c.text("notes", input.notes, 10_000);

    let mut individual = IndividualInput::default();
    let mut organization = OrganizationInput::default();
    let (mut annual_income, mut registered_capital, mut credit_limit) = (None, None, None);
    match (kind, input.individual, input.organization) {
        (CustomerKind::Organization, Some(_), _) => c.fail(
            "individual",
            "not_applicable",
            "an organization has no individual profile",
        ),
        (CustomerKind::Individual, _, Some(_)) => c.fail(
            "organization",
            "not_applicable",
            "an individual has no organization profile",
        ),
        (CustomerKind::Individual, Some(p), None) => {
            if p.birthday.is_some_and(|b| b.0 > today) {
                c.fail(
                    "individual.birthday",
                    "in_future",
                    "must not be in the future",
                );
            }
            annual_income = money(&mut c, "individual.annual_income", p.annual_income.clone());
            let id_number = c
                .text("individual.id_number", p.id_number, 32)
                .map(|s| s.to_uppercase());
            if id_number.as_deref().is_some_and(|id| {
                id.len() < 4 || !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
            }) {
                c.fail(
                    "individual.id_number",
                    "invalid_id_number",
                    "must be 4-32 letters, digits or dashes",
                );
            }
            let hobbies = p.hobbies.map(|h| {
                if h.len() > 50 {
                    c.fail("individual.hobbies", "too_many", "at most 50 hobbies");
                }
                h.into_iter()
                    .enumerate()
                    .filter_map(|(i, s)| c.text(&format!("individual.hobbies[{i}]"), Some(s), 100))
                    .collect::<Vec<_>>()
            });
            if let Some(social) = &p.social {
                for (platform, handle) in social {
                    if !handle.is_string() || platform.chars().count() > 40 {
                        c.fail(
                            &format!("individual.social.{platform}"),
                            "invalid_type",
                            "must be a string handle",
                        );
                    } else if handle.as_str().is_some_and(|h| h.chars().count() > 200) {
                        c.fail(
                            &format!("individual.social.{platform}"),
                            "too_long",
                            "must be at most 200 characters",
                        );
                    }
                }
            }
            individual = IndividualInput {
                family_name: c
                    .text("individual.family_name", p.family_name, 100)
                    .map(|n| normalize_name(&n)),
                given_name: c
                    .text("individual.given_name", p.given_name, 100)
                    .map(|n| normalize_name(&n)),
                gender: p.gender,
                birthday: p.birthday,
                occupation: c.text("individual.occupation", p.occupation, 100),
                employer: c.text("individual.employer", p.employer, 200),
                job_title: c.text("individual.job_title", p.job_title, 100),
                annual_income: None,
                education: c.text("individual.education", p.education, 100),
                marital_status: p.marital_status,
                family_notes: c.text("individual.family_notes", p.family_notes, 10_000),
                hobbies: hobbies.filter(|h| !h.is_empty()),
                social: p.social.filter(|s| !s.is_empty()),
                id_number,
                health: c.text("individual.health", p.health, 10_000),
                religion: c.text("individual.religion", p.religion, 100),
                political_affiliation: c.text(
                    "individual.political_affiliation",
                    p.political_affiliation,
                    100,
                ),
                precise_location: c.text("individual.precise_location", p.precise_location, 200),
            };
        }
        (CustomerKind::Organization, None, Some(o)) => {
            let credit_code = c
                .text("organization.credit_code", o.credit_code, 18)
                .map(|s| s.to_uppercase());
            if credit_code
                .as_deref()
                .is_some_and(|code| !is_valid_credit_code(code))
            {
                c.fail(
                    "organization.credit_code",
                    "invalid_credit_code",
                    "must be an 18-character unified social credit code with a valid check character",
                );
            }
            if o.employee_count.is_some_and(|n| n < 0) {
                c.fail(
                    "organization.employee_count",
                    "negative",
                    "must not be negative",
                );
            }
            if o.founded_on.is_some_and(|d| d.0 > today) {
                c.fail(
                    "organization.founded_on",
                    "in_future",
                    "must not be in the future",
                );
            }
            let website = c.text("organization.website", o.website, 500);
            if website.as_deref().is_some_and(|w| !is_valid_website(w)) {
                c.fail(
                    "organization.website",
                    "invalid_url",
                    "must be an http:// or https:// URL",
                );
            }
            if o.payment_terms_days
                .is_some_and(|d| !(0..=3650).contains(&d))
            {
                c.fail(
                    "organization.payment_terms_days",
                    "out_of_range",
                    "must be between 0 and 3650",
                );
            }
            registered_capital = money(
                &mut c,
                "organization.registered_capital",
                o.registered_capital.clone(),
            );
            credit_limit = money(&mut c, "organization.credit_limit", o.credit_limit.clone());
            organization = OrganizationInput {
                legal_name: c
                    .text("organization.legal_name", o.legal_name, 200)
                    .map(|n| normalize_name(&n)),
                credit_code,
                industry: c.text("organization.industry", o.industry, 100),
                employee_count: o.employee_count,
                registered_capital: None,
                founded_on: o.founded_on,
                website,
                business_scope: c.text("organization.business_scope", o.business_scope, 10_000),
                credit_rating: c.text("organization.credit_rating", o.credit_rating, 16),
                credit_limit: None,
                payment_terms_days: o.payment_terms_days,
            };
        }
        (_, None, None) => {}
    }
    let custom = custom_fields::check_values(
        &mut c,
        defs,
        kind,
        input.custom.unwrap_or_default(),
        previous_custom,
    );
    let valid = Valid {
        kind,
        display_name: display_name.unwrap_or_default(),
        phone,
        email,
        address,
        tags,
        source: input.source.unwrap_or(CustomerSource::DEFAULT),
        status: input.status.unwrap_or(CustomerStatus::DEFAULT),
        notes,
        individual,
        organization,
        annual_income,
        registered_capital,
        credit_limit,
        custom,
    };
    c.finish(valid)
}

/// Write checked values onto an active model.
fn apply(v: Valid, m: &mut customer::ActiveModel) {
    let i = v.individual;
    let o = v.organization;
    m.kind = Set(v.kind.as_str().to_owned());
    m.search_name = Set(v.display_name.to_lowercase());
    m.display_name = Set(v.display_name);
    m.phone = Set(v.phone);
    m.email = Set(v.email);
    m.addr_country = Set(v.address.country);
    m.addr_province = Set(v.address.province);
    m.addr_city = Set(v.address.city);
    m.addr_district = Set(v.address.district);
    m.addr_street = Set(v.address.street);
    m.addr_postcode = Set(v.address.postcode);
    m.tags = Set(Value::from(v.tags));
    m.source = Set(v.source.as_str().to_owned());
    m.status = Set(v.status.as_str().to_owned());
    m.notes = Set(v.notes);
    m.family_name = Set(i.family_name);
    m.given_name = Set(i.given_name);
    m.gender = Set(i.gender.map(|g| g.as_str().to_owned()));
    m.birthday = Set(i.birthday.map(Into::into));
    m.occupation = Set(i.occupation);
    m.employer = Set(i.employer);
    m.job_title = Set(i.job_title);
    m.annual_income = Set(v.annual_income);
    m.education = Set(i.education);
    m.marital_status = Set(i.marital_status.map(|s| s.as_str().to_owned()));
    m.family_notes = Set(i.family_notes);
    m.hobbies = Set(i.hobbies.map(Value::from));
    m.social = Set(i.social.map(Value::Object));
    m.id_number = Set(i.id_number);
    m.health = Set(i.health);
    m.religion = Set(i.religion);
    m.political_affiliation = Set(i.political_affiliation);
    m.precise_location = Set(i.precise_location);
    m.legal_name = Set(o.legal_name);
    m.credit_code = Set(o.credit_code);
    m.industry = Set(o.industry);
    m.employee_count = Set(o.employee_count);
    m.registered_capital = Set(v.registered_capital);
    m.founded_on = Set(o.founded_on.map(Into::into));
    m.website = Set(o.website);
    m.business_scope = Set(o.business_scope);
    m.credit_rating = Set(o.credit_rating);
    m.credit_limit = Set(v.credit_limit);
    m.payment_terms_days = Set(o.payment_terms_days.and_then(|d| i32::try_from(d).ok()));
    m.custom = Set(Value::Object(v.custom));
}

/// The stored customer as the document a merge patch applies to. Custom values of deleted
/// definitions are left out, so they vanish on this write.
///
/// # Errors
/// `Internal` for a stored kind, source, status, gender or marital status this version does
/// not know: left out of the document, it would be rewritten as the default (or cleared) by
/// a write that never meant to touch it.
fn to_document(m: &customer::Model, defs: &[Definition]) -> AppResult<Value> {
    let kind = stored(CustomerKind::parse(&m.kind), "customers", "kind", m.id)?;
    let gender = m
        .gender
        .as_deref()
        .map(|g| stored(crate::domain::Gender::parse(g), "customers", "gender", m.id))
        .transpose()?;
    let marital_status = m
        .marital_status
        .as_deref()
        .map(|s| {
            stored(
                crate::domain::MaritalStatus::parse(s),
                "customers",
                "marital_status",
                m.id,
            )
        })
        .transpose()?;
    let strings = |v: &Option<Value>| {
        v.as_ref().and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
    };
    let address = AddressInput {
        country: m.addr_country.clone(),
        province: m.addr_province.clone(),
        city: m.addr_city.clone(),
        district: m.addr_district.clone(),
        street: m.addr_street.clone(),
        postcode: m.addr_postcode.clone(),
    };
    let has_address =
        serde_json::to_value(&address).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()));
    let individual = (kind == CustomerKind::Individual).then(|| IndividualInput {
        family_name: m.family_name.clone(),
        given_name: m.given_name.clone(),
        gender,
        birthday: m.birthday.map(Into::into),
        occupation: m.occupation.clone(),
        employer: m.employer.clone(),
        job_title: m.job_title.clone(),
        annual_income: m.annual_income.clone().map(Value::String),
        education: m.education.clone(),
        marital_status,
        family_notes: m.family_notes.clone(),
        hobbies: strings(&m.hobbies),
        social: m.social.as_ref().and_then(|s| s.as_object().cloned()),
        id_number: m.id_number.clone(),
        health: m.health.clone(),
        religion: m.religion.clone(),
        political_affiliation: m.political_affiliation.clone(),
        precise_location: m.precise_location.clone(),
    });
    let organization = (kind == CustomerKind::Organization).then(|| OrganizationInput {
        legal_name: m.legal_name.clone(),
        credit_code: m.credit_code.clone(),
        industry: m.industry.clone(),
        employee_count: m.employee_count,
        registered_capital: m.registered_capital.clone().map(Value::String),
        founded_on: m.founded_on.map(Into::into),
        website: m.website.clone(),
        business_scope: m.business_scope.clone(),
        credit_rating: m.credit_rating.clone(),
        credit_limit: m.credit_limit.clone().map(Value::String),
        payment_terms_days: m.payment_terms_days.map(i64::from),
    });
    let custom: Map<String, Value> = m
        .custom
        .as_object()
        .map(|values| {
            values
                .iter()
                .filter(|(k, _)| defs.iter().any(|d| &d.key == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let doc = CustomerInput {
        kind: Some(kind),
        display_name: Some(m.display_name.clone()),
        phone: m.phone.clone(),
        email: m.email.clone(),
        address: has_address.then_some(address),
        tags: strings(&Some(m.tags.clone())),
        source: Some(stored(
            CustomerSource::parse(&m.source),
            "customers",
            "source",
            m.id,
        )?),
        status: Some(stored(
            CustomerStatus::parse(&m.status),
            "customers",
            "status",
            m.id,
        )?),
        notes: m.notes.clone(),
        individual,
        organization,
        custom: Some(custom),
        owner_id: None,
    };
    Ok(serde_json::to_value(doc).unwrap_or(Value::Null))
}

/// A new customer from a document in the shape of [`CustomerInput`], checked like a create
/// (without the owner, which the caller decides), ready to insert with its tags.
///
/// # Errors
/// `Validation` naming every bad field.
pub(crate) fn prepare_new(
    doc: Value,
    defs: &[Definition],
    region: &str,
    owner: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<(customer::ActiveModel, Vec<String>)> {
    reject_read_only(&doc, READ_ONLY)?;
    let input: CustomerInput = parse_document(doc)?;
    let valid = validate(input, defs, region, None)?;
    let tags = valid.tags.clone();
    let mut active = customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(owner),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        merged_into: Set(None),
        ..Default::default()
    };
    apply(valid, &mut active);
    Ok((active, tags))
}

/// A stored customer with a merge patch applied and checked like an update; `None` when the
/// patch changes nothing. The version and time are not bumped here.
///
/// # Errors
/// `Validation` naming every bad field.
pub(crate) fn prepare_update(
    current: &customer::Model,
    patch: &Value,
    defs: &[Definition],
    region: &str,
) -> AppResult<Option<(customer::ActiveModel, customer::Model, Vec<String>)>> {
    reject_read_only(patch, READ_ONLY)?;
    let mut doc = to_document(current, defs)?;
    json_patch::merge(&mut doc, patch);
    let input: CustomerInput = parse_document(doc)?;
    let valid = validate(input, defs, region, current.custom.as_object())?;
    let tags = valid.tags.clone();
    let mut active = current.clone().into_active_model();
    apply(valid, &mut active);
    let next = sea_orm::TryIntoModel::try_into_model(active.clone())?;
    Ok((next != *current).then_some((active, next, tags)))
}

/// The audit record of a change to a customer by a bulk import.
///
/// # Errors
/// As [`to_document`].
pub(crate) fn audit_change(
    before: &customer::Model,
    after: &customer::Model,
    defs: &[Definition],
) -> AppResult<Value> {
    Ok(audit::diff(
        &audited_document(before, defs)?,
        &audited_document(after, defs)?,
        &custom_fields::classes(defs),
    ))
}

/// The document the audit diff compares: what a caller writes, plus the owner.
fn audited_document(m: &customer::Model, defs: &[Definition]) -> AppResult<Value> {
    let mut doc = to_document(m, defs)?;
    doc["owner_id"] = json!(m.owner_id);
    Ok(doc)
}

pub(crate) async fn replace_tags(
    conn: &impl ConnectionTrait,
    id: Uuid,
    tags: &[String],
) -> AppResult<()> {
    customer_tag::Entity::delete_many()
        .filter(customer_tag::Column::CustomerId.eq(id))
        .exec(conn)
        .await?;
    if !tags.is_empty() {
        let rows = tags.iter().map(|t| customer_tag::ActiveModel {
            customer_id: Set(id),
            tag: Set(t.clone()),
        });
        customer_tag::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// What a write says about the owner: nothing, unassign, or assign to a user.
enum OwnerChange {
    Keep,
    Set(Option<Uuid>),
}

/// Take `owner_id` out of a document: only admins and managers may set it, and only to an
/// active user.
async fn take_owner(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    doc: &mut Value,
) -> AppResult<OwnerChange> {
    let Some(raw) = doc.as_object_mut().and_then(|o| o.remove("owner_id")) else {
        return Ok(OwnerChange::Keep);
    };
    authorize(principal, Action::AssignOwners)?;
    let owner = match raw {
        Value::Null => return Ok(OwnerChange::Set(None)),
        Value::String(s) => Uuid::parse_str(&s)
            .map_err(|_| AppError::invalid("owner_id", "invalid_uuid", "must be a user id"))?,
        _ => {
            return Err(AppError::invalid(
                "owner_id",
                "invalid_uuid",
                "must be a user id or null",
            ));
        }
    };
    let active = entity::user::Entity::find_by_id(owner)
        .one(conn)
        .await?
        .is_some_and(|u| u.active);
    if !active {
        return Err(AppError::invalid(
            "owner_id",
            "unknown_user",
            "must be the id of an active user",
        ));
    }
    Ok(OwnerChange::Set(Some(owner)))
}

/// Count `rows` customers towards `principal`'s harvest limit, when the policy says what it
/// receives counts (`policy::limits::counts_harvest`); nothing, and no statement, otherwise.
///
/// # Errors
/// `HarvestLimit` (nothing counted) when the page would pass the limit; database failures.
pub(crate) async fn harvest(state: &AppState, principal: &Principal, rows: usize) -> AppResult<()> {
    if rows == 0 || !crate::policy::limits::counts_harvest(principal) {
        return Ok(());
    }
    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
    crate::service::limits::take_n(
        &state.db,
        &state.settings.limits,
        crate::policy::limits::Limit::Harvest,
        principal.subject(),
        rows,
    )
    .await
    .map(drop)
    .map_err(|e| match e {
        AppError::TooManyRequests { retry_after } => AppError::HarvestLimit { retry_after },
        e => e,
    })
}

pub(crate) async fn render(
    conn: &impl ConnectionTrait,
    caches: &Caches,
    principal: &Principal,
    models: &[customer::Model],
) -> AppResult<Vec<CustomerView>> {
    let classes = custom_fields::render_classes(conn, caches).await?;
    models
        .iter()
        .map(|m| render_customer(m, &classes, principal))
        .collect()
}

/// Render customers for a read, and audit a `customer.sensitive_read` for each one whose
/// sensitive fields the caller sees in full (`policy::sensitive_shown`), whatever its role.
pub(crate) async fn render_read(
    conn: &impl ConnectionTrait,
    caches: &Caches,
    principal: &Principal,
    models: &[customer::Model],
) -> AppResult<Vec<CustomerView>> {
    let classes = custom_fields::render_classes(conn, caches).await?;
    let views = models
        .iter()
        .map(|m| render_customer(m, &classes, principal))
        .collect::<AppResult<Vec<_>>>()?;
    let mut events = Vec::new();
    for view in &views {
        let fields = crate::policy::sensitive_shown(view, &classes, principal)?;
        if !fields.is_empty() {
            events.push(Event::customer(
                "customer.sensitive_read",
                view.id,
                json!({ "fields": fields }),
            ));
        }
    }
    audit::record_many(conn, principal, events).await?;
    Ok(views)
}

async fn render_one(
    conn: &impl ConnectionTrait,
    caches: &Caches,
    principal: &Principal,
    model: &customer::Model,
) -> AppResult<CustomerView> {
    let mut views = render(conn, caches, principal, std::slice::from_ref(model)).await?;
    views.pop().ok_or(AppError::NotFound { entity: "customer" })
}

/// Create a customer from a document in the shape of [`CustomerInput`].
///
/// # Errors
/// `Validation` naming every bad field.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    doc: Value,
) -> AppResult<CustomerView> {
    Ok(create_checked(&state.db, state, principal, doc, false)
        .await?
        .0)
}

/// Create a customer and find the existing ones it may duplicate; with `strict`, refuse it
/// when there are any (nothing is written). Written and read back through `db`.
///
/// # Errors
/// As [`create`]; `DuplicateSuspected` (409) in strict mode.
pub async fn create_checked(
    db: &impl crate::service::Db,
    state: &AppState,
    principal: &Principal,
    doc: Value,
    strict: bool,
) -> AppResult<(
    CustomerView,
    Vec<crate::service::customers::duplicates::Candidate>,
)> {
    authorize(principal, Action::WriteCustomers)?;
    let mut doc = doc;
    reject_read_only(&doc, READ_ONLY)?;
    let txn = crate::service::begin_write(db).await?;
    let owner = match take_owner(&txn, principal, &mut doc).await? {
        OwnerChange::Set(owner) => owner,
        // A sales user's new customer is theirs; others start unassigned.
        OwnerChange::Keep => crate::policy::rows(principal).owner(),
    };
    let input: CustomerInput = parse_document(doc)?;
    let defs = custom_fields::definitions(&txn).await?;
    let valid = validate(input, &defs, &state.settings.default_region, None)?;
    let tags = valid.tags.clone();
    let id = Uuid::now_v7();
    let now = now();
    let mut active = customer::ActiveModel {
        id: Set(id),
        owner_id: Set(owner),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    apply(valid, &mut active);
    let model = active.insert(&txn).await?;
    let duplicates =
        crate::service::customers::duplicates::candidates(&txn, principal, &model).await?;
    if strict && !duplicates.is_empty() {
        return Err(AppError::DuplicateSuspected {
            candidates: duplicates.iter().map(|d| d.customer_id).collect(),
        });
    }
    replace_tags(&txn, id, &tags).await?;
    let changes = audit::diff(
        &json!({}),
        &audited_document(&model, &defs)?,
        &custom_fields::classes(&defs),
    );
    audit::record(
        &txn,
        principal,
        Event::customer("customer.created", id, changes),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(customer.id = %id, actor = principal.label, "customer created");
    Ok((
        render_one(db, &state.caches, principal, &model).await?,
        duplicates,
    ))
}

/// One customer.
///
/// # Errors
/// `NotFound`.
pub async fn get(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    include_deleted: bool,
) -> AppResult<CustomerView> {
    authorize(principal, Action::ReadCustomers)?;
    let model = find(&state.db, principal, id, include_deleted).await?;
    harvest(state, principal, 1).await?;
    let mut views = render_read(
        &state.db,
        &state.caches,
        principal,
        std::slice::from_ref(&model),
    )
    .await?;
    views.pop().ok_or(AppError::NotFound { entity: "customer" })
}

/// What a list brings along for each customer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    /// Its scores, as `GET /customers/{id}/scores` with the defaults.
    pub scores: bool,
    /// Its purchase aggregates.
    pub stats: bool,
}

/// A page of customers (as [`list`]) with what `include` asks for, each through the policy;
/// a fixed number of statements whatever the page's size.
///
/// # Errors
/// As [`list`].
pub async fn list_including(
    state: &AppState,
    principal: &Principal,
    query: CustomerQuery,
    include: Include,
) -> AppResult<Page<CustomerView>> {
    let mut page = list(state, principal, query).await?;
    if include.scores {
        page.items =
            crate::service::analytics::scoring::with_scores(state, principal, page.items).await?;
    }
    if include.stats {
        let ids = page.items.iter().map(|c| c.id).collect();
        let mut stats = crate::service::behaviour::orders::stats_of(state, principal, ids).await?;
        for item in &mut page.items {
            item.stats = stats.remove(&item.id).map(Box::new);
        }
    }
    Ok(page)
}

/// Apply a JSON merge patch (RFC 7396) to a customer, checking the result like a create.
///
/// # Errors
/// `NotFound`; `PreconditionFailed` when `expected_version` is stale; `Validation`.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    patch: Value,
) -> AppResult<CustomerView> {
    authorize(principal, Action::WriteCustomers)?;
    let mut patch = patch;
    reject_read_only(&patch, READ_ONLY)?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find(&txn, principal, id, false).await?;
    let owner_change = take_owner(&txn, principal, &mut patch).await?;
    let base = versioned::base(expected_version, current.version)?;
    let defs = custom_fields::definitions(&txn).await?;
    let mut doc = to_document(&current, &defs)?;
    json_patch::merge(&mut doc, &patch);
    let input: CustomerInput = parse_document(doc)?;
    let valid = validate(
        input,
        &defs,
        &state.settings.default_region,
        current.custom.as_object(),
    )?;
    let tags = valid.tags.clone();
    let mut active = current.clone().into_active_model();
    apply(valid, &mut active);
    if let OwnerChange::Set(owner) = owner_change {
        active.owner_id = Set(owner);
    }
    active.updated_at = Set(now());
    let model = versioned::update_model(&txn, id, base, active).await?;
    replace_tags(&txn, id, &tags).await?;
    let changes = audit::diff(
        &audited_document(&current, &defs)?,
        &audited_document(&model, &defs)?,
        &custom_fields::classes(&defs),
    );
    audit::record(
        &txn,
        principal,
        Event::customer("customer.updated", id, changes),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(customer.id = %id, actor = principal.label, "customer updated");
    render_one(&state.db, &state.caches, principal, &model).await
}

/// Set or clear `deleted_at`, bumping the version, if the version is still `base`.
async fn set_deleted(
    conn: &impl ConnectionTrait,
    id: Uuid,
    base: i64,
    deleted_at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let changes = customer::Entity::update_many()
        .col_expr(customer::Column::DeletedAt, Expr::value(deleted_at))
        .col_expr(customer::Column::UpdatedAt, Expr::value(now()));
    versioned::update(conn, id, base, changes).await?;
    Ok(())
}

/// Soft-delete a customer; it can be restored.
///
/// # Errors
/// `NotFound` (also when already deleted); `PreconditionFailed` when the version is stale.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
) -> AppResult<()> {
    authorize(principal, Action::WriteCustomers)?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find(&txn, principal, id, false).await?;
    let base = versioned::base(expected_version, current.version)?;
    set_deleted(&txn, id, base, Some(now())).await?;
    audit::record(
        &txn,
        principal,
        Event::customer("customer.deleted", id, json!({})),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(customer.id = %id, actor = principal.label, "customer deleted");
    Ok(())
}

/// Bring back a soft-deleted customer.
///
/// # Errors
/// `NotFound`; `Conflict` when the customer is not deleted.
pub async fn restore(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<CustomerView> {
    authorize(principal, Action::WriteCustomers)?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find(&txn, principal, id, true).await?;
    if current.deleted_at.is_none() {
        return Err(AppError::Conflict("the customer is not deleted".to_owned()));
    }
    if let Some(survivor) = current.merged_into {
        return Err(AppError::Conflict(format!(
            "the customer was merged into {survivor}; its records live there now"
        )));
    }
    set_deleted(&txn, id, current.version, None).await?;
    audit::record(
        &txn,
        principal,
        Event::customer("customer.restored", id, json!({})),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(customer.id = %id, actor = principal.label, "customer restored");
    let model = find(&state.db, principal, id, false).await?;
    render_one(&state.db, &state.caches, principal, &model).await
}

fn filtered(principal: &Principal, filter: &CustomerFilter) -> sea_orm::Select<customer::Entity> {
    use customer::Column as C;
    let mut q = crate::service::rows::customers(principal);
    q = if filter.deleted {
        q.filter(C::DeletedAt.is_not_null())
    } else {
        q.filter(C::DeletedAt.is_null())
    };
    if let Some(kind) = filter.kind {
        q = q.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some(source) = filter.source {
        q = q.filter(C::Source.eq(source.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(C::Status.eq(status.as_str()));
    }
    if let Some(owner) = filter.owner_id {
        q = q.filter(C::OwnerId.eq(owner));
    }
    // The standard spelling (上海 → 上海市) and, for rows written before standardisation,
    // the spelling as given.
    if let Some(city) = filter.city.as_deref().map(str::trim) {
        q = q.filter(C::AddrCity.is_in([normalize_city(city), city.to_owned()]));
    }
    if let Some(province) = filter.province.as_deref().map(str::trim) {
        q = q.filter(C::AddrProvince.is_in([normalize_province(province), province.to_owned()]));
    }
    if let Some(after) = filter.created_after {
        q = q.filter(C::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        q = q.filter(C::CreatedAt.lt(before));
    }
    if let Some(tag) = &filter.tag {
        q = q.filter(
            C::Id.in_subquery(
                Query::select()
                    .column(customer_tag::Column::CustomerId)
                    .from(customer_tag::Entity)
                    .and_where(customer_tag::Column::Tag.eq(tag.trim().to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if let Some(q_text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let needle = format!("%{}%", escape_like(&q_text.to_lowercase()));
        let mut any = Condition::any()
            .add(Expr::col(C::SearchName).like(LikeExpr::new(needle.clone()).escape('\\')))
            .add(Expr::col(C::Email).like(LikeExpr::new(needle).escape('\\')));
        let digits: String = q_text.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            any = any
                .add(Expr::col(C::Phone).like(LikeExpr::new(format!("%{digits}%")).escape('\\')));
        }
        q = q.filter(any);
    }
    q
}

/// A caller may not filter or search by a field it cannot read in full: the result counts
/// would reveal the values bit by bit. `q` matches the phone and e-mail (contact).
fn check_filter_clearance(principal: &Principal, filter: &CustomerFilter) -> AppResult<()> {
    let searches = filter.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    if searches && principal.clearance(Sensitivity::Contact) != Clearance::Full {
        return Err(AppError::Forbidden(
            "`q` searches phone and e-mail, which this role cannot read in full; filter by name-independent fields instead"
                .to_owned(),
        ));
    }
    Ok(())
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A page of customers in the requested order, starting after the cursor (or ending before
/// it, read backwards); counted towards the caller's harvest limit.
///
/// # Errors
/// `BadRequest` for a cursor this API did not make or a limit out of range; `HarvestLimit`.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    query: CustomerQuery,
) -> AppResult<Page<CustomerView>> {
    page(state, principal, query, true).await
}

/// As [`list`], for an export: its pages are not counted towards the harvest limit (an
/// export has a limit of its own, and a stream cut off half-way helps no one).
///
/// # Errors
/// As [`list`].
pub(crate) async fn export_page(
    state: &AppState,
    principal: &Principal,
    query: CustomerQuery,
) -> AppResult<Page<CustomerView>> {
    page(state, principal, query, false).await
}

async fn page(
    state: &AppState,
    principal: &Principal,
    query: CustomerQuery,
    counted: bool,
) -> AppResult<Page<CustomerView>> {
    use customer::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    check_filter_clearance(principal, &query.filter)?;
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(AppError::bad_param(
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let column = match query.sort {
        CustomerSortField::CreatedAt => C::CreatedAt,
        CustomerSortField::UpdatedAt => C::UpdatedAt,
        CustomerSortField::DisplayName => C::SearchName,
    };
    let sort_value = |m: &customer::Model| match query.sort {
        CustomerSortField::CreatedAt => json!(m.created_at),
        CustomerSortField::UpdatedAt => json!(m.updated_at),
        CustomerSortField::DisplayName => json!(m.search_name),
    };
    // The order of the scan: the requested one forwards, its reverse backwards.
    let asc = (query.direction == SortDirection::Asc) != query.backward;
    let mut select = filtered(principal, &query.filter);
    if let Some(cursor) = &query.cursor {
        let (value, id) = pagination::decode(query.cursor_param, cursor)?;
        let bad = || {
            AppError::bad_param(
                query.cursor_param,
                "invalid_cursor",
                "does not match the requested sort",
            )
        };
        let key: sea_orm::Value = match query.sort {
            CustomerSortField::DisplayName => value.as_str().ok_or_else(bad)?.to_owned().into(),
            _ => serde_json::from_value::<DateTime<Utc>>(value)
                .map_err(|_| bad())?
                .into(),
        };
        select = select.filter(pagination::past(column, key, C::Id, id, asc));
    }
    let order = if asc { Order::Asc } else { Order::Desc };
    let mut models = select
        .order_by(column, order.clone())
        .order_by(C::Id, order)
        .limit(query.limit + 1)
        .all(&state.db)
        .await?;
    let more = pagination::trim(&mut models, query.limit, query.backward);
    if counted {
        harvest(state, principal, models.len()).await?;
    }
    let cursors: Vec<String> = models
        .iter()
        .map(|m| pagination::encode(&sort_value(m), m.id))
        .collect();
    let items = render_read(&state.db, &state.caches, principal, &models).await?;
    Ok(Page::read(
        items,
        cursors,
        query.backward,
        query.cursor.is_some(),
        more,
    ))
}

/// The customers among `ids` the caller may see (live ones; a sales user's own), rendered
/// through the policy, by id: what lets a page of orders or alerts bring its customers in
/// one statement. An id outside the caller's rows is simply absent.
///
/// # Errors
/// `Forbidden` without `customers:read`; database failures.
pub async fn get_many(
    state: &AppState,
    principal: &Principal,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, CustomerView>> {
    authorize(principal, Action::ReadCustomers)?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let models = filtered(principal, &CustomerFilter::default())
        .filter(customer::Column::Id.is_in(ids))
        .all(&state.db)
        .await?;
    harvest(state, principal, models.len()).await?;
    let views = render_read(&state.db, &state.caches, principal, &models).await?;
    Ok(views.into_iter().map(|v| (v.id, v)).collect())
}

/// How many customers match a filter.
///
/// # Errors
/// Database failures.
pub async fn count(
    state: &AppState,
    principal: &Principal,
    filter: &CustomerFilter,
) -> AppResult<u64> {
    authorize(principal, Action::ReadCustomers)?;
    check_filter_clearance(principal, filter)?;
    Ok(filtered(principal, filter).count(&state.db).await?)
}

/// Show masked fields of a customer in clear, for a stated reason, audited. Allowed to a
/// role for the classes it may reveal (`policy::may_reveal`).
///
/// # Errors
/// `NotFound` (also outside the caller's rows); `Validation` for an unknown field or a
/// missing reason; `Forbidden` naming a field the caller may not reveal.
pub async fn reveal(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    request: Submitted<crate::types::customer::RevealRequest>,
) -> AppResult<crate::types::customer::RevealView> {
    authorize(principal, Action::ReadCustomers)?;
    let crate::types::customer::RevealRequest { fields, reason } = request.accept()?;
    let reason = reason.trim().to_owned();
    if !(5..=500).contains(&reason.chars().count()) {
        return Err(AppError::invalid(
            "reason",
            "invalid_length",
            "say why, in 5-500 characters",
        ));
    }
    if fields.is_empty() || fields.len() > 50 {
        return Err(AppError::invalid(
            "fields",
            "invalid_length",
            "name 1-50 fields",
        ));
    }
    let txn = crate::service::begin_write(&state.db).await?;
    let model = find(&txn, principal, id, false).await?;
    let defs = custom_fields::definitions(&txn).await?;
    let classes = custom_fields::classes(&defs);
    let clear = serde_json::to_value(render_customer(&model, &classes, &Principal::operator())?)
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut values = Map::new();
    for (i, field) in fields.iter().enumerate() {
        let class = match field.strip_prefix("custom.") {
            Some(key) => classes.get(key).copied(),
            None => crate::policy::CATALOGUE
                .iter()
                .find(|(p, _)| p == field)
                .map(|(_, c)| *c),
        };
        let Some(class) = class else {
            return Err(AppError::invalid(
                &format!("fields[{i}]"),
                "unknown_field",
                format!("`{field}` is not a customer field"),
            ));
        };
        let allowed = principal.clearance(class) == Clearance::Full
            || crate::policy::may_reveal(principal, class);
        if !allowed {
            return Err(AppError::Forbidden(format!(
                "this role may not reveal `{field}`"
            )));
        }
        let value = field
            .split('.')
            .try_fold(&clear, |v, part| v.get(part))
            .cloned()
            .unwrap_or(Value::Null);
        values.insert(field.clone(), value);
    }
    let details = json!({"fields": fields});
    let event = Event {
        action: "customer.revealed",
        customer_id: Some(id),
        reason: Some(reason),
        details,
    };
    audit::record(&txn, principal, event).await?;
    txn.commit().await?;
    Ok(crate::types::customer::RevealView {
        customer_id: id,
        values: async_graphql::Json(values),
    })
}
