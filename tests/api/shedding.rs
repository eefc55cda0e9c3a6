//! Load shedding: the expensive operations (the overview, score validation, fits, exports,
//! duplicate scans, the quality report, segment members) run at most K at a time per
//! principal and M in the whole server; beyond that a request is refused at once with 503
//! `busy` and `Retry-After`, while other principals and cheap reads go on being served.
//!
//! Holding operations deterministically: GraphQL resolves a query's root fields together,
//! each one starting (and taking its admission) before any of them has its first answer from
//! the database, so one request with several aliases of `overview` has them all running at
//! once. Over REST, concurrent requests may or may not overlap, so those tests assert what
//! holds either way (every answer is a result or `busy`; other principals and cheap reads
//! are always served).

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person};

/// `n` aliases of `overview`, and a cheap read of one customer.
fn overview_bomb(n: usize, customer: &str) -> String {
    let aliases: String = (0..n)
        .map(|i| format!("o{i}: overview(months: 12, top: 5) {{ customers }} "))
        .collect();
    format!("{{ {aliases} cheap: customer(id: \"{customer}\") {{ id displayName }} }}")
}

async fn graphql_as(app: &TestApp, client: &reqwest::Client, query: &str) -> Value {
    let resp = app
        .send(
            client
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": query})),
        )
        .await;
    assert_eq!(resp.status, 200, "transport status: {}", resp.text);
    resp.body
}

/// How many of the `n` aliases answered, and how many were refused as busy with a retry.
fn tally(doc: &Value, n: usize) -> (usize, usize) {
    let answered = (0..n)
        .filter(|i| doc["data"][format!("o{i}")]["customers"].is_i64())
        .count();
    let errors = doc["errors"].as_array().cloned().unwrap_or_default();
    for e in &errors {
        assert_eq!(e["extensions"]["code"], "BUSY", "only busy refusals: {e}");
        assert!(
            e["extensions"]["retryAfter"].as_u64().unwrap_or(0) >= 1,
            "a retry hint: {e}"
        );
        assert!(
            e["path"][0].as_str().unwrap_or_default().starts_with('o'),
            "only the overview is refused: {e}"
        );
    }
    (answered, errors.len())
}

fn assert_busy(r: &Resp) {
    r.assert_problem(503, "busy");
    let retry: u64 = r
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry >= 1, "{retry}");
}

#[tokio::test]
async fn one_principal_runs_its_share_of_expensive_fields_and_the_rest_are_refused_as_busy() {
    let app = TestApp::spawn_with(|s| {
        s.expensive.per_principal = 2;
        s.expensive.total = 16;
    })
    .await;
    let id = app.create_customer(person("Wang Fang")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let doc = graphql_as(&app, &analyst, &overview_bomb(6, &id)).await;
    let (answered, refused) = tally(&doc, 6);
    assert_eq!((answered, refused), (2, 4), "{doc}");
    // The cheap field in the same request was served.
    assert_eq!(doc["data"]["cheap"]["id"], id.as_str(), "{doc}");
    // Once the request is over, its admissions are free again.
    let doc = graphql_as(&app, &analyst, &overview_bomb(2, &id)).await;
    assert_eq!(tally(&doc, 2), (2, 0), "{doc}");
}

#[tokio::test]
async fn the_server_wide_limit_holds_for_every_principal_together() {
    let app = TestApp::spawn_with(|s| {
        s.expensive.per_principal = 4;
        s.expensive.total = 1;
    })
    .await;
    let id = app.create_customer(person("Li Na")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let doc = graphql_as(&app, &analyst, &overview_bomb(3, &id)).await;
    assert_eq!(tally(&doc, 3), (1, 2), "{doc}");
    assert_eq!(doc["data"]["cheap"]["id"], id.as_str(), "{doc}");
}

#[tokio::test]
async fn a_rest_flood_by_one_principal_gets_answers_or_busy_while_others_are_served() {
    // One analyst may hold 2 of the 3 slots, so another principal always finds one free.
    let app = TestApp::spawn_with(|s| {
        s.expensive.per_principal = 2;
        s.expensive.total = 3;
    })
    .await;
    let id = app.create_customer(person("Zhao Lei")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let flooder = app.client_for(&app.user_token(Role::Analyst).await);
    let other = app.client_for(&app.user_token(Role::Manager).await);
    let overview = format!("{}/api/v1/overview", app.base);
    let flood = futures_util::future::join_all((0..10).map(|_| app.send(flooder.get(&overview))));
    let (flood, theirs, cheap) = tokio::join!(
        flood,
        app.send(other.get(&overview)),
        app.send(flooder.get(format!("{}/api/v1/customers/{id}", app.base))),
    );
    let mut answered = 0;
    for r in &flood {
        if r.status == 200 {
            assert!(r.body["customers"].is_i64(), "{}", r.text);
            answered += 1;
        } else {
            assert_busy(r);
            assert!(!r.text.contains("overview"), "no internals: {}", r.text);
        }
    }
    assert!(answered >= 1, "at least the first two are admitted");
    assert_eq!(theirs.status, 200, "another principal: {}", theirs.text);
    assert_eq!(
        cheap.status, 200,
        "a cheap read by the flooder: {}",
        cheap.text
    );
    assert_eq!(cheap.body["id"], id.as_str());
    // After the flood the flooder is served again.
    let again = app.send(flooder.get(&overview)).await;
    assert_eq!(again.status, 200, "{}", again.text);
}

#[tokio::test]
async fn an_export_gives_its_admission_back_when_its_stream_ends() {
    // One slot per principal: an export that kept its admission after its last row would
    // leave the admin refused from then on.
    let app = TestApp::spawn_with(|s| {
        s.expensive.per_principal = 1;
        s.expensive.total = 4;
    })
    .await;
    for name in ["Sun Li", "Zhou Min", "Wu Hao"] {
        app.create_customer(person(name)).await;
    }
    for _ in 0..2 {
        let export = app.get("/api/v1/customers/export?format=csv").await;
        assert_eq!(export.status, 200, "{}", export.text);
        assert_eq!(
            export.text.lines().count(),
            4,
            "a header and three customers: {}",
            export.text
        );
        let overview = app.get("/api/v1/overview").await;
        assert_eq!(overview.status, 200, "{}", overview.text);
    }
}

#[tokio::test]
async fn a_refused_caller_learns_nothing_but_busy_and_a_forbidden_one_gets_403() {
    let app = TestApp::spawn_with(|s| {
        s.expensive.per_principal = 1;
        s.expensive.total = 1;
    })
    .await;
    // Support may not run analytics: refused by the policy, not the shedder.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let r = app
        .send(
            support
                .post(format!("{}/api/v1/scores/validation", app.base))
                .json(&json!({"calibration_end": "2025-01-31", "holdout_end": "2025-06-30"})),
        )
        .await;
    r.assert_problem(403, "forbidden");
    // Bad input is named before any admission is asked for.
    let r = app.get("/api/v1/overview?months=0").await;
    r.assert_field_error(422, "months");
}
