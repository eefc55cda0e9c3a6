//! Stored text this version does not know — as another tool, a later version or a hand-made
//! fix could leave it — is an internal error naming the row, never a default shown as if it
//! were true, acted on, or written back.
//!
//! No column involved has a CHECK constraint, so each value is corrupted the same way on
//! SQLite and PostgreSQL.

use entity::{complaint, custom_field, customer, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, person};
use dossier::domain::Role;

fn uuid(v: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap()
}

/// The answer is a 500 problem that says no more than "internal error".
#[track_caller]
fn assert_internal(resp: &crate::support::Resp, unknown: &str) {
    resp.assert_problem(500, "internal");
    assert_eq!(resp.body["detail"], "internal error", "{}", resp.text);
    assert!(!resp.text.contains(unknown), "{}", resp.text);
}

#[tokio::test]
async fn an_unknown_stored_complaint_status_is_an_error_not_open() {
    let app = TestApp::spawn().await;
    let id = app.create_customer(person("孙丽")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened = app
        .post(
            &format!("/api/v1/customers/{id}/complaints"),
            &json!({"category": "delivery", "severity": "high", "subject": "包裹破损"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    let cid = uuid(&opened.body["id"]);
    complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, Expr::value("zzz"))
        .filter(complaint::Column::Id.eq(cid))
        .exec(&app.state.db)
        .await
        .unwrap();

    let read = app.get(&format!("/api/v1/complaints/{cid}")).await;
    assert_internal(&read, "zzz");
    assert!(!read.text.contains("open"), "{}", read.text);
    assert_internal(
        &app.get(&format!("/api/v1/complaints?customer_id={id}"))
            .await,
        "zzz",
    );
    // Not moved on as if it were open: refused, and the stored value is left as it was.
    let moved = app
        .post(
            &format!("/api/v1/complaints/{cid}/transitions"),
            &json!({"to": "acknowledged"}),
        )
        .await;
    assert_internal(&moved, "zzz");
    let stored = complaint::Entity::find_by_id(cid)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "zzz");
    let g = app
        .graphql(
            "query($id: UUID!) { complaint(id: $id) { status } }",
            json!({"id": cid}),
        )
        .await;
    assert_eq!(g["errors"][0]["extensions"]["code"], "INTERNAL", "{g}");
    assert!(!g.to_string().contains("zzz"), "{g}");
    assert!(!g.to_string().contains("OPEN"), "{g}");
}

#[tokio::test]
async fn an_unknown_stored_customer_status_or_kind_is_an_error_not_the_default() {
    let app = TestApp::spawn().await;
    let created = app.create_customer(person("周杰")).await;
    let id = uuid(&created["id"]);
    assert_eq!(created["status"], "active");
    let set = |column: customer::Column, value: &'static str| {
        customer::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .filter(customer::Column::Id.eq(id))
            .exec(&app.state.db)
    };
    set(customer::Column::Status, "zzz").await.unwrap();

    let read = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_internal(&read, "zzz");
    assert!(!read.text.contains("active"), "{}", read.text);
    assert_internal(&app.get("/api/v1/customers").await, "zzz");
    let g = app
        .graphql(
            "query($id: UUID!) { customer(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(g["errors"][0]["extensions"]["code"], "INTERNAL", "{g}");
    assert!(!g.to_string().contains("ACTIVE"), "{g}");
    // A change to another field does not write the default over the status it cannot read.
    let patched = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &json!({"notes": "prefers e-mail"}),
            None,
        )
        .await;
    assert_internal(&patched, "zzz");
    let stored = customer::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "zzz");
    assert_eq!(stored.notes, None);

    set(customer::Column::Status, "active").await.unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}")).await.status,
        200
    );
    set(customer::Column::Kind, "robot").await.unwrap();
    let read = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_internal(&read, "robot");
    assert!(!read.text.contains("individual"), "{}", read.text);
}

#[tokio::test]
async fn a_user_whose_stored_role_is_unknown_is_granted_nothing() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Admin).await;
    let uid = uuid(&session["user"]["id"]);
    let email = session["user"]["email"].as_str().unwrap().to_owned();
    let token = session["access_token"].as_str().unwrap().to_owned();
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value("superuser"))
        .filter(user::Column::Id.eq(uid))
        .exec(&app.state.db)
        .await
        .unwrap();

    // Their token, still valid, no longer carries any role: every request fails.
    let theirs = app.client_for(&token);
    let read = app
        .send(theirs.get(format!("{}/api/v1/customers", app.base)))
        .await;
    assert_internal(&read, "superuser");
    let wrote = app
        .send(
            theirs
                .post(format!("{}/api/v1/customers", app.base))
                .json(&person("冯刚")),
        )
        .await;
    assert_internal(&wrote, "superuser");
    // Signing in again issues no tokens.
    let login = app
        .post_anonymous(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_internal(&login, "superuser");
    assert!(!login.text.contains("access_token"), "{}", login.text);
    // Nor is it listed as some role it is not; an admin sets a known one to repair it.
    assert_internal(&app.get("/api/v1/users").await, "superuser");
    let repaired = app
        .patch(
            &format!("/api/v1/users/{uid}"),
            &json!({"role": "analyst"}),
            None,
        )
        .await;
    assert_eq!(repaired.status, 200, "{}", repaired.text);
    assert_eq!(repaired.body["role"], "analyst");
}

#[tokio::test]
async fn an_unknown_stored_field_class_withholds_the_value_and_refuses_writes() {
    let app = TestApp::spawn().await;
    app.create_custom_field(
        json!({"key": "tier", "label": "Tier", "type": "text", "sensitivity": "public"}),
    )
    .await;
    let mut body = person("钱程");
    body["custom"] = json!({"tier": "gold"});
    let id = app.create_customer(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let support = app.client_for(&app.user_token(Role::Support).await);
    let path = format!("{}/api/v1/customers/{id}", app.base);
    assert_eq!(
        app.send(support.get(&path)).await.body["custom"]["tier"],
        "gold"
    );
    custom_field::Entity::update_many()
        .col_expr(custom_field::Column::Sensitivity, Expr::value("zzz"))
        .filter(custom_field::Column::Key.eq("tier"))
        .exec(&app.state.db)
        .await
        .unwrap();
    // Written behind the server's back, as a newer version would: the notice such a write
    // sends (`service::cache`) is what makes the server read the classes again.
    app.state
        .caches
        .forget(dossier::service::cache::Topic::CustomFields);

    // Every customer read renders through the classes, so reads go on, with the value read
    // as the strictest class: withheld from support, who may not see every class.
    let read = app.send(support.get(&path)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["custom"].get("tier"), None, "{}", read.text);
    assert!(
        read.body["masked"]
            .as_array()
            .unwrap()
            .contains(&json!("custom.tier")),
        "{}",
        read.text
    );
    // The definition itself, and writes checked against it, are errors.
    assert_internal(&app.get("/api/v1/custom-fields/tier").await, "zzz");
    let patched = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &json!({"notes": "prefers e-mail"}),
            None,
        )
        .await;
    assert_internal(&patched, "zzz");
}
