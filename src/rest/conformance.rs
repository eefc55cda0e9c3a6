//! What every route does the same way, driven by the OpenAPI document so the contract and
//! the server cannot disagree: unknown query parameters are refused, HEAD answers wherever
//! GET does, OPTIONS lists the methods, and a CORS refusal is a problem document.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

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
