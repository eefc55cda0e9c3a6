//! Row access: a sales user sees and changes only their own customers; another's customer
//! is "not found" on every path. Only admins and managers assign owners.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, person};

struct Seller {
    id: Value,
    client: reqwest::Client,
}

async fn seller(app: &TestApp) -> Seller {
    let session = app.session(Role::Sales).await;
    Seller {
        id: session["user"]["id"].clone(),
        client: app.client_for(session["access_token"].as_str().unwrap()),
    }
}

#[tokio::test]
async fn a_sales_user_sees_only_their_own_customers_and_others_are_404() {
    let app = TestApp::spawn().await;
    let a = seller(&app).await;
    let b = seller(&app).await;
    let mine = app
        .send(
            a.client
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("A's customer")),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    assert_eq!(
        mine.body["owner_id"], a.id,
        "a sales user's new customer is theirs"
    );
    let theirs = app
        .send(
            b.client
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("B's customer")),
        )
        .await;
    let unowned = app.create_customer(person("Nobody's")).await;
    let their_path = format!(
        "{}/api/v1/customers/{}",
        app.base,
        theirs.body["id"].as_str().unwrap()
    );
    let missing_path = format!("{}/api/v1/customers/{}", app.base, uuid::Uuid::now_v7());

    let list = app
        .send(a.client.get(format!("{}/api/v1/customers", app.base)))
        .await;
    let names: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A's customer"]);
    let count = app
        .send(
            a.client
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": "{ customers { totalCount } }"})),
        )
        .await;
    assert_eq!(count.body["data"]["customers"]["totalCount"], 1);

    let get_theirs = app.send(a.client.get(&their_path)).await;
    let get_missing = app.send(a.client.get(&missing_path)).await;
    get_theirs.assert_problem(404, "not_found");
    assert_eq!(get_theirs.body, get_missing.body, "no existence oracle");
    let patch = app
        .send(
            a.client
                .patch(&their_path)
                .header("content-type", "application/merge-patch+json")
                .body(json!({"notes": "x"}).to_string()),
        )
        .await;
    patch.assert_problem(404, "not_found");
    app.send(a.client.delete(&their_path))
        .await
        .assert_problem(404, "not_found");
    let gql = app
        .send(a.client.post(format!("{}/graphql", app.base)).json(&json!({
            "query": "query($id: UUID!) { customer(id: $id) { id } }", "variables": {"id": unowned["id"]}})))
        .await;
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let untouched = app
        .get(&format!(
            "/api/v1/customers/{}",
            theirs.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(untouched.body["version"], 1, "B's customer unchanged");
}

#[tokio::test]
async fn only_admins_and_managers_assign_owners() {
    let app = TestApp::spawn().await;
    let a = seller(&app).await;
    let c = app.create_customer(person("Ann")).await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());

    let assigned = app.patch(&path, &json!({"owner_id": a.id}), None).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.body["owner_id"], a.id);
    let by_owner = app
        .get(&format!(
            "/api/v1/customers?owner_id={}",
            a.id.as_str().unwrap()
        ))
        .await;
    assert_eq!(by_owner.body["data"].as_array().unwrap().len(), 1);

    let grab = app
        .send(
            a.client
                .patch(format!("{}{path}", app.base))
                .header("content-type", "application/merge-patch+json")
                .body(json!({"owner_id": null}).to_string()),
        )
        .await;
    grab.assert_problem(403, "forbidden");
    assert!(
        grab.body["detail"].as_str().unwrap().contains("owner_id"),
        "{}",
        grab.text
    );
    let create_for_other = app
        .send(a.client.post(format!("{}/api/v1/customers", app.base)).json(&json!({"kind": "individual", "display_name": "x", "owner_id": uuid::Uuid::now_v7()})))
        .await;
    create_for_other.assert_problem(403, "forbidden");

    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let unassign = app
        .send(
            manager
                .patch(format!("{}{path}", app.base))
                .header("content-type", "application/merge-patch+json")
                .body(json!({"owner_id": null}).to_string()),
        )
        .await;
    assert_eq!(unassign.status, 200, "{}", unassign.text);
    assert_eq!(unassign.body["owner_id"], Value::Null);
    app.patch(&path, &json!({"owner_id": uuid::Uuid::now_v7()}), None)
        .await
        .assert_field_error(422, "owner_id");
    let gql = app
        .graphql(
            "mutation($id: UUID!, $owner: UUID!) { updateCustomer(id: $id, input: {ownerId: $owner}) { ownerId } }",
            json!({"id": c["id"], "owner": a.id}),
        )
        .await;
    assert_eq!(gql["data"]["updateCustomer"]["ownerId"], a.id, "{gql}");
}
