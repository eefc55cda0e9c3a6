//! GraphQL over the same services: cross-API reads and writes, pagination, errors.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{TestApp, person, zhang_wei};

const CUSTOMER_FIELDS: &str = "id kind displayName phone email address { city district } tags source status \
    individual { birthday annualIncome gender } organization { creditCode } custom version createdAt deletedAt maskedFields";

fn error_code(doc: &Value) -> &str {
    doc["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_customer_created_over_rest_reads_the_same_over_graphql() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;

    let doc = app
        .graphql(
            &format!("query($id: UUID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"),
            json!({"id": c["id"]}),
        )
        .await;

    assert_eq!(doc["errors"], Value::Null, "{doc}");
    let g = &doc["data"]["customer"];
    assert_eq!(g["id"], c["id"]);
    assert_eq!(g["kind"], "INDIVIDUAL");
    assert_eq!(g["displayName"], "张伟");
    assert_eq!(g["phone"], "+8613800138000");
    assert_eq!(g["email"], "zhang.wei@example.com");
    assert_eq!(g["address"]["district"], "浦东新区");
    assert_eq!(g["source"], "REFERRAL");
    assert_eq!(g["individual"]["birthday"], "1988-04-02");
    assert_eq!(g["individual"]["annualIncome"], "350000.00");
    assert_eq!(g["individual"]["gender"], "MALE");
    assert_eq!(g["organization"], Value::Null);
    assert_eq!(g["version"], 1);
    assert_eq!(g["maskedFields"], json!([]));
}

#[tokio::test]
async fn customers_paginate_as_a_relay_connection_with_total_count() {
    let app = TestApp::spawn().await;
    for i in 0..12 {
        app.create_customer(person(&format!("p{i:02}"))).await;
    }
    let query = "query($after: String) { customers(first: 5, after: $after, orderBy: {field: DISPLAY_NAME, direction: ASC}) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id displayName } } nodes { id } } }";

    let mut seen = Vec::new();
    let mut after = Value::Null;
    for _ in 0..5 {
        let doc = app.graphql(query, json!({"after": after})).await;
        assert_eq!(doc["errors"], Value::Null, "{doc}");
        let conn = &doc["data"]["customers"];
        assert_eq!(conn["totalCount"], 12);
        let edges = conn["edges"].as_array().unwrap();
        assert_eq!(conn["nodes"].as_array().unwrap().len(), edges.len());
        seen.extend(
            edges
                .iter()
                .map(|e| e["node"]["displayName"].as_str().unwrap().to_owned()),
        );
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(
            conn["pageInfo"]["endCursor"],
            edges.last().unwrap()["cursor"]
        );
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = (0..12).map(|i| format!("p{i:02}")).collect();
    assert_eq!(seen, expected, "every customer once, in name order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 12);
}

#[tokio::test]
async fn filters_apply_to_the_page_and_the_total() {
    let app = TestApp::spawn().await;
    app.create_customer(zhang_wei()).await;
    app.create_customer(json!({"kind": "organization", "display_name": "Acme", "tags": ["vip"]}))
        .await;
    app.create_customer(person("Nobody")).await;

    let doc = app
        .graphql(
            "{ customers(filter: {tag: \"vip\", kind: ORGANIZATION}) { totalCount nodes { displayName } } \
               all: customers(filter: {city: \"上海市\"}) { totalCount } }",
            json!({}),
        )
        .await;

    assert_eq!(doc["errors"], Value::Null, "{doc}");
    assert_eq!(doc["data"]["customers"]["totalCount"], 1);
    assert_eq!(doc["data"]["customers"]["nodes"][0]["displayName"], "Acme");
    assert_eq!(doc["data"]["all"]["totalCount"], 1);
}

#[tokio::test]
async fn an_update_over_graphql_is_read_back_over_rest_with_the_new_etag() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;

    let doc = app
        .graphql(
            "mutation($id: UUID!) { updateCustomer(id: $id, expectedVersion: 1, input: {email: \"New@Example.com\", phone: null, \
               individual: {occupation: \"teacher\"}, custom: {}}) { version email phone individual { occupation birthday } } }",
            json!({"id": c["id"]}),
        )
        .await;

    assert_eq!(doc["errors"], Value::Null, "{doc}");
    let u = &doc["data"]["updateCustomer"];
    assert_eq!(u["version"], 2);
    assert_eq!(u["email"], "new@example.com");
    assert_eq!(u["phone"], Value::Null);
    assert_eq!(u["individual"]["occupation"], "teacher");
    assert_eq!(u["individual"]["birthday"], "1988-04-02");
    let rest = app
        .get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(rest.header("etag"), "\"2\"");
    assert_eq!(rest.body["email"], "new@example.com");
    assert_eq!(rest.body["individual"]["occupation"], "teacher");
}

#[tokio::test]
async fn a_customer_created_over_graphql_reads_over_rest() {
    let app = TestApp::spawn().await;

    let doc = app
        .graphql(
            "mutation { createCustomer(input: {kind: ORGANIZATION, displayName: \"Northwind\", tags: [\"b2b\"], \
               organization: {creditCode: \"91350100M000100Y43\", registeredCapital: \"2000000\"}}) { id version } }",
            json!({}),
        )
        .await;

    assert_eq!(doc["errors"], Value::Null, "{doc}");
    let id = doc["data"]["createCustomer"]["id"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(rest.status, 200);
    assert_eq!(rest.body["kind"], "organization");
    assert_eq!(rest.body["organization"]["registered_capital"], "2000000");
    assert_eq!(rest.body["tags"], json!(["b2b"]));
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    app.patch(
        &format!("/api/v1/customers/{}", c["id"].as_str().unwrap()),
        &json!({"notes": "v2"}),
        None,
    )
    .await;

    let doc = app
        .graphql(
            "mutation($id: UUID!) { updateCustomer(id: $id, expectedVersion: 1, input: {notes: \"stale\"}) { version } }",
            json!({"id": c["id"]}),
        )
        .await;

    assert_eq!(error_code(&doc), "CONFLICT", "{doc}");
    assert_eq!(doc["errors"][0]["extensions"]["currentVersion"], 2);
    let rest = app
        .get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(rest.body["notes"], "v2");
}

#[tokio::test]
async fn errors_carry_codes_and_name_fields() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;

    let missing = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { id } }",
            json!({"id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(missing["data"]["customer"], Value::Null);

    let invalid = app
        .graphql(
            "mutation($id: UUID!) { updateCustomer(id: $id, input: {email: \"nope\", individual: {birthday: \"2999-01-01\"}}) { id } }",
            json!({"id": c["id"]}),
        )
        .await;
    assert_eq!(error_code(&invalid), "BAD_USER_INPUT", "{invalid}");
    let fields: Vec<&str> = invalid["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"individual.birthday"),
        "{fields:?}"
    );

    let no_kind = app
        .graphql(
            "mutation { createCustomer(input: {displayName: \"x\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&no_kind), "BAD_USER_INPUT");
    assert_eq!(
        no_kind["errors"][0]["extensions"]["fields"][0]["field"],
        "kind"
    );

    let too_many = app
        .graphql("{ customers(first: 500) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let bad_cursor = app
        .graphql("{ customers(after: \"nope\") { totalCount } }", json!({}))
        .await;
    assert_eq!(
        bad_cursor["errors"][0]["extensions"]["fields"][0]["field"],
        "after"
    );
}

#[tokio::test]
async fn delete_and_restore_mutations_round_trip() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    let vars = json!({"id": c["id"]});

    let deleted = app
        .graphql(
            "mutation($id: UUID!) { deleteCustomer(id: $id, expectedVersion: 1) }",
            vars.clone(),
        )
        .await;
    assert_eq!(deleted["data"]["deleteCustomer"], true, "{deleted}");
    let gone = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { id } }",
            vars.clone(),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let trash = app
        .graphql(
            "{ customers(filter: {deleted: true}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(trash["data"]["customers"]["totalCount"], 1);

    let restored = app
        .graphql(
            "mutation($id: UUID!) { restoreCustomer(id: $id) { deletedAt version } }",
            vars.clone(),
        )
        .await;
    assert_eq!(
        restored["data"]["restoreCustomer"]["deletedAt"],
        Value::Null,
        "{restored}"
    );
    assert_eq!(restored["data"]["restoreCustomer"]["version"], 3);
    let again = app
        .graphql(
            "mutation($id: UUID!) { restoreCustomer(id: $id) { id } }",
            vars,
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
}

#[tokio::test]
async fn custom_fields_are_managed_over_graphql() {
    let app = TestApp::spawn().await;

    let created = app
        .graphql(
            "mutation { createCustomField(input: {key: \"tier\", label: \"Tier\", type: ENUM, options: [\"gold\", \"silver\"], sensitivity: PUBLIC}) { key type options version } }",
            json!({}),
        )
        .await;
    assert_eq!(created["errors"], Value::Null, "{created}");
    assert_eq!(created["data"]["createCustomField"]["type"], "ENUM");

    let updated = app
        .graphql("mutation { updateCustomField(key: \"tier\", input: {label: \"Membership\"}) { label version } }", json!({}))
        .await;
    assert_eq!(
        updated["data"]["updateCustomField"]["version"], 2,
        "{updated}"
    );
    let duplicate = app
        .graphql("mutation { createCustomField(input: {key: \"tier\", label: \"x\", type: TEXT}) { key } }", json!({}))
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let c = app
        .graphql("mutation { createCustomer(input: {kind: INDIVIDUAL, displayName: \"Ann\", custom: {tier: \"gold\"}}) { custom } }", json!({}))
        .await;
    assert_eq!(
        c["data"]["createCustomer"]["custom"],
        json!({"tier": "gold"}),
        "{c}"
    );
    let wrong = app
        .graphql("mutation { createCustomer(input: {kind: INDIVIDUAL, displayName: \"Bob\", custom: {tier: \"iron\"}}) { id } }", json!({}))
        .await;
    assert_eq!(
        wrong["errors"][0]["extensions"]["fields"][0]["field"],
        "custom.tier"
    );

    let list = app
        .graphql(
            "{ customFields { key label } customField(key: \"tier\") { label } }",
            json!({}),
        )
        .await;
    assert_eq!(list["data"]["customFields"][0]["label"], "Membership");
    let deleted = app
        .graphql("mutation { deleteCustomField(key: \"tier\") }", json!({}))
        .await;
    assert_eq!(deleted["data"]["deleteCustomField"], true);
    let gone = app
        .graphql("{ customField(key: \"tier\") { key } }", json!({}))
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn queries_over_the_depth_or_complexity_limit_are_refused() {
    // The deep query below is introspection: turned on to reach the depth limit.
    let app = TestApp::spawn_with(|s| s.graphql_introspection = true).await;

    let page =
        "(first: 200) { nodes { id displayName phone email tags version createdAt updatedAt } }";
    let wide: String = (0..12).map(|i| format!(" c{i}: customers{page}")).collect();
    let doc = app.graphql(&format!("{{{wide} }}"), json!({})).await;
    assert_eq!(error_code(&doc), "QUERY_TOO_EXPENSIVE", "{doc}");
    assert_eq!(doc["data"], Value::Null);

    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";
    let doc = app.graphql(deep, json!({})).await;
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{doc}"
    );

    let fine = app
        .graphql(
            "{ customers(first: 50) { totalCount nodes { id displayName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        fine["errors"],
        Value::Null,
        "an ordinary page is within the limits: {fine}"
    );
}
