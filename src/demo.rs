//! Demo data set (placeholder until the generator lands).
pub fn demo_custom_fields() -> Vec<serde_json::Value> {
    Vec::new()
}
pub fn demo_customers(_count: usize, _seed: u64) -> Vec<serde_json::Value> {
    Vec::new()
}
