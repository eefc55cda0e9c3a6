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

/// Every stored field of the behavioural and relational records, by `resource.field`, with
/// its class. Money and points are `financial`; free texts written about a customer
/// (summaries, complaint texts, comments, notes) are `contact`. Values computed from other
/// values are not here but in [`DERIVED`], next to their inputs.
pub const RECORDS: &[(&str, Sensitivity)] = &[
    ("product.sku", Public),
    ("product.name", Public),
    ("product.list_price", Public),
    ("order.status", Public),
    ("order.ordered_at", Public),
    ("order.total", Financial),
    ("order.paid_amount", Financial),
    ("order.due_date", Financial),
    ("order.notes", Contact),
    ("order.items.product_id", Public),
    // Stored as written, but a quantity times the product's public list price is the line
    // total whenever the line was sold at list price (the default): a quantity tells as much
    // as the amount it multiplies into.
    ("order.items.quantity", Financial),
    // Defaults to the list price but may be any negotiated price.
    ("order.items.unit_price", Financial),
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
    ("complaint.opened_at", Public),
    ("complaint_event.note", Contact),
    ("consent.source", Public),
    ("preferences.categories", Public),
    ("preferences.preferred_channel", Public),
    ("preferences.preferred_time", Public),
    ("relationship.kind", Public),
    ("relationship.note", Contact),
    ("loyalty.tier", Public),
    ("loyalty.balance", Financial),
    ("points.points", Financial),
    ("points.balance_after", Financial),
    ("points.reason", Contact),
];

/// Values computed from other values (DESIGN §6: *derived values inherit*), each with its
/// class and the fields it is computed from — stored fields of [`CATALOGUE`] and
/// [`RECORDS`], or other derived values. A derived value has the class of its most
/// sensitive input; a test checks every declared class against its inputs, so an edit that
/// under-classifies one (or drops an input) fails the build. If a caller could compute a
/// hidden value from values it sees, an entry here is wrong.
pub const DERIVED: &[(&str, Sensitivity, &[&str])] = &[
    // An order's lines. Without its quantity a line still names its product, and the list
    // prices of the products bought bound the total from below; with it, Σ quantity × list
    // price is the total. So the lines are shown whole or not at all.
    (
        "order.items",
        Financial,
        &[
            "order.items.product_id",
            "product.sku",
            "product.name",
            "order.items.quantity",
            "order.items.unit_price",
            "order.items.line_total",
        ],
    ),
    (
        "order.items.line_total",
        Financial,
        &["order.items.quantity", "order.items.unit_price"],
    ),
    (
        "order.outstanding",
        Financial,
        &["order.total", "order.paid_amount", "order.status"],
    ),
    (
        "order.overdue",
        Financial,
        &["order.due_date", "order.outstanding"],
    ),
    ("order.counts_as_purchase", Public, &["order.status"]),
    // Purchase aggregates: counts and dates of counted orders are public, sums are money.
    ("stats.order_count", Public, &["order.status"]),
    (
        "stats.purchase_days",
        Public,
        &["order.status", "order.ordered_at"],
    ),
    (
        "stats.first_order_at",
        Public,
        &["order.status", "order.ordered_at"],
    ),
    (
        "stats.last_order_at",
        Public,
        &["order.status", "order.ordered_at"],
    ),
    (
        "stats.monetary_total",
        Financial,
        &["order.status", "order.total"],
    ),
    ("stats.outstanding", Financial, &["order.outstanding"]),
    // RFM: recency and frequency come from dates and counts; monetary is the spend.
    ("scores.rfm.recency_days", Public, &["stats.last_order_at"]),
    ("scores.rfm.frequency", Public, &["stats.purchase_days"]),
    ("scores.rfm.monetary", Financial, &["stats.monetary_total"]),
    ("scores.rfm.r", Public, &["scores.rfm.recency_days"]),
    ("scores.rfm.f", Public, &["scores.rfm.frequency"]),
    ("scores.rfm.m", Financial, &["scores.rfm.monetary"]),
    (
        "scores.rfm.segment",
        Financial,
        &["scores.rfm.r", "scores.rfm.f", "scores.rfm.m"],
    ),
    // BG/NBD sees purchase days and their dates only, never amounts.
    (
        "scores.churn.p_alive",
        Public,
        &[
            "scores.rfm.frequency",
            "stats.first_order_at",
            "stats.last_order_at",
        ],
    ),
    (
        "scores.churn.risk",
        Public,
        &["scores.churn.p_alive", "scores.rfm.recency_days"],
    ),
    (
        "scores.churn.expected_purchases",
        Public,
        &[
            "scores.rfm.frequency",
            "stats.first_order_at",
            "stats.last_order_at",
        ],
    ),
    // Gamma-Gamma: the expected value of a purchase from the mean spend of repeat purchases.
    (
        "scores.lifetime_value.expected_order_value",
        Financial,
        &["stats.monetary_total", "stats.purchase_days"],
    ),
    (
        "scores.lifetime_value.value",
        Financial,
        &[
            "scores.churn.expected_purchases",
            "scores.lifetime_value.expected_order_value",
        ],
    ),
    // Loyalty: seven weighted components. Only `monetary` (the spend percentile among buyers)
    // has a financial input, but the score is their weighted sum, so the score minus the
    // other six gives it back: the score is financial.
    (
        "scores.loyalty.components.recency",
        Public,
        &["scores.rfm.recency_days"],
    ),
    (
        "scores.loyalty.components.frequency",
        Public,
        &["stats.order_count"],
    ),
    (
        "scores.loyalty.components.monetary",
        Financial,
        &["scores.rfm.monetary"],
    ),
    (
        "scores.loyalty.components.tenure",
        Public,
        &["stats.first_order_at"],
    ),
    (
        "scores.loyalty.components.satisfaction",
        Public,
        &["survey.csat", "survey.nps"],
    ),
    (
        "scores.loyalty.components.complaints",
        Public,
        &["complaint.opened_at"],
    ),
    (
        "scores.loyalty.components.referrals",
        Public,
        &["relationship.kind"],
    ),
    (
        "scores.loyalty.score",
        Financial,
        &[
            "scores.loyalty.components.recency",
            "scores.loyalty.components.frequency",
            "scores.loyalty.components.monetary",
            "scores.loyalty.components.tenure",
            "scores.loyalty.components.satisfaction",
            "scores.loyalty.components.complaints",
            "scores.loyalty.components.referrals",
        ],
    ),
    // The components as one list with their weights: Σ weight × value is the score, so the
    // list is shown whole or not at all, with the score (the weights are the published
    // constants of the formula; they are withheld with the list they explain).
    (
        "scores.loyalty.components",
        Financial,
        &[
            "scores.loyalty.score",
            "scores.loyalty.components.recency",
            "scores.loyalty.components.frequency",
            "scores.loyalty.components.monetary",
            "scores.loyalty.components.tenure",
            "scores.loyalty.components.satisfaction",
            "scores.loyalty.components.complaints",
            "scores.loyalty.components.referrals",
        ],
    ),
    // The grade ranks the spend among buyers.
    ("scores.grade", Financial, &["scores.rfm.monetary"]),
    // The overview counts customers per bucket of a score and sums revenue: a count per
    // grade or RFM segment is as financial as the grades, the top list shows lifetime
    // values, and revenue is a sum of order totals.
    (
        "overview.by_rfm_segment",
        Financial,
        &["scores.rfm.segment"],
    ),
    ("overview.by_grade", Financial, &["scores.grade"]),
    (
        "overview.top_lifetime_value",
        Financial,
        &["scores.lifetime_value.value", "display_name"],
    ),
    ("overview.revenue_by_month", Financial, &["order.total"]),
    (
        "scores.lifecycle_stage",
        Public,
        &[
            "scores.churn.p_alive",
            "scores.rfm.recency_days",
            "stats.first_order_at",
            "stats.order_count",
        ],
    ),
    // Completeness counts which of these profile fields are filled: whether a phone, a
    // street or a birthday is on file is itself contact data.
    (
        "scores.completeness",
        Contact,
        &[
            "phone",
            "email",
            "address.province",
            "address.city",
            "address.street",
            "individual.family_name",
            "individual.given_name",
            "individual.gender",
            "individual.birthday",
            "individual.occupation",
            "individual.employer",
            "organization.legal_name",
            "organization.credit_code",
            "organization.industry",
            "organization.website",
            "organization.employee_count",
        ],
    ),
];

/// The class of a stored record field or a derived value, if the catalogue knows it.
pub fn record_class(path: &str) -> Option<Sensitivity> {
    RECORDS
        .iter()
        .copied()
        .chain(DERIVED.iter().map(|(p, c, _)| (*p, *c)))
        .find(|(p, _)| *p == path)
        .map(|(_, c)| c)
}

/// The class of a typed field. Unknown paths are treated as `sensitive`: fail closed.
pub fn class_of(path: &str) -> Sensitivity {
    CATALOGUE
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, c)| *c)
        .or_else(|| record_class(path))
        .unwrap_or(Sensitivity::Sensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(path: &str) -> bool {
        CATALOGUE.iter().any(|(p, _)| *p == path) || record_class(path).is_some()
    }

    /// Classes from least to most sensitive; contact and financial are not comparable for
    /// the roles (analysts see one, support part of the other), so an input list must not
    /// mix them.
    fn rank(class: Sensitivity) -> usize {
        Sensitivity::ALL
            .iter()
            .position(|c| *c == class)
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn every_derived_value_has_the_class_of_its_most_sensitive_input() {
        for (path, declared, inputs) in DERIVED {
            assert!(!inputs.is_empty(), "{path} names no inputs");
            for input in *inputs {
                assert!(
                    known(input),
                    "{path}: input {input} has no class in the catalogue"
                );
                assert_ne!(input, path, "{path} is its own input");
            }
            let classes: Vec<Sensitivity> = inputs.iter().map(|i| class_of(i)).collect();
            assert!(
                !(classes.contains(&Contact) && classes.contains(&Financial)),
                "{path} mixes contact and financial inputs: split it or give it both clearances"
            );
            let most = classes
                .iter()
                .copied()
                .max_by_key(|c| rank(*c))
                .unwrap_or(Sensitive);
            assert_eq!(
                *declared, most,
                "{path} is declared {declared} but its most sensitive input is {most}"
            );
        }
    }

    #[test]
    fn every_path_is_declared_once() {
        let mut all: Vec<&str> = CATALOGUE
            .iter()
            .map(|(p, _)| *p)
            .chain(RECORDS.iter().map(|(p, _)| *p))
            .chain(DERIVED.iter().map(|(p, _, _)| *p))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a path is declared twice");
    }

    #[test]
    fn the_values_a_total_can_be_rebuilt_from_are_financial() {
        for path in [
            "order.items",
            "order.items.quantity",
            "order.items.line_total",
            "scores.loyalty.score",
            "scores.loyalty.components",
            "scores.loyalty.components.monetary",
            "scores.grade",
        ] {
            assert_eq!(class_of(path), Financial, "{path}");
        }
        assert_eq!(class_of("scores.completeness"), Contact);
        assert_eq!(
            class_of("no.such.field"),
            Sensitive,
            "unknown paths fail closed"
        );
    }
}
