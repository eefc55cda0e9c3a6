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

/// The class of a typed field. Unknown paths are treated as `sensitive`: fail closed.
pub fn class_of(path: &str) -> Sensitivity {
    CATALOGUE
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(Sensitivity::Sensitive, |(_, c)| *c)
}
