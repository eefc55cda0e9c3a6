//! `Idempotency-Key` on POST: a retry gets the first response and writes nothing new.

use serde_json::json;

use crate::support::{TestApp, person};

async fn post_keyed(app: &TestApp, key: &str, body: &serde_json::Value) -> crate::support::Resp {
    app.send(
        app.client
            .post(format!("{}/api/v1/customers", app.base))
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

#[tokio::test]
async fn a_retried_create_returns_the_first_response_and_creates_one_customer() {
    let app = TestApp::spawn().await;

    let first = post_keyed(&app, "order-7-customer", &person("Ann")).await;
    let retry = post_keyed(&app, "order-7-customer", &person("Ann")).await;

    assert_eq!(first.status, 201);
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body, "same body, same id");
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(first.header("idempotent-replayed"), "");
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), "\"1\"");
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn reusing_a_key_for_a_different_body_is_422() {
    let app = TestApp::spawn().await;
    post_keyed(&app, "k1", &person("Ann")).await;

    let resp = post_keyed(&app, "k1", &person("Bob")).await;

    resp.assert_field_error(422, "Idempotency-Key");
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_rejected_request_is_replayed_as_rejected() {
    let app = TestApp::spawn().await;
    let bad = json!({"kind": "individual", "display_name": "Ann", "email": "nope"});

    let first = post_keyed(&app, "k2", &bad).await;
    let retry = post_keyed(&app, "k2", &bad).await;

    first.assert_field_error(422, "email");
    retry.assert_field_error(422, "email");
    assert_eq!(retry.header("idempotent-replayed"), "true");
}

#[tokio::test]
async fn a_malformed_key_is_400() {
    let app = TestApp::spawn().await;

    for key in ["has space", &"k".repeat(256)] {
        post_keyed(&app, key, &person("Ann"))
            .await
            .assert_field_error(400, "Idempotency-Key");
    }
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn keys_also_guard_custom_field_creation() {
    let app = TestApp::spawn().await;
    let body = json!({"key": "tier", "label": "Tier", "type": "text"});
    let send = || {
        app.send(
            app.client
                .post(format!("{}/api/v1/custom-fields", app.base))
                .header("idempotency-key", "cf-1")
                .json(&body),
        )
    };

    let first = send().await;
    let retry = send().await;

    assert_eq!(first.status, 201);
    assert_eq!(retry.status, 201, "not a 409 duplicate: {}", retry.text);
    assert_eq!(retry.body, first.body);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_customer() {
    let app = TestApp::spawn().await;

    let body = person("Ann");
    let attempts = (0..6).map(|_| post_keyed(&app, "burst-1", &body));
    let results = futures_util::future::join_all(attempts).await;

    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "201 or in-progress 409 only: {statuses:?}"
    );
    let ids: std::collections::HashSet<_> = results
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "every 201 carries the same customer");
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
