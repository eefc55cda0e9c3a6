//! Malformed requests: each gets a 4xx problem+json, never a 500.

use serde_json::json;

use crate::support::{TestApp, person};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;

    let resp = app
        .send(
            app.client
                .post(format!("{}/api/v1/customers", app.base))
                .header("content-type", "application/json")
                .body("{\"kind\": \"individual\", "),
        )
        .await;

    resp.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_422() {
    let app = TestApp::spawn().await;

    let resp = app
        .post("/api/v1/customers", &json!(["kind", "individual"]))
        .await;

    resp.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = TestApp::spawn().await;

    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let resp = app
            .send(
                app.client
                    .post(format!("{}/api/v1/customers", app.base))
                    .header("content-type", content_type)
                    .body(person("Ann").to_string()),
            )
            .await;
        resp.assert_problem(415, "unsupported_media_type");
    }
    let missing = app
        .send(
            app.client
                .post(format!("{}/api/v1/customers", app.base))
                .body(person("Ann").to_string()),
        )
        .await;
    missing.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_413_on_rest_and_graphql() {
    let app = TestApp::spawn().await;
    let huge = json!({"kind": "individual", "display_name": "x", "notes": "n".repeat(300 * 1024)});

    app.post("/api/v1/customers", &huge)
        .await
        .assert_problem(413, "payload_too_large");
    app.post(
        "/graphql",
        &json!({"query": format!("{{ customers {{ totalCount }} }} #{}", "x".repeat(300 * 1024))}),
    )
    .await
    .assert_problem(413, "payload_too_large");
    assert_eq!(app.get("/api/v1/customers").await.body["data"], json!([]));
}

#[tokio::test]
async fn a_non_uuid_id_is_400_naming_id() {
    let app = TestApp::spawn().await;

    for path in [
        "/api/v1/customers/42",
        "/api/v1/customers/not-a-uuid",
        "/api/v1/customers/%00",
    ] {
        app.get(path).await.assert_field_error(400, "id");
    }
    app.patch("/api/v1/customers/42", &json!({"notes": "x"}), None)
        .await
        .assert_field_error(400, "id");
    app.delete("/api/v1/customers/42", None)
        .await
        .assert_field_error(400, "id");
    app.post("/api/v1/customers/42/restore", &json!({}))
        .await
        .assert_field_error(400, "id");
}

#[tokio::test]
async fn an_unsupported_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;

    let put = app
        .send(
            app.client
                .put(format!(
                    "{}/api/v1/customers/{}",
                    app.base,
                    c["id"].as_str().unwrap()
                ))
                .json(&person("B")),
        )
        .await;
    put.assert_problem(405, "method_not_allowed");
    assert_eq!(put.header("allow"), "GET, PATCH, DELETE, HEAD, OPTIONS");
    let delete_all = app.delete("/api/v1/customers", None).await;
    delete_all.assert_problem(405, "method_not_allowed");
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;

    app.get("/api/v1/nothing-here")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_graphql_batch_or_non_request_is_400() {
    let app = TestApp::spawn().await;

    app.post("/graphql", &json!([{"query": "{ customFields { key } }"}]))
        .await
        .assert_problem(400, "bad_request");
    app.post("/graphql", &json!({"nothing": true}))
        .await
        .assert_field_error(400, "query");
    let malformed = app
        .send(
            app.client
                .post(format!("{}/graphql", app.base))
                .header("content-type", "application/json")
                .body("{bad"),
        )
        .await;
    malformed.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_nul_character_anywhere_in_a_body_is_refused_naming_its_place() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/api/v1/customers",
            &json!({"kind": "individual", "display_name": "a\u{0}b"}),
        )
        .await;
    resp.assert_field_error(422, "display_name");
    let id = app.create_customer(person("空字符")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nested = app
        .post(
            &format!("/api/v1/customers/{id}/interactions"),
            &json!({"type": "call", "summary": "ok", "outcome": "x\u{0}"}),
        )
        .await;
    nested.assert_field_error(422, "outcome");
    let graphql = app
        .post(
            "/graphql",
            &json!({"query": "mutation($i: InteractionInput!, $c: UUID!) { recordInteraction(customerId: $c, input: $i) { id } }",
                                "variables": {"c": id, "i": {"type": "CALL", "subject": "\u{0}"}}}),
        )
        .await;
    graphql.assert_field_error(422, "variables.i.subject");
}

#[tokio::test]
async fn a_wrongly_typed_or_unknown_value_is_named_but_never_echoed() {
    let app = TestApp::spawn().await;
    let mut body = person("Echo Probe");
    body["phone"] = json!(13_812_345_678_u64);
    let typed = app.post("/api/v1/customers", &body).await;
    typed.assert_field_error(422, "phone");
    assert!(!typed.text.contains("13812345678"), "{}", typed.text);
    assert!(typed.text.contains("expected"), "{}", typed.text);

    let mut body = person("Echo Probe");
    body["kind"] = json!("secret-kind-9f3a");
    let variant = app.post("/api/v1/customers", &body).await;
    variant.assert_field_error(422, "kind");
    assert!(
        !variant.text.contains("secret-kind-9f3a"),
        "{}",
        variant.text
    );
    assert!(variant.text.contains("individual"), "{}", variant.text);

    let product = app
        .post(
            "/api/v1/products",
            &json!({"sku": "ECHO-1", "name": "Echo", "list_price": "1.00", "active": "yes-7d2c"}),
        )
        .await;
    product.assert_field_error(422, "active");
    assert!(!product.text.contains("yes-7d2c"), "{}", product.text);
}
