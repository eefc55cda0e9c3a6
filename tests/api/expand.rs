//! An order or an alert brings its customer in the same request (REST `expand=customer`,
//! GraphQL `customer`), rendered exactly as that caller would see the customer on its own,
//! for a fixed number of statements per page.

use chrono::{Duration, Utc};
use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person, statements, zhang_wei};

async fn as_role(app: &TestApp, token: &str, path: &str) -> crate::support::Resp {
    app.send(app.client_for(token).get(format!("{}{path}", app.base)))
        .await
}

/// A customer of `owner` with an order 10 days past due, and the overdue alert about it.
async fn debtor(app: &TestApp, owner: &Value) -> (String, String) {
    let mut doc = zhang_wei();
    doc["owner_id"] = owner.clone();
    let customer = app.create_customer(doc).await;
    let id = customer["id"].as_str().unwrap().to_owned();
    let order = app
        .post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"total": "500", "paid_amount": "100", "status": "completed",
                    "ordered_at": (Utc::now() - Duration::days(40)).to_rfc3339(),
                    "due_date": (Utc::now() - Duration::days(10)).date_naive()}),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.text);
    (id, order.body["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_order_and_an_alert_bring_their_customer_as_each_role_sees_it() {
    let app = TestApp::spawn().await;
    let sales = app.session(Role::Sales).await;
    let (customer_id, order_id) = debtor(&app, &sales["user"]["id"]).await;
    let rule = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "逾期应收", "kind": "overdue_receivable", "params": {"days": 5}}),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    let evaluated = app.post("/api/v1/alerts/evaluate", &json!({})).await;
    assert_eq!(evaluated.body["raised"], 1, "{}", evaluated.text);

    let mut embedded_for = Vec::new();
    for role in [
        Role::Admin,
        Role::Manager,
        Role::Sales,
        Role::Support,
        Role::Analyst,
    ] {
        let token = if role == Role::Sales {
            sales["access_token"].as_str().unwrap().to_owned()
        } else {
            app.user_token(role).await
        };
        let direct = as_role(&app, &token, &format!("/api/v1/customers/{customer_id}")).await;
        assert_eq!(direct.status, 200, "{role}: {}", direct.text);

        let plain = as_role(&app, &token, "/api/v1/orders").await;
        assert_eq!(plain.status, 200, "{role}: {}", plain.text);
        assert!(
            plain.body["data"][0].get("customer").is_none(),
            "only when asked"
        );

        let list = as_role(&app, &token, "/api/v1/orders?expand=customer").await;
        assert_eq!(list.status, 200, "{role}: {}", list.text);
        assert_eq!(list.body["data"][0]["id"], order_id.as_str());
        assert_eq!(
            list.body["data"][0]["customer"], direct.body,
            "{role}: the customer as the role reads it on its own"
        );
        let one = as_role(
            &app,
            &token,
            &format!("/api/v1/orders/{order_id}?expand=customer"),
        )
        .await;
        assert_eq!(one.status, 200, "{role}: {}", one.text);
        assert_eq!(one.body["customer"], direct.body, "{role}");

        let alerts = as_role(&app, &token, "/api/v1/alerts?expand=customer").await;
        assert_eq!(alerts.status, 200, "{role}: {}", alerts.text);
        if let Some(alert) = alerts.body["data"].as_array().unwrap().first() {
            assert_eq!(alert["customer"], direct.body, "{role}");
            let one = as_role(
                &app,
                &token,
                &format!(
                    "/api/v1/alerts/{}?expand=customer",
                    alert["id"].as_str().unwrap()
                ),
            )
            .await;
            assert_eq!(one.body["customer"], direct.body, "{role}");
        }

        let graphql = app
            .send(
                app.client_for(&token)
                    .post(format!("{}/graphql", app.base))
                    .json(&json!({"query": "{ orders(first: 5) { nodes { id customer {
                        id displayName phone email maskedFields } } } }"})),
            )
            .await;
        let node = &graphql.body["data"]["orders"]["nodes"][0];
        assert_eq!(node["id"], order_id.as_str(), "{role}: {}", graphql.text);
        assert_eq!(node["customer"]["id"], direct.body["id"]);
        assert_eq!(node["customer"]["phone"], direct.body["phone"], "{role}");
        assert_eq!(node["customer"]["email"], direct.body["email"], "{role}");
        assert_eq!(
            node["customer"]["maskedFields"], direct.body["masked"],
            "{role}"
        );
        embedded_for.push((role, direct.body["phone"].clone()));
    }
    // The roles differ: support reads the phone masked, admins in full.
    assert_ne!(embedded_for[0].1, embedded_for[3].1, "{embedded_for:?}");

    // A sales user who does not own the customer sees neither the order nor the alert.
    let other = app.user_token(Role::Sales).await;
    let theirs = as_role(&app, &other, "/api/v1/orders?expand=customer").await;
    assert_eq!(theirs.body["data"], json!([]), "{}", theirs.text);
    as_role(
        &app,
        &other,
        &format!("/api/v1/orders/{order_id}?expand=customer"),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn expand_takes_only_customer_and_graphql_nests_the_alert_customer() {
    let app = TestApp::spawn().await;
    let (_, order_id) = debtor(&app, &Value::Null).await;
    for path in [
        "/api/v1/orders?expand=owner".to_owned(),
        format!("/api/v1/orders/{order_id}?expand=customers"),
        "/api/v1/alerts?expand=".to_owned(),
    ] {
        let r = app.get(&path).await;
        r.assert_problem(400, "bad_request");
        assert_eq!(r.body["errors"][0]["field"], "expand", "{path}: {}", r.text);
    }
    app.post(
        "/api/v1/alert-rules",
        &json!({"name": "逾期应收", "kind": "overdue_receivable", "params": {"days": 5}}),
    )
    .await;
    app.post("/api/v1/alerts/evaluate", &json!({})).await;
    let data = app
        .graphql(
            "{ alerts(first: 10) { nodes { kind customer { displayName purchaseStats { orderCount } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["data"]["alerts"]["nodes"][0]["customer"],
        json!({"displayName": "张伟", "purchaseStats": {"orderCount": 1}}),
        "{data}"
    );
}

#[tokio::test]
async fn a_page_of_orders_with_their_customers_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let mut measured = Vec::new();
    for n in [2, 12] {
        while app.get("/api/v1/customers?limit=200").await.body["data"]
            .as_array()
            .unwrap()
            .len()
            < n
        {
            let c = app.create_customer(person("顾客")).await;
            let r = app
                .post(
                    &format!("/api/v1/customers/{}/orders", c["id"].as_str().unwrap()),
                    &json!({"total": "10", "status": "paid"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let mut costs = Vec::new();
        for query in [
            "/api/v1/orders?limit=50&expand=customer",
            "/api/v1/orders?limit=50",
        ] {
            let before = statements(&app).await;
            let page = app.get(query).await;
            let after = statements(&app).await;
            assert_eq!(page.body["data"].as_array().unwrap().len(), n);
            costs.push(after - before);
        }
        let graphql = "{ orders(first: 50) { nodes { number customer { displayName } } } }";
        let before = statements(&app).await;
        let page = app.graphql(graphql, json!({})).await;
        let after = statements(&app).await;
        assert_eq!(
            page["data"]["orders"]["nodes"].as_array().unwrap().len(),
            n,
            "{page}"
        );
        costs.push(after - before);
        measured.push(costs);
    }
    assert_eq!(
        measured[0], measured[1],
        "2 and 12 orders with their customers cost the same: {measured:?}"
    );
    assert!(
        measured[0][0] <= measured[0][1] + 3,
        "expanding costs a few statements, not one per order: {measured:?}"
    );
}
