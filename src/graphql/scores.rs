//! Computed scores on `Customer` and `Loyalty`: one batch per distinct `asOf` in a request,
//! primed from the customer list so a page costs a fixed number of statements.

use async_graphql::{ComplexObject, Context, Object, Result};
use uuid::Uuid;

use super::connections::{AlertConnection, SegmentMemberConnection, gql, relay_window, window};
use super::cost;
use super::loaders::{RequestLoader, ScoreKey, scores_of};
use crate::domain::{AlertKind, AlertStatus};
use crate::service::analytics::alerts;
use crate::service::analytics::scoring::{self};
use crate::service::analytics::segments;
use crate::types::alerts::{AlertRuleInput, AlertRuleView, AlertView, EvaluationView};
use crate::types::relations::LoyaltyView;
use crate::types::scores::LoyaltyComponentView;
use crate::types::scores::{OverviewView, SnapshotView};
use crate::types::segments::{SegmentInput, SegmentView};
use crate::types::time::Date;

#[ComplexObject]
impl LoyaltyView {
    /// Loyalty score 0–100 (see `components`); financial (one component is the spend
    /// percentile): null without financial clearance.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn score(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Option<f64>> {
        let (_, principal) = super::context(ctx)?;
        let c = scores_of(ctx, self.customer_id, as_of).await?;
        Ok(scoring::loyalty_view(&c, principal).score)
    }

    /// The weighted components of the score, whole or not at all: null without financial
    /// clearance (the score less the other components gives the monetary one back).
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn components(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> Result<Option<Vec<LoyaltyComponentView>>> {
        let (_, principal) = super::context(ctx)?;
        let c = scores_of(ctx, self.customer_id, as_of).await?;
        Ok(scoring::loyalty_view(&c, principal).components)
    }

    /// Fields this caller may not read in full.
    async fn masked_fields(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let (_, principal) = super::context(ctx)?;
        let mut masked = self.masked.clone();
        masked.extend(scoring::loyalty_withheld(principal));
        Ok(masked)
    }
}

// ---------------------------------------------------------------------------------------
// Segments and the snapshot

#[ComplexObject]
impl SegmentView {
    /// Members (by id), each with its current scores: forwards with `first`/`after`,
    /// backwards with `last`/`before`.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, cost::SEGMENT_MEMBERS)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
    ) -> Result<SegmentMemberConnection> {
        let (state, principal) = super::context(ctx)?;
        let w = relay_window(first, after, last, before)?;
        Ok(segments::members(state, principal, self.id, &w)
            .await
            .map_err(gql)?
            .into())
    }
}

/// Which alerts to list.
#[derive(Debug, Default, async_graphql::InputObject)]
pub struct AlertFilterInput {
    pub status: Option<AlertStatus>,
    pub kind: Option<AlertKind>,
    pub customer_id: Option<Uuid>,
    pub rule_id: Option<Uuid>,
}

/// Queries of segments, the score snapshot, the overview and alerts.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// Every segment the caller may use, by name, with its current size.
    #[graphql(complexity = "cost::fixed(cost::SEGMENTS, child_complexity)")]
    async fn segments(&self, ctx: &Context<'_>) -> Result<Vec<SegmentView>> {
        let (state, principal) = super::context(ctx)?;
        segments::list(state, principal).await.map_err(gql)
    }

    /// One segment.
    #[graphql(complexity = "cost::fixed(cost::SEGMENT, child_complexity)")]
    async fn segment(&self, ctx: &Context<'_>, id: Uuid) -> Result<SegmentView> {
        let (state, principal) = super::context(ctx)?;
        segments::get(state, principal, id).await.map_err(gql)
    }

    /// The customer base at a glance (see `GET /api/v1/overview`).
    #[graphql(complexity = "cost::fixed(cost::WHOLE_BASE, child_complexity)")]
    async fn overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12, desc = "Months of revenue, 1–36.")] months: i32,
        #[graphql(default = 10, desc = "Customers in the lifetime-value ranking, 1–100.")] top: i32,
    ) -> Result<OverviewView> {
        let (state, principal) = super::context(ctx)?;
        crate::service::analytics::overview::overview(state, principal, months, top)
            .await
            .map_err(gql)
    }

    /// Alerts the caller may see, newest first.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilterInput>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
    ) -> Result<AlertConnection> {
        let (state, principal) = super::context(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = alerts::AlertFilter {
            status: f.status,
            kind: f.kind,
            customer_id: f.customer_id,
            rule_id: f.rule_id,
        };
        Ok(alerts::list(
            state,
            principal,
            &filter,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// One alert.
    async fn alert(&self, ctx: &Context<'_>, id: Uuid) -> Result<AlertView> {
        let (state, principal) = super::context(ctx)?;
        alerts::get(state, principal, id).await.map_err(gql)
    }

    /// Every alert rule, by name.
    async fn alert_rules(&self, ctx: &Context<'_>) -> Result<Vec<AlertRuleView>> {
        let (state, principal) = super::context(ctx)?;
        alerts::list_rules(state, principal).await.map_err(gql)
    }

    /// How well the churn model predicts: fitted on the orders up to `calibrationEnd`,
    /// compared with the purchases up to `holdoutEnd` (admins, managers, analysts).
    #[graphql(complexity = "cost::fixed(cost::VALIDATION, child_complexity)")]
    async fn score_validation(
        &self,
        ctx: &Context<'_>,
        calibration_end: Date,
        holdout_end: Date,
    ) -> Result<crate::service::analytics::scores::ValidationReport> {
        let (state, principal) = super::context(ctx)?;
        let request = crate::types::scores::ValidationRequest {
            calibration_end: calibration_end.into(),
            holdout_end: holdout_end.into(),
        };
        crate::service::analytics::scores::validate(state, principal, request.into())
            .await
            .map_err(gql)
    }

    /// Pairs of customers sharing an identifier, a page at a time.
    #[graphql(complexity = "cost::page(Some(first), 50, child_complexity, cost::WHOLE_BASE)")]
    async fn duplicate_pairs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, desc = "1–200.")] first: i32,
        after: Option<String>,
    ) -> Result<crate::service::customers::duplicates::PairPage> {
        let (state, principal) = super::context(ctx)?;
        crate::service::customers::duplicates::pair_page(
            state,
            principal,
            &window(Some(first), after)?,
        )
        .await
        .map_err(gql)
    }

    /// The data-quality report (admins, managers, analysts).
    #[graphql(complexity = "cost::fixed(cost::WHOLE_BASE, child_complexity)")]
    async fn data_quality(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 12,
            desc = "Months without update that make a record stale, 1–120."
        )]
        stale_months: i32,
    ) -> Result<crate::service::quality::QualityReport> {
        let (state, principal) = super::context(ctx)?;
        crate::service::quality::report(state, principal, stale_months)
            .await
            .map_err(gql)
    }

    /// The score snapshot segment filters read.
    async fn score_snapshot(&self, ctx: &Context<'_>) -> Result<SnapshotView> {
        let (state, principal) = super::context(ctx)?;
        scoring::current_snapshot(&state.db, principal)
            .await
            .map_err(gql)
    }
}

/// Mutations of segments and the score snapshot.
#[derive(Default)]
pub struct AnalyticsMutation;

#[Object]
impl AnalyticsMutation {
    /// Save a segment.
    async fn create_segment(&self, ctx: &Context<'_>, input: SegmentInput) -> Result<SegmentView> {
        let (state, principal) = super::context(ctx)?;
        let doc = to_doc(&input)?;
        segments::create(state, principal, doc).await.map_err(gql)
    }

    /// Replace a segment's name, description and filter.
    async fn update_segment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: SegmentInput,
        expected_version: Option<i64>,
    ) -> Result<SegmentView> {
        let (state, principal) = super::context(ctx)?;
        let doc = to_doc(&input)?;
        segments::update(state, principal, id, expected_version, doc)
            .await
            .map_err(gql)
    }

    /// Delete a segment; true when it existed.
    async fn delete_segment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> Result<bool> {
        let (state, principal) = super::context(ctx)?;
        segments::delete(state, principal, id, expected_version)
            .await
            .map_err(gql)?;
        Ok(true)
    }

    /// Configure an alert rule (admins and managers).
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertRuleInput,
    ) -> Result<AlertRuleView> {
        let (state, principal) = super::context(ctx)?;
        let doc = rule_doc(input);
        alerts::create_rule(state, principal, doc)
            .await
            .map_err(gql)
    }

    /// Replace an alert rule (admins and managers). With `expectedVersion`, a stale version
    /// is `PRECONDITION_FAILED`, as `If-Match` in REST.
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: AlertRuleInput,
        expected_version: Option<i64>,
    ) -> Result<AlertRuleView> {
        let (state, principal) = super::context(ctx)?;
        let doc = rule_doc(input);
        alerts::update_rule(state, principal, id, expected_version, doc)
            .await
            .map_err(gql)
    }

    /// Fit the churn and spend models on the orders up to the end of `asOf` (default today)
    /// and refresh the score snapshot (admins and managers), as `POST /api/v1/scores/fit`.
    /// With too little data the fit says so (`status: insufficient_data`).
    #[graphql(complexity = "cost::fixed(cost::FIT, child_complexity)")]
    async fn fit_scores(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> Result<crate::types::scores::FitResponse> {
        let (state, principal) = super::context(ctx)?;
        let request = crate::types::scores::FitRequest {
            as_of: as_of.map(Into::into),
        };
        let (fit, snapshot) = scoring::fit_now(state, principal, request.into())
            .await
            .map_err(gql)?;
        ctx.data::<RequestLoader>()?.clear::<ScoreKey>();
        Ok(crate::types::scores::FitResponse { fit, snapshot })
    }

    /// Delete an alert rule; its alerts stay.
    async fn delete_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> Result<bool> {
        let (state, principal) = super::context(ctx)?;
        alerts::delete_rule(state, principal, id, expected_version)
            .await
            .map_err(gql)?;
        Ok(true)
    }

    /// Evaluate every enabled rule now.
    #[graphql(complexity = "cost::fixed(cost::EVALUATE, child_complexity)")]
    async fn evaluate_alerts(&self, ctx: &Context<'_>) -> Result<EvaluationView> {
        let (state, principal) = super::context(ctx)?;
        alerts::evaluate_now(state, principal).await.map_err(gql)
    }

    /// Acknowledge an open alert.
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: Uuid) -> Result<AlertView> {
        let (state, principal) = super::context(ctx)?;
        alerts::transition(state, principal, id, AlertStatus::Acknowledged, None)
            .await
            .map_err(gql)
    }

    /// Resolve an alert, with an optional note.
    async fn resolve_alert(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        resolution: Option<String>,
    ) -> Result<AlertView> {
        let (state, principal) = super::context(ctx)?;
        alerts::transition(state, principal, id, AlertStatus::Resolved, resolution)
            .await
            .map_err(gql)
    }

    /// Merge duplicates into a survivor (see `POST /api/v1/customers/{id}/merge`);
    /// `fields` maps a field name to the customer whose value the survivor keeps.
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        survivor_id: Uuid,
        duplicates: Vec<Uuid>,
        fields: Option<async_graphql::Json<std::collections::BTreeMap<String, Uuid>>>,
        expected_version: Option<i64>,
    ) -> Result<crate::service::quality::merge::MergeView> {
        let (state, principal) = super::context(ctx)?;
        ctx.data::<RequestLoader>()?.clear::<ScoreKey>();
        let doc = serde_json::json!({"duplicates": duplicates, "fields": fields.map(|f| f.0)});
        crate::service::quality::merge::merge(state, principal, survivor_id, expected_version, doc)
            .await
            .map_err(gql)
    }

    /// Re-standardise every customer written before the current rules (admins), as `POST
    /// /api/v1/data-quality/standardise`: names folded, e-mails lower-cased, phones in
    /// E.164, provinces and cities in their standard spelling; audited as updates with the
    /// reason `standardise`. `dryRun` reports what would change and writes nothing.
    #[graphql(complexity = "cost::fixed(cost::STANDARDISE, child_complexity)")]
    async fn standardise_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] dry_run: bool,
    ) -> Result<crate::service::quality::standardise::StandardiseReport> {
        let (state, principal) = super::context(ctx)?;
        crate::service::quality::standardise::run(state, principal, dry_run)
            .await
            .map_err(gql)
    }

    /// Recompute every customer's scores into the snapshot now.
    #[graphql(complexity = "cost::fixed(cost::REFRESH, child_complexity)")]
    async fn refresh_score_snapshot(&self, ctx: &Context<'_>) -> Result<SnapshotView> {
        let (state, principal) = super::context(ctx)?;
        let view = scoring::refresh_snapshot_now(state, principal)
            .await
            .map_err(gql)?;
        ctx.data::<RequestLoader>()?.clear::<ScoreKey>();
        Ok(view)
    }
}

/// An alert rule's input as the document the service checks.
fn rule_doc(input: AlertRuleInput) -> serde_json::Value {
    serde_json::json!({
        "name": input.name,
        "kind": input.kind,
        "params": input.params.map(|p| p.0),
        "enabled": input.enabled,
    })
}

fn to_doc(input: &SegmentInput) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "name": input.name,
        "description": input.description,
        "filter": input.filter,
    }))
}
