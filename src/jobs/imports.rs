//! Import jobs run in the background of the instance that accepted them.

use uuid::Uuid;

use crate::policy::Principal;
use crate::service::integration::import;
use crate::state::AppState;

/// Run a queued import job in the background of this server; its outcome is on the job.
pub fn spawn(state: AppState, principal: Principal, id: Uuid) {
    actix_web::rt::spawn(async move {
        if let Err(err) = import::run(&state, &principal, id, &|_| {}).await {
            tracing::warn!(import.id = %id, error = %err, "import stopped");
        }
    });
}
