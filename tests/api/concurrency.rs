//! Optimistic concurrency: every versioned write is conditional on the version it is based
//! on. Twenty writers holding the same `ETag` race; exactly one wins, the others get 412 with
//! the new `ETag`, and the version moves by exactly one. A stale `If-Match` is refused and a
//! fresh one accepted on every conditional route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person};

const WRITERS: usize = 20;

/// `method path` with a JSON body (a merge patch for PATCH) and an optional `If-Match`.
async fn write(app: &TestApp, method: Method, path: &str, body: &Value, tag: Option<&str>) -> Resp {
    let content_type = if method == Method::PATCH {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("content-type", content_type)
        .body(body.to_string());
    if let Some(tag) = tag {
        request = request.header("if-match", tag);
    }
    app.send(request).await
}

/// The `ETag` of `path` as read now. Alert rules and users have no single read: their
/// version is read from their list.
async fn etag(app: &TestApp, path: &str) -> String {
    if let Some(list) = ["/api/v1/alert-rules", "/api/v1/users"]
        .into_iter()
        .find(|l| path.starts_with(l))
    {
        return format!("\"{}\"", listed(app, list, path).await["version"]);
    }
    let resp = app.get(path).await;
    assert_eq!(resp.status, 200, "read {path}: {}", resp.text);
    let tag = resp.header("etag").to_owned();
    assert!(!tag.is_empty(), "{path} carries an ETag");
    tag
}

fn version_of(tag: &str) -> i64 {
    tag.trim_matches('"')
        .parse()
        .expect("a numeric strong ETag")
}

/// Send `WRITERS` conditional writes at once, writer `i` sending `body(i)`, all with `tag`;
/// assert exactly one 2xx and a 412 for every other, each naming the new version. Returns the
/// winner's response.
async fn race(
    app: &TestApp,
    method: Method,
    path: &str,
    tag: &str,
    body: impl Fn(usize) -> Value,
) -> Resp {
    let attempts = (0..WRITERS).map(|i| {
        let method = method.clone();
        let body = body(i);
        async move { write(app, method, path, &body, Some(tag)).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    let (winners, losers): (Vec<Resp>, Vec<Resp>) = results
        .into_iter()
        .partition(|r| (200..300).contains(&r.status));
    assert_eq!(
        winners.len(),
        1,
        "exactly one writer of {path} wins: {statuses:?}"
    );
    assert_eq!(losers.len(), WRITERS - 1);
    let next = format!("\"{}\"", version_of(tag) + 1);
    for lost in &losers {
        lost.assert_problem(412, "precondition_failed");
        assert_eq!(
            lost.header("etag"),
            next,
            "a 412 names the version now current"
        );
        assert_eq!(lost.body["current_version"], version_of(tag) + 1);
    }
    let winner = winners.into_iter().next().expect("one winner");
    assert_eq!(
        winner.header("etag"),
        next,
        "the winner's response names its new version"
    );
    winner
}

/// A write with a stale `If-Match` is refused with 412 and changes nothing; the same write
/// with the current `ETag` is accepted.
async fn stale_then_fresh(app: &TestApp, method: Method, path: &str, read: &str, body: &Value) {
    let fresh = etag(app, read).await;
    let stale = format!("\"{}\"", version_of(&fresh) - 1);
    let refused = write(app, method.clone(), path, body, Some(&stale)).await;
    refused.assert_problem(412, "precondition_failed");
    assert_eq!(
        refused.header("etag"),
        fresh,
        "the 412 names the current version"
    );
    assert_eq!(
        etag(app, read).await,
        fresh,
        "a refused write changes nothing"
    );
    let accepted = write(app, method, path, body, Some(&fresh)).await;
    assert!(
        (200..300).contains(&accepted.status),
        "{path} with the current ETag: {} {}",
        accepted.status,
        accepted.text
    );
}

async fn customer(app: &TestApp) -> String {
    app.create_customer(person("并发 客户")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let resp = app.post(path, &body).await;
    assert_eq!(resp.status, 201, "create {path}: {}", resp.text);
    resp.body
}

async fn product(app: &TestApp) -> String {
    let body =
        json!({"sku": "TEA-RACE", "name": "Race tea", "category": "tea", "list_price": "12.00"});
    let p = created(app, "/api/v1/products", body).await;
    format!("/api/v1/products/{}", p["id"].as_str().unwrap())
}

async fn order(app: &TestApp) -> String {
    let id = customer(app).await;
    let o = created(
        app,
        &format!("/api/v1/customers/{id}/orders"),
        json!({"total": "100.00", "status": "pending"}),
    )
    .await;
    format!("/api/v1/orders/{}", o["id"].as_str().unwrap())
}

async fn interaction(app: &TestApp) -> String {
    let id = customer(app).await;
    let i = created(
        app,
        &format!("/api/v1/customers/{id}/interactions"),
        json!({"type": "call", "summary": "first call"}),
    )
    .await;
    format!("/api/v1/interactions/{}", i["id"].as_str().unwrap())
}

async fn complaint(app: &TestApp) -> String {
    let id = customer(app).await;
    let c = created(
        app,
        &format!("/api/v1/customers/{id}/complaints"),
        json!({"category": "delivery", "severity": "low", "subject": "包裹晚到"}),
    )
    .await;
    format!("/api/v1/complaints/{}", c["id"].as_str().unwrap())
}

async fn custom_field(app: &TestApp) -> String {
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "text"}))
        .await;
    "/api/v1/custom-fields/tier".to_owned()
}

fn segment_body(name: &str) -> Value {
    json!({"name": name, "filter": [{"field": "city", "op": "eq", "value": "上海"}]})
}

async fn segment(app: &TestApp) -> String {
    let s = created(app, "/api/v1/segments", segment_body("上海客户")).await;
    format!("/api/v1/segments/{}", s["id"].as_str().unwrap())
}

fn rule_body(name: &str) -> Value {
    json!({"name": name, "kind": "complaint_sla"})
}

async fn alert_rule(app: &TestApp) -> String {
    let r = created(app, "/api/v1/alert-rules", rule_body("投诉超时")).await;
    format!("/api/v1/alert-rules/{}", r["id"].as_str().unwrap())
}

async fn user(app: &TestApp) -> String {
    let u = created(
        app,
        "/api/v1/users",
        json!({"email": "race@test.example", "display_name": "Racer", "role": "sales",
               "password": crate::support::PASSWORD}),
    )
    .await;
    format!("/api/v1/users/{}", u["id"].as_str().unwrap())
}

/// The row of `path` as listed by `list`.
async fn listed(app: &TestApp, list: &str, path: &str) -> Value {
    let id = path.rsplit('/').next().unwrap();
    let resp = app.get(list).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Read `path` and assert its version is `version` and `field` holds the winner's value.
async fn assert_stored(app: &TestApp, path: &str, version: i64, winner: &Resp, field: &str) {
    let stored = app.get(path).await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(
        stored.body["version"], version,
        "the version moved by exactly one"
    );
    assert_eq!(stored.header("etag"), format!("\"{version}\""));
    assert_eq!(
        stored.body[field], winner.body[field],
        "the winner's write is the one stored"
    );
}

// ---------------------------------------------------------------------------------------
// Twenty writers, one version

#[tokio::test]
async fn racing_customer_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}", customer(&app).await);
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"notes": format!("writer {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "notes").await;
}

#[tokio::test]
async fn racing_custom_field_values_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    custom_field(&app).await;
    let path = format!("/api/v1/customers/{}", customer(&app).await);
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"custom": {"tier": format!("tier {i}")}}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "custom").await;
}

#[tokio::test]
async fn racing_product_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = product(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"name": format!("Tea {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "name").await;
}

#[tokio::test]
async fn racing_order_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = order(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"notes": format!("writer {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "notes").await;
}

#[tokio::test]
async fn racing_order_payments_record_exactly_one() {
    let app = TestApp::spawn().await;
    let path = order(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"paid_amount": format!("{}.00", 10 + i)}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "paid_amount").await;
}

#[tokio::test]
async fn racing_interaction_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = interaction(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"summary": format!("writer {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "summary").await;
}

#[tokio::test]
async fn racing_complaint_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = complaint(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"subject": format!("writer {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "subject").await;
}

#[tokio::test]
async fn racing_complaint_transitions_take_exactly_one_step() {
    let app = TestApp::spawn().await;
    let path = complaint(&app).await;
    let tag = etag(&app, &path).await;
    let steps = format!("{path}/transitions");
    let winner = race(
        &app,
        Method::POST,
        &steps,
        &tag,
        |i| json!({"to": "acknowledged", "note": format!("writer {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "status").await;
    let stored = app.get(&path).await;
    let acknowledged = stored.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to_status"] == "acknowledged")
        .count();
    assert_eq!(acknowledged, 1, "one step in the history: {}", stored.text);
}

#[tokio::test]
async fn racing_preference_writes_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}/preferences", customer(&app).await);
    assert_eq!(etag(&app, &path).await, "\"0\"", "never set is version 0");
    let first = write(
        &app,
        Method::PUT,
        &path,
        &json!({"categories": ["tea"]}),
        None,
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let tag = etag(&app, &path).await;
    assert_eq!(tag, "\"1\"");
    let winner = race(
        &app,
        Method::PUT,
        &path,
        &tag,
        |i| json!({"categories": [format!("category {i}")]}),
    )
    .await;
    assert_stored(&app, &path, 2, &winner, "categories").await;
}

#[tokio::test]
async fn racing_loyalty_enrolments_enrol_exactly_once() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}/loyalty", customer(&app).await);
    let tag = etag(&app, &path).await;
    assert_eq!(tag, "\"0\"", "not a member is version 0");
    let tiers = ["silver", "gold", "platinum"];
    let winner = race(
        &app,
        Method::PUT,
        &path,
        &tag,
        |i| json!({"tier": tiers[i % tiers.len()]}),
    )
    .await;
    assert_stored(&app, &path, 1, &winner, "tier").await;
}

#[tokio::test]
async fn racing_loyalty_tier_changes_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}/loyalty", customer(&app).await);
    let first = write(&app, Method::PUT, &path, &json!({"tier": "silver"}), None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let tag = etag(&app, &path).await;
    let tiers = ["gold", "platinum"];
    let winner = race(
        &app,
        Method::PUT,
        &path,
        &tag,
        |i| json!({"tier": tiers[i % tiers.len()]}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "tier").await;
}

#[tokio::test]
async fn racing_custom_field_definition_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = custom_field(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"label": format!("Tier {i}")}),
    )
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "label").await;
}

#[tokio::test]
async fn racing_segment_replacements_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = segment(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(&app, Method::PUT, &path, &tag, |i| {
        segment_body(&format!("上海客户 {i}"))
    })
    .await;
    assert_stored(&app, &path, version_of(&tag) + 1, &winner, "name").await;
}

#[tokio::test]
async fn racing_alert_rule_replacements_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = alert_rule(&app).await;
    let tag = etag(&app, &path).await;
    let winner = race(&app, Method::PUT, &path, &tag, |i| {
        rule_body(&format!("投诉超时 {i}"))
    })
    .await;
    let stored = listed(&app, "/api/v1/alert-rules", &path).await;
    assert_eq!(stored["version"], version_of(&tag) + 1);
    assert_eq!(stored["name"], winner.body["name"]);
}

#[tokio::test]
async fn racing_user_patches_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let path = user(&app).await;
    let before = listed(&app, "/api/v1/users", &path).await["version"]
        .as_i64()
        .unwrap();
    let tag = format!("\"{before}\"");
    let winner = race(
        &app,
        Method::PATCH,
        &path,
        &tag,
        |i| json!({"display_name": format!("Racer {i}")}),
    )
    .await;
    let stored = listed(&app, "/api/v1/users", &path).await;
    assert_eq!(stored["version"], before + 1);
    assert_eq!(stored["display_name"], winner.body["display_name"]);
}

// ---------------------------------------------------------------------------------------
// Stale refused, fresh accepted, route by route

#[tokio::test]
async fn customer_patch_and_delete_honour_if_match() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}", customer(&app).await);
    stale_then_fresh(&app, Method::PATCH, &path, &path, &json!({"notes": "n"})).await;
    let fresh = etag(&app, &path).await;
    let stale = format!("\"{}\"", version_of(&fresh) - 1);
    app.delete(&path, Some(&stale))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.delete(&path, Some(&fresh)).await.status, 204);
}

#[tokio::test]
async fn product_patch_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = product(&app).await;
    app.patch(&path, &json!({"name": "Bump"}), None).await;
    stale_then_fresh(&app, Method::PATCH, &path, &path, &json!({"name": "Tea"})).await;
}

#[tokio::test]
async fn order_patch_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = order(&app).await;
    app.patch(&path, &json!({"notes": "bump"}), None).await;
    stale_then_fresh(
        &app,
        Method::PATCH,
        &path,
        &path,
        &json!({"status": "completed"}),
    )
    .await;
}

#[tokio::test]
async fn interaction_patch_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = interaction(&app).await;
    app.patch(&path, &json!({"summary": "bump"}), None).await;
    stale_then_fresh(&app, Method::PATCH, &path, &path, &json!({"summary": "s"})).await;
}

#[tokio::test]
async fn complaint_patch_and_transition_honour_if_match() {
    let app = TestApp::spawn().await;
    let path = complaint(&app).await;
    app.patch(&path, &json!({"subject": "bump"}), None).await;
    stale_then_fresh(&app, Method::PATCH, &path, &path, &json!({"subject": "s"})).await;
    let steps = format!("{path}/transitions");
    stale_then_fresh(
        &app,
        Method::POST,
        &steps,
        &path,
        &json!({"to": "acknowledged"}),
    )
    .await;
}

#[tokio::test]
async fn preferences_put_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}/preferences", customer(&app).await);
    let body = json!({"categories": ["tea"], "preferred_channel": "email"});
    // Never set: only `"0"` matches.
    let refused = write(&app, Method::PUT, &path, &body, Some("\"1\"")).await;
    refused.assert_problem(412, "precondition_failed");
    assert_eq!(refused.header("etag"), "\"0\"");
    let created = write(&app, Method::PUT, &path, &body, Some("\"0\"")).await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.header("etag"), "\"1\"");
    write(&app, Method::PUT, &path, &body, Some("\"0\""))
        .await
        .assert_problem(412, "precondition_failed");
    stale_then_fresh(
        &app,
        Method::PUT,
        &path,
        &path,
        &json!({"categories": ["cups"]}),
    )
    .await;
    let stored = app.get(&path).await;
    assert_eq!(stored.body["categories"], json!(["cups"]));
    assert_eq!(stored.body["version"], 2);
}

#[tokio::test]
async fn loyalty_put_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/customers/{}/loyalty", customer(&app).await);
    write(
        &app,
        Method::PUT,
        &path,
        &json!({"tier": "silver"}),
        Some("\"3\""),
    )
    .await
    .assert_problem(412, "precondition_failed");
    let enrolled = write(&app, Method::PUT, &path, &json!({"tier": "silver"}), None).await;
    assert_eq!(enrolled.status, 200, "{}", enrolled.text);
    assert_eq!(enrolled.header("etag"), "\"1\"");
    stale_then_fresh(&app, Method::PUT, &path, &path, &json!({"tier": "gold"})).await;
    let stored = app.get(&path).await;
    assert_eq!(stored.body["tier"], "gold");
    assert_eq!(stored.body["version"], 2);
}

#[tokio::test]
async fn custom_field_patch_and_delete_honour_if_match() {
    let app = TestApp::spawn().await;
    let path = custom_field(&app).await;
    stale_then_fresh(
        &app,
        Method::PATCH,
        &path,
        &path,
        &json!({"label": "Level"}),
    )
    .await;
    let fresh = etag(&app, &path).await;
    let stale = format!("\"{}\"", version_of(&fresh) - 1);
    app.delete(&path, Some(&stale))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.delete(&path, Some(&fresh)).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
}

#[tokio::test]
async fn segment_put_and_delete_honour_if_match() {
    let app = TestApp::spawn().await;
    let path = segment(&app).await;
    stale_then_fresh(&app, Method::PUT, &path, &path, &segment_body("北京客户")).await;
    let fresh = etag(&app, &path).await;
    let stale = format!("\"{}\"", version_of(&fresh) - 1);
    app.delete(&path, Some(&stale))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.delete(&path, Some(&fresh)).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
}

#[tokio::test]
async fn alert_rule_put_and_delete_honour_if_match() {
    let app = TestApp::spawn().await;
    let path = alert_rule(&app).await;
    stale_then_fresh(&app, Method::PUT, &path, &path, &rule_body("投诉超时了")).await;
    let fresh = etag(&app, &path).await;
    let stale = format!("\"{}\"", version_of(&fresh) - 1);
    app.delete(&path, Some(&stale))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.delete(&path, Some(&fresh)).await.status, 204);
    let gone = listed(&app, "/api/v1/alert-rules", &path).await;
    assert!(gone.is_null(), "deleted: {gone}");
}

#[tokio::test]
async fn user_patch_honours_if_match() {
    let app = TestApp::spawn().await;
    let path = user(&app).await;
    let version = listed(&app, "/api/v1/users", &path).await["version"]
        .as_i64()
        .unwrap();
    let stale = format!("\"{}\"", version - 1);
    let refused = write(
        &app,
        Method::PATCH,
        &path,
        &json!({"display_name": "X"}),
        Some(&stale),
    )
    .await;
    refused.assert_problem(412, "precondition_failed");
    assert_eq!(refused.header("etag"), format!("\"{version}\""));
    let fresh = format!("\"{version}\"");
    let accepted = write(
        &app,
        Method::PATCH,
        &path,
        &json!({"display_name": "X"}),
        Some(&fresh),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.header("etag"), format!("\"{}\"", version + 1));
}

#[tokio::test]
async fn graphql_expected_version_refuses_a_stale_preferences_write() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let mutation = "mutation($id: UUID!, $v: Int) { setPreferences(customerId: $id, \
                    input: {categories: [\"tea\"]}, expectedVersion: $v) { version categories } }";
    let stale = app.graphql(mutation, json!({"id": id, "v": 4})).await;
    assert_eq!(
        stale["errors"][0]["extensions"]["code"], "CONFLICT",
        "{stale}"
    );
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 0);
    let fresh = app.graphql(mutation, json!({"id": id, "v": 0})).await;
    assert_eq!(fresh["data"]["setPreferences"]["version"], 1, "{fresh}");
}
