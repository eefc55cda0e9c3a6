//! A customer's records in GraphQL: fields of `Customer` (batched with DataLoaders so a
//! page of customers with their latest orders and interactions costs a fixed number of
//! statements), and top-level queries and mutations over the same services as REST.

use async_graphql::{ComplexObject, Context, InputObject, Object, Result};
use uuid::Uuid;

use super::connections::{
    ComplaintConnection, ConsentEventConnection, InteractionConnection, OrderConnection,
    PointsConnection, ProductConnection, SurveyConnection, TimelineConnection, doc, gql, nested,
    relay_window, window,
};
use super::context;
use super::cost;
use super::loaders::*;
use crate::domain::{
    ComplaintSeverity, ComplaintStatus, InteractionKind, OrderChannel, OrderStatus, TimelineKind,
};
use crate::domain::{CustomerGrade, LifecycleStage};
use crate::service::analytics::scoring;
use crate::service::{
    Page, behaviour::engagement, behaviour::orders, customers::timeline, relations,
};
use crate::types::commerce::{
    OrderInput, OrderPatch, OrderView, ProductInput, ProductView, StatsView,
};
use crate::types::customer::CustomerView;
use crate::types::engagement::{
    ComplaintInput, ComplaintTransitionInput, ComplaintView, InteractionInput, InteractionView,
    SurveyInput, SurveyView,
};
use crate::types::relations::{
    ConsentEventView, ConsentInput, ConsentView, LoyaltyInput, LoyaltyView, PointsEntryView,
    PointsInput, PreferencesInput, PreferencesView, RelationshipInput, RelationshipView,
};
use crate::types::scores::{ChurnView, LifetimeValueView, RfmView, ScoresView};
use crate::types::time::{Date, Timestamp};

// ---------------------------------------------------------------------------------------
// The customer of an order or an alert

#[ComplexObject]
impl OrderView {
    /// The order's customer, rendered through the policy; null when the caller may not see
    /// it. The customers of a whole page are loaded in one batch.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<CustomerView>> {
        loader(ctx)?
            .load_one(Of::<CUSTOMER>(self.customer_id))
            .await
    }
}

#[ComplexObject]
impl crate::types::alerts::AlertView {
    /// The alert's customer, rendered through the policy; null when the caller may not see
    /// it. The customers of a whole page are loaded in one batch.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<CustomerView>> {
        loader(ctx)?
            .load_one(Of::<CUSTOMER>(self.customer_id))
            .await
    }
}

// ---------------------------------------------------------------------------------------
// Fields of Customer

#[ComplexObject]
impl CustomerView {
    /// Orders, newest first. The first page of every customer in a list is loaded in one
    /// batch. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 10, child_complexity, 1)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "1–50.")] first: i32,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let limit = nested(first)?;
        if after.is_none() {
            let page = loader(ctx)?
                .load_one(Latest::<ORDERS>(self.id, limit))
                .await?;
            return Ok(page.unwrap_or_else(Page::empty).into());
        }
        let (state, principal) = context(ctx)?;
        let w = window(Some(first), after)?;
        Ok(orders::customer_orders(state, principal, self.id, &w)
            .await
            .map_err(gql)?
            .into())
    }

    /// Interactions, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 10, child_complexity, 1)")]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "1–50.")] first: i32,
        after: Option<String>,
    ) -> Result<InteractionConnection> {
        let limit = nested(first)?;
        if after.is_none() {
            let page = loader(ctx)?
                .load_one(Latest::<INTERACTIONS>(self.id, limit))
                .await?;
            return Ok(page.unwrap_or_else(Page::empty).into());
        }
        let (state, principal) = context(ctx)?;
        let filter = engagement::InteractionFilter {
            customer_id: Some(self.id),
            ..Default::default()
        };
        Ok(
            engagement::list_interactions(state, principal, filter, &window(Some(first), after)?)
                .await
                .map_err(gql)?
                .into(),
        )
    }

    /// Complaints with their history, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 10, child_complexity, 1)")]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "1–50.")] first: i32,
        after: Option<String>,
    ) -> Result<ComplaintConnection> {
        let limit = nested(first)?;
        if after.is_none() {
            let page = loader(ctx)?
                .load_one(Latest::<COMPLAINTS>(self.id, limit))
                .await?;
            return Ok(page.unwrap_or_else(Page::empty).into());
        }
        let (state, principal) = context(ctx)?;
        let filter = engagement::ComplaintFilter {
            customer_id: Some(self.id),
            ..Default::default()
        };
        Ok(
            engagement::list_complaints(state, principal, filter, &window(Some(first), after)?)
                .await
                .map_err(gql)?
                .into(),
        )
    }

    /// Survey answers, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 10, child_complexity, 1)")]
    async fn surveys(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "1–50.")] first: i32,
        after: Option<String>,
    ) -> Result<SurveyConnection> {
        let limit = nested(first)?;
        if after.is_none() {
            let page = loader(ctx)?
                .load_one(Latest::<SURVEYS>(self.id, limit))
                .await?;
            return Ok(page.unwrap_or_else(Page::empty).into());
        }
        let (state, principal) = context(ctx)?;
        Ok(engagement::list_surveys(
            state,
            principal,
            Some(self.id),
            &window(Some(first), after)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// Recency, frequency and monetary value with quintile scores and segment.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn rfm(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<RfmView> {
        let (_, principal) = context(ctx)?;
        let c = scores_of(ctx, self.id, as_of).await?;
        Ok(scoring::rfm_view(&c, principal))
    }

    /// Churn risk and P(alive) by the BG/NBD model (or the RFM rule without one).
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn churn(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<ChurnView> {
        let c = scores_of(ctx, self.id, as_of).await?;
        Ok(scoring::churn_view(
            &c,
            scoring::DEFAULT_HORIZON_DAYS.unsigned_abs(),
        ))
    }

    /// Discounted expected spend over `months` (financial); null for prospects.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn lifetime_value(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12, desc = "1–120.")] months: i32,
        as_of: Option<Date>,
    ) -> Result<Option<LifetimeValueView>> {
        let months = scoring::horizon_months("months", months).map_err(gql)?;
        let (state, principal) = context(ctx)?;
        let c = scores_of(ctx, self.id, as_of).await?;
        Ok(scoring::lifetime_value_view(
            &c,
            principal,
            months,
            &state.settings.currency,
        ))
    }

    /// Grade by spend percentile (financial: null without clearance).
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn grade(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Option<CustomerGrade>> {
        let (_, principal) = context(ctx)?;
        let c = scores_of(ctx, self.id, as_of).await?;
        Ok(scoring::grade_view(&c, principal))
    }

    /// Lifecycle stage by the documented rules.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn lifecycle_stage(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> Result<LifecycleStage> {
        Ok(scores_of(ctx, self.id, as_of).await?.stage)
    }

    /// Share of the profile's fields that are filled, 0–100; contact (it tells which
    /// contact fields are on file): null without full contact clearance.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn completeness(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let (_, principal) = context(ctx)?;
        let c = scores_of(ctx, self.id, None).await?;
        Ok(scoring::completeness_view(&c, principal))
    }

    /// Every score at once, as `GET /customers/{id}/scores` returns them.
    #[graphql(complexity = "cost::fixed(cost::SCORE, child_complexity)")]
    async fn scores(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        #[graphql(
            default = 90,
            desc = "Horizon of churn.expectedPurchases in REST form, 1–3650."
        )]
        horizon_days: i32,
        #[graphql(default = 12, desc = "1–120.")] months: i32,
    ) -> Result<ScoresView> {
        let horizon = scoring::horizon_days("horizonDays", horizon_days).map_err(gql)?;
        let months = scoring::horizon_months("months", months).map_err(gql)?;
        let (state, principal) = context(ctx)?;
        let c = scores_of(ctx, self.id, as_of).await?;
        Ok(scoring::render(
            &c,
            principal,
            horizon,
            months,
            &state.settings.currency,
        ))
    }

    /// Customers who may be the same party as this one, best first (one statement per
    /// customer: ask for it on one customer, not on a list).
    #[graphql(complexity = "cost::fixed(cost::DUPLICATES, child_complexity)")]
    async fn duplicates(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::service::customers::duplicates::Candidate>> {
        let (state, principal) = context(ctx)?;
        crate::service::customers::duplicates::of_customer(state, principal, self.id)
            .await
            .map_err(gql)
    }

    /// Purchase aggregates (cancelled and refunded orders excluded).
    async fn purchase_stats(&self, ctx: &Context<'_>) -> Result<Option<StatsView>> {
        loader(ctx)?.load_one(Of::<STATS>(self.id)).await
    }

    /// Consent in force on each channel.
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<ConsentView>> {
        Ok(loader(ctx)?
            .load_one(Of::<CONSENTS>(self.id))
            .await?
            .unwrap_or_default())
    }

    /// Every consent change, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 20, child_complexity, cost::PER_PARENT)")]
    async fn consent_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "1–200.")] first: i32,
        after: Option<String>,
    ) -> Result<ConsentEventConnection> {
        let (state, principal) = context(ctx)?;
        Ok(
            relations::consent_history(state, principal, self.id, &window(Some(first), after)?)
                .await
                .map_err(gql)?
                .into(),
        )
    }

    /// Stated preferences.
    async fn preferences(&self, ctx: &Context<'_>) -> Result<Option<PreferencesView>> {
        loader(ctx)?.load_one(Of::<PREFERENCES>(self.id)).await
    }

    /// Links to other customers, read from this customer's side.
    async fn relationships(&self, ctx: &Context<'_>) -> Result<Vec<RelationshipView>> {
        Ok(loader(ctx)?
            .load_one(Of::<RELATIONSHIPS>(self.id))
            .await?
            .unwrap_or_default())
    }

    /// Membership tier and points balance.
    async fn loyalty(&self, ctx: &Context<'_>) -> Result<Option<LoyaltyView>> {
        loader(ctx)?.load_one(Of::<LOYALTY>(self.id)).await
    }

    /// The points ledger, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 20, child_complexity, cost::PER_PARENT)")]
    async fn points(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "1–200.")] first: i32,
        after: Option<String>,
    ) -> Result<PointsConnection> {
        let (state, principal) = context(ctx)?;
        Ok(
            relations::points_ledger(state, principal, self.id, &window(Some(first), after)?)
                .await
                .map_err(gql)?
                .into(),
        )
    }

    /// Orders, interactions, survey answers, complaint steps and consent changes in one
    /// feed, newest first. Pages forwards only (`first`/`after`).
    #[graphql(complexity = "cost::page(Some(first), 20, child_complexity, cost::TIMELINE)")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "1–200.")] first: i32,
        after: Option<String>,
        #[graphql(desc = "Only these kinds (default all).")] kinds: Option<Vec<TimelineKind>>,
    ) -> Result<TimelineConnection> {
        let (state, principal) = context(ctx)?;
        let kinds = kinds.unwrap_or_default();
        Ok(timeline::timeline(
            state,
            principal,
            self.id,
            &kinds,
            &window(Some(first), after)?,
        )
        .await
        .map_err(gql)?
        .into())
    }
}

// ---------------------------------------------------------------------------------------
// Queries

/// Which orders to list.
#[derive(Debug, Default, InputObject)]
pub struct OrderFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub channel: Option<OrderChannel>,
    pub ordered_after: Option<Timestamp>,
    pub ordered_before: Option<Timestamp>,
    /// Only orders past their due date with money outstanding (needs financial clearance).
    #[graphql(default)]
    pub overdue: bool,
}

/// Which interactions to list.
#[derive(Debug, Default, InputObject)]
pub struct InteractionFilter {
    pub customer_id: Option<Uuid>,
    #[graphql(name = "type")]
    pub kind: Option<InteractionKind>,
    pub user_id: Option<Uuid>,
    pub occurred_after: Option<Timestamp>,
    pub occurred_before: Option<Timestamp>,
    /// Only those whose next follow-up is due.
    #[graphql(default)]
    pub follow_up_due: bool,
}

/// Which complaints to list.
#[derive(Debug, Default, InputObject)]
pub struct ComplaintFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<ComplaintStatus>,
    pub severity: Option<ComplaintSeverity>,
    /// Only unresolved complaints past their SLA.
    #[graphql(default)]
    pub overdue: bool,
}

/// Queries of products, orders, interactions, surveys and complaints.
#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    /// One product.
    async fn product(&self, ctx: &Context<'_>, id: Uuid) -> Result<ProductView> {
        let (state, principal) = context(ctx)?;
        orders::get_product(state, principal, id).await.map_err(gql)
    }

    /// Products, newest first.
    #[allow(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments, as Relay spells them"
    )]
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        category: Option<String>,
        active: Option<bool>,
        q: Option<String>,
    ) -> Result<ProductConnection> {
        let (state, principal) = context(ctx)?;
        let filter = orders::ProductFilter {
            category,
            active,
            q,
        };
        Ok(orders::list_products(
            state,
            principal,
            filter,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// One order.
    async fn order(&self, ctx: &Context<'_>, id: Uuid) -> Result<OrderView> {
        let (state, principal) = context(ctx)?;
        orders::get_order(state, principal, id).await.map_err(gql)
    }

    /// Orders of the customers the caller may see, newest first.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        filter: Option<OrderFilter>,
    ) -> Result<OrderConnection> {
        let (state, principal) = context(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = orders::OrderFilter {
            customer_id: f.customer_id,
            status: f.status,
            channel: f.channel,
            ordered_after: f.ordered_after.map(Into::into),
            ordered_before: f.ordered_before.map(Into::into),
            overdue: f.overdue,
        };
        Ok(orders::list_orders(
            state,
            principal,
            filter,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// One interaction.
    async fn interaction(&self, ctx: &Context<'_>, id: Uuid) -> Result<InteractionView> {
        let (state, principal) = context(ctx)?;
        engagement::get_interaction(state, principal, id)
            .await
            .map_err(gql)
    }

    /// Interactions with the customers the caller may see, newest first.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        filter: Option<InteractionFilter>,
    ) -> Result<InteractionConnection> {
        let (state, principal) = context(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = engagement::InteractionFilter {
            customer_id: f.customer_id,
            kind: f.kind,
            user_id: f.user_id,
            occurred_after: f.occurred_after.map(Into::into),
            occurred_before: f.occurred_before.map(Into::into),
            follow_up_due: f.follow_up_due,
        };
        Ok(engagement::list_interactions(
            state,
            principal,
            filter,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// Survey answers of the customers the caller may see, newest first.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn surveys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        customer_id: Option<Uuid>,
    ) -> Result<SurveyConnection> {
        let (state, principal) = context(ctx)?;
        Ok(engagement::list_surveys(
            state,
            principal,
            customer_id,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }

    /// One complaint with its history.
    async fn complaint(&self, ctx: &Context<'_>, id: Uuid) -> Result<ComplaintView> {
        let (state, principal) = context(ctx)?;
        engagement::get_complaint(state, principal, id)
            .await
            .map_err(gql)
    }

    /// Complaints of the customers the caller may see, newest first.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        filter: Option<ComplaintFilter>,
    ) -> Result<ComplaintConnection> {
        let (state, principal) = context(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = engagement::ComplaintFilter {
            customer_id: f.customer_id,
            status: f.status,
            severity: f.severity,
            overdue: f.overdue,
        };
        Ok(engagement::list_complaints(
            state,
            principal,
            filter,
            &relay_window(first, after, last, before)?,
        )
        .await
        .map_err(gql)?
        .into())
    }
}

// ---------------------------------------------------------------------------------------
// Mutations

/// Mutations of products, orders and a customer's activity and relations.
#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    /// Add a product (admin, manager).
    async fn create_product(&self, ctx: &Context<'_>, input: ProductInput) -> Result<ProductView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        orders::create_product(state, principal, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Change a product: only the fields given.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: ProductInput,
    ) -> Result<ProductView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        orders::update_product(state, principal, id, expected_version, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Record an order (`customerId` required).
    async fn create_order(&self, ctx: &Context<'_>, input: OrderInput) -> Result<OrderView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        orders::create_order(state, principal, None, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Change an order's status, payment, due date, channel or notes.
    async fn update_order(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: OrderPatch,
    ) -> Result<OrderView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        orders::update_order(state, principal, id, expected_version, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Record an interaction with a customer.
    async fn record_interaction(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: InteractionInput,
    ) -> Result<InteractionView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::record_interaction(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Change an interaction: only the fields given.
    async fn update_interaction(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: InteractionInput,
    ) -> Result<InteractionView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::update_interaction(state, principal, id, expected_version, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Record a survey answer.
    async fn record_survey(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: SurveyInput,
    ) -> Result<SurveyView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::record_survey(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Open a complaint.
    async fn open_complaint(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: ComplaintInput,
    ) -> Result<ComplaintView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::open_complaint(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Change a complaint's category, severity, subject, description or satisfaction.
    async fn update_complaint(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: ComplaintInput,
    ) -> Result<ComplaintView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::update_complaint(state, principal, id, expected_version, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Move a complaint along its workflow; an illegal step fails with `CONFLICT` and
    /// `extensions.allowed`.
    async fn transition_complaint(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: ComplaintTransitionInput,
    ) -> Result<ComplaintView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        engagement::transition_complaint(state, principal, id, expected_version, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Replace a customer's preferences.
    async fn set_preferences(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: PreferencesInput,
        expected_version: Option<i64>,
    ) -> Result<PreferencesView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::set_preferences(
            state,
            principal,
            customer_id,
            expected_version,
            doc(&input)?,
        )
        .await
        .map_err(gql)
    }

    /// Record a grant or withdrawal of consent on one channel.
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: ConsentInput,
    ) -> Result<ConsentEventView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::record_consent(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Link a customer to another.
    async fn link_customers(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: RelationshipInput,
    ) -> Result<RelationshipView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::link(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }

    /// Remove a link of a customer.
    async fn unlink_customers(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        relationship_id: Uuid,
    ) -> Result<bool> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::unlink(state, principal, customer_id, relationship_id)
            .await
            .map_err(gql)?;
        Ok(true)
    }

    /// Enrol a customer in the loyalty programme or change their tier.
    async fn set_loyalty_tier(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: LoyaltyInput,
        expected_version: Option<i64>,
    ) -> Result<LoyaltyView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::set_tier(
            state,
            principal,
            customer_id,
            expected_version,
            doc(&input)?,
        )
        .await
        .map_err(gql)
    }

    /// Earn, redeem, expire or adjust points.
    async fn record_points(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        input: PointsInput,
    ) -> Result<PointsEntryView> {
        let (state, principal) = context(ctx)?;
        forget(ctx);
        relations::record_points(state, principal, customer_id, doc(&input)?)
            .await
            .map_err(gql)
    }
}
