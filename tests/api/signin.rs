//! Sign-in under abuse: the bounded password-hashing queue (503 `busy` beyond it), the
//! limits per IP, per address and IP and per address (429), and failed sign-ins audited
//! in aggregate.
//!
//! The server listens on 127.0.0.1; a client bound to another loopback address (127.0.0.2,
//! 127.0.0.3: all of 127.0.0.0/8 is the loopback interface on Linux) reaches it from a
//! different peer IP, so the stranger and the victim really come from two IPs.

use std::net::IpAddr;
use std::time::Duration;

use dossier::domain::Role;
use dossier::policy::limits::Rule;
use serde_json::json;

use crate::support::{PASSWORD, Resp, TestApp};

/// A client without credentials whose connections come from `ip`.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Resp {
    app.send(
        client
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

fn made_up(n: usize) -> String {
    format!("nobody-{n}-{}@test.example", uuid::Uuid::new_v4().simple())
}

#[track_caller]
fn assert_limited(resp: &Resp) {
    resp.assert_problem(429, "rate_limited");
    let retry: u64 = resp
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry > 0 && retry <= 900, "{retry}");
}

async fn email_of(app: &TestApp, role: Role) -> String {
    app.session(role).await["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_flood_of_sign_ins_beyond_the_hashing_queue_is_refused_at_once() {
    // One check at a time, one waiting: of 40 concurrent attempts most cannot queue.
    let app = TestApp::spawn_with(|s| {
        s.hash_workers = 1;
        s.hash_queue = 1;
        s.limits.login_ip = Rule::per_minutes(1000, 15);
    })
    .await;
    let attempts = (0..40).map(|n| {
        let app = &app;
        async move {
            let body = json!({"email": made_up(n), "password": "guess guess guess"});
            app.post_anonymous("/api/v1/auth/login", &body).await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;

    let busy: Vec<&Resp> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "some attempts are refused, not queued");
    for resp in &answers {
        assert!(
            [401, 503].contains(&resp.status),
            "{}: {}",
            resp.status,
            resp.text
        );
    }
    for resp in busy {
        resp.assert_problem(503, "busy");
        assert!(resp.header("retry-after").parse::<u64>().unwrap() >= 1);
    }
    // Nothing is left holding the pool: a real sign-in goes through afterwards.
    app.session(Role::Sales).await;
}

#[tokio::test]
async fn failed_sign_ins_from_one_ip_are_limited_whatever_the_addresses() {
    let app = TestApp::spawn_with(|s| s.limits.login_ip = Rule::per_minutes(4, 15)).await;
    let anonymous = client_from([127, 0, 0, 1]);
    let user = email_of(&app, Role::Sales).await;

    for n in 0..2 {
        sign_in(&app, &anonymous, &made_up(n), "guess guess guess")
            .await
            .assert_problem(401, "unauthenticated");
    }
    // A success in between neither counts nor wipes the count.
    assert_eq!(sign_in(&app, &anonymous, &user, PASSWORD).await.status, 200);
    for n in 2..4 {
        sign_in(&app, &anonymous, &made_up(n), "guess guess guess")
            .await
            .assert_problem(401, "unauthenticated");
    }

    assert_limited(&sign_in(&app, &anonymous, &made_up(4), "guess guess guess").await);
    assert_limited(&sign_in(&app, &anonymous, &user, PASSWORD).await);
    let elsewhere = client_from([127, 0, 0, 2]);
    assert_eq!(
        sign_in(&app, &elsewhere, &user, PASSWORD).await.status,
        200,
        "another IP is not affected"
    );
}

#[tokio::test]
async fn a_stranger_hammering_an_address_does_not_lock_its_owner_out() {
    let app = TestApp::spawn().await;
    let victim = email_of(&app, Role::Support).await;
    let stranger = client_from([127, 0, 0, 2]);

    for _ in 0..5 {
        sign_in(&app, &stranger, &victim, "guess guess guess")
            .await
            .assert_problem(401, "unauthenticated");
    }
    assert_limited(&sign_in(&app, &stranger, &victim, PASSWORD).await);

    let own = client_from([127, 0, 0, 1]);
    assert_eq!(
        sign_in(&app, &own, &victim, PASSWORD).await.status,
        200,
        "the owner, from their own IP, still signs in"
    );
}

#[tokio::test]
async fn an_attack_on_one_address_from_many_ips_stops_at_the_address_limit() {
    let app = TestApp::spawn_with(|s| s.limits.login_address = Rule::per_minutes(6, 15)).await;
    let victim = email_of(&app, Role::Support).await;

    // Three IPs, two failures each: every pair is under its 5, the address reaches its 6.
    for last in [2, 3, 4] {
        let attacker = client_from([127, 0, 0, last]);
        for _ in 0..2 {
            sign_in(&app, &attacker, &victim, "guess guess guess")
                .await
                .assert_problem(401, "unauthenticated");
        }
    }

    let fresh = client_from([127, 0, 0, 5]);
    assert_limited(&sign_in(&app, &fresh, &victim, PASSWORD).await);
    assert_limited(&sign_in(&app, &client_from([127, 0, 0, 1]), &victim, PASSWORD).await);
    let other = email_of(&app, Role::Support).await;
    assert_eq!(
        sign_in(&app, &fresh, &other, PASSWORD).await.status,
        200,
        "other addresses are unaffected"
    );
}

#[tokio::test]
async fn the_users_own_lockout_lifts_when_the_window_passes() {
    let app = TestApp::spawn_with(|s| {
        s.limits.login_address_ip = Rule {
            max: 2,
            window: Duration::from_secs(1),
        };
    })
    .await;
    let user = email_of(&app, Role::Analyst).await;
    let own = client_from([127, 0, 0, 1]);
    for _ in 0..2 {
        sign_in(&app, &own, &user, "guess guess guess")
            .await
            .assert_problem(401, "unauthenticated");
    }
    let locked = sign_in(&app, &own, &user, PASSWORD).await;
    locked.assert_problem(429, "rate_limited");
    assert_eq!(locked.header("retry-after"), "1");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sign_in(&app, &own, &user, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn failed_sign_ins_are_audited_per_address_ip_and_window_at_the_first_failure() {
    let app = TestApp::spawn().await;
    let user = email_of(&app, Role::Sales).await;
    for _ in 0..4 {
        sign_in(
            &app,
            &client_from([127, 0, 0, 1]),
            &user,
            "guess guess guess",
        )
        .await;
    }
    for _ in 0..2 {
        sign_in(
            &app,
            &client_from([127, 0, 0, 2]),
            &user,
            "guess guess guess",
        )
        .await;
    }

    let log = app.get("/api/v1/audit?action=login.failed").await;
    assert_eq!(log.status, 200, "{}", log.text);
    let mut rows: Vec<(String, i64)> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["details"]["email"], user.as_str());
            assert_eq!(e["actor"], "anonymous");
            (
                e["details"]["ip"].as_str().unwrap().to_owned(),
                e["details"]["failures"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    // Rows are appended at 1, 10, 100… failures: four and two failures are one row each.
    assert_eq!(
        rows,
        [("127.0.0.1".to_owned(), 1), ("127.0.0.2".to_owned(), 1)],
        "one row per IP with its count so far: {}",
        log.text
    );
    assert!(!log.text.contains("guess"), "passwords are never logged");
}
