//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::error::Problem;
use crate::error::FieldError;
use crate::types::custom_field::{CustomFieldInput, CustomFieldList, CustomFieldView};
use crate::types::customer::{
    AddressInput, AddressView, CustomerInput, CustomerPage, CustomerView, IndividualInput,
    IndividualView, OrganizationInput, OrganizationView,
};
use crate::types::user::{
    CreateUserRequest, LoginRequest, RefreshRequest, SessionView, UserPatch, UserView,
};

/// Dossier's REST contract.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dossier",
        description = "Headless customer-information API. JSON is snake_case; errors are RFC 9457 \
problem+json with a stable `code` and the offending fields in `errors`. Lists use opaque cursors \
(`cursor`, `limit`). Reads carry a strong `ETag` (the version); send it back as `If-Match` to \
make a write conditional (412 when stale). GraphQL serves the same data at `/graphql`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        super::customers::list, super::customers::create, super::customers::get,
        super::customers::update, super::customers::delete, super::customers::restore,
        super::customers::reveal, super::customers::export, super::customers::merge,
        super::custom_fields::list, super::custom_fields::create, super::custom_fields::get,
        super::custom_fields::update, super::custom_fields::delete,
        super::ops::healthz, super::ops::readyz, super::ops::metrics,
        super::auth::login, super::auth::refresh, super::auth::logout,
        super::users::list, super::users::create, super::users::update,
        super::audit::list,
        super::api_keys::list, super::api_keys::create, super::api_keys::revoke,
        super::commerce::list_products, super::commerce::create_product,
        super::commerce::get_product, super::commerce::update_product,
        super::commerce::list_orders, super::commerce::create_order, super::commerce::get_order,
        super::commerce::update_order, super::commerce::customer_orders,
        super::commerce::create_customer_order, super::commerce::customer_stats,
        super::activity::list_interactions, super::activity::customer_interactions,
        super::activity::record_interaction, super::activity::get_interaction,
        super::activity::update_interaction,
        super::activity::list_surveys, super::activity::customer_surveys, super::activity::record_survey,
        super::activity::list_complaints, super::activity::customer_complaints,
        super::activity::open_complaint, super::activity::get_complaint,
        super::activity::update_complaint, super::activity::transition_complaint,
        super::activity::get_preferences, super::activity::put_preferences,
        super::activity::get_consents, super::activity::record_consent, super::activity::consent_history,
        super::activity::get_relationships, super::activity::link, super::activity::unlink,
        super::activity::get_loyalty, super::activity::put_loyalty,
        super::activity::points_ledger, super::activity::record_points,
        super::activity::get_timeline,
        super::analytics::customer_scores, super::analytics::fit, super::analytics::snapshot,
        super::analytics::refresh_snapshot, super::analytics::validation,
        super::analytics::list_segments, super::analytics::create_segment,
        super::analytics::get_segment, super::analytics::update_segment,
        super::analytics::delete_segment, super::analytics::segment_members,
        super::analytics::export_segment, super::analytics::overview,
        super::analytics::list_alert_rules, super::analytics::create_alert_rule,
        super::analytics::update_alert_rule, super::analytics::delete_alert_rule,
        super::analytics::list_alerts, super::analytics::evaluate_alerts,
        super::analytics::get_alert, super::analytics::acknowledge_alert,
        super::analytics::resolve_alert,
        super::quality::customer_duplicates, super::quality::report,
        super::quality::duplicate_pairs, super::quality::standardise,
        super::imports::upload, super::imports::list, super::imports::get,
        super::imports::rejects, super::imports::resume,
    ),
    components(schemas(
        Problem, FieldError, CustomerView, CustomerPage, CustomerInput, AddressView, AddressInput,
        IndividualView, IndividualInput, OrganizationView, OrganizationInput,
        CustomFieldView, CustomFieldInput, CustomFieldList,
        crate::types::audit::AuditView, crate::types::audit::AuditPage,
        crate::types::api_key::ApiKeyView, crate::types::api_key::CreatedApiKey,
        crate::types::api_key::CreateApiKeyRequest, crate::types::api_key::ApiKeyList, crate::domain::Scope,
        crate::types::customer::RevealRequest, crate::types::customer::RevealView,
        crate::types::commerce::ProductView, crate::types::commerce::ProductInput,
        crate::types::commerce::OrderView, crate::types::commerce::OrderItemView,
        crate::types::commerce::OrderInput, crate::types::commerce::OrderItemInput,
        crate::types::commerce::OrderPatch, crate::types::commerce::StatsView,
        super::records::ProductPage, super::records::OrderPage,
        crate::types::engagement::InteractionView, crate::types::engagement::InteractionInput,
        crate::types::engagement::SurveyView, crate::types::engagement::SurveyInput,
        crate::types::engagement::ComplaintView, crate::types::engagement::ComplaintEventView,
        crate::types::engagement::ComplaintInput, crate::types::engagement::ComplaintTransitionInput,
        crate::types::engagement::TimelineEntry,
        crate::types::relations::PreferencesView, crate::types::relations::PreferencesInput,
        crate::types::relations::ConsentView, crate::types::relations::ConsentEventView,
        crate::types::relations::ConsentInput, crate::types::relations::RelationshipView,
        crate::types::relations::RelationshipInput, crate::types::relations::LoyaltyView,
        crate::types::relations::LoyaltyInput, crate::types::relations::PointsEntryView,
        crate::types::relations::PointsInput,
        super::records::InteractionPage, super::records::SurveyPage, super::records::ComplaintPage,
        super::records::ConsentEventPage, super::records::PointsPage, super::records::TimelinePage,
        super::activity::ConsentList, super::activity::RelationshipList,
        UserView, super::users::UserList, CreateUserRequest, UserPatch, LoginRequest, RefreshRequest, SessionView,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "customers", description = "Individual and organization customers"),
        (name = "products", description = "The product catalogue"),
        (name = "scores", description = "Computed scores: RFM, churn (BG/NBD), lifetime value (Gamma-Gamma), loyalty, grade, lifecycle, completeness"),
        (name = "segments", description = "Saved filters over profile fields, tags and scores: members, counts, CSV export"),
        (name = "alerts", description = "Alert rules (overdue receivables, churn risk by grade, silent high-value customers, complaint SLAs) and the alerts they raise"),
        (name = "data quality", description = "Duplicate candidates and the data-quality report"),
        (name = "imports", description = "Bulk imports from CSV or NDJSON: jobs, progress, rejects, resume"),
        (name = "orders", description = "Orders (purchase records), receivables and purchase aggregates"),
        (name = "interactions", description = "Calls, e-mails, meetings, visits and messages"),
        (name = "surveys", description = "Satisfaction surveys (CSAT, NPS)"),
        (name = "complaints", description = "Complaints and their workflow"),
        (name = "consent", description = "Preferences and consent per channel, with history"),
        (name = "relationships", description = "Links between customers"),
        (name = "loyalty", description = "Membership tiers and the points ledger"),
        (name = "timeline", description = "One chronological feed per customer"),
        (name = "custom-fields", description = "Typed custom-field definitions"),
        (name = "auth", description = "Sign in, refresh, sign out"),
        (name = "users", description = "User administration (admin)"),
        (name = "audit", description = "The audit log (admin)"),
        (name = "api-keys", description = "Integration keys (admin)"),
        (name = "ops", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer access-token scheme every operation uses unless it says otherwise.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from POST /api/v1/auth/login, or an API key (dsk_…)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON, as served and as checked in under `schema/`.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}
