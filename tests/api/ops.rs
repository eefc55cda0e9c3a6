//! Health, readiness, the OpenAPI document, the docs page and the GraphQL explorer.

use crate::support::TestApp;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;

    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ready");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_matches_the_checked_in_copy() {
    let app = TestApp::spawn().await;

    let resp = app.get("/api/v1/openapi.json").await;

    assert_eq!(resp.status, 200);
    assert!(resp.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/restore",
        "/api/v1/custom-fields/{key}",
    ] {
        assert!(resp.body["paths"].get(path).is_some(), "{path} documented");
    }
    let checked_in: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/openapi.json"))
            .expect("schema/openapi.json is JSON");
    assert!(
        resp.body == checked_in,
        "schema/openapi.json is stale: regenerate it with `cargo run -- openapi`"
    );
}

#[tokio::test]
async fn the_docs_page_and_graphql_explorer_are_served_without_external_assets() {
    let app = TestApp::spawn().await;

    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), "/docs/");
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger-ui"), "Swagger UI page");
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, 200, "Swagger UI assets are served locally");
    let explorer = app.get("/graphql").await;
    assert_eq!(explorer.status, 200);
    assert!(explorer.header("content-type").starts_with("text/html"));
    assert!(
        !explorer.text.contains("https://"),
        "the explorer loads nothing from the internet"
    );
    let sdl = app.get("/graphql/schema.graphql").await;
    assert!(
        sdl.text == include_str!("../../schema/schema.graphql"),
        "schema/schema.graphql is stale: regenerate it with `cargo run -- graphql-schema`"
    );
}

#[tokio::test]
async fn cors_answers_only_the_configured_origin() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/customers", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, idempotency-key",
            )
    };

    let allowed = app.send(preflight("https://app.example.com")).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    assert!(
        allowed
            .header("access-control-allow-methods")
            .contains("POST")
    );

    let evil = app.send(preflight("https://evil.example")).await;
    assert_eq!(
        evil.header("access-control-allow-origin"),
        "",
        "no CORS grant for other origins"
    );
    let simple = app
        .send(
            app.client
                .get(format!("{}/api/v1/customers", app.base))
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(simple.header("access-control-allow-origin"), "");
    let ok = app
        .send(
            app.client
                .get(format!("{}/api/v1/customers", app.base))
                .header("origin", "https://app.example.com"),
        )
        .await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    assert!(
        ok.header("access-control-expose-headers")
            .to_lowercase()
            .contains("etag")
    );
}
