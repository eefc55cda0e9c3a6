//! Changing one's own password (REST and GraphQL) ends every session; the operator's
//! commands (`dossier user list|set-password|deactivate`, `dossier apikey list|revoke`) run
//! through the binary against the test server's own database.

use std::process::Output;

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Resp, TestApp};

const NEW_PASSWORD: &str = "a brand new passphrase";

const CHANGE: &str = "mutation($current: String!, $new: String!) {
    changePassword(currentPassword: $current, newPassword: $new) }";

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Resp {
    app.send(
        app.client_for(token)
            .post(format!("{}/api/v1/auth/password", app.base))
            .json(&json!({"current_password": current, "new_password": new})),
    )
    .await
}

async fn graphql_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Resp {
    app.send(
        app.client_for(token)
            .post(format!("{}/graphql", app.base))
            .json(&json!({"query": query, "variables": variables})),
    )
    .await
}

async fn customers_status(app: &TestApp, token: &str) -> u16 {
    app.send(
        app.client_for(token)
            .get(format!("{}/api/v1/customers", app.base)),
    )
    .await
    .status
}

/// The status of a list with `token`, asked again until it is `want` for as long as the
/// server may keep who a token belongs to (a change made by another process, the command
/// line, reaches a server over SQLite within `DOSSIER_CACHE_SECONDS`; over PostgreSQL at
/// once, by a notice the server hears a moment later).
async fn customers_status_soon(app: &TestApp, token: &str, want: u16) -> u16 {
    let deadline = std::time::Instant::now()
        + app.state.settings.cache_ttl
        + std::time::Duration::from_secs(3);
    loop {
        let status = customers_status(app, token).await;
        if status == want || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn login(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post_anonymous(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
}

async fn refresh(app: &TestApp, session: &Value) -> Resp {
    app.post_anonymous(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": session["refresh_token"]}),
    )
    .await
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

async fn api_key(app: &TestApp) -> String {
    let created = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "shop sync", "scopes": ["customers:read"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["key"].as_str().unwrap().to_owned()
}

/// After a password change: every token of the old sessions is refused, the old password
/// too, the new one signs in. `by_cli`: the change was made by the command line, another process.
async fn assert_signed_out_everywhere(
    app: &TestApp,
    sessions: &[&Value],
    email: &str,
    by_cli: bool,
) {
    for session in sessions {
        let status = if by_cli {
            customers_status_soon(app, token(session), 401).await
        } else {
            customers_status(app, token(session)).await
        };
        assert_eq!(status, 401, "the old access token stops working");
        refresh(app, session)
            .await
            .assert_problem(401, "unauthenticated");
    }
    login(app, email, PASSWORD)
        .await
        .assert_problem(401, "unauthenticated");
    let again = login(app, email, NEW_PASSWORD).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(customers_status(app, token(&again.body)).await, 200);
}

#[tokio::test]
async fn changing_ones_password_signs_out_every_session() {
    let app = TestApp::spawn().await;
    let first = app.session(Role::Sales).await;
    let email = first["user"]["email"].as_str().unwrap().to_owned();
    let second = login(&app, &email, PASSWORD).await.body;

    let changed = change_password(&app, token(&first), PASSWORD, NEW_PASSWORD).await;

    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_signed_out_everywhere(&app, &[&first, &second], &email, false).await;
    let log = app.get("/api/v1/audit?action=password.changed").await;
    let events = log.body["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", log.text);
    assert_eq!(events[0]["actor_user_id"], first["user"]["id"]);
    assert_eq!(events[0]["details"]["user_id"], first["user"]["id"]);
    assert!(
        !log.text.contains(PASSWORD) && !log.text.contains(NEW_PASSWORD),
        "no secret in the audit log"
    );
}

#[tokio::test]
async fn a_wrong_current_or_a_weak_new_password_changes_nothing() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Support).await;
    let email = session["user"]["email"].as_str().unwrap().to_owned();
    let t = token(&session);

    change_password(&app, t, "not the password at all", NEW_PASSWORD)
        .await
        .assert_problem(403, "forbidden");
    change_password(&app, t, PASSWORD, "short")
        .await
        .assert_field_error(422, "new_password");
    change_password(&app, t, PASSWORD, &"x".repeat(129))
        .await
        .assert_field_error(422, "new_password");
    change_password(&app, t, PASSWORD, PASSWORD)
        .await
        .assert_field_error(422, "new_password");
    let missing = app
        .send(
            app.client_for(t)
                .post(format!("{}/api/v1/auth/password", app.base))
                .json(&json!({"new_password": NEW_PASSWORD})),
        )
        .await;
    missing.assert_field_error(422, "current_password");
    let unknown = app
        .send(
            app.client_for(t)
                .post(format!("{}/api/v1/auth/password", app.base))
                .json(
                    &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                              "email": "x@test.example"}),
                ),
        )
        .await;
    unknown.assert_field_error(422, "email");
    app.post_anonymous(
        "/api/v1/auth/password",
        &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await
    .assert_problem(401, "unauthenticated");

    assert_eq!(customers_status(&app, t).await, 200, "still signed in");
    assert_eq!(refresh(&app, &session).await.status, 200);
    assert_eq!(login(&app, &email, PASSWORD).await.status, 200);
    let log = app.get("/api/v1/audit?action=password.changed").await;
    assert_eq!(log.body["data"], json!([]), "{}", log.text);
}

#[tokio::test]
async fn repeated_wrong_current_passwords_are_throttled() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Analyst).await;
    let t = token(&session);

    for _ in 0..5 {
        change_password(&app, t, "not the password at all", NEW_PASSWORD)
            .await
            .assert_problem(403, "forbidden");
    }
    let throttled = change_password(&app, t, PASSWORD, NEW_PASSWORD).await;

    throttled.assert_problem(429, "rate_limited");
    assert!(!throttled.header("retry-after").is_empty());
    assert_eq!(customers_status(&app, t).await, 200, "nothing changed");
}

#[tokio::test]
async fn an_api_key_has_no_password_to_change() {
    let app = TestApp::spawn().await;
    let key = api_key(&app).await;

    change_password(&app, &key, PASSWORD, NEW_PASSWORD)
        .await
        .assert_problem(403, "forbidden");
    let gql = graphql_as(
        &app,
        &key,
        CHANGE,
        json!({"current": PASSWORD, "new": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(
        gql.body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{}",
        gql.text
    );
}

#[tokio::test]
async fn the_graphql_mutation_changes_the_password_the_same_way() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Manager).await;
    let email = session["user"]["email"].as_str().unwrap().to_owned();
    let t = token(&session);

    let wrong = graphql_as(
        &app,
        t,
        CHANGE,
        json!({"current": "not the password at all", "new": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(
        wrong.body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{}",
        wrong.text
    );
    let weak = graphql_as(
        &app,
        t,
        CHANGE,
        json!({"current": PASSWORD, "new": "short"}),
    )
    .await;
    assert_eq!(
        weak.body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{}",
        weak.text
    );
    assert_eq!(
        weak.body["errors"][0]["extensions"]["fields"][0]["field"],
        "new_password"
    );
    assert_eq!(customers_status(&app, t).await, 200, "nothing changed yet");

    let done = graphql_as(
        &app,
        t,
        CHANGE,
        json!({"current": PASSWORD, "new": NEW_PASSWORD}),
    )
    .await;

    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["data"]["changePassword"], true, "{}", done.text);
    assert_signed_out_everywhere(&app, &[&session], &email, false).await;
    let log = app.get("/api/v1/audit?action=password.changed").await;
    assert_eq!(log.body["data"].as_array().unwrap().len(), 1);
}

/// Run `dossier ARGS` on the test server's database, with `stdin` as standard input.
async fn dossier(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database_url).to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(&args)
            .env("DATABASE_URL", url)
            .env_remove("DOSSIER_JWT_SECRET")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(input);
        child.wait_with_output().expect("the binary ends")
    })
    .await
    .expect("the blocking task ends")
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}; stdout: {}; stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn failed(out: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a clean failure; stderr: {stderr}"
    );
    assert!(stderr.contains(message), "expected {message:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn the_operator_lists_users_sets_a_password_and_deactivates_through_the_cli() {
    let app = TestApp::spawn().await;
    let email = format!("ops-{}@test.example", uuid::Uuid::new_v4().simple());

    succeeded(
        &dossier(
            &app,
            &["user", "create", "--email", &email, "--role", "manager"],
            Some(&format!("{PASSWORD}\n")),
        )
        .await,
    );
    let listed: Value = serde_json::from_str(&succeeded(
        &dossier(&app, &["user", "list", "--json"], None).await,
    ))
    .expect("user list --json is JSON");
    let user = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email.as_str())
        .expect("the new user is listed")
        .clone();
    assert_eq!(user["role"], "manager");
    assert_eq!(user["active"], true);
    assert!(user.get("password_hash").is_none());
    let table = succeeded(&dossier(&app, &["user", "list"], None).await);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&email) && table.contains(user["id"].as_str().unwrap()),
        "{table}"
    );

    let session = login(&app, &email, PASSWORD).await;
    assert_eq!(session.status, 200, "{}", session.text);
    failed(
        &dossier(
            &app,
            &[
                "user",
                "set-password",
                "--email",
                &email,
                "--password",
                "short",
            ],
            None,
        )
        .await,
        "password",
    );
    failed(
        &dossier(
            &app,
            &[
                "user",
                "set-password",
                "--email",
                "nobody@test.example",
                "--password",
                NEW_PASSWORD,
            ],
            None,
        )
        .await,
        "no user has the e-mail address nobody@test.example",
    );
    assert_eq!(customers_status(&app, token(&session.body)).await, 200);

    let set = succeeded(
        &dossier(
            &app,
            &["user", "set-password", "--email", &email],
            Some(&format!("{NEW_PASSWORD}\n")),
        )
        .await,
    );

    assert!(set.contains(&email), "{set}");
    assert_signed_out_everywhere(&app, &[&session.body], &email, true).await;
    let reset = app.get("/api/v1/audit?action=password.reset").await;
    assert_eq!(reset.body["data"][0]["actor"], "operator", "{}", reset.text);
    assert_eq!(reset.body["data"][0]["details"]["user_id"], user["id"]);
    assert!(!reset.text.contains(NEW_PASSWORD));

    let current = login(&app, &email, NEW_PASSWORD).await.body;
    let off = succeeded(&dossier(&app, &["user", "deactivate", "--email", &email], None).await);
    assert!(off.contains("deactivated"), "{off}");
    assert_eq!(customers_status_soon(&app, token(&current), 401).await, 401);
    refresh(&app, &current)
        .await
        .assert_problem(401, "unauthenticated");
    login(&app, &email, NEW_PASSWORD)
        .await
        .assert_problem(401, "unauthenticated");
    let listed: Value = serde_json::from_str(&succeeded(
        &dossier(&app, &["user", "list", "--json"], None).await,
    ))
    .unwrap();
    let user = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email.as_str())
        .unwrap()
        .clone();
    assert_eq!(user["active"], false);
    let updated = app.get("/api/v1/audit?action=user.updated").await;
    assert_eq!(updated.body["data"][0]["actor"], "operator");
    assert_eq!(updated.body["data"][0]["details"]["active"]["to"], false);
    let again = succeeded(&dossier(&app, &["user", "deactivate", "--email", &email], None).await);
    assert!(again.contains("already deactivated"), "{again}");
    failed(
        &dossier(
            &app,
            &["user", "deactivate", "--email", "nobody@test.example"],
            None,
        )
        .await,
        "no user has the e-mail address nobody@test.example",
    );
}

#[tokio::test]
async fn the_operator_lists_and_revokes_api_keys_through_the_cli() {
    let app = TestApp::spawn().await;
    let created = dossier(
        &app,
        &[
            "apikey",
            "create",
            "--name",
            "warehouse",
            "--scope",
            "customers:read",
            "--scope",
            "pii:contact",
            "--expires-in-days",
            "30",
        ],
        None,
    )
    .await;
    let key = succeeded(&created).trim().to_owned();
    assert!(key.starts_with("dsk_"), "{key}");
    assert_eq!(customers_status(&app, &key).await, 200);

    let listed: Value = serde_json::from_str(&succeeded(
        &dossier(&app, &["apikey", "list", "--json"], None).await,
    ))
    .expect("apikey list --json is JSON");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let meta = &listed[0];
    assert_eq!(meta["name"], "warehouse");
    assert_eq!(meta["scopes"], json!(["customers:read", "pii:contact"]));
    assert_eq!(meta["prefix"], &key[..12]);
    assert!(meta["expires_at"].is_string());
    assert_eq!(meta["revoked_at"], Value::Null);
    let id = meta["id"].as_str().unwrap().to_owned();
    let table = succeeded(&dossier(&app, &["apikey", "list"], None).await);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&id) && table.contains("customers:read,pii:contact"),
        "{table}"
    );
    for out in [
        &listed.iter().map(Value::to_string).collect::<String>(),
        &table,
    ] {
        assert!(!out.contains(&key), "the secret is never listed");
    }

    let revoked = succeeded(&dossier(&app, &["apikey", "revoke", &id], None).await);

    assert!(
        revoked.contains("revoked API key warehouse") && revoked.contains(&id),
        "{revoked}"
    );
    assert_eq!(
        customers_status_soon(&app, &key, 401).await,
        401,
        "revoked within the cache's time"
    );
    let listed: Value = serde_json::from_str(&succeeded(
        &dossier(&app, &["apikey", "list", "--json"], None).await,
    ))
    .unwrap();
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    let log = app.get("/api/v1/audit?action=api_key.revoked").await;
    assert_eq!(log.body["data"][0]["actor"], "operator", "{}", log.text);
    assert_eq!(log.body["data"][0]["details"]["api_key_id"], id.as_str());
    let again = succeeded(&dossier(&app, &["apikey", "revoke", &id], None).await);
    assert!(again.contains("already revoked"), "{again}");
    let unknown = uuid::Uuid::now_v7().to_string();
    failed(
        &dossier(&app, &["apikey", "revoke", &unknown], None).await,
        &format!("no API key has the id {unknown}"),
    );
    let bad = dossier(&app, &["apikey", "revoke", "not-an-id"], None).await;
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stderr).contains("panicked"));
}
