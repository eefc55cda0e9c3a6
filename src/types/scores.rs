//! Computed scores as callers see them: RFM, churn, lifetime value, loyalty, grade,
//! lifecycle stage and profile completeness.

use async_graphql::{ComplexObject, ErrorExtensions, SimpleObject};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::analytics::bgnbd;
use crate::domain::{CustomerGrade, LifecycleStage, LoyaltyTier, RfmSegment, ScoreMethod};
use crate::types::time::{Date, Timestamp};

/// The fitted model scores were computed with.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ScoreModelRef")]
pub struct ModelRef {
    pub id: Uuid,
    /// `fitted`, or `insufficient_data` (churn then uses the RFM rules).
    pub status: String,
    /// The date the model was fitted as of.
    pub as_of: Date,
    pub fitted_at: Timestamp,
}

/// Recency, frequency and monetary value with their quintile scores (5 = best) and segment.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Rfm")]
pub struct RfmView {
    /// Days since the last purchase; null without purchases.
    pub recency_days: Option<i64>,
    /// Purchase days (several orders on one day are one purchase).
    pub frequency: i64,
    /// Spend in the base currency, decimal string (financial).
    pub monetary: Option<String>,
    pub r: Option<i32>,
    pub f: Option<i32>,
    /// Monetary quintile (financial).
    pub m: Option<i32>,
    /// Segment from R and the mean of F and M (financial: it uses M).
    pub segment: Option<RfmSegment>,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// What the churn model knows of one customer, for expectations over any horizon.
#[derive(Debug, Clone, Copy)]
pub struct ChurnBasis {
    pub params: bgnbd::Params,
    pub history: bgnbd::History,
}

/// Churn risk: 1 − P(alive) by the BG/NBD model, or by the rule min(1, days since the last
/// purchase / 365) without a fitted model and for one-off buyers (whom BG/NBD always deems
/// alive).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Churn", complex)]
pub struct ChurnView {
    pub method: ScoreMethod,
    /// Probability the customer is still active; null without a model, without purchases
    /// and for one-off buyers.
    pub p_alive: Option<f64>,
    /// 0–1; null for prospects.
    pub risk: Option<f64>,
    /// Expected purchase days within `horizon_days` (REST; GraphQL takes `days`).
    #[graphql(skip)]
    pub expected_purchases: Option<f64>,
    #[graphql(skip)]
    pub horizon_days: i32,
    #[graphql(skip)]
    #[serde(skip)]
    pub basis: Option<ChurnBasis>,
}

#[ComplexObject]
impl ChurnView {
    /// Expected purchase days in the next `days` (1–3650); null without a model.
    async fn expected_purchases(
        &self,
        #[graphql(default = 90)] days: i32,
    ) -> async_graphql::Result<Option<f64>> {
        let days = crate::domain::horizon::horizon_days("days", days).map_err(|e| e.extend())?;
        Ok(self
            .basis
            .and_then(|b| bgnbd::expected_purchases(&b.params, &b.history, f64::from(days))))
    }
}

/// Customer lifetime value over a horizon (financial).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "LifetimeValue")]
pub struct LifetimeValueView {
    pub months: i32,
    /// Discounted expected spend, decimal string; null without a model or clearance.
    pub value: Option<String>,
    /// Expected value of one purchase (Gamma-Gamma), decimal string.
    pub expected_order_value: Option<String>,
    pub currency: String,
    /// Monthly discount rate applied.
    pub monthly_discount: f64,
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// One weighted part of the loyalty score.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "LoyaltyComponent")]
pub struct LoyaltyComponentView {
    /// recency, frequency, monetary, tenure, satisfaction, complaints or referrals.
    pub name: String,
    /// 0–1.
    pub value: f64,
    /// The weights sum to 1.
    pub weight: f64,
}

/// Loyalty 0–100 with the components it is computed from, and the membership tier.
///
/// The score and its components are financial: one component is the spend percentile, and
/// the score minus the other weighted components gives it back. Without financial clearance
/// both are null (and listed in the scores' `masked` as `loyalty.score` and
/// `loyalty.components`).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "LoyaltyScore")]
pub struct LoyaltyScoreView {
    /// 0–100 (financial).
    pub score: Option<f64>,
    pub tier: Option<LoyaltyTier>,
    /// The weighted components, whole or not at all (financial).
    pub components: Option<Vec<LoyaltyComponentView>>,
}

/// Every score of one customer, as of a date.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "CustomerScores")]
pub struct ScoresView {
    pub customer_id: Uuid,
    /// The date the scores describe (today unless asked for a past date).
    pub as_of: Date,
    /// The model used; null when none was fitted by `as_of`.
    pub model: Option<ModelRef>,
    pub rfm: RfmView,
    pub churn: ChurnView,
    /// Null for prospects (no purchase yet).
    pub lifetime_value: Option<LifetimeValueView>,
    pub loyalty: LoyaltyScoreView,
    /// By spend percentile among buyers (financial); prospects are D.
    pub grade: Option<CustomerGrade>,
    pub lifecycle_stage: LifecycleStage,
    /// Share of the profile's fields that are filled, 0–100 (contact: it tells which
    /// contact fields are on file; null without full contact clearance).
    pub completeness: Option<i32>,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// The score snapshot segment filters and the overview read.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ScoreSnapshot")]
pub struct SnapshotView {
    /// When it was last refreshed; null before the first refresh.
    pub computed_at: Option<Timestamp>,
    /// Customers in it.
    pub customers: i64,
    /// The model it was computed with.
    pub model: Option<ModelRef>,
}

/// Customers sharing one value.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "OverviewBucket")]
pub struct Bucket {
    /// The value (segment, grade or stage); `none` for customers without one.
    pub key: String,
    pub customers: i64,
}

/// Customers whose churn risk lies in [from, to) (the last bin includes 1).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "RiskBin")]
pub struct RiskBin {
    pub from: f64,
    pub to: f64,
    pub customers: i64,
}

/// A customer ranked by lifetime value.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "TopCustomer")]
pub struct TopCustomer {
    pub customer_id: Uuid,
    pub display_name: String,
    /// Over the snapshot's 12 months, decimal string.
    pub lifetime_value: String,
}

/// Revenue of one month through one channel (counted orders in the base currency).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "RevenueRow")]
pub struct RevenueRow {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub channel: String,
    pub orders: i64,
    /// Decimal string.
    pub revenue: String,
}

/// The customer base at a glance: counts by RFM segment, grade and lifecycle stage, the
/// churn-risk histogram (from the score snapshot), the top customers by lifetime value and
/// revenue by month and channel. A sales user sees their own customers only; money needs
/// financial clearance.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Overview")]
pub struct OverviewView {
    pub snapshot: SnapshotView,
    /// Customers in the snapshot the caller can see.
    pub customers: i64,
    /// Null without financial clearance (segments use spend).
    pub by_rfm_segment: Option<Vec<Bucket>>,
    /// Null without financial clearance.
    pub by_grade: Option<Vec<Bucket>>,
    pub by_lifecycle_stage: Vec<Bucket>,
    /// Ten bins of 0.1; prospects (no risk) are not counted.
    pub churn_risk_histogram: Vec<RiskBin>,
    /// Null without financial clearance.
    pub top_lifetime_value: Option<Vec<TopCustomer>>,
    /// The last `months` months, oldest first; null without financial clearance.
    pub revenue_by_month: Option<Vec<RevenueRow>>,
    pub currency: String,
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A fit and the snapshot refreshed with it.
#[derive(Debug, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ScoreFit")]
pub struct FitResponse {
    /// Null when there are no orders yet (scores use the rules).
    pub fit: Option<FitReport>,
    pub snapshot: SnapshotView,
}

/// Body of `POST /scores/fit`.
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// Fit on orders up to the end of this date (default today).
    pub as_of: Option<chrono::NaiveDate>,
}

/// Body of `POST /scores/validation`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationRequest {
    /// The model is fitted on orders up to the end of this date.
    pub calibration_end: chrono::NaiveDate,
    /// Predictions are compared with the purchases after `calibration_end` up to this date.
    pub holdout_end: chrono::NaiveDate,
}

/// BG/NBD parameters as printed.
#[derive(
    Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema, async_graphql::SimpleObject,
)]
#[graphql(name = "BgNbdParams")]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Gamma-Gamma parameters as printed.
#[derive(
    Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema, async_graphql::SimpleObject,
)]
#[graphql(name = "GammaGammaParams")]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// Quintile cut points of the buyers' RFM values at a fit's as-of date, so one customer can
/// be scored against the population without reading it.
#[derive(
    Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema, async_graphql::SimpleObject,
)]
#[graphql(name = "RfmCuts")]
pub struct RfmCuts {
    pub recency_days: [f64; 4],
    pub frequency: [f64; 4],
    pub monetary: [f64; 4],
}

/// The outcome of a fit, as stored and as printed by `dossier scores fit --json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "FitReport")]
pub struct FitReport {
    pub id: Uuid,
    /// `fitted`, or `insufficient_data` (scores then use the RFM rules).
    pub status: String,
    pub bgnbd: Option<BgNbdParams>,
    pub gamma_gamma: Option<GammaGammaParams>,
    pub time_unit: &'static str,
    pub as_of: crate::types::time::Date,
    /// Customers with at least one counted purchase by the as-of date.
    pub customers: usize,
    pub repeat_buyers: usize,
    /// RFM quintile cut points among buyers at the as-of date.
    pub rfm_cuts: Option<RfmCuts>,
    /// The 1st … 99th percentiles of buyers' spend, to rank one customer for the grade.
    pub value_quantiles: Option<Vec<f64>>,
    /// BG/NBD log-likelihood at the estimate.
    pub log_likelihood: Option<f64>,
    pub gamma_gamma_log_likelihood: Option<f64>,
    /// Iterations the BG/NBD search took (bounded L-BFGS, and Nelder–Mead after it when
    /// it did not converge).
    pub bgnbd_iterations: Option<usize>,
    /// Iterations the Gamma-Gamma search took.
    pub gamma_gamma_iterations: Option<usize>,
    pub fit_seconds: f64,
    pub fitted_at: crate::types::time::Timestamp,
    /// Why a model was not fitted, when it was not.
    pub message: Option<String>,
    /// How to read parameters that ran to a boundary of the parameter space.
    pub notes: Vec<String>,
}
