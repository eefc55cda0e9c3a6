//! Segments over profile fields and scores: members, counts, CSV export through the policy,
//! the snapshot they read, and the validation report over the API.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::scores::buyers;
use crate::support::{Resp, TestApp, person};

/// 40 buyers (half of them in 上海市, half in 北京市) and a fitted model with a snapshot.
pub(crate) async fn scored(app: &TestApp) {
    buyers(app, 0).await;
    let all = app.get("/api/v1/customers?limit=200").await.body["data"]
        .as_array()
        .unwrap()
        .clone();
    for (i, c) in all.iter().enumerate() {
        let city = if i % 2 == 0 { "上海市" } else { "北京市" };
        let r = app
            .patch(
                &format!("/api/v1/customers/{}", c["id"].as_str().unwrap()),
                &json!({"address": {"province": city, "city": city}, "tags": [if i % 3 == 0 { "vip" } else { "std" }]}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let fit = app.post("/api/v1/scores/fit", &json!({})).await;
    assert_eq!(fit.status, 200, "{}", fit.text);
    assert_eq!(fit.body["fit"]["status"], "fitted", "{}", fit.text);
    assert_eq!(fit.body["snapshot"]["customers"], 40);
}

/// Every customer with its scores, as the admin sees them.
pub(crate) async fn everyone(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/customers?limit=200&include=scores")
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = list
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Follow `next_cursor` through every page of members.
async fn all_members(app: &TestApp, id: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!(
                "/api/v1/segments/{id}/members?limit={limit}{cursor}"
            ))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["data"].as_array().unwrap();
        assert!(items.len() <= limit);
        assert!(page.body["snapshot_at"].is_string());
        out.extend(items.iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

#[tokio::test]
async fn a_segment_of_at_risk_high_grade_customers_in_shanghai() {
    let app = TestApp::spawn().await;
    scored(&app).await;
    let filter = json!([
        {"field": "churn_risk", "op": "gt", "value": 0.3},
        {"field": "grade", "op": "in", "value": ["B", "c"]},
        {"field": "city", "op": "eq", "value": "上海"}
    ]);
    let created = app
        .post(
            "/api/v1/segments",
            &json!({"name": "上海的高风险B/C级客户", "filter": filter}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.header("location").starts_with("/api/v1/segments/"));
    assert_eq!(created.header("etag"), "\"1\"");
    let id = created.body["id"].as_str().unwrap().to_owned();

    // The members are exactly the customers whose scores satisfy every condition.
    let expected: Vec<Value> = everyone(&app)
        .await
        .into_iter()
        .filter(|c| {
            let s = &c["scores"];
            s["churn"]["risk"].as_f64().is_some_and(|r| r > 0.3)
                && ["B", "C"].contains(&s["grade"].as_str().unwrap_or(""))
                && c["address"]["city"] == "上海市"
        })
        .collect();
    assert!(!expected.is_empty(), "the data has such customers");
    assert_eq!(created.body["member_count"], expected.len());
    let members = all_members(&app, &id, 2).await;
    assert_eq!(ids(&members), ids(&expected));
    assert!(
        members
            .iter()
            .all(|m| m["scores"]["churn"]["risk"].is_number())
    );

    // GraphQL reads the same segment.
    let gql = app
        .graphql(
            r#"query($id: UUID!) { segment(id: $id) { name memberCount snapshotAt
                 members(first: 50) { nodes { id churn { risk } grade } } } }"#,
            json!({"id": id}),
        )
        .await;
    assert!(gql["errors"].is_null(), "{gql}");
    let seg = &gql["data"]["segment"];
    assert_eq!(seg["memberCount"], expected.len());
    assert_eq!(
        ids(seg["members"]["nodes"].as_array().unwrap()),
        ids(&expected)
    );

    // The export has a header and one row per member, in full for the admin.
    let csv = app.get(&format!("/api/v1/segments/{id}/export")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("id,kind,display_name,phone,email"));
    assert_eq!(lines.len(), expected.len() + 1, "{}", csv.text);
    assert!(lines[1..].iter().all(|l| l.contains("上海市")));

    // Tags and other profile fields combine with scores.
    let vip = app
        .post(
            "/api/v1/segments",
            &json!({"name": "vip", "filter": [
                {"field": "tag", "op": "eq", "value": "VIP"},
                {"field": "lifecycle_stage", "op": "ne", "value": "prospect"}]}),
        )
        .await;
    assert_eq!(vip.status, 201, "{}", vip.text);
    let tagged = everyone(&app)
        .await
        .into_iter()
        .filter(|c| c["tags"].as_array().unwrap().contains(&json!("vip")))
        .count();
    assert_eq!(vip.body["member_count"], tagged);
    let list = app.get("/api/v1/segments").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn exports_and_filters_follow_each_roles_clearance() {
    let app = TestApp::spawn().await;
    scored(&app).await;
    // Give every customer contact details, so withholding them shows.
    for c in everyone(&app).await {
        app.patch(
            &format!("/api/v1/customers/{}", c["id"].as_str().unwrap()),
            &json!({"email": "someone@example.com", "phone": "+8613800138000"}),
            None,
        )
        .await;
    }
    let seg = app
        .post(
            "/api/v1/segments",
            &json!({"name": "valuable", "filter": [{"field": "grade", "op": "eq", "value": "A"}]}),
        )
        .await;
    let id = seg.body["id"].as_str().unwrap().to_owned();
    let count = seg.body["member_count"].as_u64().unwrap();
    assert!(count > 0);

    // The analyst may filter by grade (financial) and sees no contact details.
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let csv = app
        .send(analyst.get(format!("{}/api/v1/segments/{id}/export", app.base)))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let rows: Vec<Vec<String>> = csv
        .text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len() as u64, count);
    for row in &rows {
        assert_eq!(row[3], "", "phone withheld: {row:?}");
        assert_eq!(row[4], "", "email withheld: {row:?}");
        assert_eq!(row[11], "A", "grade visible: {row:?}");
        assert!(!row[16].is_empty(), "monetary visible: {row:?}");
    }
    let admin_csv = app.get(&format!("/api/v1/segments/{id}/export")).await;
    assert!(admin_csv.text.contains("+8613800138000"));
    // Both exports are in the audit log, with who took them.
    let audit = app.get("/api/v1/audit?action=segment.exported").await;
    let events = audit.body["data"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", audit.text);
    assert!(
        events
            .iter()
            .all(|e| e["details"]["segment_id"] == json!(id))
    );
    assert_ne!(events[0]["actor"], events[1]["actor"], "{}", audit.text);
    assert!(events.iter().all(|e| e["details"]["rows"] == json!(count)));
    // Five exports per caller per hour: the admin has four more, then waits.
    for _ in 0..4 {
        let r = app.get(&format!("/api/v1/segments/{id}/export")).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let throttled = app.get(&format!("/api/v1/segments/{id}/export")).await;
    throttled.assert_problem(429, "rate_limited");
    assert!(throttled.header("retry-after").parse::<u64>().unwrap() > 0);

    // Support may not read grades: the segment, its members and its export are refused,
    // and so is a new segment on grade.
    let support = app.client_for(&app.user_token(Role::Support).await);
    for path in ["", "/members", "/export"] {
        let r = app
            .send(support.get(format!("{}/api/v1/segments/{id}{path}", app.base)))
            .await;
        r.assert_problem(403, "forbidden");
        assert!(r.text.contains("grade"), "{}", r.text);
    }
    let listed = app
        .send(support.get(format!("{}/api/v1/segments", app.base)))
        .await;
    assert_eq!(listed.body["data"], json!([]));
    let refused = app
        .send(support.post(format!("{}/api/v1/segments", app.base)).json(
            &json!({"name": "x", "filter": [{"field": "lifetime_value", "op": "gt", "value": 1}]}),
        ))
        .await;
    refused.assert_problem(403, "forbidden");

    // A sales user sees only their own customers among the members: none here.
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let mine = app
        .send(sales.get(format!("{}/api/v1/segments/{id}", app.base)))
        .await;
    assert_eq!(mine.body["member_count"], 0, "{}", mine.text);
    // …and cannot change another user's segment.
    let r = app
        .send(sales.delete(format!("{}/api/v1/segments/{id}", app.base)))
        .await;
    r.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn score_conditions_read_the_snapshot_until_it_is_refreshed() {
    let app = TestApp::spawn().await;
    scored(&app).await;
    let seg = app
        .post(
            "/api/v1/segments",
            &json!({"name": "prospects", "filter": [{"field": "lifecycle_stage", "op": "eq", "value": "prospect"}]}),
        )
        .await;
    assert_eq!(seg.body["member_count"], 0);
    let id = seg.body["id"].as_str().unwrap().to_owned();
    app.create_customer(person("新来的")).await;
    let before = app.get(&format!("/api/v1/segments/{id}")).await;
    assert_eq!(before.body["member_count"], 0, "not in the snapshot yet");
    let snap = app.get("/api/v1/scores/snapshot").await;
    assert_eq!(snap.body["customers"], 40);
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let refreshed = app
        .send(analyst.post(format!("{}/api/v1/scores/snapshot", app.base)))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(refreshed.body["customers"], 41);
    let after = app.get(&format!("/api/v1/segments/{id}")).await;
    assert_eq!(after.body["member_count"], 1);
    assert!(
        after.body["snapshot_at"].as_str() > before.body["snapshot_at"].as_str(),
        "{} {}",
        after.text,
        before.text
    );
    // Only admins and managers fit models.
    let r = app
        .send(
            analyst
                .post(format!("{}/api/v1/scores/fit", app.base))
                .json(&json!({})),
        )
        .await;
    r.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn bad_segments_are_refused_with_the_rule_and_the_field() {
    let app = TestApp::spawn().await;
    let post = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/segments", &body).await }
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([{"field": "shoe_size", "op": "eq", "value": 42}]),
            "filter[0].field",
        ),
        (
            json!([{"field": "city", "op": "gt", "value": "上海"}]),
            "filter[0].op",
        ),
        (
            json!([{"field": "churn_risk", "op": "in", "value": [0.5]}]),
            "filter[0].op",
        ),
        (
            json!([{"field": "churn_risk", "op": "gt", "value": "high"}]),
            "filter[0].value",
        ),
        (
            json!([{"field": "grade", "op": "eq", "value": "E"}]),
            "filter[0].value",
        ),
        (
            json!([{"field": "lifecycle_stage", "op": "in", "value": []}]),
            "filter[0].value",
        ),
        (
            json!([{"field": "owner_id", "op": "eq", "value": "nobody"}]),
            "filter[0].value",
        ),
        (json!([]), "filter"),
    ];
    for (filter, field) in cases {
        let r: Resp = post(json!({"name": "bad", "filter": filter})).await;
        r.assert_field_error(422, field);
    }
    let r =
        post(json!({"name": "", "filter": [{"field": "kind", "op": "eq", "value": "individual"}]}))
            .await;
    r.assert_field_error(422, "name");
    let r =
        post(json!({"name": "x", "filter": [{"field": "kind", "op": "like", "value": "i"}]})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let ok = post(
        json!({"name": "个人", "filter": [{"field": "kind", "op": "eq", "value": "individual"}]}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let dup = post(
        json!({"name": "个人", "filter": [{"field": "kind", "op": "eq", "value": "individual"}]}),
    )
    .await;
    dup.assert_problem(409, "conflict");
    let id = ok.body["id"].as_str().unwrap();
    let stale = app
        .send(
            app.client
                .put(format!("{}/api/v1/segments/{id}", app.base))
                .header("if-match", "\"7\"")
                .json(&json!({"name": "个人", "filter": [{"field": "kind", "op": "eq", "value": "organization"}]})),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    let gql = app
        .graphql(
            r#"mutation { createSegment(input: {name: "g", filter: [{field: "nope", op: EQ, value: 1}]}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        gql["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{gql}"
    );
    app.get("/api/v1/segments/not-a-uuid")
        .await
        .assert_field_error(400, "id");
    app.get(&format!("/api/v1/segments/{}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_validation_report_is_served_over_the_api() {
    let app = TestApp::spawn().await;
    let actual = buyers(&app, 120).await;
    let today = chrono::Utc::now().date_naive();
    let calibration_end = today - chrono::Duration::days(120);
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let r = app
        .send(
            analyst
                .post(format!("{}/api/v1/scores/validation", app.base))
                .json(&json!({"calibration_end": calibration_end, "holdout_end": today})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["actual_total"].as_f64().unwrap() as usize, actual);
    assert!(r.body["predicted_total"].as_f64().unwrap() > 0.0);
    assert!(r.body["by_frequency"].as_array().unwrap().len() > 1);
    let wrong = app
        .post(
            "/api/v1/scores/validation",
            &json!({"calibration_end": today, "holdout_end": calibration_end}),
        )
        .await;
    wrong.assert_field_error(422, "holdout_end");
    let gql = app
        .graphql(
            "query($c: Date!, $h: Date!) { scoreValidation(calibrationEnd: $c, holdoutEnd: $h) { actualTotal mae byFrequency { calibrationRepeatPurchases customers } } }",
            json!({"c": calibration_end, "h": today}),
        )
        .await;
    assert!(gql["errors"].is_null(), "{gql}");
    assert_eq!(
        gql["data"]["scoreValidation"]["actualTotal"],
        r.body["actual_total"]
    );
    let support = app.client_for(&app.user_token(Role::Support).await);
    let r = app
        .send(
            support
                .post(format!("{}/api/v1/scores/validation", app.base))
                .json(&json!({"calibration_end": calibration_end, "holdout_end": today})),
        )
        .await;
    r.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn the_overview_counts_the_base_and_sums_revenue() {
    let app = TestApp::spawn().await;
    scored(&app).await;
    let all = everyone(&app).await;
    let o = app.get("/api/v1/overview?months=13&top=5").await;
    assert_eq!(o.status, 200, "{}", o.text);
    let o = o.body;
    assert_eq!(o["customers"], 40);
    let total = |key: &str| -> i64 {
        o[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["customers"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(total("by_lifecycle_stage"), 40);
    assert_eq!(total("by_grade"), 40);
    assert_eq!(total("by_rfm_segment"), 40);
    assert_eq!(total("churn_risk_histogram"), 40, "every buyer has a risk");
    let grade_a = all.iter().filter(|c| c["scores"]["grade"] == "A").count() as i64;
    let listed_a = o["by_grade"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "A")
        .map_or(0, |b| b["customers"].as_i64().unwrap());
    assert_eq!(listed_a, grade_a);
    let top = o["top_lifetime_value"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    let values: Vec<f64> = top
        .iter()
        .map(|t| t["lifetime_value"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    // Every counted order lies within the last 13 months: revenue adds up to the spend.
    let revenue: f64 = o["revenue_by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revenue"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    let spend: f64 = all
        .iter()
        .map(|c| {
            c["scores"]["rfm"]["monetary"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!((revenue - spend).abs() < 0.01, "{revenue} vs {spend}");
    assert!(
        o["revenue_by_month"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["revenue"]
                .as_str()
                .unwrap()
                .split('.')
                .nth(1)
                .map(str::len)
                == Some(2)),
        "two decimals: {o}"
    );
    assert!(
        o["revenue_by_month"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["month"].as_str().unwrap().len() == 7 && r["channel"].is_string())
    );

    // Support sees the stages and risks, not the money.
    let support = app.client_for(&app.user_token(Role::Support).await);
    let s = app
        .send(support.get(format!("{}/api/v1/overview", app.base)))
        .await
        .body;
    assert!(s["by_grade"].is_null() && s["revenue_by_month"].is_null());
    assert!(s["top_lifetime_value"].is_null());
    assert_eq!(s["masked"].as_array().unwrap().len(), 4);
    assert_eq!(s["customers"], 40);
    // A sales user owns none of these customers.
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let mine = app
        .send(sales.get(format!("{}/api/v1/overview", app.base)))
        .await
        .body;
    assert_eq!(mine["customers"], 0);
    assert_eq!(mine["revenue_by_month"], json!([]));

    app.get("/api/v1/overview?months=0")
        .await
        .assert_field_error(422, "months");
    app.get("/api/v1/overview?top=many")
        .await
        .assert_field_error(400, "top");
    let gql = app
        .graphql(
            "{ overview(top: 3) { customers byLifecycleStage { key customers } topLifetimeValue { displayName lifetimeValue } churnRiskHistogram { from customers } } }",
            json!({}),
        )
        .await;
    assert!(gql["errors"].is_null(), "{gql}");
    assert_eq!(gql["data"]["overview"]["customers"], 40);
    assert_eq!(
        gql["data"]["overview"]["topLifetimeValue"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn exports_carry_contact_details_only_for_managers() {
    let app = TestApp::spawn().await;
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let mine = app
        .send(
            sales
                .post(format!("{}/api/v1/customers", app.base))
                .json(&crate::support::zhang_wei()),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    assert_eq!(
        mine.body["phone"], "+8613800138000",
        "sales read contact details"
    );
    let formula = app
        .send(
            sales
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("=HYPERLINK(\"http://evil.example/\",\"x\")")),
        )
        .await;
    assert_eq!(formula.status, 201, "{}", formula.text);
    let seg = app
        .send(sales.post(format!("{}/api/v1/segments", app.base)).json(
            &json!({"name": "mine", "filter": [{"field": "kind", "op": "eq", "value": "individual"}]}),
        ))
        .await;
    assert_eq!(seg.status, 201, "{}", seg.text);
    assert_eq!(seg.body["member_count"], 2);
    let id = seg.body["id"].as_str().unwrap();
    let csv = app
        .send(sales.get(format!("{}/api/v1/segments/{id}/export", app.base)))
        .await;
    // A name a spreadsheet would run as a formula is exported as text.
    assert!(
        csv.text
            .contains("\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\""),
        "{}",
        csv.text
    );
    let line = csv.text.lines().find(|l| l.contains("张伟")).unwrap();
    let row: Vec<&str> = line.split(',').collect();
    assert_eq!(row[2], "张伟");
    assert_eq!(
        (row[3], row[4]),
        ("", ""),
        "no phone or e-mail in a sales export"
    );
    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let csv = app
        .send(manager.get(format!("{}/api/v1/segments/{id}/export", app.base)))
        .await;
    let line = csv.text.lines().find(|l| l.contains("张伟")).unwrap();
    let row: Vec<&str> = line.split(',').collect();
    assert_eq!(
        (row[3], row[4]),
        ("+8613800138000", "zhang.wei@example.com")
    );
}
