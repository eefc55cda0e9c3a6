//! Segments: saved, named filters over profile fields, tags and scores, with paginated
//! members, counts and a CSV export rendered through the policy.
//!
//! Score conditions read the score snapshot (`customer_scores`), refreshed by the fit job
//! and on demand; members are shown with their current scores. A condition on a field the
//! caller may not read in full is refused (membership would reveal it), when the segment is
//! saved and whenever it is used.

use entity::{customer, customer_score, customer_tag, segment};
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{
    CustomerGrade, CustomerKind, CustomerSource, CustomerStatus, FilterOp, LifecycleStage,
    RfmSegment, Sensitivity, normalize_city, normalize_province,
};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, authorize};
use crate::policy::{Clearance, Principal};
use crate::service::input::{Checker, parse_document, reject_read_only};
use crate::service::{Page, analytics::scoring, pagination, records};
use crate::state::AppState;
use crate::types::customer::CustomerView;
use crate::types::segments::{SegmentCondition, SegmentInput, SegmentView};
use crate::types::time::Timestamp;

/// Most conditions in one segment.
const MAX_CONDITIONS: usize = 20;
/// Most values in one `in` list.
const MAX_VALUES: usize = 100;

/// Where a filter field lives.
#[derive(Debug, Clone, Copy)]
enum Target {
    Customer(customer::Column),
    Score(customer_score::Column),
    Tag,
}

/// What values a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Id,
    Number,
    /// One of the values `choices` lists for the field.
    Choice,
}

struct Spec {
    name: &'static str,
    target: Target,
    kind: Kind,
    class: Sensitivity,
}

const FIELDS: &[Spec] = &[
    spec(
        "kind",
        Target::Customer(customer::Column::Kind),
        Kind::Choice,
        Sensitivity::Public,
    ),
    spec(
        "status",
        Target::Customer(customer::Column::Status),
        Kind::Choice,
        Sensitivity::Public,
    ),
    spec(
        "source",
        Target::Customer(customer::Column::Source),
        Kind::Choice,
        Sensitivity::Public,
    ),
    spec(
        "city",
        Target::Customer(customer::Column::AddrCity),
        Kind::Text,
        Sensitivity::Public,
    ),
    spec(
        "province",
        Target::Customer(customer::Column::AddrProvince),
        Kind::Text,
        Sensitivity::Public,
    ),
    spec(
        "owner_id",
        Target::Customer(customer::Column::OwnerId),
        Kind::Id,
        Sensitivity::Public,
    ),
    spec("tag", Target::Tag, Kind::Text, Sensitivity::Public),
    spec(
        "churn_risk",
        Target::Score(customer_score::Column::ChurnRisk),
        Kind::Number,
        Sensitivity::Public,
    ),
    spec(
        "p_alive",
        Target::Score(customer_score::Column::PAlive),
        Kind::Number,
        Sensitivity::Public,
    ),
    spec(
        "loyalty",
        Target::Score(customer_score::Column::Loyalty),
        Kind::Number,
        Sensitivity::Financial,
    ),
    spec(
        "frequency",
        Target::Score(customer_score::Column::Frequency),
        Kind::Number,
        Sensitivity::Public,
    ),
    spec(
        "recency_days",
        Target::Score(customer_score::Column::RecencyDays),
        Kind::Number,
        Sensitivity::Public,
    ),
    spec(
        "completeness",
        Target::Score(customer_score::Column::Completeness),
        Kind::Number,
        Sensitivity::Contact,
    ),
    spec(
        "lifecycle_stage",
        Target::Score(customer_score::Column::LifecycleStage),
        Kind::Choice,
        Sensitivity::Public,
    ),
    spec(
        "grade",
        Target::Score(customer_score::Column::Grade),
        Kind::Choice,
        Sensitivity::Financial,
    ),
    spec(
        "rfm_segment",
        Target::Score(customer_score::Column::RfmSegment),
        Kind::Choice,
        Sensitivity::Financial,
    ),
    spec(
        "lifetime_value",
        Target::Score(customer_score::Column::LifetimeValue),
        Kind::Number,
        Sensitivity::Financial,
    ),
    spec(
        "monetary",
        Target::Score(customer_score::Column::Monetary),
        Kind::Number,
        Sensitivity::Financial,
    ),
];

const fn spec(name: &'static str, target: Target, kind: Kind, class: Sensitivity) -> Spec {
    Spec {
        name,
        target,
        kind,
        class,
    }
}

/// The stored spellings a choice field accepts.
fn choices(field: &str) -> Vec<&'static str> {
    fn all<T: Copy>(values: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
        values.iter().map(|v| f(*v)).collect()
    }
    match field {
        "kind" => all(CustomerKind::ALL, CustomerKind::as_str),
        "status" => all(CustomerStatus::ALL, CustomerStatus::as_str),
        "source" => all(CustomerSource::ALL, CustomerSource::as_str),
        "lifecycle_stage" => all(LifecycleStage::ALL, LifecycleStage::as_str),
        "grade" => all(CustomerGrade::ALL, CustomerGrade::as_str),
        "rfm_segment" => all(RfmSegment::ALL, RfmSegment::as_str),
        _ => Vec::new(),
    }
}

/// A checked condition.
#[derive(Debug, Clone)]
pub struct Parsed {
    target: Target,
    op: FilterOp,
    values: Vec<sea_orm::Value>,
}

fn field_names() -> String {
    FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Check a filter: known fields, operators that suit them, well-typed values, and fields
/// the caller may read in full.
///
/// # Errors
/// `Validation` naming `filter[i].field|op|value`; `Forbidden` naming a field the caller
/// may not read.
pub fn parse_filter(principal: &Principal, filter: &[SegmentCondition]) -> AppResult<Vec<Parsed>> {
    let mut c = Checker::default();
    if filter.is_empty() {
        c.fail("filter", "required", "needs at least one condition");
    }
    if filter.len() > MAX_CONDITIONS {
        c.fail(
            "filter",
            "too_many",
            format!("at most {MAX_CONDITIONS} conditions"),
        );
    }
    let mut parsed = Vec::new();
    for (i, cond) in filter.iter().enumerate() {
        let path = |part: &str| format!("filter[{i}].{part}");
        let Some(spec) = FIELDS.iter().find(|f| f.name == cond.field.trim()) else {
            c.fail(
                &path("field"),
                "unknown_field",
                format!("must be one of: {}", field_names()),
            );
            continue;
        };
        if principal.clearance(spec.class) != Clearance::Full {
            return Err(AppError::Forbidden(format!(
                "`{}` (filter[{i}].field) is {} data this caller may not read; a segment on it would reveal it",
                spec.name,
                spec.class.as_str()
            )));
        }
        let numeric = spec.kind == Kind::Number;
        let op_ok = match cond.op {
            FilterOp::Eq | FilterOp::Ne => true,
            FilterOp::In | FilterOp::NotIn => !numeric,
            FilterOp::Gt | FilterOp::Gte | FilterOp::Lt | FilterOp::Lte => numeric,
        };
        if !op_ok {
            c.fail(
                &path("op"),
                "unsupported_op",
                if numeric {
                    format!("`{}` takes eq, ne, gt, gte, lt or lte", spec.name)
                } else {
                    format!("`{}` takes eq, ne, in or not_in", spec.name)
                },
            );
            continue;
        }
        let raw: Vec<&Value> = match (&cond.op, &cond.value.0) {
            (FilterOp::In | FilterOp::NotIn, Value::Array(items))
                if !items.is_empty() && items.len() <= MAX_VALUES =>
            {
                items.iter().collect()
            }
            (FilterOp::In | FilterOp::NotIn, _) => {
                c.fail(
                    &path("value"),
                    "invalid_value",
                    format!("`in` and `not_in` take a list of 1–{MAX_VALUES} values"),
                );
                continue;
            }
            (_, v) => vec![v],
        };
        let mut values = Vec::new();
        for v in raw {
            match value(spec, v) {
                Ok(mut vs) => values.append(&mut vs),
                Err(message) => c.fail(&path("value"), "invalid_value", message),
            }
        }
        parsed.push(Parsed {
            target: spec.target,
            op: cond.op,
            values,
        });
    }
    c.finish(parsed)
}

/// The stored values one given value matches.
fn value(spec: &Spec, v: &Value) -> Result<Vec<sea_orm::Value>, String> {
    match spec.kind {
        Kind::Number => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(|n| vec![n.into()])
            .ok_or_else(|| format!("`{}` takes a number", spec.name)),
        Kind::Id => v
            .as_str()
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
            .map(|id| vec![id.into()])
            .ok_or_else(|| format!("`{}` takes a user id (UUID)", spec.name)),
        Kind::Choice => {
            let allowed = choices(spec.name);
            let given = v.as_str().map(str::trim).unwrap_or_default();
            let found = if spec.name == "grade" {
                CustomerGrade::parse(given).map(CustomerGrade::as_str)
            } else {
                allowed.iter().copied().find(|a| *a == given)
            };
            found
                .map(|s| vec![s.to_owned().into()])
                .ok_or_else(|| format!("`{}` takes one of: {}", spec.name, allowed.join(", ")))
        }
        Kind::Text => {
            let Some(text) = v.as_str().map(str::trim).filter(|s| !s.is_empty()) else {
                return Err(format!("`{}` takes a non-empty string", spec.name));
            };
            Ok(match spec.name {
                "tag" => vec![text.to_lowercase().into()],
                // 上海, 上海市 and Shanghai name the same place; rows written before
                // standardisation may hold the spelling as given.
                "city" => same_place(normalize_city(text), text),
                "province" => same_place(normalize_province(text), text),
                _ => vec![text.to_owned().into()],
            })
        }
    }
}

fn same_place(standard: String, given: &str) -> Vec<sea_orm::Value> {
    if standard == given {
        vec![standard.into()]
    } else {
        vec![standard.into(), given.to_owned().into()]
    }
}

fn compare<C: ColumnTrait>(col: C, op: FilterOp, values: &[sea_orm::Value]) -> SimpleExpr {
    let first = values
        .first()
        .cloned()
        .unwrap_or(sea_orm::Value::Bool(None));
    match op {
        // Several stored spellings of one place: any of them.
        FilterOp::Eq if values.len() > 1 => col.is_in(values.iter().cloned()),
        FilterOp::Eq => col.eq(first),
        FilterOp::Ne if values.len() > 1 => col.is_not_in(values.iter().cloned()),
        FilterOp::Ne => col.ne(first),
        FilterOp::In => col.is_in(values.iter().cloned()),
        FilterOp::NotIn => col.is_not_in(values.iter().cloned()),
        FilterOp::Gt => col.gt(first),
        FilterOp::Gte => col.gte(first),
        FilterOp::Lt => col.lt(first),
        FilterOp::Lte => col.lte(first),
    }
}

/// The live customers the caller may see that satisfy every condition.
pub(crate) fn members_query(
    principal: &Principal,
    parsed: &[Parsed],
) -> sea_orm::Select<customer::Entity> {
    let mut q = crate::service::rows::live_customers(principal);
    let mut scores = Condition::all();
    let mut any_score = false;
    for p in parsed {
        match p.target {
            Target::Customer(col) => q = q.filter(compare(col, p.op, &p.values)),
            Target::Score(col) => {
                any_score = true;
                scores = scores.add(compare(col, p.op, &p.values));
            }
            Target::Tag => {
                let tagged = |values: &[sea_orm::Value]| {
                    Query::select()
                        .column(customer_tag::Column::CustomerId)
                        .from(customer_tag::Entity)
                        .and_where(customer_tag::Column::Tag.is_in(values.iter().cloned()))
                        .to_owned()
                };
                q = q.filter(match p.op {
                    FilterOp::Ne | FilterOp::NotIn => {
                        customer::Column::Id.not_in_subquery(tagged(&p.values))
                    }
                    _ => customer::Column::Id.in_subquery(tagged(&p.values)),
                });
            }
        }
    }
    if any_score {
        q = q.filter(
            customer::Column::Id.in_subquery(
                Query::select()
                    .column(customer_score::Column::CustomerId)
                    .from(customer_score::Entity)
                    .cond_where(scores)
                    .to_owned(),
            ),
        );
    }
    q
}

fn may_change(principal: &Principal, m: &segment::Model) -> bool {
    crate::policy::allows(principal, Action::ChangeAnySegment)
        || (principal.user_id.is_some() && principal.user_id == m.created_by)
}

pub(crate) fn conditions(m: &segment::Model) -> Vec<SegmentCondition> {
    serde_json::from_value(m.filter.clone()).unwrap_or_default()
}

async fn view(
    conn: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    m: segment::Model,
) -> AppResult<SegmentView> {
    let filter = conditions(&m);
    let parsed = parse_filter(principal, &filter)?;
    let members = members_query(principal, &parsed).count(conn).await?;
    let snapshot = scoring::snapshot(conn).await?;
    Ok(SegmentView {
        id: m.id,
        name: m.name,
        description: m.description,
        filter,
        created_by: m.created_by,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
        member_count: i64::try_from(members).unwrap_or(i64::MAX),
        snapshot_at: snapshot.computed_at,
    })
}

fn check(principal: &Principal, input: SegmentInput) -> AppResult<(String, Option<String>, Value)> {
    let mut c = Checker::default();
    let name = c.text("name", Some(input.name), 200);
    if name.is_none() {
        c.fail("name", "required", "must not be empty");
    }
    let description = c.text("description", input.description, 2000);
    let filter = match parse_filter(principal, &input.filter) {
        Ok(_) => json!(input.filter),
        Err(AppError::Validation(errors)) => {
            c.errors.extend(errors);
            Value::Null
        }
        Err(other) => return Err(other),
    };
    c.finish((name.unwrap_or_default(), description, filter))
}

async fn name_taken(
    conn: &impl sea_orm::ConnectionTrait,
    name: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let columns = (segment::Column::Name, segment::Column::Id);
    records::name_taken::<segment::Entity>(conn, columns, name, except, "a segment").await
}

/// Save a segment.
///
/// # Errors
/// `Validation` for a bad name or filter; `Forbidden`; `Conflict` for a name in use.
pub async fn create(state: &AppState, principal: &Principal, doc: Value) -> AppResult<SegmentView> {
    create_in(&state.db, principal, doc).await
}

/// As [`create`], written and read back through `db` (a caller's transaction).
pub async fn create_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    doc: Value,
) -> AppResult<SegmentView> {
    authorize(principal, Action::SaveSegments)?;
    reject_read_only(
        &doc,
        &["id", "version", "created_at", "updated_at", "member_count"],
    )?;
    let input: SegmentInput = parse_document(doc)?;
    let (name, description, filter) = check(principal, input)?;
    name_taken(db, &name, None).await?;
    let now = crate::clock::now();
    let model = segment::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        description: Set(description),
        filter: Set(filter),
        created_by: Set(principal.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    view(db, principal, model).await
}

pub(crate) async fn find(state: &AppState, id: Uuid) -> AppResult<segment::Model> {
    segment::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "segment" })
}

/// Replace a segment's name, description and filter.
///
/// # Errors
/// As `create`; `NotFound`; `Forbidden` for another user's segment (unless a manager);
/// `PreconditionFailed` for a stale version.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<SegmentView> {
    authorize(principal, Action::SaveSegments)?;
    let current = find(state, id).await?;
    if !may_change(principal, &current) {
        return Err(AppError::Forbidden(
            "only its author, a manager or an admin changes a segment".to_owned(),
        ));
    }
    reject_read_only(
        &doc,
        &["id", "version", "created_at", "updated_at", "member_count"],
    )?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    let input: SegmentInput = parse_document(doc)?;
    let (name, description, filter) = check(principal, input)?;
    name_taken(&state.db, &name, Some(id)).await?;
    let changes = segment::Entity::update_many()
        .col_expr(segment::Column::Name, name.into())
        .col_expr(segment::Column::Description, description.into())
        .col_expr(segment::Column::Filter, filter.into())
        .col_expr(segment::Column::UpdatedAt, crate::clock::now().into());
    let model = crate::service::versioned::update(&state.db, id, base, changes).await?;
    view(&state.db, principal, model).await
}

/// Delete a segment (its customers are untouched).
///
/// # Errors
/// `NotFound`; `Forbidden` for another user's segment (unless a manager);
/// `PreconditionFailed` for a stale version.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
) -> AppResult<()> {
    authorize(principal, Action::SaveSegments)?;
    let current = find(state, id).await?;
    if !may_change(principal, &current) {
        return Err(AppError::Forbidden(
            "only its author, a manager or an admin deletes a segment".to_owned(),
        ));
    }
    let base = crate::service::versioned::base(expected_version, current.version)?;
    crate::service::versioned::delete::<segment::Entity>(&state.db, id, base).await
}

/// One segment with its current size.
///
/// # Errors
/// `NotFound`; `Forbidden` when its filter uses a field the caller may not read.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<SegmentView> {
    authorize(principal, Action::ReadCustomers)?;
    let m = find(state, id).await?;
    view(&state.db, principal, m).await
}

/// Every segment whose filter the caller may use, by name.
///
/// # Errors
/// Database failures.
pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<SegmentView>> {
    authorize(principal, Action::ReadCustomers)?;
    let models = segment::Entity::find()
        .order_by_asc(segment::Column::Name)
        .all(&state.db)
        .await?;
    let mut out = Vec::new();
    for m in models {
        match view(&state.db, principal, m).await {
            Ok(v) => out.push(v),
            Err(AppError::Forbidden(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A page of a segment's members (by id), with their current scores.
///
/// # Errors
/// `NotFound`; `Forbidden`; a bad cursor or limit; `Busy` when the caller or the server
/// already runs as many expensive operations as allowed.
pub async fn members(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    window: &records::Window,
) -> AppResult<Page<CustomerView>> {
    authorize(principal, Action::ReadCustomers)?;
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::SegmentEvaluation)?;
    let m = find(state, id).await?;
    let parsed = parse_filter(principal, &conditions(&m))?;
    let page = page_of(state, principal, &parsed, window).await?;
    crate::service::customers::harvest(state, principal, page.items.len()).await?;
    Ok(page)
}

/// A page of the customers matching checked conditions, by id: after the cursor, or before
/// it when the window reads backwards.
///
/// # Errors
/// Database failures.
pub async fn page_of(
    state: &AppState,
    principal: &Principal,
    parsed: &[Parsed],
    window: &records::Window,
) -> AppResult<Page<CustomerView>> {
    let mut q = members_query(principal, parsed);
    if let Some(cursor) = &window.cursor {
        let (_, at) = pagination::decode(window.cursor_param, cursor)?;
        q = q.filter(if window.backward {
            customer::Column::Id.lt(at)
        } else {
            customer::Column::Id.gt(at)
        });
    }
    let order = if window.backward {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let mut models = q
        .order_by(customer::Column::Id, order)
        .limit(window.limit + 1)
        .all(&state.db)
        .await?;
    let more = pagination::trim(&mut models, window.limit, window.backward);
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let items =
        crate::service::customers::render_read(&state.db, &state.caches, principal, &models)
            .await?;
    let items = scoring::with_scores(state, principal, items).await?;
    let cursors: Vec<String> = ids
        .iter()
        .map(|id| pagination::encode(&json!("id"), *id))
        .collect();
    Ok(Page::read(
        items,
        cursors,
        window.backward,
        window.cursor.is_some(),
        more,
    ))
}

/// When the snapshot segment filters read was refreshed.
///
/// # Errors
/// Database failures.
pub async fn snapshot_at(state: &AppState) -> AppResult<Option<Timestamp>> {
    Ok(scoring::snapshot(&state.db).await?.computed_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A score a segment filters on has the class the catalogue gives it: counting a
    /// segment's members would otherwise reveal a value the caller cannot read.
    #[test]
    fn score_conditions_have_their_catalogue_class() {
        for (name, path) in [
            ("churn_risk", "scores.churn.risk"),
            ("p_alive", "scores.churn.p_alive"),
            ("loyalty", "scores.loyalty.score"),
            ("frequency", "scores.rfm.frequency"),
            ("recency_days", "scores.rfm.recency_days"),
            ("completeness", "scores.completeness"),
            ("lifecycle_stage", "scores.lifecycle_stage"),
            ("grade", "scores.grade"),
            ("rfm_segment", "scores.rfm.segment"),
            ("lifetime_value", "scores.lifetime_value.value"),
            ("monetary", "scores.rfm.monetary"),
        ] {
            let spec = FIELDS.iter().find(|f| f.name == name);
            assert_eq!(
                spec.map(|s| s.class),
                Some(crate::policy::class_of(path)),
                "{name}"
            );
        }
    }
}
