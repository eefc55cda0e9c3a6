//! `scores fit`, `scores snapshot` and `scores validate`.

use anyhow::Context;
use dossier::policy::Principal;
use dossier::{service, startup, telemetry};

/// Fit the models and refresh the snapshot.
pub async fn fit(as_of: Option<chrono::NaiveDate>, json: bool) -> anyhow::Result<()> {
    telemetry::init();
    let settings = super::operator_settings()?;
    let db = startup::connect(&settings).await?;
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (report, snapshot) =
        service::analytics::scoring::refit(&db, &settings, &Principal::operator(), Some(as_of))
            .await?;
    let report = report.context("the fit produced no report")?;
    if json {
        let mut doc = serde_json::to_value(&report)?;
        doc["snapshot"] = serde_json::to_value(&snapshot)?;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_fit(&report);
        println!("score snapshot: {} customers", snapshot.customers);
    }
    Ok(())
}

/// Refresh the score snapshot.
pub async fn snapshot() -> anyhow::Result<()> {
    telemetry::init();
    let settings = super::operator_settings()?;
    let db = startup::connect(&settings).await?;
    let started = std::time::Instant::now();
    let snapshot =
        service::analytics::scoring::refresh_snapshot(&db, &settings, &Principal::operator())
            .await?;
    println!(
        "scored {} customers in {:.1} s",
        snapshot.customers,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fit on a calibration period and compare with a holdout.
pub async fn validate(
    calibration_end: chrono::NaiveDate,
    holdout_end: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<()> {
    telemetry::init();
    let settings = super::operator_settings()?;
    let db = startup::connect(&settings).await?;
    let request = dossier::types::scores::ValidationRequest {
        calibration_end,
        holdout_end,
    };
    let report =
        service::analytics::scores::validate_as_operator(&db, request.into(), &settings.currency)
            .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "calibration to {}, holdout {} days to {}: {} customers",
            report.calibration_end, report.holdout_days, report.holdout_end, report.customers
        );
        println!(
            "predicted {:.1} purchases, actual {:.0}; mean absolute error {:.3} per customer",
            report.predicted_total, report.actual_total, report.mae
        );
        println!(
            "{:>22} {:>10} {:>10} {:>10}",
            "calibration repeats", "customers", "predicted", "actual"
        );
        for row in &report.by_frequency {
            println!(
                "{:>22} {:>10} {:>10.2} {:>10.2}",
                row.calibration_repeat_purchases,
                row.customers,
                row.predicted_mean,
                row.actual_mean
            );
        }
    }
    Ok(())
}

pub(crate) fn print_fit(r: &service::analytics::scores::FitReport) {
    println!(
        "as of {}: {} customers with purchases, {} repeat buyers ({:.1} s)",
        r.as_of, r.customers, r.repeat_buyers, r.fit_seconds
    );
    if let Some(m) = &r.message {
        println!("{m}");
    }
    if let Some(p) = &r.bgnbd {
        println!(
            "BG/NBD (days): r = {:.4}, alpha = {:.4}, a = {:.4}, b = {:.4}; log-likelihood {:.2}",
            p.r,
            p.alpha,
            p.a,
            p.b,
            r.log_likelihood.unwrap_or(f64::NAN)
        );
    }
    if let Some(p) = &r.gamma_gamma {
        println!(
            "Gamma-Gamma: p = {:.4}, q = {:.4}, gamma = {:.4}",
            p.p, p.q, p.gamma
        );
    }
    for note in &r.notes {
        println!("note: {note}");
    }
}
