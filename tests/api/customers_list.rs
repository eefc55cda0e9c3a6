//! Listing: cursor pagination without gaps or repeats, every filter, sorting, bad parameters.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{TestApp, person};

/// Walk every page of `query` with `limit`, returning the ids in order.
async fn walk(app: &TestApp, query: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("/api/v1/customers?limit={limit}&{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let resp = app.get(&url).await;
        assert_eq!(resp.status, 200, "{url}: {}", resp.text);
        let page = resp.body["data"].as_array().unwrap();
        assert!(page.len() <= limit as usize);
        ids.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match resp.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

fn ids_of(resp: &crate::support::Resp) -> Vec<String> {
    resp.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_cover_every_customer_exactly_once_in_every_sort() {
    let app = TestApp::spawn().await;
    let names = [
        "delta", "Alpha", "charlie", "Bravo", "echo", "alpha", "golf", "foxtrot",
    ];
    let mut created = Vec::new();
    for i in 0..23 {
        let c = app
            .create_customer(person(&format!("{} {i:02}", names[i % names.len()])))
            .await;
        created.push(c["id"].as_str().unwrap().to_owned());
    }
    // Make updated_at differ from created_at order.
    app.patch(
        &format!("/api/v1/customers/{}", created[3]),
        &json!({"notes": "touched"}),
        None,
    )
    .await;

    for sort in [
        "-created_at",
        "created_at",
        "display_name",
        "-display_name",
        "updated_at",
        "-updated_at",
    ] {
        let ids = walk(&app, &format!("sort={sort}"), 5).await;
        assert_eq!(ids.len(), 23, "{sort}: every customer once");
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 23, "{sort}: no repeats");
        let single = ids_of(
            &app.get(&format!("/api/v1/customers?limit=200&sort={sort}"))
                .await,
        );
        assert_eq!(
            ids, single,
            "{sort}: pages concatenate to the one-page order"
        );
    }

    let newest_first = walk(&app, "", 7).await;
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(newest_first, expected, "default order is newest first");
    let oldest_first = walk(&app, "sort=created_at", 4).await;
    assert_eq!(oldest_first, created);

    let by_name = ids_of(
        &app.get("/api/v1/customers?limit=200&sort=display_name")
            .await,
    );
    let first = app.get(&format!("/api/v1/customers/{}", by_name[0])).await;
    assert!(
        first.body["display_name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with("alpha"),
        "names sort case-insensitively"
    );
}

#[tokio::test]
async fn the_default_page_is_50_and_the_last_page_has_no_cursor() {
    let app = TestApp::spawn().await;
    for i in 0..52 {
        app.create_customer(person(&format!("c{i}"))).await;
    }

    let first = app.get("/api/v1/customers").await;
    assert_eq!(first.body["data"].as_array().unwrap().len(), 50);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = app.get(&format!("/api/v1/customers?cursor={cursor}")).await;
    assert_eq!(second.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(second.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn out_of_range_limits_and_foreign_cursors_are_400() {
    let app = TestApp::spawn().await;
    app.create_customer(person("Ann")).await;

    for query in ["limit=0", "limit=201", "limit=abc", "limit=-1"] {
        app.get(&format!("/api/v1/customers?{query}"))
            .await
            .assert_field_error(400, "limit");
    }
    for cursor in ["garbage", "WyJ4Il0", "eyJhIjoxfQ"] {
        app.get(&format!("/api/v1/customers?cursor={cursor}"))
            .await
            .assert_field_error(400, "cursor");
    }
    app.get("/api/v1/customers?sort=phone")
        .await
        .assert_field_error(400, "sort");
    app.get("/api/v1/customers?deleted=maybe")
        .await
        .assert_field_error(400, "deleted");
}

#[tokio::test]
async fn a_cursor_from_another_sort_is_refused() {
    let app = TestApp::spawn().await;
    for name in ["a", "b", "c"] {
        app.create_customer(person(name)).await;
    }
    let page = app.get("/api/v1/customers?limit=1&sort=display_name").await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();

    app.get(&format!(
        "/api/v1/customers?cursor={cursor}&sort=created_at"
    ))
    .await
    .assert_field_error(400, "cursor");
}

async fn seed(app: &TestApp) -> Vec<Value> {
    let docs = [
        json!({"kind": "individual", "display_name": "王芳", "phone": "13912345678", "email": "wang.fang@example.com",
               "address": {"province": "浙江省", "city": "杭州市"}, "tags": ["vip"], "source": "web"}),
        json!({"kind": "individual", "display_name": "John Smith", "phone": "+1 650 253 0000", "email": "John.Smith@Example.org",
               "address": {"province": "California", "city": "Mountain View"}, "tags": ["newsletter"], "source": "event", "status": "inactive"}),
        json!({"kind": "organization", "display_name": "杭州云栖科技", "address": {"province": "浙江省", "city": "杭州市"},
               "tags": ["b2b", "vip"], "source": "partner"}),
        json!({"kind": "organization", "display_name": "Northwind Traders", "email": "sales@northwind.example.com",
               "address": {"province": "上海市", "city": "上海市"}, "tags": ["b2b"], "source": "web", "status": "blocked"}),
    ];
    let mut out = Vec::new();
    for doc in docs {
        out.push(app.create_customer(doc).await);
    }
    out
}

fn names(resp: &crate::support::Resp) -> Vec<String> {
    let mut names: Vec<String> = resp.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_filter_selects_exactly_the_matching_customers() {
    let app = TestApp::spawn().await;
    seed(&app).await;

    let cases: &[(&str, &[&str])] = &[
        ("kind=individual", &["John Smith", "王芳"]),
        ("kind=organization", &["Northwind Traders", "杭州云栖科技"]),
        ("tag=vip", &["杭州云栖科技", "王芳"]),
        ("tag=VIP", &["杭州云栖科技", "王芳"]),
        (
            "tag=b2b&kind=organization",
            &["Northwind Traders", "杭州云栖科技"],
        ),
        ("city=杭州市", &["杭州云栖科技", "王芳"]),
        ("province=浙江省&kind=individual", &["王芳"]),
        ("province=上海市", &["Northwind Traders"]),
        ("source=web", &["Northwind Traders", "王芳"]),
        ("source=partner", &["杭州云栖科技"]),
        ("status=active", &["杭州云栖科技", "王芳"]),
        ("status=inactive", &["John Smith"]),
        ("status=blocked", &["Northwind Traders"]),
        ("q=smith", &["John Smith"]),
        ("q=NORTHWIND", &["Northwind Traders"]),
        ("q=example.org", &["John Smith"]),
        ("q=云栖", &["杭州云栖科技"]),
        ("q=1234567", &["王芳"]),
        ("q=139 1234", &["王芳"]),
        ("q=nobody", &[]),
        ("q=100%25", &[]),
        (
            "tag=vip&city=杭州市&kind=individual&source=web&status=active&q=王",
            &["王芳"],
        ),
        ("owner_id=00000000-0000-7000-8000-000000000000", &[]),
    ];
    for (query, expected) in cases {
        let resp = app.get(&format!("/api/v1/customers?{query}")).await;
        assert_eq!(resp.status, 200, "{query}: {}", resp.text);
        let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(names(&resp), expected, "filter {query}");
    }
}

#[tokio::test]
async fn created_at_range_is_inclusive_after_and_exclusive_before() {
    let app = TestApp::spawn().await;
    let all = seed(&app).await;
    let second_created = all[1]["created_at"].as_str().unwrap().to_owned();
    let third_created = all[2]["created_at"].as_str().unwrap().to_owned();
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");

    let after = app
        .get(&format!(
            "/api/v1/customers?created_after={}",
            enc(&second_created)
        ))
        .await;
    assert_eq!(
        names(&after),
        vec!["John Smith", "Northwind Traders", "杭州云栖科技"]
    );
    let before = app
        .get(&format!(
            "/api/v1/customers?created_before={}",
            enc(&third_created)
        ))
        .await;
    assert_eq!(names(&before), vec!["John Smith", "王芳"]);
    let window = app
        .get(&format!(
            "/api/v1/customers?created_after={}&created_before={}",
            enc(&second_created),
            enc(&third_created)
        ))
        .await;
    assert_eq!(names(&window), vec!["John Smith"]);
    let future = app
        .get("/api/v1/customers?created_after=2999-01-01T00:00:00Z")
        .await;
    assert!(names(&future).is_empty());
}

#[tokio::test]
async fn bad_filter_values_name_the_parameter() {
    let app = TestApp::spawn().await;

    for (query, field) in [
        ("kind=robot", "kind"),
        ("source=tv", "source"),
        ("status=gone", "status"),
        ("owner_id=42", "owner_id"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2026-13-01", "created_before"),
    ] {
        app.get(&format!("/api/v1/customers?{query}"))
            .await
            .assert_field_error(400, field);
    }
}

#[tokio::test]
async fn a_list_with_include_stats_carries_what_stats_shows_each_role() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("常客")).await;
    let id = c["id"].as_str().unwrap();
    for total in ["12.50", "30"] {
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/orders"),
                &json!({"total": total, "status": "paid"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for role in [
        dossier::domain::Role::Admin,
        dossier::domain::Role::Support,
        dossier::domain::Role::Analyst,
    ] {
        let client = app.client_for(&app.user_token(role).await);
        let listed = app
            .send(client.get(format!(
                "{}/api/v1/customers?include=stats,scores",
                app.base
            )))
            .await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let item = &listed.body["data"][0];
        let alone = app
            .send(client.get(format!("{}/api/v1/customers/{id}/stats", app.base)))
            .await;
        assert_eq!(alone.status, 200, "{}", alone.text);
        assert_eq!(item["stats"], alone.body, "{role}: {}", listed.text);
        assert_eq!(item["stats"]["order_count"], 2, "{role}");
        assert!(item["scores"].is_object(), "{role}: {}", listed.text);
        if role == dossier::domain::Role::Support {
            // Support may not read financial values: the sum is withheld, as on its own.
            assert_ne!(
                item["stats"]["monetary_total"],
                json!("42.50"),
                "{}",
                listed.text
            );
        } else {
            assert_eq!(
                item["stats"]["monetary_total"],
                json!("42.50"),
                "{}",
                listed.text
            );
        }
    }
    // Without include (or with an empty one), neither is there; an unknown part is refused
    // by name.
    for path in ["/api/v1/customers", "/api/v1/customers?include="] {
        let plain = app.get(path).await;
        assert_eq!(plain.status, 200, "{path}: {}", plain.text);
        assert!(
            plain.body["data"][0].get("stats").is_none(),
            "{}",
            plain.text
        );
        assert!(
            plain.body["data"][0].get("scores").is_none(),
            "{}",
            plain.text
        );
    }
    app.get("/api/v1/customers?include=stats,bogus")
        .await
        .assert_field_error(400, "include");
}
