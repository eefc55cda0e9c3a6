//! Fitting the churn and spend models on orders recorded over HTTP (the job behind
//! `dossier scores fit`).

use chrono::{Duration, Utc};
use dossier::domain::Role;
use dossier::policy::Principal;
use dossier::service::analytics::scores;
use dossier::types::scores::ValidationRequest;
use serde_json::json;

use crate::support::{TestApp, person, statements};

#[tokio::test]
async fn a_fit_needs_data_and_falls_back_to_rfm_rules_with_too_little() {
    let app = TestApp::spawn().await;
    let today = Utc::now().date_naive();
    let err = scores::fit(&app.state.db, &Principal::operator(), today, "CNY")
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].code, "before_data");
    let future = scores::fit(
        &app.state.db,
        &Principal::operator(),
        today + Duration::days(3),
        "CNY",
    )
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
    let report = scores::fit(&app.state.db, &Principal::operator(), today, "CNY")
        .await
        .unwrap();
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
pub(crate) async fn buyers(app: &TestApp, holdout: i64) -> usize {
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
    let report = scores::fit(&app.state.db, &Principal::operator(), today, "CNY")
        .await
        .unwrap();
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
    let early = scores::fit(
        &app.state.db,
        &Principal::operator(),
        today - Duration::days(300),
        "CNY",
    )
    .await
    .unwrap();
    assert!(early.customers < 40, "{early:?}");
}

#[tokio::test]
async fn validation_compares_predicted_and_actual_holdout_purchases() {
    let app = TestApp::spawn().await;
    let actual = buyers(&app, 120).await;
    let today = Utc::now().date_naive();
    let wrong = scores::validate(
        &app.state,
        &Principal::operator(),
        ValidationRequest {
            calibration_end: today,
            holdout_end: today - Duration::days(1),
        }
        .into(),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.field_errors()[0].code, "not_after_calibration");
    let report = scores::validate(
        &app.state,
        &Principal::operator(),
        ValidationRequest {
            calibration_end: today - Duration::days(120),
            holdout_end: today,
        }
        .into(),
    )
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

/// A customer's id by display name, as the admin lists them.
async fn id_of(app: &TestApp, name: &str) -> String {
    let resp = app.get("/api/v1/customers?limit=200").await;
    resp.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["display_name"] == name)
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn without_a_model_scores_use_the_rfm_rules() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("规则客户")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prospect = app.get(&format!("/api/v1/customers/{id}/scores")).await;
    assert_eq!(prospect.status, 200, "{}", prospect.text);
    assert_eq!(prospect.body["lifecycle_stage"], "prospect");
    assert!(prospect.body["churn"]["risk"].is_null());
    assert!(prospect.body["lifetime_value"].is_null());
    let at = (Utc::now() - Duration::days(73)).to_rfc3339();
    app.post(
        &format!("/api/v1/customers/{id}/orders"),
        &json!({"total": "88", "status": "completed", "ordered_at": at}),
    )
    .await;
    let s = app
        .get(&format!("/api/v1/customers/{id}/scores"))
        .await
        .body;
    assert_eq!(s["churn"]["method"], "rules");
    assert!(s["churn"]["p_alive"].is_null());
    assert!(
        (s["churn"]["risk"].as_f64().unwrap() - 73.0 / 365.0).abs() < 1e-9,
        "{s}"
    );
    assert_eq!(s["rfm"]["recency_days"], 73);
    assert_eq!(s["rfm"]["frequency"], 1);
    assert_eq!(s["rfm"]["monetary"], "88.00");
    assert!(
        s["rfm"]["segment"].is_null() && s["grade"].is_null(),
        "no fit yet: {s}"
    );
    assert_eq!(s["lifecycle_stage"], "new");
    assert!(s["model"].is_null());
    // Nine of the ten profile fields counted are filled (no employer).
    let full = app.create_customer(crate::support::zhang_wei()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = app
        .get(&format!("/api/v1/customers/{full}/scores"))
        .await
        .body;
    assert_eq!(s["completeness"], 90, "{s}");
}

#[tokio::test]
async fn a_customers_scores_follow_the_fitted_model_and_the_policy() {
    let app = TestApp::spawn().await;
    buyers(&app, 0).await;
    let today = Utc::now().date_naive();
    let fit = scores::fit(&app.state.db, &Principal::operator(), today, "CNY")
        .await
        .unwrap();
    assert_eq!(fit.status, "fitted", "{fit:?}");
    // 买家1 buys every 20 days until today; 买家0 bought once, 360 days ago.
    let regular = id_of(&app, "买家1").await;
    let once = id_of(&app, "买家0").await;

    let s = app
        .get(&format!("/api/v1/customers/{regular}/scores"))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.header("cache-control"), "private, no-store");
    let s = s.body;
    assert_eq!(s["model"]["id"], json!(fit.id));
    assert_eq!(s["churn"]["method"], "model");
    let alive = s["churn"]["p_alive"].as_f64().unwrap();
    assert!(alive > 0.5 && alive <= 1.0, "{s}");
    assert!((s["churn"]["risk"].as_f64().unwrap() - (1.0 - alive)).abs() < 1e-12);
    assert_eq!(s["churn"]["horizon_days"], 90);
    assert!(
        s["churn"]["expected_purchases"].as_f64().unwrap() > 0.5,
        "{s}"
    );
    let ltv: f64 = s["lifetime_value"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ltv > 0.0, "{s}");
    assert_eq!(s["lifetime_value"]["months"], 12);
    assert_eq!(s["lifetime_value"]["currency"], "CNY");
    assert!(
        s["rfm"]["r"].as_i64() >= Some(4),
        "bought within the last weeks: {s}"
    );
    assert!(s["rfm"]["segment"].is_string());
    assert!(["A", "B", "C", "D"].contains(&s["grade"].as_str().unwrap()));
    let components = s["loyalty"]["components"].as_array().unwrap();
    assert_eq!(components.len(), 7);
    let weighted: f64 = components
        .iter()
        .map(|c| c["value"].as_f64().unwrap() * c["weight"].as_f64().unwrap())
        .sum();
    assert!(
        (s["loyalty"]["score"].as_f64().unwrap() - 100.0 * weighted).abs() < 0.2,
        "{s}"
    );
    assert!(s["masked"].as_array().unwrap().is_empty());
    assert_eq!(s["completeness"], 0, "a bare profile");

    // A longer horizon expects more purchases and more value.
    let longer = app
        .get(&format!(
            "/api/v1/customers/{regular}/scores?horizon_days=365&months=24"
        ))
        .await
        .body;
    assert!(
        longer["churn"]["expected_purchases"].as_f64().unwrap()
            > s["churn"]["expected_purchases"].as_f64().unwrap()
    );
    let ltv24: f64 = longer["lifetime_value"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ltv24 > ltv);

    // The one-off buyer of a year ago is at risk or gone, and scores lower.
    let o = app
        .get(&format!("/api/v1/customers/{once}/scores"))
        .await
        .body;
    assert_eq!(o["rfm"]["frequency"], 1);
    // BG/NBD deems one-off buyers alive; their risk comes from the recency rule.
    assert_eq!(o["churn"]["method"], "rules", "{o}");
    assert!(o["churn"]["p_alive"].is_null());
    assert!(
        (o["churn"]["risk"].as_f64().unwrap() - 360.0 / 365.0).abs() < 1e-9,
        "{o}"
    );
    assert!(o["churn"]["expected_purchases"].as_f64().unwrap() > 0.0);
    assert_eq!(o["rfm"]["r"], 1, "{o}");
    assert!(o["loyalty"]["score"].as_f64() < s["loyalty"]["score"].as_f64());

    // Support has no financial clearance: money-derived scores are withheld and named.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let seen = app
        .send(support.get(format!("{}/api/v1/customers/{regular}/scores", app.base)))
        .await
        .body;
    assert!(seen["rfm"]["monetary"].is_null() && seen["rfm"]["m"].is_null());
    assert!(seen["rfm"]["segment"].is_null() && seen["grade"].is_null());
    assert!(seen["lifetime_value"]["value"].is_null());
    assert_eq!(seen["churn"]["p_alive"], s["churn"]["p_alive"]);
    assert_eq!(seen["rfm"]["r"], s["rfm"]["r"]);
    let masked: Vec<&str> = seen["masked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for field in [
        "rfm.monetary",
        "rfm.m",
        "rfm.segment",
        "lifetime_value.value",
        "lifetime_value.expected_order_value",
        "loyalty.score",
        "loyalty.components",
        "grade",
    ] {
        assert!(masked.contains(&field), "{field} in {masked:?}");
    }
    // The analyst sees money but no contact details; scores are all visible.
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let seen = app
        .send(analyst.get(format!("{}/api/v1/customers/{regular}/scores", app.base)))
        .await
        .body;
    assert_eq!(seen["rfm"]["monetary"], s["rfm"]["monetary"]);
    assert_eq!(seen["grade"], s["grade"]);
    // A sales user who does not own the customer cannot see it at all.
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let hidden = app
        .send(sales.get(format!("{}/api/v1/customers/{regular}/scores", app.base)))
        .await;
    hidden.assert_problem(404, "not_found");
}

#[tokio::test]
async fn scores_as_of_a_past_date_use_the_orders_and_the_model_of_then() {
    let app = TestApp::spawn().await;
    buyers(&app, 0).await;
    let today = Utc::now().date_naive();
    let then = today - Duration::days(100);
    let early = scores::fit(&app.state.db, &Principal::operator(), then, "CNY")
        .await
        .unwrap();
    let now = scores::fit(&app.state.db, &Principal::operator(), today, "CNY")
        .await
        .unwrap();
    let regular = id_of(&app, "买家1").await;
    let current = app
        .get(&format!("/api/v1/customers/{regular}/scores"))
        .await
        .body;
    assert_eq!(current["model"]["id"], json!(now.id));
    let past = app
        .get(&format!("/api/v1/customers/{regular}/scores?as_of={then}"))
        .await;
    assert_eq!(past.status, 200, "{}", past.text);
    let past = past.body;
    assert_eq!(past["as_of"], json!(then));
    assert_eq!(past["model"]["id"], json!(early.id));
    // Five purchases every 20 days fall after the as-of date.
    assert_eq!(
        past["rfm"]["frequency"].as_i64().unwrap() + 5,
        current["rfm"]["frequency"].as_i64().unwrap(),
        "{past} {current}"
    );
}

#[tokio::test]
async fn bad_score_parameters_are_named() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("参数")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = (Utc::now() - Duration::days(30)).to_rfc3339();
    app.post(
        &format!("/api/v1/customers/{id}/orders"),
        &json!({"total": "10", "status": "completed", "ordered_at": at}),
    )
    .await;
    let path = format!("/api/v1/customers/{id}/scores");
    let future = (Utc::now() + Duration::days(2)).date_naive();
    let before = (Utc::now() - Duration::days(400)).date_naive();
    for (query, status, field) in [
        (format!("as_of={future}"), 422, "as_of"),
        (format!("as_of={before}"), 422, "as_of"),
        ("as_of=yesterday".to_owned(), 400, "as_of"),
        ("horizon_days=0".to_owned(), 422, "horizon_days"),
        ("horizon_days=100000".to_owned(), 422, "horizon_days"),
        ("horizon_days=ten".to_owned(), 400, "horizon_days"),
        ("months=-1".to_owned(), 422, "months"),
        ("months=1000".to_owned(), 422, "months"),
    ] {
        let resp = app.get(&format!("{path}?{query}")).await;
        resp.assert_field_error(status, field);
    }
    let resp = app.get(&format!("{path}?as_of={before}")).await;
    assert_eq!(resp.body["errors"][0]["code"], "before_data");
    app.get("/api/v1/customers?include=bogus")
        .await
        .assert_field_error(400, "include");
    let gql = app
        .graphql(
            r#"query($id: UUID!) { customer(id: $id) { lifetimeValue(months: 0) { value } churn { expectedPurchases(days: 99999) } } }"#,
            json!({"id": id}),
        )
        .await;
    let errors = gql["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{gql}");
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "BAD_USER_INPUT"),
        "{gql}"
    );
}

const SCORED_PAGE: &str = r#"query($n: Int!) {
  customers(first: $n) { nodes {
    id
    rfm { recencyDays frequency monetary r f m segment }
    churn { pAlive risk expectedPurchases(days: 30) }
    lifetimeValue(months: 6) { value expectedOrderValue }
    loyalty { score tier components { name value weight } }
    grade
    lifecycleStage
    completeness
  } }
}"#;

#[tokio::test]
async fn a_page_of_customers_with_every_score_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    buyers(&app, 0).await;
    for i in 0..10 {
        app.create_customer(person(&format!("潜在{i}"))).await;
    }
    scores::fit(
        &app.state.db,
        &Principal::operator(),
        Utc::now().date_naive(),
        "CNY",
    )
    .await
    .unwrap();
    let mut measured = Vec::new();
    let mut page = Vec::new();
    for n in [10, 50] {
        let before = statements(&app).await;
        let resp = app.graphql(SCORED_PAGE, json!({"n": n})).await;
        let after = statements(&app).await;
        assert!(resp["errors"].is_null(), "{resp}");
        page = resp["data"]["customers"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(page.len(), n);
        measured.push(after - before);
    }
    assert_eq!(measured[0], measured[1], "{measured:?}");
    assert!(measured[1] <= 12, "{measured:?}");
    // The page agrees with the REST scores of the same customer.
    let buyer = page
        .iter()
        .find(|n| n["rfm"]["frequency"].as_i64() > Some(3))
        .unwrap();
    let id = buyer["id"].as_str().unwrap();
    let rest = app
        .get(&format!(
            "/api/v1/customers/{id}/scores?horizon_days=30&months=6"
        ))
        .await
        .body;
    assert_eq!(buyer["churn"]["pAlive"], rest["churn"]["p_alive"]);
    assert_eq!(
        buyer["churn"]["expectedPurchases"],
        rest["churn"]["expected_purchases"]
    );
    assert_eq!(
        buyer["lifetimeValue"]["value"],
        rest["lifetime_value"]["value"]
    );
    assert_eq!(
        buyer["rfm"]["segment"].as_str().map(str::to_lowercase),
        rest["rfm"]["segment"].as_str().map(str::to_owned)
    );
    assert_eq!(buyer["loyalty"]["score"], rest["loyalty"]["score"]);
    assert_eq!(buyer["grade"], rest["grade"]);
    // REST lists carry the same scores with include=scores.
    let listed = app.get("/api/v1/customers?limit=50&include=scores").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed = listed.body["data"].as_array().unwrap().clone();
    assert!(
        listed
            .iter()
            .all(|c| c["scores"]["lifecycle_stage"].is_string())
    );
    let same = listed.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(same["scores"]["churn"]["p_alive"], rest["churn"]["p_alive"]);
    let plain = app.get("/api/v1/customers?limit=5").await;
    assert!(plain.body["data"][0].get("scores").is_none());
    // Prospects have a stage but no lifetime value.
    assert!(
        page.iter()
            .any(|n| n["lifecycleStage"] == "PROSPECT" && n["lifetimeValue"].is_null())
    );
}

#[tokio::test]
async fn the_scheduled_refit_runs_only_when_the_newest_fit_is_stale() {
    let app = TestApp::spawn().await;
    buyers(&app, 0).await;
    let mut settings = (*app.state.settings).clone();
    settings.refit_hours = 24;
    let db = &app.state.db;
    assert!(
        dossier::service::analytics::scoring::refit_if_due(db, &settings)
            .await
            .unwrap()
    );
    let first = scores::latest(db).await.unwrap().unwrap();
    assert_eq!(first["status"], "fitted");
    let snapshot = app.get("/api/v1/scores/snapshot").await.body;
    assert_eq!(snapshot["customers"], 40);
    assert_eq!(snapshot["model"]["id"], first["id"]);
    // A fresh fit is not redone; with an interval of zero hours it always is.
    assert!(
        !dossier::service::analytics::scoring::refit_if_due(db, &settings)
            .await
            .unwrap()
    );
    settings.refit_hours = 0;
    assert!(
        dossier::service::analytics::scoring::refit_if_due(db, &settings)
            .await
            .unwrap()
    );
    assert_ne!(
        scores::latest(db).await.unwrap().unwrap()["id"],
        first["id"]
    );
}

#[tokio::test]
async fn concurrent_snapshot_refreshes_all_succeed() {
    let app = TestApp::spawn().await;
    for name in ["Ann", "Bo", "Cy", "Di", "Ed"] {
        app.create_customer(person(name)).await;
    }
    let refreshes = (0..4).map(|_| {
        app.send(
            app.client
                .post(format!("{}/api/v1/scores/snapshot", app.base)),
        )
    });
    for refreshed in futures_util::future::join_all(refreshes).await {
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        assert_eq!(refreshed.body["customers"], 5);
    }
}
