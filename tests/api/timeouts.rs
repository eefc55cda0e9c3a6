//! Every wait is bounded: a pooled connection, a lock, a statement, the whole request, and
//! the client's body. Beyond its bound a request answers 503 (busy, with `Retry-After`) or
//! 408 (a body too slow) — never a 500, never a request held open — and nothing is lost.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Resp, TestApp, person};

fn busy(r: &Resp) {
    r.assert_problem(503, "unavailable");
    let retry: u64 = r
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry >= 1, "{retry}");
}

/// Hold every write to `customers` (PostgreSQL: a row lock on `id`; SQLite: the database's
/// write lock) in a transaction of the test's own until it is dropped.
async fn hold_writes(app: &TestApp, id: &str) -> sea_orm::DatabaseTransaction {
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = app.state.db.begin_with_options(options).await.unwrap();
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT id FROM customers WHERE id = $1 FOR UPDATE",
            [uuid::Uuid::parse_str(id).unwrap().into()],
        ))
        .await
        .unwrap();
    }
    txn
}

#[tokio::test]
async fn no_free_connection_in_time_is_503_with_retry_after_and_the_next_request_is_served() {
    let app = TestApp::spawn_with(|s| {
        s.db_max_connections = Some(2);
        s.timeouts.db_acquire = Duration::from_secs(2);
    })
    .await;
    // The test takes both pooled connections.
    let a = app.state.db.begin().await.unwrap();
    let b = app.state.db.begin().await.unwrap();
    let r = app.get("/api/v1/customers").await;
    busy(&r);
    assert!(!r.text.contains("pool"), "no internals: {}", r.text);
    // GraphQL says the same: the caller could not even be identified, so the transport
    // answers 503 too, with the error and its code.
    let request = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({"query": "{ customers(first: 1) { nodes { id } } }"}));
    let g = app.send(request).await;
    assert_eq!(g.status, 503, "{}", g.text);
    assert!(!g.header("retry-after").is_empty(), "{}", g.text);
    let e = &g.body["errors"][0]["extensions"];
    assert_eq!(e["code"], "UNAVAILABLE", "{}", g.text);
    assert!(e["retryAfter"].as_u64().is_some(), "{}", g.text);
    drop((a, b));
    let r = app.get("/api/v1/customers").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_write_that_waits_on_a_lock_past_its_limit_is_503_and_changes_nothing() {
    let app = TestApp::spawn_with(|s| {
        s.timeouts.statement = Some(Duration::from_millis(300));
        s.timeouts.sqlite_busy = Duration::from_millis(300);
    })
    .await;
    let created = app.create_customer(person("等锁的客户")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/customers/{id}");
    let held = hold_writes(&app, &id).await;
    let r = app
        .patch(&path, &json!({"notes": "written while locked"}), None)
        .await;
    busy(&r);
    held.rollback().await.unwrap();
    let after = app.get(&path).await;
    assert_eq!(after.status, 200);
    assert!(after.body["notes"].is_null(), "{}", after.text);
    assert_eq!(after.body["version"], created["version"]);
    let r = app.patch(&path, &json!({"notes": "later"}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["notes"], "later");
}

#[tokio::test]
async fn a_request_over_its_deadline_is_503_and_its_work_is_dropped() {
    let app = TestApp::spawn_with(|s| {
        s.timeouts.request = Duration::from_millis(400);
        s.timeouts.statement = Some(Duration::from_secs(20));
        s.timeouts.sqlite_busy = Duration::from_secs(20);
    })
    .await;
    let created = app.create_customer(person("超时的客户")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/customers/{id}");
    let held = hold_writes(&app, &id).await;
    let r = app
        .patch(&path, &json!({"notes": "past the deadline"}), None)
        .await;
    busy(&r);
    held.rollback().await.unwrap();
    // The dropped write did not go on behind the answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = app.get(&path).await;
    assert!(after.body["notes"].is_null(), "{}", after.text);
    assert_eq!(after.body["version"], created["version"]);
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_with_408() {
    let app = TestApp::spawn_with(|s| s.timeouts.body = Duration::from_millis(300)).await;
    let token = app.user_token(dossier::domain::Role::Admin).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/customers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"kind\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Then nothing more: the server must not wait for the other 190 bytes.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server held the connection open");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("application/problem+json"),
        "{text}"
    );
    // Nothing was created.
    let list = app.get("/api/v1/customers").await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        list.text
    );
}
