//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use serde_json::{Value, json};
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
        super::auth::login, super::auth::refresh, super::auth::logout, super::auth::change_password,
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
        super::params::CustomerSort, super::params::CustomerInclude, super::params::RecordExpand, super::params::DuplicatesMode,
        super::params::FileFormat, super::params::ImportKind, super::params::RejectFormat,
        super::params::ImportMapping,
        UserView, super::users::UserList, CreateUserRequest, UserPatch, LoginRequest, RefreshRequest, SessionView,
        crate::types::user::ChangePasswordRequest,
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

/// The document as pretty JSON, as served and as checked in under `schema/`: the handlers'
/// annotations, completed by [`complete`] with what every operation shares.
pub fn document() -> &'static str {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        complete(&mut doc);
        serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
    });
    &DOCUMENT
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=300",
        ))
        .body(document())
}

/// The query parameters each operation declares, by method and path template, for the
/// check that refuses any other (a typo must never widen a result).
pub fn query_parameters() -> &'static std::collections::HashMap<(String, String), Vec<String>> {
    static PARAMS: std::sync::LazyLock<std::collections::HashMap<(String, String), Vec<String>>> =
        std::sync::LazyLock::new(|| {
            let doc: Value = serde_json::from_str(document()).unwrap_or_default();
            let mut map = std::collections::HashMap::new();
            for (path, item) in doc["paths"].as_object().into_iter().flatten() {
                for (method, op) in item.as_object().into_iter().flatten() {
                    let names = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect();
                    map.insert((method.to_ascii_uppercase(), path.clone()), names);
                }
            }
            map
        });
    &PARAMS
}

const PROBLEM: &str = "application/problem+json";

/// Statuses every operation of a kind can answer, as shared responses.
const SHARED_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "A query parameter the operation does not have or a malformed one, or a body that is not \
         JSON; the parameter is named in `errors`",
    ),
    (
        "401",
        "Unauthenticated",
        "No credentials, or an expired, revoked or malformed token or key",
    ),
    (
        "403",
        "Forbidden",
        "The caller's role or key scopes do not allow this",
    ),
    (
        "404",
        "NotFound",
        "No such resource among those the caller may see",
    ),
    (
        "409",
        "Conflict",
        "The request conflicts with the resource's state",
    ),
    (
        "412",
        "PreconditionFailed",
        "`If-Match` names a version that is no longer current; the current one is in `ETag` and \
         `current_version`",
    ),
    (
        "408",
        "RequestTimeout",
        "The request body did not arrive within `DOSSIER_BODY_TIMEOUT_MS`",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than the server accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not of a media type the operation accepts",
    ),
    (
        "422",
        "ValidationFailed",
        "Fields break the operation's rules; each is named in `errors` with its rule",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests: the caller's request bucket is empty (`rate_limited`; per user or \
         API key, per client IP without valid credentials; a GraphQL operation also pays for its \
         cost), or a limit kept in the database is reached (`harvest_limit`: customers received \
         by a caller who does not see their contact fields in full; sign-in and export limits); \
         `Retry-After` says when to try again",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The server is too busy to answer now (no database connection free in time, a \
         statement or lock wait over its limit, the request over its deadline, or — `busy` — \
         too many password checks or expensive operations running); `Retry-After` says when \
         to try again",
    ),
];

/// Schemas whose responses carry the resource's version as a strong `ETag`.
const VERSIONED: &[&str] = &[
    "AlertRuleView",
    "ComplaintView",
    "CustomFieldView",
    "CustomerView",
    "InteractionView",
    "LoyaltyView",
    "MergeView",
    "OrderView",
    "PreferencesView",
    "ProductView",
    "SegmentView",
    "UserView",
];

/// Inputs shared by creation and a merge-patch update: created with these fields required,
/// patched (as `…Patch`) with none.
const CREATE_REQUIRED: &[(&str, &[&str])] = &[
    ("CustomerInput", &["kind", "display_name"]),
    ("CustomFieldInput", &["key", "label", "type"]),
    ("ProductInput", &["sku", "name", "list_price"]),
    ("InteractionInput", &["type"]),
    ("ComplaintInput", &["category", "severity", "subject"]),
];

/// Completes the generated document with what the operations share, so that no operation
/// can forget it: the problem responses each can answer (401 and 403 when it needs a
/// credential, 400 for every query, 413/415/422 for every body), response headers, creation
/// schemas with their required fields apart from patch schemas, and typed free-form values.
fn complete(doc: &mut Value) {
    inline_scalars(doc);
    shared_components(doc);
    let mut patch_inputs = std::collections::BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for (method, op) in item.as_object_mut().into_iter().flatten() {
                complete_operation(method, op, &mut patch_inputs);
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    for (name, required) in CREATE_REQUIRED {
        let input = schemas[*name].clone();
        if input.is_null() {
            continue;
        }
        if patch_inputs.contains(*name) {
            let mut patch = input;
            if let Some(obj) = patch.as_object_mut() {
                obj.remove("required");
                let base = name.trim_end_matches("Input");
                obj.insert(
                    "description".into(),
                    json!(format!(
                        "A JSON merge patch (RFC 7396) of a {base}: only what changes, `null` to clear."
                    )),
                );
            }
            schemas[format!("{}Patch", name.trim_end_matches("Input"))] = patch;
        }
        schemas[*name]["required"] = json!(required);
        // A required field of a creation is not null either.
        for field in *required {
            let prop = schemas
                .get_mut(*name)
                .and_then(|s| s.get_mut("properties"))
                .and_then(|p| p.get_mut(*field));
            if let Some(prop) = prop {
                not_null(prop);
            }
        }
    }
    free_form_values(schemas);
}

/// Wire types that are strings with a format (`types::time`), shown inline as chrono's
/// types are rather than as components: `{"type": "string", "format": "date-time"}`, and
/// `"type": ["string", "null"]` where the field is optional.
const INLINE_SCALARS: &[&str] = &["Timestamp", "Date"];

fn inline_scalars(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let inline: Vec<(String, Value)> = INLINE_SCALARS
        .iter()
        .filter_map(|name| {
            let schema = schemas.shift_remove(*name)?;
            Some((format!("#/components/schemas/{name}"), schema))
        })
        .collect();
    if !inline.is_empty() {
        inline_refs(doc, &inline);
    }
}

fn inline_refs(value: &mut Value, inline: &[(String, Value)]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| inline_refs(v, inline)),
        Value::Object(map) => {
            inline_one(map, inline);
            map.values_mut().for_each(|v| inline_refs(v, inline));
        }
        _ => {}
    }
}

/// `{"$ref": S, …}` → S's schema with the rest; `{"oneOf": [{"type": "null"}, {"$ref": S,
/// …}], …}` → the same with `null` added to its type.
fn inline_one(map: &mut serde_json::Map<String, Value>, inline: &[(String, Value)]) {
    let scalar = |v: &Value| {
        let target = v.get("$ref")?.as_str()?;
        inline
            .iter()
            .find(|(r, _)| r == target)?
            .1
            .as_object()
            .cloned()
    };
    let (mut out, rest) = if let Some(schema) = scalar(&Value::Object(map.clone())) {
        (schema, std::mem::take(map))
    } else {
        let nullable = match map.get("oneOf").and_then(Value::as_array) {
            Some(options) if options.len() == 2 && options[0] == json!({"type": "null"}) => {
                scalar(&options[1]).map(|schema| (schema, options[1].clone()))
            }
            _ => None,
        };
        let Some((mut schema, Value::Object(item))) = nullable else {
            return;
        };
        if let Some(t) = schema.get("type").cloned() {
            schema.insert("type".into(), json!([t, "null"]));
        }
        map.shift_remove("oneOf");
        schema.extend(item);
        (schema, std::mem::take(map))
    };
    out.extend(rest);
    out.shift_remove("$ref");
    *map = out;
}

fn shared_components(doc: &mut Value) {
    let components = &mut doc["components"];
    for (_, name, description) in SHARED_RESPONSES {
        let mut response = json!({
            "description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        });
        match *name {
            "Unauthenticated" => {
                response["headers"] =
                    json!({"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}});
            }
            "PreconditionFailed" => {
                response["headers"] = json!({"ETag": {"$ref": "#/components/headers/ETag"}});
            }
            "TooManyRequests" => {
                response["headers"] = json!({
                    "Retry-After": {"$ref": "#/components/headers/Retry-After"},
                    "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
                    "RateLimit": {"$ref": "#/components/headers/RateLimit"},
                });
            }
            "ServiceUnavailable" => {
                response["headers"] =
                    json!({"Retry-After": {"$ref": "#/components/headers/Retry-After"}});
            }
            _ => {}
        }
        response["headers"]["X-Request-Id"] = json!({"$ref": "#/components/headers/X-Request-Id"});
        components["responses"][*name] = response;
    }
    components["headers"] = json!({
        "ETag": {"description": "The resource's version as a strong entity tag, e.g. `\"7\"`; send it back in `If-Match`.",
                 "schema": {"type": "string"}},
        "Location": {"description": "Where the created resource can be read.",
                     "schema": {"type": "string", "format": "uri-reference"}},
        "Retry-After": {"description": "Seconds to wait before trying again.",
                        "schema": {"type": "integer", "minimum": 0}},
        "WWW-Authenticate": {"description": "The bearer challenge.", "schema": {"type": "string"}},
        "X-Request-Id": {"description": "The request's id, as in the server's log lines: a trusted proxy's (`DOSSIER_TRUSTED_PROXIES`), or one made up.",
                         "schema": {"type": "string"}},
        "Idempotent-Replayed": {"description": "`true` when this is the stored response of an earlier request with the same `Idempotency-Key`.",
                                "schema": {"type": "string", "enum": ["true"]}},
        "RateLimit-Policy": {"description": "The request bucket this response was charged to (draft-ietf-httpapi-ratelimit-headers-09): `\"default\";q=<size>;w=<seconds to refill from empty>`, e.g. `\"default\";q=100;w=5`. Per user or API key, per client IP without valid credentials; kept by each server instance.",
                             "schema": {"type": "string"}},
        "RateLimit": {"description": "What is left of that bucket: `\"default\";r=<tokens left>;t=<seconds until it is full again>`, e.g. `\"default\";r=57;t=3`. A request takes one token, a GraphQL operation one more per 250 units of its cost.",
                      "schema": {"type": "string"}},
    });
}

fn complete_operation(
    method: &str,
    op: &mut Value,
    patch_inputs: &mut std::collections::BTreeSet<String>,
) {
    let public = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
    });
    let has_body = op.get("requestBody").is_some();
    // Header, path and query values are never JSON null.
    let params = op.get_mut("parameters").and_then(Value::as_array_mut);
    for param in params.into_iter().flatten() {
        let name = param["name"].as_str().unwrap_or_default().to_owned();
        let Some(schema) = param.get_mut("schema") else {
            continue;
        };
        if name == "Idempotency-Key" {
            schema["pattern"] = json!("^[A-Za-z0-9._:-]{1,255}$");
        }
        not_null(schema);
    }
    let mut shared = vec!["400", "429", "503"];
    if !public {
        shared.extend(["401", "403"]);
    }
    if has_body {
        shared.extend(["408", "413", "415", "422"]);
    }
    let has_path_id = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["in"] == "path");
    if has_path_id {
        shared.push("404");
    }
    let conditional = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["in"] == "header" && p["name"] == "If-Match");
    if conditional {
        shared.push("412");
    }
    // A retry that waited past the database's lock timeout for the first request with its key.
    let keyed = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key");
    if keyed {
        shared.push("409");
    }
    let responses = &mut op["responses"];
    for status in shared {
        if responses.get(status).is_none() {
            let name = SHARED_RESPONSES
                .iter()
                .find(|(s, ..)| *s == status)
                .map_or("BadRequest", |(_, name, _)| *name);
            responses[status] = json!({"$ref": format!("#/components/responses/{name}")});
        }
    }
    for (status, response) in responses.as_object_mut().into_iter().flatten() {
        if response.get("$ref").is_some() {
            continue;
        }
        let schema_ref = response["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let headers = &mut response["headers"];
        headers["X-Request-Id"] = json!({"$ref": "#/components/headers/X-Request-Id"});
        if (status == "200" || status == "201") && VERSIONED.contains(&schema_ref.as_str()) {
            headers["ETag"] = json!({"$ref": "#/components/headers/ETag"});
        }
        if status == "201" {
            headers["Location"] = json!({"$ref": "#/components/headers/Location"});
            headers["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/Idempotent-Replayed"});
        }
        if status == "412" {
            headers["ETag"] = json!({"$ref": "#/components/headers/ETag"});
        }
        if status == "429" || status == "503" {
            headers["Retry-After"] = json!({"$ref": "#/components/headers/Retry-After"});
        }
        headers["RateLimit-Policy"] = json!({"$ref": "#/components/headers/RateLimit-Policy"});
        headers["RateLimit"] = json!({"$ref": "#/components/headers/RateLimit"});
        if status == "401" {
            headers["WWW-Authenticate"] = json!({"$ref": "#/components/headers/WWW-Authenticate"});
        }
        let empty = headers.as_object().is_some_and(serde_json::Map::is_empty) || headers.is_null();
        if let Some(obj) = response.as_object_mut().filter(|_| empty) {
            obj.remove("headers");
        }
    }
    // A merge patch reads the same fields as creation, none of them required.
    if method == "patch" {
        let contents = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut);
        for content in contents.into_iter().flat_map(|c| c.values_mut()) {
            let Some(name) = content["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_owned)
            else {
                continue;
            };
            if CREATE_REQUIRED.iter().any(|(n, _)| *n == name) {
                content["schema"]["$ref"] = json!(format!(
                    "#/components/schemas/{}Patch",
                    name.trim_end_matches("Input")
                ));
                patch_inputs.insert(name);
            }
        }
    }
}

/// Values that are JSON by nature get a schema that says what they may hold; a generated
/// client must not read them as empty objects.
fn free_form_values(schemas: &mut Value) {
    schemas["CustomFieldValue"] = json!({
        "description": "A custom field's value: text, date (`YYYY-MM-DD`), decimal (a string) and enum as a \
                        string; number as a number; bool as a boolean; multi_enum as a list of strings.",
        "oneOf": [
            {"type": "string"}, {"type": "number"}, {"type": "boolean"},
            {"type": "array", "items": {"type": "string"}}
        ]
    });
    schemas["ConditionValue"] = json!({
        "description": "A string or number; a list of them for `in` and `not_in`.",
        "oneOf": [
            {"type": "string"}, {"type": "number"},
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "number"}]}}
        ]
    });
    let typed: &[(&str, &str, Value)] = &[
        (
            "CustomerView",
            "custom",
            json!({"oneOf": [{"$ref": "#/components/schemas/CustomFieldValue"}, {"type": "null"}]}),
        ),
        (
            "CustomerInput",
            "custom",
            json!({"oneOf": [{"$ref": "#/components/schemas/CustomFieldValue"}, {"type": "null"}]}),
        ),
        ("IndividualInput", "social", json!({"type": "string"})),
        ("IndividualView", "social", json!({"type": "string"})),
        ("MergeView", "moved", json!({"type": "integer"})),
    ];
    for (schema, property, values) in typed {
        for name in [(*schema).to_owned(), schema.replace("Input", "Patch")] {
            let prop = schemas
                .get_mut(&name)
                .and_then(|s| s.get_mut("properties"))
                .and_then(|p| p.get_mut(*property));
            if let Some(prop) = prop.filter(|p| p.is_object()) {
                prop["additionalProperties"] = values.clone();
            }
        }
    }
    let alert_params = json!({
        "type": "object",
        "description": "By kind: `overdue_receivable` takes `days`; `churn_risk` takes `threshold` and `grades`; \
                        `no_contact` takes `days` and `grades`; `complaint_sla` takes none.",
        "properties": {
            "days": {"type": "integer", "minimum": 0, "maximum": 3650},
            "threshold": {"type": "number", "minimum": 0, "maximum": 1},
            "grades": {"type": "array", "items": {"$ref": "#/components/schemas/CustomerGrade"}}
        },
        "additionalProperties": false
    });
    // A rule's parameters default by its kind.
    if let Some(required) = schemas["AlertRuleInput"]
        .get_mut("required")
        .and_then(Value::as_array_mut)
    {
        required.retain(|r| r != "params");
    }
    for name in ["AlertRuleInput", "AlertRuleView"] {
        if let Some(params) = schemas
            .get_mut(name)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut("params"))
        {
            let description = params.get("description").cloned();
            *params = alert_params.clone();
            if let Some(description) = description {
                params["description"] = description;
            }
        }
    }
    if let Some(value) = schemas["SegmentCondition"]["properties"].get_mut("value") {
        *value = json!({"$ref": "#/components/schemas/ConditionValue"});
    }
    any_free_form(schemas);
}

/// The schema without its `null` alternative.
fn not_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get_mut(key).and_then(Value::as_array_mut) {
            options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
            if options.len() == 1 {
                let only = options[0].clone();
                if let Some(obj) = schema.as_object_mut() {
                    obj.remove(key);
                    if let Some(only) = only.as_object() {
                        obj.extend(only.clone());
                    }
                }
            }
        }
    }
}

/// Every other object without declared properties holds any JSON values.
fn any_free_form(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            let object = match obj.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if object
                && !obj.contains_key("properties")
                && !obj.contains_key("additionalProperties")
            {
                obj.insert("additionalProperties".into(), json!({}));
            }
            for v in obj.values_mut() {
                any_free_form(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(any_free_form),
        _ => {}
    }
}
