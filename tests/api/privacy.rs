//! What each role sees of a customer, the same over REST and GraphQL (DESIGN §3).

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, zhang_wei};

/// What one role should see of the seeded customer.
struct Sees {
    role: Role,
    phone: Option<&'static str>,
    email: Option<&'static str>,
    street: Option<&'static str>,
    income: Option<&'static str>,
    id_number: Option<&'static str>,
}

const MATRIX: &[Sees] = &[
    Sees {
        role: Role::Admin,
        phone: Some("+8613800138000"),
        email: Some("zhang.wei@example.com"),
        street: Some("世纪大道100号"),
        income: Some("350000.00"),
        id_number: Some("110101198804021234"),
    },
    Sees {
        role: Role::Manager,
        phone: Some("+8613800138000"),
        email: Some("zhang.wei@example.com"),
        street: Some("世纪大道100号"),
        income: Some("350000.00"),
        id_number: Some("1101**********1234"),
    },
    Sees {
        role: Role::Sales,
        phone: Some("+8613800138000"),
        email: Some("zhang.wei@example.com"),
        street: Some("世纪大道100号"),
        income: Some("350000.00"),
        id_number: None,
    },
    Sees {
        role: Role::Support,
        phone: Some("138****8000"),
        email: Some("z***@example.com"),
        street: None,
        income: None,
        id_number: None,
    },
    Sees {
        role: Role::Analyst,
        phone: None,
        email: None,
        street: None,
        income: Some("350000.00"),
        id_number: None,
    },
];

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

#[tokio::test]
async fn each_role_sees_its_clearance_over_rest_and_graphql() {
    let app = TestApp::spawn().await;
    let mut doc = zhang_wei();
    doc["address"]["street"] = json!("世纪大道100号");
    doc["individual"]["health"] = json!("diabetes");
    let c = app.create_customer(doc).await;
    let id = c["id"].as_str().unwrap();

    for Sees {
        role,
        phone,
        email,
        street,
        income,
        id_number,
    } in MATRIX
    {
        let session = app.session(*role).await;
        if *role == Role::Sales {
            // Sales users see only their own customers: give this one to them.
            let assign = json!({"owner_id": session["user"]["id"]});
            let assigned = app
                .patch(&format!("/api/v1/customers/{id}"), &assign, None)
                .await;
            assert_eq!(assigned.status, 200, "{}", assigned.text);
        }
        let client = app.client_for(session["access_token"].as_str().unwrap());
        let rest = app
            .send(client.get(format!("{}/api/v1/customers/{id}", app.base)))
            .await;
        assert_eq!(rest.status, 200, "{role}");
        let r = &rest.body;
        assert_eq!(s(&r["phone"]), *phone, "{role} phone");
        assert_eq!(s(&r["email"]), *email, "{role} email");
        assert_eq!(s(&r["address"]["street"]), *street, "{role} street");
        assert_eq!(
            s(&r["address"]["city"]),
            Some("上海市"),
            "{role} sees the city"
        );
        assert_eq!(
            s(&r["individual"]["annual_income"]),
            *income,
            "{role} income"
        );
        assert_eq!(
            s(&r["individual"]["id_number"]),
            *id_number,
            "{role} id number"
        );
        let health_visible = *role == Role::Admin;
        assert_eq!(
            r["individual"]["health"].is_string(),
            health_visible,
            "{role} health"
        );
        if *role != Role::Admin {
            assert!(
                !rest.text.contains("diabetes"),
                "{role}: the sensitive value appears nowhere"
            );
            assert!(
                r["masked"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m == "individual.health"),
                "{role} lists health as masked"
            );
        } else {
            assert_eq!(r["masked"], json!([]));
        }

        let gql = app
            .send(client.post(format!("{}/graphql", app.base)).json(&json!({
                "query": "query($id: UUID!) { customer(id: $id) { phone email address { street } individual { annualIncome idNumber health } maskedFields } }",
                "variables": {"id": id}
            })))
            .await;
        let g = &gql.body["data"]["customer"];
        assert_eq!(s(&g["phone"]), *phone, "{role} phone over GraphQL");
        assert_eq!(s(&g["email"]), *email, "{role} email over GraphQL");
        assert_eq!(
            s(&g["address"]["street"]),
            *street,
            "{role} street over GraphQL"
        );
        assert_eq!(
            s(&g["individual"]["annualIncome"]),
            *income,
            "{role} income over GraphQL"
        );
        assert_eq!(
            s(&g["individual"]["idNumber"]),
            *id_number,
            "{role} id over GraphQL"
        );
        assert_eq!(
            g["maskedFields"], r["masked"],
            "{role}: the same masked list in both APIs"
        );

        let list = app
            .send(client.get(format!("{}/api/v1/customers", app.base)))
            .await;
        assert_eq!(
            list.body["data"][0]["phone"], r["phone"],
            "{role}: lists render through the same policy"
        );
    }
}

#[tokio::test]
async fn searching_by_contact_fields_is_refused_without_full_contact_clearance() {
    let app = TestApp::spawn().await;
    app.create_customer(zhang_wei()).await;

    for role in [Role::Support, Role::Analyst] {
        let client = app.client_for(&app.user_token(role).await);
        let rest = app
            .send(client.get(format!("{}/api/v1/customers?q=13800", app.base)))
            .await;
        rest.assert_problem(403, "forbidden");
        assert!(
            rest.body["detail"].as_str().unwrap().contains("`q`"),
            "the refusal names the parameter"
        );
        let gql = app
            .send(
                client.post(format!("{}/graphql", app.base)).json(
                    &json!({"query": "{ customers(filter: {q: \"13800\"}) { totalCount } }"}),
                ),
            )
            .await;
        assert_eq!(
            gql.body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{role}"
        );
        let city = app
            .send(client.get(format!("{}/api/v1/customers?city=上海市", app.base)))
            .await;
        assert_eq!(
            city.body["data"].as_array().unwrap().len(),
            1,
            "public filters still work for {role}"
        );
    }
    let sales = app.client_for(&app.user_token(Role::Manager).await);
    let found = app
        .send(sales.get(format!("{}/api/v1/customers?q=13800", app.base)))
        .await;
    assert_eq!(
        found.body["data"].as_array().unwrap().len(),
        1,
        "full contact clearance may search"
    );
}

#[tokio::test]
async fn support_reveals_contact_fields_with_a_reason_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();
    let support = app.client_for(&app.user_token(Role::Support).await);
    let reveal = |body: Value| {
        support
            .post(format!("{}/api/v1/customers/{id}/reveal", app.base))
            .json(&body)
    };

    let shown = app
        .send(reveal(
            json!({"fields": ["phone", "email"], "reason": "customer called about ticket 4711"}),
        ))
        .await;

    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(
        shown.body["values"],
        json!({"phone": "+8613800138000", "email": "zhang.wei@example.com"})
    );
    app.send(reveal(
        json!({"fields": ["individual.id_number"], "reason": "curious about it"}),
    ))
    .await
    .assert_problem(403, "forbidden");
    app.send(reveal(json!({"fields": ["phone"], "reason": ""})))
        .await
        .assert_field_error(422, "reason");
    app.send(reveal(
        json!({"fields": ["shoe_size"], "reason": "because reasons"}),
    ))
    .await
    .assert_field_error(422, "fields[0]");

    let log = app
        .get(&format!(
            "/api/v1/audit?customer_id={id}&action=customer.revealed"
        ))
        .await;
    let events = log.body["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "only the successful reveal is recorded");
    assert_eq!(events[0]["reason"], "customer called about ticket 4711");
    assert_eq!(events[0]["details"]["fields"], json!(["phone", "email"]));
    assert!(
        !log.text.contains("13800138000"),
        "the revealed values are not copied into the log"
    );
}

#[tokio::test]
async fn managers_reveal_sensitive_fields_and_analysts_reveal_nothing() {
    let app = TestApp::spawn().await;
    let c = app.create_customer(zhang_wei()).await;
    let id = c["id"].as_str().unwrap();
    let body = json!({"fields": ["individual.id_number"], "reason": "identity check for contract"});

    let manager = app.client_for(&app.user_token(Role::Manager).await);
    let shown = app
        .send(
            manager
                .post(format!("{}/api/v1/customers/{id}/reveal", app.base))
                .json(&body),
        )
        .await;
    assert_eq!(
        shown.body["values"]["individual.id_number"], "110101198804021234",
        "{}",
        shown.text
    );

    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    for fields in [json!(["individual.id_number"]), json!(["phone"])] {
        let refused = app
            .send(
                analyst
                    .post(format!("{}/api/v1/customers/{id}/reveal", app.base))
                    .json(&json!({"fields": fields, "reason": "just looking"})),
            )
            .await;
        refused.assert_problem(403, "forbidden");
    }
    let gql = app
        .send(manager.post(format!("{}/graphql", app.base)).json(&json!({
            "query": "mutation($id: UUID!) { revealCustomerFields(id: $id, fields: [\"individual.id_number\"], reason: \"identity check again\") { values } }",
            "variables": {"id": id}
        })))
        .await;
    assert_eq!(
        gql.body["data"]["revealCustomerFields"]["values"]["individual.id_number"],
        "110101198804021234",
        "{}",
        gql.text
    );
}
