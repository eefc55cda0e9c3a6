//! REST under `/api/v1`: thin handlers that parse, call `service`, and shape the response.

pub mod activity;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod body;
pub mod commerce;
pub mod conformance;
pub mod custom_fields;
pub mod customers;
pub mod deadline;
pub mod error;
pub mod headers;
pub mod idempotency;
pub mod imports;
pub mod observability;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod quality;
pub mod ratelimit;
pub mod records;
pub mod users;

use actix_web::{HttpRequest, http::header, web};

use crate::error::AppError;

/// Mount every REST route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::serve))
            .service(auth::scope())
            .service(users::scope())
            .service(audit::scope())
            .service(api_keys::scope())
            // Nested record routes first: `/customers/{id}/orders` must not fall into the
            // customer scope's 404.
            .configure(commerce::configure)
            .configure(activity::configure)
            .configure(analytics::configure)
            .configure(quality::configure)
            .configure(imports::configure)
            .service(customers::scope())
            .service(custom_fields::scope()),
    )
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics));
}

/// The strong entity tag of a resource version: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header demands, if any.
///
/// `*` matches any current version. A weak tag (`W/"7"`) or anything unparsable can never
/// match under the strong comparison RFC 9110 requires for `If-Match`, so it yields a
/// version no resource has.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, AppError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    let version = value.split(',').map(str::trim).find_map(|tag| {
        tag.strip_prefix('"')?
            .strip_suffix('"')?
            .parse::<i64>()
            .ok()
    });
    Ok(Some(version.unwrap_or(-1)))
}

/// Whether an `If-None-Match` header already names this version (weak comparison).
pub fn if_none_match(req: &HttpRequest, version: i64) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let current = etag(version);
    value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == current)
}

/// An optional RFC 3339 query parameter, named in the error when malformed.
pub fn time_param(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    raw.map(|v| {
        chrono::DateTime::parse_from_rfc3339(v.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                AppError::bad_param(
                    name,
                    "invalid_timestamp",
                    "must be an RFC 3339 timestamp such as 2026-01-31T00:00:00Z",
                )
            })
    })
    .transpose()
}
