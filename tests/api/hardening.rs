//! Hardening: NUL refused on every path with one rule, the audit log append-only (and
//! failed sign-ins audited at 1, 10, 100… failures), sensitive reads audited for every
//! role, security headers on the HTML pages, the client IP behind trusted proxies, and
//! tokens with a future `iat` or an overlong lifetime refused.

use std::io::{Read, Write};

use dossier::domain::Role;
use dossier::policy::limits::Rule;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person, zhang_wei};

/// The `errors[]` entry of a problem for `field`.
fn error_on<'a>(resp: &'a Resp, field: &str) -> &'a Value {
    resp.body["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["field"] == field))
        .unwrap_or_else(|| panic!("no error on `{field}`: {}", resp.text))
}

#[track_caller]
fn assert_nul_refused(resp: &Resp, status: u16, field: &str) {
    resp.assert_field_error(status, field);
    assert_eq!(
        error_on(resp, field)["code"],
        "nul_character",
        "{}",
        resp.text
    );
    assert!(
        !resp.text.contains("\\u0000"),
        "never echoed: {}",
        resp.text
    );
}

async fn customer_count(app: &TestApp) -> u64 {
    let list = app.get("/api/v1/customers?limit=100").await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["data"].as_array().map_or(0, |a| a.len() as u64)
}

#[tokio::test]
async fn a_nul_in_any_query_or_path_parameter_is_400_naming_it_with_the_body_rule() {
    let app = TestApp::spawn().await;
    app.create_customer(person("Ann")).await;
    for (query, field) in [
        ("q=%00", "q"),
        ("city=%E4%B8%8A%00", "city"),
        ("tag=vip%00", "tag"),
        ("limit=1%00", "limit"),
    ] {
        let resp = app.get(&format!("/api/v1/customers?{query}")).await;
        assert_nul_refused(&resp, 400, field);
    }
    // The same rule on other operations, and on a parameter's name.
    let orders = app.get("/api/v1/orders?status=x%00").await;
    assert_nul_refused(&orders, 400, "status");
    let named = app.get("/api/v1/customers?q%00=x").await;
    named.assert_problem(400, "bad_request");
    let path = app.get("/api/v1/custom-fields/ti%00er").await;
    assert_nul_refused(&path, 400, "key");
    let unmatched = app.get("/api/v1/nowhere%00").await;
    assert_nul_refused(&unmatched, 400, "path");
    // The body's rule has the same code.
    let body = app
        .post(
            "/api/v1/customers",
            &json!({"kind": "individual", "display_name": "a\u{0}b"}),
        )
        .await;
    assert_nul_refused(&body, 422, "display_name");
    assert_eq!(customer_count(&app).await, 1, "nothing stored");
}

/// Send raw bytes as a request and return the status line of the answer.
async fn raw_status(app: &TestApp, request: Vec<u8>) -> String {
    let addr = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(&request).expect("send");
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .expect("raw request")
}

#[tokio::test]
async fn a_nul_in_a_header_the_server_reads_is_refused_before_any_handler() {
    let app = TestApp::spawn().await;
    for header in [
        "Idempotency-Key",
        "If-Match",
        "If-None-Match",
        "X-Request-Id",
        "X-Api-Key",
        "Authorization",
    ] {
        let mut request =
            b"POST /api/v1/customers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".to_vec();
        request.extend_from_slice(format!("{header}: key").as_bytes());
        request.push(0);
        request.extend_from_slice(
            b"x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        );
        let status = raw_status(&app, request).await;
        assert!(status.starts_with("HTTP/1.1 400"), "{header}: {status}");
    }
    assert_eq!(customer_count(&app).await, 0);
}

#[tokio::test]
async fn a_nul_in_a_graphql_argument_inline_or_in_variables_is_refused_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let refused = |doc: &Value, field: &str| {
        let error = &doc["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{doc}");
        let fields = error["extensions"]["fields"].as_array().expect("fields");
        assert_eq!(fields[0]["field"], field, "{doc}");
        assert_eq!(fields[0]["code"], "nul_character", "{doc}");
        assert!(doc["data"].is_null(), "nothing ran: {doc}");
    };
    let inline = app
        .graphql(
            r#"mutation { createCustomer(input: {kind: INDIVIDUAL, displayName: "a\u0000b"}) { id } }"#,
            json!({}),
        )
        .await;
    refused(&inline, "createCustomer.input.displayName");
    let listed = app
        .graphql(
            r#"mutation { createCustomer(input: {kind: INDIVIDUAL, displayName: "ok", tags: ["vip", "x\u0000"]}) { id } }"#,
            json!({}),
        )
        .await;
    refused(&listed, "createCustomer.input.tags[1]");
    let search = app
        .graphql(
            r#"{ customers(filter: {q: "\u0000"}) { totalCount } }"#,
            json!({}),
        )
        .await;
    refused(&search, "customers.filter.q");
    // In variables the body's own rule answers first, naming the same place.
    let variables = app
        .post(
            "/graphql",
            &json!({"query": "mutation($i: CustomerInput!) { createCustomer(input: $i) { id } }",
                    "variables": {"i": {"kind": "INDIVIDUAL", "displayName": "ok", "tags": ["\u{0}"]}}}),
        )
        .await;
    assert_nul_refused(&variables, 422, "variables.i.tags[0]");
    assert_eq!(customer_count(&app).await, 0, "nothing stored");
}

async fn audit_rows(app: &TestApp) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events",
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get("", "n").expect("n")
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_events() {
    let app = TestApp::spawn().await;
    app.create_customer(person("Ann")).await;
    let before = audit_rows(&app).await;
    assert!(
        before >= 2,
        "user.created, login.succeeded, customer.created"
    );
    let db = &app.state.db;
    let update = db
        .execute_unprepared("UPDATE audit_events SET action = 'forged'")
        .await;
    assert!(update.is_err(), "UPDATE refused");
    let delete = db.execute_unprepared("DELETE FROM audit_events").await;
    assert!(delete.is_err(), "DELETE refused");
    if db.get_database_backend() == DbBackend::Postgres {
        assert!(
            db.execute_unprepared("TRUNCATE audit_events")
                .await
                .is_err(),
            "TRUNCATE refused"
        );
    }
    assert_eq!(audit_rows(&app).await, before, "every row is still there");
    let log = app.get("/api/v1/audit?action=customer.created").await;
    assert_eq!(
        log.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        log.text
    );
}

#[tokio::test]
async fn thirty_failed_sign_ins_write_at_most_two_audit_rows_each_with_the_count() {
    let app = TestApp::spawn_with(|s| {
        s.limits.login_ip = Rule::per_minutes(1000, 15);
        s.limits.login_address_ip = Rule::per_minutes(1000, 15);
        s.limits.login_address = Rule::per_minutes(1000, 15);
    })
    .await;
    let email = app.session(Role::Sales).await["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = audit_rows(&app).await;
    for _ in 0..30 {
        let resp = app
            .post_anonymous(
                "/api/v1/auth/login",
                &json!({"email": email, "password": "not the password"}),
            )
            .await;
        resp.assert_problem(401, "unauthenticated");
    }
    assert!(audit_rows(&app).await - before <= 2);
    let log = app.get("/api/v1/audit?action=login.failed").await;
    let counts: Vec<i64> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["failures"].as_i64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [10, 1],
        "newest first, the count so far: {}",
        log.text
    );
}

async fn sensitive_reads(app: &TestApp) -> Vec<Value> {
    let log = app
        .get("/api/v1/audit?action=customer.sensitive_read")
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    log.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn reading_a_customers_sensitive_fields_in_full_is_audited_for_admins_too() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(zhang_wei()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plain = app.create_customer(person("No Secrets")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        sensitive_reads(&app).await.is_empty(),
        "writing is not reading"
    );

    let shown = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(shown.body["individual"]["id_number"], "110101198804021234");
    let rows = sensitive_reads(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["customer_id"], id.as_str());
    assert!(rows[0]["actor"].as_str().unwrap().starts_with("user:"));
    assert_eq!(
        rows[0]["details"]["fields"],
        json!(["individual.id_number"])
    );

    app.get(&format!("/api/v1/customers/{plain}")).await;
    assert_eq!(
        sensitive_reads(&app).await.len(),
        1,
        "no sensitive value, no sensitive read"
    );

    let gql = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { individual { idNumber } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        gql["data"]["customer"]["individual"]["idNumber"],
        "110101198804021234"
    );
    app.get("/api/v1/customers").await;
    let rows = sensitive_reads(&app).await;
    assert_eq!(rows.len(), 3, "GraphQL and the list too: {rows:?}");
    assert!(rows.iter().all(|r| r["customer_id"] == id.as_str()));

    // A manager sees the sensitive class masked: nothing read in full, nothing audited.
    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let masked = app
        .send(manager.get(format!("{}/api/v1/customers/{id}", app.base)))
        .await;
    assert_eq!(masked.status, 200, "{}", masked.text);
    assert_ne!(masked.body["individual"]["id_number"], "110101198804021234");
    assert_eq!(sensitive_reads(&app).await.len(), 3);
}

#[tokio::test]
async fn the_html_pages_cannot_be_framed_and_run_under_a_content_security_policy() {
    let app = TestApp::spawn().await;
    let docs = app
        .send(app.anonymous.get(format!("{}/docs/", app.base)))
        .await;
    assert_eq!(docs.status, 200, "{}", docs.text);
    assert!(docs.header("content-type").starts_with("text/html"));
    assert_eq!(docs.header("x-frame-options"), "DENY");
    let csp = docs.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    // Swagger UI works under it: no inline script, and every script and stylesheet it
    // loads is served by this server.
    let mut loaded = 0;
    for tag in docs.text.split("<script").skip(1) {
        let src = tag
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("an inline script: {tag}"));
        let file = app
            .send(app.anonymous.get(format!(
                "{}/docs/{}",
                app.base,
                src.trim_start_matches("./")
            )))
            .await;
        assert_eq!(file.status, 200, "{src}");
        loaded += 1;
    }
    assert_eq!(loaded, 3, "bundle, preset, initializer");
    let init = app
        .send(
            app.anonymous
                .get(format!("{}/docs/swagger-initializer.js", app.base)),
        )
        .await;
    assert!(init.text.contains("/api/v1/openapi.json"), "{}", init.text);
    for href in docs.text.split("href=\"").skip(1) {
        let href = href.split('"').next().unwrap_or_default();
        assert!(!href.contains("//"), "only files of this server: {href}");
    }

    let graphiql = app
        .send(app.anonymous.get(format!("{}/graphql", app.base)))
        .await;
    assert_eq!(graphiql.status, 200);
    assert_eq!(graphiql.header("x-frame-options"), "DENY");
    assert!(
        graphiql
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );

    let api = app.get("/healthz").await;
    assert_eq!(
        api.header("strict-transport-security"),
        "",
        "no HSTS unless configured"
    );
}

#[tokio::test]
async fn hsts_is_sent_on_every_response_when_configured() {
    let app = TestApp::spawn_with(|s| {
        s.hsts = Some("max-age=31536000; includeSubDomains".to_owned());
    })
    .await;
    for path in ["/healthz", "/docs/", "/api/v1/nowhere"] {
        let resp = app
            .send(app.anonymous.get(format!("{}{path}", app.base)))
            .await;
        assert_eq!(
            resp.header("strict-transport-security"),
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

async fn failed_sign_in_from(app: &TestApp, forwarded: &str) -> u16 {
    let email = format!("nobody-{}@test.example", uuid::Uuid::new_v4().simple());
    app.send(
        app.anonymous
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"email": email, "password": "whatever it is"})),
    )
    .await
    .status
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_sign_in_limit() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.limits.login_ip = Rule::per_minutes(2, 15);
    })
    .await;
    for _ in 0..2 {
        assert_eq!(failed_sign_in_from(&app, "198.51.100.1").await, 401);
    }
    assert_eq!(failed_sign_in_from(&app, "198.51.100.1").await, 429);
    // A client naming a made-up hop left of its own address gains nothing.
    assert_eq!(
        failed_sign_in_from(&app, "203.0.113.77, 198.51.100.1").await,
        429
    );
    assert_eq!(
        failed_sign_in_from(&app, "198.51.100.2").await,
        401,
        "another client"
    );
    let log = app.get("/api/v1/audit?action=login.failed").await;
    let ips: std::collections::BTreeSet<&str> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["ip"].as_str().unwrap())
        .collect();
    assert_eq!(
        ips.into_iter().collect::<Vec<_>>(),
        ["198.51.100.1", "198.51.100.2"]
    );
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let app = TestApp::spawn_with(|s| s.limits.login_ip = Rule::per_minutes(2, 15)).await;
    assert_eq!(failed_sign_in_from(&app, "198.51.100.1").await, 401);
    assert_eq!(failed_sign_in_from(&app, "198.51.100.2").await, 401);
    assert_eq!(
        failed_sign_in_from(&app, "198.51.100.3").await,
        429,
        "one peer, one limit, whatever it claims"
    );
    let log = app.get("/api/v1/audit?action=login.failed").await;
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["details"]["ip"] == "127.0.0.1"),
        "{}",
        log.text
    );
}

#[tokio::test]
async fn a_token_issued_in_the_future_or_living_too_long_is_401() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let session = app.session(Role::Admin).await;
    let token = session["access_token"].as_str().unwrap();
    let claims = app.state.jwt.verify(token).expect("a valid token");
    let ok = app
        .send(
            app.client_for(token)
                .get(format!("{}/api/v1/customers", app.base)),
        )
        .await;
    assert_eq!(ok.status, 200);
    // Signed with the server's own key, as only a leaked key or a bug could.
    let secret = b"test-secret-0123456789-0123456789-abcdef";
    let kid = {
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(secret)[..9])
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(kid);
    let now = chrono::Utc::now().timestamp();
    let mut future = claims.clone();
    future.iat = now + 3600;
    let mut decade = claims;
    decade.exp = decade.iat + 10 * 365 * 24 * 3600;
    for forged in [future, decade] {
        let forged = jsonwebtoken::encode(
            &header,
            &forged,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .expect("signed");
        let resp = app
            .send(
                app.client_for(&forged)
                    .get(format!("{}/api/v1/customers", app.base)),
            )
            .await;
        resp.assert_problem(401, "unauthenticated");
    }
}
