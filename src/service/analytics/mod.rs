//! What the data says: scores (RFM, churn, lifetime value, loyalty) and their fitted models, segments, alerts, and the overview.

pub mod alerts;
pub mod overview;
pub mod scores;
pub mod scoring;
pub mod segments;
