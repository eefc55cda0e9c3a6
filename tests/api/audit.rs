//! The audit log: sign-ins, customer writes with masked field-level diffs, user changes;
//! readable and filterable by admins only.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, zhang_wei};

fn events(resp: &crate::support::Resp) -> &[Value] {
    resp.body["data"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[tokio::test]
async fn customer_writes_are_audited_with_a_masked_field_level_diff() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();
    let path = format!("/api/v1/customers/{id}");
    app.patch(&path, &json!({"phone": "+86 139 1234 5678", "display_name": "张伟 (VIP)", "individual": {"id_number": "310115199001011234", "health": "asthma"}}), None)
        .await;
    app.delete(&path, None).await;
    app.post(&format!("{path}/restore"), &json!({})).await;

    let log = app.get(&format!("/api/v1/audit?customer_id={id}")).await;

    assert_eq!(log.status, 200, "{}", log.text);
    let actions: Vec<&str> = events(&log)
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "customer.restored",
            "customer.deleted",
            "customer.updated",
            "customer.created"
        ],
        "newest first"
    );
    let update = &events(&log)[2];
    assert!(update["actor"].as_str().unwrap().starts_with("user:"));
    assert!(update["actor_user_id"].is_string());
    let changes = update["details"]["changes"].as_array().unwrap();
    let change = |field: &str| {
        changes
            .iter()
            .find(|c| c["field"] == field)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        change("display_name")["from"],
        "张伟",
        "public values are kept"
    );
    assert_eq!(change("display_name")["to"], "张伟 (VIP)");
    assert_eq!(
        change("phone")["from"],
        "138****8000",
        "contact values are masked"
    );
    assert_eq!(change("phone")["to"], "139****5678");
    assert_eq!(change("individual.id_number")["to"], "3101**********1234");
    assert_eq!(change("individual.health")["to"], "[redacted]");
    assert!(
        changes.iter().all(|c| c["field"] != "email"),
        "unchanged fields are not listed"
    );
    assert!(
        !log.text.contains("asthma") && !log.text.contains("13912345678"),
        "no clear private value in the log"
    );
}

#[tokio::test]
async fn sign_ins_and_user_changes_are_audited() {
    let app = TestApp::spawn().await;
    let session = app.session(Role::Support).await;
    let email = session["user"]["email"].as_str().unwrap().to_owned();
    app.post_anonymous(
        "/api/v1/auth/login",
        &json!({"email": email, "password": "wrong password!"}),
    )
    .await;
    let id = session["user"]["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/users/{id}"),
        &json!({"role": "analyst"}),
        None,
    )
    .await;

    let failed = app.get("/api/v1/audit?action=login.failed").await;
    assert_eq!(events(&failed).len(), 1);
    assert_eq!(events(&failed)[0]["details"]["email"], email);
    assert!(
        !failed.text.contains(PASSWORD) && !failed.text.contains("wrong password"),
        "passwords are never logged"
    );
    let mine = app.get(&format!("/api/v1/audit?actor_id={id}")).await;
    assert_eq!(
        events(&mine)
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["login.succeeded"]
    );
    let updated = app.get("/api/v1/audit?action=user.updated").await;
    assert_eq!(
        events(&updated)[0]["details"]["role"],
        json!({"from": "support", "to": "analyst"})
    );
    let created = app.get("/api/v1/audit?action=user.created").await;
    assert!(!events(&created).is_empty());
}

#[tokio::test]
async fn the_log_pages_and_filters_by_time_and_is_for_admins_only() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create_customer(json!({"kind": "individual", "display_name": format!("c{i}")}))
            .await;
    }

    let first = app
        .get("/api/v1/audit?action=customer.created&limit=2")
        .await;
    assert_eq!(events(&first).len(), 2);
    let mut seen: Vec<Value> = events(&first).iter().map(|e| e["id"].clone()).collect();
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = app
            .get(&format!(
                "/api/v1/audit?action=customer.created&limit=2&cursor={c}"
            ))
            .await;
        seen.extend(events(&page).iter().map(|e| e["id"].clone()));
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5);
    let future = app.get("/api/v1/audit?from=2999-01-01T00:00:00Z").await;
    assert!(events(&future).is_empty());
    app.get("/api/v1/audit?from=yesterday")
        .await
        .assert_field_error(400, "from");

    let gql = app.graphql("{ auditEvents(first: 3, filter: {action: \"customer.created\"}) { nodes { action customerId } hasNextPage } }", json!({})).await;
    assert_eq!(
        gql["data"]["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{gql}"
    );
    assert_eq!(gql["data"]["auditEvents"]["hasNextPage"], true);

    let manager = app.client_for(&app.user_token(Role::Manager).await);
    app.send(manager.get(format!("{}/api/v1/audit", app.base)))
        .await
        .assert_problem(403, "forbidden");
}
