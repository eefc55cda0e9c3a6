//! `dossier serve --demo`: the server answers `/healthz` at once and `/readyz` 503 while the
//! demo data goes in; then the demo sales user signs in and sees their own customers.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::TestApp;

/// The demo server, stopped when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn status_of(client: &reqwest::Client, url: &str) -> Option<(u16, Value)> {
    let response = client.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

#[tokio::test]
async fn the_demo_is_live_at_once_ready_when_loaded_and_its_sales_user_owns_customers() {
    // A brand-new database (the test app's own, which has no customers yet).
    let app = TestApp::spawn().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut demo = Demo(
        Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(["serve", "--demo"])
            .env(
                "DATABASE_URL",
                app.state.settings.database_url.expose_secret(),
            )
            .env("DOSSIER_BIND", format!("127.0.0.1:{port}"))
            .env_remove("DOSSIER_JWT_SECRET")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary runs"),
    );
    let client = reqwest::Client::new();

    let started = Instant::now();
    loop {
        if let Some((200, _)) = status_of(&client, &format!("{base}/healthz")).await {
            break;
        }
        assert!(
            demo.0.try_wait().expect("the demo server").is_none(),
            "the demo server exited"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "never live");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = status_of(&client, &format!("{base}/readyz"))
        .await
        .expect("readyz answers");
    assert_eq!(status, 503, "not ready while loading: {body}");
    assert_eq!(body["status"], "loading");
    let early = status_of(&client, &format!("{base}/healthz")).await;
    assert_eq!(early.map(|(s, _)| s), Some(200), "live while loading");

    loop {
        let (status, body) = status_of(&client, &format!("{base}/readyz"))
            .await
            .expect("readyz answers");
        if status == 200 {
            assert_eq!(body["status"], "ready");
            break;
        }
        assert_eq!(body["status"], "loading", "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the demo never finished loading"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let session: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "sales@demo.dossier.test", "password": "demo-sales-password"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("a session");
    let sales_id = session["user"]["id"].clone();
    let token = session["access_token"].as_str().expect("a token");
    let page: Value = client
        .get(format!("{base}/api/v1/customers?limit=200"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("a page");
    let own = page["data"].as_array().expect("customers");
    assert!(
        own.len() >= 50,
        "the sales user owns a share: {}",
        own.len()
    );
    assert!(
        own.iter().all(|c| c["owner_id"] == sales_id),
        "a sales user sees only their own customers"
    );
    let everyone = app.get("/api/v1/customers?limit=200").await;
    assert!(
        everyone.body["data"]
            .as_array()
            .is_some_and(|all| all.iter().any(|c| c["owner_id"] != sales_id)),
        "others' customers exist: {}",
        everyone.text
    );
}
