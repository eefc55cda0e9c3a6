//! Sign-in, tokens and sessions: 401s, refresh rotation and reuse, logout, revocation.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, person};

async fn admin_email(app: &TestApp) -> String {
    let users = app.get("/api/v1/users").await;
    users.body["data"][0]["email"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_api_route_needs_a_token_but_health_docs_and_login_do_not() {
    let app = TestApp::spawn().await;

    for path in [
        "/api/v1/customers",
        "/api/v1/custom-fields",
        "/api/v1/users",
    ] {
        let resp = app
            .send(app.anonymous.get(format!("{}{path}", app.base)))
            .await;
        resp.assert_problem(401, "unauthenticated");
        assert!(
            resp.header("www-authenticate").starts_with("Bearer"),
            "{path}"
        );
    }
    let create = app
        .post_anonymous("/api/v1/customers", &person("Ann"))
        .await;
    create.assert_problem(401, "unauthenticated");
    let graphql = app
        .post_anonymous("/graphql", &json!({"query": "{ customFields { key } }"}))
        .await;
    assert_eq!(graphql.status, 401);
    assert!(graphql.header("www-authenticate").starts_with("Bearer"));
    assert_eq!(
        graphql.body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "a GraphQL client reads a GraphQL error: {}",
        graphql.text
    );
    assert!(graphql.body["data"].is_null());
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/docs/",
        "/graphql",
    ] {
        let resp = app
            .send(app.anonymous.get(format!("{}{path}", app.base)))
            .await;
        assert_eq!(resp.status, 200, "{path} is public");
    }
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"],
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn garbage_and_foreign_tokens_are_401() {
    let app = TestApp::spawn().await;

    for token in [
        "nonsense",
        "a.b.c",
        "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.",
    ] {
        let client = app.client_for(token);
        let resp = app
            .send(client.get(format!("{}/api/v1/customers", app.base)))
            .await;
        resp.assert_problem(401, "unauthenticated");
    }
    let basic = app
        .send(
            app.anonymous
                .get(format!("{}/api/v1/customers", app.base))
                .header("authorization", "Basic YTpi"),
        )
        .await;
    basic.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let email = admin_email(&app).await;

    let wrong = app
        .post_anonymous(
            "/api/v1/auth/login",
            &json!({"email": email, "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post_anonymous(
            "/api/v1/auth/login",
            &json!({"email": "nobody@test.example", "password": PASSWORD}),
        )
        .await;

    wrong.assert_problem(401, "unauthenticated");
    assert_eq!(wrong.body, unknown.body, "no user-enumeration oracle");
    let missing = app
        .post_anonymous("/api/v1/auth/login", &json!({"email": email}))
        .await;
    missing.assert_field_error(422, "password");
}

#[tokio::test]
async fn a_session_carries_a_short_lived_bearer_token_for_the_user() {
    let app = TestApp::spawn().await;

    let session = app.session(Role::Sales).await;

    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    assert!(
        session["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("dsr_")
    );
    assert_eq!(session["user"]["role"], "sales");
    assert!(session["user"].get("password_hash").is_none());
    let me = app
        .send(
            app.client_for(session["access_token"].as_str().unwrap())
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": "{ me { role userId } }"})),
        )
        .await;
    assert_eq!(me.body["data"]["me"]["role"], "SALES");
    assert_eq!(me.body["data"]["me"]["userId"], session["user"]["id"]);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let app = TestApp::spawn().await;
    let first = app.session(Role::Support).await;
    let r1 = first["refresh_token"].clone();

    let second = app
        .post_anonymous("/api/v1/auth/refresh", &json!({"refresh_token": r1}))
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.body["refresh_token"].clone();
    assert_ne!(r1, r2, "a new refresh token each time");

    let replay = app
        .post_anonymous("/api/v1/auth/refresh", &json!({"refresh_token": r1}))
        .await;
    replay.assert_problem(401, "unauthenticated");
    let after_theft = app
        .post_anonymous("/api/v1/auth/refresh", &json!({"refresh_token": r2}))
        .await;
    after_theft.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn logout_ends_the_refresh_chain() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Analyst).await;
    let refresh = session["refresh_token"].clone();

    let out = app
        .post_anonymous("/api/v1/auth/logout", &json!({"refresh_token": refresh}))
        .await;

    assert_eq!(out.status, 204);
    app.post_anonymous("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn deactivating_or_demoting_a_user_stops_their_tokens_at_once() {
    let app = TestApp::spawn().await;
    for patch in [json!({"active": false}), json!({"role": "support"})] {
        let session = app.session(Role::Manager).await;
        let client = app.client_for(session["access_token"].as_str().unwrap());
        let before = app
            .send(client.get(format!("{}/api/v1/customers", app.base)))
            .await;
        assert_eq!(before.status, 200);

        let id = session["user"]["id"].as_str().unwrap();
        let changed = app
            .patch(&format!("/api/v1/users/{id}"), &patch, None)
            .await;
        assert_eq!(changed.status, 200, "{}", changed.text);

        let after = app
            .send(client.get(format!("{}/api/v1/customers", app.base)))
            .await;
        after.assert_problem(401, "unauthenticated");
        let refreshed = app
            .post_anonymous(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": session["refresh_token"]}),
            )
            .await;
        refreshed.assert_problem(401, "unauthenticated");
    }
}

#[tokio::test]
async fn only_admins_manage_users_and_custom_fields() {
    let app = TestApp::spawn().await;
    let manager = app.client_for(&app.user_token(Role::Manager).await);

    let list = app
        .send(manager.get(format!("{}/api/v1/users", app.base)))
        .await;
    list.assert_problem(403, "forbidden");
    let create = app
        .send(
            manager
                .post(format!("{}/api/v1/users", app.base))
                .json(&json!({"email": "x@test.example", "role": "admin", "password": PASSWORD})),
        )
        .await;
    create.assert_problem(403, "forbidden");
    let field = app
        .send(
            manager
                .post(format!("{}/api/v1/custom-fields", app.base))
                .json(&json!({"key": "k", "label": "K", "type": "text"})),
        )
        .await;
    field.assert_problem(403, "forbidden");
    let gql = app
        .send(
            manager
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": "{ users { email } }"})),
        )
        .await;
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let read = app
        .send(manager.get(format!("{}/api/v1/custom-fields", app.base)))
        .await;
    assert_eq!(read.status, 200, "reading definitions is for everyone");
    let users = app.get("/api/v1/users").await;
    assert!(
        users.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role"] != "admin" || u["email"] != "x@test.example")
    );
}

#[tokio::test]
async fn admins_create_users_who_can_then_sign_in() {
    let app = TestApp::spawn().await;

    let created = app
        .post("/api/v1/users", &json!({"email": "Li.Na@Test.Example", "display_name": "李娜", "role": "support", "password": PASSWORD}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["email"], "li.na@test.example");
    app.post(
        "/api/v1/users",
        &json!({"email": "li.na@test.example", "role": "support", "password": PASSWORD}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post(
        "/api/v1/users",
        &json!({"email": "short@test.example", "role": "support", "password": "short"}),
    )
    .await
    .assert_field_error(422, "password");
    app.post(
        "/api/v1/users",
        &json!({"email": "r@test.example", "role": "root", "password": PASSWORD}),
    )
    .await
    .assert_field_error(422, "role");

    let login = app
        .post_anonymous(
            "/api/v1/auth/login",
            &json!({"email": "LI.NA@test.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["user"]["display_name"], "李娜");
}

#[tokio::test]
async fn support_and_analyst_cannot_change_customers() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    for role in [Role::Support, Role::Analyst] {
        let client = app.client_for(&app.user_token(role).await);
        let create = app
            .send(
                client
                    .post(format!("{}/api/v1/customers", app.base))
                    .json(&person("Bob")),
            )
            .await;
        create.assert_problem(403, "forbidden");
        let patch = app
            .send(
                client
                    .patch(format!(
                        "{}/api/v1/customers/{}",
                        app.base,
                        c["id"].as_str().unwrap()
                    ))
                    .header("content-type", "application/merge-patch+json")
                    .body(json!({"notes": "x"}).to_string()),
            )
            .await;
        patch.assert_problem(403, "forbidden");
    }
    let unchanged = app
        .get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(unchanged.body["version"], 1);
    assert_eq!(unchanged.body["notes"], Value::Null);
}

#[tokio::test]
async fn expired_tampered_and_foreign_audience_tokens_are_refused_over_http() {
    use dossier::auth::jwt::JwtKeys;
    use secrecy::ExposeSecret;
    let app = TestApp::spawn().await;
    let session = app.session(Role::Sales).await;
    let user: uuid::Uuid = session["user"]["id"].as_str().unwrap().parse().unwrap();
    let secret = app.state.settings.jwt_secret.clone().unwrap();
    let keys = JwtKeys::new(secret.expose_secret().as_bytes(), &[]).unwrap();
    let now = chrono::Utc::now().timestamp();
    let app_ref = &app;
    let call = |token: String| {
        let client = app_ref.client_for(&token);
        async move {
            app_ref
                .send(client.get(format!("{}/api/v1/customers", app_ref.base)))
                .await
        }
    };

    let (fresh, _) = keys.issue(user, "sales", 0, now).unwrap();
    assert_eq!(
        call(fresh.clone()).await.status,
        200,
        "a well-formed token works"
    );
    let (expired, _) = keys.issue(user, "sales", 0, now - 3600).unwrap();
    call(expired).await.assert_problem(401, "unauthenticated");
    let (early, _) = keys.issue(user, "sales", 0, now + 3600).unwrap();
    call(early).await.assert_problem(401, "unauthenticated");
    let (stale_version, _) = keys.issue(user, "sales", 7, now).unwrap();
    call(stale_version)
        .await
        .assert_problem(401, "unauthenticated");

    // Claim to be an admin by editing the payload: the signature no longer matches.
    let parts: Vec<&str> = fresh.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    call(tampered).await.assert_problem(401, "unauthenticated");

    let other = JwtKeys::new(b"a-different-secret-of-enough-length-0000", &[]).unwrap();
    let (foreign, _) = other.issue(user, "admin", 0, now).unwrap();
    call(foreign).await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_server_refuses_to_start_without_a_strong_jwt_secret() {
    let path = std::env::temp_dir().join(format!(
        "dossier-nosecret-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut settings = dossier::config::Settings::for_tests(&url);
    settings.jwt_secret = None;
    let missing = dossier::startup::Application::build(settings.clone()).await;
    assert!(missing.is_err_and(|e| e.to_string().contains("DOSSIER_JWT_SECRET")));
    settings.jwt_secret = Some("too-short".into());
    assert!(settings.validate().is_err());
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_address_for_a_while() {
    let app = TestApp::spawn().await;
    let target = app.session(Role::Sales).await["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.session(Role::Sales).await["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let app_ref = &app;
    let attempt = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        async move { app_ref.post_anonymous("/api/v1/auth/login", &body).await }
    };

    for _ in 0..5 {
        attempt(&target, "guess guess guess")
            .await
            .assert_problem(401, "unauthenticated");
    }
    let locked = attempt(&target, PASSWORD).await;

    locked.assert_problem(429, "rate_limited");
    let retry: u64 = locked
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert_eq!(
        attempt(&other, PASSWORD).await.status,
        200,
        "other accounts are unaffected"
    );
}
