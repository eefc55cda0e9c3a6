//! Alert rules, their evaluation (raise once, clear when the condition goes) and handling
//! (acknowledge, resolve), for each role.

use chrono::{Duration, Utc};
use dossier::domain::Role;
use serde_json::{Value, json};

use crate::segments::{everyone, scored};
use crate::support::{TestApp, person};

async fn rule(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/alert-rules", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn evaluate(app: &TestApp) -> Value {
    let r = app.post("/api/v1/alerts/evaluate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn alerts(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/alerts?limit=200&{query}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn rules_raise_alerts_once_and_clear_them_when_the_condition_goes() {
    let app = TestApp::spawn().await;
    scored(&app).await;
    let all = everyone(&app).await;
    let churn = rule(
        &app,
        json!({"name": "流失预警", "kind": "churn_risk", "params": {"threshold": 0.3}}),
    )
    .await;
    assert_eq!(churn["params"]["grades"], json!(["A", "B", "C", "D"]));
    let silent = rule(
        &app,
        json!({"name": "A级客户久未联系", "kind": "no_contact", "params": {"days": 30, "grades": ["a"]}}),
    )
    .await;
    assert_eq!(silent["params"], json!({"days": 30, "grades": ["A"]}));
    rule(
        &app,
        json!({"name": "逾期应收", "kind": "overdue_receivable", "params": {"days": 5}}),
    )
    .await;
    rule(&app, json!({"name": "投诉超时", "kind": "complaint_sla"})).await;

    // An unpaid order 10 days past due, one paid in full, and one only 2 days late.
    let debtor = all[0]["id"].as_str().unwrap().to_owned();
    let due = |days: i64| (Utc::now() - Duration::days(days)).date_naive();
    for (total, paid, late) in [("500", "100", 10), ("80", "80", 10), ("60", "0", 2)] {
        let r = app
            .post(
                &format!("/api/v1/customers/{debtor}/orders"),
                &json!({"total": total, "paid_amount": paid, "status": "completed",
                        "ordered_at": (Utc::now() - Duration::days(40)).to_rfc3339(),
                        "due_date": due(late)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // A high-severity complaint opened three days ago (past its SLA) and a fresh one.
    let opened = (Utc::now() - Duration::days(3)).to_rfc3339();
    for at in [Some(opened), None] {
        let mut body = json!({"category": "product", "severity": "high", "subject": "茶叶受潮"});
        if let Some(at) = at {
            body["opened_at"] = json!(at);
        }
        let r = app
            .post(&format!("/api/v1/customers/{debtor}/complaints"), &body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    let first = evaluate(&app).await;
    assert_eq!(first["rules"], 4);
    let at_risk = all
        .iter()
        .filter(|c| {
            c["scores"]["churn"]["risk"]
                .as_f64()
                .is_some_and(|r| r > 0.3)
        })
        .count();
    let grade_a = all.iter().filter(|c| c["scores"]["grade"] == "A").count();
    assert!(at_risk > 0 && grade_a > 0);
    assert_eq!(alerts(&app, "kind=churn_risk").await.len(), at_risk);
    assert_eq!(alerts(&app, "kind=no_contact").await.len(), grade_a);
    let overdue = alerts(&app, "kind=overdue_receivable").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["details"]["outstanding"], "400.00");
    assert_eq!(overdue[0]["details"]["days_overdue"], 10);
    let sla = alerts(&app, "kind=complaint_sla").await;
    assert_eq!(sla.len(), 1, "{sla:?}");
    assert_eq!(sla[0]["customer_id"], json!(debtor));
    assert!(
        !sla[0]["message"].as_str().unwrap().contains("受潮"),
        "no free text in messages"
    );
    assert_eq!(
        first["raised"].as_u64().unwrap() as usize,
        at_risk + grade_a + 2
    );

    // Evaluating again raises nothing new.
    let again = evaluate(&app).await;
    assert_eq!(
        (again["raised"].as_i64(), again["cleared"].as_i64()),
        (Some(0), Some(0))
    );

    // A call to one silent grade-A customer clears their alert at the next evaluation.
    let quiet = alerts(&app, "kind=no_contact").await[0]["customer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/api/v1/customers/{quiet}/interactions"),
            &json!({"type": "call", "summary": "回访"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let third = evaluate(&app).await;
    assert_eq!(third["cleared"], 1);
    let cleared = alerts(&app, &format!("kind=no_contact&customer_id={quiet}")).await;
    assert_eq!(cleared[0]["status"], "resolved");
    assert_eq!(cleared[0]["resolution"], "condition cleared");
    assert!(cleared[0]["resolved_by"].is_null());
    assert_eq!(
        alerts(&app, "kind=no_contact&status=open").await.len(),
        grade_a - 1
    );

    // Handling: acknowledge, then resolve with a note; no way back.
    let id = overdue[0]["id"].as_str().unwrap();
    let ack = app
        .post(&format!("/api/v1/alerts/{id}/acknowledge"), &json!({}))
        .await;
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert_eq!(ack.body["status"], "acknowledged");
    assert!(ack.body["acknowledged_by"].is_string());
    let twice = app
        .post(&format!("/api/v1/alerts/{id}/acknowledge"), &json!({}))
        .await;
    twice.assert_problem(409, "illegal_transition");
    assert_eq!(twice.body["allowed"], json!(["resolved"]));
    let done = app
        .post(
            &format!("/api/v1/alerts/{id}/resolve"),
            &json!({"resolution": "客户已付清"}),
        )
        .await;
    assert_eq!(done.body["status"], "resolved", "{}", done.text);
    assert_eq!(done.body["resolution"], "客户已付清");
    let late = app
        .send(
            app.client
                .post(format!("{}/api/v1/alerts/{id}/resolve", app.base)),
        )
        .await;
    late.assert_problem(409, "illegal_transition");
    let bad = app
        .post(
            &format!("/api/v1/alerts/{}/resolve", sla[0]["id"].as_str().unwrap()),
            &json!({"resolution": "x".repeat(2001)}),
        )
        .await;
    bad.assert_field_error(422, "resolution");
    let unknown = app
        .post(
            &format!("/api/v1/alerts/{}/resolve", sla[0]["id"].as_str().unwrap()),
            &json!({"note": "x"}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);

    // Support sees complaint alerts only; a sales user who owns none of these sees nothing.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let seen = app
        .send(support.get(format!("{}/api/v1/alerts?limit=200", app.base)))
        .await;
    let kinds: Vec<&str> = seen.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["complaint_sla"]);
    let hidden = app
        .send(support.get(format!("{}/api/v1/alerts/{id}", app.base)))
        .await;
    hidden.assert_problem(404, "not_found");
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let none = app
        .send(sales.get(format!("{}/api/v1/alerts", app.base)))
        .await;
    assert_eq!(none.body["data"], json!([]));

    // GraphQL lists and handles the same alerts.
    let gql = app
        .graphql(
            r#"{ alerts(filter: {kind: COMPLAINT_SLA}) { nodes { id status message } } alertRules { name kind } }"#,
            json!({}),
        )
        .await;
    assert!(gql["errors"].is_null(), "{gql}");
    assert_eq!(gql["data"]["alertRules"].as_array().unwrap().len(), 4);
    let node = &gql["data"]["alerts"]["nodes"][0];
    let acked = app
        .graphql(
            r#"mutation($id: UUID!) { acknowledgeAlert(id: $id) { status } }"#,
            json!({"id": node["id"]}),
        )
        .await;
    assert_eq!(
        acked["data"]["acknowledgeAlert"]["status"], "ACKNOWLEDGED",
        "{acked}"
    );
}

#[tokio::test]
async fn bad_rules_are_refused_with_the_parameter() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"name": "x", "kind": "churn_risk", "params": {"threshold": 1.5}}),
            "params.threshold",
        ),
        (
            json!({"name": "x", "kind": "churn_risk", "params": {"grades": ["E"]}}),
            "params.grades",
        ),
        (
            json!({"name": "x", "kind": "churn_risk", "params": {"grades": []}}),
            "params.grades",
        ),
        (
            json!({"name": "x", "kind": "no_contact", "params": {"days": 0}}),
            "params.days",
        ),
        (
            json!({"name": "x", "kind": "overdue_receivable", "params": {"days": -1}}),
            "params.days",
        ),
        (
            json!({"name": "x", "kind": "complaint_sla", "params": {"days": 3}}),
            "params.days",
        ),
        (
            json!({"name": "x", "kind": "complaint_sla", "params": [1]}),
            "params",
        ),
        (json!({"name": " ", "kind": "complaint_sla"}), "name"),
    ];
    for (body, field) in cases {
        app.post("/api/v1/alert-rules", &body)
            .await
            .assert_field_error(422, field);
    }
    let r = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "x", "kind": "birthday"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let ok = rule(&app, json!({"name": "投诉超时", "kind": "complaint_sla"})).await;
    app.post(
        "/api/v1/alert-rules",
        &json!({"name": "投诉超时", "kind": "complaint_sla"}),
    )
    .await
    .assert_problem(409, "conflict");
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let r = app
        .send(
            analyst
                .post(format!("{}/api/v1/alert-rules", app.base))
                .json(&json!({"name": "y", "kind": "complaint_sla"})),
        )
        .await;
    r.assert_problem(403, "forbidden");
    // Rules can be switched off and deleted.
    let id = ok["id"].as_str().unwrap();
    let off = app
        .send(
            app.client
                .put(format!("{}/api/v1/alert-rules/{id}", app.base))
                .header("if-match", "\"1\"")
                .json(&json!({"name": "投诉超时", "kind": "complaint_sla", "enabled": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body["enabled"], false);
    app.create_customer(person("无规则")).await;
    assert_eq!(evaluate(&app).await["rules"], 0);
    let gone = app.delete(&format!("/api/v1/alert-rules/{id}"), None).await;
    assert_eq!(gone.status, 204);
    app.get(&format!("/api/v1/alerts/{}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/alerts?status=closed")
        .await
        .assert_field_error(400, "status");
}
