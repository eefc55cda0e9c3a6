//! Derived values inherit the class of their most sensitive input: order lines, the loyalty
//! score with its components, the grade and completeness are withheld from callers who may
//! not read what they are computed from, over REST and GraphQL alike, so a hidden total or
//! spend percentile cannot be rebuilt from what is shown. And a caller confined to their own
//! customers learns nothing of another owner's row from a refused create or import.

use chrono::{Duration, Utc};
use dossier::domain::Role;
use dossier::service::analytics::scores;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person, zhang_wei};

async fn product(app: &TestApp, sku: &str, price: &str) -> String {
    let resp = app
        .post(
            "/api/v1/products",
            &json!({"sku": sku, "name": format!("Product {sku}"), "list_price": price}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    resp.body["id"].as_str().unwrap().to_owned()
}

async fn key(app: &TestApp, scopes: Value) -> reqwest::Client {
    let resp = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "derived", "scopes": scopes}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    app.client_for(resp.body["key"].as_str().unwrap())
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> Resp {
    let resp = app.send(client.get(format!("{}{path}", app.base))).await;
    assert_eq!(resp.status, 200, "{path}: {}", resp.text);
    resp
}

async fn graphql(app: &TestApp, client: &reqwest::Client, query: &str, variables: Value) -> Value {
    let resp = app
        .send(
            client
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": query, "variables": variables})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert!(resp.body["errors"].is_null(), "{}", resp.text);
    resp.body["data"].clone()
}

fn money(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string: {v}"))
        .parse()
        .unwrap()
}

fn masked(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a masked list: {v}"))
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// Σ quantity × list price of an order's lines, from what a caller sees of the order and
/// the product catalogue; `None` when the lines are not there to multiply.
fn rebuilt_total(order: &Value, prices: &[(String, Value)], quantity: &str) -> Option<Decimal> {
    let lines = order["items"].as_array()?;
    let mut total = Decimal::ZERO;
    for line in lines {
        let id = line["productId"]
            .as_str()
            .or_else(|| line["product_id"].as_str())?;
        let price = &prices.iter().find(|(p, _)| p == id)?.1;
        let price: Decimal = price.as_str()?.parse().ok()?;
        total += price * Decimal::from(line[quantity].as_i64()?);
    }
    Some(total)
}

/// Three products at list price and six orders with several lines each, for one customer.
async fn orders_at_list_price(app: &TestApp) -> (String, Vec<String>) {
    let products = [
        product(app, "TEA-1", "168.00").await,
        product(app, "CUP-1", "25.50").await,
        product(app, "POT-1", "399.00").await,
    ];
    let customer = app.create_customer(person("周杰")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut orders = Vec::new();
    for i in 0..6usize {
        let items: Vec<Value> = (0..=i % 3)
            .map(|p| json!({"product_id": products[p], "quantity": i + p + 1}))
            .collect();
        let resp = app
            .post(
                &format!("/api/v1/customers/{customer}/orders"),
                &json!({"status": "paid", "items": items}),
            )
            .await;
        assert_eq!(resp.status, 201, "{}", resp.text);
        orders.push(resp.body["id"].as_str().unwrap().to_owned());
    }
    (customer, orders)
}

const ORDERS: &str = r#"query {
  orders(first: 50) { nodes { id total maskedFields items { productId sku quantity unitPrice lineTotal } } }
  products(first: 50) { nodes { id listPrice } }
}"#;

#[tokio::test]
async fn order_lines_are_withheld_where_the_total_is_so_quantities_times_list_prices_give_nothing()
{
    let app = TestApp::spawn().await;
    let (_, ids) = orders_at_list_price(&app).await;

    // Who may read the total sees the lines, and they rebuild it exactly (the reason the
    // lines are financial).
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let financial_key = key(&app, json!(["customers:read", "pii:financial"])).await;
    for cleared in [&app.client, &analyst, &financial_key] {
        let data = graphql(&app, cleared, ORDERS, json!({})).await;
        let prices: Vec<(String, Value)> = data["products"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_str().unwrap().to_owned(), p["listPrice"].clone()))
            .collect();
        let nodes = data["orders"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), ids.len());
        for order in nodes {
            assert!(!masked(&order["maskedFields"]).contains(&"items".to_owned()));
            assert_eq!(
                rebuilt_total(order, &prices, "quantity"),
                Some(money(&order["total"])),
                "{order}"
            );
        }
        for id in &ids {
            let rest = get(&app, cleared, &format!("/api/v1/orders/{id}"))
                .await
                .body;
            assert!(!rest["items"].as_array().unwrap().is_empty(), "{rest}");
            assert!(rest["total"].is_string());
        }
    }

    // Support and a key without pii:financial see the list prices (public) but no lines.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let plain_key = key(&app, json!(["customers:read", "pii:contact"])).await;
    for hidden in [&support, &plain_key] {
        let data = graphql(&app, hidden, ORDERS, json!({})).await;
        let prices: Vec<(String, Value)> = data["products"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_str().unwrap().to_owned(), p["listPrice"].clone()))
            .collect();
        assert!(
            prices.iter().all(|(_, p)| p.is_string()),
            "list prices are public: {prices:?}"
        );
        let nodes = data["orders"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), ids.len(), "the orders themselves are visible");
        for order in nodes {
            assert!(order["total"].is_null(), "{order}");
            assert!(order["items"].is_null(), "{order}");
            let m = masked(&order["maskedFields"]);
            assert!(m.contains(&"items".to_owned()) && m.contains(&"total".to_owned()));
            assert_eq!(rebuilt_total(order, &prices, "quantity"), None);
        }
        for id in &ids {
            let rest = get(&app, hidden, &format!("/api/v1/orders/{id}"))
                .await
                .body;
            assert!(rest["items"].is_null(), "{rest}");
            assert!(rest["total"].is_null(), "{rest}");
            assert!(masked(&rest["masked"]).contains(&"items".to_owned()));
            assert!(!rest.to_string().contains("\"quantity\""), "{rest}");
        }
        let list = get(&app, hidden, "/api/v1/orders?limit=50").await.body;
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["items"].is_null() && o["total"].is_null()),
            "{list}"
        );
    }
}

/// Buyers enough for a fitted model: 20 customers with a few paid orders each.
async fn scored_buyers(app: &TestApp) -> Vec<String> {
    let now = Utc::now();
    let mut ids = Vec::new();
    for i in 0..20i64 {
        let id = app.create_customer(person(&format!("客户{i}"))).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for n in 0..(1 + i % 4) {
            let at = (now - Duration::days(300 - n * (30 + i))).to_rfc3339();
            let resp = app
                .post(
                    &format!("/api/v1/customers/{id}/orders"),
                    &json!({"total": format!("{}", 50 + i * 37 + n * 11), "status": "completed", "ordered_at": at}),
                )
                .await;
            assert_eq!(resp.status, 201, "{}", resp.text);
        }
        ids.push(id);
    }
    // With too few customers for the churn model the fit still ranks the spend, which is
    // all the grade and the monetary component need.
    scores::fit(
        &app.state.db,
        &dossier::policy::Principal::operator(),
        now.date_naive(),
        "CNY",
    )
    .await
    .unwrap();
    ids
}

const SCORES: &str = r#"query($id: UUID!) { customer(id: $id) {
  grade completeness
  loyalty { score components { name value weight } maskedFields }
  scores { grade completeness maskedFields
           loyalty { score tier components { name value weight } } }
} }"#;

#[tokio::test]
async fn the_loyalty_score_its_components_and_the_grade_are_withheld_without_financial_clearance() {
    let app = TestApp::spawn().await;
    let ids = scored_buyers(&app).await;
    // Members of the loyalty programme, so the membership's score and components resolve.
    for id in &ids[..4] {
        let resp = app
            .send(
                app.client
                    .put(format!("{}/api/v1/customers/{id}/loyalty", app.base))
                    .json(&json!({"tier": "silver"})),
            )
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text);
    }

    // Cleared callers see the score, the seven components and their weights, and the grade;
    // the weighted components give the score back.
    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let financial_key = key(&app, json!(["customers:read", "pii:financial"])).await;
    for cleared in [&app.client, &manager, &analyst, &financial_key] {
        for id in &ids[..4] {
            let s = get(&app, cleared, &format!("/api/v1/customers/{id}/scores"))
                .await
                .body;
            let components = s["loyalty"]["components"].as_array().unwrap();
            assert_eq!(components.len(), 7, "{s}");
            let weighted: f64 = components
                .iter()
                .map(|c| c["value"].as_f64().unwrap() * c["weight"].as_f64().unwrap())
                .sum();
            assert!(
                (s["loyalty"]["score"].as_f64().unwrap() - 100.0 * weighted).abs() < 0.2,
                "{s}"
            );
            assert!(s["grade"].is_string(), "{s}");
            let m = masked(&s["masked"]);
            assert!(
                !m.iter().any(|f| f.starts_with("loyalty") || f == "grade"),
                "{m:?}"
            );
            let g = graphql(&app, cleared, SCORES, json!({"id": id})).await;
            let c = &g["customer"];
            assert_eq!(c["scores"]["loyalty"]["score"], s["loyalty"]["score"]);
            assert_eq!(c["loyalty"]["score"], s["loyalty"]["score"]);
            assert_eq!(c["loyalty"]["components"].as_array().unwrap().len(), 7);
            assert_eq!(
                c["scores"]["loyalty"]["components"]
                    .as_array()
                    .unwrap()
                    .len(),
                7
            );
            assert_eq!(c["grade"], s["grade"]);
        }
    }

    // Support and a key without pii:financial: no score, no components, no weights, no
    // grade — on every customer, over REST and GraphQL; the withheld fields are named.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let plain_key = key(&app, json!(["customers:read", "pii:contact"])).await;
    for hidden in [&support, &plain_key] {
        for id in &ids {
            let s = get(&app, hidden, &format!("/api/v1/customers/{id}/scores"))
                .await
                .body;
            assert!(s["loyalty"]["score"].is_null(), "{s}");
            assert!(s["loyalty"]["components"].is_null(), "{s}");
            assert!(s["grade"].is_null(), "{s}");
            assert!(s["rfm"]["monetary"].is_null() && s["rfm"]["m"].is_null());
            assert!(!s.to_string().contains("\"weight\""), "{s}");
            let m = masked(&s["masked"]);
            for field in ["loyalty.score", "loyalty.components", "grade"] {
                assert!(m.contains(&field.to_owned()), "{field} in {m:?}");
            }
            let g = graphql(&app, hidden, SCORES, json!({"id": id})).await;
            let c = &g["customer"];
            assert!(
                c["grade"].is_null() && c["scores"]["grade"].is_null(),
                "{g}"
            );
            assert!(c["scores"]["loyalty"]["score"].is_null(), "{g}");
            assert!(c["scores"]["loyalty"]["components"].is_null(), "{g}");
            assert!(
                c["loyalty"].is_null() || c["loyalty"]["score"].is_null(),
                "{g}"
            );
            assert!(
                c["loyalty"].is_null() || c["loyalty"]["components"].is_null(),
                "{g}"
            );
            assert_eq!(c["scores"]["maskedFields"], s["masked"]);
        }
    }
    // The membership itself is visible to them (so the null score is the policy's doing).
    let g = graphql(&app, &support, SCORES, json!({"id": ids[0]})).await;
    assert!(g["customer"]["loyalty"].is_object(), "{g}");
    // … and its `maskedFields` names what it withholds: the balance, the score, the
    // components.
    let withheld = masked(&g["customer"]["loyalty"]["maskedFields"]);
    for field in ["balance", "score", "components"] {
        assert!(
            withheld.contains(&field.to_owned()),
            "{field} in {withheld:?}"
        );
    }

    // A segment on the loyalty score would count its way to the values: refused.
    let refused = app
        .send(support.post(format!("{}/api/v1/segments", app.base)).json(
            &json!({"name": "loyal", "filter": [{"field": "loyalty", "op": "gt", "value": 50}]}),
        ))
        .await;
    refused.assert_problem(403, "forbidden");

    // The export carries the same withheld columns.
    let csv = app
        .send(support.get(format!(
            "{}/api/v1/customers/export?format=ndjson",
            app.base
        )))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    for line in csv.text.lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        assert!(c["scores"]["loyalty"]["score"].is_null(), "{line}");
        assert!(c["scores"]["grade"].is_null(), "{line}");
    }
}

#[tokio::test]
async fn completeness_tells_which_contact_fields_are_on_file_and_is_contact() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(zhang_wei()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/customers/{id}/scores");
    let seen = get(&app, &app.client, &path).await.body;
    assert_eq!(seen["completeness"], 90, "{seen}");
    let sales = app.client_for(&app.user_token(Role::Manager).await);
    assert_eq!(get(&app, &sales, &path).await.body["completeness"], 90);

    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let support = app.client_for(&app.user_token(Role::Support).await);
    let plain_key = key(&app, json!(["customers:read", "pii:financial"])).await;
    for hidden in [&analyst, &support, &plain_key] {
        let s = get(&app, hidden, &path).await.body;
        assert!(s["completeness"].is_null(), "{s}");
        assert!(masked(&s["masked"]).contains(&"completeness".to_owned()));
        let g = graphql(&app, hidden, SCORES, json!({"id": id})).await;
        assert!(g["customer"]["completeness"].is_null(), "{g}");
        assert!(g["customer"]["scores"]["completeness"].is_null(), "{g}");
    }
    let refused = app
        .send(
            analyst
                .post(format!("{}/api/v1/segments", app.base))
                .json(&json!({"name": "bare", "filter": [{"field": "completeness", "op": "lt", "value": 50}]})),
        )
        .await;
    refused.assert_problem(403, "forbidden");
}

struct Seller {
    client: reqwest::Client,
}

async fn seller(app: &TestApp) -> Seller {
    let session = app.session(Role::Sales).await;
    Seller {
        client: app.client_for(session["access_token"].as_str().unwrap()),
    }
}

async fn own_customer(app: &TestApp, s: &Seller, name: &str) -> String {
    let resp = app
        .send(
            s.client
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person(name)),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    resp.body["id"].as_str().unwrap().to_owned()
}

/// The problem document without what differs from one request to the next.
fn answer(resp: &Resp) -> Value {
    let mut body = resp.body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("instance");
        map.remove("request_id");
        map.remove("trace_id");
    }
    json!({"status": resp.status, "body": body})
}

#[tokio::test]
async fn a_sales_user_gets_the_same_answer_for_another_owners_order_number_as_for_their_own() {
    let app = TestApp::spawn().await;
    let a = seller(&app).await;
    let b = seller(&app).await;
    let theirs = own_customer(&app, &b, "B 的客户").await;
    let foreign = app
        .send(
            b.client
                .post(format!("{}/api/v1/customers/{theirs}/orders", app.base))
                .json(&json!({"number": "B-0001", "total": "10"})),
        )
        .await;
    assert_eq!(foreign.status, 201, "{}", foreign.text);
    let foreign_id = foreign.body["id"].as_str().unwrap().to_owned();
    let mine = own_customer(&app, &a, "A 的客户").await;
    let own = app
        .send(
            a.client
                .post(format!("{}/api/v1/customers/{mine}/orders", app.base))
                .json(&json!({"number": "A-0001", "total": "10"})),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    let own_id = own.body["id"].as_str().unwrap().to_owned();

    let create = |number: &str| {
        let request = a
            .client
            .post(format!("{}/api/v1/customers/{mine}/orders", app.base))
            .json(&json!({"number": number, "total": "10"}));
        app.send(request)
    };
    let clash_foreign = create("B-0001").await;
    let clash_own = create("A-0001").await;
    clash_foreign.assert_problem(409, "conflict");
    assert_eq!(
        answer(&clash_foreign),
        answer(&clash_own),
        "a number in use reads the same whether or not the caller can see its order"
    );
    for body in [&clash_foreign.text, &clash_own.text] {
        for secret in [&foreign_id, &theirs, &own_id, "B-0001", "A-0001"] {
            assert!(!body.contains(secret), "{secret} in {body}");
        }
    }
    // GraphQL answers alike: the same code and message for both.
    let gql = |number: &'static str| {
        let request = a.client.post(format!("{}/graphql", app.base)).json(&json!({
            "query": "mutation($c: UUID!, $n: String!) { createOrder(input: {customerId: $c, number: $n, total: \"10\"}) { id } }",
            "variables": {"c": mine, "n": number}
        }));
        app.send(request)
    };
    let (g_foreign, g_own) = (gql("B-0001").await, gql("A-0001").await);
    let e = &g_foreign.body["errors"][0];
    assert_eq!(e["extensions"]["code"], "CONFLICT", "{}", g_foreign.text);
    assert_eq!(e["message"], g_own.body["errors"][0]["message"]);
    assert!(!g_foreign.text.contains(&foreign_id) && !g_foreign.text.contains("B-0001"));

    // An import line with another owner's number is rejected like one with another of
    // the importer's own numbers: same field, rule and message.
    let csv = "订单号,dossier customer id,金额\nB-0001,{mine},10\nA-0001,{other},10\n";
    let other = own_customer(&app, &a, "A 的另一客户").await;
    let csv = csv.replace("{mine}", &mine).replace("{other}", &other);
    let rejects = import_rejects(&app, &a.client, "orders", &csv).await;
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    for r in &rejects {
        assert_eq!(r["field"], "number", "{r}");
        assert_eq!(r["rule"], rejects[0]["rule"], "{r}");
        assert_eq!(r["message"], rejects[0]["message"], "{r}");
        let text = r.to_string();
        assert!(
            !text.contains(&foreign_id) && !text.contains(&theirs),
            "{text}"
        );
    }
}

async fn import_rejects(
    app: &TestApp,
    client: &reqwest::Client,
    kind: &str,
    csv: &str,
) -> Vec<Value> {
    let started = app
        .send(
            client
                .post(format!("{}/api/v1/imports", app.base))
                .query(&[("kind", kind), ("source", "erp")])
                .header("content-type", "text/csv")
                .body(csv.to_owned()),
        )
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let id = started.body["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let job = get(app, client, &format!("/api/v1/imports/{id}"))
            .await
            .body;
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            assert_eq!(job["status"], "completed", "{job}");
            let page = get(
                app,
                client,
                &format!("/api/v1/imports/{id}/rejects?format=json"),
            )
            .await;
            return page.body["data"].as_array().unwrap().clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

#[tokio::test]
async fn a_sales_user_importing_another_owners_external_id_learns_nothing_of_that_customer() {
    let app = TestApp::spawn().await;
    let a = seller(&app).await;
    let b = seller(&app).await;
    // B imports two customers; one of them is then deleted.
    let rejects = import_rejects(
        &app,
        &b.client,
        "customers",
        "编号,姓名\nB1,吴九\nB2,郑十\n",
    )
    .await;
    assert!(rejects.is_empty(), "{rejects:?}");
    let listed = get(&app, &b.client, "/api/v1/customers").await.body;
    let ids: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let gone = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["display_name"] == "郑十")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .send(
            b.client
                .delete(format!("{}/api/v1/customers/{gone}", app.base)),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    // A imports both external ids: a live and a deleted customer of B's read alike, and
    // name neither customer.
    let rejects = import_rejects(
        &app,
        &a.client,
        "customers",
        "编号,姓名\nB1,吴九改\nB2,郑十改\n",
    )
    .await;
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    for r in &rejects {
        assert_eq!(r["field"], "external_id", "{r}");
        assert_eq!(r["rule"], "taken", "{r}");
        assert_eq!(r["message"], rejects[0]["message"], "{r}");
        let text = r.to_string();
        for id in &ids {
            assert!(!text.contains(id.as_str()), "{text}");
        }
        assert!(
            !text.contains("deleted") && !text.contains("yours"),
            "{text}"
        );
    }
    // The rule and wording are those of an order number in use.
    let order_rule = {
        let mine = own_customer(&app, &a, "A 的客户").await;
        let theirs = own_customer(&app, &b, "B 的客户").await;
        let made = app
            .send(
                b.client
                    .post(format!("{}/api/v1/customers/{theirs}/orders", app.base))
                    .json(&json!({"number": "B-9", "total": "1"})),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        import_rejects(
            &app,
            &a.client,
            "orders",
            &format!("订单号,dossier customer id,金额\nB-9,{mine},1\n"),
        )
        .await
    };
    assert_eq!(order_rule[0]["rule"], rejects[0]["rule"]);
    // Nothing of B's changed.
    let still = get(&app, &b.client, "/api/v1/customers").await.body;
    let names: Vec<&str> = still["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"吴九") && !names.contains(&"吴九改"),
        "{names:?}"
    );
}

#[tokio::test]
async fn creates_racing_for_one_order_number_are_refused_in_the_same_words() {
    let app = TestApp::spawn().await;
    // Different customers, so that the creates do not wait for one another's customer lock.
    let mut paths = Vec::new();
    for i in 0..6 {
        let id = app.create_customer(person(&format!("并发客户{i}"))).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        paths.push(format!("{}/api/v1/customers/{id}/orders", app.base));
    }
    let racing = paths.iter().map(|path| {
        app.send(
            app.client
                .post(path)
                .json(&json!({"number": "RACE-1", "total": "5"})),
        )
    });
    let answers = futures_util::future::join_all(racing).await;
    assert_eq!(
        answers.iter().filter(|r| r.status == 201).count(),
        1,
        "{:?}",
        answers.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let later = app
        .send(
            app.client
                .post(&paths[0])
                .json(&json!({"number": "RACE-1", "total": "5"})),
        )
        .await;
    later.assert_problem(409, "conflict");
    for refused in answers.iter().filter(|r| r.status != 201) {
        assert_eq!(answer(refused), answer(&later), "{}", refused.text);
    }
}

#[tokio::test]
async fn a_sales_user_re_importing_another_owners_interaction_or_survey_is_told_only_that_the_id_is_taken()
 {
    let app = TestApp::spawn().await;
    let a = seller(&app).await;
    let b = seller(&app).await;
    let none = import_rejects(&app, &b.client, "customers", "编号,姓名\nB1,吴九\n").await;
    assert!(none.is_empty(), "{none:?}");
    let none = import_rejects(&app, &a.client, "customers", "编号,姓名\nA1,周一\n").await;
    assert!(none.is_empty(), "{none:?}");
    let calls = "external_id,customer_external_id,type,occurred_at,summary\n\
                 I1,B1,call,2026-05-01T09:00:00Z,询价\n";
    let none = import_rejects(&app, &b.client, "interactions", calls).await;
    assert!(none.is_empty(), "{none:?}");
    let surveys =
        "external_id,customer_external_id,csat,answered_at\nS1,B1,5,2026-05-02T10:00:00Z\n";
    let none = import_rejects(&app, &b.client, "surveys", surveys).await;
    assert!(none.is_empty(), "{none:?}");

    // A sends the same external ids for A's own customer: each line is refused like any
    // id in use, never counted "unchanged" (which would say that B's record exists).
    let calls = "external_id,customer_external_id,type,occurred_at,summary\n\
                 I1,A1,call,2026-05-01T09:00:00Z,询价\nI2,A1,call,2026-05-01T10:00:00Z,回访\n";
    let rejects = import_rejects(&app, &a.client, "interactions", calls).await;
    let surveys =
        "external_id,customer_external_id,csat,answered_at\nS1,A1,4,2026-05-02T10:00:00Z\n";
    let survey_rejects = import_rejects(&app, &a.client, "surveys", surveys).await;
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(survey_rejects.len(), 1, "{survey_rejects:?}");
    for r in rejects.iter().chain(&survey_rejects) {
        assert_eq!(r["row"], 2, "{r}");
        assert_eq!(r["field"], "external_id", "{r}");
        assert_eq!(r["rule"], "taken", "{r}");
        assert!(!r.to_string().contains("吴九"), "{r}");
    }
    // A's own line went in; B's record is as it was, and A's re-run of A's own file is
    // "unchanged" as before.
    let jobs = get(&app, &a.client, "/api/v1/imports").await.body;
    let last = &jobs["data"][1];
    assert_eq!(last["kind"], "interactions", "{jobs}");
    assert_eq!(last["created"], 1, "{last}");
    assert_eq!(last["unchanged"], 0, "{last}");
    let theirs = get(&app, &b.client, "/api/v1/interactions").await.body;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(theirs["data"][0]["summary"], "询价");
}
