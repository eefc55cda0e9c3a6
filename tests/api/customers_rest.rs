//! Create, read, merge-patch, delete and restore over REST, with ETags and If-Match.

use serde_json::{Value, json};

use crate::support::{TestApp, person, star_river, zhang_wei};

fn path(customer: &Value) -> String {
    format!("/api/v1/customers/{}", customer["id"].as_str().expect("id"))
}

#[tokio::test]
async fn creating_an_individual_normalises_contacts_and_sets_headers() {
    let app = TestApp::spawn().await;

    let resp = app.post("/api/v1/customers", &zhang_wei()).await;

    assert_eq!(resp.status, 201, "{}", resp.text);
    let c = &resp.body;
    assert_eq!(c["phone"], "+8613800138000");
    assert_eq!(c["email"], "zhang.wei@example.com");
    assert_eq!(c["display_name"], "张伟");
    assert_eq!(c["kind"], "individual");
    assert_eq!(c["version"], 1);
    assert_eq!(c["owner_id"], Value::Null);
    assert_eq!(c["masked"], json!([]));
    assert_eq!(c["tags"], json!(["vip"]));
    assert_eq!(c["source"], "referral");
    assert_eq!(c["status"], "active", "status defaults to active");
    assert_eq!(c["address"]["district"], "浦东新区");
    assert_eq!(c["individual"]["birthday"], "1988-04-02");
    assert_eq!(c["individual"]["annual_income"], "350000.00");
    assert_eq!(c["organization"], Value::Null);
    assert!(uuid::Uuid::parse_str(c["id"].as_str().unwrap()).is_ok());
    assert!(c["created_at"].is_string() && c["updated_at"].is_string());
    assert_eq!(resp.header("location"), path(c));
    assert_eq!(resp.header("etag"), "\"1\"");
    assert_eq!(
        resp.header("cache-control"),
        "private, no-store",
        "personal data is never cached"
    );
    assert_eq!(resp.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn creating_an_organization_keeps_its_profile() {
    let app = TestApp::spawn().await;

    let c = app.create_customer(star_river()).await;

    assert_eq!(c["kind"], "organization");
    assert_eq!(c["phone"], "+862168888888");
    assert_eq!(c["individual"], Value::Null);
    let org = &c["organization"];
    assert_eq!(org["credit_code"], "91350100M000100Y43");
    assert_eq!(org["employee_count"], 120);
    assert_eq!(org["registered_capital"], "10000000.00");
    assert_eq!(org["founded_on"], "2008-06-18");
    assert_eq!(org["payment_terms_days"], 30);
    assert_eq!(c["tags"], json!(["b2b", "wholesale"]));
}

#[tokio::test]
async fn a_created_customer_reads_back_with_its_etag_and_304_when_unchanged() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;

    let resp = app.get(&path(&c)).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, c, "GET returns what POST returned");
    assert_eq!(resp.header("etag"), "\"1\"");
    assert_eq!(resp.header("cache-control"), "private, no-store");

    let not_modified = app
        .send(
            app.client
                .get(format!("{}{}", app.base, path(&c)))
                .header("if-none-match", "\"1\""),
        )
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text.is_empty());
}

#[tokio::test]
async fn a_merge_patch_changes_only_the_given_fields_and_null_clears() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;

    let resp = app
        .patch(
            &path(&c),
            &json!({"email": "WEI@EXAMPLE.ORG", "phone": null, "individual": {"occupation": "architect"}, "tags": ["vip", "newsletter"]}),
            None,
        )
        .await;

    assert_eq!(resp.status, 200, "{}", resp.text);
    let u = &resp.body;
    assert_eq!(u["email"], "wei@example.org");
    assert_eq!(u["phone"], Value::Null, "null clears");
    assert_eq!(u["individual"]["occupation"], "architect");
    assert_eq!(
        u["individual"]["birthday"], "1988-04-02",
        "untouched fields stay"
    );
    assert_eq!(u["address"]["city"], "上海市");
    assert_eq!(u["tags"], json!(["vip", "newsletter"]));
    assert_eq!(u["version"], 2);
    assert_eq!(resp.header("etag"), "\"2\"");
    assert_ne!(u["updated_at"], c["updated_at"]);
    assert_eq!(u["created_at"], c["created_at"]);
    let again = app.get(&path(&c)).await;
    assert_eq!(again.body, *u, "the change is stored");
}

#[tokio::test]
async fn if_match_with_the_current_version_succeeds() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;

    let resp = app
        .patch(
            &path(&c),
            &json!({"notes": "prefers e-mail"}),
            Some("\"1\""),
        )
        .await;

    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["version"], 2);
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412_and_the_row_is_unchanged() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    app.patch(&path(&c), &json!({"notes": "first"}), Some("\"1\""))
        .await;

    let resp = app
        .patch(&path(&c), &json!({"notes": "second"}), Some("\"1\""))
        .await;

    resp.assert_problem(412, "precondition_failed");
    assert_eq!(resp.header("etag"), "\"2\"", "the current ETag is returned");
    let current = app.get(&path(&c)).await;
    assert_eq!(current.body["notes"], "first");
    assert_eq!(current.body["version"], 2);
}

#[tokio::test]
async fn a_weak_if_match_never_matches() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;

    let resp = app
        .patch(&path(&c), &json!({"notes": "x"}), Some("W/\"1\""))
        .await;

    resp.assert_problem(412, "precondition_failed");
}

#[tokio::test]
async fn soft_delete_hides_the_customer_and_restore_brings_it_back() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    let other = app.create_customer(person("Bob")).await;

    let deleted = app.delete(&path(&c), None).await;
    assert_eq!(deleted.status, 204);
    app.get(&path(&c)).await.assert_problem(404, "not_found");
    let live = app.get("/api/v1/customers").await;
    assert_eq!(live.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(live.body["data"][0]["id"], other["id"]);
    let trash = app.get("/api/v1/customers?deleted=true").await;
    assert_eq!(trash.body["data"][0]["id"], c["id"]);
    assert!(trash.body["data"][0]["deleted_at"].is_string());
    let with_deleted = app.get(&format!("{}?include_deleted=true", path(&c))).await;
    assert_eq!(with_deleted.status, 200);
    assert_eq!(with_deleted.body["version"], 2, "delete bumps the version");

    let restored = app.post(&format!("{}/restore", path(&c)), &json!({})).await;

    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(restored.body["deleted_at"], Value::Null);
    assert_eq!(restored.body["version"], 3);
    assert_eq!(app.get(&path(&c)).await.status, 200);
    assert_eq!(
        app.get("/api/v1/customers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn deleting_twice_is_404_and_restoring_a_live_customer_is_409() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;

    app.post(&format!("{}/restore", path(&c)), &json!({}))
        .await
        .assert_problem(409, "conflict");
    assert_eq!(app.delete(&path(&c), None).await.status, 204);
    app.delete(&path(&c), None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_stale_if_match_on_delete_is_refused_and_nothing_is_deleted() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    app.patch(&path(&c), &json!({"notes": "changed"}), None)
        .await;

    let resp = app.delete(&path(&c), Some("\"1\"")).await;

    resp.assert_problem(412, "precondition_failed");
    assert_eq!(app.get(&path(&c)).await.status, 200);
    assert_eq!(app.delete(&path(&c), Some("\"2\"")).await.status, 204);
}

#[tokio::test]
async fn patching_or_deleting_an_unknown_customer_is_404() {
    let app = TestApp::spawn().await;
    let missing = format!("/api/v1/customers/{}", uuid::Uuid::now_v7());

    app.get(&missing).await.assert_problem(404, "not_found");
    app.patch(&missing, &json!({"notes": "x"}), None)
        .await
        .assert_problem(404, "not_found");
    app.delete(&missing, None)
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("{missing}/restore"), &json!({}))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn changing_the_kind_requires_dropping_the_other_profile() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;

    let refused = app
        .patch(&path(&c), &json!({"kind": "organization"}), None)
        .await;
    refused.assert_field_error(422, "individual");

    let resp = app
        .patch(&path(&c), &json!({"kind": "organization", "individual": null, "organization": {"industry": "retail"}}), None)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["individual"], Value::Null);
    assert_eq!(resp.body["organization"]["industry"], "retail");
}

#[tokio::test]
async fn concurrent_writes_with_the_same_if_match_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    let target = path(&c);

    let attempts = (0..8).map(|i| {
        let app = &app;
        let target = target.clone();
        async move {
            app.patch(
                &target,
                &json!({"notes": format!("writer {i}")}),
                Some("\"1\""),
            )
            .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;

    let winners: Vec<_> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one writer wins: {:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        results.iter().all(|r| r.status == 200 || r.status == 412),
        "the others get 412"
    );
    let stored = app.get(&target).await;
    assert_eq!(stored.body["version"], 2);
    assert_eq!(
        stored.body["notes"], winners[0].body["notes"],
        "the winner's write is the one stored"
    );
}
