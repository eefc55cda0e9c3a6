//! Data quality: standardisation on every write, duplicate candidates, the quality report.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn names_and_places_are_standardised_on_every_write() {
    let app = TestApp::spawn().await;
    let created = app
        .create_customer(json!({
            "kind": "organization", "display_name": "  ＡＢＣ　　贸易  ",
            "address": {"province": "shanghai", "city": "Shanghai"},
            "organization": {"legal_name": "ＡＢＣ 贸易（上海）有限公司"}
        }))
        .await;
    assert_eq!(created["display_name"], "ABC 贸易");
    assert_eq!(created["address"]["city"], "上海市");
    assert_eq!(created["address"]["province"], "上海市");
    assert_eq!(
        created["organization"]["legal_name"],
        "ABC 贸易(上海)有限公司"
    );
    let id = created["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &json!({"address": {"province": "广东", "city": "深圳"}}),
            None,
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["address"]["city"], "深圳市");
    assert_eq!(patched.body["address"]["province"], "广东省");
    // Any spelling finds it.
    for city in ["深圳", "深圳市", "Shenzhen"] {
        let found = app
            .send(
                app.client
                    .get(format!("{}/api/v1/customers", app.base))
                    .query(&[("city", city)]),
            )
            .await;
        assert_eq!(found.body["data"].as_array().unwrap().len(), 1, "{city}");
    }
    // Places abroad are kept as written, tidied.
    let abroad = app
        .create_customer(json!({
            "kind": "individual", "display_name": "Jane Roe",
            "address": {"country": "US", "province": " California ", "city": "Suzhou"}
        }))
        .await;
    assert_eq!(abroad["address"]["city"], "Suzhou");
    assert_eq!(abroad["address"]["province"], "California");
}
