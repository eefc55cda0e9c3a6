//! API keys: shown once, scoped, masked by scope, revocable at once, never administrators.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person, zhang_wei};

async fn create_key(app: &TestApp, scopes: Value) -> (String, Value) {
    let resp = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "shop sync", "scopes": scopes}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    (
        resp.body["key"].as_str().unwrap().to_owned(),
        resp.body["api_key"].clone(),
    )
}

#[tokio::test]
async fn a_key_is_shown_once_and_listed_without_its_secret() {
    let app = TestApp::spawn().await;

    let (key, meta) = create_key(&app, json!(["customers:read"])).await;

    assert!(key.starts_with("dsk_") && key.len() >= 40, "{key}");
    assert_eq!(meta["prefix"], &key[..12]);
    assert_eq!(meta["scopes"], json!(["customers:read"]));
    assert_eq!(meta["last_used_at"], Value::Null);
    let client = app.client_for(&key);
    assert_eq!(
        app.send(client.get(format!("{}/api/v1/customers", app.base)))
            .await
            .status,
        200
    );
    let list = app.get("/api/v1/api-keys").await;
    assert!(!list.text.contains(&key), "the secret is never listed");
    assert!(
        list.body["data"][0]["last_used_at"].is_string(),
        "use is recorded"
    );
    for bad in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["everything"]}),
        json!({"name": "", "scopes": ["customers:read"]}),
    ] {
        assert_eq!(
            app.post("/api/v1/api-keys", &bad).await.status,
            422,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn scopes_decide_what_a_key_reads_writes_and_sees() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();
    let (reader, _) = create_key(&app, json!(["customers:read"])).await;
    let (contact, _) = create_key(&app, json!(["customers:read", "pii:contact"])).await;
    let (writer, _) = create_key(
        &app,
        json!(["customers:read", "customers:write", "pii:financial"]),
    )
    .await;

    let plain = app
        .send(
            app.client_for(&reader)
                .get(format!("{}/api/v1/customers/{id}", app.base)),
        )
        .await;
    assert_eq!(plain.body["display_name"], "张伟");
    assert_eq!(plain.body["phone"], Value::Null, "no pii:contact, no phone");
    assert_eq!(plain.body["individual"]["annual_income"], Value::Null);
    assert!(!plain.text.contains("13800138000"));
    let with_contact = app
        .send(
            app.anonymous
                .get(format!("{}/api/v1/customers/{id}", app.base))
                .header("x-api-key", &contact),
        )
        .await;
    assert_eq!(
        with_contact.body["phone"], "+8613800138000",
        "X-API-Key works too"
    );
    assert_eq!(
        with_contact.body["individual"]["id_number"],
        Value::Null,
        "sensitive needs its own scope"
    );

    let refused = app
        .send(
            app.client_for(&reader)
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("x")),
        )
        .await;
    refused.assert_problem(403, "forbidden");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("customers:write")
    );
    let search = app
        .send(
            app.client_for(&reader)
                .get(format!("{}/api/v1/customers?q=138", app.base)),
        )
        .await;
    search.assert_problem(403, "forbidden");
    let created = app
        .send(
            app.client_for(&writer)
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("From the shop")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["owner_id"], Value::Null);
    let owner = app
        .send(app.client_for(&writer).post(format!("{}/api/v1/customers", app.base)).json(&json!({"kind": "individual", "display_name": "y", "owner_id": uuid::Uuid::now_v7()})))
        .await;
    owner.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn keys_cannot_administer_or_use_session_endpoints() {
    let app = TestApp::spawn().await;
    let (key, _) = create_key(
        &app,
        json!([
            "customers:read",
            "customers:write",
            "pii:contact",
            "pii:financial",
            "pii:sensitive"
        ]),
    )
    .await;
    let client = app.client_for(&key);

    for path in ["/api/v1/users", "/api/v1/api-keys", "/api/v1/audit"] {
        app.send(client.get(format!("{}{path}", app.base)))
            .await
            .assert_problem(403, "forbidden");
    }
    let mint = app
        .send(
            client
                .post(format!("{}/api/v1/api-keys", app.base))
                .json(&json!({"name": "more", "scopes": ["customers:read"]})),
        )
        .await;
    mint.assert_problem(403, "forbidden");
    let field = app
        .send(
            client
                .post(format!("{}/api/v1/custom-fields", app.base))
                .json(&json!({"key": "k", "label": "K", "type": "text"})),
        )
        .await;
    field.assert_problem(403, "forbidden");
    let refresh = app
        .send(
            client
                .post(format!("{}/api/v1/auth/refresh", app.base))
                .json(&json!({"refresh_token": key})),
        )
        .await;
    refresh.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let (key, meta) = create_key(&app, json!(["customers:read"])).await;
    let client = app.client_for(&key);
    assert_eq!(
        app.send(client.get(format!("{}/api/v1/customers", app.base)))
            .await
            .status,
        200
    );

    let revoked = app
        .delete(
            &format!("/api/v1/api-keys/{}", meta["id"].as_str().unwrap()),
            None,
        )
        .await;

    assert_eq!(revoked.status, 204);
    app.send(client.get(format!("{}/api/v1/customers", app.base)))
        .await
        .assert_problem(401, "unauthenticated");
    let log = app.get("/api/v1/audit?action=api_key.revoked").await;
    assert_eq!(log.body["data"][0]["details"]["api_key_id"], meta["id"]);
    let created = app.get("/api/v1/audit?action=api_key.created").await;
    assert!(
        !created.text.contains(&key),
        "the secret is not in the audit log"
    );
    let unknown = app.client_for("dsk_not-a-real-key-000000000000000000000000000");
    app.send(unknown.get(format!("{}/api/v1/customers", app.base)))
        .await
        .assert_problem(401, "unauthenticated");
    let manager = app.client_for(&app.user_token(Role::Manager).await);
    app.send(manager.get(format!("{}/api/v1/api-keys", app.base)))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn each_pii_scope_opens_exactly_its_class() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();
    // (scope, phone visible, income visible, id number visible)
    let cases = [
        ("pii:contact", true, false, false),
        ("pii:financial", false, true, false),
        ("pii:sensitive", false, false, true),
    ];
    for (scope, phone, income, id_number) in cases {
        let (key, _) = create_key(&app, json!(["customers:read", scope])).await;
        let rest = app
            .send(
                app.client_for(&key)
                    .get(format!("{}/api/v1/customers/{id}", app.base)),
            )
            .await;
        assert_eq!(rest.body["phone"].is_string(), phone, "{scope} phone");
        assert_eq!(
            rest.body["individual"]["annual_income"].is_string(),
            income,
            "{scope} income"
        );
        assert_eq!(
            rest.body["individual"]["id_number"].is_string(),
            id_number,
            "{scope} id number"
        );
        let gql = app
            .send(app.client_for(&key).post(format!("{}/graphql", app.base)).json(&json!({
                "query": "query($id: UUID!) { customer(id: $id) { phone individual { annualIncome idNumber } maskedFields } }",
                "variables": {"id": id}
            })))
            .await;
        let g = &gql.body["data"]["customer"];
        assert_eq!(g["phone"].is_string(), phone, "{scope} phone over GraphQL");
        assert_eq!(
            g["individual"]["annualIncome"].is_string(),
            income,
            "{scope} income over GraphQL"
        );
        assert_eq!(
            g["individual"]["idNumber"].is_string(),
            id_number,
            "{scope} id over GraphQL"
        );
        assert_eq!(
            g["maskedFields"], rest.body["masked"],
            "{scope}: same masked list"
        );
    }
}

#[tokio::test]
async fn a_key_reads_and_writes_orders_by_its_scopes() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("订单客户")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = app
        .post(
            &format!("/api/v1/customers/{id}/orders"),
            &json!({"total": "88", "notes": "门口"}),
        )
        .await;
    let path = format!(
        "{}/api/v1/orders/{}",
        app.base,
        order.body["id"].as_str().unwrap()
    );

    let (read_only, _) = create_key(&app, json!(["customers:read"])).await;
    let client = app.client_for(&read_only);
    let seen = app.send(client.get(&path)).await;
    assert_eq!(seen.status, 200);
    assert_eq!(
        seen.body["total"],
        Value::Null,
        "no pii:financial, no amounts"
    );
    assert_eq!(seen.body["notes"], Value::Null, "no pii:contact, no notes");
    let write = app
        .send(
            client
                .post(format!("{}/api/v1/orders", app.base))
                .json(&json!({"customer_id": id, "total": "1"})),
        )
        .await;
    write.assert_problem(403, "forbidden");

    let (sync, _) = create_key(
        &app,
        json!(["customers:read", "customers:write", "pii:financial"]),
    )
    .await;
    let client = app.client_for(&sync);
    let seen = app.send(client.get(&path)).await;
    assert_eq!(seen.body["total"], "88.00");
    assert_eq!(seen.body["notes"], Value::Null);
    let written = app
        .send(
            client
                .post(format!("{}/api/v1/orders", app.base))
                .json(&json!({"customer_id": id, "total": "12", "status": "paid"})),
        )
        .await;
    assert_eq!(written.status, 201, "{}", written.text);
    let stats = app
        .send(client.get(format!("{}/api/v1/customers/{id}/stats", app.base)))
        .await;
    assert_eq!(stats.body["monetary_total"], "100.00");
}
