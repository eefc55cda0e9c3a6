//! Global object identification: `node(id:)` and `nodes(ids:)` find any record by its id,
//! through the same rights and rows as the record's own read.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person, zhang_wei};

const NODE: &str = "query($id: UUID!) { node(id: $id) { __typename id
    ... on Customer { displayName phone maskedFields }
    ... on Order { number customerId }
    ... on Product { sku }
    ... on Interaction { subject }
    ... on Complaint { subject }
    ... on Segment { name } } }";

async fn node_as(app: &TestApp, token: &str, id: &Value) -> Value {
    let r = app
        .send(
            app.client_for(token)
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": NODE, "variables": {"id": id}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["errors"].is_null(), "{}", r.text);
    r.body["data"]["node"].clone()
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post(path, &body).await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.body["id"].clone()
}

#[tokio::test]
async fn node_finds_every_kind_of_record_by_its_id() {
    let app = TestApp::spawn().await;
    let customer = app.create_customer(zhang_wei()).await["id"].clone();
    let c = customer.as_str().unwrap();
    let product = created(
        &app,
        "/api/v1/products",
        json!({"sku": "LJ-1", "name": "龙井", "list_price": "88"}),
    )
    .await;
    let order = created(
        &app,
        &format!("/api/v1/customers/{c}/orders"),
        json!({"total": "88", "status": "paid"}),
    )
    .await;
    let interaction = created(
        &app,
        &format!("/api/v1/customers/{c}/interactions"),
        json!({"type": "call", "direction": "inbound", "subject": "配送延迟"}),
    )
    .await;
    let complaint = created(
        &app,
        &format!("/api/v1/customers/{c}/complaints"),
        json!({"category": "product", "severity": "low", "subject": "茶叶受潮"}),
    )
    .await;
    let segment = created(
        &app,
        "/api/v1/segments",
        json!({"name": "vip", "filter": [{"field": "tag", "op": "eq", "value": "vip"}]}),
    )
    .await;
    let admin = app.user_token(Role::Admin).await;

    for (id, typename, field, value) in [
        (&customer, "Customer", "displayName", json!("张伟")),
        (&product, "Product", "sku", json!("LJ-1")),
        (&order, "Order", "customerId", customer.clone()),
        (&interaction, "Interaction", "subject", json!("配送延迟")),
        (&complaint, "Complaint", "subject", json!("茶叶受潮")),
        (&segment, "Segment", "name", json!("vip")),
    ] {
        let node = node_as(&app, &admin, id).await;
        assert_eq!(node["__typename"], typename, "{node}");
        assert_eq!(&node["id"], id);
        assert_eq!(node[field], value, "{node}");
    }
    let missing = node_as(&app, &admin, &json!(uuid::Uuid::now_v7())).await;
    assert_eq!(missing, Value::Null);

    let many = app
        .graphql(
            "query($ids: [UUID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({"ids": [order, uuid::Uuid::now_v7(), customer]}),
        )
        .await;
    assert_eq!(
        many["data"]["nodes"],
        json!([{"__typename": "Order", "id": order}, null,
               {"__typename": "Customer", "id": customer}]),
        "{many}"
    );
    let ids: Vec<Value> = (0..51).map(|_| json!(uuid::Uuid::now_v7())).collect();
    let too_many = app
        .graphql(
            "query($ids: [UUID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": ids}),
        )
        .await;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{too_many}"
    );
}

#[tokio::test]
async fn node_shows_each_role_what_its_own_read_shows() {
    let app = TestApp::spawn().await;
    let sales = app.session(Role::Sales).await;
    let mut doc = zhang_wei();
    doc["owner_id"] = sales["user"]["id"].clone();
    let own = app.create_customer(doc).await["id"].clone();
    let other = app.create_customer(person("李娜")).await["id"].clone();
    let other_order = created(
        &app,
        &format!("/api/v1/customers/{}/orders", other.as_str().unwrap()),
        json!({"total": "20", "status": "paid"}),
    )
    .await;
    let sales_token = sales["access_token"].as_str().unwrap();

    assert_eq!(node_as(&app, sales_token, &own).await["id"], own);
    assert_eq!(
        node_as(&app, sales_token, &other).await,
        Value::Null,
        "another owner's customer is not there"
    );
    assert_eq!(node_as(&app, sales_token, &other_order).await, Value::Null);

    for role in [Role::Support, Role::Analyst, Role::Manager] {
        let token = app.user_token(role).await;
        let direct = app
            .send(app.client_for(&token).get(format!(
                "{}/api/v1/customers/{}",
                app.base,
                own.as_str().unwrap()
            )))
            .await;
        let node = node_as(&app, &token, &own).await;
        assert_eq!(node["phone"], direct.body["phone"], "{role}");
        assert_eq!(node["maskedFields"], direct.body["masked"], "{role}");
    }
}
