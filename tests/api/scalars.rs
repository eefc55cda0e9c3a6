//! Instants and dates read the same over REST and GraphQL, and GraphQL's scalars describe
//! the product rather than the code.

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::{TestApp, star_river, zhang_wei};

const READ: &str = "query($id: UUID!) { customer(id: $id) {
    createdAt updatedAt deletedAt individual { birthday } organization { foundedOn } } }";

fn instant(raw: &Value) -> DateTime<Utc> {
    raw.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an instant: {raw}"))
}

#[tokio::test]
async fn instants_and_dates_are_written_alike_by_rest_and_graphql() {
    let app = TestApp::spawn().await;
    let person = app.create_customer(zhang_wei()).await;
    let company = app.create_customer(star_river()).await;

    for (c, path, field) in [
        (&person, "individual", "birthday"),
        (&company, "organization", "founded_on"),
    ] {
        let id = c["id"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/customers/{id}")).await.body;
        let doc = app.graphql(READ, json!({"id": id})).await;
        assert_eq!(doc["errors"], Value::Null, "{doc}");
        let gql = &doc["data"]["customer"];

        for (snake, camel) in [("created_at", "createdAt"), ("updated_at", "updatedAt")] {
            let written = rest[snake].as_str().unwrap();
            assert_eq!(gql[camel], rest[snake], "{snake} differs between the APIs");
            assert!(
                written.ends_with('Z'),
                "{snake} is not in UTC with Z: {written}"
            );
            // chrono's own RFC 3339 rendering: fractional digits only when there are any.
            let at = instant(&rest[snake]);
            assert_eq!(written, at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
        assert_eq!(gql["deletedAt"], Value::Null);
        assert_eq!(rest["deleted_at"], Value::Null);

        let camel_field = if field == "birthday" {
            "birthday"
        } else {
            "foundedOn"
        };
        let day = rest[path][field].as_str().unwrap();
        assert_eq!(gql[path][camel_field], rest[path][field]);
        assert_eq!(day.len(), 10, "not YYYY-MM-DD: {day}");
        assert!(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok());
    }
}

#[tokio::test]
async fn a_date_written_over_graphql_reads_back_as_a_full_date_in_both_apis() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();

    let doc = app
        .graphql(
            "mutation($id: UUID!) { updateCustomer(id: $id, input: {individual: {birthday: \"1990-02-28\"}}) {
                individual { birthday } updatedAt } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(doc["errors"], Value::Null, "{doc}");
    let gql = &doc["data"]["updateCustomer"];
    assert_eq!(gql["individual"]["birthday"], "1990-02-28");

    let rest = app.get(&format!("/api/v1/customers/{id}")).await.body;
    assert_eq!(rest["individual"]["birthday"], "1990-02-28");
    assert_eq!(rest["updated_at"], gql["updatedAt"]);

    // Not a date: the scalar refuses it before any resolver runs.
    let doc = app
        .graphql(
            "mutation($id: UUID!) { updateCustomer(id: $id, input: {individual: {birthday: \"1990-02-28T00:00:00Z\"}}) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_ne!(doc["errors"], Value::Null, "{doc}");
}

#[tokio::test]
async fn graphql_filters_take_instants_with_any_offset() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let created = instant(&c["created_at"]);
    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    let query = "query($after: DateTime!) { customers(filter: {createdAfter: $after}) {
        totalCount nodes { id createdAt } } }";

    let before = (created - Duration::seconds(1)).with_timezone(&china);
    let written = before.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    assert!(written.ends_with("+08:00"), "{written}");
    let doc = app.graphql(query, json!({"after": written})).await;
    assert_eq!(doc["errors"], Value::Null, "{doc}");
    assert_eq!(doc["data"]["customers"]["totalCount"], 1);
    assert_eq!(doc["data"]["customers"]["nodes"][0]["id"], c["id"]);
    assert_eq!(
        doc["data"]["customers"]["nodes"][0]["createdAt"],
        c["created_at"]
    );

    let later = (created + Duration::seconds(1)).with_timezone(&china);
    let written = later.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    let doc = app.graphql(query, json!({"after": written})).await;
    assert_eq!(doc["errors"], Value::Null, "{doc}");
    assert_eq!(doc["data"]["customers"]["totalCount"], 0);

    let doc = app.graphql(query, json!({"after": "last tuesday"})).await;
    assert_ne!(doc["errors"], Value::Null, "{doc}");
}

#[tokio::test]
async fn the_schema_names_its_scalars_for_clients_not_for_rust() {
    let app = TestApp::spawn_with(|s| s.graphql_introspection = true).await;
    let sdl = app.get("/graphql/schema.graphql").await.text;
    for scalar in [
        "scalar DateTime @specifiedBy(url: \"https://www.rfc-editor.org/rfc/rfc3339\")",
        "scalar Date @specifiedBy(",
        "scalar UUID",
        "scalar JSON",
    ] {
        assert!(sdl.contains(scalar), "no `{scalar}` in the SDL");
    }
    for leak in [
        "NaiveDate",
        "DateTime<",
        "Utc>",
        "Rust",
        "impl ",
        "crate::",
        "::",
    ] {
        assert!(!sdl.contains(leak), "the SDL mentions `{leak}`");
    }
}
