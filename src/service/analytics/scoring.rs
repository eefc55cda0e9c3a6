//! Every customer's scores, computed when read from the maintained aggregates and the newest
//! fitted model (or, for a past date, from the orders up to it and the newest model fitted
//! by then), rendered through the policy. A batch of customers costs a fixed number of
//! statements whatever its size.
//!
//! Without a fitted churn model the scores fall back to rules: churn risk is
//! min(1, days since the last purchase / 365), the lifecycle stage uses recency (see
//! `analytics::scores::stage`), and the expected purchases and lifetime value are null.
//! The same rule gives the risk of one-off buyers even with a model: BG/NBD lets a customer
//! drop out only after a repeat purchase, so it deems every one-off buyer alive (P = 1);
//! their `p_alive` is null and `method` says `rules`, while expected purchases and lifetime
//! value still come from the model.
//! Until a first fit, RFM scores, segment and grade are null too (they rank against the
//! buyers counted by a fit).

use crate::policy::{Action, authorize};
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use entity::amount::Amount;
use entity::{customer, customer_score, order, score_model};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::analytics::{bgnbd, gamma_gamma, rfm, scores as rules};
use crate::config::Settings;
use crate::domain::{
    CustomerGrade, CustomerKind, LifecycleStage, LoyaltyTier, RfmSegment, ScoreMethod,
};
use crate::error::{AppError, AppResult};
use crate::policy::Fields;
use crate::policy::Principal;
use crate::policy::cost::Expensive;
use crate::service::analytics::scores::{RfmCuts, end_of, purchase_days};
use crate::service::input::Submitted;
use crate::state::AppState;
use crate::types::customer::CustomerView;
use crate::types::scores::{
    ChurnBasis, ChurnView, FitRequest, LifetimeValueView, LoyaltyComponentView, LoyaltyScoreView,
    ModelRef, RfmView, ScoresView, SnapshotView,
};

/// Expected purchases are reported over this many days unless asked otherwise.
pub const DEFAULT_HORIZON_DAYS: i32 = 90;
/// Lifetime value is reported over this many months unless asked otherwise.
pub const DEFAULT_MONTHS: i32 = 12;
pub use crate::domain::horizon::{horizon_days, horizon_months};

/// One customer's purchases as the scores see them.
#[derive(Debug, Clone, Default)]
pub struct Purchases {
    pub orders: i64,
    /// Distinct UTC dates with a counted order.
    pub days: i64,
    /// Spend in the base currency.
    pub total: Decimal,
    /// Value of the first purchase day; unknown for aggregates not recomputed since it
    /// was added.
    pub first_day_total: Option<Decimal>,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

/// Everything one customer's scores are computed from.
#[derive(Debug, Clone, Default)]
pub struct Basis {
    pub purchases: Purchases,
    pub mean_csat: Option<f64>,
    pub mean_nps: Option<f64>,
    /// Complaints opened in the 365 days up to the as-of date.
    pub recent_complaints: u32,
    /// Customers this one referred.
    pub referrals: u32,
    pub tier: Option<LoyaltyTier>,
    pub completeness: u8,
}

/// A stored fit, as the scores use it.
#[derive(Debug, Clone)]
pub struct Model {
    pub reference: ModelRef,
    pub bgnbd: Option<bgnbd::Params>,
    pub gamma_gamma: Option<gamma_gamma::Params>,
    pub cuts: Option<RfmCuts>,
    /// Spend percentiles of buyers; the monetary quintile cut points for older fits.
    pub value_points: Vec<f64>,
}

#[derive(serde::Deserialize)]
struct StoredFit {
    bgnbd: Option<crate::service::analytics::scores::BgNbdParams>,
    gamma_gamma: Option<crate::service::analytics::scores::GammaGammaParams>,
    rfm_cuts: Option<RfmCuts>,
    #[serde(default)]
    value_quantiles: Option<Vec<f64>>,
}

impl Model {
    fn from_row(m: score_model::Model) -> Self {
        let stored: Option<StoredFit> = serde_json::from_value(m.params).ok();
        let (bg, gg, cuts, quantiles) = match stored {
            Some(s) => (s.bgnbd, s.gamma_gamma, s.rfm_cuts, s.value_quantiles),
            None => (None, None, None, None),
        };
        let value_points = quantiles
            .or_else(|| cuts.as_ref().map(|c| c.monetary.to_vec()))
            .unwrap_or_default();
        Self {
            reference: ModelRef {
                id: m.id,
                status: m.status,
                as_of: m.as_of.into(),
                fitted_at: m.fitted_at.into(),
            },
            bgnbd: bg.map(|p| bgnbd::Params {
                r: p.r,
                alpha: p.alpha,
                a: p.a,
                b: p.b,
            }),
            gamma_gamma: gg.map(|p| gamma_gamma::Params {
                p: p.p,
                q: p.q,
                gamma: p.gamma,
            }),
            cuts,
            value_points,
        }
    }
}

/// The model scores as of `as_of` use: the newest fit, or for a past date the newest fit
/// made as of that date or earlier.
///
/// # Errors
/// Database failures.
pub async fn model_at(
    conn: &impl ConnectionTrait,
    as_of: Option<NaiveDate>,
) -> AppResult<Option<Arc<Model>>> {
    let mut query = score_model::Entity::find();
    if let Some(date) = as_of {
        query = query
            .filter(score_model::Column::AsOf.lte(date))
            .order_by_desc(score_model::Column::AsOf);
    }
    Ok(query
        .order_by_desc(score_model::Column::FittedAt)
        .one(conn)
        .await?
        .map(|m| Arc::new(Model::from_row(m))))
}

/// Check a requested as-of date: not in the future, not before the first order.
///
/// # Errors
/// `Validation` naming `field`.
pub async fn check_as_of(
    conn: &impl ConnectionTrait,
    field: &str,
    date: NaiveDate,
) -> AppResult<()> {
    if date > Utc::now().date_naive() {
        return Err(AppError::invalid(
            field,
            "in_future",
            "must not be after today",
        ));
    }
    let first: Option<chrono::DateTime<Utc>> = order::Entity::find()
        .select_only()
        .column_as(order::Column::OrderedAt.min(), "first")
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    if first.is_none_or(|f| f.date_naive() > date) {
        return Err(AppError::invalid(
            field,
            "before_data",
            "there are no orders up to this date",
        ));
    }
    Ok(())
}

/// The profile fields completeness counts, by kind; a stored kind this version does not
/// know is an error, not counted as an individual.
fn completeness(m: &customer::Model) -> AppResult<u8> {
    let kind = crate::service::stored(CustomerKind::parse(&m.kind), "customers", "kind", m.id)?;
    let common = [
        m.phone.is_some(),
        m.email.is_some(),
        m.addr_province.is_some(),
        m.addr_city.is_some(),
        m.addr_street.is_some(),
    ];
    let specific: Vec<bool> = if kind == CustomerKind::Organization {
        vec![
            m.legal_name.is_some(),
            m.credit_code.is_some(),
            m.industry.is_some(),
            m.website.is_some(),
            m.employee_count.is_some(),
        ]
    } else {
        vec![
            m.family_name.is_some() || m.given_name.is_some(),
            m.gender.is_some(),
            m.birthday.is_some(),
            m.occupation.is_some(),
            m.employer.is_some(),
        ]
    };
    let filled: Vec<bool> = common.into_iter().chain(specific).collect();
    Ok(rules::completeness(&filled))
}

/// A customer with everything its scores read besides its orders, from one statement.
#[derive(Debug, FromQueryResult)]
struct BasisRow {
    #[sea_orm(nested)]
    customer: customer::Model,
    order_count: Option<i64>,
    purchase_days: Option<i64>,
    monetary_total: Option<Amount>,
    first_day_total: Option<Amount>,
    first_order_at: Option<chrono::DateTime<Utc>>,
    last_order_at: Option<chrono::DateTime<Utc>>,
    csat_sum: Option<i64>,
    csat_n: i64,
    nps_sum: Option<i64>,
    nps_n: i64,
    recent_complaints: i64,
    referrals: i64,
    loyalty_tier: Option<String>,
}

/// A correlated subquery of the customer's row in `table`.
fn of_customer(select: &str, table: &str, key: &str, more: &str) -> String {
    format!(
        "(SELECT {select} FROM \"{table}\" WHERE \"{table}\".\"{key}\" = \"customers\".\"id\"{more})"
    )
}

/// The bases of many customers: one statement whatever their number (two with `as_of`,
/// whose purchases are read from the orders up to the end of that date; without it they
/// come from the maintained aggregates). Only the customers `principal` may see have one:
/// the statement reads them through row visibility.
///
/// # Errors
/// Database failures; `Internal` for a stored kind or tier this version does not know.
pub async fn bases(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[Uuid],
    as_of: Option<NaiveDate>,
    base_currency: &str,
) -> AppResult<HashMap<Uuid, Basis>> {
    let mut out: HashMap<Uuid, Basis> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let end = end_of(as_of.unwrap_or_else(|| Utc::now().date_naive()));
    let year_before = end - chrono::Duration::days(365);
    let stat = |column: &str| {
        of_customer(
            &format!("\"{column}\""),
            "customer_stats",
            "customer_id",
            "",
        )
    };
    // sea-query's placeholders in custom SQL: numbered on PostgreSQL, `?` on SQLite.
    let nth = |n: usize| match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let answered = format!(" AND \"surveys\".\"answered_at\" < {}", nth(1));
    let mut query = crate::service::rows::customers(principal)
        .filter(customer::Column::Id.is_in(ids.iter().copied()));
    for column in [
        "order_count",
        "purchase_days",
        "monetary_total",
        "first_day_total",
        "first_order_at",
        "last_order_at",
    ] {
        query = query.column_as(Expr::cust(stat(column)), column);
    }
    // SUM of an INTEGER is BIGINT on PostgreSQL, and NULL over no answers.
    let surveys = [
        ("CAST(SUM(\"csat\") AS BIGINT)", "csat_sum"),
        ("COUNT(\"csat\")", "csat_n"),
        ("CAST(SUM(\"nps\") AS BIGINT)", "nps_sum"),
        ("COUNT(\"nps\")", "nps_n"),
    ];
    for (select, alias) in surveys {
        query = query.column_as(
            Expr::cust_with_values(
                of_customer(select, "surveys", "customer_id", &answered),
                [end],
            ),
            alias,
        );
    }
    let rows: Vec<BasisRow> = query
        .column_as(
            Expr::cust_with_values(
                of_customer(
                    "COUNT(*)",
                    "complaints",
                    "customer_id",
                    &format!(
                        " AND \"complaints\".\"opened_at\" < {} AND \"complaints\".\"opened_at\" >= {}",
                        nth(1),
                        nth(2)
                    ),
                ),
                [end, year_before],
            ),
            "recent_complaints",
        )
        // A `referred_by` link is stored from the referred customer's side.
        .column_as(
            Expr::cust_with_values(
                of_customer(
                    "COUNT(*)",
                    "relationships",
                    "to_id",
                    &format!(
                        " AND \"relationships\".\"kind\" = 'referred_by' AND \"relationships\".\"created_at\" < {}",
                        nth(1)
                    ),
                ),
                [end],
            ),
            "referrals",
        )
        .column_as(
            Expr::cust(of_customer("\"tier\"", "loyalty_accounts", "customer_id", "")),
            "loyalty_tier",
        )
        .into_model::<BasisRow>()
        .all(conn)
        .await?;
    let mean = |sum: Option<i64>, n: i64| (n > 0).then(|| sum.unwrap_or(0) as f64 / n as f64);
    for r in rows {
        let id = r.customer.id;
        let tier = r
            .loyalty_tier
            .as_deref()
            .map(|t| crate::service::stored(LoyaltyTier::parse(t), "loyalty_accounts", "tier", id))
            .transpose()?;
        let purchases = match (as_of, r.order_count) {
            (None, Some(orders)) => Purchases {
                orders,
                days: r.purchase_days.unwrap_or(0),
                total: r.monetary_total.map(Amount::value).unwrap_or_default(),
                first_day_total: r.first_day_total.map(Amount::value),
                first: r.first_order_at.map(|t| t.date_naive()),
                last: r.last_order_at.map(|t| t.date_naive()),
            },
            _ => Purchases::default(),
        };
        out.insert(
            id,
            Basis {
                purchases,
                mean_csat: mean(r.csat_sum, r.csat_n),
                mean_nps: mean(r.nps_sum, r.nps_n),
                recent_complaints: u32::try_from(r.recent_complaints).unwrap_or(u32::MAX),
                referrals: u32::try_from(r.referrals).unwrap_or(u32::MAX),
                tier,
                completeness: completeness(&r.customer)?,
            },
        );
    }
    if let Some(date) = as_of {
        let ids: Vec<Uuid> = out.keys().copied().collect();
        if ids.is_empty() {
            return Ok(out);
        }
        for (id, p) in purchase_days(conn, date, base_currency, Some(&ids)).await? {
            if let Some(basis) = out.get_mut(&id) {
                basis.purchases = Purchases {
                    orders: p.orders,
                    days: i64::try_from(p.days.len()).unwrap_or(i64::MAX),
                    total: p.total(),
                    first_day_total: p.days.values().next().copied(),
                    first: p.days.keys().next().copied(),
                    last: p.days.keys().next_back().copied(),
                };
            }
        }
    }
    Ok(out)
}

/// One customer's scores, before the policy.
#[derive(Debug, Clone)]
pub struct Computed {
    pub customer_id: Uuid,
    pub as_of: NaiveDate,
    pub model: Option<ModelRef>,
    pub recency_days: Option<i64>,
    pub frequency: i64,
    pub monetary: Decimal,
    pub rfm: Option<rfm::Scores>,
    pub segment: Option<RfmSegment>,
    pub method: ScoreMethod,
    pub p_alive: Option<f64>,
    pub risk: Option<f64>,
    pub churn: Option<ChurnBasis>,
    /// Expected value of one purchase (Gamma-Gamma).
    pub average_value: Option<f64>,
    pub loyalty: f64,
    pub components: Vec<rules::Component>,
    pub tier: Option<LoyaltyTier>,
    pub grade: Option<CustomerGrade>,
    pub stage: LifecycleStage,
    pub completeness: u8,
    pub monthly_discount: f64,
}

impl Computed {
    /// Expected purchase days in the next `days`; null without a model.
    pub fn expected_purchases(&self, days: u32) -> Option<f64> {
        let b = self.churn?;
        bgnbd::expected_purchases(&b.params, &b.history, f64::from(days))
    }

    /// Discounted expected spend over `months`; null without both models.
    pub fn lifetime_value(&self, months: u32) -> Option<f64> {
        let b = self.churn?;
        gamma_gamma::lifetime_value(
            &b.params,
            &b.history,
            self.average_value?,
            months,
            self.monthly_discount,
        )
    }
}

fn segment(s: rfm::Segment) -> RfmSegment {
    use rfm::Segment as S;
    match s {
        S::Champions => RfmSegment::Champions,
        S::Loyal => RfmSegment::Loyal,
        S::PotentialLoyalist => RfmSegment::PotentialLoyalist,
        S::New => RfmSegment::New,
        S::Promising => RfmSegment::Promising,
        S::NeedAttention => RfmSegment::NeedAttention,
        S::AboutToSleep => RfmSegment::AboutToSleep,
        S::AtRisk => RfmSegment::AtRisk,
        S::CantLose => RfmSegment::CantLose,
        S::Hibernating => RfmSegment::Hibernating,
        S::Lost => RfmSegment::Lost,
    }
}

fn stage(s: rules::Stage) -> LifecycleStage {
    use rules::Stage as S;
    match s {
        S::Prospect => LifecycleStage::Prospect,
        S::New => LifecycleStage::New,
        S::Active => LifecycleStage::Active,
        S::Loyal => LifecycleStage::Loyal,
        S::AtRisk => LifecycleStage::AtRisk,
        S::Churned => LifecycleStage::Churned,
    }
}

fn grade(g: rules::Grade) -> CustomerGrade {
    match g {
        rules::Grade::A => CustomerGrade::A,
        rules::Grade::B => CustomerGrade::B,
        rules::Grade::C => CustomerGrade::C,
        rules::Grade::D => CustomerGrade::D,
    }
}

/// Scores computed with the server's settings.
pub struct Scorer<'a> {
    pub model: Option<&'a Model>,
    pub as_of: NaiveDate,
    pub shares: &'a rules::GradeShares,
    pub monthly_discount: f64,
}

impl Scorer<'_> {
    /// One customer's scores.
    pub fn compute(&self, customer_id: Uuid, b: &Basis) -> Computed {
        let p = &b.purchases;
        let model = self.model;
        let bg = model.and_then(|m| m.bgnbd);
        let method = if bg.is_some() {
            ScoreMethod::Model
        } else {
            ScoreMethod::Rules
        };
        let buyer = match (p.first, p.last) {
            (Some(first), Some(last)) if p.days > 0 => Some((first, last)),
            _ => None,
        };
        let monetary = p.total;
        let monetary_f = monetary.to_f64().unwrap_or(0.0);
        let mut facts = rules::Facts {
            orders: u32::try_from(p.orders).unwrap_or(u32::MAX),
            mean_csat: b.mean_csat,
            mean_nps: b.mean_nps,
            recent_complaints: b.recent_complaints,
            referrals: b.referrals,
            ..rules::Facts::default()
        };
        let mut computed = Computed {
            customer_id,
            as_of: self.as_of,
            model: model.map(|m| m.reference.clone()),
            recency_days: None,
            frequency: p.days,
            monetary,
            rfm: None,
            segment: None,
            method,
            p_alive: None,
            risk: None,
            churn: None,
            average_value: None,
            loyalty: 0.0,
            components: Vec::new(),
            tier: b.tier,
            grade: model.map(|_| CustomerGrade::D),
            stage: LifecycleStage::Prospect,
            completeness: b.completeness,
            monthly_discount: self.monthly_discount,
        };
        if let Some((first, last)) = buyer {
            let recency = (self.as_of - last).num_days().max(0);
            let tenure = (self.as_of - first).num_days().max(0);
            facts.recency_days = Some(recency as f64);
            facts.tenure_days = Some(tenure as f64);
            computed.recency_days = Some(recency);
            if let Some(cuts) = model.and_then(|m| m.cuts.as_ref()) {
                let s = rfm::Scores {
                    r: rfm::score_at(recency as f64, &cuts.recency_days, false),
                    f: rfm::score_at(p.days as f64, &cuts.frequency, true),
                    m: rfm::score_at(monetary_f, &cuts.monetary, true),
                };
                computed.rfm = Some(s);
                computed.segment = Some(segment(rfm::segment(s)));
            }
            if let Some(m) = model {
                let percentile = rfm::percentile_at(monetary_f, &m.value_points);
                facts.monetary_percentile = percentile;
                computed.grade = Some(grade(rules::grade(percentile, self.shares)));
            } else {
                facts.monetary_percentile = 0.5;
            }
            let history = bgnbd::History {
                x: (p.days - 1).max(0) as f64,
                t_x: (last - first).num_days().max(0) as f64,
                t: tenure as f64,
            };
            if let Some(params) = bg {
                computed.churn = Some(ChurnBasis { params, history });
            }
            match bg {
                // BG/NBD lets customers drop out only after a repeat purchase, so it deems
                // every one-off buyer alive; their risk comes from the rule instead.
                Some(params) if history.x > 0.0 => {
                    let alive = bgnbd::p_alive(&params, &history);
                    computed.p_alive = Some(alive);
                    computed.risk = Some(1.0 - alive);
                }
                _ => {
                    computed.method = ScoreMethod::Rules;
                    computed.risk = Some((recency as f64 / 365.0).min(1.0));
                }
            }
            if let Some(gg) = model.and_then(|m| m.gamma_gamma) {
                let repeat = p.days - 1;
                let spend = (repeat > 0).then(|| {
                    let repeat_total = match p.first_day_total {
                        Some(first_day) => (monetary - first_day).to_f64().unwrap_or(0.0),
                        None => monetary_f * repeat as f64 / p.days as f64,
                    };
                    gamma_gamma::Spend {
                        x: repeat as f64,
                        mean: repeat_total / repeat as f64,
                    }
                });
                computed.average_value = gamma_gamma::expected_average_value(
                    &gg,
                    spend.as_ref().filter(|s| s.mean > 0.0),
                );
            }
        }
        let (score, components) = rules::loyalty(&facts);
        computed.loyalty = score;
        computed.components = components;
        computed.stage = stage(rules::stage(&facts, computed.p_alive));
        computed
    }
}

fn money(v: f64) -> String {
    Decimal::from_f64(v)
        .map(|d| crate::service::records::money_text(d.round_dp(2)))
        .unwrap_or_default()
}

/// RFM as a caller may see it.
pub fn rfm_view(c: &Computed, principal: &Principal) -> RfmView {
    let mut f = Fields::new(principal, "scores.rfm");
    let monetary = crate::service::records::money_text(c.monetary.round_dp(2));
    RfmView {
        recency_days: c.recency_days,
        frequency: c.frequency,
        monetary: f.money("monetary", Some(&monetary)),
        r: c.rfm.map(|s| i32::from(s.r)),
        f: c.rfm.map(|s| i32::from(s.f)),
        m: f.whole("m", c.rfm.map(|s| i32::from(s.m)).as_ref()),
        segment: f.whole("segment", c.segment.as_ref()),
        masked: f.finish(),
    }
}

/// Churn as a caller sees it (nothing in it is private).
pub fn churn_view(c: &Computed, horizon: u32) -> ChurnView {
    ChurnView {
        method: c.method,
        p_alive: c.p_alive,
        risk: c.risk,
        expected_purchases: c.expected_purchases(horizon),
        horizon_days: i32::try_from(horizon).unwrap_or(i32::MAX),
        basis: c.churn,
    }
}

/// Lifetime value as a caller may see it; null for prospects.
pub fn lifetime_value_view(
    c: &Computed,
    principal: &Principal,
    months: u32,
    currency: &str,
) -> Option<LifetimeValueView> {
    c.recency_days?;
    let mut f = Fields::new(principal, "scores.lifetime_value");
    let value = c.lifetime_value(months).map(money);
    let average = c.average_value.map(money);
    Some(LifetimeValueView {
        months: i32::try_from(months).unwrap_or(i32::MAX),
        value: f.money("value", value.as_deref()),
        expected_order_value: f.money("expected_order_value", average.as_deref()),
        currency: currency.to_owned(),
        monthly_discount: c.monthly_discount,
        masked: f.finish(),
    })
}

/// Loyalty as a caller may see it: the score and its components are financial (the score
/// less the other weighted components is the spend percentile), so both are whole or null.
pub fn loyalty_view(c: &Computed, principal: &Principal) -> LoyaltyScoreView {
    loyalty_fields(c, principal).0
}

fn loyalty_fields(c: &Computed, principal: &Principal) -> (LoyaltyScoreView, Vec<String>) {
    let mut f = Fields::new(principal, "scores.loyalty");
    let components: Vec<LoyaltyComponentView> = c
        .components
        .iter()
        .map(|comp| LoyaltyComponentView {
            name: comp.name.to_owned(),
            value: (comp.value * 1000.0).round() / 1000.0,
            weight: comp.weight,
        })
        .collect();
    let view = LoyaltyScoreView {
        score: f.whole("score", Some(&c.loyalty)),
        tier: c.tier,
        components: f.whole("components", Some(&components)),
    };
    (view, f.finish())
}

/// The parts of the loyalty score (`score`, `components`) the caller may not read in full.
pub fn loyalty_withheld(principal: &Principal) -> Vec<String> {
    let mut f = Fields::new(principal, "scores.loyalty");
    f.shows("score");
    f.shows("components");
    f.finish()
}

/// The grade, if the caller may read it (financial).
pub fn grade_view(c: &Computed, principal: &Principal) -> Option<CustomerGrade> {
    Fields::new(principal, "scores").whole("grade", c.grade.as_ref())
}

/// Profile completeness, if the caller may read it (contact: it tells which contact
/// fields are on file).
pub fn completeness_view(c: &Computed, principal: &Principal) -> Option<i32> {
    Fields::new(principal, "scores").whole("completeness", Some(&i32::from(c.completeness)))
}

/// Every score of one customer for a caller.
pub fn render(
    c: &Computed,
    principal: &Principal,
    horizon: u32,
    months: u32,
    currency: &str,
) -> ScoresView {
    let rfm = rfm_view(c, principal);
    let lifetime_value = lifetime_value_view(c, principal, months, currency);
    let (loyalty, loyalty_masked) = loyalty_fields(c, principal);
    let mut masked: Vec<String> = rfm.masked.iter().map(|m| format!("rfm.{m}")).collect();
    if let Some(v) = &lifetime_value {
        masked.extend(v.masked.iter().map(|m| format!("lifetime_value.{m}")));
    }
    masked.extend(loyalty_masked.iter().map(|m| format!("loyalty.{m}")));
    let grade = grade_view(c, principal);
    if grade.is_none() && c.grade.is_some() {
        masked.push("grade".to_owned());
    }
    let completeness = completeness_view(c, principal);
    if completeness.is_none() {
        masked.push("completeness".to_owned());
    }
    ScoresView {
        customer_id: c.customer_id,
        as_of: c.as_of.into(),
        model: c.model.clone(),
        rfm,
        churn: churn_view(c, horizon),
        lifetime_value,
        loyalty,
        grade,
        lifecycle_stage: c.stage,
        completeness,
        masked,
    }
}

/// Scores of many customers, a fixed number of statements; only the customers `principal`
/// may see are in the answer.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn compute_many(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    settings: &Settings,
    ids: &[Uuid],
    as_of: Option<NaiveDate>,
) -> AppResult<HashMap<Uuid, Computed>> {
    authorize(principal, Action::ReadCustomers)?;
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let model = model_at(conn, as_of).await?;
    let bases = bases(conn, principal, ids, as_of, &settings.currency).await?;
    let large = bases.len() > CPU_BATCH;
    let shares = settings.grade_shares;
    let monthly_discount = settings.monthly_discount;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let ids = ids.to_vec();
    let score = move |parallel: bool| {
        let scorer = Scorer {
            model: model.as_deref(),
            as_of,
            shares: &shares,
            monthly_discount,
        };
        let one = |id: &Uuid| Some((*id, scorer.compute(*id, bases.get(id)?)));
        Ok(if parallel {
            ids.par_iter().filter_map(one).collect()
        } else {
            ids.iter().filter_map(one).collect()
        })
    };
    // A page is scored in place; a batch of the snapshot (or any larger set) off the async
    // workers, on every core.
    if large {
        crate::service::shed::cpu(move || score(true)).await
    } else {
        score(false)
    }
}

/// Customers scored at once beyond which the work leaves the async workers.
const CPU_BATCH: usize = 200;

/// Scores of many customers as of a date (checked: `asOf`) or now, for GraphQL's batches.
///
/// # Errors
/// `Forbidden`; `Validation` for a bad `asOf`; database failures.
pub async fn scores_of(
    state: &AppState,
    principal: &Principal,
    ids: &[Uuid],
    as_of: Option<NaiveDate>,
) -> AppResult<HashMap<Uuid, Computed>> {
    authorize(principal, Action::ReadCustomers)?;
    if let Some(date) = as_of {
        check_as_of(&state.db, "asOf", date).await?;
    }
    compute_many(&state.db, principal, &state.settings, ids, as_of).await
}

/// What a caller asks of the scores.
#[derive(Debug, Clone, Copy)]
pub struct ScoreRequest {
    pub as_of: Option<NaiveDate>,
    pub horizon_days: u32,
    pub months: u32,
}

impl ScoreRequest {
    /// Check the horizons (and the as-of date, which costs a statement).
    ///
    /// # Errors
    /// `Validation` naming the bad parameter.
    pub async fn new(
        conn: &impl ConnectionTrait,
        as_of: Option<NaiveDate>,
        horizon_days: Option<i32>,
        months: Option<i32>,
    ) -> AppResult<Self> {
        let horizon = horizon_days_or_default(horizon_days);
        let months = months.unwrap_or(DEFAULT_MONTHS);
        let mut errors = Vec::new();
        let horizon = horizon.map_err(|e| errors.extend(e.field_errors().to_vec()));
        let months =
            horizon_months("months", months).map_err(|e| errors.extend(e.field_errors().to_vec()));
        if let Some(date) = as_of
            && let Err(e) = check_as_of(conn, "as_of", date).await
        {
            match e {
                AppError::Validation(v) => errors.extend(v),
                other => return Err(other),
            }
        }
        match (horizon, months) {
            (Ok(horizon_days), Ok(months)) if errors.is_empty() => Ok(Self {
                as_of,
                horizon_days,
                months,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

fn horizon_days_or_default(days: Option<i32>) -> AppResult<u32> {
    horizon_days("horizon_days", days.unwrap_or(DEFAULT_HORIZON_DAYS))
}

/// `GET /customers/{id}/scores`.
///
/// # Errors
/// `NotFound` for a customer the caller cannot see; database failures.
pub async fn customer_scores(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    request: ScoreRequest,
) -> AppResult<ScoresView> {
    authorize(principal, Action::ReadCustomers)?;
    crate::service::records::visible_customer(&state.db, principal, id).await?;
    let mut all = compute_many(&state.db, principal, &state.settings, &[id], request.as_of).await?;
    let computed = all
        .remove(&id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("scores not computed")))?;
    Ok(render(
        &computed,
        principal,
        request.horizon_days,
        request.months,
        &state.settings.currency,
    ))
}

/// Customers scored per batch when the snapshot is refreshed.
const SNAPSHOT_BATCH: u64 = 1000;

fn snapshot_row(c: &Computed, at: chrono::DateTime<Utc>) -> customer_score::ActiveModel {
    use sea_orm::Set;
    let small = |v: u8| Some(i16::from(v));
    customer_score::ActiveModel {
        customer_id: Set(c.customer_id),
        computed_at: Set(at),
        model_id: Set(c.model.as_ref().map(|m| m.id)),
        recency_days: Set(c.recency_days),
        frequency: Set(c.frequency),
        monetary: Set(c.monetary.to_f64().unwrap_or(0.0)),
        r: Set(c.rfm.and_then(|s| small(s.r))),
        f: Set(c.rfm.and_then(|s| small(s.f))),
        m: Set(c.rfm.and_then(|s| small(s.m))),
        rfm_segment: Set(c.segment.map(|s| s.as_str().to_owned())),
        p_alive: Set(c.p_alive),
        churn_risk: Set(c.risk),
        lifetime_value: Set(c
            .lifetime_value(DEFAULT_MONTHS.unsigned_abs())
            .filter(|v| v.is_finite())),
        loyalty: Set(c.loyalty),
        grade: Set(c.grade.map(|g| g.as_str().to_owned())),
        lifecycle_stage: Set(c.stage.as_str().to_owned()),
        completeness: Set(i16::from(c.completeness)),
    }
}

/// Recompute every live customer's scores into the snapshot now, for those who may run
/// analytics (`POST /scores/snapshot`, GraphQL `refreshScoreSnapshot`, the command line).
///
/// # Errors
/// `Forbidden` for anyone else; database failures.
pub async fn refresh_snapshot(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    principal: &Principal,
) -> AppResult<SnapshotView> {
    authorize(principal, Action::RunAnalytics)?;
    recompute_snapshot(db, settings).await
}

/// [`refresh_snapshot`] for a signed-in caller or a key, with an admission.
///
/// # Errors
/// As [`refresh_snapshot`]; `Busy` when the caller or the server already runs as many
/// expensive operations as allowed.
pub async fn refresh_snapshot_now(
    state: &AppState,
    principal: &Principal,
) -> AppResult<SnapshotView> {
    authorize(principal, Action::RunAnalytics)?;
    let _admission = state.shedder.admit(principal, Expensive::SnapshotRefresh)?;
    recompute_snapshot(&state.db, &state.settings).await
}

/// Recompute every live customer's scores into the snapshot, in one transaction (readers
/// see the old snapshot until it commits).
async fn recompute_snapshot(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
) -> AppResult<SnapshotView> {
    let started = std::time::Instant::now();
    let at = crate::clock::now();
    let txn = crate::service::begin_write(db).await?;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // One refresh at a time (SQLite's write transaction already is): a second one
        // waits, then replaces what the first wrote instead of colliding with it. Readers
        // are not blocked.
        txn.execute_unprepared("LOCK TABLE customer_scores IN EXCLUSIVE MODE")
            .await?;
    }
    customer_score::Entity::delete_many().exec(&txn).await?;
    let mut after: Option<Uuid> = None;
    let mut count: i64 = 0;
    loop {
        let mut query = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::DeletedAt.is_null())
            .order_by_asc(customer::Column::Id)
            .limit(SNAPSHOT_BATCH);
        if let Some(id) = after {
            query = query.filter(customer::Column::Id.gt(id));
        }
        let ids: Vec<Uuid> = query.into_tuple().all(&txn).await?;
        let Some(last) = ids.last() else { break };
        after = Some(*last);
        let computed = compute_many(&txn, &Principal::operator(), settings, &ids, None).await?;
        // A row's lifetime value sums a year of monthly expectations: on every core too.
        let rows: Vec<customer_score::ActiveModel> = crate::service::shed::cpu(move || {
            Ok(computed
                .par_iter()
                .map(|(_, c)| snapshot_row(c, at))
                .collect())
        })
        .await?;
        count += i64::try_from(rows.len()).unwrap_or(i64::MAX);
        customer_score::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    tracing::info!(
        customers = count,
        seconds = started.elapsed().as_secs_f64(),
        "score snapshot refreshed"
    );
    snapshot(db).await
}

/// The snapshot for a caller who may read customers (`GET /scores/snapshot`).
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn current_snapshot(
    conn: &impl ConnectionTrait,
    principal: &Principal,
) -> AppResult<SnapshotView> {
    authorize(principal, Action::ReadCustomers)?;
    snapshot(conn).await
}

/// When the snapshot was refreshed, how many customers it holds, and with which model.
///
/// # Errors
/// Database failures.
pub(crate) async fn snapshot(conn: &impl ConnectionTrait) -> AppResult<SnapshotView> {
    let (computed_at, customers): (Option<chrono::DateTime<Utc>>, i64) =
        customer_score::Entity::find()
            .select_only()
            .column_as(customer_score::Column::ComputedAt.max(), "at")
            .column_as(customer_score::Column::CustomerId.count(), "n")
            .into_tuple()
            .one(conn)
            .await?
            .unwrap_or((None, 0));
    let model = model_at(conn, None).await?.map(|m| m.reference.clone());
    Ok(SnapshotView {
        computed_at: computed_at.map(Into::into),
        customers,
        model,
    })
}

/// Fit the models as of `as_of` (default today) and refresh the snapshot with them, for
/// those who may fit models. With no orders at all the snapshot is still refreshed (scores
/// then use the rules).
///
/// # Errors
/// `Forbidden`; a bad as-of date; database failures.
pub async fn refit(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    principal: &Principal,
    as_of: Option<NaiveDate>,
) -> AppResult<(
    Option<crate::service::analytics::scores::FitReport>,
    SnapshotView,
)> {
    authorize(principal, Action::FitModels)?;
    let date = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let report =
        match crate::service::analytics::scores::fit(db, principal, date, &settings.currency).await
        {
            Ok(r) => Some(r),
            Err(AppError::Validation(errors))
                if as_of.is_none() && errors.iter().any(|e| e.code == "before_data") =>
            {
                None
            }
            Err(e) => return Err(e),
        };
    let snapshot = recompute_snapshot(db, settings).await?;
    Ok((report, snapshot))
}

/// Refit and refresh the snapshot when no fit exists or the newest is older than
/// `refit_hours`; returns whether it ran.
///
/// # Errors
/// Database failures.
pub async fn refit_if_due(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
) -> AppResult<bool> {
    let interval = chrono::Duration::hours(i64::try_from(settings.refit_hours).unwrap_or(24));
    let newest = score_model::Entity::find()
        .order_by_desc(score_model::Column::FittedAt)
        .one(db)
        .await?;
    if newest.is_some_and(|m| Utc::now() - m.fitted_at < interval) {
        return Ok(false);
    }
    refit(db, settings, &Principal::operator(), None).await?;
    Ok(true)
}

/// Fit the models now and refresh the snapshot, for an admin or a manager (`POST
/// /scores/fit`, GraphQL `fitScores`).
///
/// # Errors
/// `Forbidden` for anyone else; `Validation` for an `as_of` in the future or before any
/// order; `Busy` when the caller or the server already runs as many expensive operations
/// as allowed.
pub async fn fit_now(
    state: &crate::state::AppState,
    principal: &Principal,
    request: Submitted<FitRequest>,
) -> AppResult<(
    Option<crate::service::analytics::scores::FitReport>,
    SnapshotView,
)> {
    authorize(principal, Action::FitModels)?;
    let request = request.accept()?;
    let _admission = state.shedder.admit(principal, Expensive::ScoreFit)?;
    refit(&state.db, &state.settings, principal, request.as_of).await
}

/// Attach each customer's current scores, rendered for the caller.
///
/// # Errors
/// Database failures.
pub async fn with_scores(
    state: &AppState,
    principal: &Principal,
    mut items: Vec<CustomerView>,
) -> AppResult<Vec<CustomerView>> {
    let ids: Vec<uuid::Uuid> = items.iter().map(|c| c.id).collect();
    let mut scores = compute_many(&state.db, principal, &state.settings, &ids, None).await?;
    for item in &mut items {
        item.scores = scores.remove(&item.id).map(|c| {
            Box::new(render(
                &c,
                principal,
                DEFAULT_HORIZON_DAYS.unsigned_abs(),
                DEFAULT_MONTHS.unsigned_abs(),
                &state.settings.currency,
            ))
        });
    }
    Ok(items)
}
