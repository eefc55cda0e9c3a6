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

#[tokio::test]
async fn a_fit_on_enough_customers_stores_its_parameters_and_respects_the_as_of_date() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
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
            day -= gap;
            n += 1;
        }
    }
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
    let stored = scores::latest(&app.state.db).await.unwrap().unwrap();
    assert_eq!(stored["id"], json!(report.id));
    assert!(stored["bgnbd"]["alpha"].is_number());

    // As of 300 days ago only the customers who had bought by then count.
    let early = scores::fit(&app.state.db, today - Duration::days(300), "CNY")
        .await
        .unwrap();
    assert!(early.customers < 40, "{early:?}");
}
