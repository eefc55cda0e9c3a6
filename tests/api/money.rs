//! Money is exact end to end: sums of amounts whose float sum is wrong, amounts with four
//! decimals and near the largest accepted value, and stored values that cannot be read.

use entity::order;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{POSTGRES_ENV, TestApp, person};

async fn customer(app: &TestApp, name: &str) -> String {
    app.create_customer(person(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn order(app: &TestApp, customer: &str, body: Value) -> Value {
    let resp = app
        .post(&format!("/api/v1/customers/{customer}/orders"), &body)
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    resp.body
}

fn uuid(v: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap()
}

fn on_postgres() -> bool {
    std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty())
}

#[tokio::test]
async fn the_overview_and_the_customer_stats_add_amounts_exactly() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "陈静").await;
    // 0.1 and 0.2 have no exact binary form; eleven amounts near 10^12 need 16 digits.
    let mut amounts = vec!["0.10"; 10];
    amounts.extend(["0.20"; 10]);
    amounts.extend(["999999999999.99"; 11]);
    amounts.push("0.0001");
    for total in &amounts {
        order(
            &app,
            &id,
            json!({"total": total, "status": "completed", "channel": "online"}),
        )
        .await;
    }
    // A cancelled order never counts.
    order(
        &app,
        &id,
        json!({"total": "0.05", "status": "cancelled", "channel": "online"}),
    )
    .await;
    let expected = "11000000000002.8901";
    let f64_sum: f64 = amounts.iter().map(|a| a.parse::<f64>().unwrap()).sum();
    assert_ne!(format!("{f64_sum:.4}"), expected, "the float sum is off");

    let stats = app.get(&format!("/api/v1/customers/{id}/stats")).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["order_count"], 32);
    assert_eq!(stats.body["monetary_total"], expected);
    assert_eq!(stats.body["outstanding"], expected, "nothing paid");

    let overview = app.get("/api/v1/overview?months=1&top=5").await;
    assert_eq!(overview.status, 200, "{}", overview.text);
    let rows = overview.body["revenue_by_month"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "one month and channel: {}", overview.text);
    assert_eq!(rows[0]["channel"], "online");
    assert_eq!(rows[0]["orders"], 32);
    assert_eq!(rows[0]["revenue"], expected);

    let g = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { purchaseStats { orderCount monetaryTotal outstanding } } }",
            json!({"id": id}),
        )
        .await;
    let s = &g["data"]["customer"]["purchaseStats"];
    assert_eq!(s["monetaryTotal"], expected, "{g}");
    assert_eq!(s["outstanding"], expected, "{g}");

    // Rebuilt from the orders, the aggregates are the same.
    dossier::service::behaviour::orders::rebuild_stats(&app.state.db, "CNY")
        .await
        .unwrap();
    let again = app.get(&format!("/api/v1/customers/{id}/stats")).await;
    assert_eq!(again.body["monetary_total"], expected);
}

#[tokio::test]
async fn four_decimals_and_the_largest_amounts_read_back_unchanged() {
    let app = TestApp::spawn().await;
    let product = app
        .post(
            "/api/v1/products",
            &json!({"sku": "GOLD-1", "name": "Gold bar", "list_price": "12345678901.2345"}),
        )
        .await;
    assert_eq!(product.status, 201, "{}", product.text);
    assert_eq!(product.body["list_price"], "12345678901.2345");
    let pid = product.body["id"].as_str().unwrap().to_owned();
    let read = app.get(&format!("/api/v1/products/{pid}")).await;
    assert_eq!(read.body["list_price"], "12345678901.2345");

    let id = customer(&app, "周强").await;
    let lines = order(
        &app,
        &id,
        json!({"status": "paid", "items": [{"product_id": pid, "quantity": 3}],
               "paid_amount": "0.0001"}),
    )
    .await;
    assert_eq!(lines["items"][0]["unit_price"], "12345678901.2345");
    assert_eq!(lines["items"][0]["line_total"], "37037036703.7035");
    assert_eq!(lines["total"], "37037036703.7035");
    assert_eq!(lines["outstanding"], "37037036703.7034");

    let header = order(
        &app,
        &id,
        json!({"total": "999999999999.9999", "paid_amount": "1234.5678", "status": "completed"}),
    )
    .await;
    let small = order(&app, &id, json!({"total": "12", "status": "completed"})).await;
    assert_eq!(small["total"], "12.00", "two decimals at least, as before");
    for (o, total, paid) in [
        (&lines, "37037036703.7035", "0.0001"),
        (&header, "999999999999.9999", "1234.5678"),
        (&small, "12.00", "0.00"),
    ] {
        let id = o["id"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(rest.status, 200, "{}", rest.text);
        assert_eq!(rest.body["total"], total);
        assert_eq!(rest.body["paid_amount"], paid);
        let g = app
            .graphql(
                "query($id: UUID!) { order(id: $id) { total paidAmount } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(g["data"]["order"]["total"], total, "{g}");
        assert_eq!(g["data"]["order"]["paidAmount"], paid, "{g}");
    }
    let stats = app.get(&format!("/api/v1/customers/{id}/stats")).await;
    assert_eq!(stats.body["monetary_total"], "1037037036715.7034");
}

#[tokio::test]
async fn an_unknown_stored_status_is_an_error_not_pending() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "吴敏").await;
    let o = order(&app, &id, json!({"total": "25.00", "status": "shipped"})).await;
    // A status this version does not know, as another tool could leave it.
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value("lost_in_space"))
        .filter(order::Column::Id.eq(uuid(&o["id"])))
        .exec(&app.state.db)
        .await
        .unwrap();
    let oid = o["id"].as_str().unwrap();
    let read = app.get(&format!("/api/v1/orders/{oid}")).await;
    read.assert_problem(500, "internal");
    assert!(!read.text.contains("lost_in_space"), "{}", read.text);
    assert!(!read.text.contains("pending"), "{}", read.text);
    app.get(&format!("/api/v1/customers/{id}/orders"))
        .await
        .assert_problem(500, "internal");
    let g = app
        .graphql(
            "query($id: UUID!) { order(id: $id) { status } }",
            json!({"id": oid}),
        )
        .await;
    assert_eq!(g["errors"][0]["extensions"]["code"], "INTERNAL", "{g}");
    assert!(!g.to_string().contains("lost_in_space"), "{g}");
    // Rebuilding the aggregates refuses to guess whether it counts.
    assert!(
        dossier::service::behaviour::orders::rebuild_stats(&app.state.db, "CNY")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_stored_amount_that_is_not_a_number_is_an_error_not_zero() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "郑洁").await;
    let o = order(&app, &id, json!({"total": "25.00", "status": "completed"})).await;
    let stored = order::Entity::update_many()
        .col_expr(order::Column::Total, Expr::value("twenty-five"))
        .filter(order::Column::Id.eq(uuid(&o["id"])))
        .exec(&app.state.db)
        .await;
    if on_postgres() {
        // A NUMERIC column cannot hold it at all.
        assert!(
            stored.is_err(),
            "PostgreSQL stored text in an amount column"
        );
        let read = app
            .get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()))
            .await;
        assert_eq!(read.body["total"], "25.00");
        return;
    }
    stored.unwrap();
    let oid = o["id"].as_str().unwrap();
    let read = app.get(&format!("/api/v1/orders/{oid}")).await;
    read.assert_problem(500, "internal");
    assert!(!read.text.contains("twenty-five"), "{}", read.text);
    let g = app
        .graphql(
            "query($id: UUID!) { order(id: $id) { total } }",
            json!({"id": oid}),
        )
        .await;
    assert_eq!(g["errors"][0]["extensions"]["code"], "INTERNAL", "{g}");
    assert!(!g.to_string().contains("twenty-five"), "{g}");
    // Neither the overview nor a rebuild of the aggregates reads it as 0.
    app.get("/api/v1/overview?months=1")
        .await
        .assert_problem(500, "internal");
    assert!(
        dossier::service::behaviour::orders::rebuild_stats(&app.state.db, "CNY")
            .await
            .is_err()
    );
}
