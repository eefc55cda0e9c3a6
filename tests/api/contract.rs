//! The REST contract as a client generator and a browser see it: the document, unknown
//! parameters, HEAD and OPTIONS, CORS refusals, and actions without a body.

use std::collections::HashSet;

use crate::support::{TestApp, person};

#[tokio::test]
async fn every_operation_has_a_unique_id_and_its_shared_statuses() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json").await.body;
    let mut ids = HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has an operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("400"), "{id} documents 400");
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().unwrap().is_empty()));
            if !public {
                assert!(responses.contains_key("401"), "{id} documents 401");
                assert!(responses.contains_key("403"), "{id} documents 403");
            }
            if op.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(responses.contains_key(status), "{id} documents {status}");
                }
            }
        }
    }
    assert!(
        operations > 90,
        "the whole API is documented ({operations})"
    );
    let list = &doc["paths"]["/api/v1/customers"]["get"];
    assert_eq!(list["operationId"], "customers_list");
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["type"], "integer", "limit is typed");
    assert_eq!(limit["schema"]["maximum"], 200);
    let custom = &doc["components"]["schemas"]["CustomerView"]["properties"]["custom"];
    assert!(
        custom["additionalProperties"].is_object(),
        "custom values have a schema, not an empty object"
    );
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused_and_named() {
    let app = TestApp::spawn().await;
    app.create_customer(person("Ann")).await;

    let typo = app.get("/api/v1/customers?citty=%E5%8C%97%E4%BA%AC").await;
    typo.assert_field_error(400, "citty");
    assert!(typo.body["data"].is_null(), "a typo never lists anything");
    let unsupported = app
        .get("/api/v1/orders?updated_after=2026-01-01T00:00:00Z")
        .await;
    unsupported.assert_field_error(400, "updated_after");
    let created = app.create_customer(person("Bo")).await;
    let one = app
        .get(&format!(
            "/api/v1/customers/{}?expand=x",
            created["id"].as_str().unwrap()
        ))
        .await;
    one.assert_field_error(400, "expand");
    let known = app.get("/api/v1/customers?city=&limit=5").await;
    assert_eq!(known.status, 200, "{}", known.text);
}

#[tokio::test]
async fn head_answers_where_get_does_and_options_lists_the_methods() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(person("Ann")).await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());

    let get = app.get(&path).await;
    let head = app
        .send(app.client.head(format!("{}{path}", app.base)))
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.text, "", "HEAD has no body");
    assert_eq!(head.header("etag"), get.header("etag"));

    let options = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}{path}", app.base)),
        )
        .await;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("allow"), "GET, PATCH, DELETE, HEAD, OPTIONS");
    let trace = app
        .send(
            app.client
                .request(reqwest::Method::TRACE, format!("{}/healthz", app.base)),
        )
        .await;
    trace.assert_problem(405, "method_not_allowed");
    assert_eq!(trace.header("allow"), "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn a_browser_may_put_and_a_cors_refusal_is_a_problem() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/customers/x/preferences", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "authorization, if-match")
    };
    let allowed = app.send(preflight("https://app.example.com")).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert!(
        allowed
            .header("access-control-allow-methods")
            .contains("PUT")
    );
    let refused = app.send(preflight("https://evil.example")).await;
    refused.assert_problem(403, "cors_refused");
    assert!(
        refused
            .header("content-type")
            .starts_with("application/problem+json")
    );
}

#[tokio::test]
async fn an_action_takes_an_empty_body() {
    let app = TestApp::spawn().await;
    let fit = app
        .send(app.client.post(format!("{}/api/v1/scores/fit", app.base)))
        .await;
    assert_eq!(fit.status, 200, "{}", fit.text);
    assert!(fit.body["snapshot"].is_object());
    let junk = app
        .send(
            app.client
                .post(format!("{}/api/v1/scores/fit", app.base))
                .body("as_of=2026-01-01"),
        )
        .await;
    junk.assert_problem(415, "unsupported_media_type");
}

/// Every `$ref` of the document names something the document has.
#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json").await.body;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100);
    for target in found {
        let pointer = target.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{target} resolves");
    }
}
