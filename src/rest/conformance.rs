//! What every route does the same way, driven by the OpenAPI document so the contract and
//! the server cannot disagree: unknown query parameters are refused, HEAD answers wherever
//! GET does, OPTIONS lists the methods, and a CORS refusal is a problem document. A NUL in
//! a query or path parameter or a header the server reads is refused before anything else.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::domain::text::has_nul;
use crate::error::AppError;

/// The methods the document has for a path template, in a stable order.
fn methods_of(pattern: &str) -> Vec<&'static str> {
    const ALL: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let params = super::openapi::query_parameters();
    ALL.into_iter()
        .filter(|m| params.contains_key(&((*m).to_owned(), pattern.to_owned())))
        .collect()
}

/// The `Allow` header for a path's methods: HEAD wherever GET, and OPTIONS everywhere.
fn allow(methods: &[&str]) -> String {
    let mut allow = methods.join(", ");
    if methods.contains(&"GET") {
        allow.push_str(", HEAD");
    }
    allow.push_str(", OPTIONS");
    allow
}

/// A parameter's name as it may appear in a message: short and printable, else nothing.
fn printable(name: &str) -> Option<&str> {
    (name.chars().count() <= 64 && name.chars().all(|c| !c.is_control())).then_some(name)
}

/// The request headers the server reads, each checked for NUL before any handler runs.
const READ_HEADERS: [&str; 6] = [
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-Id",
    "X-Api-Key",
    "Authorization",
];

/// A NUL (U+0000) in a query parameter (its name or value), the path or a header the
/// server reads: 400 naming it, with the rule of `domain::text` every other path applies.
fn nul_refusal(req: &ServiceRequest) -> Option<AppError> {
    let refused = |field: &str| {
        let error = crate::domain::text::nul_error(field);
        AppError::BadRequest {
            message: format!("invalid parameter `{field}`: {}", error.message),
            errors: vec![error],
        }
    };
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if has_nul(&name) || has_nul(&value) {
            let name = name.replace('\0', "");
            return Some(refused(printable(&name).unwrap_or("query")));
        }
    }
    // The path as sent: a NUL can only arrive percent-encoded. Named by the template's
    // parameter at that segment (`/custom-fields/{key}` → `key`), else `path`.
    let path = req.path();
    if path.contains("%00") {
        let pattern = req.match_pattern().unwrap_or_default();
        let name = path
            .split('/')
            .zip(pattern.split('/'))
            .find(|(segment, _)| segment.contains("%00"))
            .and_then(|(_, template)| template.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| name.split(':').next().unwrap_or(name).to_owned());
        return Some(refused(name.as_deref().unwrap_or("path")));
    }
    READ_HEADERS
        .into_iter()
        .find(|name| {
            req.headers()
                .get_all(*name)
                .any(|v| v.as_bytes().contains(&0))
        })
        .map(refused)
}

/// Checks the request against its operation in the document before any handler runs.
///
/// # Errors
/// Whatever the inner service returns.
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // HEAD is GET without the body; the HTTP layer drops the body of a HEAD response.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    if let Some(err) = nul_refusal(&req) {
        return Ok(req.error_response(err));
    }
    let Some(pattern) = req.match_pattern() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if req.method() == Method::OPTIONS {
        let methods = methods_of(&pattern);
        if !methods.is_empty() {
            let response = HttpResponse::NoContent()
                .insert_header((header::ALLOW, allow(&methods)))
                .finish();
            return Ok(req.into_response(response));
        }
    }
    let key = (req.method().as_str().to_owned(), pattern);
    let known = super::openapi::query_parameters();
    if !known.contains_key(&key) {
        let methods = methods_of(&key.1);
        if !methods.is_empty() {
            let response = AppError::MethodNotAllowed {
                allow: allow(&methods),
            }
            .error_response();
            return Ok(req.into_response(response));
        }
    }
    if let Some(allowed) = super::openapi::query_parameters().get(&key) {
        let unknown = form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(name, _)| name)
            .find(|name| !allowed.iter().any(|a| a == name));
        if let Some(name) = unknown {
            let expected = if allowed.is_empty() {
                "this operation takes no query parameters".to_owned()
            } else {
                format!("this operation takes only: {}", allowed.join(", "))
            };
            let err = match printable(&name) {
                Some(name) => AppError::bad_param(name, "unknown_parameter", expected),
                None => AppError::BadRequest {
                    message: format!("an unknown query parameter: {expected}"),
                    errors: Vec::new(),
                },
            };
            return Ok(req.error_response(err));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Renders a refusal of the CORS layer as problem+json instead of its plain text.
///
/// # Errors
/// Whatever the inner service returns.
pub async fn cors_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let refusal = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .map(ToString::to_string);
    match refusal {
        Some(reason) => {
            let (req, _) = res.into_parts();
            let response = AppError::CorsRefused { reason }.error_response();
            Ok(ServiceResponse::new(req, response))
        }
        None => Ok(res.map_into_boxed_body()),
    }
}
