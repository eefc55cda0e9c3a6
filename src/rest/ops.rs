//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", operation_id = "ops_healthz", tag = "ops", security(()),
    responses((status = 200, description = "The server is up", body = Object, example = json!({"status": "ok"}))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "ops_readyz", tag = "ops", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Object, example = json!({"status": "ready"})),
        (status = 503, description = "The database is unreachable", body = Object)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "reason": "database"}))
        }
    }
}

/// Prometheus metrics: SQL statements run, failed, and seconds spent in them.
#[utoipa::path(get, path = "/metrics", operation_id = "ops_metrics", tag = "ops", security(()),
    responses((status = 200, description = "Prometheus text exposition format", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &state.db_metrics;
    let body = format!(
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
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
