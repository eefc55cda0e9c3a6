//! What a GraphQL field costs. A field costs 1 plus what is selected below it (the
//! engine's default), a connection its page size (`first` or `last`, else its default)
//! times the cost of one item plus its own price, and the fields below have a price that
//! reflects the work behind them. The schema refuses an operation whose total exceeds
//! [`MAX_COST`] before anything runs (`QUERY_TOO_EXPENSIVE`, with `cost` and `limit`).
//!
//! Prices follow the time of one call against the demo data set (305 customers, debug
//! build, SQLite, one request at a time; each figure less the ~10 ms every request takes to
//! authenticate and parse): about 20 units per millisecond, so [`MAX_COST`] is about one
//! second of that server's work. A list page costs at least as much by its fields as by its
//! time (50 customers with their scores and latest 10 orders: 270 ms, 8,400 units).
//!
//! | field | measured | price |
//! |---|---|---|
//! | a record field, a customer's batched page (`orders`, `interactions`, …) | — | 1 per field, × `first` |
//! | a customer's score fields (`scores`, `rfm`, `churn`, `grade`, …; one batch per page) | — | [`SCORE`] + fields |
//! | `Customer.consentHistory`, `Customer.points` (a statement per customer) | 0.7–1.2 ms | [`PER_PARENT`] + `first` × fields |
//! | `Customer.duplicates` (a statement per customer) | 2 ms | [`DUPLICATES`] + fields |
//! | `Customer.timeline` (five kinds merged, per customer) | 11.5 ms | [`TIMELINE`] + `first` × fields |
//! | `segments` (a count per segment) / `segment(id)` | < 1 ms | [`SEGMENTS`] / [`SEGMENT`] + fields |
//! | `Segment.members` (the segment's filter over every customer) | 40 ms | [`SEGMENT_MEMBERS`] + `first` × fields |
//! | `overview`, `dataQuality`, `duplicatePairs` (every customer; they grow with the base, so twice the rule) | 20–25 ms | [`WHOLE_BASE`] + fields |
//! | `evaluateAlerts` | 30 ms | [`EVALUATE`] |
//! | `refreshScoreSnapshot` | 60 ms | [`REFRESH`] |
//! | `fitScores` (both models, every score rewritten) | 410 ms | [`FIT`] |
//! | `standardiseCustomers` (every customer rewritten) | 750 ms | [`STANDARDISE`] |
//! | `scoreValidation` (the churn model fitted on a past period) | 5.9 s (0.45 s in a release build) | [`VALIDATION`]: one per request |
//!
//! Once an operation's cost is known and within the limit, it is charged to the caller's
//! request bucket as well: one token per [`COST_PER_TOKEN`] units.

/// The most an operation may cost.
pub const MAX_COST: usize = 20_000;

/// Cost units one request-rate token pays for: an operation takes `cost / COST_PER_TOKEN`
/// tokens from its caller's bucket (`auth::rate`) on top of the request's own one, at most
/// the bucket's size less one (with the default `100/5s`, the costliest operation takes 81
/// of 100 tokens, about four seconds of refill).
pub const COST_PER_TOKEN: usize = 250;

/// The extra tokens an operation of `cost` takes.
#[must_use]
pub fn tokens(cost: usize) -> u32 {
    u32::try_from(cost / COST_PER_TOKEN).unwrap_or(u32::MAX)
}

/// No field's cost goes above this: the engine adds costs without overflow checks, so each
/// stays far below `usize::MAX` however large a `first` is asked for.
const CEILING: usize = 1 << 40;

/// A score field of a customer (batched per page).
pub const SCORE: usize = 2;
/// `consentHistory`, `points`: a statement per customer.
pub const PER_PARENT: usize = 25;
/// `Customer.duplicates`.
pub const DUPLICATES: usize = 40;
/// `Customer.timeline`.
pub const TIMELINE: usize = 250;
/// `segment(id)` (with its member count).
pub const SEGMENT: usize = 10;
/// `segments`.
pub const SEGMENTS: usize = 50;
/// `Segment.members`.
pub const SEGMENT_MEMBERS: usize = 800;
/// `overview`, `dataQuality`, `duplicatePairs`.
pub const WHOLE_BASE: usize = 1_000;
/// `evaluateAlerts`.
pub const EVALUATE: usize = 600;
/// `refreshScoreSnapshot`.
pub const REFRESH: usize = 1_200;
/// `fitScores`.
pub const FIT: usize = 8_000;
/// `standardiseCustomers`.
pub const STANDARDISE: usize = 15_000;
/// `scoreValidation`: half the limit, so one per request (its measured time would price it
/// out of reach; the blocking fit cannot be stopped once started, so at most one may start).
pub const VALIDATION: usize = MAX_COST / 2;

/// A field with a fixed price and the cost of what is selected below it.
#[must_use]
pub fn fixed(price: usize, child: usize) -> usize {
    price.saturating_add(child).min(CEILING)
}

/// `count` items, each costing `child`, plus `price`.
#[must_use]
pub fn items(count: usize, child: usize, price: usize) -> usize {
    count
        .saturating_mul(child)
        .saturating_add(price)
        .min(CEILING)
}

/// A page of `size` items (`default` when absent), each costing `child`, plus `price`. A
/// size out of range is refused by the resolver; here it counts as asked (at least 1).
#[must_use]
pub fn page(size: Option<i32>, default: i32, child: usize, price: usize) -> usize {
    items(
        usize::try_from(size.unwrap_or(default)).unwrap_or(1).max(1),
        child,
        price,
    )
}

/// A Relay connection: `first` or `last` items (50 when neither is given).
#[must_use]
pub fn relay(first: Option<i32>, last: Option<i32>, child: usize, price: usize) -> usize {
    page(first.or(last), 50, child, price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_multiplies_and_never_overflows() {
        assert_eq!(page(Some(10), 50, 7, 1), 71);
        assert_eq!(page(None, 50, 2, 0), 100);
        assert_eq!(page(Some(-5), 50, 3, 1), 4);
        assert_eq!(relay(None, Some(20), 5, 1), 101);
        let huge = page(Some(i32::MAX), 50, page(Some(i32::MAX), 50, 1 << 30, 1), 1);
        assert_eq!(huge, CEILING);
        assert!(
            huge.checked_mul(1 << 20).is_some(),
            "sums of ceilings stay in range"
        );
    }
}
