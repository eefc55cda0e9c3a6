//! Each validation rule: a 422 problem naming the offending field, and nothing stored.

use serde_json::{Value, json};

use crate::support::{TestApp, person, star_river, zhang_wei};

/// Merge `patch` into `base` (one level deep for the profile objects).
fn with(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        match (base.get_mut(k), v) {
            (Some(Value::Object(target)), Value::Object(fields)) => {
                for (fk, fv) in fields {
                    target.insert(fk.clone(), fv.clone());
                }
            }
            _ => {
                base[k] = v.clone();
            }
        }
    }
    base
}

#[tokio::test]
async fn each_rule_on_create_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(201);
    let many_tags: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "bad e-mail",
            with(zhang_wei(), json!({"email": "zhang.wei"})),
            "email",
        ),
        (
            "e-mail without a dotted domain",
            with(zhang_wei(), json!({"email": "a@localhost"})),
            "email",
        ),
        (
            "bad phone",
            with(zhang_wei(), json!({"phone": "12345"})),
            "phone",
        ),
        (
            "letters for a phone",
            with(zhang_wei(), json!({"phone": "call me"})),
            "phone",
        ),
        (
            "birthday in the future",
            with(
                zhang_wei(),
                json!({"individual": {"birthday": "2999-01-01"}}),
            ),
            "individual.birthday",
        ),
        (
            "birthday not a date",
            with(
                zhang_wei(),
                json!({"individual": {"birthday": "02/04/1988"}}),
            ),
            "individual.birthday",
        ),
        (
            "unknown kind",
            with(zhang_wei(), json!({"kind": "robot"})),
            "kind",
        ),
        ("missing kind", json!({"display_name": "x"}), "kind"),
        (
            "unknown gender",
            with(zhang_wei(), json!({"individual": {"gender": "m"}})),
            "individual.gender",
        ),
        (
            "unknown source",
            with(zhang_wei(), json!({"source": "tv"})),
            "source",
        ),
        (
            "unknown status",
            with(zhang_wei(), json!({"status": "vip"})),
            "status",
        ),
        (
            "unknown marital status",
            with(
                zhang_wei(),
                json!({"individual": {"marital_status": "complicated"}}),
            ),
            "individual.marital_status",
        ),
        (
            "empty display name",
            with(zhang_wei(), json!({"display_name": "   "})),
            "display_name",
        ),
        (
            "missing display name",
            json!({"kind": "individual"}),
            "display_name",
        ),
        (
            "display name too long",
            with(zhang_wei(), json!({"display_name": long})),
            "display_name",
        ),
        (
            "too many tags",
            with(zhang_wei(), json!({"tags": many_tags})),
            "tags",
        ),
        (
            "tag too long",
            with(zhang_wei(), json!({"tags": ["x".repeat(51)]})),
            "tags[0]",
        ),
        (
            "empty tag",
            with(zhang_wei(), json!({"tags": ["ok", " "]})),
            "tags[1]",
        ),
        (
            "income not a decimal",
            with(
                zhang_wei(),
                json!({"individual": {"annual_income": "lots"}}),
            ),
            "individual.annual_income",
        ),
        (
            "negative income",
            with(
                zhang_wei(),
                json!({"individual": {"annual_income": "-1.00"}}),
            ),
            "individual.annual_income",
        ),
        (
            "bad credit code",
            with(
                star_river(),
                json!({"organization": {"credit_code": "91350100M000100Y44"}}),
            ),
            "organization.credit_code",
        ),
        (
            "short credit code",
            with(
                star_river(),
                json!({"organization": {"credit_code": "9135"}}),
            ),
            "organization.credit_code",
        ),
        (
            "website not http",
            with(
                star_river(),
                json!({"organization": {"website": "ftp://example.com"}}),
            ),
            "organization.website",
        ),
        (
            "negative employee count",
            with(
                star_river(),
                json!({"organization": {"employee_count": -3}}),
            ),
            "organization.employee_count",
        ),
        (
            "founded in the future",
            with(
                star_river(),
                json!({"organization": {"founded_on": "2999-01-01"}}),
            ),
            "organization.founded_on",
        ),
        (
            "payment terms out of range",
            with(
                star_river(),
                json!({"organization": {"payment_terms_days": 5000}}),
            ),
            "organization.payment_terms_days",
        ),
        (
            "individual profile on an organization",
            with(star_river(), json!({"individual": {"gender": "male"}})),
            "individual",
        ),
        (
            "organization profile on an individual",
            with(zhang_wei(), json!({"organization": {"industry": "x"}})),
            "organization",
        ),
        (
            "unknown top-level field",
            with(zhang_wei(), json!({"nickname": "wei"})),
            "nickname",
        ),
        (
            "unknown nested field",
            with(zhang_wei(), json!({"address": {"planet": "earth"}})),
            "address.planet",
        ),
        (
            "wrong type",
            with(zhang_wei(), json!({"tags": "vip"})),
            "tags",
        ),
        (
            "read-only id",
            with(
                zhang_wei(),
                json!({"id": "01a2038b-a90e-7705-a15f-01a021cd0312"}),
            ),
            "id",
        ),
        (
            "read-only version",
            with(zhang_wei(), json!({"version": 7})),
            "version",
        ),
        (
            "read-only owner",
            with(
                zhang_wei(),
                json!({"owner_id": "01a2038b-a90e-7705-a15f-01a021cd0312"}),
            ),
            "owner_id",
        ),
        (
            "read-only created_at",
            with(zhang_wei(), json!({"created_at": "2000-01-01T00:00:00Z"})),
            "created_at",
        ),
        (
            "unknown custom field",
            with(zhang_wei(), json!({"custom": {"shoe_size": 42}})),
            "custom.shoe_size",
        ),
        (
            "id number with symbols",
            with(zhang_wei(), json!({"individual": {"id_number": "11#0101"}})),
            "individual.id_number",
        ),
    ];
    for (name, body, field) in cases {
        let resp = app.post("/api/v1/customers", &body).await;
        assert_eq!(resp.status, 422, "{name}: {}", resp.text);
        resp.assert_field_error(422, field);
    }
    let list = app.get("/api/v1/customers").await;
    assert_eq!(list.body["data"], json!([]), "nothing invalid was stored");
}

#[tokio::test]
async fn all_invalid_fields_are_reported_together_without_echoing_values() {
    let app = TestApp::spawn().await;

    let resp = app
        .post("/api/v1/customers", &json!({"kind": "individual", "display_name": "", "email": "secret-value", "phone": "999"}))
        .await;

    resp.assert_problem(422, "validation_failed");
    let fields = resp.error_fields();
    for field in ["display_name", "email", "phone"] {
        assert!(
            fields.contains(&field.to_owned()),
            "{field} missing from {fields:?}"
        );
    }
    assert!(
        !resp.text.contains("secret-value"),
        "errors never echo submitted values"
    );
}

#[tokio::test]
async fn the_same_rules_apply_to_a_merge_patch() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());

    for (patch, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({"phone": "1"}), "phone"),
        (json!({"display_name": null}), "display_name"),
        (
            json!({"individual": {"birthday": "2999-12-31"}}),
            "individual.birthday",
        ),
        (json!({"version": 9}), "version"),
        (json!({"id": "x"}), "id"),
        (json!({"kind": "robot"}), "kind"),
        (json!({"unknown": 1}), "unknown"),
    ] {
        app.patch(&path, &patch, None)
            .await
            .assert_field_error(422, field);
    }
    let after = app.get(&path).await;
    assert_eq!(after.body, c, "a refused patch changes nothing");
}

#[tokio::test]
async fn values_are_trimmed_and_empty_strings_clear() {
    let app = TestApp::spawn().await;

    let c = app
        .create_customer(json!({"kind": "individual", "display_name": "  Ann Lee  ", "email": "  ANN@EXAMPLE.COM ",
                                "notes": "   ", "tags": [" VIP ", "vip", "Lead"]}))
        .await;

    assert_eq!(c["display_name"], "Ann Lee");
    assert_eq!(c["email"], "ann@example.com");
    assert_eq!(c["notes"], Value::Null);
    assert_eq!(
        c["tags"],
        json!(["vip", "lead"]),
        "tags are trimmed, lower-cased and de-duplicated"
    );
}

#[tokio::test]
async fn national_phone_numbers_use_the_default_region() {
    let app = TestApp::spawn().await;

    let c = app
        .create_customer(with(person("Li"), json!({"phone": "138-0013-8000"})))
        .await;

    assert_eq!(c["phone"], "+8613800138000");
}
