//! Request-rate limits: token buckets per principal and per client IP with the `RateLimit`
//! headers, GraphQL charged by its cost, and the harvest limit on how many customers a
//! caller who sees contact fields masked may receive, held in the database across server
//! instances.

use dossier::domain::Role;
use dossier::policy::limits::{RateLimits, Rule};
use dossier::startup::Application;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person};

fn buckets(principal: &str, anonymous: &str) -> RateLimits {
    RateLimits {
        principal: RateLimits::parse_rule(principal).unwrap(),
        anonymous: RateLimits::parse_rule(anonymous).unwrap(),
        in_flight: None,
    }
}

/// The `r` (tokens left) of a response's `RateLimit` header.
fn remaining(resp: &Resp) -> u32 {
    let header = resp.header("ratelimit");
    header
        .split(';')
        .find_map(|p| p.strip_prefix("r="))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("a RateLimit header with r=: {header:?}"))
}

#[track_caller]
fn assert_rate_limited(resp: &Resp) {
    resp.assert_problem(429, "rate_limited");
    let retry: u64 = resp.header("retry-after").parse().expect("Retry-After");
    assert!(retry >= 1, "Retry-After {retry}");
    assert_eq!(
        remaining(resp),
        0,
        "nothing left: {:?}",
        resp.header("ratelimit")
    );
}

async fn graphql_with(app: &TestApp, client: &reqwest::Client, query: &str) -> Resp {
    app.send(
        client
            .post(format!("{}/graphql", app.base))
            .json(&json!({"query": query})),
    )
    .await
}

#[tokio::test]
async fn a_response_carries_the_policy_and_what_is_left_and_browsers_may_read_them() {
    let app = TestApp::spawn_with(|s| s.rate_limits = buckets("50/1h", "off")).await;
    let first = app.get("/api/v1/customers").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("ratelimit-policy"), "\"default\";q=50;w=3600");
    assert_eq!(remaining(&first), 49);
    let t: u64 = first
        .header("ratelimit")
        .split(';')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("t=");
    assert!((1..=3600).contains(&t), "seconds until full again: {t}");
    let second = app
        .send(
            app.client
                .get(format!("{}/api/v1/customers", app.base))
                .header("origin", "https://app.example.com"),
        )
        .await;
    assert_eq!(remaining(&second), 48, "each request takes one token");
    let exposed = second
        .header("access-control-expose-headers")
        .to_lowercase();
    let exposed: Vec<&str> = exposed.split(',').map(str::trim).collect();
    assert!(
        exposed.contains(&"ratelimit") && exposed.contains(&"ratelimit-policy"),
        "exposed to browsers: {exposed:?}"
    );
    // The contract documents them, and a 429, on every operation.
    let doc = app.get("/api/v1/openapi.json").await.body;
    let list = &doc["paths"]["/api/v1/customers"]["get"]["responses"];
    assert!(list["429"].is_object(), "{list}");
    assert!(list["200"]["headers"]["RateLimit"].is_object(), "{list}");
    assert!(doc["components"]["headers"]["RateLimit-Policy"].is_object());
}

#[tokio::test]
async fn a_principal_past_its_burst_gets_429_and_another_principal_does_not() {
    let app = TestApp::spawn_with(|s| s.rate_limits = buckets("5/1h", "1000/1h")).await;
    let support = app.client_for(&app.user_token(Role::Support).await);
    for left in (0..5).rev() {
        let resp = app.get("/api/v1/customers").await;
        assert_eq!(resp.status, 200, "{}", resp.text);
        assert_eq!(remaining(&resp), left);
    }
    let refused = app.get("/api/v1/customers").await;
    assert_rate_limited(&refused);
    assert_eq!(refused.header("ratelimit-policy"), "\"default\";q=5;w=3600");
    // GraphQL answers the same way, with its own code.
    let gql = graphql_with(&app, &app.client, "{ __typename }").await;
    assert_eq!(gql.status, 429, "{}", gql.text);
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(!gql.header("retry-after").is_empty());

    let other = app
        .send(support.get(format!("{}/api/v1/customers", app.base)))
        .await;
    assert_eq!(other.status, 200, "another principal has its own bucket");
    assert_eq!(remaining(&other), 4);
}

#[tokio::test]
async fn anonymous_requests_and_bad_credentials_share_their_ip_bucket() {
    let app = TestApp::spawn_with(|s| s.rate_limits = buckets("1000/1h", "6/1h")).await;
    let url = format!("{}/api/v1/customers", app.base);
    let mut unauthenticated = 0;
    let refused = loop {
        let resp = app.send(app.anonymous.get(&url)).await;
        if resp.status == 429 {
            break resp;
        }
        resp.assert_problem(401, "unauthenticated");
        assert_eq!(resp.header("ratelimit-policy"), "\"default\";q=6;w=3600");
        unauthenticated += 1;
        assert!(unauthenticated <= 6, "the bucket holds 6");
    };
    assert!(unauthenticated >= 1);
    assert_rate_limited(&refused);
    // A made-up token gets no bucket of its own, nor does a made-up key.
    for client in [
        app.client_for("not-a-real-token"),
        app.client_for("dsk_not-a-real-key"),
    ] {
        assert_rate_limited(&app.send(client.get(&url)).await);
    }
    // Signing in counts against the IP too.
    let login = app
        .post_anonymous(
            "/api/v1/auth/login",
            &json!({"email": "who@example.com", "password": "x"}),
        )
        .await;
    assert_rate_limited(&login);
    // A valid principal is charged to its own bucket.
    let admin = app.get("/api/v1/customers").await;
    assert_eq!(admin.status, 200, "{}", admin.text);
}

fn aliases(n: usize, field: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {field}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn a_costly_graphql_operation_takes_more_of_the_bucket_than_a_cheap_one() {
    let app = TestApp::spawn_with(|s| s.rate_limits = buckets("1000/1h", "1000/1h")).await;
    let cheap = graphql_with(&app, &app.client, "{ __typename }").await;
    assert_eq!(cheap.status, 200, "{}", cheap.text);
    let before = remaining(&cheap);
    let again = graphql_with(&app, &app.client, "{ __typename }").await;
    assert_eq!(
        before - remaining(&again),
        1,
        "a cheap operation costs one token"
    );
    // Ten overviews cost about 10,000 units: 40 tokens more than a plain request.
    let costly = graphql_with(&app, &app.client, &aliases(10, "overview { customers }")).await;
    assert_eq!(costly.status, 200, "{}", costly.text);
    assert!(costly.body["errors"].is_null(), "{}", costly.text);
    let spent = remaining(&again) - remaining(&costly);
    assert_eq!(spent, 41, "one for the request, one per 250 units of cost");

    // A bucket that cannot pay for the cost refuses before anything runs.
    let small = TestApp::spawn_with(|s| s.rate_limits = buckets("10/1h", "1000/1h")).await;
    let first = graphql_with(&small, &small.client, "{ __typename }").await;
    assert_eq!(remaining(&first), 9);
    let refused = graphql_with(
        &small,
        &small.client,
        &aliases(10, "overview { customers }"),
    )
    .await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(refused.body["data"], Value::Null, "nothing ran");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    assert!(refused.header("retry-after").parse::<u64>().unwrap() >= 1);
    let cheap = graphql_with(&small, &small.client, "{ __typename }").await;
    assert_eq!(
        cheap.status, 200,
        "a cheap operation still fits: {}",
        cheap.text
    );
}

/// `GET /api/v1/customers{query}` on the server at `base`.
async fn page(app: &TestApp, client: &reqwest::Client, base: &str, query: &str) -> Resp {
    app.send(client.get(format!("{base}/api/v1/customers{query}")))
        .await
}

#[tokio::test]
async fn the_harvest_limit_stops_a_masked_caller_paging_on_every_instance() {
    let app = TestApp::spawn_with(|s| s.limits.harvest = Rule::per_minutes(6, 60)).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let mut c = person(&format!("客户{i}"));
        c["phone"] = json!(format!("+86 138 0013 80{i:02}"));
        ids.push(
            app.create_customer(c).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let support = app.client_for(&app.user_token(Role::Support).await);
    let first = page(&app, &support, &app.base, "?limit=3").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 3);
    assert!(
        first.body["data"][0]["phone"]
            .as_str()
            .unwrap()
            .contains('*'),
        "support sees contact masked: {}",
        first.text
    );
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = page(
        &app,
        &support,
        &app.base,
        &format!("?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let cursor = second.body["next_cursor"].as_str().unwrap().to_owned();
    // Six received: the next page would pass the limit.
    let third = page(
        &app,
        &support,
        &app.base,
        &format!("?limit=3&cursor={cursor}"),
    )
    .await;
    third.assert_problem(429, "harvest_limit");
    assert!(third.header("retry-after").parse::<u64>().unwrap() > 60);
    let one = app
        .send(support.get(format!("{}/api/v1/customers/{}", app.base, ids[0])))
        .await;
    one.assert_problem(429, "harvest_limit");
    let gql = graphql_with(&app, &support, "{ customers(first: 1) { nodes { id } } }").await;
    let codes: Vec<&str> = gql.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(codes, ["HARVEST_LIMIT"], "{}", gql.text);

    // Callers who see contact in full are not counted.
    for _ in 0..3 {
        let all = app.get("/api/v1/customers?limit=200").await;
        assert_eq!(
            all.body["data"].as_array().unwrap().len(),
            8,
            "{}",
            all.text
        );
    }
    // Another masked caller has a count of its own.
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let theirs = page(&app, &analyst, &app.base, "?limit=5").await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);

    // A second server over the same database sees the same count.
    let mut settings = (*app.state.settings).clone();
    settings.bind = "127.0.0.1:0".to_owned();
    let other = Application::build(settings).await.expect("a second server");
    let other_base = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    let there = page(&app, &support, &other_base, "?limit=1").await;
    there.assert_problem(429, "harvest_limit");
    let theirs = page(&app, &analyst, &other_base, "?limit=1").await;
    assert_eq!(theirs.status, 200, "6 of 6: {}", theirs.text);
    let past = page(&app, &analyst, &other_base, "?limit=1").await;
    past.assert_problem(429, "harvest_limit");
}

/// Send a request's head and the start of its body, and no more: the request stays in
/// flight until the rest arrives.
async fn hold_open(addr: &str, token: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/customers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 45\r\n\r\n{{\"kind\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Whether the server has answered on a held stream (it was refused when a request that
/// arrived later took its place before its credentials were checked).
fn answered(stream: &tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 256];
    !matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Send `path` with `client` until the answer's status is `want`, re-opening any held
/// request the server answered meanwhile; the last answer.
async fn until_status(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    want: u16,
    held: &mut [tokio::net::TcpStream],
    token: &str,
) -> Resp {
    let url = format!("{}{path}", app.base);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut last = app.send(client.get(&url)).await;
    for _ in 0..100 {
        if last.status == want {
            break;
        }
        for stream in held.iter_mut() {
            if answered(stream) {
                *stream = hold_open(&addr, token).await;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        last = app.send(client.get(&url)).await;
    }
    last
}

#[tokio::test]
async fn a_principal_with_its_cap_of_requests_in_flight_gets_503_and_others_do_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.in_flight = Some(2);
        s.timeouts.body = std::time::Duration::from_secs(60);
        s.timeouts.request = std::time::Duration::from_secs(60);
    })
    .await;
    let token = app.user_token(Role::Sales).await;
    let caller = app.client_for(&token);
    let other = app.client_for(&app.user_token(Role::Sales).await);
    let addr = app.base.trim_start_matches("http://").to_owned();
    assert_eq!(
        app.send(caller.get(format!("{}/api/v1/customers", app.base)))
            .await
            .status,
        200
    );

    let mut held = vec![
        hold_open(&addr, &token).await,
        hold_open(&addr, &token).await,
    ];
    let crowded = until_status(&app, &caller, "/api/v1/customers", 503, &mut held, &token).await;
    crowded.assert_problem(503, "busy");
    let retry: u64 = crowded.header("retry-after").parse().expect("Retry-After");
    assert!(retry >= 1, "Retry-After {retry}");
    // Another user is not held back by this one's requests.
    let url = format!("{}/api/v1/customers", app.base);
    assert_eq!(app.send(other.get(&url)).await.status, 200);

    // The rest of one held body arrives: that request is answered and frees its place.
    let first = &mut held[0];
    first
        .write_all(b"\"individual\", \"display_name\": \"\xe5\x8d\x8a\"}")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), first.read(&mut buf))
        .await
        .expect("an answer to the completed request")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    // Its place is free once the server has finished with it (a moment after the answer).
    let freed = until_status(
        &app,
        &caller,
        "/api/v1/customers",
        200,
        &mut held[1..],
        &token,
    )
    .await;
    assert_eq!(freed.status, 200, "{}", freed.text);
}
