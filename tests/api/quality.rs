//! Data quality: standardisation on every write, duplicate candidates, the quality report.

use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test]
async fn names_and_places_are_standardised_on_every_write() {
    let app = TestApp::spawn().await;
    let created = app
        .create_customer(json!({
            "kind": "organization", "display_name": "  ＡＢＣ　　贸易  ",
            "address": {"province": "shanghai", "city": "Shanghai"},
            "organization": {"legal_name": "ＡＢＣ 贸易（上海）有限公司"}
        }))
        .await;
    assert_eq!(created["display_name"], "ABC 贸易");
    assert_eq!(created["address"]["city"], "上海市");
    assert_eq!(created["address"]["province"], "上海市");
    assert_eq!(
        created["organization"]["legal_name"],
        "ABC 贸易(上海)有限公司"
    );
    let id = created["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &json!({"address": {"province": "广东", "city": "深圳"}}),
            None,
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["address"]["city"], "深圳市");
    assert_eq!(patched.body["address"]["province"], "广东省");
    // Any spelling finds it.
    for city in ["深圳", "深圳市", "Shenzhen"] {
        let found = app
            .send(
                app.client
                    .get(format!("{}/api/v1/customers", app.base))
                    .query(&[("city", city)]),
            )
            .await;
        assert_eq!(found.body["data"].as_array().unwrap().len(), 1, "{city}");
    }
    // Places abroad are kept as written, tidied.
    let abroad = app
        .create_customer(json!({
            "kind": "individual", "display_name": "Jane Roe",
            "address": {"country": "US", "province": " California ", "city": "Suzhou"}
        }))
        .await;
    assert_eq!(abroad["address"]["city"], "Suzhou");
    assert_eq!(abroad["address"]["province"], "California");
}

#[tokio::test]
async fn look_alike_customers_are_found_by_identifiers_and_similar_names() {
    let app = TestApp::spawn().await;
    let first = app.create_customer(crate::support::star_river()).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    // The same company, written differently: same phone in another format, a longer name.
    let second = app
        .post(
            "/api/v1/customers",
            &json!({"kind": "organization", "display_name": "星河贸易有限公司",
                    "phone": "021 6888 8888", "address": {"city": "深圳"}}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let hints = second.body["duplicate_candidates"].as_array().unwrap();
    assert_eq!(hints.len(), 1, "{}", second.text);
    assert_eq!(hints[0]["customer_id"], json!(first_id));
    assert_eq!(hints[0]["reasons"], json!(["same_phone", "similar_name"]));
    assert!(hints[0]["score"].as_f64().unwrap() > 0.9);
    let second_id = second.body["id"].as_str().unwrap().to_owned();
    // An unrelated customer has none.
    let other = app
        .post(
            "/api/v1/customers",
            &json!({"kind": "individual", "display_name": "王芳"}),
        )
        .await;
    assert!(
        other.body.get("duplicate_candidates").is_none(),
        "{}",
        other.text
    );

    // Strict mode refuses a third with the same credit code, and writes nothing.
    let before = app.get("/api/v1/customers?limit=200").await.body["data"]
        .as_array()
        .unwrap()
        .len();
    let strict = app
        .post(
            "/api/v1/customers?duplicates=strict",
            &json!({"kind": "organization", "display_name": "Galaxy Trading",
                    "organization": {"credit_code": "91350100M000100Y43"}}),
        )
        .await;
    strict.assert_problem(409, "duplicate_suspected");
    assert_eq!(strict.body["duplicates"], json!([first_id]));
    let after = app.get("/api/v1/customers?limit=200").await.body["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
    app.post(
        "/api/v1/customers?duplicates=maybe",
        &json!({"kind": "individual", "display_name": "x"}),
    )
    .await
    .assert_field_error(400, "duplicates");

    // Read from either side.
    let listed = app
        .get(&format!("/api/v1/customers/{first_id}/duplicates"))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["data"][0]["customer_id"], json!(second_id));
    // An analyst may not read phones: the phone match is not used for them.
    let analyst = app.client_for(&app.user_token(dossier::domain::Role::Analyst).await);
    let seen = app
        .send(analyst.get(format!(
            "{}/api/v1/customers/{first_id}/duplicates",
            app.base
        )))
        .await;
    assert_eq!(
        seen.body["data"][0]["reasons"],
        json!(["similar_name"]),
        "{}",
        seen.text
    );
    // A sales user who owns neither sees nothing.
    let sales = app.client_for(&app.user_token(dossier::domain::Role::Sales).await);
    let hidden = app
        .send(sales.get(format!(
            "{}/api/v1/customers/{first_id}/duplicates",
            app.base
        )))
        .await;
    hidden.assert_problem(404, "not_found");
    let gql = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { duplicates { customerId score reasons } } }",
            json!({"id": second_id}),
        )
        .await;
    assert_eq!(
        gql["data"]["customer"]["duplicates"][0]["customerId"],
        json!(first_id),
        "{gql}"
    );
}

#[tokio::test]
async fn the_data_quality_report_counts_gaps_shared_identifiers_and_consent() {
    let app = TestApp::spawn().await;
    let zhang = app.create_customer(crate::support::zhang_wei()).await;
    app.create_customer(crate::support::star_river()).await;
    app.create_customer(json!({"kind": "individual", "display_name": "无联系方式"}))
        .await;
    app.create_customer(json!({"kind": "organization", "display_name": "星河二号",
                               "phone": "021-6888 8888"}))
        .await;
    let consent = app
        .post(
            &format!(
                "/api/v1/customers/{}/consents",
                zhang["id"].as_str().unwrap()
            ),
            &json!({"channel": "email", "granted": true, "source": "web_form"}),
        )
        .await;
    assert_eq!(consent.status, 201, "{}", consent.text);
    let r = app.get("/api/v1/data-quality?stale_months=1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.body;
    assert_eq!(
        (
            r["customers"].as_i64(),
            r["individuals"].as_i64(),
            r["organizations"].as_i64()
        ),
        (Some(4), Some(2), Some(2))
    );
    let field = |name: &str| {
        r["completeness"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("phone")["filled"], 3);
    assert_eq!(field("phone")["share"], 0.75);
    assert_eq!(field("individual.birthday")["filled"], 1);
    assert_eq!(field("individual.birthday")["share"], 0.5);
    assert_eq!(field("organization.credit_code")["share"], 0.5);
    assert_eq!(r["without_contact"], 1);
    assert_eq!(r["invalid_contacts"], 0);
    assert_eq!(r["stale"], 0);
    let phone = r["shared_identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["field"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(
        (phone["groups"].as_i64(), phone["customers"].as_i64()),
        (Some(1), Some(2))
    );
    let email = r["consent_coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "email")
        .unwrap()
        .clone();
    assert_eq!(
        (email["customers"].as_i64(), email["share"].as_f64()),
        (Some(1), Some(0.25))
    );

    app.get("/api/v1/data-quality?stale_months=0")
        .await
        .assert_field_error(422, "stale_months");
    let support = app.client_for(&app.user_token(dossier::domain::Role::Support).await);
    app.send(support.get(format!("{}/api/v1/data-quality", app.base)))
        .await
        .assert_problem(403, "forbidden");
    let gql = app
        .graphql(
            "{ dataQuality { customers withoutContact sharedIdentifiers { field groups } } }",
            json!({}),
        )
        .await;
    assert_eq!(gql["data"]["dataQuality"]["customers"], 4, "{gql}");
}

#[tokio::test]
async fn customers_export_streams_through_the_policy_in_csv_and_ndjson() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        let mut c = crate::support::zhang_wei();
        c["display_name"] = json!(format!("张伟{i}"));
        c["phone"] = json!(format!("+86 138 0013 800{i}"));
        app.create_customer(c).await;
    }
    app.create_customer(crate::support::star_river()).await;
    let nd = app
        .send(
            app.client
                .get(format!("{}/api/v1/customers/export", app.base))
                .query(&[("format", "ndjson"), ("city", "上海")]),
        )
        .await;
    assert_eq!(nd.status, 200, "{}", nd.text);
    assert_eq!(nd.header("content-type"), "application/x-ndjson");
    let lines: Vec<serde_json::Value> = nd
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "only the Shanghai customers");
    assert!(
        lines
            .iter()
            .all(|c| c["phone"].as_str().is_some_and(|p| p.starts_with("+86")))
    );
    assert!(
        lines
            .iter()
            .all(|c| c["scores"]["lifecycle_stage"] == "prospect")
    );
    // The analyst's export: no contact details, and they are named as withheld.
    let analyst = app.client_for(&app.user_token(dossier::domain::Role::Analyst).await);
    let csv = app
        .send(analyst.get(format!("{}/api/v1/customers/export", app.base)))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.text.lines().count(), 5, "header and four customers");
    assert!(!csv.text.contains("+86"), "{}", csv.text);
    let nd = app
        .send(
            analyst
                .get(format!("{}/api/v1/customers/export", app.base))
                .query(&[("format", "ndjson")]),
        )
        .await;
    let first: serde_json::Value = serde_json::from_str(nd.text.lines().next().unwrap()).unwrap();
    assert!(first["phone"].is_null());
    assert!(
        first["masked"]
            .as_array()
            .unwrap()
            .contains(&json!("phone"))
    );
    let audit = app.get("/api/v1/audit?action=customers.exported").await;
    assert_eq!(
        audit.body["data"].as_array().unwrap().len(),
        3,
        "{}",
        audit.text
    );
    app.get("/api/v1/customers/export?format=xlsx")
        .await
        .assert_field_error(400, "format");
}

#[tokio::test]
async fn every_pair_sharing_an_identifier_is_listed_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for name in ["甲", "乙", "丙"] {
        let c = app
            .create_customer(json!({"kind": "individual", "display_name": name,
                                    "email": "Family@Example.com"}))
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    app.create_customer(
        json!({"kind": "individual", "display_name": "丁", "email": "solo@example.com"}),
    )
    .await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/duplicates?limit=2{cursor}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        for p in page.body["data"].as_array().unwrap() {
            assert_eq!(p["reasons"], json!(["same_email"]));
            seen.push((
                p["first_id"].as_str().unwrap().to_owned(),
                p["second_id"].as_str().unwrap().to_owned(),
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    // Three customers sharing one address make three pairs, each once, in order.
    let expected = vec![
        (ids[0].clone(), ids[1].clone()),
        (ids[0].clone(), ids[2].clone()),
        (ids[1].clone(), ids[2].clone()),
    ];
    assert_eq!(seen, expected);
    // Without contact clearance, e-mail matches are not used.
    let analyst = app.client_for(&app.user_token(dossier::domain::Role::Analyst).await);
    let none = app
        .send(analyst.get(format!("{}/api/v1/duplicates", app.base)))
        .await;
    assert_eq!(none.body["data"], json!([]));
    let gql = app
        .graphql(
            "{ duplicatePairs(first: 5) { data { reasons } nextCursor } }",
            json!({}),
        )
        .await;
    assert_eq!(
        gql["data"]["duplicatePairs"]["data"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{gql}"
    );
    app.get("/api/v1/duplicates?cursor=bogus")
        .await
        .assert_field_error(400, "cursor");
}

async fn put(app: &TestApp, path: &str, body: serde_json::Value) -> crate::support::Resp {
    app.send(app.client.put(format!("{}{path}", app.base)).json(&body))
        .await
}

#[tokio::test]
async fn a_merge_moves_every_record_and_leaves_the_old_id_resolvable() {
    let app = TestApp::spawn().await;
    let survivor = app
        .create_customer(json!({"kind": "individual", "display_name": "张伟",
                                "phone": "+8613800138000", "tags": ["vip"]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dup = app
        .create_customer(json!({"kind": "individual", "display_name": "张伟 (微信)",
                                "email": "wei@example.com", "tags": ["wechat"],
                                "address": {"city": "上海"}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let friend = app
        .create_customer(json!({"kind": "individual", "display_name": "李娜"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = |p: &str| format!("/api/v1/customers/{dup}/{p}");
    for (path, body) in [
        (d("orders"), json!({"total": "120", "status": "completed"})),
        (d("orders"), json!({"total": "80", "status": "completed"})),
        (
            d("interactions"),
            json!({"type": "call", "summary": "回访"}),
        ),
        (d("surveys"), json!({"nps": 9})),
        (
            d("complaints"),
            json!({"category": "service", "severity": "low", "subject": "慢"}),
        ),
        (
            d("consents"),
            json!({"channel": "sms", "granted": true, "source": "web"}),
        ),
        (d("points"), json!({"kind": "earn", "points": 500})),
        (
            d("relationships"),
            json!({"kind": "referred_by", "other_id": friend}),
        ),
        (
            d("relationships"),
            json!({"kind": "spouse_of", "other_id": survivor}),
        ),
    ] {
        let r = app.post(&path, &body).await;
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }
    assert_eq!(
        put(&app, &d("preferences"), json!({"categories": ["tea"]}))
            .await
            .status,
        200
    );
    assert_eq!(
        put(&app, &d("loyalty"), json!({"tier": "gold"}))
            .await
            .status,
        200
    );

    let merged = app
        .post(
            &format!("/api/v1/customers/{survivor}/merge"),
            &json!({"duplicates": [dup], "fields": {"display_name": dup}}),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.text);
    let m = &merged.body;
    assert_eq!(
        m["moved"],
        json!({"alerts": 0, "complaints": 1, "consent_events": 1, "interactions": 1,
               "loyalty_account": 1, "orders": 2, "points_entries": 1, "preferences": 1,
               "relationships": 1, "surveys": 1})
    );
    let s = &m["survivor"];
    assert_eq!(s["display_name"], "张伟 (微信)", "the chosen name");
    assert_eq!(s["phone"], "+8613800138000", "the survivor's own value");
    assert_eq!(
        s["email"], "wei@example.com",
        "a gap filled from the duplicate"
    );
    assert_eq!(s["address"]["city"], "上海市");
    assert_eq!(s["tags"], json!(["vip", "wechat"]));
    assert_eq!(s["version"], 2);
    assert_eq!(merged.header("etag"), "\"2\"");

    let c = |p: &str| format!("/api/v1/customers/{survivor}/{p}");
    assert_eq!(
        app.get(&c("orders")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let stats = app.get(&c("stats")).await.body;
    assert_eq!(
        (
            stats["order_count"].as_i64(),
            stats["monetary_total"].as_str()
        ),
        (Some(2), Some("200.00"))
    );
    assert_eq!(app.get(&c("loyalty")).await.body["balance"], 500);
    assert_eq!(app.get(&c("loyalty")).await.body["tier"], "gold");
    assert_eq!(
        app.get(&c("preferences")).await.body["categories"],
        json!(["tea"])
    );
    assert_eq!(
        app.get(&c("complaints")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let links = app.get(&c("relationships")).await.body;
    let links = links
        .as_array()
        .or(links["data"].as_array())
        .unwrap()
        .clone();
    assert_eq!(
        links.len(),
        1,
        "the spouse link to itself is gone: {links:?}"
    );
    assert_eq!(links[0]["kind"], "referred_by");
    let timeline = app.get(&c("timeline")).await.body;
    assert!(timeline["data"].as_array().unwrap().len() >= 5);

    // The merged-away id says where it went, everywhere.
    let gone = app.get(&format!("/api/v1/customers/{dup}")).await;
    gone.assert_problem(410, "merged");
    assert_eq!(gone.body["merged_into"], json!(survivor));
    app.get(&d("orders")).await.assert_problem(410, "merged");
    let gql = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { id } }",
            json!({"id": dup}),
        )
        .await;
    assert_eq!(gql["errors"][0]["extensions"]["code"], "MERGED", "{gql}");
    assert_eq!(
        gql["errors"][0]["extensions"]["mergedInto"],
        json!(survivor)
    );
    app.post(&format!("/api/v1/customers/{dup}/restore"), &json!({}))
        .await
        .assert_problem(409, "conflict");
    let audit = app.get("/api/v1/audit?action=customer.merged").await;
    assert_eq!(audit.body["data"][0]["customer_id"], json!(survivor));

    // Merging it again, or merging badly, is refused with the field named.
    let path = format!("/api/v1/customers/{survivor}/merge");
    for (body, field) in [
        (json!({"duplicates": [dup]}), "duplicates[0]"),
        (json!({"duplicates": [survivor]}), "duplicates[0]"),
        (json!({"duplicates": []}), "duplicates"),
        (json!({"duplicates": [friend, friend]}), "duplicates[1]"),
        (
            json!({"duplicates": [friend], "fields": {"religion": friend}}),
            "fields.religion",
        ),
        (
            json!({"duplicates": [friend], "fields": {"phone": uuid::Uuid::now_v7()}}),
            "fields.phone",
        ),
    ] {
        app.post(&path, &body).await.assert_field_error(422, field);
    }
    let stale = app
        .send(
            app.client
                .post(format!("{}{path}", app.base))
                .header("if-match", "\"1\"")
                .json(&json!({"duplicates": [friend]})),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    // A sales user cannot reach another owner's customers to merge them.
    let sales = app.client_for(&app.user_token(dossier::domain::Role::Sales).await);
    let mine = app
        .send(
            sales
                .post(format!("{}/api/v1/customers", app.base))
                .json(&json!({"kind": "individual", "display_name": "我的"})),
        )
        .await;
    let mine = mine.body["id"].as_str().unwrap().to_owned();
    let r = app
        .send(
            sales
                .post(format!("{}/api/v1/customers/{mine}/merge", app.base))
                .json(&json!({"duplicates": [friend]})),
        )
        .await;
    r.assert_field_error(422, "duplicates[0]");
}

#[tokio::test]
async fn an_export_longer_than_a_page_has_every_customer_once() {
    let app = TestApp::spawn().await;
    for i in 0..205 {
        app.create_customer(json!({"kind": "individual", "display_name": format!("客户{i:03}")}))
            .await;
    }
    let nd = app.get("/api/v1/customers/export?format=ndjson").await;
    assert_eq!(nd.status, 200);
    let ids: std::collections::BTreeSet<String> = nd
        .text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(nd.text.lines().count(), 205);
    assert_eq!(ids.len(), 205);
    let csv = app.get("/api/v1/customers/export").await;
    assert_eq!(
        csv.text.lines().count(),
        206,
        "one header, then every customer"
    );
    assert_eq!(csv.text.lines().filter(|l| l.starts_with("id,")).count(), 1);
}

#[tokio::test]
async fn customers_written_before_the_rules_are_restandardised_and_audited() {
    use entity::customer;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let old = app.create_customer(crate::support::zhang_wei()).await;
    let broken = app
        .create_customer(json!({"kind": "individual", "display_name": "旧数据"}))
        .await;
    let untouched = app
        .create_customer(json!({"kind": "individual", "display_name": "新数据"}))
        .await;
    // Rows as an older version (or another tool) left them in the database.
    let db = &app.state.db;
    let quote = |v: &Value| v.as_str().unwrap().to_owned();
    let uuid = |v: &Value| uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap();
    customer::Entity::update_many()
        .col_expr(customer::Column::DisplayName, Expr::value("  张　伟 "))
        .col_expr(customer::Column::Phone, Expr::value("138 0013 8000"))
        .col_expr(customer::Column::Email, Expr::value("ZW@Example.COM"))
        .col_expr(customer::Column::AddrCity, Expr::value("Shanghai"))
        .col_expr(customer::Column::AddrProvince, Expr::value("上海"))
        .filter(customer::Column::Id.eq(uuid(&old["id"])))
        .exec(db)
        .await
        .unwrap();
    customer::Entity::update_many()
        .col_expr(customer::Column::Email, Expr::value("not-an-address"))
        .filter(customer::Column::Id.eq(uuid(&broken["id"])))
        .exec(db)
        .await
        .unwrap();
    let path = "/api/v1/data-quality/standardise";
    // Only admins.
    let manager = app.client_for(&app.user_token(dossier::domain::Role::Manager).await);
    app.send(manager.post(format!("{}{path}", app.base)))
        .await
        .assert_problem(403, "forbidden");
    // A dry run says what would change and changes nothing.
    let dry = app.post(&format!("{path}?dry_run=true"), &json!({})).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["checked"], 3);
    assert_eq!(dry.body["changed"], 1);
    assert_eq!(dry.body["refused"], 1);
    let id = quote(&old["id"]);
    let before = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(before.body["address"]["city"], "Shanghai");
    // The real run writes the standard forms, bumps the version and audits the change.
    let done = app.post(path, &json!({})).await;
    assert_eq!(done.body["changed"], 1, "{}", done.text);
    assert_eq!(
        done.body["refused_customers"][0]["customer_id"],
        broken["id"]
    );
    assert_eq!(
        done.body["refused_customers"][0]["errors"][0]["field"],
        "email"
    );
    let after = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(after.body["display_name"], "张 伟");
    assert_eq!(after.body["phone"], "+8613800138000");
    assert_eq!(after.body["email"], "zw@example.com");
    assert_eq!(after.body["address"]["city"], "上海市");
    assert_eq!(after.body["address"]["province"], "上海市");
    assert_eq!(after.body["version"], old["version"].as_i64().unwrap() + 1);
    let audit = app
        .get(&format!(
            "/api/v1/audit?customer_id={id}&action=customer.updated"
        ))
        .await;
    assert_eq!(
        audit.body["data"][0]["reason"], "standardise",
        "{}",
        audit.text
    );
    // Nothing else moved; a second run finds nothing to do.
    let same = app
        .get(&format!("/api/v1/customers/{}", quote(&untouched["id"])))
        .await;
    assert_eq!(same.body["version"], untouched["version"]);
    let again = app.post(path, &json!({})).await;
    assert_eq!(again.body["changed"], 0);
}

#[tokio::test]
async fn a_shared_phone_is_found_however_many_namesakes_share_the_city() {
    let app = TestApp::spawn().await;
    // 250 customers in one city whose names start alike fill the similar-name block.
    let mut file = String::from("姓名,城市\n");
    for i in 0..250 {
        file.push_str(&format!("王 m{i:04},上海\n"));
    }
    let started = app
        .send(
            app.client
                .post(format!("{}/api/v1/imports", app.base))
                .query(&[("kind", "customers")])
                .header("content-type", "text/csv")
                .body(file),
        )
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let id = started.body["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let job = app.get(&format!("/api/v1/imports/{id}")).await;
        if job.body["status"] == "completed" {
            assert_eq!(job.body["created"], 250);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first = app
        .create_customer(json!({"kind": "individual", "display_name": "王 Alpha",
            "phone": "13800138000", "address": {"city": "上海"}}))
        .await;
    let second = app
        .create_customer(json!({"kind": "individual", "display_name": "王 Zulu",
            "phone": "+86 138 0013 8000", "address": {"city": "上海"}}))
        .await;
    let found = app
        .get(&format!(
            "/api/v1/customers/{}/duplicates",
            second["id"].as_str().unwrap()
        ))
        .await;
    let data = found.body["data"].as_array().unwrap();
    assert_eq!(data[0]["customer_id"], first["id"], "{}", found.text);
    assert_eq!(data[0]["reasons"], json!(["same_phone"]));
}
