//! Interactions, surveys, complaints, preferences, consent, relationships, loyalty points
//! and the timeline, with the masking and row access of each role.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person, star_river};

async fn customer(app: &TestApp, name: &str) -> String {
    app.create_customer(person(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn interactions_are_recorded_by_the_caller_and_patched_field_by_field() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "林涛").await;
    let support = app.session(Role::Support).await;
    let client = app.client_for(support["access_token"].as_str().unwrap());
    let resp = app
        .send(
            client
                .post(format!("{}/api/v1/customers/{id}/interactions", app.base))
                .json(&json!({
            "type": "call", "direction": "inbound", "occurred_at": "2026-11-20T09:30:00Z",
            "duration_seconds": 420, "subject": "配送延迟", "summary": "询问配送进度",
            "next_follow_up_at": "2026-11-22T09:00:00Z"})),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    assert_eq!(resp.body["type"], "call");
    assert_eq!(
        resp.body["user_id"], support["user"]["id"],
        "the caller by default"
    );
    assert_eq!(
        resp.body["summary"],
        Value::Null,
        "support sees contact fields masked"
    );
    assert!(
        resp.body["masked"]
            .as_array()
            .unwrap()
            .contains(&json!("summary"))
    );
    let path = format!("/api/v1/interactions/{}", resp.body["id"].as_str().unwrap());
    let admin_view = app.get(&path).await;
    assert_eq!(admin_view.body["summary"], "询问配送进度");
    let patched = app
        .patch(
            &path,
            &json!({"outcome": "已安排加急", "next_follow_up_at": null}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["outcome"], "已安排加急");
    assert_eq!(patched.body["next_follow_up_at"], Value::Null);
    assert_eq!(patched.body["subject"], "配送延迟", "untouched fields stay");
    assert_eq!(patched.body["version"], 2);

    for (body, field) in [
        (json!({"direction": "inbound"}), "type"),
        (json!({"type": "fax"}), "type"),
        (
            json!({"type": "call", "duration_seconds": -5}),
            "duration_seconds",
        ),
        (
            json!({"type": "call", "occurred_at": "2999-01-01T00:00:00Z"}),
            "occurred_at",
        ),
        (
            json!({"type": "call", "user_id": uuid::Uuid::now_v7()}),
            "user_id",
        ),
    ] {
        app.post(&format!("/api/v1/customers/{id}/interactions"), &body)
            .await
            .assert_field_error(422, field);
    }
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let refused = app
        .send(
            analyst
                .post(format!("{}/api/v1/customers/{id}/interactions", app.base))
                .json(&json!({"type": "call"})),
        )
        .await;
    refused.assert_problem(403, "forbidden");
    let listed = app
        .get(&format!("/api/v1/interactions?customer_id={id}&type=call"))
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn surveys_take_csat_one_to_five_and_nps_zero_to_ten() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "高远").await;
    let path = format!("/api/v1/customers/{id}/surveys");
    let ok = app
        .post(
            &path,
            &json!({"csat": 5, "nps": 0, "comment": "很好", "channel": "wechat"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    app.post(&path, &json!({"csat": 6}))
        .await
        .assert_field_error(422, "csat");
    app.post(&path, &json!({"nps": 11}))
        .await
        .assert_field_error(422, "nps");
    app.post(&path, &json!({"comment": "?"}))
        .await
        .assert_field_error(422, "csat");
    let listed = app.get(&path).await;
    assert_eq!(listed.body["data"][0]["nps"], 0);
}

#[tokio::test]
async fn a_complaint_follows_its_workflow_and_an_illegal_step_names_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "邓超").await;
    let opened = app
        .post(
            &format!("/api/v1/customers/{id}/complaints"),
            &json!({
            "category": "delivery", "severity": "high", "subject": "包裹破损",
            "opened_at": "2026-11-01T08:00:00Z"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    let c = &opened.body;
    assert_eq!(c["status"], "open");
    assert_eq!(
        c["sla_due_at"], "2026-11-02T08:00:00Z",
        "high severity: 24 hours"
    );
    assert_eq!(c["overdue"], true);
    assert_eq!(c["allowed_transitions"], json!(["acknowledged"]));
    let path = format!(
        "/api/v1/complaints/{}/transitions",
        c["id"].as_str().unwrap()
    );

    let skip = app
        .post(&path, &json!({"to": "resolved", "resolution": "x"}))
        .await;
    skip.assert_problem(409, "illegal_transition");
    assert_eq!(skip.body["allowed"], json!(["acknowledged"]));
    assert!(
        skip.body["detail"]
            .as_str()
            .unwrap()
            .contains("acknowledged")
    );

    for to in ["acknowledged", "in_progress"] {
        let r = app
            .post(&path, &json!({"to": to, "note": format!("→ {to}")}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    app.post(&path, &json!({"to": "resolved"}))
        .await
        .assert_field_error(422, "resolution");
    let resolved = app
        .post(&path, &json!({"to": "resolved", "resolution": "已补发"}))
        .await;
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["overdue"], false);
    assert!(resolved.body["resolved_at"].is_string());
    let reopened = app
        .post(&path, &json!({"to": "open", "note": "客户仍不满意"}))
        .await;
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(reopened.body["resolved_at"], Value::Null);
    let steps: Vec<(Value, Value)> = reopened.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from_status"].clone(), e["to_status"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("open")),
            (json!("open"), json!("acknowledged")),
            (json!("acknowledged"), json!("in_progress")),
            (json!("in_progress"), json!("resolved")),
            (json!("resolved"), json!("open")),
        ]
    );
    assert!(
        reopened.body["events"][4]["actor"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );

    let unresolved_rating = app
        .patch(
            &format!("/api/v1/complaints/{}", c["id"].as_str().unwrap()),
            &json!({"satisfaction": 4}),
            None,
        )
        .await;
    unresolved_rating.assert_field_error(422, "satisfaction");
    let overdue = app.get("/api/v1/complaints?overdue=true").await;
    assert_eq!(overdue.body["data"].as_array().unwrap().len(), 1);
    let bad_filter = app.get("/api/v1/complaints?status=lost").await;
    bad_filter.assert_field_error(400, "status");
}

#[tokio::test]
async fn consent_is_kept_per_channel_with_its_history() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "唐宁").await;
    let path = format!("/api/v1/customers/{id}/consents");
    let before = app.get(&path).await;
    assert_eq!(
        before.body["data"].as_array().unwrap().len(),
        5,
        "one per channel"
    );
    assert!(
        before.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["granted"].is_null())
    );
    let granted = app
        .post(&path, &json!({"channel": "sms", "granted": true, "source": "web_form", "at": "2026-01-01T00:00:00Z"}))
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    app.post(
        &path,
        &json!({"channel": "sms", "granted": false, "source": "call"}),
    )
    .await;
    app.post(
        &path,
        &json!({"channel": "email", "granted": true, "source": "store"}),
    )
    .await;
    let now = app.get(&path).await;
    let of = |ch: &str| {
        now.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == ch)
            .unwrap()
            .clone()
    };
    assert_eq!(of("sms")["granted"], false);
    assert_eq!(of("sms")["source"], "call");
    assert_eq!(of("email")["granted"], true);
    assert_eq!(of("post")["granted"], Value::Null);
    let history = app.get(&format!("{path}/history")).await;
    assert_eq!(
        history.body["data"].as_array().unwrap().len(),
        3,
        "nothing is overwritten"
    );
    app.post(
        &path,
        &json!({"channel": "fax", "granted": true, "source": "x"}),
    )
    .await
    .assert_field_error(422, "channel");
    app.post(
        &path,
        &json!({"channel": "sms", "granted": true, "source": " "}),
    )
    .await
    .assert_field_error(422, "source");
    app.post(
        &path,
        &json!({"channel": "sms", "granted": true, "source": "x", "at": "2999-01-01T00:00:00Z"}),
    )
    .await
    .assert_field_error(422, "at");

    let prefs = app
        .send(app.client.put(format!("{}/api/v1/customers/{id}/preferences", app.base)).json(&json!({
            "categories": ["tea", "gifts", "tea"], "preferred_channel": "wechat", "preferred_time": "evening"})))
        .await;
    assert_eq!(prefs.status, 200, "{}", prefs.text);
    assert_eq!(prefs.body["categories"], json!(["tea", "gifts"]));
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}/preferences"))
            .await
            .body["preferred_time"],
        "evening"
    );
}

#[tokio::test]
async fn relationships_read_from_both_sides_without_self_links_or_duplicates() {
    let app = TestApp::spawn().await;
    let org = app.create_customer(star_river()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let boss = customer(&app, "刘总").await;
    let kid = customer(&app, "刘小明").await;
    let path = format!("/api/v1/customers/{boss}/relationships");
    let linked = app
        .post(
            &path,
            &json!({"kind": "key_person_of", "other_id": org, "title": "legal_representative"}),
        )
        .await;
    assert_eq!(linked.status, 201, "{}", linked.text);
    assert_eq!(linked.body["other_display_name"], "星河贸易");
    // Sent from the child's side, stored as the parent's.
    let family = app
        .post(
            &format!("/api/v1/customers/{kid}/relationships"),
            &json!({"kind": "child_of", "other_id": boss}),
        )
        .await;
    assert_eq!(family.status, 201, "{}", family.text);
    assert_eq!(family.body["kind"], "child_of");

    let from_org = app
        .get(&format!("/api/v1/customers/{org}/relationships"))
        .await;
    assert_eq!(from_org.body["data"][0]["kind"], "has_key_person");
    assert_eq!(from_org.body["data"][0]["title"], "legal_representative");
    assert_eq!(from_org.body["data"][0]["other_id"], boss.as_str());
    let from_boss = app.get(&path).await;
    let kinds: Vec<&str> = from_boss.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["key_person_of", "parent_of"]);

    app.post(&path, &json!({"kind": "key_person_of", "other_id": org}))
        .await
        .assert_problem(409, "conflict");
    app.post(&path, &json!({"kind": "parent_of", "other_id": kid}))
        .await
        .assert_problem(409, "conflict");
    app.post(&path, &json!({"kind": "spouse_of", "other_id": boss}))
        .await
        .assert_field_error(422, "other_id");
    app.post(&path, &json!({"kind": "spouse_of", "other_id": org}))
        .await
        .assert_field_error(422, "kind");
    app.post(
        &path,
        &json!({"kind": "spouse_of", "other_id": kid, "title": "owner"}),
    )
    .await
    .assert_field_error(422, "title");
    app.post(
        &path,
        &json!({"kind": "employee_of", "other_id": uuid::Uuid::now_v7()}),
    )
    .await
    .assert_field_error(422, "other_id");

    let link_id = linked.body["id"].as_str().unwrap();
    let removed = app
        .delete(
            &format!("/api/v1/customers/{org}/relationships/{link_id}"),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "either end may remove a link");
    assert_eq!(
        app.get(&path).await.body["data"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn points_balance_is_the_ledger_and_overdrawing_is_refused() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "马丽").await;
    let tier = app
        .send(
            app.client
                .put(format!("{}/api/v1/customers/{id}/loyalty", app.base))
                .json(&json!({"tier": "gold"})),
        )
        .await;
    assert_eq!(tier.status, 200, "{}", tier.text);
    assert_eq!(tier.body["tier"], "gold");
    let path = format!("/api/v1/customers/{id}/points");
    let earned = app
        .post(
            &path,
            &json!({"kind": "earn", "points": 1000, "reason": "购物"}),
        )
        .await;
    assert_eq!(earned.status, 201, "{}", earned.text);
    let redeemed = app
        .post(&path, &json!({"kind": "redeem", "points": 300}))
        .await;
    assert_eq!(redeemed.body["points"], -300);
    assert_eq!(redeemed.body["balance_after"], 700);
    let over = app
        .post(&path, &json!({"kind": "redeem", "points": 701}))
        .await;
    over.assert_field_error(422, "points");
    assert!(
        over.text.contains("exceeds_balance") && over.text.contains("700"),
        "{}",
        over.text
    );
    app.post(&path, &json!({"kind": "expire", "points": 0}))
        .await
        .assert_field_error(422, "points");
    app.post(&path, &json!({"kind": "adjust", "points": -800}))
        .await
        .assert_field_error(422, "points");
    let adjusted = app
        .post(&path, &json!({"kind": "adjust", "points": -200}))
        .await;
    assert_eq!(adjusted.body["balance_after"], 500);
    let loyalty = app.get(&format!("/api/v1/customers/{id}/loyalty")).await;
    assert_eq!(loyalty.body["balance"], 500);
    assert_eq!(
        app.get(&path).await.body["data"].as_array().unwrap().len(),
        3
    );

    let support = app.client_for(&app.user_token(Role::Support).await);
    let seen = app
        .send(support.get(format!("{}/api/v1/customers/{id}/loyalty", app.base)))
        .await;
    assert_eq!(seen.body["tier"], "gold");
    assert_eq!(seen.body["balance"], Value::Null, "points are financial");
    assert_eq!(seen.body["masked"], json!(["balance"]));
}

#[tokio::test]
async fn the_timeline_merges_every_kind_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "钱伟").await;
    let c = |p: &str| format!("/api/v1/customers/{id}/{p}");
    app.post(
        &c("orders"),
        &json!({"total": "10", "ordered_at": "2026-01-01T00:00:00Z"}),
    )
    .await;
    app.post(
        &c("interactions"),
        &json!({"type": "email", "occurred_at": "2026-01-02T00:00:00Z"}),
    )
    .await;
    app.post(
        &c("surveys"),
        &json!({"csat": 4, "answered_at": "2026-01-03T00:00:00Z"}),
    )
    .await;
    app.post(
        &c("complaints"),
        &json!({"category": "service", "severity": "low", "subject": "态度",
                                         "opened_at": "2026-01-04T00:00:00Z"}),
    )
    .await;
    app.post(&c("consents"), &json!({"channel": "email", "granted": true, "source": "web", "at": "2026-01-05T00:00:00Z"})).await;
    let kinds = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app.get(&c("timeline?limit=3")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(kinds(&first.body), ["consent", "complaint_event", "survey"]);
    assert_eq!(
        first.body["data"][1]["complaint_event"]["to_status"],
        "open"
    );
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&c(&format!("timeline?limit=3&cursor={cursor}")))
        .await;
    assert_eq!(kinds(&rest.body), ["interaction", "order"]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    assert_eq!(rest.body["data"][1]["order"]["total"], "10.00");
    let only = app.get(&c("timeline?types=order,survey")).await;
    assert_eq!(kinds(&only.body), ["survey", "order"]);
    app.get(&c("timeline?types=gossip"))
        .await
        .assert_field_error(400, "types");

    let support = app.client_for(&app.user_token(Role::Support).await);
    let seen = app
        .send(support.get(format!("{}{}", app.base, c("timeline?types=order"))))
        .await;
    assert_eq!(
        seen.body["data"][0]["order"]["total"],
        Value::Null,
        "the timeline renders through the policy"
    );
}

#[tokio::test]
async fn a_sales_user_sees_and_records_activity_only_for_their_own_customers() {
    let app = TestApp::spawn().await;
    let theirs = customer(&app, "别人的客户").await;
    app.post(
        &format!("/api/v1/customers/{theirs}/complaints"),
        &json!({"category": "other", "severity": "low", "subject": "x"}),
    )
    .await;
    app.post(
        &format!("/api/v1/customers/{theirs}/interactions"),
        &json!({"type": "call"}),
    )
    .await;
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let mine = app
        .send(
            sales
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("我的客户")),
        )
        .await;
    let mine = mine.body["id"].as_str().unwrap().to_owned();
    let call = app
        .send(
            sales
                .post(format!("{}/api/v1/customers/{mine}/interactions", app.base))
                .json(&json!({"type": "visit"})),
        )
        .await;
    assert_eq!(call.status, 201, "{}", call.text);
    for path in ["interactions", "complaints", "surveys"] {
        let list = app
            .send(sales.get(format!("{}/api/v1/{path}", app.base)))
            .await;
        assert!(
            list.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["customer_id"] == mine.as_str()),
            "{path}: {}",
            list.text
        );
    }
    for path in [
        "interactions",
        "complaints",
        "timeline",
        "consents",
        "relationships",
        "loyalty",
        "points",
        "stats",
        "orders",
    ] {
        let r = app
            .send(sales.get(format!("{}/api/v1/customers/{theirs}/{path}", app.base)))
            .await;
        r.assert_problem(404, "not_found");
    }
    let write = app
        .send(
            sales
                .post(format!("{}/api/v1/customers/{theirs}/consents", app.base))
                .json(&json!({"channel": "sms", "granted": true, "source": "x"})),
        )
        .await;
    write.assert_problem(404, "not_found");
    let link = app
        .send(
            sales
                .post(format!(
                    "{}/api/v1/customers/{mine}/relationships",
                    app.base
                ))
                .json(&json!({"kind": "partner_of", "other_id": theirs})),
        )
        .await;
    link.assert_field_error(422, "other_id");
}

#[tokio::test]
async fn concurrent_redemptions_never_spend_the_same_points_twice() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "并发").await;
    let path = format!("/api/v1/customers/{id}/points");
    app.post(&path, &json!({"kind": "earn", "points": 1000}))
        .await;
    let redeem = json!({"kind": "redeem", "points": 300});
    let attempts = (0..6).map(|_| app.post(&path, &redeem));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    for r in results.iter().filter(|r| r.status != 201) {
        r.assert_field_error(422, "points");
    }
    assert_eq!(ok, 3, "1000 points pay for three redemptions of 300");
    let balance = app.get(&format!("/api/v1/customers/{id}/loyalty")).await;
    assert_eq!(balance.body["balance"], 100);
}
