//! Which operations are expensive, and how many of them may run at once.
//!
//! An expensive operation reads or recomputes the whole customer base (or a segment of it)
//! and costs far more CPU and database time than a page of customers. A caller flooding
//! one must not slow everyone else down, so each runs only with an admission
//! (`service::shed`): at most [`Concurrency::per_principal`] at a time for one principal
//! and at most [`Concurrency::total`] in the whole process. Beyond either, the request is
//! refused at once with 503 `busy` and `Retry-After` ([`RETRY_AFTER`]) — never queued, so
//! neither memory nor waiting time grows with the flood.
//!
//! | operation | REST | GraphQL |
//! |---|---|---|
//! | score validation | `POST /api/v1/scores/validation` | `scoreValidation` |
//! | the overview | `GET /api/v1/overview` | `overview` |
//! | score fit | `POST /api/v1/scores/fit` | `fitScores` |
//! | score snapshot refresh | `POST /api/v1/scores/snapshot` | `refreshScoreSnapshot` |
//! | export | `GET /api/v1/customers/export`, `GET /api/v1/segments/{id}/export` | — |
//! | duplicate scan | `GET /api/v1/duplicates` | `duplicatePairs` |
//! | the data-quality report | `GET /api/v1/data-quality` | `dataQuality` |
//! | segment evaluation | `GET /api/v1/segments/{id}/members` | `Segment.members` |
//! | alert evaluation | `POST /api/v1/alerts/evaluate` | `evaluateAlerts` |
//! | standardising | `POST /api/v1/data-quality/standardise` | `standardiseCustomers` |
//!
//! The server's own background work (the scheduled refit) runs without an admission: it is
//! one job at a time by construction.

use super::principal::Principal;

/// Seconds a refused caller is told to wait before trying again.
pub const RETRY_AFTER: u64 = 2;

/// An operation that needs an admission to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expensive {
    /// Fitting the churn model on a past period and comparing it with what followed.
    ScoreValidation,
    /// The overview: counts, histograms, revenue and a ranking over every visible customer.
    Overview,
    /// Fitting both score models and rewriting every score.
    ScoreFit,
    /// Recomputing every customer's scores into the snapshot.
    SnapshotRefresh,
    /// Streaming customers or a segment's members as CSV or NDJSON.
    Export,
    /// Pairing customers that share an identifier.
    DuplicateScan,
    /// The data-quality report.
    QualityReport,
    /// A segment's filter over every customer.
    SegmentEvaluation,
    /// Evaluating every alert rule.
    AlertEvaluation,
    /// Standardising every customer's contact data.
    Standardise,
}

impl Expensive {
    /// The name used in logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::ScoreValidation => "score_validation",
            Self::Overview => "overview",
            Self::ScoreFit => "score_fit",
            Self::SnapshotRefresh => "snapshot_refresh",
            Self::Export => "export",
            Self::DuplicateScan => "duplicate_scan",
            Self::QualityReport => "quality_report",
            Self::SegmentEvaluation => "segment_evaluation",
            Self::AlertEvaluation => "alert_evaluation",
            Self::Standardise => "standardise",
        }
    }
}

/// How many expensive operations may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// For one principal (a user, an API key, the operator), all operations together.
    pub per_principal: usize,
    /// In the whole process, all principals together.
    pub total: usize,
}

impl Default for Concurrency {
    /// Two per principal, one per core in all.
    fn default() -> Self {
        Self {
            per_principal: 2,
            total: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        }
    }
}

/// The key one principal's admissions are counted under.
pub fn principal_key(principal: &Principal) -> String {
    principal.subject()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_two_per_principal_and_at_least_one_in_all() {
        let c = Concurrency::default();
        assert_eq!(c.per_principal, 2);
        assert!(c.total >= 1);
    }

    #[test]
    fn principals_are_counted_apart() {
        let a = Principal::user(uuid::Uuid::now_v7(), crate::domain::Role::Analyst);
        let b = Principal::user(uuid::Uuid::now_v7(), crate::domain::Role::Analyst);
        assert_ne!(principal_key(&a), principal_key(&b));
        assert_eq!(principal_key(&a), principal_key(&a.clone()));
    }
}
