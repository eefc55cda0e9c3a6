//! Custom-field definitions over REST, and customer values checked against them.

use serde_json::{Value, json};

use crate::support::{TestApp, person, star_river};

fn with_custom(name: &str, custom: Value) -> Value {
    let mut body = person(name);
    body["custom"] = custom;
    body
}

#[tokio::test]
async fn definitions_are_created_listed_read_changed_and_deleted() {
    let app = TestApp::spawn().await;

    let created = app
        .post("/api/v1/custom-fields", &json!({"key": "wechat_id", "label": "WeChat ID", "type": "text", "sensitivity": "contact"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.header("location"),
        "/api/v1/custom-fields/wechat_id"
    );
    let d = &created.body;
    assert_eq!(d["type"], "text");
    assert_eq!(d["sensitivity"], "contact");
    assert_eq!(d["applies_to"], "all");
    assert_eq!(d["required"], false);
    assert_eq!(d["version"], 1);
    app.create_custom_field(
        json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["gold", "silver"]}),
    )
    .await;

    let list = app.get("/api/v1/custom-fields").await;
    let keys: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["tier", "wechat_id"], "ordered by key");

    let one = app.get("/api/v1/custom-fields/tier").await;
    assert_eq!(one.body["options"], json!(["gold", "silver"]));

    let patched = app
        .patch(
            "/api/v1/custom-fields/tier",
            &json!({"label": "Membership tier", "options": ["gold", "silver", "bronze"]}),
            None,
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["label"], "Membership tier");
    assert_eq!(patched.body["version"], 2);

    assert_eq!(
        app.delete("/api/v1/custom-fields/tier", None).await.status,
        204
    );
    app.get("/api/v1/custom-fields/tier")
        .await
        .assert_problem(404, "not_found");
    app.delete("/api/v1/custom-fields/tier", None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn bad_definitions_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "text"}))
        .await;

    let cases = [
        (json!({"key": "Tier", "label": "x", "type": "text"}), "key"),
        (json!({"key": "1tier", "label": "x", "type": "text"}), "key"),
        (json!({"key": "a-b", "label": "x", "type": "text"}), "key"),
        (json!({"label": "x", "type": "text"}), "key"),
        (json!({"key": "ok", "type": "text"}), "label"),
        (json!({"key": "ok", "label": "x"}), "type"),
        (json!({"key": "ok", "label": "x", "type": "colour"}), "type"),
        (
            json!({"key": "ok", "label": "x", "type": "enum"}),
            "options",
        ),
        (
            json!({"key": "ok", "label": "x", "type": "enum", "options": ["a", "a"]}),
            "options[1]",
        ),
        (
            json!({"key": "ok", "label": "x", "type": "number", "options": ["a"]}),
            "options",
        ),
        (
            json!({"key": "ok", "label": "x", "type": "text", "sensitivity": "secret"}),
            "sensitivity",
        ),
        (
            json!({"key": "ok", "label": "x", "type": "number", "max_length": 5}),
            "max_length",
        ),
        (
            json!({"key": "ok", "label": "x", "type": "text", "colour": "red"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        app.post("/api/v1/custom-fields", &body)
            .await
            .assert_field_error(422, field);
    }
    let duplicate = app
        .post(
            "/api/v1/custom-fields",
            &json!({"key": "tier", "label": "Again", "type": "text"}),
        )
        .await;
    duplicate.assert_problem(409, "conflict");
    for (patch, field) in [
        (json!({"type": "number"}), "type"),
        (json!({"key": "other"}), "key"),
        (json!({"label": null}), "label"),
    ] {
        app.patch("/api/v1/custom-fields/tier", &patch, None)
            .await
            .assert_field_error(422, field);
    }
    assert_eq!(
        app.get("/api/v1/custom-fields/tier").await.body["type"],
        "text"
    );
}

#[tokio::test]
async fn customer_values_are_checked_against_each_type() {
    let app = TestApp::spawn().await;
    for (key, kind, extra) in [
        ("nickname", "text", json!({"max_length": 5})),
        ("visits", "number", json!({})),
        ("budget", "decimal", json!({})),
        ("vip_since", "date", json!({})),
        ("newsletter", "bool", json!({})),
        ("tier", "enum", json!({"options": ["gold", "silver"]})),
        (
            "channels",
            "multi_enum",
            json!({"options": ["email", "sms", "wechat"]}),
        ),
    ] {
        let mut body = json!({"key": key, "label": key, "type": kind});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        app.create_custom_field(body).await;
    }

    let good = app
        .create_customer(with_custom(
            "Ann",
            json!({"nickname": " Annie ", "visits": 3, "budget": 1200.5, "vip_since": "2024-02-29", "newsletter": true,
                   "tier": "gold", "channels": ["email", "wechat"]}),
        ))
        .await;
    let custom = &good["custom"];
    assert_eq!(custom["nickname"], "Annie");
    assert_eq!(custom["visits"], 3);
    assert_eq!(
        custom["budget"], "1200.5",
        "decimals are stored exactly, as strings"
    );
    assert_eq!(custom["vip_since"], "2024-02-29");
    assert_eq!(custom["newsletter"], true);
    assert_eq!(custom["tier"], "gold");
    assert_eq!(custom["channels"], json!(["email", "wechat"]));

    let bad = [
        ("nickname", json!(7)),
        ("nickname", json!("toolong")),
        ("visits", json!("3")),
        ("visits", json!(2.5)),
        ("budget", json!("a lot")),
        ("budget", json!(true)),
        ("vip_since", json!("2024-02-30")),
        ("vip_since", json!(20240229)),
        ("newsletter", json!("yes")),
        ("tier", json!("platinum")),
        ("tier", json!(["gold"])),
        ("channels", json!("email")),
        ("channels", json!(["email", "fax"])),
        ("channels", json!(["sms", "sms"])),
    ];
    for (key, value) in bad {
        let resp = app
            .post(
                "/api/v1/customers",
                &with_custom("Bob", json!({ key: value })),
            )
            .await;
        resp.assert_field_error(422, &format!("custom.{key}"));
    }
}

#[tokio::test]
async fn required_fields_must_be_present_and_cannot_be_cleared() {
    let app = TestApp::spawn().await;
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["gold"], "required": true}))
        .await;

    app.post("/api/v1/customers", &person("Ann"))
        .await
        .assert_field_error(422, "custom.tier");
    let c = app
        .create_customer(with_custom("Ann", json!({"tier": "gold"})))
        .await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());
    app.patch(&path, &json!({"custom": {"tier": null}}), None)
        .await
        .assert_field_error(422, "custom.tier");
    let other_change = app.patch(&path, &json!({"notes": "fine"}), None).await;
    assert_eq!(
        other_change.status, 200,
        "unrelated changes still work: {}",
        other_change.text
    );
    assert_eq!(other_change.body["custom"]["tier"], "gold");
}

#[tokio::test]
async fn fields_for_one_kind_are_refused_on_the_other() {
    let app = TestApp::spawn().await;
    app.create_custom_field(json!({"key": "tax_office", "label": "Tax office", "type": "text", "applies_to": "organization"}))
        .await;

    let mut org = star_river();
    org["custom"] = json!({"tax_office": "深圳"});
    let created = app.create_customer(org).await;
    assert_eq!(created["custom"]["tax_office"], "深圳");
    app.post(
        "/api/v1/customers",
        &with_custom("Ann", json!({"tax_office": "x"})),
    )
    .await
    .assert_field_error(422, "custom.tax_office");
}

#[tokio::test]
async fn a_custom_value_can_be_cleared_and_deleted_definitions_stop_showing() {
    let app = TestApp::spawn().await;
    app.create_custom_field(json!({"key": "wechat_id", "label": "WeChat", "type": "text"}))
        .await;
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "text"}))
        .await;
    let c = app
        .create_customer(with_custom(
            "Ann",
            json!({"wechat_id": "ann88", "tier": "gold"}),
        ))
        .await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());

    let cleared = app
        .patch(&path, &json!({"custom": {"wechat_id": null}}), None)
        .await;
    assert_eq!(cleared.body["custom"], json!({"tier": "gold"}));

    app.delete("/api/v1/custom-fields/tier", None).await;
    assert_eq!(app.get(&path).await.body["custom"], json!({}));
    let after = app
        .patch(&path, &json!({"notes": "still writable"}), None)
        .await;
    assert_eq!(
        after.status, 200,
        "a value of a deleted definition does not block writes: {}",
        after.text
    );
    app.create_custom_field(json!({"key": "tier", "label": "Tier", "type": "text"}))
        .await;
    assert_eq!(
        app.get(&path).await.body["custom"],
        json!({}),
        "the old value was dropped on the last write"
    );
}
