//! Background work of a server instance: import jobs, and refitting the score models when
//! they are due and evaluating the alert rules, on a timer.

pub mod imports;

use crate::state::AppState;

/// Refit and refresh the snapshot whenever the newest fit is older than the configured
/// interval, and evaluate the alert rules: every quarter of an hour, and once at start.
/// Runs until the process stops; failures are logged and retried at the next check.
/// Each run is counted in `/metrics` (`dossier_job_runs_total`, and the time of the last
/// success).
pub async fn refit_schedule(state: AppState) {
    let (db, settings, metrics) = (&state.db, &state.settings, &state.http_metrics);
    loop {
        let refit = crate::service::analytics::scoring::refit_if_due(db, settings).await;
        if let Err(e) = &refit {
            tracing::warn!(error = %e, "scheduled refit failed");
        }
        metrics.job_ran("refit", refit.is_ok());
        let evaluated = crate::service::analytics::alerts::evaluate(db).await;
        match &evaluated {
            Ok(r) if r.raised + r.cleared > 0 => {
                tracing::info!(raised = r.raised, cleared = r.cleared, "alerts evaluated");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "alert evaluation failed"),
        }
        metrics.job_ran("alerts", evaluated.is_ok());
        tokio::time::sleep(std::time::Duration::from_secs(15 * 60)).await;
    }
}
