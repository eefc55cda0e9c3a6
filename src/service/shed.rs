//! The load shedder: admissions for the operations `policy::cost` calls expensive, and the
//! way CPU-bound work leaves the async workers.
//!
//! [`Shedder::admit`] never waits. A principal already running its share, or a process
//! already running its total, is refused at once with `Busy` (503 + `Retry-After`), so a
//! flood of expensive requests costs the server a refusal each instead of a queue that
//! grows, and a cheap request meanwhile finds the workers and the pool free. The
//! [`Admission`] it hands out is released when dropped: when the use case returns, or when
//! an export's stream ends or its client goes away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::cost::{self, Concurrency, Expensive};

/// Admissions running now, per principal.
type Running = Arc<Mutex<HashMap<String, usize>>>;

/// Counts the expensive operations running, per principal and in all.
#[derive(Debug)]
pub struct Shedder {
    total: Arc<Semaphore>,
    running: Running,
    per_principal: usize,
}

impl Default for Shedder {
    fn default() -> Self {
        Self::new(Concurrency::default())
    }
}

/// The right to run one expensive operation; released when dropped.
#[derive(Debug)]
pub struct Admission {
    _permit: OwnedSemaphorePermit,
    key: String,
    running: Running,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = running.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.key);
            }
        }
    }
}

impl Shedder {
    /// At most `limits.per_principal` per principal and `limits.total` in all (each at
    /// least one).
    pub fn new(limits: Concurrency) -> Self {
        Self {
            total: Arc::new(Semaphore::new(limits.total.max(1))),
            running: Arc::default(),
            per_principal: limits.per_principal.max(1),
        }
    }

    /// Admit `principal` to run `operation` now, or refuse.
    ///
    /// # Errors
    /// `Busy` (with [`cost::RETRY_AFTER`]) when the principal or the process is already
    /// running as many expensive operations as allowed.
    pub fn admit(&self, principal: &Principal, operation: Expensive) -> AppResult<Admission> {
        let key = cost::principal_key(principal);
        let busy = |scope: &'static str| {
            tracing::warn!(
                operation = operation.name(),
                principal = principal.label,
                scope,
                "expensive operation refused: too many running"
            );
            Err(AppError::Busy {
                retry_after: cost::RETRY_AFTER,
            })
        };
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = running.get(&key).copied().unwrap_or(0);
        if mine >= self.per_principal {
            return busy("principal");
        }
        let Ok(permit) = Arc::clone(&self.total).try_acquire_owned() else {
            return busy("process");
        };
        running.insert(key.clone(), mine + 1);
        Ok(Admission {
            _permit: permit,
            key,
            running: Arc::clone(&self.running),
        })
    }
}

/// Run CPU-bound `work` on the blocking pool, off the async workers.
///
/// # Errors
/// What `work` returns; `Internal` if it panicked.
pub async fn cpu<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn analyst() -> Principal {
        Principal::user(uuid::Uuid::now_v7(), Role::Analyst)
    }

    #[test]
    fn a_principal_gets_its_share_and_no_more_until_one_ends() {
        let shed = Shedder::new(Concurrency {
            per_principal: 2,
            total: 10,
        });
        let (a, b) = (analyst(), analyst());
        let first = shed.admit(&a, Expensive::Overview);
        let second = shed.admit(&a, Expensive::Export);
        assert!(first.is_ok() && second.is_ok());
        assert!(matches!(
            shed.admit(&a, Expensive::Overview),
            Err(AppError::Busy { retry_after: 2 })
        ));
        assert!(
            shed.admit(&b, Expensive::Overview).is_ok(),
            "another principal"
        );
        drop(first);
        assert!(shed.admit(&a, Expensive::Overview).is_ok(), "free again");
    }

    #[test]
    fn the_process_total_holds_across_principals() {
        let shed = Shedder::new(Concurrency {
            per_principal: 2,
            total: 1,
        });
        let held = shed.admit(&analyst(), Expensive::QualityReport);
        assert!(held.is_ok());
        assert!(matches!(
            shed.admit(&analyst(), Expensive::QualityReport),
            Err(AppError::Busy { .. })
        ));
        drop(held);
        assert!(shed.admit(&analyst(), Expensive::QualityReport).is_ok());
        assert!(
            shed.running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty(),
            "nothing left counted"
        );
    }
}
