//! Security headers on the way out. Every HTML page (`/docs/` Swagger UI, `/graphql`
//! GraphiQL) may not be framed (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`) and
//! runs under a Content-Security-Policy: its own, or the one below, which Swagger UI's page
//! needs (its scripts and styles are files of this server; its styles set inline
//! attributes and its icons are `data:` URIs). With `DOSSIER_HSTS` set, every response
//! carries it as `Strict-Transport-Security` (for a server behind a TLS-terminating proxy).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::state::AppState;

/// The policy of an HTML page that sets none of its own (Swagger UI).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn is_html(res: &ServiceResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Adds the security headers to the response.
///
/// # Errors
/// Whatever the inner service returns.
pub async fn security(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.settings.hsts.as_deref())
        .and_then(|v| HeaderValue::from_str(v).ok());
    let mut res = next.call(req).await?;
    if is_html(&res) {
        let headers = res.headers_mut();
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            );
        }
    }
    if let Some(hsts) = hsts {
        res.headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    Ok(res)
}
