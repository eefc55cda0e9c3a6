//! The complete customer page in one GraphQL request, through each role's masking and
//! ownership; mutations' errors; and the statement count of a page of customers.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person, star_river, statements, zhang_wei};

const PAGE: &str = r#"query Page($id: UUID!) {
  customer(id: $id) {
    displayName phone maskedFields
    purchaseStats { orderCount monetaryTotal outstanding lastOrderAt maskedFields }
    orders(first: 5) { nodes { number status total items { sku quantity unitPrice } maskedFields }
                       pageInfo { hasNextPage endCursor } }
    interactions(first: 5) { nodes { type subject summary } }
    complaints(first: 5) { nodes { status subject allowedTransitions events { toStatus } } }
    surveys { nodes { csat nps } }
    consents { channel granted source }
    preferences { categories preferredChannel }
    relationships { kind title otherDisplayName }
    loyalty { tier balance maskedFields }
    points(first: 5) { nodes { kind points balanceAfter } }
    timeline(first: 20) { nodes { kind at } }
  }
}"#;

/// 张伟 with a purchase history, a call, a complaint, a survey, consent, a link and points.
async fn history(app: &TestApp) -> String {
    let id = app.create_customer(zhang_wei()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let org = app.create_customer(star_river()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tea = app
        .post(
            "/api/v1/products",
            &json!({"sku": "TEA-1", "name": "龙井", "list_price": "168"}),
        )
        .await;
    let tea = tea.body["id"].as_str().unwrap().to_owned();
    let c = |p: &str| format!("/api/v1/customers/{id}/{p}");
    for (i, day) in ["2025-03-01", "2025-09-01", "2026-02-01"]
        .iter()
        .enumerate()
    {
        let r = app
            .post(
                &c("orders"),
                &json!({"number": format!("SO-{i}"), "status": "completed",
                "ordered_at": format!("{day}T10:00:00Z"),
                "items": [{"product_id": tea, "quantity": i + 1}], "paid_amount": "0"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    app.post(
        &c("interactions"),
        &json!({"type": "call", "subject": "回访", "summary": "满意",
        "occurred_at": "2026-02-02T10:00:00Z"}),
    )
    .await;
    app.post(
        &c("complaints"),
        &json!({"category": "delivery", "severity": "medium", "subject": "迟到",
        "opened_at": "2026-02-03T10:00:00Z"}),
    )
    .await;
    app.post(
        &c("surveys"),
        &json!({"csat": 4, "nps": 8, "answered_at": "2026-02-04T10:00:00Z"}),
    )
    .await;
    app.post(
        &c("consents"),
        &json!({"channel": "wechat", "granted": true, "source": "store",
        "at": "2026-02-05T10:00:00Z"}),
    )
    .await;
    app.send(
        app.client
            .put(format!("{}{}", app.base, c("preferences")))
            .json(&json!({"categories": ["tea"], "preferred_channel": "wechat"})),
    )
    .await;
    app.post(
        &c("relationships"),
        &json!({"kind": "employee_of", "other_id": org, "title": "purchaser"}),
    )
    .await;
    app.send(
        app.client
            .put(format!("{}{}", app.base, c("loyalty")))
            .json(&json!({"tier": "silver"})),
    )
    .await;
    app.post(&c("points"), &json!({"kind": "earn", "points": 1008}))
        .await;
    id
}

#[tokio::test]
async fn a_front_end_draws_the_whole_customer_page_in_one_request() {
    let app = TestApp::spawn().await;
    let id = history(&app).await;
    let resp = app.graphql(PAGE, json!({"id": id})).await;
    assert!(resp["errors"].is_null(), "{resp}");
    let c = &resp["data"]["customer"];
    assert_eq!(c["purchaseStats"]["orderCount"], 3);
    assert_eq!(
        c["purchaseStats"]["monetaryTotal"], "1008.00",
        "168 × (1+2+3)"
    );
    assert_eq!(c["purchaseStats"]["outstanding"], "1008.00");
    assert_eq!(c["orders"]["nodes"][0]["number"], "SO-2", "newest first");
    assert_eq!(c["orders"]["nodes"][0]["items"][0]["quantity"], 3);
    assert_eq!(c["orders"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(c["interactions"]["nodes"][0]["summary"], "满意");
    assert_eq!(
        c["complaints"]["nodes"][0]["allowedTransitions"],
        json!(["ACKNOWLEDGED"])
    );
    assert_eq!(c["complaints"]["nodes"][0]["events"][0]["toStatus"], "OPEN");
    assert_eq!(c["surveys"]["nodes"][0]["nps"], 8);
    let wechat = c["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["channel"] == "WECHAT")
        .unwrap();
    assert_eq!(wechat["granted"], true);
    assert_eq!(c["preferences"]["categories"], json!(["tea"]));
    assert_eq!(c["relationships"][0]["kind"], "EMPLOYEE_OF");
    assert_eq!(c["relationships"][0]["otherDisplayName"], "星河贸易");
    assert_eq!(c["loyalty"]["tier"], "SILVER");
    assert_eq!(c["loyalty"]["balance"], 1008);
    assert_eq!(c["points"]["nodes"][0]["balanceAfter"], 1008);
    let kinds: Vec<&str> = c["timeline"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "CONSENT",
            "SURVEY",
            "COMPLAINT_EVENT",
            "INTERACTION",
            "ORDER",
            "ORDER",
            "ORDER"
        ]
    );
}

#[tokio::test]
async fn each_role_sees_the_customer_page_through_the_same_masking_and_ownership() {
    let app = TestApp::spawn().await;
    let id = history(&app).await;
    let as_role = |role: Role| {
        let app = &app;
        let id = id.clone();
        async move {
            let client = app.client_for(&app.user_token(role).await);
            let resp = app
                .send(
                    client
                        .post(format!("{}/graphql", app.base))
                        .json(&json!({"query": PAGE, "variables": {"id": id}})),
                )
                .await;
            resp.body
        }
    };
    let support = as_role(Role::Support).await;
    let c = &support["data"]["customer"];
    assert_eq!(c["phone"], "138****8000", "contact is partial for support");
    assert_eq!(c["purchaseStats"]["monetaryTotal"], Value::Null);
    assert_eq!(c["purchaseStats"]["orderCount"], 3, "counts are public");
    assert_eq!(c["orders"]["nodes"][0]["total"], Value::Null);
    assert_eq!(c["orders"]["nodes"][0]["items"], Value::Null);
    assert!(
        c["orders"]["nodes"][0]["maskedFields"]
            .as_array()
            .unwrap()
            .contains(&json!("total"))
    );
    assert_eq!(c["interactions"]["nodes"][0]["summary"], Value::Null);
    assert_eq!(c["complaints"]["nodes"][0]["subject"], Value::Null);
    assert_eq!(c["loyalty"]["balance"], Value::Null);
    assert_eq!(c["points"]["nodes"][0]["points"], Value::Null);
    assert_eq!(c["loyalty"]["tier"], "SILVER");

    let analyst = as_role(Role::Analyst).await;
    let c = &analyst["data"]["customer"];
    assert_eq!(c["phone"], Value::Null);
    assert_eq!(
        c["purchaseStats"]["monetaryTotal"], "1008.00",
        "analysts see money"
    );
    assert_eq!(
        c["interactions"]["nodes"][0]["summary"],
        Value::Null,
        "but not contact texts"
    );

    let sales = as_role(Role::Sales).await;
    assert_eq!(sales["data"]["customer"], Value::Null, "{sales}");
    assert_eq!(sales["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn mutation_errors_carry_a_code_the_field_and_the_allowed_steps() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("韩梅")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let usd = app
        .post(
            "/api/v1/products",
            &json!({"sku": "US-9", "name": "Import", "list_price": "5", "currency": "USD"}),
        )
        .await;
    let resp = app
        .graphql(
            "mutation($input: OrderInput!) { createOrder(input: $input) { id } }",
            json!({"input": {"customerId": id, "items": [{"productId": usd.body["id"], "quantity": 1}]}}),
        )
        .await;
    let e = &resp["errors"][0]["extensions"];
    assert_eq!(e["code"], "BAD_USER_INPUT", "{resp}");
    assert_eq!(e["fields"][0]["field"], "items[0].product_id");
    assert_eq!(e["fields"][0]["code"], "currency_mismatch");

    let opened = app
        .graphql(
            "mutation($id: UUID!) { openComplaint(customerId: $id, input: {category: BILLING, severity: CRITICAL, subject: \"多扣款\"}) { id slaDueAt openedAt status } }",
            json!({"id": id}),
        )
        .await;
    let complaint = &opened["data"]["openComplaint"];
    assert_eq!(complaint["status"], "OPEN", "{opened}");
    let illegal = app
        .graphql(
            "mutation($id: UUID!) { transitionComplaint(id: $id, input: {to: CLOSED}) { status } }",
            json!({"id": complaint["id"]}),
        )
        .await;
    assert_eq!(
        illegal["errors"][0]["extensions"]["code"], "CONFLICT",
        "{illegal}"
    );
    assert_eq!(
        illegal["errors"][0]["extensions"]["allowed"],
        json!(["acknowledged"])
    );

    let overdraw = app
        .graphql(
            "mutation($id: UUID!) { recordPoints(customerId: $id, input: {kind: REDEEM, points: 5}) { balanceAfter } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        overdraw["errors"][0]["extensions"]["fields"][0]["code"], "exceeds_balance",
        "{overdraw}"
    );
    let patched = app
        .graphql(
            "mutation($id: UUID!) { recordInteraction(customerId: $id, input: {type: VISIT, subject: \"拜访\"}) { id version } }",
            json!({"id": id}),
        )
        .await;
    let iid = &patched["data"]["recordInteraction"]["id"];
    let updated = app
        .graphql(
            "mutation($id: UUID!) { updateInteraction(id: $id, expectedVersion: 1, input: {outcome: \"签约\"}) { subject outcome version } }",
            json!({"id": iid}),
        )
        .await;
    assert_eq!(
        updated["data"]["updateInteraction"],
        json!({"subject": "拜访", "outcome": "签约", "version": 2}),
        "{updated}"
    );
}

const LIST: &str = r#"query($n: Int!) {
  customers(first: $n) { nodes {
    displayName
    orders(first: 5) { nodes { number total items { sku } } }
    interactions(first: 5) { nodes { type summary } }
    complaints(first: 5) { nodes { status events { toStatus } } }
    purchaseStats { orderCount }
    loyalty { balance }
    consents { granted }
    relationships { kind }
    preferences { categories }
  } }
}"#;

#[tokio::test]
async fn a_page_of_customers_with_their_records_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let tea = app
        .post(
            "/api/v1/products",
            &json!({"sku": "TEA-1", "name": "龙井", "list_price": "1"}),
        )
        .await;
    let tea = tea.body["id"].as_str().unwrap().to_owned();
    let mut measured = Vec::new();
    let mut made = 0;
    for target in [10, 50] {
        while made < target {
            let id = app.create_customer(person(&format!("客户{made}"))).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            for _ in 0..2 {
                app.post(
                    &format!("/api/v1/customers/{id}/orders"),
                    &json!({"items": [{"product_id": tea, "quantity": 1}]}),
                )
                .await;
                app.post(
                    &format!("/api/v1/customers/{id}/interactions"),
                    &json!({"type": "call", "summary": "x"}),
                )
                .await;
            }
            app.post(
                &format!("/api/v1/customers/{id}/complaints"),
                &json!({"category": "other", "severity": "low", "subject": "x"}),
            )
            .await;
            made += 1;
        }
        let before = statements(&app).await;
        let resp = app.graphql(LIST, json!({"n": target})).await;
        let after = statements(&app).await;
        assert!(resp["errors"].is_null(), "{resp}");
        let nodes = resp["data"]["customers"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), target);
        assert!(
            nodes
                .iter()
                .all(|n| n["orders"]["nodes"].as_array().unwrap().len() == 2
                    && n["interactions"]["nodes"].as_array().unwrap().len() == 2)
        );
        measured.push(after - before);
    }
    assert_eq!(
        measured[0], measured[1],
        "10 and 50 customers must cost the same number of statements: {measured:?}"
    );
    assert!(
        measured[1] <= 20,
        "a fixed, small number of statements: {measured:?}"
    );
}
