//! Forecast horizons: how far ahead churn and lifetime value look.

use crate::error::AppError;

const MAX_HORIZON_DAYS: i32 = 3650;
const MAX_MONTHS: i32 = 120;

/// A horizon in days: 1–3650.
///
/// # Errors
/// `Validation` naming `field` outside that range.
pub fn horizon_days(field: &str, days: i32) -> Result<u32, AppError> {
    if !(1..=MAX_HORIZON_DAYS).contains(&days) {
        return Err(AppError::invalid(
            field,
            "out_of_range",
            format!("must be 1–{MAX_HORIZON_DAYS} days"),
        ));
    }
    Ok(days.unsigned_abs())
}

/// A horizon in months: 1–120.
///
/// # Errors
/// `Validation` naming `field` outside that range.
pub fn horizon_months(field: &str, months: i32) -> Result<u32, AppError> {
    if !(1..=MAX_MONTHS).contains(&months) {
        return Err(AppError::invalid(
            field,
            "out_of_range",
            format!("must be 1–{MAX_MONTHS} months"),
        ));
    }
    Ok(months.unsigned_abs())
}
