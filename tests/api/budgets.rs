//! Statement budgets, read from `/metrics`: a customer by id is one statement, a page a
//! constant number whatever its size, in REST and GraphQL, with and without scores. Who the
//! caller is and the custom-field definitions come from the in-process caches.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, statements};

/// The answer to `request` and the statements it cost the server.
async fn costed(app: &TestApp, request: reqwest::RequestBuilder) -> (Resp, u64) {
    let before = statements(app).await;
    let resp = app.send(request).await;
    let after = statements(app).await;
    (resp, after - before)
}

/// Customers with two orders each, until there are `n`; their ids.
async fn customers(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids: Vec<String> = app.get("/api/v1/customers?limit=200").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    while ids.len() < n {
        let i = ids.len();
        let c = app
            .create_customer(
                json!({"kind": "individual", "display_name": format!("顾客{i}"),
                "tags": ["vip", "b2c"], "phone": format!("+86 138 0013 {i:04}"),
                "custom": {"tier": "gold"}}),
            )
            .await;
        let id = c["id"].as_str().unwrap().to_owned();
        for total in ["10", "25.50"] {
            let r = app
                .post(
                    &format!("/api/v1/customers/{id}/orders"),
                    &json!({"total": total, "status": "paid"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
        ids.push(id);
    }
    ids
}

async fn app_with_a_custom_field() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "text"}))
        .await;
    app
}

fn gql(app: &TestApp, client: &reqwest::Client, query: &str) -> reqwest::RequestBuilder {
    client
        .post(format!("{}/graphql", app.base))
        .json(&json!({"query": query}))
}

#[tokio::test]
async fn a_customer_by_id_is_one_statement_in_rest_and_graphql() {
    let app = app_with_a_custom_field().await;
    let ids = customers(&app, 1).await;
    let client = app.client_for(&app.user_token(Role::Admin).await);
    let url = format!("{}/api/v1/customers/{}", app.base, ids[0]);
    // The first request of a principal looks it up; the next ones find it cached.
    assert_eq!(app.send(client.get(&url)).await.status, 200);
    let (rest, n) = costed(&app, client.get(&url)).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(rest.body["tags"], json!(["vip", "b2c"]), "{}", rest.text);
    assert_eq!(rest.body["custom"]["tier"], "gold", "{}", rest.text);
    assert_eq!(n, 1, "REST get-by-id statements");
    let query = format!(
        "{{ customer(id: \"{}\") {{ id displayName phone tags custom }} }}",
        ids[0]
    );
    let (graphql, n) = costed(&app, gql(&app, &client, &query)).await;
    assert_eq!(
        graphql.body["data"]["customer"]["custom"]["tier"], "gold",
        "{}",
        graphql.text
    );
    assert_eq!(n, 1, "GraphQL get-by-id statements");
    // An API key is cached like a user.
    let key = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "shop", "scopes": ["customers:read"]}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let keyed = app.client_for(key.body["key"].as_str().unwrap());
    assert_eq!(app.send(keyed.get(&url)).await.status, 200);
    let (read, n) = costed(&app, keyed.get(&url)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    // A key that cannot see contacts in clear is held to the harvest limit: one more.
    assert!(n <= 2, "API key get-by-id statements: {n}");
}

#[tokio::test]
async fn a_page_costs_the_same_statements_for_2_and_for_12_customers() {
    let app = app_with_a_custom_field().await;
    let client = app.client_for(&app.user_token(Role::Admin).await);
    let scored_graphql = "{ customers(first: 50) { nodes { id displayName tags \
        purchaseStats { orderCount } scores { loyalty { score } } } } }";
    // The caller's first request looks it up; then it is cached.
    let _ = app
        .send(client.get(format!("{}/api/v1/customers", app.base)))
        .await;
    let mut measured: Vec<Vec<u64>> = Vec::new();
    for n in [2, 12] {
        customers(&app, n).await;
        let mut costs = Vec::new();
        for path in [
            "/api/v1/customers?limit=50",
            "/api/v1/customers?limit=50&include=scores",
        ] {
            let (page, cost) = costed(&app, client.get(format!("{}{path}", app.base))).await;
            assert_eq!(
                page.body["data"].as_array().unwrap().len(),
                n,
                "{}",
                page.text
            );
            costs.push(cost);
        }
        let (page, cost) = costed(&app, gql(&app, &client, scored_graphql)).await;
        let nodes: &Vec<Value> = page.body["data"]["customers"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n, "{}", page.text);
        assert_eq!(nodes[0]["purchaseStats"]["orderCount"], 2, "{}", page.text);
        costs.push(cost);
        measured.push(costs);
    }
    assert_eq!(
        measured[0], measured[1],
        "[rest, rest+scores, graphql] for 2 and 12: {measured:?}"
    );
    assert!(measured[0][0] <= 3, "a REST page: {measured:?}");
    assert!(measured[0][1] <= 3, "a REST page with scores: {measured:?}");
    assert!(
        measured[0][2] <= 4,
        "a GraphQL page with stats and scores: {measured:?}"
    );
}

#[tokio::test]
async fn a_change_of_role_or_a_revoked_key_takes_effect_at_once_despite_the_cache() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Manager).await;
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    let manager = app.client_for(session["access_token"].as_str().unwrap());
    let users = format!("{}/api/v1/users", app.base);
    assert_eq!(app.send(manager.get(&users)).await.status, 403);
    let customers = format!("{}/api/v1/customers", app.base);
    assert_eq!(app.send(manager.get(&customers)).await.status, 200);
    // Deactivated: its cached token stops working on the next request.
    let r = app
        .patch(
            &format!("/api/v1/users/{user_id}"),
            &json!({"active": false}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let refused = app.send(manager.get(&customers)).await;
    assert_eq!(refused.status, 401, "{}", refused.text);

    let key = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "shop", "scopes": ["customers:read"]}),
        )
        .await;
    let keyed = app.client_for(key.body["key"].as_str().unwrap());
    assert_eq!(app.send(keyed.get(&customers)).await.status, 200);
    let id = key.body["api_key"]["id"].as_str().unwrap();
    let r = app.delete(&format!("/api/v1/api-keys/{id}"), None).await;
    assert!(r.status == 204 || r.status == 200, "{}", r.text);
    let refused = app.send(keyed.get(&customers)).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
}

#[tokio::test]
async fn a_custom_field_made_sensitive_is_masked_at_once_despite_the_cache() {
    let app = app_with_a_custom_field().await;
    let ids = customers(&app, 1).await;
    let support = app.client_for(&app.user_token(Role::Support).await);
    let url = format!("{}/api/v1/customers/{}", app.base, ids[0]);
    let before = app.send(support.get(&url)).await;
    assert_eq!(before.body["custom"]["tier"], "gold", "{}", before.text);
    let r = app
        .patch(
            "/api/v1/custom-fields/tier",
            &json!({"sensitivity": "sensitive"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app.send(support.get(&url)).await;
    assert!(after.body["custom"]["tier"].is_null(), "{}", after.text);
}

#[tokio::test]
async fn a_key_revoked_through_one_server_is_refused_by_another_over_the_same_database() {
    // Long enough that only the notice (PostgreSQL) can explain a refusal within seconds;
    // over SQLite, where servers hear no notices, a second server holds it that long.
    let ttl = std::time::Duration::from_secs(60);
    let app = TestApp::spawn_with(|s| s.cache_ttl = ttl).await;
    let mut settings = (*app.state.settings).clone();
    settings.bind = "127.0.0.1:0".to_owned();
    let other = dossier::startup::Application::build(settings)
        .await
        .expect("a second server");
    let other_base = format!("http://127.0.0.1:{}", other.port());
    let postgres = app.state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    tokio::spawn(other.run_until_stopped());

    let key = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "shop", "scopes": ["customers:read"]}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let keyed = app.client_for(key.body["key"].as_str().unwrap());
    let there = format!("{other_base}/api/v1/customers");
    // The second server now has the key cached.
    assert_eq!(app.send(keyed.get(&there)).await.status, 200);
    let id = key.body["api_key"]["id"].as_str().unwrap();
    let r = app.delete(&format!("/api/v1/api-keys/{id}"), None).await;
    assert!(r.status == 204 || r.status == 200, "{}", r.text);
    // This server refuses it at once.
    let here = format!("{}/api/v1/customers", app.base);
    assert_eq!(app.send(keyed.get(&here)).await.status, 401);
    let mut status = 0;
    for _ in 0..30 {
        status = app.send(keyed.get(&there)).await.status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if postgres {
        assert_eq!(status, 401, "the other server heard of the revocation");
    } else {
        assert_eq!(
            status, 200,
            "over SQLite the other server holds the key for its cache's time"
        );
    }
}
