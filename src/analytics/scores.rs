//! Explainable scores: loyalty 0–100 from weighted components, grade A–D by value
//! percentile, lifecycle stage by rules, and profile completeness.

/// Everything the loyalty score and lifecycle stage look at, for one customer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    /// Purchases counted (cancelled and refunded excluded).
    pub orders: u32,
    /// Days since the last purchase; `None` without purchases.
    pub recency_days: Option<f64>,
    /// Days since the first purchase; `None` without purchases.
    pub tenure_days: Option<f64>,
    /// Where the customer's spend ranks among buyers, 0 (lowest) to 1 (highest).
    pub monetary_percentile: f64,
    /// Mean CSAT answer (1–5), if any.
    pub mean_csat: Option<f64>,
    /// Mean NPS answer (0–10), if any.
    pub mean_nps: Option<f64>,
    /// Complaints opened in the last 365 days.
    pub recent_complaints: u32,
    /// Customers this one referred.
    pub referrals: u32,
}

/// One weighted part of the loyalty score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    pub name: &'static str,
    /// The component's value, 0–1.
    pub value: f64,
    /// Its weight; the weights sum to 1.
    pub weight: f64,
}

/// The loyalty score's weights, in the order of [`loyalty`]'s components.
pub const LOYALTY_WEIGHTS: [(&str, f64); 7] = [
    ("recency", 0.25),
    ("frequency", 0.20),
    ("monetary", 0.20),
    ("tenure", 0.10),
    ("satisfaction", 0.15),
    ("complaints", 0.05),
    ("referrals", 0.05),
];

/// Loyalty 0–100 and its components:
/// - recency e^(−days/180) (1 today, 0.37 after six months, 0 without purchases);
/// - frequency 1 − e^(−orders/6);
/// - monetary: the spend percentile among buyers;
/// - tenure: days since the first purchase over two years, at most 1;
/// - satisfaction: the mean of (CSAT − 1)/4 and NPS/10 answered, ½ when never asked;
/// - complaints: 1 − complaints in the last year / 3, at least 0;
/// - referrals: referred customers / 3, at most 1.
pub fn loyalty(f: &Facts) -> (f64, Vec<Component>) {
    let recency = f.recency_days.map_or(0.0, |d| (-d.max(0.0) / 180.0).exp());
    let frequency = 1.0 - (-f64::from(f.orders) / 6.0).exp();
    let monetary = if f.orders == 0 {
        0.0
    } else {
        f.monetary_percentile.clamp(0.0, 1.0)
    };
    let tenure = f.tenure_days.map_or(0.0, |d| (d / 730.0).clamp(0.0, 1.0));
    let answers: Vec<f64> = [
        f.mean_csat.map(|c| ((c - 1.0) / 4.0).clamp(0.0, 1.0)),
        f.mean_nps.map(|n| (n / 10.0).clamp(0.0, 1.0)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let satisfaction = if answers.is_empty() {
        0.5
    } else {
        answers.iter().sum::<f64>() / answers.len() as f64
    };
    let complaints = (1.0 - f64::from(f.recent_complaints) / 3.0).max(0.0);
    let referrals = (f64::from(f.referrals) / 3.0).min(1.0);
    let values = [
        recency,
        frequency,
        monetary,
        tenure,
        satisfaction,
        complaints,
        referrals,
    ];
    let components: Vec<Component> = LOYALTY_WEIGHTS
        .iter()
        .zip(values)
        .map(|(&(name, weight), value)| Component {
            name,
            value,
            weight,
        })
        .collect();
    let score = 100.0 * components.iter().map(|c| c.value * c.weight).sum::<f64>();
    ((score * 10.0).round() / 10.0, components)
}

/// Customer grade (客户分级) by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

/// Share of customers in grades A, B and C (the rest are D), by value rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradeShares {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl Default for GradeShares {
    /// A: the top 20 %; B: the next 30 %; C: the next 30 %; D: the bottom 20 %.
    fn default() -> Self {
        Self {
            a: 0.2,
            b: 0.3,
            c: 0.3,
        }
    }
}

/// The grade of a customer whose value ranks at `percentile` (0 lowest, 1 highest).
pub fn grade(percentile: f64, shares: &GradeShares) -> Grade {
    let top = 1.0 - percentile.clamp(0.0, 1.0);
    if top < shares.a {
        Grade::A
    } else if top < shares.a + shares.b {
        Grade::B
    } else if top < shares.a + shares.b + shares.c {
        Grade::C
    } else {
        Grade::D
    }
}

/// Where a customer is in their relationship with the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Prospect,
    New,
    Active,
    Loyal,
    AtRisk,
    Churned,
}

/// The lifecycle stage, checked in this order:
/// 1. prospect: no purchase;
/// 2. churned: P(alive) < 0.2, or without a model no purchase for 365 days;
/// 3. at_risk: P(alive) < 0.5, or without a model no purchase for 180 days;
/// 4. new: first purchase within the last 90 days;
/// 5. loyal: at least 5 purchases over at least a year;
/// 6. active: everyone else.
pub fn stage(f: &Facts, p_alive: Option<f64>) -> Stage {
    let (Some(recency), Some(tenure)) = (f.recency_days, f.tenure_days) else {
        return Stage::Prospect;
    };
    if f.orders == 0 {
        return Stage::Prospect;
    }
    let (churned, at_risk) = match p_alive {
        Some(p) => (p < 0.2, p < 0.5),
        None => (recency > 365.0, recency > 180.0),
    };
    if churned {
        Stage::Churned
    } else if at_risk {
        Stage::AtRisk
    } else if tenure <= 90.0 {
        Stage::New
    } else if f.orders >= 5 && tenure >= 365.0 {
        Stage::Loyal
    } else {
        Stage::Active
    }
}

/// Percentage (0–100) of the profile's fields that are filled.
pub fn completeness(filled: &[bool]) -> u8 {
    if filled.is_empty() {
        return 0;
    }
    let n = filled.iter().filter(|f| **f).count();
    u8::try_from(n * 100 / filled.len()).unwrap_or(100)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn buyer() -> Facts {
        Facts {
            orders: 12,
            recency_days: Some(5.0),
            tenure_days: Some(800.0),
            monetary_percentile: 0.95,
            mean_csat: Some(5.0),
            mean_nps: Some(10.0),
            recent_complaints: 0,
            referrals: 3,
        }
    }

    #[test]
    fn loyalty_weights_sum_to_one_and_components_explain_the_score() {
        let total: f64 = LOYALTY_WEIGHTS.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let (score, components) = loyalty(&buyer());
        assert!(score > 90.0, "{score}");
        let recomputed = 100.0 * components.iter().map(|c| c.value * c.weight).sum::<f64>();
        assert!((score - recomputed).abs() < 0.05);
        assert_eq!(components.len(), 7);
    }

    #[test]
    fn loyalty_falls_with_lapses_complaints_and_bad_answers() {
        let (best, _) = loyalty(&buyer());
        let lapsed = Facts {
            recency_days: Some(400.0),
            ..buyer()
        };
        let unhappy = Facts {
            mean_csat: Some(1.0),
            mean_nps: Some(0.0),
            recent_complaints: 4,
            ..buyer()
        };
        assert!(loyalty(&lapsed).0 < best);
        assert!(loyalty(&unhappy).0 < best);
        let (prospect, _) = loyalty(&Facts::default());
        // Only neutral satisfaction and a clean complaint record count for a prospect.
        assert!((prospect - 12.5).abs() < 1e-9, "{prospect}");
    }

    #[test]
    fn grades_follow_the_shares() {
        let s = GradeShares::default();
        assert_eq!(grade(0.99, &s), Grade::A);
        assert_eq!(grade(0.79, &s), Grade::B);
        assert_eq!(grade(0.45, &s), Grade::C);
        assert_eq!(grade(0.05, &s), Grade::D);
        let strict = GradeShares {
            a: 0.05,
            b: 0.15,
            c: 0.3,
        };
        assert_eq!(grade(0.9, &strict), Grade::B);
    }

    #[test]
    fn lifecycle_rules_apply_in_order() {
        assert_eq!(stage(&Facts::default(), None), Stage::Prospect);
        let new = Facts {
            orders: 1,
            recency_days: Some(10.0),
            tenure_days: Some(10.0),
            ..Facts::default()
        };
        assert_eq!(stage(&new, None), Stage::New);
        assert_eq!(stage(&buyer(), Some(0.9)), Stage::Loyal);
        assert_eq!(stage(&buyer(), Some(0.4)), Stage::AtRisk);
        assert_eq!(stage(&buyer(), Some(0.1)), Stage::Churned);
        let quiet = Facts {
            recency_days: Some(200.0),
            ..buyer()
        };
        assert_eq!(stage(&quiet, None), Stage::AtRisk);
        let few = Facts {
            orders: 2,
            recency_days: Some(20.0),
            tenure_days: Some(200.0),
            ..Facts::default()
        };
        assert_eq!(stage(&few, Some(0.8)), Stage::Active);
    }

    #[test]
    fn completeness_is_the_share_of_filled_fields() {
        assert_eq!(completeness(&[true, true, false, false]), 50);
        assert_eq!(completeness(&[true; 3]), 100);
        assert_eq!(completeness(&[]), 0);
    }
}
