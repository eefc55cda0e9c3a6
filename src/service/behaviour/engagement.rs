//! Interactions, satisfaction surveys and complaints: what happened between the business
//! and a customer. Everyone but analysts may record them (support handles calls and
//! complaints); every read goes through the customer's row access and the policy.

use crate::policy::{Action, authorize};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{complaint, complaint_event, interaction, survey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{
    ComplaintCategory, ComplaintSeverity, ComplaintStatus, InteractionDirection, InteractionKind,
    SurveyChannel,
};
use crate::error::{AppError, AppResult};
use crate::policy::Fields;
use crate::policy::Principal;
use crate::service::Page;
use crate::service::identity::audit::{self, Event};
use crate::service::input::{Checker, parse_document, reject_read_only};
use crate::service::records::{
    self, Window, newest_first, past_time, visible_customer, within_visible,
};
use crate::service::stored;
use crate::service::versioned;
use crate::state::AppState;
use crate::types::engagement::{
    ComplaintEventView, ComplaintInput, ComplaintTransitionInput, ComplaintView, InteractionInput,
    InteractionView, SurveyInput, SurveyView,
};

const READ_ONLY: &[&str] = &[
    "id",
    "customer_id",
    "version",
    "created_at",
    "updated_at",
    "masked",
    "status",
    "sla_due_at",
    "overdue",
    "resolved_at",
    "closed_at",
    "events",
    "allowed_transitions",
];

/// Whether a patch document names `key` (with a value or `null`).
fn present(doc: &Value, key: &str) -> bool {
    doc.get(key).is_some()
}

// ---------------------------------------------------------------------------------------
// Interactions

/// Render an interaction for a principal.
///
/// # Errors
/// `Internal` for a stored type or direction this version does not know.
pub fn interaction_view(
    m: interaction::Model,
    principal: &Principal,
) -> AppResult<InteractionView> {
    let mut f = Fields::new(principal, "interaction");
    Ok(InteractionView {
        id: m.id,
        customer_id: m.customer_id,
        kind: stored(
            InteractionKind::parse(&m.kind),
            "interactions",
            "kind",
            m.id,
        )?,
        direction: stored(
            InteractionDirection::parse(&m.direction),
            "interactions",
            "direction",
            m.id,
        )?,
        occurred_at: m.occurred_at.into(),
        duration_seconds: m.duration_seconds,
        subject: f.whole("subject", m.subject.as_ref()),
        summary: f.whole("summary", m.summary.as_ref()),
        outcome: f.whole("outcome", m.outcome.as_ref()),
        user_id: m.user_id,
        next_follow_up_at: m.next_follow_up_at.map(Into::into),
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
        masked: f.finish(),
    })
}

async fn active_user(conn: &impl ConnectionTrait, c: &mut Checker, id: Uuid) -> AppResult<()> {
    let active = entity::user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|u| u.active);
    if !active {
        c.fail(
            "user_id",
            "unknown_user",
            "must be the id of an active user",
        );
    }
    Ok(())
}

/// Check an interaction document onto `m`: every field on create, the present ones on update.
pub(crate) async fn apply_interaction(
    conn: &impl ConnectionTrait,
    doc: &Value,
    input: InteractionInput,
    m: &mut interaction::ActiveModel,
    creating: bool,
) -> AppResult<()> {
    let mut c = Checker::default();
    let set = |key: &str| creating || present(doc, key);
    match input.kind {
        Some(kind) => m.kind = Set(kind.as_str().to_owned()),
        None if creating || present(doc, "type") => c.fail("type", "required", "is required"),
        None => {}
    }
    if creating || input.direction.is_some() {
        m.direction = Set(input
            .direction
            .unwrap_or(InteractionDirection::Outbound)
            .as_str()
            .to_owned());
    }
    if creating || input.occurred_at.is_some() {
        m.occurred_at = Set(past_time(
            &mut c,
            "occurred_at",
            input.occurred_at.map(Into::into),
        ));
    }
    if set("duration_seconds") {
        if let Some(d) = input.duration_seconds
            && !(0..=86_400).contains(&d)
        {
            c.fail(
                "duration_seconds",
                "out_of_range",
                "must be from 0 to 86400 seconds",
            );
        }
        m.duration_seconds = Set(input.duration_seconds);
    }
    if set("subject") {
        m.subject = Set(c.text("subject", input.subject, 200));
    }
    if set("summary") {
        m.summary = Set(c.text("summary", input.summary, 5000));
    }
    if set("outcome") {
        m.outcome = Set(c.text("outcome", input.outcome, 200));
    }
    if let Some(user) = input.user_id {
        active_user(conn, &mut c, user).await?;
        m.user_id = Set(Some(user));
    }
    if set("next_follow_up_at") {
        m.next_follow_up_at = Set(input
            .next_follow_up_at
            .map(|at| records::truncate(at.into())));
    }
    c.finish(())
}

/// Record an interaction with a customer.
///
/// # Errors
/// `NotFound` for a customer the caller cannot see; `Validation`; `Forbidden` for analysts.
pub async fn record_interaction(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<InteractionView> {
    record_interaction_in(&state.db, principal, customer_id, doc).await
}

/// As [`record_interaction`], written and read back through `db` (a caller's transaction).
pub async fn record_interaction_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<InteractionView> {
    authorize(principal, Action::RecordActivity)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: InteractionInput = parse_document(doc.clone())?;
    let txn = crate::service::begin_write(db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let now = crate::clock::now();
    let mut active = interaction::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        user_id: Set(principal.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_interaction(&txn, &doc, input, &mut active, true).await?;
    let model = active.insert(&txn).await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "interaction.recorded",
            customer_id,
            json!({"interaction_id": model.id, "type": model.kind}),
        ),
    )
    .await?;
    txn.commit().await?;
    interaction_view(model, principal)
}

async fn find_interaction(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> AppResult<interaction::Model> {
    within_visible(
        interaction::Entity::find_by_id(id),
        interaction::Column::CustomerId,
        principal,
    )
    .one(conn)
    .await?
    .ok_or(AppError::NotFound {
        entity: "interaction",
    })
}

/// Change an interaction: only the fields given; `null` clears an optional one.
///
/// # Errors
/// `NotFound`; `Validation`; `PreconditionFailed`.
pub async fn update_interaction(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<InteractionView> {
    authorize(principal, Action::RecordActivity)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: InteractionInput = parse_document(doc.clone())?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find_interaction(&txn, principal, id).await?;
    let base = versioned::base(expected_version, current.version)?;
    let mut active: interaction::ActiveModel = current.into();
    apply_interaction(&txn, &doc, input, &mut active, false).await?;
    active.updated_at = Set(crate::clock::now());
    let model = versioned::update_model(&txn, id, base, active).await?;
    txn.commit().await?;
    interaction_view(model, principal)
}

/// One interaction.
///
/// # Errors
/// `NotFound`.
pub async fn get_interaction(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<InteractionView> {
    authorize(principal, Action::ReadCustomers)?;
    let model = find_interaction(&state.db, principal, id).await?;
    interaction_view(model, principal)
}

/// Which interactions to list.
#[derive(Debug, Clone, Default)]
pub struct InteractionFilter {
    pub customer_id: Option<Uuid>,
    pub kind: Option<InteractionKind>,
    pub user_id: Option<Uuid>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
    /// Only those whose next follow-up is due (at or before now).
    pub follow_up_due: bool,
}

/// Interactions with the customers the caller may see, newest first.
///
/// # Errors
/// `BadRequest` for a bad cursor.
pub async fn list_interactions(
    state: &AppState,
    principal: &Principal,
    filter: InteractionFilter,
    window: &Window,
) -> AppResult<Page<InteractionView>> {
    use interaction::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    let mut select = within_visible(interaction::Entity::find(), C::CustomerId, principal);
    if let Some(id) = filter.customer_id {
        select = select.filter(C::CustomerId.eq(id));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some(user) = filter.user_id {
        select = select.filter(C::UserId.eq(user));
    }
    if let Some(after) = filter.occurred_after {
        select = select.filter(C::OccurredAt.gte(after));
    }
    if let Some(before) = filter.occurred_before {
        select = select.filter(C::OccurredAt.lt(before));
    }
    if filter.follow_up_due {
        select = select.filter(C::NextFollowUpAt.lte(crate::clock::now()));
    }
    let page = newest_first(&state.db, select, C::OccurredAt, C::Id, window, |m| {
        (m.occurred_at, m.id)
    })
    .await?;
    page.try_map(|m| interaction_view(m, principal))
}

// ---------------------------------------------------------------------------------------
// Surveys

/// Render a survey answer for a principal.
///
/// # Errors
/// `Internal` for a stored channel this version does not know.
pub fn survey_view(m: survey::Model, principal: &Principal) -> AppResult<SurveyView> {
    let mut f = Fields::new(principal, "survey");
    let channel = m
        .channel
        .as_deref()
        .map(|c| stored(SurveyChannel::parse(c), "surveys", "channel", m.id))
        .transpose()?;
    Ok(SurveyView {
        id: m.id,
        customer_id: m.customer_id,
        csat: f.whole("csat", m.csat.as_ref()),
        nps: f.whole("nps", m.nps.as_ref()),
        comment: f.whole("comment", m.comment.as_ref()),
        channel,
        answered_at: m.answered_at.into(),
        created_at: m.created_at.into(),
        masked: f.finish(),
    })
}

/// Check a survey answer (CSAT 1–5, NPS 0–10, at least one of them) into a new row.
///
/// # Errors
/// `Validation` naming every bad field.
pub(crate) fn check_survey(
    input: SurveyInput,
    customer_id: Uuid,
) -> AppResult<survey::ActiveModel> {
    let mut c = Checker::default();
    if let Some(csat) = input.csat
        && !(1..=5).contains(&csat)
    {
        c.fail("csat", "out_of_range", "must be from 1 to 5");
    }
    if let Some(nps) = input.nps
        && !(0..=10).contains(&nps)
    {
        c.fail("nps", "out_of_range", "must be from 0 to 10");
    }
    if input.csat.is_none() && input.nps.is_none() {
        c.fail("csat", "required", "give csat, nps or both");
    }
    let comment = c.text("comment", input.comment, 2000);
    let answered_at = past_time(&mut c, "answered_at", input.answered_at.map(Into::into));
    c.finish(survey::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        csat: Set(input.csat),
        nps: Set(input.nps),
        comment: Set(comment),
        channel: Set(input.channel.map(|c| c.as_str().to_owned())),
        answered_at: Set(answered_at),
        created_at: Set(crate::clock::now()),
    })
}

/// Record a survey answer.
///
/// # Errors
/// `NotFound`; `Validation` (CSAT 1–5, NPS 0–10, at least one of them).
pub async fn record_survey(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<SurveyView> {
    record_survey_in(&state.db, principal, customer_id, doc).await
}

/// As [`record_survey`], written and read back through `db` (a caller's transaction).
pub async fn record_survey_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<SurveyView> {
    authorize(principal, Action::RecordActivity)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: SurveyInput = parse_document(doc)?;
    let answer = check_survey(input, customer_id)?;
    let txn = crate::service::begin_write(db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let model = answer.insert(&txn).await?;
    txn.commit().await?;
    survey_view(model, principal)
}

/// Survey answers of the customers the caller may see (one customer's with `customer_id`),
/// newest first.
///
/// # Errors
/// `BadRequest` for a bad cursor.
pub async fn list_surveys(
    state: &AppState,
    principal: &Principal,
    customer_id: Option<Uuid>,
    window: &Window,
) -> AppResult<Page<SurveyView>> {
    use survey::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    let mut select = within_visible(survey::Entity::find(), C::CustomerId, principal);
    if let Some(id) = customer_id {
        select = select.filter(C::CustomerId.eq(id));
    }
    let page = newest_first(&state.db, select, C::AnsweredAt, C::Id, window, |m| {
        (m.answered_at, m.id)
    })
    .await?;
    page.try_map(|m| survey_view(m, principal))
}

// ---------------------------------------------------------------------------------------
// Complaints

/// A complaint's stored status; one this version does not know is an error, not `open`
/// (which would show it unresolved and let it move as if it were).
fn complaint_status(m: &complaint::Model) -> AppResult<ComplaintStatus> {
    stored(
        ComplaintStatus::parse(&m.status),
        "complaints",
        "status",
        m.id,
    )
}

/// Render a complaint step for a principal.
///
/// # Errors
/// `Internal` for a stored status this version does not know.
pub fn complaint_event_view(
    m: complaint_event::Model,
    principal: &Principal,
) -> AppResult<ComplaintEventView> {
    let mut f = Fields::new(principal, "complaint_event");
    let status = |text: &str, column| {
        stored(
            ComplaintStatus::parse(text),
            "complaint_events",
            column,
            m.id,
        )
    };
    Ok(ComplaintEventView {
        id: m.id,
        complaint_id: m.complaint_id,
        customer_id: m.customer_id,
        from_status: m
            .from_status
            .as_deref()
            .map(|s| status(s, "from_status"))
            .transpose()?,
        to_status: status(&m.to_status, "to_status")?,
        at: m.at.into(),
        actor: m.actor,
        note: f.whole("note", m.note.as_ref()),
        masked: f.finish(),
    })
}

fn complaint_view(
    m: complaint::Model,
    events: Vec<complaint_event::Model>,
    principal: &Principal,
) -> AppResult<ComplaintView> {
    let mut f = Fields::new(principal, "complaint");
    let status = complaint_status(&m)?;
    Ok(ComplaintView {
        id: m.id,
        customer_id: m.customer_id,
        category: stored(
            ComplaintCategory::parse(&m.category),
            "complaints",
            "category",
            m.id,
        )?,
        severity: stored(
            ComplaintSeverity::parse(&m.severity),
            "complaints",
            "severity",
            m.id,
        )?,
        status,
        allowed_transitions: status.next().to_vec(),
        subject: f.whole("subject", Some(&m.subject)),
        description: f.whole("description", m.description.as_ref()),
        opened_at: m.opened_at.into(),
        sla_due_at: m.sla_due_at.into(),
        overdue: status.is_unresolved() && m.sla_due_at < Utc::now(),
        resolution: f.whole("resolution", m.resolution.as_ref()),
        satisfaction: f.whole("satisfaction", m.satisfaction.as_ref()),
        resolved_at: m.resolved_at.map(Into::into),
        closed_at: m.closed_at.map(Into::into),
        events: events
            .into_iter()
            .map(|e| complaint_event_view(e, principal))
            .collect::<AppResult<_>>()?,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
        masked: f.finish(),
    })
}

/// Render complaints with their steps: one statement for all the steps.
///
/// # Errors
/// Database failures.
pub async fn render_complaints(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    models: Vec<complaint::Model>,
) -> AppResult<Vec<ComplaintView>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut events: HashMap<Uuid, Vec<complaint_event::Model>> = HashMap::new();
    if !ids.is_empty() {
        for e in complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.is_in(ids))
            .order_by_asc(complaint_event::Column::Id)
            .all(conn)
            .await?
        {
            events.entry(e.complaint_id).or_default().push(e);
        }
    }
    models
        .into_iter()
        .map(|m| {
            let steps = events.remove(&m.id).unwrap_or_default();
            complaint_view(m, steps, principal)
        })
        .collect()
}

async fn record_step(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    complaint: &complaint::Model,
    from: Option<ComplaintStatus>,
    to: ComplaintStatus,
    note: Option<String>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    complaint_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        complaint_id: Set(complaint.id),
        customer_id: Set(complaint.customer_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        at: Set(at),
        actor: Set(principal.subject()),
        actor_user_id: Set(principal.user_id),
        note: Set(note),
    }
    .insert(conn)
    .await?;
    Ok(())
}

async fn one_complaint(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    model: complaint::Model,
) -> AppResult<ComplaintView> {
    let mut views = render_complaints(conn, principal, vec![model]).await?;
    views.pop().ok_or(AppError::NotFound {
        entity: "complaint",
    })
}

/// Open a complaint; its SLA is set by severity.
///
/// # Errors
/// `NotFound`; `Validation`.
pub async fn open_complaint(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<ComplaintView> {
    open_complaint_in(&state.db, principal, customer_id, doc).await
}

/// As [`open_complaint`], written and read back through `db` (a caller's transaction).
pub async fn open_complaint_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<ComplaintView> {
    authorize(principal, Action::RecordActivity)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: ComplaintInput = parse_document(doc)?;
    let mut c = Checker::default();
    if input.category.is_none() {
        c.fail("category", "required", "is required");
    }
    if input.severity.is_none() {
        c.fail("severity", "required", "is required");
    }
    let subject = c.text("subject", input.subject, 200);
    if subject.is_none() {
        c.fail("subject", "required", "is required");
    }
    if input.satisfaction.is_some() {
        c.fail(
            "satisfaction",
            "not_resolved",
            "can be given once the complaint is resolved",
        );
    }
    let description = c.text("description", input.description, 5000);
    let opened_at = past_time(&mut c, "opened_at", input.opened_at.map(Into::into));
    // Every missing field is reported together; past this point all three are present.
    let (category, severity, subject) = c.finish((input.category, input.severity, subject))?;
    let (Some(category), Some(severity), Some(subject)) = (category, severity, subject) else {
        return Err(AppError::invalid("subject", "required", "is required"));
    };
    let txn = crate::service::begin_write(db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let now = crate::clock::now();
    let model = complaint::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        category: Set(category.as_str().to_owned()),
        severity: Set(severity.as_str().to_owned()),
        status: Set(ComplaintStatus::Open.as_str().to_owned()),
        subject: Set(subject),
        description: Set(description),
        opened_at: Set(opened_at),
        sla_due_at: Set(opened_at + severity.sla()),
        resolution: Set(None),
        satisfaction: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    record_step(
        &txn,
        principal,
        &model,
        None,
        ComplaintStatus::Open,
        None,
        opened_at,
    )
    .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "complaint.opened",
            customer_id,
            json!({"complaint_id": model.id, "severity": model.severity}),
        ),
    )
    .await?;
    txn.commit().await?;
    one_complaint(db, principal, model).await
}

async fn find_complaint(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> AppResult<complaint::Model> {
    within_visible(
        complaint::Entity::find_by_id(id),
        complaint::Column::CustomerId,
        principal,
    )
    .one(conn)
    .await?
    .ok_or(AppError::NotFound {
        entity: "complaint",
    })
}

/// Change a complaint's category, severity (moving its SLA), subject, description or
/// post-resolution satisfaction.
///
/// # Errors
/// `NotFound`; `Validation`; `PreconditionFailed`.
pub async fn update_complaint(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<ComplaintView> {
    authorize(principal, Action::RecordActivity)?;
    reject_read_only(&doc, READ_ONLY)?;
    if present(&doc, "opened_at") {
        return Err(AppError::invalid(
            "opened_at",
            "immutable",
            "cannot change once the complaint is open",
        ));
    }
    let input: ComplaintInput = parse_document(doc.clone())?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find_complaint(&txn, principal, id).await?;
    let mut c = Checker::default();
    let status = complaint_status(&current)?;
    let opened_at = current.opened_at;
    let base = versioned::base(expected_version, current.version)?;
    let mut active: complaint::ActiveModel = current.into();
    if let Some(category) = input.category {
        active.category = Set(category.as_str().to_owned());
    }
    if let Some(severity) = input.severity {
        active.severity = Set(severity.as_str().to_owned());
        active.sla_due_at = Set(opened_at + severity.sla());
    }
    if present(&doc, "subject") {
        match c.text("subject", input.subject, 200) {
            Some(subject) => active.subject = Set(subject),
            None => c.fail("subject", "required", "cannot be empty"),
        }
    }
    if present(&doc, "description") {
        active.description = Set(c.text("description", input.description, 5000));
    }
    if present(&doc, "satisfaction") {
        if let Some(s) = input.satisfaction
            && !(1..=5).contains(&s)
        {
            c.fail("satisfaction", "out_of_range", "must be from 1 to 5");
        }
        if status.is_unresolved() {
            c.fail(
                "satisfaction",
                "not_resolved",
                "can be given once the complaint is resolved",
            );
        }
        active.satisfaction = Set(input.satisfaction);
    }
    c.finish(())?;
    active.updated_at = Set(crate::clock::now());
    let model = versioned::update_model(&txn, id, base, active).await?;
    txn.commit().await?;
    one_complaint(&state.db, principal, model).await
}

/// Move a complaint along its workflow, recording who did it and when.
///
/// # Errors
/// `NotFound`; `IllegalTransition` naming the allowed statuses; `Validation` (a resolution
/// is required to resolve); `PreconditionFailed`.
pub async fn transition_complaint(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<ComplaintView> {
    authorize(principal, Action::RecordActivity)?;
    let input: ComplaintTransitionInput = parse_document(doc)?;
    let mut c = Checker::default();
    let resolution = c.text("resolution", input.resolution, 5000);
    let note = c.text("note", input.note, 2000);
    c.finish(())?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find_complaint(&txn, principal, id).await?;
    let base = versioned::base(expected_version, current.version)?;
    let from = complaint_status(&current)?;
    let to = input.to;
    if !from.next().contains(&to) {
        return Err(AppError::IllegalTransition {
            entity: "complaint",
            from: from.to_string(),
            to: to.to_string(),
            allowed: from.next().iter().map(ToString::to_string).collect(),
        });
    }
    if to == ComplaintStatus::Resolved && resolution.is_none() {
        return Err(AppError::invalid(
            "resolution",
            "required",
            "say how the complaint was resolved",
        ));
    }
    let now = crate::clock::now();
    let mut active: complaint::ActiveModel = current.into();
    active.status = Set(to.as_str().to_owned());
    match to {
        ComplaintStatus::Resolved => {
            active.resolution = Set(resolution);
            active.resolved_at = Set(Some(now));
        }
        ComplaintStatus::Closed => active.closed_at = Set(Some(now)),
        ComplaintStatus::Open => {
            // Reopened: it waits for a resolution again; the old one stays in the history.
            active.resolved_at = Set(None);
            active.closed_at = Set(None);
        }
        _ => {}
    }
    active.updated_at = Set(now);
    let model = versioned::update_model(&txn, id, base, active).await?;
    record_step(&txn, principal, &model, Some(from), to, note, now).await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "complaint.transitioned",
            model.customer_id,
            json!({"complaint_id": model.id, "from": from, "to": to}),
        ),
    )
    .await?;
    txn.commit().await?;
    one_complaint(&state.db, principal, model).await
}

/// One complaint with its history.
///
/// # Errors
/// `NotFound`.
pub async fn get_complaint(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<ComplaintView> {
    authorize(principal, Action::ReadCustomers)?;
    let model = find_complaint(&state.db, principal, id).await?;
    one_complaint(&state.db, principal, model).await
}

/// Which complaints to list.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<ComplaintStatus>,
    pub severity: Option<ComplaintSeverity>,
    /// Only unresolved complaints past their SLA.
    pub overdue: bool,
}

/// Complaints of the customers the caller may see, newest first.
///
/// # Errors
/// `BadRequest` for a bad cursor.
pub async fn list_complaints(
    state: &AppState,
    principal: &Principal,
    filter: ComplaintFilter,
    window: &Window,
) -> AppResult<Page<ComplaintView>> {
    use complaint::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    let mut select = within_visible(complaint::Entity::find(), C::CustomerId, principal);
    if let Some(id) = filter.customer_id {
        select = select.filter(C::CustomerId.eq(id));
    }
    if let Some(status) = filter.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if let Some(severity) = filter.severity {
        select = select.filter(C::Severity.eq(severity.as_str()));
    }
    if filter.overdue {
        select = select
            .filter(C::Status.is_in(["open", "acknowledged", "in_progress"]))
            .filter(C::SlaDueAt.lt(crate::clock::now()));
    }
    let mut page = newest_first(&state.db, select, C::OpenedAt, C::Id, window, |m| {
        (m.opened_at, m.id)
    })
    .await?;
    let views = render_complaints(&state.db, principal, std::mem::take(&mut page.items)).await?;
    Ok(page.with(views))
}
