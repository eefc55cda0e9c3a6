//! Stored text this version does not know — as another tool, a later version or a hand-made
//! fix could leave it — is an internal error naming the row, never a default shown as if it
//! were true, acted on, or written back.
//!
//! No column involved has a CHECK constraint, so each value is corrupted the same way on
//! SQLite and PostgreSQL.

use entity::user;
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
