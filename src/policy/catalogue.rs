//! The sensitivity catalogue of the typed customer fields.
//!
//! Custom fields carry their class on their definition. A test asserts that every field of
//! the rendered customer appears here, so a new column cannot ship unclassified.

use crate::domain::Sensitivity::{self, Contact, Financial, Public, Sensitive};

/// Every typed customer field by its REST path, with its sensitivity class.
pub const CATALOGUE: &[(&str, Sensitivity)] = &[
    ("id", Public),
    ("kind", Public),
    ("display_name", Public),
    ("phone", Contact),
    ("email", Contact),
    ("address.country", Public),
    ("address.province", Public),
    ("address.city", Public),
    ("address.district", Contact),
    ("address.street", Contact),
    ("address.postcode", Contact),
    ("tags", Public),
    ("source", Public),
    ("status", Public),
    ("notes", Contact),
    ("owner_id", Public),
    ("individual.family_name", Public),
    ("individual.given_name", Public),
    ("individual.gender", Public),
    ("individual.birthday", Contact),
    ("individual.occupation", Public),
    ("individual.employer", Public),
    ("individual.job_title", Public),
    ("individual.annual_income", Financial),
    ("individual.education", Public),
    ("individual.marital_status", Contact),
    ("individual.family_notes", Contact),
    ("individual.hobbies", Contact),
    ("individual.social", Contact),
    ("individual.id_number", Sensitive),
    ("individual.health", Sensitive),
    ("individual.religion", Sensitive),
    ("individual.political_affiliation", Sensitive),
    ("individual.precise_location", Sensitive),
    ("organization.legal_name", Public),
    ("organization.credit_code", Public),
    ("organization.industry", Public),
    ("organization.employee_count", Public),
    ("organization.registered_capital", Financial),
    ("organization.founded_on", Public),
    ("organization.website", Public),
    ("organization.business_scope", Public),
    ("organization.credit_rating", Financial),
    ("organization.credit_limit", Financial),
    ("organization.payment_terms_days", Financial),
    ("version", Public),
    ("created_at", Public),
    ("updated_at", Public),
    ("deleted_at", Public),
];

/// Every field of the behavioural and relational records, by `resource.field`, with its
/// class. Money and points are `financial`; free texts written about a customer (summaries,
/// complaint texts, comments, notes) are `contact`.
pub const RECORDS: &[(&str, Sensitivity)] = &[
    ("product.list_price", Public),
    ("order.total", Financial),
    ("order.paid_amount", Financial),
    ("order.outstanding", Financial),
    ("order.overdue", Financial),
    ("order.due_date", Financial),
    ("order.notes", Contact),
    ("order.items.unit_price", Financial),
    ("order.items.line_total", Financial),
    ("interaction.subject", Contact),
    ("interaction.summary", Contact),
    ("interaction.outcome", Contact),
    ("survey.csat", Public),
    ("survey.nps", Public),
    ("survey.comment", Contact),
    ("complaint.subject", Contact),
    ("complaint.description", Contact),
    ("complaint.resolution", Contact),
    ("complaint.satisfaction", Public),
    ("complaint_event.note", Contact),
    ("consent.source", Public),
    ("preferences.categories", Public),
    ("preferences.preferred_channel", Public),
    ("preferences.preferred_time", Public),
    ("relationship.note", Contact),
    ("loyalty.balance", Financial),
    ("points.points", Financial),
    ("points.balance_after", Financial),
    ("points.reason", Contact),
    ("scores.rfm.monetary", Financial),
    ("scores.rfm.m", Financial),
    ("scores.rfm.segment", Financial),
    ("scores.lifetime_value.value", Financial),
    ("scores.lifetime_value.expected_order_value", Financial),
    ("scores.loyalty.components.recency", Public),
    ("scores.loyalty.components.frequency", Public),
    ("scores.loyalty.components.monetary", Financial),
    ("scores.loyalty.components.tenure", Public),
    ("scores.loyalty.components.satisfaction", Public),
    ("scores.loyalty.components.complaints", Public),
    ("scores.loyalty.components.referrals", Public),
    ("scores.grade", Financial),
    ("stats.monetary_total", Financial),
    ("stats.outstanding", Financial),
];

/// The class of a typed field. Unknown paths are treated as `sensitive`: fail closed.
pub fn class_of(path: &str) -> Sensitivity {
    CATALOGUE
        .iter()
        .chain(RECORDS)
        .find(|(p, _)| *p == path)
        .map_or(Sensitivity::Sensitive, |(_, c)| *c)
}
