//! GraphQL priced by what a field costs: expensive fields and large pages refused before
//! anything runs, caps on root fields and aliases, a deadline, and introspection, suggestions
//! and the SDL behind a setting.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::scores::buyers;
use crate::support::{TestApp, statements};

/// The statements the server ran for one GraphQL request sent by `client`.
async fn statements_for(app: &TestApp, client: &reqwest::Client, query: &str) -> (Value, u64) {
    let before = statements(app).await;
    let resp = app
        .send(
            client
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": query})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let after = statements(app).await;
    (resp.body, after - before)
}

fn code(doc: &Value) -> &str {
    doc["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

fn aliases(n: usize, field: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {field}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

const VALIDATION: &str =
    "scoreValidation(calibrationEnd: \"2026-01-01\", holdoutEnd: \"2026-02-01\") { mae }";

#[tokio::test]
async fn score_validations_in_bulk_are_refused_before_any_runs() {
    let app = TestApp::spawn().await;
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    // What a request costs the database when nothing of it runs (once the caller is
    // known: the first request looks the principal up).
    statements_for(&app, &analyst, "{ notAField }").await;
    let (_, nothing) = statements_for(&app, &analyst, "{ notAField }").await;

    let (doc, ran) = statements_for(&app, &analyst, &aliases(60, VALIDATION)).await;
    assert_eq!(code(&doc), "QUERY_TOO_LARGE", "{doc}");
    assert_eq!(doc["data"], Value::Null, "{doc}");
    assert_eq!(doc["errors"][0]["extensions"]["limit"], 30, "{doc}");
    assert_eq!(ran, nothing, "no validation ran: {doc}");

    // Under the root-field cap, the price refuses them.
    let (doc, ran) = statements_for(&app, &analyst, &aliases(20, VALIDATION)).await;
    assert_eq!(code(&doc), "QUERY_TOO_EXPENSIVE", "{doc}");
    let ext = &doc["errors"][0]["extensions"];
    assert!(
        ext["cost"].as_u64().unwrap() > ext["limit"].as_u64().unwrap(),
        "{doc}"
    );
    assert_eq!(ran, nothing, "no validation ran: {doc}");

    // One runs (and, on an empty database, says there is nothing to validate).
    let one = app
        .send(analyst.post(format!("{}/graphql", app.base)).json(&json!({
            "query": format!("{{ {VALIDATION} }}")
        })))
        .await;
    assert_eq!(code(&one.body), "BAD_USER_INPUT", "{}", one.text);
}

#[tokio::test]
async fn overviews_in_bulk_and_huge_nested_pages_are_refused() {
    let app = TestApp::spawn().await;
    let overview = "overview { customers }";
    let doc = app.graphql(&aliases(500, overview), json!({})).await;
    assert_eq!(code(&doc), "QUERY_TOO_LARGE", "{doc}");
    let doc = app.graphql(&aliases(25, overview), json!({})).await;
    assert_eq!(code(&doc), "QUERY_TOO_EXPENSIVE", "{doc}");
    let doc = app.graphql(&format!("{{ {overview} }}"), json!({})).await;
    assert_eq!(doc["errors"], Value::Null, "{doc}");

    // Aliases inside one field count too.
    let fields: Vec<String> = (0..61).map(|i| format!("n{i}: id")).collect();
    let wide = format!(
        "{{ customers(first: 1) {{ nodes {{ {} }} }} }}",
        fields.join(" ")
    );
    let doc = app.graphql(&wide, json!({})).await;
    assert_eq!(code(&doc), "QUERY_TOO_LARGE", "{doc}");

    // A nested connection multiplies its items' cost by its page size.
    let nested =
        "{ customers(first: 200) { nodes { id timeline(first: 200) { nodes { kind at } } } } }";
    let doc = app.graphql(nested, json!({})).await;
    assert_eq!(code(&doc), "QUERY_TOO_EXPENSIVE", "{doc}");
    let huge =
        "{ customers(first: 2147483647) { nodes { orders(first: 2147483647) { nodes { id } } } } }";
    let doc = app.graphql(huge, json!({})).await;
    assert_eq!(code(&doc), "QUERY_TOO_EXPENSIVE", "{doc}");
}

#[tokio::test]
async fn a_front_end_page_of_fifty_customers_with_scores_and_orders_passes() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.create_customer(json!({"kind": "individual", "display_name": format!("页面{i}")}))
            .await;
    }
    let page = "{ customers(first: 50) { totalCount pageInfo { hasNextPage endCursor }
        nodes { id displayName email phone tags status grade lifecycleStage
          rfm { recencyDays frequency monetary segment }
          churn { pAlive risk }
          lifetimeValue(months: 12) { value }
          loyalty { tier balance score }
          purchaseStats { orderCount monetaryTotal lastOrderAt }
          orders(first: 10) { pageInfo { hasNextPage endCursor }
            nodes { id number status total orderedAt items { sku quantity unitPrice } } } } } }";
    let doc = app.graphql(page, json!({})).await;
    assert_eq!(doc["errors"], Value::Null, "{doc}");
    assert_eq!(doc["data"]["customers"]["totalCount"], 3);
}

#[tokio::test]
async fn a_query_past_the_deadline_is_stopped_with_timeout() {
    let app =
        TestApp::spawn_with(|s| s.graphql_timeout = std::time::Duration::from_millis(1)).await;
    buyers(&app, 120).await;
    let today = chrono::Utc::now().date_naive();
    let calibration = today - chrono::Duration::days(120);
    let doc = app
        .graphql(
            "query($c: Date!, $h: Date!) { scoreValidation(calibrationEnd: $c, holdoutEnd: $h) { mae } overview { customers } }",
            json!({"c": calibration, "h": today}),
        )
        .await;
    assert_eq!(code(&doc), "TIMEOUT", "{doc}");
    assert_eq!(doc["data"], Value::Null, "{doc}");
    // The server goes on answering.
    assert_eq!(app.get("/api/v1/customers?limit=1").await.status, 200);
}

#[tokio::test]
async fn introspection_suggestions_and_the_sdl_are_off_unless_turned_on() {
    let off = TestApp::spawn().await;
    for query in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Customer\") { name } }",
        "query { ...F } fragment F on Query { __schema { queryType { name } } }",
    ] {
        let doc = off.graphql(query, json!({})).await;
        assert_eq!(code(&doc), "INTROSPECTION_DISABLED", "{query}: {doc}");
    }
    // `__typename` is not introspection.
    let doc = off.graphql("{ __typename }", json!({})).await;
    assert_eq!(doc["data"]["__typename"], "Query", "{doc}");
    let doc = off.graphql("{ custmers { totalCount } }", json!({})).await;
    let message = doc["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty() && !message.contains("Did you mean"),
        "{doc}"
    );
    off.get("/graphql/schema.graphql")
        .await
        .assert_problem(404, "not_found");
    let anonymous = off
        .send(
            off.anonymous
                .get(format!("{}/graphql/schema.graphql", off.base)),
        )
        .await;
    anonymous.assert_problem(404, "not_found");

    let on = TestApp::spawn_with(|s| s.graphql_introspection = true).await;
    let doc = on
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        doc["data"]["__schema"]["queryType"]["name"], "Query",
        "{doc}"
    );
    let doc = on.graphql("{ custmers { totalCount } }", json!({})).await;
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Did you mean"),
        "{doc}"
    );
    let sdl = on.get("/graphql/schema.graphql").await;
    assert_eq!(sdl.status, 200);
    assert!(sdl.text.contains("type Query"));
}
