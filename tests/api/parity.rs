//! Operations REST had alone now exist in GraphQL too, over the same services and rules:
//! alert-rule update, model fit, API keys and re-standardisation.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, zhang_wei};

async fn graphql_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let r = app
        .send(
            app.client_for(token)
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": query, "variables": variables})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

const UPDATE_RULE: &str = "mutation($id: UUID!, $input: AlertRuleInput!, $v: Int) {
    updateAlertRule(id: $id, input: $input, expectedVersion: $v) { id name params enabled version } }";

#[tokio::test]
async fn an_alert_rule_is_updated_over_graphql_as_over_rest() {
    let app = TestApp::spawn().await;
    let rule = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "逾期应收", "kind": "overdue_receivable", "params": {"days": 30}}),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    let id = rule.body["id"].clone();
    let input = json!({"name": "逾期应收60天", "kind": "OVERDUE_RECEIVABLE",
                       "params": {"days": 60}, "enabled": false});

    let updated = app
        .graphql(UPDATE_RULE, json!({"id": id, "input": input, "v": 1}))
        .await;

    assert_eq!(
        updated["data"]["updateAlertRule"],
        json!({"id": id, "name": "逾期应收60天", "params": {"days": 60}, "enabled": false,
               "version": 2}),
        "{updated}"
    );
    let rest = app.get("/api/v1/alert-rules").await;
    let listed = rest.body["data"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == id).cloned())
        .unwrap_or(Value::Null);
    assert_eq!(listed["params"], json!({"days": 60}), "{}", rest.text);
    let stale = app
        .graphql(UPDATE_RULE, json!({"id": id, "input": input, "v": 1}))
        .await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    assert_eq!(
        stale["errors"][0]["extensions"]["currentVersion"], 2,
        "{stale}"
    );
    let bad = app
        .graphql(
            UPDATE_RULE,
            json!({"id": id, "input": {"name": "x", "kind": "OVERDUE_RECEIVABLE",
                                       "params": {"days": -1}}}),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
    let support = app.user_token(Role::Support).await;
    let refused = graphql_as(
        &app,
        &support,
        UPDATE_RULE,
        json!({"id": id, "input": input}),
    )
    .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}

const FIT: &str =
    "mutation { fitScores { fit { id status customers asOf } snapshot { customers } } }";

#[tokio::test]
async fn a_manager_fits_the_models_over_graphql_and_support_may_not() {
    let app = TestApp::spawn().await;
    let customer = app.create_customer(zhang_wei()).await;
    let r = app
        .post(
            &format!(
                "/api/v1/customers/{}/orders",
                customer["id"].as_str().unwrap()
            ),
            &json!({"total": "88", "status": "paid"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let manager = app.user_token(Role::Manager).await;

    let fitted = graphql_as(&app, &manager, FIT, json!({})).await;

    let fit = &fitted["data"]["fitScores"];
    assert_eq!(fit["fit"]["status"], "insufficient_data", "{fitted}");
    assert_eq!(fit["fit"]["customers"], 1);
    assert_eq!(fit["snapshot"]["customers"], 1);
    let stored = app.get("/api/v1/scores/snapshot").await;
    assert_eq!(
        stored.body["model"]["id"], fit["fit"]["id"],
        "{}",
        stored.text
    );
    for role in [Role::Support, Role::Sales, Role::Analyst] {
        let token = app.user_token(role).await;
        let refused = graphql_as(&app, &token, FIT, json!({})).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{role}: {refused}");
    }
}

#[tokio::test]
async fn an_admin_manages_api_keys_over_graphql_and_the_key_works_over_rest() {
    let app = TestApp::spawn().await;
    let created = app
        .graphql(
            "mutation { createApiKey(input: {name: \"shop sync\", scopes: [CUSTOMERS_READ], expiresInDays: 30}) {
                key apiKey { id name scopes expiresAt revokedAt } } }",
            json!({}),
        )
        .await;
    let created = &created["data"]["createApiKey"];
    let key = created["key"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert_eq!(created["apiKey"]["scopes"], json!(["CUSTOMERS_READ"]));
    assert!(created["apiKey"]["expiresAt"].is_string());
    let listed = app
        .send(
            app.client_for(&key)
                .get(format!("{}/api/v1/customers", app.base)),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);

    let keys = app
        .graphql("{ apiKeys { id name prefix revokedAt } }", json!({}))
        .await;
    assert_eq!(keys["data"]["apiKeys"][0]["id"], created["apiKey"]["id"]);
    assert_eq!(keys["data"]["apiKeys"][0]["prefix"], &key[..12]);
    assert!(
        !keys.to_string().contains(&key),
        "the secret is never listed"
    );
    let sales = app.user_token(Role::Sales).await;
    let refused = graphql_as(&app, &sales, "{ apiKeys { id } }", json!({})).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let by_key = graphql_as(&app, &key, "{ apiKeys { id } }", json!({})).await;
    assert_eq!(
        code(&by_key),
        "FORBIDDEN",
        "a key cannot manage keys: {by_key}"
    );

    let revoked = app
        .graphql(
            "mutation($id: UUID!) { revokeApiKey(id: $id) }",
            json!({"id": created["apiKey"]["id"]}),
        )
        .await;
    assert_eq!(revoked["data"]["revokeApiKey"], true, "{revoked}");
    let after = app
        .send(
            app.client_for(&key)
                .get(format!("{}/api/v1/customers", app.base)),
        )
        .await;
    assert_eq!(after.status, 401, "revoked at once");
    let unknown = app
        .graphql(
            "mutation($id: UUID!) { revokeApiKey(id: $id) }",
            json!({"id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND", "{unknown}");
}

#[tokio::test]
async fn an_admin_restandardises_over_graphql_as_over_rest() {
    let app = TestApp::spawn().await;
    app.create_customer(zhang_wei()).await;
    let query = "mutation($dry: Boolean!) { standardiseCustomers(dryRun: $dry) {
        dryRun checked changed refused } }";

    let dry = app.graphql(query, json!({"dry": true})).await;

    assert_eq!(
        dry["data"]["standardiseCustomers"],
        json!({"dryRun": true, "checked": 1, "changed": 0, "refused": 0}),
        "{dry}"
    );
    let rest = app
        .post("/api/v1/data-quality/standardise?dry_run=true", &json!({}))
        .await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(rest.body["checked"], 1);
    assert_eq!(rest.body["changed"], 0);
    let manager = app.user_token(Role::Manager).await;
    let refused = graphql_as(&app, &manager, query, json!({"dry": false})).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}
