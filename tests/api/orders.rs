//! Products, orders, receivables and the maintained purchase aggregates.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person};

async fn product(app: &TestApp, sku: &str, price: &str) -> String {
    let resp = app
        .post(
            "/api/v1/products",
            &json!({"sku": sku, "name": format!("Product {sku}"), "category": "tea", "list_price": price}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    resp.body["id"].as_str().unwrap().to_owned()
}

async fn customer(app: &TestApp, name: &str) -> String {
    app.create_customer(person(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_order_with_lines_gets_its_total_computed_exactly() {
    let app = TestApp::spawn().await;
    let tea = product(&app, "TEA-1", "168.00").await;
    let cup = product(&app, "CUP-1", "0.10").await;
    let id = customer(&app, "李娜").await;
    let resp = app
        .post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"number": "SO-1", "channel": "online", "status": "paid",
                    "items": [{"product_id": tea, "quantity": 2},
                              {"product_id": cup, "quantity": 3, "unit_price": "0.2"}],
                    "paid_amount": "100"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    assert_eq!(resp.header("etag"), "\"1\"");
    assert!(resp.header("location").starts_with("/api/v1/orders/"));
    let order = &resp.body;
    assert_eq!(
        order["total"], "336.60",
        "168×2 + 0.2×3 in decimal, not float"
    );
    assert_eq!(order["paid_amount"], "100.00");
    assert_eq!(order["outstanding"], "236.60");
    assert_eq!(order["currency"], "CNY");
    assert_eq!(order["items"][0]["sku"], "TEA-1");
    assert_eq!(order["items"][0]["unit_price"], "168.00");
    assert_eq!(order["items"][1]["line_total"], "0.60");
    assert_eq!(order["counts_as_purchase"], true);

    let read = app
        .get(&format!("/api/v1/orders/{}", order["id"].as_str().unwrap()))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["total"], "336.60");
}

#[tokio::test]
async fn a_header_only_order_needs_its_total_and_a_sent_total_must_agree_with_the_lines() {
    let app = TestApp::spawn().await;
    let tea = product(&app, "TEA-2", "10").await;
    let id = customer(&app, "王芳").await;
    let header = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": id, "total": 99.5, "status": "completed"}),
        )
        .await;
    assert_eq!(header.status, 201, "{}", header.text);
    assert_eq!(header.body["total"], "99.50");
    assert!(header.body["number"].as_str().unwrap().starts_with("SO-"));
    assert_eq!(header.body["items"], json!([]));

    let no_total = app
        .post("/api/v1/orders", &json!({"customer_id": id}))
        .await;
    no_total.assert_field_error(422, "total");

    let disagree = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": id, "items": [{"product_id": tea, "quantity": 3}], "total": "31"}),
        )
        .await;
    disagree.assert_field_error(422, "total");
    assert!(
        disagree.text.contains("total_mismatch"),
        "{}",
        disagree.text
    );
    assert!(disagree.text.contains("30.00"), "names the computed total");
}

#[tokio::test]
async fn bad_orders_are_refused_naming_the_field_and_rule() {
    let app = TestApp::spawn().await;
    let tea = product(&app, "TEA-3", "10").await;
    let usd = app
        .post(
            "/api/v1/products",
            &json!({"sku": "US-1", "name": "Import", "list_price": "5", "currency": "usd"}),
        )
        .await;
    assert_eq!(usd.body["currency"], "USD");
    let usd = usd.body["id"].as_str().unwrap().to_owned();
    let id = customer(&app, "赵磊").await;
    let path = format!("/api/v1/customers/{id}/orders");
    let cases = [
        (
            json!({"items": [{"product_id": tea, "quantity": -1}]}),
            "items[0].quantity",
            "out_of_range",
        ),
        (
            json!({"items": [{"product_id": tea, "quantity": 0}]}),
            "items[0].quantity",
            "out_of_range",
        ),
        (
            json!({"items": [{"product_id": uuid::Uuid::now_v7(), "quantity": 1}]}),
            "items[0].product_id",
            "unknown_product",
        ),
        (
            json!({"items": [{"product_id": usd, "quantity": 1}]}),
            "items[0].product_id",
            "currency_mismatch",
        ),
        (
            json!({"total": "10", "ordered_at": "2099-01-01T00:00:00Z"}),
            "ordered_at",
            "in_future",
        ),
        (json!({"total": "-5"}), "total", "negative"),
        (json!({"total": "abc"}), "total", "invalid_decimal"),
        (
            json!({"total": "10", "paid_amount": "11"}),
            "paid_amount",
            "exceeds_total",
        ),
        (
            json!({"total": "10", "currency": "yuan"}),
            "currency",
            "invalid_currency",
        ),
        (
            json!({"total": "10", "status": "lost"}),
            "status",
            "invalid_enum",
        ),
        (
            json!({"total": "10", "colour": "red"}),
            "colour",
            "unknown_field",
        ),
        (json!({"items": []}), "items", "empty"),
    ];
    for (body, field, code) in cases {
        let resp = app.post(&path, &body).await;
        resp.assert_field_error(422, field);
        assert!(
            resp.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body}: expected {field}/{code}, got {}",
            resp.text
        );
    }
    let unknown_customer = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": uuid::Uuid::now_v7(), "total": "1"}),
        )
        .await;
    unknown_customer.assert_field_error(422, "customer_id");
    let missing = app
        .post(
            &format!("/api/v1/customers/{}/orders", uuid::Uuid::now_v7()),
            &json!({"total": "1"}),
        )
        .await;
    missing.assert_problem(404, "not_found");

    let first = app
        .post(&path, &json!({"number": "DUP-1", "total": "1"}))
        .await;
    assert_eq!(first.status, 201);
    let dup = app
        .post(&path, &json!({"number": "DUP-1", "total": "1"}))
        .await;
    dup.assert_problem(409, "conflict");
    let listed = app.get(&path).await;
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn aggregates_follow_every_order_write_and_ignore_cancelled_and_refunded_orders() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "陈静").await;
    let path = format!("/api/v1/customers/{id}/orders");
    let stats = || async { app.get(&format!("/api/v1/customers/{id}/stats")).await.body };
    let empty = stats().await;
    assert_eq!(empty["order_count"], 0);
    assert_eq!(empty["monetary_total"], "0.00");

    let a = app
        .post(
            &path,
            &json!({"total": "100", "paid_amount": "40", "status": "paid",
                             "ordered_at": "2025-01-10T08:00:00Z"}),
        )
        .await;
    let b = app
        .post(
            &path,
            &json!({"total": "50.5", "status": "completed", "paid_amount": "50.5",
                             "ordered_at": "2026-03-01T08:00:00Z"}),
        )
        .await;
    app.post(&path, &json!({"total": "999", "status": "cancelled"}))
        .await;
    let s = stats().await;
    assert_eq!(s["order_count"], 2, "{s}");
    assert_eq!(s["monetary_total"], "150.50");
    assert_eq!(s["purchase_days"], 2);
    // A second order on the same day is another order but not another purchase day.
    let same_day = app
        .post(
            &path,
            &json!({"total": "0", "status": "completed", "ordered_at": "2026-03-01T20:00:00Z"}),
        )
        .await;
    assert_eq!(same_day.status, 201, "{}", same_day.text);
    let s = stats().await;
    assert_eq!(
        (s["order_count"].as_i64(), s["purchase_days"].as_i64()),
        (Some(3), Some(2))
    );
    let same_day_path = format!("/api/v1/orders/{}", same_day.body["id"].as_str().unwrap());
    let refunded = app
        .patch(&same_day_path, &json!({"status": "refunded"}), None)
        .await;
    assert_eq!(refunded.status, 200, "{}", refunded.text);
    let s = stats().await;
    assert_eq!(s["order_count"], 2, "a refund takes the order back out");
    assert_eq!(s["outstanding"], "60.00");
    assert_eq!(s["first_order_at"], "2025-01-10T08:00:00Z");
    assert_eq!(s["last_order_at"], "2026-03-01T08:00:00Z");

    // Paying up and refunding move the aggregates in the same write.
    let a_id = a.body["id"].as_str().unwrap();
    let paid = app
        .patch(
            &format!("/api/v1/orders/{a_id}"),
            &json!({"paid_amount": "100"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(stats().await["outstanding"], "0.00");
    let b_id = b.body["id"].as_str().unwrap();
    let refunded = app
        .patch(
            &format!("/api/v1/orders/{b_id}"),
            &json!({"status": "refunded"}),
            None,
        )
        .await;
    assert_eq!(refunded.body["counts_as_purchase"], false);
    let s = stats().await;
    assert_eq!(s["order_count"], 1);
    assert_eq!(s["monetary_total"], "100.00");
    assert_eq!(s["last_order_at"], "2025-01-10T08:00:00Z");
}

#[tokio::test]
async fn an_illegal_status_change_is_a_409_naming_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "周杰").await;
    let order = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": id, "total": "10", "status": "completed"}),
        )
        .await;
    let path = format!("/api/v1/orders/{}", order.body["id"].as_str().unwrap());
    let back = app.patch(&path, &json!({"status": "pending"}), None).await;
    back.assert_problem(409, "illegal_transition");
    assert_eq!(back.body["allowed"], json!(["refunded"]));
    let stale = app
        .patch(&path, &json!({"status": "refunded"}), Some("\"7\""))
        .await;
    stale.assert_problem(412, "precondition_failed");
    let fixed = app.patch(&path, &json!({"total": "5"}), None).await;
    fixed.assert_field_error(422, "total");
}

#[tokio::test]
async fn overdue_receivables_are_listed_and_only_with_financial_clearance() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "孙丽").await;
    let path = format!("/api/v1/customers/{id}/orders");
    let late = app
        .post(
            &path,
            &json!({"total": "500", "paid_amount": "100", "due_date": "2025-01-01",
                             "status": "shipped", "ordered_at": "2024-12-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(late.body["overdue"], true);
    app.post(
        &path,
        &json!({"total": "80", "paid_amount": "80", "due_date": "2025-01-01"}),
    )
    .await;
    app.post(&path, &json!({"total": "80", "due_date": "2999-01-01"}))
        .await;
    let overdue = app.get("/api/v1/orders?overdue=true").await;
    assert_eq!(overdue.status, 200, "{}", overdue.text);
    let ids: Vec<&Value> = overdue.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(ids, vec![&late.body["id"]]);

    let support = app.client_for(&app.user_token(Role::Support).await);
    let refused = app
        .send(support.get(format!("{}/api/v1/orders?overdue=true", app.base)))
        .await;
    refused.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn each_role_sees_order_amounts_through_the_policy_and_sales_only_their_own() {
    let app = TestApp::spawn().await;
    let tea = product(&app, "TEA-9", "350000").await;
    let id = customer(&app, "吴刚").await;
    let order = app
        .post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"items": [{"product_id": tea, "quantity": 1}], "notes": "送到前台"}),
        )
        .await;
    let path = format!(
        "{}/api/v1/orders/{}",
        app.base,
        order.body["id"].as_str().unwrap()
    );

    let support = app.client_for(&app.user_token(Role::Support).await);
    let seen = app.send(support.get(&path)).await;
    assert_eq!(seen.status, 200);
    assert_eq!(
        seen.body["total"],
        Value::Null,
        "support has no financial clearance"
    );
    assert_eq!(
        seen.body["items"],
        Value::Null,
        "quantities times public list prices would give the total back"
    );
    assert_eq!(
        seen.body["notes"],
        Value::Null,
        "contact is partial for support: withheld"
    );
    for field in ["total", "paid_amount", "outstanding", "items", "notes"] {
        assert!(
            seen.body["masked"]
                .as_array()
                .unwrap()
                .contains(&json!(field)),
            "{field}: {}",
            seen.text
        );
    }

    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let seen = app.send(analyst.get(&path)).await;
    assert_eq!(seen.body["total"], "350000.00");
    assert_eq!(seen.body["notes"], Value::Null);

    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let seen = app.send(manager.get(&path)).await;
    assert_eq!(seen.body["total"], "350000.00");
    assert_eq!(seen.body["notes"], "送到前台");
    assert_eq!(seen.body["masked"], json!([]));

    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let hidden = app.send(sales.get(&path)).await;
    hidden.assert_problem(404, "not_found");
    let list = app
        .send(sales.get(format!("{}/api/v1/orders", app.base)))
        .await;
    assert_eq!(
        list.body["data"],
        json!([]),
        "another owner's orders are not listed"
    );
    let write = app
        .send(
            sales
                .post(format!("{}/api/v1/orders", app.base))
                .json(&json!({"customer_id": id, "total": "1"})),
        )
        .await;
    write.assert_field_error(422, "customer_id");
    let analyst_write = app
        .send(
            analyst
                .post(format!("{}/api/v1/orders", app.base))
                .json(&json!({"customer_id": id, "total": "1"})),
        )
        .await;
    analyst_write.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn orders_page_newest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "郑爽").await;
    for day in 1..=5 {
        app.post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"total": "1", "ordered_at": format!("2026-01-0{day}T00:00:00Z")}),
        )
        .await;
    }
    let first = app
        .get(&format!("/api/v1/customers/{id}/orders?limit=2"))
        .await;
    let days = |r: &Value| -> Vec<String> {
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["ordered_at"].as_str().unwrap()[..10].to_owned())
            .collect()
    };
    assert_eq!(days(&first.body), ["2026-01-05", "2026-01-04"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!(
            "/api/v1/customers/{id}/orders?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(days(&second.body), ["2026-01-03", "2026-01-02"]);
    let bad = app
        .get(&format!("/api/v1/customers/{id}/orders?limit=0"))
        .await;
    bad.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn products_are_managed_by_admins_and_managers_and_skus_are_unique() {
    let app = TestApp::spawn().await;
    let id = product(&app, "GIFT-1", "88").await;
    let dup = app
        .post(
            "/api/v1/products",
            &json!({"sku": "GIFT-1", "name": "x", "list_price": "1"}),
        )
        .await;
    dup.assert_problem(409, "conflict");
    let bad = app
        .post(
            "/api/v1/products",
            &json!({"sku": "has space", "list_price": "-1"}),
        )
        .await;
    let fields = bad.error_fields();
    for f in ["sku", "name", "list_price"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let refused = app
        .send(
            sales
                .post(format!("{}/api/v1/products", app.base))
                .json(&json!({"sku": "X", "name": "x", "list_price": "1"})),
        )
        .await;
    refused.assert_problem(403, "forbidden");
    let listed = app
        .send(sales.get(format!("{}/api/v1/products?q=gift", app.base)))
        .await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    let off = app
        .patch(
            &format!("/api/v1/products/{id}"),
            &json!({"active": false}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body["version"], 2);
    let customer = customer(&app, "何平").await;
    let inactive = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": customer, "items": [{"product_id": id, "quantity": 1}]}),
        )
        .await;
    inactive.assert_field_error(422, "items[0].product_id");
}

#[tokio::test]
async fn stats_rebuild_recomputes_the_aggregates_from_the_orders() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let a = customer(&app, "甲").await;
    let b = customer(&app, "乙").await;
    for (id, total, status) in [
        (&a, "10", "paid"),
        (&a, "5.5", "completed"),
        (&a, "100", "refunded"),
        (&b, "7", "pending"),
    ] {
        app.post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"total": total, "status": status}),
        )
        .await;
    }
    // Lose the aggregates, as after a bulk load straight into the tables.
    app.state
        .db
        .execute_unprepared("DELETE FROM customer_stats")
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/customers/{a}/stats")).await.body["order_count"],
        0
    );
    let rebuilt = dossier::service::behaviour::orders::rebuild_stats(&app.state.db, "CNY")
        .await
        .unwrap();
    assert_eq!(rebuilt, 2);
    let s = app.get(&format!("/api/v1/customers/{a}/stats")).await.body;
    assert_eq!(s["order_count"], 2);
    assert_eq!(s["monetary_total"], "15.50");
    assert_eq!(s["outstanding"], "15.50");
    assert_eq!(
        app.get(&format!("/api/v1/customers/{b}/stats")).await.body["monetary_total"],
        "7.00"
    );
}

#[tokio::test]
async fn concurrent_orders_of_one_customer_all_reach_the_aggregates() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "并发买家").await;
    let path = format!("/api/v1/customers/{id}/orders");
    let bodies: Vec<Value> = (1..=8)
        .map(|n| json!({"total": n.to_string(), "status": "paid"}))
        .collect();
    let results = futures_util::future::join_all(bodies.iter().map(|b| app.post(&path, b))).await;
    assert!(
        results.iter().all(|r| r.status == 201),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let s = app.get(&format!("/api/v1/customers/{id}/stats")).await.body;
    assert_eq!(s["order_count"], 8);
    assert_eq!(s["monetary_total"], "36.00", "1 + 2 + … + 8");
}
