//! Data quality: standardisation on every write, duplicate candidates, the quality report.

use serde_json::json;

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
