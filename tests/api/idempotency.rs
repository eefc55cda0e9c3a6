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
async fn twenty_concurrent_requests_with_one_key_create_one_customer_and_answer_alike() {
    let app = TestApp::spawn().await;
    let body = person("Ann");

    let attempts = (0..20).map(|_| post_keyed(&app, "burst-1", &body));
    let results = futures_util::future::join_all(attempts).await;

    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "201, or 409 while the first is running: {statuses:?}"
    );
    let fresh = results
        .iter()
        .filter(|r| r.status == 201 && r.header("idempotent-replayed").is_empty())
        .count();
    assert_eq!(
        fresh, 1,
        "one request ran, the others replayed it: {statuses:?}"
    );
    // A 409 only meant "still running": once it is done, the retry replays it.
    let retry = post_keyed(&app, "burst-1", &body).await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let ids: std::collections::HashSet<_> = results
        .iter()
        .chain(std::iter::once(&retry))
        .filter(|r| r.status == 201)
        .map(|r| r.body["id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "every 201 carries the same customer: {ids:?}");
    let listed = app.get("/api/v1/customers").await.body["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(Some(&listed[0]["id"]), ids.iter().next());
}

#[tokio::test]
async fn a_keyed_order_is_replayed_with_its_location_and_recorded_once() {
    let app = TestApp::spawn().await;
    let customer = app.create_customer(person("Ann")).await;
    let body = json!({"customer_id": customer["id"], "number": "SO-1", "total": "12.50", "status": "paid"});
    let send = || {
        app.send(
            app.client
                .post(format!("{}/api/v1/orders", app.base))
                .header("idempotency-key", "order-1")
                .json(&body),
        )
    };

    let first = send().await;
    let retry = send().await;

    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(retry.status, 201, "not a 409 number taken: {}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.body, first.body);
    let orders = app
        .get(&format!(
            "/api/v1/customers/{}/orders",
            customer["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(orders.status, 200, "{}", orders.text);
    assert_eq!(orders.body["data"].as_array().unwrap().len(), 1);
}

async fn upload_keyed(app: &TestApp, key: &str, csv: &str) -> crate::support::Resp {
    app.send(
        app.client
            .post(format!("{}/api/v1/imports", app.base))
            .query(&[("kind", "customers")])
            .header("content-type", "text/csv")
            .header("idempotency-key", key)
            .body(csv.to_owned()),
    )
    .await
}

#[tokio::test]
async fn a_retried_keyed_import_replays_the_first_job_and_starts_no_second() {
    let app = TestApp::spawn().await;
    let csv = "display_name,email\nAnn,ann@example.com\nBob,bob@example.com\n";

    let first = upload_keyed(&app, "import-1", csv).await;
    let retry = upload_keyed(&app, "import-1", csv).await;

    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(retry.status, 202, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(first.header("idempotent-replayed"), "");
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.body["id"], first.body["id"]);
    let jobs = app.get("/api/v1/imports").await;
    assert_eq!(jobs.status, 200, "{}", jobs.text);
    assert_eq!(jobs.body["data"].as_array().unwrap().len(), 1, "one job");

    // The same key with another file is refused, and starts nothing either.
    let other = upload_keyed(&app, "import-1", "display_name\nCarl\n").await;
    other.assert_field_error(422, "Idempotency-Key");
    assert_eq!(
        app.get("/api/v1/imports").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_refused_keyed_import_is_replayed_as_refused() {
    let app = TestApp::spawn().await;
    let empty = "";

    let first = upload_keyed(&app, "import-2", empty).await;
    let retry = upload_keyed(&app, "import-2", empty).await;

    first.assert_field_error(422, "file");
    retry.assert_field_error(422, "file");
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(
        app.get("/api/v1/imports").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

/// The real binary serving the test app's database, killed with SIGKILL when dropped.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start `dossier serve` on `app`'s database and wait until it is ready.
    async fn start(app: &TestApp) -> Server {
        use secrecy::ExposeSecret;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let secret = app.state.settings.jwt_secret.as_ref().expect("a secret");
        let mut server = Server {
            child: std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
                .arg("serve")
                .env(
                    "DATABASE_URL",
                    app.state.settings.database_url.expose_secret(),
                )
                .env("DOSSIER_BIND", format!("127.0.0.1:{port}"))
                .env("DOSSIER_JWT_SECRET", secret.expose_secret())
                // Fifty creates at once, then fifty retries: no request bucket in the way.
                .env("DOSSIER_RATE_LIMIT", "off")
                .env("DOSSIER_RATE_LIMIT_ANONYMOUS", "off")
                .env("DOSSIER_IN_FLIGHT_PER_PRINCIPAL", "off")
                .env("RUST_LOG", "error")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("the binary runs"),
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let ready = client
                .get(format!("{}/readyz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return server;
            }
            assert!(
                server.child.try_wait().expect("the server").is_none(),
                "the server exited"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server never became ready");
    }
}

/// `POST {base}/api/v1/customers` with `key`: status, whether replayed, body; `None` when
/// the connection broke.
async fn create_at(
    base: &str,
    client: &reqwest::Client,
    key: &str,
) -> Option<(u16, bool, serde_json::Value)> {
    let response = client
        .post(format!("{base}/api/v1/customers"))
        .header("idempotency-key", key)
        .json(&person(key))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let body = response.json().await.ok()?;
    Some((status, replayed, body))
}

#[tokio::test]
async fn after_a_kill_9_during_keyed_creates_every_key_has_exactly_one_effect_and_none_is_stuck() {
    let app = TestApp::spawn().await;
    let session = app.session(dossier::domain::Role::Admin).await;
    let token = session["access_token"].as_str().expect("a token");
    let client = app.client_for(token);
    let keys: Vec<String> = (0..50).map(|i| format!("crash-{i:02}")).collect();

    // Fire every create at once; kill the server as soon as a few have answered, with the
    // rest somewhere between their claim and their commit.
    let mut server = Server::start(&app).await;
    let (done, mut answered) = tokio::sync::mpsc::unbounded_channel();
    let mut flights = Vec::new();
    for key in keys.clone() {
        let (base, client, done) = (server.base.clone(), client.clone(), done.clone());
        flights.push(tokio::spawn(async move {
            let outcome = create_at(&base, &client, &key).await;
            let _ = done.send(());
            outcome
        }));
    }
    for _ in 0..5 {
        answered.recv().await;
    }
    server.child.kill().expect("kill -9");
    let before: Vec<_> = futures_util::future::join_all(flights).await;
    drop(server);
    let first_answers = before
        .into_iter()
        .map(|r| r.expect("the task ends"))
        .collect::<Vec<_>>();

    let cut_off = first_answers.iter().filter(|a| a.is_none()).count();

    // On the same database, every key is retried.
    let server = Server::start(&app).await;
    let mut ids = std::collections::BTreeSet::new();
    let mut committed_unanswered = 0;
    for (key, first) in keys.iter().zip(&first_answers) {
        let (status, replayed, body) = create_at(&server.base, &client, key)
            .await
            .expect("the restarted server answers");
        assert_ne!(status, 409, "key {key} is stuck: {body}");
        assert_eq!(status, 201, "key {key}: {body}");
        if let Some((201, _, answered)) = first {
            assert!(replayed, "key {key} answered before the kill is replayed");
            assert_eq!(&body["id"], &answered["id"], "key {key}: the same customer");
        } else if first.is_none() && replayed {
            committed_unanswered += 1;
        }
        ids.insert(body["id"].as_str().expect("an id").to_owned());
    }

    // What the kill hit, for the log: cut off before an answer, of which committed.
    eprintln!("kill -9: {cut_off} creates cut off, {committed_unanswered} of them committed");
    assert_eq!(ids.len(), keys.len(), "one customer per key");
    let listed = reqwest::Client::new()
        .get(format!("{}/api/v1/customers?limit=200", server.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json::<serde_json::Value>()
        .await
        .expect("a page");
    let listed: std::collections::BTreeSet<String> = listed["data"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(
        listed, ids,
        "every customer created belongs to exactly one key"
    );
}
