//! Liveness and readiness.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::Problem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", operation_id = "ops_healthz", tag = "ops", security(()),
    responses((status = 200, description = "The server is up", body = Object, example = json!({"status": "ok"}))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers and no data is being loaded (`serve --demo` answers 503
/// `loading` until its demo data is in; `/healthz` answers meanwhile).
#[utoipa::path(get, path = "/readyz", operation_id = "ops_readyz", tag = "ops", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Object, example = json!({"status": "ready"})),
        (status = 503, description = "Not ready: the database is unreachable (`reason: database`) or data is still loading (`status: loading`)", body = Object,
            example = json!({"status": "loading", "reason": "demo data"}))))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.is_loading() {
        return HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
            .json(json!({"status": "loading", "reason": "demo data"}));
    }
    match crate::service::health::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "reason": "database"}))
        }
    }
}

/// Whether the caller may read `/metrics`: with `DOSSIER_METRICS_TOKEN` set, its bearer
/// token must be that one; without it, only a caller on this machine may.
fn may_scrape(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    match &state.settings.metrics_token {
        Some(expected) => {
            let sent = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            // Compare digests, so the time taken says nothing about the token.
            let same = Sha256::digest(sent.as_bytes()) == Sha256::digest(expected.as_bytes());
            if same {
                Ok(())
            } else {
                Err(AppError::Unauthenticated(
                    "send Authorization: Bearer <DOSSIER_METRICS_TOKEN>",
                ))
            }
        }
        // The client, not the peer: behind a proxy on this machine, a remote caller is not local.
        None if crate::auth::client::client_ip(req)
            .0
            .is_some_and(|ip| ip.is_loopback()) =>
        {
            Ok(())
        }
        None => Err(AppError::Forbidden(
            "metrics answer callers on this machine only; set DOSSIER_METRICS_TOKEN to scrape from elsewhere"
                .to_owned(),
        )),
    }
}

/// Prometheus metrics: requests by route template and status with their latency, requests
/// in flight, the database pool, SQL statements run, failed and the seconds spent in them,
/// imports (running, finished by kind and outcome, rows) and background jobs (runs by
/// outcome, last success). With `DOSSIER_METRICS_TOKEN` set it asks for that bearer token; without it it
/// answers callers on this machine only.
#[utoipa::path(get, path = "/metrics", operation_id = "ops_metrics", tag = "ops", security(()),
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"),
        (status = 401, description = "`DOSSIER_METRICS_TOKEN` is set and was not sent", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "No token is set and the caller is not on this machine", body = Problem, content_type = "application/problem+json")))]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    use std::sync::atomic::Ordering::Relaxed;
    may_scrape(&req, &state)?;
    if let Some((size, idle)) = crate::service::health::pool(&state.db) {
        state.http_metrics.pool(size, idle);
    }
    let m = &state.db_metrics;
    let mut body = format!(
        "# HELP dossier_db_statements_total SQL statements executed.\n\
         # TYPE dossier_db_statements_total counter\n\
         dossier_db_statements_total {}\n\
         # HELP dossier_db_statement_failures_total SQL statements that returned an error.\n\
         # TYPE dossier_db_statement_failures_total counter\n\
         dossier_db_statement_failures_total {}\n\
         # HELP dossier_db_statement_seconds_total Time spent executing SQL statements.\n\
         # TYPE dossier_db_statement_seconds_total counter\n\
         dossier_db_statement_seconds_total {:.6}\n",
        m.statements.load(Relaxed),
        m.failures.load(Relaxed),
        m.micros.load(Relaxed) as f64 / 1e6,
    );
    body.push_str(&state.http_metrics.encode());
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}
