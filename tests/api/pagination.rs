//! Relay connections page backwards (`last`/`before`) as well as forwards, the same items in
//! the same order either way; the two directions cannot be mixed.

use serde_json::{Value, json};

use crate::support::{TestApp, person};

/// One page of a connection: its node ids and page info.
struct Read {
    ids: Vec<String>,
    info: Value,
}

/// Read `field(args…)` with the paging arguments; `extra` adds arguments such as a filter.
/// A connection of an object is named `object(args).field`.
async fn read(app: &TestApp, field: &str, extra: &str, paging: Value) -> Read {
    let (outer, inner) = field.split_once(").").map_or(("", field), |(o, i)| (o, i));
    let connection = format!(
        "{inner}(first: $first, after: $after, last: $last, before: $before{extra}) {{
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
            edges {{ cursor node {{ id }} }} }}"
    );
    let selection = if outer.is_empty() {
        connection
    } else {
        format!("{outer}) {{ {connection} }}")
    };
    let query = format!(
        "query($first: Int, $after: String, $last: Int, $before: String) {{ {selection} }}"
    );
    let doc = app.graphql(&query, paging).await;
    assert_eq!(doc["errors"], Value::Null, "{field}: {doc}");
    let data = &doc["data"];
    let conn = match outer.split_once('(') {
        Some((object, _)) => &data[object][inner],
        None => &data[inner],
    };
    let edges = conn["edges"].as_array().unwrap();
    let info = conn["pageInfo"].clone();
    assert_eq!(
        info["startCursor"],
        edges.first().map_or(Value::Null, |e| e["cursor"].clone())
    );
    assert_eq!(
        info["endCursor"],
        edges.last().map_or(Value::Null, |e| e["cursor"].clone())
    );
    Read {
        ids: edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect(),
        info,
    }
}

/// Page through a connection of `total` items three at a time forwards, then backwards
/// from the last page's `endCursor` and from the end of the list: every walk yields the
/// same items in the same order, with the page flags right at both ends. With one item on
/// the last page, the pages before its `endCursor` are the forward pages but the last.
async fn walk_both_ways(app: &TestApp, field: &str, extra: &str, total: usize) -> Vec<String> {
    assert_eq!(total % 3, 1, "one item on the last page");
    // Forwards.
    let mut forward: Vec<Vec<String>> = Vec::new();
    let mut after = Value::Null;
    let last_end = loop {
        let page = read(app, field, extra, json!({"first": 3, "after": after})).await;
        assert_eq!(
            page.info["hasPreviousPage"],
            !after.is_null(),
            "{field}: {}",
            page.info
        );
        forward.push(page.ids);
        if page.info["hasNextPage"] == false {
            break page.info["endCursor"].clone();
        }
        after = page.info["endCursor"].clone();
        assert!(forward.len() <= total, "{field}: no end forwards");
    };
    let all: Vec<String> = forward.concat();
    assert_eq!(all.len(), total, "{field}: {forward:?}");
    assert_eq!(forward.len(), total.div_ceil(3));

    // Backwards from the last endCursor: the forward pages before the last one, in turn.
    let mut before = last_end;
    for expected in forward[..forward.len() - 1].iter().rev() {
        let page = read(app, field, extra, json!({"last": 3, "before": before})).await;
        assert_eq!(&page.ids, expected, "{field}: backwards before {before}");
        assert_eq!(page.info["hasNextPage"], true, "{field}: {}", page.info);
        let first_page = std::ptr::eq(expected, &forward[0]);
        assert_eq!(
            page.info["hasPreviousPage"], !first_page,
            "{field}: {}",
            page.info
        );
        before = page.info["startCursor"].clone();
    }
    // Nothing lies before the first item.
    let page = read(app, field, extra, json!({"last": 3, "before": before})).await;
    assert!(page.ids.is_empty(), "{field}: {:?}", page.ids);
    assert_eq!(page.info["hasPreviousPage"], false);

    // Backwards from the end of the list: the last items, then those before them.
    let mut backward: Vec<Vec<String>> = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = read(app, field, extra, json!({"last": 3, "before": before})).await;
        assert_eq!(
            page.info["hasNextPage"],
            !before.is_null(),
            "{field}: {}",
            page.info
        );
        backward.push(page.ids);
        if page.info["hasPreviousPage"] == false {
            break;
        }
        before = page.info["startCursor"].clone();
        assert!(backward.len() <= total, "{field}: no start backwards");
    }
    assert_eq!(backward[0], all[total - 3..], "{field}: the last page");
    backward.reverse();
    assert_eq!(
        backward.concat(),
        all,
        "{field}: backwards reads the same list"
    );
    all
}

#[tokio::test]
async fn customers_page_backwards_in_the_order_they_page_forwards() {
    let app = TestApp::spawn().await;
    // Created out of name order, so that name order and creation order differ.
    let mut by_name = Vec::new();
    for name in ["p3", "p0", "p6", "p1", "p5", "p2", "p4"] {
        let c = app.create_customer(person(name)).await;
        by_name.push((name, c["id"].as_str().unwrap().to_owned()));
    }
    let created: Vec<String> = by_name.iter().map(|(_, id)| id.clone()).collect();
    by_name.sort();

    let newest_first = walk_both_ways(&app, "customers", "", 7).await;
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(newest_first, expected, "newest first by default");

    let by_display_name = walk_both_ways(
        &app,
        "customers",
        ", orderBy: {field: DISPLAY_NAME, direction: ASC}",
        7,
    )
    .await;
    let expected: Vec<String> = by_name.into_iter().map(|(_, id)| id).collect();
    assert_eq!(by_display_name, expected, "by name");

    let oldest_first = walk_both_ways(
        &app,
        "customers",
        ", orderBy: {field: CREATED_AT, direction: ASC}",
        7,
    )
    .await;
    assert_eq!(oldest_first, created);
}

#[tokio::test]
async fn records_page_backwards_in_the_order_they_page_forwards() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("p")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Seven orders at the same instant: only the id orders them, both ways.
    for i in 0..7 {
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/orders"),
                &json!({"number": format!("SO-{i}"), "ordered_at": "2026-01-31T08:00:00Z",
                        "total": "10.00"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for i in 0..7 {
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/interactions"),
                &json!({"type": "call", "subject": format!("call {i}"),
                        "occurred_at": format!("2026-01-0{}T08:00:00Z", i + 1)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let orders = walk_both_ways(&app, "orders", "", 7).await;
    let rest = app
        .get(&format!("/api/v1/orders?customer_id={id}"))
        .await
        .body;
    let rest: Vec<&str> = rest["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, rest, "the order REST lists them in");

    let filter = format!(", filter: {{customerId: \"{id}\"}}");
    walk_both_ways(&app, "interactions", &filter, 7).await;
}

#[tokio::test]
async fn segment_members_page_backwards_too() {
    let app = TestApp::spawn().await;
    let mut members = Vec::new();
    for i in 0..8 {
        let mut body = person(&format!("p{i}"));
        body["tags"] = json!([if i == 3 { "other" } else { "vip" }]);
        let id = app.create_customer(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if i != 3 {
            members.push(id);
        }
    }
    app.create_customer(person("untagged")).await;
    let segment = app
        .post(
            "/api/v1/segments",
            &json!({"name": "vip", "filter": [{"field": "tag", "op": "eq", "value": "vip"}]}),
        )
        .await;
    assert_eq!(segment.status, 201, "{}", segment.text);
    let field = format!(
        "segment(id: \"{}\").members",
        segment.body["id"].as_str().unwrap()
    );
    let ids = walk_both_ways(&app, &field, "", 7).await;
    members.sort();
    assert_eq!(ids, members, "the tagged customers, by id");
}

#[tokio::test]
async fn the_audit_log_pages_backwards_too() {
    let app = TestApp::spawn().await;
    for i in 0..4 {
        app.create_customer(person(&format!("p{i}"))).await;
    }
    let query = "query($first: Int, $after: String, $last: Int, $before: String) {
        auditEvents(first: $first, after: $after, last: $last, before: $before,
                    filter: {action: \"customer.created\"}) {
            nodes { id } hasNextPage hasPreviousPage startCursor endCursor } }";
    let ids = |doc: &Value| -> Vec<String> {
        doc["data"]["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app.graphql(query, json!({"first": 2})).await;
    assert_eq!(first["errors"], Value::Null, "{first}");
    let second = app
        .graphql(
            query,
            json!({"first": 2, "after": first["data"]["auditEvents"]["endCursor"]}),
        )
        .await;
    let log = &second["data"]["auditEvents"];
    assert_eq!(log["hasNextPage"], false, "{second}");
    assert_eq!(log["hasPreviousPage"], true);
    let back = app
        .graphql(query, json!({"last": 2, "before": log["startCursor"]}))
        .await;
    assert_eq!(ids(&back), ids(&first), "{back}");
    assert_eq!(back["data"]["auditEvents"]["hasPreviousPage"], false);
    assert_eq!(back["data"]["auditEvents"]["hasNextPage"], true);
    let end = app.graphql(query, json!({"last": 2})).await;
    assert_eq!(ids(&end), ids(&second));
}

#[tokio::test]
async fn mixing_the_directions_is_refused_naming_the_argument() {
    let app = TestApp::spawn().await;
    for i in 0..2 {
        app.create_customer(person(&format!("p{i}"))).await;
    }
    let page = read(&app, "customers", "", json!({"first": 1})).await;
    let cursor = page.info["endCursor"].clone();
    for field in ["customers", "orders", "alerts", "auditEvents"] {
        let query = format!(
            "query($first: Int, $after: String, $last: Int, $before: String) {{
                {field}(first: $first, after: $after, last: $last, before: $before) {{ __typename }} }}"
        );
        for (paging, named) in [
            (json!({"first": 2, "last": 2}), "last"),
            (json!({"first": 2, "before": cursor}), "before"),
            (json!({"last": 2, "after": cursor}), "after"),
            (json!({"after": cursor, "before": cursor}), "before"),
            (json!({"last": 0}), "last"),
            (json!({"last": 201}), "last"),
            (json!({"last": 2, "before": "not-a-cursor"}), "before"),
        ] {
            let doc = app.graphql(&query, paging.clone()).await;
            let error = &doc["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "BAD_USER_INPUT",
                "{field} {paging}: {doc}"
            );
            assert_eq!(
                error["extensions"]["fields"][0]["field"], named,
                "{field} {paging}: {doc}"
            );
            assert!(
                error["message"].as_str().unwrap().contains(named),
                "{field} {paging}: {doc}"
            );
        }
    }
}
