//! Fitting the churn and spend models on orders recorded over HTTP (the job behind
//! `dossier scores fit`).

use chrono::{Duration, Utc};
use dossier::service::scores;
use serde_json::json;

use crate::support::{TestApp, person};

#[tokio::test]
async fn a_fit_needs_data_and_falls_back_to_rfm_rules_with_too_little() {
    let app = TestApp::spawn().await;
    let today = Utc::now().date_naive();
    let err = scores::fit(&app.state.db, today, "CNY").await.unwrap_err();
    assert_eq!(err.field_errors()[0].code, "before_data");
    let future = scores::fit(&app.state.db, today + Duration::days(3), "CNY")
        .await
        .unwrap_err();
    assert_eq!(future.field_errors()[0].code, "in_future");

    for i in 0..5 {
        let id = app.create_customer(person(&format!("少量{i}"))).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for d in [40, 20] {
            let at = (Utc::now() - Duration::days(d)).to_rfc3339();
            app.post(
                &format!("/api/v1/customers/{id}/orders"),
                &json!({"total": "10", "status": "completed", "ordered_at": at}),
            )
            .await;
        }
    }
    let report = scores::fit(&app.state.db, today, "CNY").await.unwrap();
    assert_eq!(report.status, "insufficient_data");
    assert!(report.bgnbd.is_none());
    assert!(
        report.message.as_deref().unwrap().contains("RFM"),
        "{report:?}"
    );
    assert_eq!(report.customers, 5);
    let stored = scores::latest(&app.state.db).await.unwrap().unwrap();
    assert_eq!(stored["status"], "insufficient_data");
}

/// 40 customers over the last year: every third buys once, the rest every 10–40 days, some
/// stopped early, every third order of a buyer cancelled. Returns the counted purchases in
/// the last `holdout` days.
async fn buyers(app: &TestApp, holdout: i64) -> usize {
    let now = Utc::now();
    let mut in_holdout = 0;
    // 40 customers: every third buys once, the rest every 10–40 days; some stopped early.
    for i in 0..40i64 {
        let id = app.create_customer(person(&format!("买家{i}"))).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let gap = 10 + i % 4 * 10;
        let stop = if i % 5 == 0 { 200 } else { 0 };
        let mut day = 360 - i * 3;
        let mut n = 0;
        while day > stop && (i % 3 != 0 || n == 0) {
            let at = (now - Duration::days(day)).to_rfc3339();
            let status = if n == 2 { "cancelled" } else { "completed" };
            let r = app
                .post(&format!("/api/v1/customers/{id}/orders"),
                      &json!({"total": format!("{}", 20 + (i * 7 + n) % 30), "status": status, "ordered_at": at}))
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            if status != "cancelled" && day < holdout {
                in_holdout += 1;
            }
            day -= gap;
            n += 1;
        }
    }
    in_holdout
}

#[tokio::test]
async fn a_fit_on_enough_customers_stores_its_parameters_and_respects_the_as_of_date() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    buyers(&app, 0).await;
    let today = now.date_naive();
    let report = scores::fit(&app.state.db, today, "CNY").await.unwrap();
    assert_eq!(report.status, "fitted", "{report:?}");
    assert_eq!(report.customers, 40);
    assert_eq!(report.time_unit, "days");
    let bg = report.bgnbd.as_ref().unwrap();
    assert!(
        [bg.r, bg.alpha, bg.a, bg.b]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0),
        "{bg:?}"
    );
    assert!(report.log_likelihood.unwrap() < 0.0);
    let cuts = report.rfm_cuts.as_ref().unwrap();
    for c in [cuts.recency_days, cuts.frequency, cuts.monetary] {
        assert!(c.windows(2).all(|w| w[0] <= w[1]), "{cuts:?}");
    }
    assert_eq!(cuts.frequency[0], 1.0, "a third of the buyers bought once");
    let stored = scores::latest(&app.state.db).await.unwrap().unwrap();
    assert_eq!(stored["id"], json!(report.id));
    assert!(stored["bgnbd"]["alpha"].is_number());

    // As of 300 days ago only the customers who had bought by then count.
    let early = scores::fit(&app.state.db, today - Duration::days(300), "CNY")
        .await
        .unwrap();
    assert!(early.customers < 40, "{early:?}");
}

#[tokio::test]
async fn validation_compares_predicted_and_actual_holdout_purchases() {
    let app = TestApp::spawn().await;
    let actual = buyers(&app, 120).await;
    let today = Utc::now().date_naive();
    let wrong = scores::validate(&app.state.db, today, today - Duration::days(1), "CNY")
        .await
        .unwrap_err();
    assert_eq!(wrong.field_errors()[0].code, "not_after_calibration");
    let report = scores::validate(&app.state.db, today - Duration::days(120), today, "CNY")
        .await
        .unwrap();
    assert_eq!(report.holdout_days, 120);
    assert_eq!(
        report.actual_total as usize, actual,
        "every counted purchase day in the holdout"
    );
    assert!(
        report.predicted_total > 0.0 && report.mae >= 0.0,
        "{report:?}"
    );
    let grouped: usize = report.by_frequency.iter().map(|r| r.customers).sum();
    assert_eq!(grouped, report.customers);
    assert!(report.customers <= 40);
}
