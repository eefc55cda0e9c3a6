//! The capability matrix as the README prints it, held against the running server: for
//! every action and every kind of caller, one request that needs exactly that capability,
//! allowed where the README says `yes` (or the key has the scope), refused where it says `—`.

use std::collections::HashMap;

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, person};

/// The README's capability matrix: action → the cells for admin, manager, sales, support,
/// analyst and an API key.
fn readme_matrix() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("| action | admin | manager | sales | support | analyst | API key |")
        .expect("the README has a capability matrix");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .filter(|(name, _)| name != "rows seen")
        .collect()
}

/// The callers of the matrix, signed in.
struct Callers {
    /// admin, manager, sales, support, analyst.
    roles: Vec<(Role, reqwest::Client)>,
    sales_id: String,
}

const ROLES: [Role; 5] = [
    Role::Admin,
    Role::Manager,
    Role::Sales,
    Role::Support,
    Role::Analyst,
];

async fn callers(app: &TestApp) -> Callers {
    let mut roles = Vec::new();
    let mut sales_id = String::new();
    for role in ROLES {
        let session = app.session(role).await;
        if role == Role::Sales {
            sales_id = session["user"]["id"].as_str().expect("user id").to_owned();
        }
        let token = session["access_token"].as_str().expect("token");
        roles.push((role, app.client_for(token)));
    }
    Callers { roles, sales_id }
}

/// A client holding a new API key with `scopes`.
async fn key(app: &TestApp, scopes: &[&str]) -> reqwest::Client {
    let created = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": format!("probe {}", uuid::Uuid::new_v4()), "scopes": scopes}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.client_for(created.body["key"].as_str().expect("key"))
}

/// A customer owned by the sales user, with a phone, created by the admin.
async fn owned_customer(app: &TestApp, sales_id: &str) -> String {
    let mut body = person("Probe Customer");
    body["owner_id"] = json!(sales_id);
    body["phone"] = json!("+86 138 0013 8000");
    app.create_customer(body).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn send(app: &TestApp, request: reqwest::RequestBuilder) -> Resp {
    app.send(request).await
}

/// Whether `client` may do the action named `action`, by one request that needs it.
async fn probe(app: &TestApp, callers: &Callers, client: &reqwest::Client, action: &str) -> bool {
    let base = &app.base;
    let status = |r: Resp, allowed: u16| {
        assert!(
            r.status == allowed || r.status == 403,
            "{action}: expected {allowed} or 403, got {}: {}",
            r.status,
            r.text
        );
        if r.status == 403 {
            assert_eq!(r.body["code"], "forbidden", "{}", r.text);
        }
        r.status == allowed
    };
    match action {
        "read customers and their records" => {
            let r = send(app, client.get(format!("{base}/api/v1/customers?limit=1"))).await;
            status(r, 200)
        }
        "change customers, orders, relationships, points" => {
            // An empty body: allowed callers hear what is missing, others only 403.
            let r = send(
                app,
                client
                    .post(format!("{base}/api/v1/customers"))
                    .json(&json!({})),
            )
            .await;
            status(r, 422)
        }
        "record calls, surveys, complaints, consent, preferences" => {
            let id = owned_customer(app, &callers.sales_id).await;
            let url = format!("{base}/api/v1/customers/{id}/interactions");
            let r = send(app, client.post(url).json(&json!({}))).await;
            status(r, 422)
        }
        "acknowledge, resolve, dismiss alerts" => {
            let url = format!("{base}/api/v1/alerts/{}/acknowledge", uuid::Uuid::now_v7());
            let r = send(app, client.post(url).json(&json!({}))).await;
            status(r, 404)
        }
        "create and change products" => {
            let r = send(
                app,
                client
                    .post(format!("{base}/api/v1/products"))
                    .json(&json!({})),
            )
            .await;
            status(r, 422)
        }
        "save segments, change one's own" => {
            let r = send(
                app,
                client
                    .post(format!("{base}/api/v1/segments"))
                    .json(&json!({})),
            )
            .await;
            status(r, 422)
        }
        "change anyone's segment" => {
            let segment = app
                .post(
                    "/api/v1/segments",
                    &json!({"name": format!("probe {}", uuid::Uuid::new_v4()), "filter": [{"field": "tag", "op": "eq", "value": "VIP"}]}),
                )
                .await;
            assert_eq!(segment.status, 201, "{}", segment.text);
            let url = format!(
                "{base}/api/v1/segments/{}",
                segment.body["id"].as_str().unwrap()
            );
            let r = send(app, client.put(url).json(&json!({"name": 7}))).await;
            status(r, 422)
        }
        "set a customer's owner" => {
            let mut body = person("Owned On Creation");
            body["owner_id"] = json!(callers.sales_id);
            let r = send(
                app,
                client.post(format!("{base}/api/v1/customers")).json(&body),
            )
            .await;
            status(r, 201)
        }
        "merge customers of different owners" => {
            let survivor = owned_customer(app, &callers.sales_id).await;
            let other = app.create_customer(person("Probe Customer")).await["id"].clone();
            let url = format!("{base}/api/v1/customers/{survivor}/merge");
            let r = send(app, client.post(url).json(&json!({"duplicates": [other]}))).await;
            // A caller who cannot see the other owner's customer cannot merge it either: to
            // it, that customer does not exist.
            if r.status == 422 {
                assert_eq!(r.body["errors"][0]["code"], "not_found", "{}", r.text);
                return false;
            }
            status(r, 200)
        }
        "exports carry phone and e-mail" => {
            let id = owned_customer(app, &callers.sales_id).await;
            let url = format!("{base}/api/v1/customers/export?format=ndjson");
            let r = send(app, client.get(url)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let row: Value = r
                .text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|v| v["id"] == id.as_str())
                .expect("the caller's export has the customer");
            row["phone"] == "+8613800138000"
        }
        "see every user's imports" => {
            let job = app
                .send(
                    app.client
                        .post(format!("{base}/api/v1/imports?kind=customers"))
                        .header("content-type", "text/csv")
                        .body("display_name,kind\nImported Probe,individual\n"),
                )
                .await;
            assert_eq!(job.status, 202, "{}", job.text);
            let url = format!("{base}/api/v1/imports/{}", job.body["id"].as_str().unwrap());
            let r = send(app, client.get(url)).await;
            assert!(r.status == 200 || r.status == 404, "{}", r.text);
            r.status == 200
        }
        "fit score models, manage alert rules" => {
            let url = format!("{base}/api/v1/scores/fit");
            let r = send(app, client.post(url).json(&json!({"as_of": "not a date"}))).await;
            status(r, 422)
        }
        "refresh scores, validate models, evaluate alerts, data quality" => {
            let url = format!("{base}/api/v1/scores/validation");
            let r = send(app, client.post(url).json(&json!({}))).await;
            status(r, 422)
        }
        "reveal masked contact fields" | "reveal masked sensitive fields" => {
            // Probed below, only for callers who see the class masked.
            unreachable!()
        }
        "users, API keys, custom-field definitions, audit log, standardise" => {
            let r = send(
                app,
                client.post(format!("{base}/api/v1/users")).json(&json!({})),
            )
            .await;
            status(r, 422)
        }
        other => panic!("no probe for the README's action `{other}`: add one"),
    }
}

#[tokio::test]
async fn every_cell_of_the_readme_capability_matrix_holds_over_http() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let matrix = readme_matrix();
    assert!(matrix.len() >= 10, "{matrix:?}");
    let mut keys: HashMap<String, (reqwest::Client, reqwest::Client)> = HashMap::new();
    let all_scopes = [
        "customers:read",
        "customers:write",
        "pii:contact",
        "pii:financial",
        "pii:sensitive",
    ];
    for (action, cells) in &matrix {
        if action.starts_with("reveal masked") {
            continue;
        }
        for (i, (role, client)) in callers.roles.iter().enumerate() {
            let expected = cells[i] == "yes";
            assert!(
                cells[i] == "yes" || cells[i] == "—",
                "cell {action}/{role}: {}",
                cells[i]
            );
            let allowed = probe(&app, &callers, client, action).await;
            assert_eq!(allowed, expected, "`{action}` for the {role} role");
        }
        let key_cell = cells[5].as_str();
        if key_cell == "—" {
            // Not even a key with every scope.
            let client = key(&app, &all_scopes).await;
            assert!(
                !probe(&app, &callers, &client, action).await,
                "`{action}` for an API key with every scope"
            );
        } else {
            let scope = key_cell.trim_matches('`').to_owned();
            let (with, without) = match keys.get(&scope) {
                Some(pair) => pair.clone(),
                None => {
                    let others: Vec<&str> =
                        all_scopes.iter().copied().filter(|s| *s != scope).collect();
                    let pair = (key(&app, &[scope.as_str()]).await, key(&app, &others).await);
                    keys.insert(scope.clone(), pair.clone());
                    pair
                }
            };
            // A key with only that scope may (reads need `customers:read` too).
            let with = if scope == "customers:read" {
                with
            } else {
                key(&app, &["customers:read", scope.as_str()]).await
            };
            assert!(
                probe(&app, &callers, &with, action).await,
                "`{action}` for an API key with `{scope}`"
            );
            assert!(
                !probe(&app, &callers, &without, action).await,
                "`{action}` for an API key with every scope but `{scope}`"
            );
        }
    }
}

#[tokio::test]
async fn reveal_follows_the_matrix_for_callers_who_see_a_class_masked() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let matrix: HashMap<String, Vec<String>> = readme_matrix().into_iter().collect();
    let mut body = person("Revealed Customer");
    body["owner_id"] = json!(callers.sales_id);
    body["phone"] = json!("+86 138 0013 8000");
    body["individual"] = json!({"id_number": "110101199003074512"});
    let id = app.create_customer(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (row, field) in [
        ("reveal masked contact fields", "phone"),
        ("reveal masked sensitive fields", "individual.id_number"),
    ] {
        let cells = &matrix[row];
        for (i, (role, client)) in callers.roles.iter().enumerate() {
            let read = app
                .send(client.get(format!("{}/api/v1/customers/{id}", app.base)))
                .await;
            assert_eq!(read.status, 200, "{}", read.text);
            let masked = read.body["masked"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == field);
            let r = app
                .send(
                    client
                        .post(format!("{}/api/v1/customers/{id}/reveal", app.base))
                        .json(&json!({"fields": [field], "reason": "caller on the line"})),
                )
                .await;
            if !masked {
                assert_eq!(r.status, 200, "{role} sees {field} in full: {}", r.text);
                continue;
            }
            let expected = cells[i] == "yes";
            assert_eq!(
                r.status == 200,
                expected,
                "reveal of {field} for the {role} role: {}",
                r.text
            );
            if !expected {
                r.assert_problem(403, "forbidden");
            }
        }
    }
}

#[tokio::test]
async fn a_caller_who_may_not_read_customers_is_refused_a_reveal_before_its_body_is_read() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let id = owned_customer(&app, &callers.sales_id).await;
    let url = format!("{}/api/v1/customers/{id}/reveal", app.base);
    // A body that breaks every rule: no reason, an unknown member, fields of the wrong type.
    let bad = json!({"fields": 7, "why": "x"});
    let refused = key(&app, &["customers:write", "pii:contact"]).await;
    let r = send(&app, refused.post(&url).json(&bad)).await;
    r.assert_problem(403, "forbidden");
    assert!(
        !r.text.contains("reason") && !r.text.contains("fields"),
        "{}",
        r.text
    );
    let allowed = key(&app, &["customers:read", "pii:contact"]).await;
    let r = send(&app, allowed.post(&url).json(&bad)).await;
    r.assert_problem(422, "validation_failed");
}
