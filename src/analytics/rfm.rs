//! RFM: recency, frequency and monetary value, scored 1–5 by quintile among customers with at
//! least one purchase (5 = best: most recent, most frequent, highest spend), and the eleven
//! standard segment names.
//!
//! Segments are read from the recency score R and FM = round((F + M) / 2):
//!
//! | R \ FM | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 5 | New Customers | Potential Loyalist | Potential Loyalist | Champions | Champions |
//! | 4 | Promising | Potential Loyalist | Potential Loyalist | Loyal | Champions |
//! | 3 | About to Sleep | Need Attention | Need Attention | Loyal | Loyal |
//! | 2 | Hibernating | Hibernating | At Risk | At Risk | Can't Lose Them |
//! | 1 | Lost | Lost | At Risk | Can't Lose Them | Can't Lose Them |

use std::cmp::Ordering;

/// One customer's RFM values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rfm {
    /// Days since the last purchase.
    pub recency_days: f64,
    /// Purchases counted.
    pub frequency: f64,
    /// Money spent.
    pub monetary: f64,
}

/// Quintile scores 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// The eleven segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
}

impl Segment {
    /// Every segment, best first.
    pub const ALL: [Segment; 11] = [
        Self::Champions,
        Self::Loyal,
        Self::PotentialLoyalist,
        Self::New,
        Self::Promising,
        Self::NeedAttention,
        Self::AboutToSleep,
        Self::AtRisk,
        Self::CantLose,
        Self::Hibernating,
        Self::Lost,
    ];

    /// The standard name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Champions => "Champions",
            Self::Loyal => "Loyal Customers",
            Self::PotentialLoyalist => "Potential Loyalist",
            Self::New => "New Customers",
            Self::Promising => "Promising",
            Self::NeedAttention => "Need Attention",
            Self::AboutToSleep => "About to Sleep",
            Self::AtRisk => "At Risk",
            Self::CantLose => "Can't Lose Them",
            Self::Hibernating => "Hibernating",
            Self::Lost => "Lost",
        }
    }
}

/// Scores 1–5 of `values` by quintile of their rank, ties sharing the score of their average
/// rank; `higher_is_better` says which end scores 5.
pub fn quintiles(values: &[f64], higher_is_better: bool) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].partial_cmp(&values[j]).unwrap_or(Ordering::Equal));
    let mut scores = vec![0u8; n];
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        // Average 0-based rank of the tie group, as a fraction of n.
        let rank = (start + end) as f64 / 2.0;
        let q = ((rank + 0.5) / n as f64 * 5.0).floor().clamp(0.0, 4.0) as u8 + 1;
        let score = if higher_is_better { q } else { 6 - q };
        for &i in &order[start..=end] {
            scores[i] = score;
        }
        start = end + 1;
    }
    scores
}

/// The 20th, 40th, 60th and 80th percentiles (nearest rank) of `values`, for scoring one
/// customer at a time against a population ([`score_at`]); `None` for no values.
pub fn cut_points(values: &[f64]) -> Option<[f64; 4]> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let at = |q: f64| sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    Some([at(0.2), at(0.4), at(0.6), at(0.8)])
}

/// The `k`/`n` percentiles (nearest rank) of `values` for k = 1 … n−1: `n − 1` points that
/// split the values into `n` equal shares; `None` for no values.
pub fn quantile_points(values: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() || n < 2 {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let len = sorted.len();
    Some(
        (1..n)
            .map(|k| sorted[((k as f64 / n as f64 * len as f64).ceil() as usize).clamp(1, len) - 1])
            .collect(),
    )
}

/// Where `value` ranks (0 lowest, 1 highest) against evenly spaced quantile points of a
/// population: the share of points below it, points equal to it counting half.
pub fn percentile_at(value: f64, points: &[f64]) -> f64 {
    if points.is_empty() {
        return 0.5;
    }
    let below = points.iter().filter(|p| **p < value).count() as f64;
    let equal = points.iter().filter(|p| **p == value).count() as f64;
    (below + equal / 2.0) / points.len() as f64
}

/// A score 1–5 against cut points: one more for each cut point the value exceeds (or, when
/// lower is better, stays at or under).
pub fn score_at(value: f64, cuts: &[f64; 4], higher_is_better: bool) -> u8 {
    let above = cuts.iter().filter(|c| value > **c).count() as u8;
    if higher_is_better {
        1 + above
    } else {
        5 - above
    }
}

/// Scores of every customer (all with at least one purchase).
pub fn score(customers: &[Rfm]) -> Vec<Scores> {
    let r = quintiles(
        &customers.iter().map(|c| c.recency_days).collect::<Vec<_>>(),
        false,
    );
    let f = quintiles(
        &customers.iter().map(|c| c.frequency).collect::<Vec<_>>(),
        true,
    );
    let m = quintiles(
        &customers.iter().map(|c| c.monetary).collect::<Vec<_>>(),
        true,
    );
    (0..customers.len())
        .map(|i| Scores {
            r: r[i],
            f: f[i],
            m: m[i],
        })
        .collect()
}

/// The segment of a customer's scores (table above).
pub fn segment(s: Scores) -> Segment {
    use Segment::*;
    let fm = ((f64::from(s.f) + f64::from(s.m)) / 2.0)
        .round()
        .clamp(1.0, 5.0) as u8;
    const TABLE: [[Segment; 5]; 5] = [
        [Lost, Lost, AtRisk, CantLose, CantLose],
        [Hibernating, Hibernating, AtRisk, AtRisk, CantLose],
        [AboutToSleep, NeedAttention, NeedAttention, Loyal, Loyal],
        [
            Promising,
            PotentialLoyalist,
            PotentialLoyalist,
            Loyal,
            Champions,
        ],
        [
            New,
            PotentialLoyalist,
            PotentialLoyalist,
            Champions,
            Champions,
        ],
    ];
    TABLE[usize::from(s.r.clamp(1, 5) - 1)][usize::from(fm - 1)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn quantile_points_rank_one_value_against_the_population() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let points = quantile_points(&values, 100).unwrap();
        assert_eq!(points.len(), 99);
        assert_eq!(points[49], 50.0);
        assert!((percentile_at(95.5, &points) - 95.0 / 99.0).abs() < 1e-12);
        assert_eq!(percentile_at(0.0, &points), 0.0);
        assert_eq!(percentile_at(1000.0, &points), 1.0);
        assert_eq!(percentile_at(3.0, &[]), 0.5);
        // Everyone spent the same: everyone sits in the middle.
        let same = quantile_points(&[7.0; 10], 100).unwrap();
        assert_eq!(percentile_at(7.0, &same), 0.5);
        assert!(quantile_points(&[], 100).is_none());
    }

    #[test]
    fn quintiles_split_evenly_and_ties_share_a_score() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintiles(&values, true), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(
            quintiles(&values, false),
            vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        );
        let tied = [1.0, 1.0, 1.0, 1.0, 9.0];
        let s = quintiles(&tied, true);
        assert!(s[..4].iter().all(|&x| x == s[0]) && s[4] == 5, "{s:?}");
        assert_eq!(quintiles(&[3.0], true), vec![3]);
        assert!(quintiles(&[], true).is_empty());
    }

    #[test]
    fn cut_points_score_one_customer_like_the_population() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let cuts = cut_points(&values).unwrap();
        assert_eq!(cuts, [2.0, 4.0, 6.0, 8.0]);
        let scored: Vec<u8> = values.iter().map(|v| score_at(*v, &cuts, true)).collect();
        assert_eq!(scored, quintiles(&values, true));
        assert_eq!(score_at(1.0, &cuts, false), 5, "the most recent scores 5");
        assert_eq!(score_at(100.0, &cuts, false), 1);
        assert!(cut_points(&[]).is_none());
        assert_eq!(cut_points(&[7.0]), Some([7.0; 4]));
    }

    #[test]
    fn every_segment_is_reachable_and_the_corners_are_right() {
        let mut seen = std::collections::HashSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    seen.insert(segment(Scores { r, f, m }));
                }
            }
        }
        assert_eq!(seen.len(), 11);
        assert_eq!(segment(Scores { r: 5, f: 5, m: 5 }), Segment::Champions);
        assert_eq!(segment(Scores { r: 1, f: 1, m: 1 }), Segment::Lost);
        assert_eq!(segment(Scores { r: 1, f: 5, m: 5 }), Segment::CantLose);
        assert_eq!(segment(Scores { r: 5, f: 1, m: 1 }), Segment::New);
    }

    #[test]
    fn the_best_customer_scores_five_on_each() {
        let customers = vec![
            Rfm {
                recency_days: 3.0,
                frequency: 20.0,
                monetary: 9000.0,
            },
            Rfm {
                recency_days: 400.0,
                frequency: 1.0,
                monetary: 50.0,
            },
            Rfm {
                recency_days: 60.0,
                frequency: 4.0,
                monetary: 800.0,
            },
            Rfm {
                recency_days: 120.0,
                frequency: 2.0,
                monetary: 300.0,
            },
            Rfm {
                recency_days: 30.0,
                frequency: 8.0,
                monetary: 2000.0,
            },
        ];
        let s = score(&customers);
        assert_eq!(s[0], Scores { r: 5, f: 5, m: 5 });
        assert_eq!(s[1], Scores { r: 1, f: 1, m: 1 });
        assert_eq!(segment(s[0]), Segment::Champions);
        assert_eq!(segment(s[1]), Segment::Lost);
    }
}
