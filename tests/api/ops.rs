//! Health, readiness, the OpenAPI document, the docs page and GraphiQL.

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
async fn the_docs_page_and_graphiql_are_served_without_external_assets() {
    // The SDL route (checked below) is served with introspection on, as `serve --demo` has it.
    let app = TestApp::spawn_with(|s| s.graphql_introspection = true).await;

    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), "/docs/");
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger-ui"), "Swagger UI page");
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, 200, "Swagger UI assets are served locally");
    let page = app.get("/graphql").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.text.contains("/graphql/assets/graphiql-4.1.2.min.js"),
        "GraphiQL 4"
    );
    assert!(
        !page.text.contains("https://") && !page.text.contains("<script>"),
        "GraphiQL loads nothing from the internet and runs no inline script"
    );
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self'"),
        "the page runs under a Content-Security-Policy"
    );
    // Every script and stylesheet the page names is served.
    for url in page
        .text
        .split('"')
        .filter(|s| s.starts_with("/graphql/assets/"))
    {
        let asset = app.get(url).await;
        assert_eq!(asset.status, 200, "{url}");
        let expected = if url.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(asset.header("content-type").starts_with(expected), "{url}");
    }
    let sdl = app.get("/graphql/schema.graphql").await;
    assert!(
        sdl.text == include_str!("../../schema/schema.graphql"),
        "schema/schema.graphql is stale: regenerate it with `cargo run -- graphql-schema`"
    );
}

#[tokio::test]
async fn graphiql_assets_are_cached_revalidated_and_answer_head() {
    let app = TestApp::spawn().await;

    let bundle = app.get("/graphql/assets/graphiql-4.1.2.min.js").await;
    assert_eq!(bundle.status, 200);
    assert_eq!(
        bundle.header("cache-control"),
        "public, max-age=31536000, immutable",
        "a versioned release never changes"
    );
    assert_eq!(
        bundle.text.len(),
        include_bytes!("../../assets/vendor/graphiql/graphiql.min.js").len()
    );
    let etag = bundle.header("etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.len() > 10,
        "strong ETag {etag}"
    );
    let again = app
        .send(
            app.client
                .get(format!("{}/graphql/assets/graphiql-4.1.2.min.js", app.base))
                .header("if-none-match", &etag),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());

    let init = app.get("/graphql/assets/graphiql-init.js").await;
    assert_eq!(init.status, 200);
    assert_eq!(
        init.header("cache-control"),
        "no-cache",
        "our own script is revalidated"
    );

    let head = app
        .send(app.client.head(format!(
            "{}/graphql/assets/react-18.3.1.production.min.js",
            app.base
        )))
        .await;
    assert_eq!(head.status, 200);
    assert!(head.header("content-type").starts_with("text/javascript"));
    assert!(head.text.is_empty(), "HEAD has no body");

    let licence = app
        .get("/graphql/assets/react-dom-18.3.1.LICENSE.txt")
        .await;
    assert_eq!(licence.status, 200);
    assert!(licence.text.contains("MIT License"));

    app.get("/graphql/assets/explorer.html")
        .await
        .assert_problem(404, "not_found");
    app.get("/graphql/assets/../Cargo.toml")
        .await
        .assert_problem(404, "not_found");
    let post = app
        .post("/graphql/assets/graphiql-init.js", &serde_json::json!({}))
        .await;
    post.assert_problem(405, "method_not_allowed");
    assert_eq!(post.header("allow"), "GET, HEAD");
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

#[tokio::test]
async fn every_response_has_a_request_id_and_only_a_trusted_proxy_may_set_it() {
    let app = TestApp::spawn().await;
    let plain = app.get("/api/v1/customers").await;
    let id = plain.header("x-request-id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a made-up id: {id}");
    let error = app.get("/api/v1/customers?citty=x").await;
    assert!(
        !error.header("x-request-id").is_empty(),
        "errors carry one too"
    );
    let spoofed = app
        .send(
            app.client
                .get(format!("{}/healthz", app.base))
                .header("x-request-id", "from-a-stranger"),
        )
        .await;
    assert_ne!(spoofed.header("x-request-id"), "from-a-stranger");

    let behind_proxy = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let kept = behind_proxy
        .send(
            behind_proxy
                .client
                .get(format!("{}/healthz", behind_proxy.base))
                .header("x-request-id", "edge-7f3a:42"),
        )
        .await;
    assert_eq!(kept.header("x-request-id"), "edge-7f3a:42");
    let odd = behind_proxy
        .send(
            behind_proxy
                .client
                .get(format!("{}/healthz", behind_proxy.base))
                .header("x-request-id", "has spaces and ünïcode"),
        )
        .await;
    assert!(uuid::Uuid::parse_str(odd.header("x-request-id")).is_ok());
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(crate::support::person("Ann")).await;
    app.get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()))
        .await;
    app.get("/api/v1/customers/01a23580-0000-7000-8000-000000000000")
        .await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = &metrics.text;
    assert!(
        text.contains(
            r#"dossier_http_requests_total{method="GET",route="/api/v1/customers/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"dossier_http_requests_total{method="GET",route="/api/v1/customers/{id}",status="404"} 1"#
    ));
    assert!(text.contains(
        r#"dossier_http_request_duration_seconds_count{method="GET",route="/api/v1/customers/{id}"} 2"#
    ));
    assert!(text.contains("dossier_db_pool_connections "));
    assert!(!text.contains("01a23580"), "no ids in the labels");

    let guarded =
        TestApp::spawn_with(|s| s.metrics_token = Some("scrape-me-0123".to_owned())).await;
    let anonymous = guarded
        .send(guarded.anonymous.get(format!("{}/metrics", guarded.base)))
        .await;
    anonymous.assert_problem(401, "unauthenticated");
    let scraper = guarded
        .send(
            guarded
                .anonymous
                .get(format!("{}/metrics", guarded.base))
                .bearer_auth("scrape-me-0123"),
        )
        .await;
    assert_eq!(scraper.status, 200);
    assert!(scraper.text.contains("dossier_http_requests_total"));
}

#[tokio::test]
async fn metrics_say_when_each_background_job_last_succeeded() {
    let app = TestApp::spawn_with(|s| s.refit_hours = 24).await;
    let mut text = String::new();
    for _ in 0..200 {
        text = app
            .send(app.anonymous.get(format!("{}/metrics", app.base)))
            .await
            .text;
        if text.contains("dossier_job_runs_total{job=\"alerts\",outcome=\"ok\"} 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for job in ["refit", "alerts"] {
        assert!(
            text.contains(&format!(
                "dossier_job_runs_total{{job=\"{job}\",outcome=\"ok\"}} 1"
            )),
            "{job} ran once at start: {text}"
        );
        let at: f64 = text
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "dossier_job_last_success_timestamp_seconds{{job=\"{job}\"}} "
                ))
            })
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("the last success of {job}: {text}"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((now - at).abs() < 60.0, "{job}: {at} is now");
    }
}
