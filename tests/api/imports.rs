//! Bulk import: Chinese headers, reject reports, re-runs, resume, bad files, masking, roles.

use dossier::domain::Role;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp};

/// Upload `body` as an import with the admin's client.
async fn upload(app: &TestApp, query: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Resp {
    upload_as(app, &app.client, query, body).await
}

async fn upload_as(
    app: &TestApp,
    client: &reqwest::Client,
    query: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Resp {
    app.send(
        client
            .post(format!("{}/api/v1/imports", app.base))
            .query(query)
            .header("content-type", "text/csv")
            .body(body.into()),
    )
    .await
}

/// Poll a job until it stops running.
async fn wait(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    for _ in 0..600 {
        let job = app
            .send(client.get(format!("{}/api/v1/imports/{id}", app.base)))
            .await;
        assert_eq!(job.status, 200, "{}", job.text);
        if !matches!(job.body["status"].as_str(), Some("queued" | "running")) {
            return job.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

/// Upload and wait for the job to finish.
async fn import(app: &TestApp, query: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Value {
    let started = upload(app, query, body).await;
    assert_eq!(started.status, 202, "{}", started.text);
    assert!(started.header("location").starts_with("/api/v1/imports/"));
    wait(app, &app.client, started.body["id"].as_str().unwrap()).await
}

async fn rejects(app: &TestApp, id: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/imports/{id}/rejects?format=json"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["data"].as_array().unwrap().clone()
}

async fn customers(app: &TestApp) -> Vec<Value> {
    let list = app.get("/api/v1/customers?limit=200").await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["data"].as_array().unwrap().clone()
}

fn counts(job: &Value) -> [i64; 5] {
    ["rows", "created", "updated", "unchanged", "rejected"].map(|k| job[k].as_i64().unwrap())
}

const CUSTOMERS_CSV: &str = "\u{feff}客户编号,姓名,手机,邮箱,城市,性别,生日,标签\r\n\
C-1,张伟,138 0013 8000,Zhang.Wei@Example.com,上海,男,1988/4/2,vip；批发\r\n\
C-2,李娜,12345,li@,北京,女,,\r\n\
C-3,王芳,13900139000,wf@example.com,Shanghai,女,1990-01-05,\r\n\
C-4,,13700137000,zq@example.com,广州,男,,\r\n\
C-5,赵敏,13600136000,zm@example.com,深圳,女,2090-01-01,\r\n\
C-6,孙丽,13500135000,sl@example.com,杭州,女,,新客\r\n";

#[tokio::test]
async fn customers_with_chinese_headers_are_imported_with_a_reject_report_and_rerun_without_duplicates()
 {
    let app = TestApp::spawn().await;
    let job = import(
        &app,
        &[
            ("kind", "customers"),
            ("source", "old-crm"),
            ("file_name", "客户.csv"),
        ],
        CUSTOMERS_CSV,
    )
    .await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["progress"], 1.0);
    assert_eq!(job["file_name"], "客户.csv");
    assert_eq!(counts(&job), [6, 3, 0, 0, 3]);
    let id = job["id"].as_str().unwrap();
    // Each bad row names its line, field and rule; the good neighbours went in.
    let bad: Vec<(i64, String, String)> = rejects(&app, id)
        .await
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        bad,
        [
            (3, "phone".to_owned(), "invalid_phone".to_owned()),
            (3, "email".to_owned(), "invalid_email".to_owned()),
            (5, "display_name".to_owned(), "required".to_owned()),
            (6, "individual.birthday".to_owned(), "in_future".to_owned()),
        ]
    );
    // The report downloads as CSV with the value as written (the admin sees it in full).
    let csv = app
        .send(
            app.client
                .get(format!("{}/api/v1/imports/{id}/rejects", app.base)),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("rejects.csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "row,field,rule,message,value");
    assert!(lines[1].starts_with("3,phone,invalid_phone,") && lines[1].ends_with(",12345"));
    assert_eq!(lines.len(), 5);
    // The imported rows are standardised like API writes and say where they came from.
    let list = customers(&app).await;
    assert_eq!(list.len(), 3);
    let zhang = list.iter().find(|c| c["display_name"] == "张伟").unwrap();
    assert_eq!(zhang["phone"], "+8613800138000");
    assert_eq!(zhang["email"], "zhang.wei@example.com");
    assert_eq!(zhang["address"]["city"], "上海市");
    assert_eq!(zhang["individual"]["gender"], "male");
    assert_eq!(zhang["individual"]["birthday"], "1988-04-02");
    assert_eq!(zhang["tags"], json!(["vip", "批发"]));
    assert_eq!(zhang["source"], "import");
    assert_eq!(zhang["version"], 1);

    // The same file again: nothing new. With two rows fixed and one changed: those only.
    let again = import(
        &app,
        &[("kind", "customers"), ("source", "old-crm")],
        CUSTOMERS_CSV,
    )
    .await;
    assert_eq!(counts(&again), [6, 0, 0, 3, 3]);
    let fixed = CUSTOMERS_CSV
        .replace("12345,li@", "13300133000,li@example.com")
        .replace("C-4,,", "C-4,周强,")
        .replace("13500135000", "13500135001");
    let third = import(&app, &[("kind", "customers"), ("source", "old-crm")], fixed).await;
    assert_eq!(counts(&third), [6, 2, 1, 2, 1]);
    let list = customers(&app).await;
    assert_eq!(list.len(), 5);
    let sun = list.iter().find(|c| c["display_name"] == "孙丽").unwrap();
    assert_eq!(sun["phone"], "+8613500135001");
    assert_eq!(sun["version"], 2);
    // The change is audited as the customer's update, naming the import.
    let audit = app
        .get(&format!(
            "/api/v1/audit?customer_id={}&action=customer.updated",
            sun["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert_eq!(
        audit.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        audit.text
    );
    // The same external ids from another source are other customers.
    let other = import(
        &app,
        &[("kind", "customers"), ("source", "shop")],
        fixed_two(),
    )
    .await;
    assert_eq!(counts(&other), [1, 1, 0, 0, 0]);
}

fn fixed_two() -> &'static str {
    "客户编号,姓名,手机\nC-1,张伟(网店),13800138000\n"
}

#[tokio::test]
async fn orders_with_line_items_reference_imported_customers_and_update_the_aggregates() {
    let app = TestApp::spawn().await;
    for (sku, price) in [("TEA-1", "100.00"), ("CUP-2", "25.50")] {
        let p = app
            .post(
                "/api/v1/products",
                &json!({"sku": sku, "name": sku, "list_price": price}),
            )
            .await;
        assert_eq!(p.status, 201, "{}", p.text);
    }
    let c = import(
        &app,
        &[("kind", "customers"), ("source", "erp")],
        "编号,名称,类型,统一社会信用代码,城市\nK1,星河贸易有限公司,企业,,上海\nK2,李四,个人,,北京\n",
    )
    .await;
    assert_eq!(counts(&c), [2, 2, 0, 0, 0]);
    let orders = "订单号,客户编号,下单时间,状态,商品编码,数量,单价,已付金额\n\
SO-1,K1,2026-05-01 10:30,已完成,TEA-1,2,,225.50\n\
SO-1,K1,2026-05-01 10:30,已完成,CUP-2,1,,225.50\n\
SO-2,K2,2026-06-01,paid,TEA-1,1,90.00,90\n\
SO-3,K9,2026-06-01,paid,TEA-1,1,,\n\
SO-4,K2,2026-06-02,paid,NOPE,1,,\n\
SO-5,K2,2026-06-03,paid,CUP-2,0,,\n";
    let job = import(&app, &[("kind", "orders"), ("source", "erp")], orders).await;
    assert_eq!(job["status"], "completed", "{job}");
    // Seven data lines; five orders: two written, three rejected.
    assert_eq!(counts(&job), [6, 2, 0, 0, 3]);
    let bad = rejects(&app, job["id"].as_str().unwrap()).await;
    let got: Vec<(i64, &str, &str)> = bad
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap(),
                r["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (5, "customer_external_id", "unknown_customer"),
            (6, "items[0].sku", "unknown_product"),
            (7, "items[0].quantity", "out_of_range"),
        ]
    );
    let so1 = app.get("/api/v1/orders?limit=10").await;
    let list = so1.body["data"].as_array().unwrap();
    let first = list.iter().find(|o| o["number"] == "SO-1").unwrap();
    assert_eq!(first["total"], "225.50");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["outstanding"], "0.00");
    // The aggregates include the imported orders.
    let k1 = customers(&app)
        .await
        .into_iter()
        .find(|c| c["display_name"] == "星河贸易有限公司")
        .unwrap();
    assert_eq!(k1["kind"], "organization");
    let stats = app
        .get(&format!(
            "/api/v1/customers/{}/stats",
            k1["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["order_count"], 1);
    assert_eq!(stats.body["monetary_total"], "225.50");
    // Re-running finds every order by its number.
    let again = import(&app, &[("kind", "orders"), ("source", "erp")], orders).await;
    assert_eq!(counts(&again), [6, 0, 0, 2, 3]);
    assert_eq!(
        app.get("/api/v1/orders?limit=10").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn interactions_and_surveys_import_from_ndjson_once() {
    let app = TestApp::spawn().await;
    let c = import(
        &app,
        &[("kind", "customers"), ("source", "crm"), ("format", "ndjson")],
        "{\"external_id\": \"A\", \"kind\": \"individual\", \"display_name\": \"陈晨\"}\n\n\
         {\"external_id\": \"B\", \"kind\": \"individual\", \"display_name\": \"林琳\", \"favourite\": 1}\n",
    )
    .await;
    assert_eq!(counts(&c), [2, 1, 0, 0, 1]);
    let bad = rejects(&app, c["id"].as_str().unwrap()).await;
    assert_eq!(bad[0]["row"], 3);
    assert_eq!(bad[0]["field"], "favourite");
    assert_eq!(bad[0]["rule"], "unknown_field");
    let calls = "{\"external_id\": \"I1\", \"customer_external_id\": \"A\", \"type\": \"call\", \"occurred_at\": \"2026-05-01T09:00:00Z\", \"summary\": \"询价\"}\n\
{\"external_id\": \"I2\", \"customer_external_id\": \"A\", \"type\": \"fax\"}\n\
{\"external_id\": \"I3\", \"customer_external_id\": \"A\", \"type\": \"email\", \"duration_seconds\": 99999}\n";
    let job = import(
        &app,
        &[
            ("kind", "interactions"),
            ("source", "crm"),
            ("format", "ndjson"),
        ],
        calls,
    )
    .await;
    assert_eq!(counts(&job), [3, 1, 0, 0, 2]);
    let bad = rejects(&app, job["id"].as_str().unwrap()).await;
    assert_eq!(bad[0]["field"], "type");
    assert_eq!(bad[0]["rule"], "invalid_enum");
    assert_eq!(bad[1]["field"], "duration_seconds");
    assert_eq!(bad[1]["value"], "99999");
    let again = import(
        &app,
        &[
            ("kind", "interactions"),
            ("source", "crm"),
            ("format", "ndjson"),
        ],
        calls,
    )
    .await;
    assert_eq!(counts(&again), [3, 0, 0, 1, 2]);
    let surveys =
        "编号,客户编号,满意度,推荐值,评论,日期\nS1,A,5,9,很好,2026-05-02\nS2,A,6,,,2026-05-03\n";
    let s = import(&app, &[("kind", "surveys"), ("source", "crm")], surveys).await;
    assert_eq!(counts(&s), [2, 1, 0, 0, 1]);
    let list = app.get("/api/v1/surveys").await;
    assert_eq!(list.body["data"][0]["csat"], 5);
    assert_eq!(list.body["data"][0]["comment"], "很好");
    let timeline = app.get("/api/v1/interactions").await;
    assert_eq!(timeline.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_files_are_refused_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let refused = |resp: &Resp, rule: &str| {
        resp.assert_problem(422, "validation_failed");
        assert_eq!(resp.body["errors"][0]["field"], "file", "{}", resp.text);
        assert_eq!(resp.body["errors"][0]["code"], rule, "{}", resp.text);
    };
    let customers_kind = [("kind", "customers")];
    // An unknown column is named, with what would be accepted.
    let unknown = upload(&app, &customers_kind, "姓名,Lieblingsfarbe\n张三,blau\n").await;
    refused(&unknown, "bad_header");
    let message = unknown.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("unknown column \"Lieblingsfarbe\""),
        "{message}"
    );
    assert!(message.contains("display_name"), "{message}");
    // A mapping fixes it: one column renamed, one skipped.
    let mapped = import(
        &app,
        &[
            ("kind", "customers"),
            ("map", "Kunde:display_name"),
            ("map", "Lieblingsfarbe:"),
        ],
        "Kunde,Lieblingsfarbe\n张三,blau\n",
    )
    .await;
    assert_eq!(counts(&mapped), [1, 1, 0, 0, 0]);
    // Empty, header only, a workbook, UTF-16, NDJSON sent as CSV, CSV sent as NDJSON.
    refused(&upload(&app, &customers_kind, "").await, "empty_file");
    refused(
        &upload(&app, &customers_kind, "\u{feff}\r\n \n").await,
        "empty_file",
    );
    refused(
        &upload(&app, &customers_kind, "姓名,手机\n").await,
        "wrong_file_kind",
    );
    let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
    xlsx.extend([0u8; 64]);
    let workbook = upload(&app, &customers_kind, xlsx).await;
    refused(&workbook, "wrong_file_kind");
    assert!(workbook.text.contains("CSV UTF-8"), "{}", workbook.text);
    refused(
        &upload(&app, &customers_kind, b"\xFF\xFEK\x00u\x00".to_vec()).await,
        "wrong_file_kind",
    );
    refused(
        &upload(&app, &customers_kind, "{\"display_name\": \"x\"}\n").await,
        "wrong_file_kind",
    );
    refused(
        &upload(
            &app,
            &[("kind", "customers"), ("format", "ndjson")],
            "姓名,手机\n张三,1\n",
        )
        .await,
        "wrong_file_kind",
    );
    // A header that is not UTF-8 (GBK 姓名).
    refused(
        &upload(
            &app,
            &customers_kind,
            b"\xD0\xD5\xC3\xFB\n\xD5\xC5\xC8\xFD\n".to_vec(),
        )
        .await,
        "bad_header",
    );
    // An orders file sent as customers.
    let wrong = upload(
        &app,
        &customers_kind,
        "订单号,下单时间,金额\nSO-1,2026-01-01,5\n",
    )
    .await;
    refused(&wrong, "bad_header");
    // Bad parameters.
    upload(&app, &[], "姓名\n张三\n")
        .await
        .assert_problem(400, "bad_request");
    upload(&app, &[("kind", "cats")], "姓名\n张三\n")
        .await
        .assert_problem(400, "bad_request");
    upload(
        &app,
        &[("kind", "customers"), ("source", "a b")],
        "姓名\n张三\n",
    )
    .await
    .assert_field_error(422, "source");
    // Nothing of those was written.
    assert_eq!(customers(&app).await.len(), 1);
    assert_eq!(
        app.get("/api/v1/imports").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Inside a good file, a line of 10 MB and a line in another encoding are rejected
    // alone; their neighbours are imported.
    let mut body = "姓名,手机\n甲,13800138000\n".as_bytes().to_vec();
    body.extend(std::iter::repeat_n(b'x', 10 << 20));
    body.extend("\n乙,13800138001\n".as_bytes());
    body.extend(b"\xD5\xC5\xC8\xFD,13800138002\n");
    body.extend("丙,13800138003\n".as_bytes());
    let job = import(&app, &customers_kind, body).await;
    assert_eq!(counts(&job), [5, 3, 0, 0, 2]);
    let bad = rejects(&app, job["id"].as_str().unwrap()).await;
    assert_eq!(
        (bad[0]["row"].as_i64(), bad[0]["rule"].as_str()),
        (Some(3), Some("line_too_long"))
    );
    assert_eq!(
        (bad[1]["row"].as_i64(), bad[1]["rule"].as_str()),
        (Some(5), Some("invalid_encoding"))
    );
    assert_eq!(bad[0]["field"], "file");
    // A single 10 MB line with no header break is refused as a whole.
    let one_line = upload(&app, &customers_kind, vec![b'a'; 10 << 20]).await;
    refused(&one_line, "bad_header");
}

#[tokio::test]
async fn a_dry_run_reports_every_row_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let job = import(
        &app,
        &[
            ("kind", "customers"),
            ("source", "old-crm"),
            ("dry_run", "true"),
        ],
        CUSTOMERS_CSV,
    )
    .await;
    assert_eq!(job["dry_run"], true);
    assert_eq!(counts(&job), [6, 3, 0, 0, 3]);
    assert_eq!(rejects(&app, job["id"].as_str().unwrap()).await.len(), 4);
    assert!(customers(&app).await.is_empty());
    // And the real run afterwards creates them.
    let real = import(
        &app,
        &[("kind", "customers"), ("source", "old-crm")],
        CUSTOMERS_CSV,
    )
    .await;
    assert_eq!(counts(&real), [6, 3, 0, 0, 3]);
}

#[tokio::test]
async fn rejected_values_are_masked_for_the_importer_and_jobs_are_private() {
    let app = TestApp::spawn().await;
    // An integration whose key may write customers but not read contact details sees no
    // contact value in its report.
    let key = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "loader", "scopes": ["customers:read", "customers:write"]}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let key_client = app.client_for(key.body["key"].as_str().unwrap());
    let started = upload_as(
        &app,
        &key_client,
        &[("kind", "customers")],
        "姓名,手机,年收入\n张三,12345678901234,abc\n",
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let id = started.body["id"].as_str().unwrap().to_owned();
    let job = wait(&app, &key_client, &id).await;
    assert_eq!(job["rejected"], 1);
    let page = app
        .send(key_client.get(format!(
            "{}/api/v1/imports/{id}/rejects?format=json",
            app.base
        )))
        .await;
    let values: Vec<(&str, &str)> = page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["field"].as_str().unwrap(), r["value"].as_str().unwrap()))
        .collect();
    assert!(values.contains(&("phone", "[withheld]")), "{values:?}");
    assert!(
        values.contains(&("individual.annual_income", "[withheld]")),
        "{values:?}"
    );
    // Support, with partial contact clearance, sees a masked summary it got wrong.
    let support = app.client_for(&app.user_token(Role::Support).await);
    app.create_customer(json!({"kind": "individual", "display_name": "钱七"}))
        .await;
    let long = format!(
        "{{\"customer_id\": \"{}\", \"type\": \"call\", \"summary\": \"{}\"}}\n",
        customers(&app)
            .await
            .iter()
            .find(|c| c["display_name"] == "钱七")
            .unwrap()["id"]
            .as_str()
            .unwrap(),
        "投诉".repeat(2600)
    );
    let started = upload_as(
        &app,
        &support,
        &[("kind", "interactions"), ("format", "ndjson")],
        long,
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let sid = started.body["id"].as_str().unwrap().to_owned();
    let job = wait(&app, &support, &sid).await;
    assert_eq!(job["rejected"], 1, "{job}");
    let page = app
        .send(support.get(format!(
            "{}/api/v1/imports/{sid}/rejects?format=json",
            app.base
        )))
        .await;
    let value = page.body["data"][0]["value"].as_str().unwrap();
    assert_eq!(page.body["data"][0]["rule"], "too_long");
    assert!(
        value.starts_with("投诉投*") && value.ends_with("投诉") && value.contains("***"),
        "{value}"
    );
    // The report is stored as the importer may see it: the admin reads the same mask.
    let stored = app
        .get(&format!("/api/v1/imports/{sid}/rejects?format=json"))
        .await;
    assert_eq!(stored.body["data"][0]["value"], value);
    // Another support user sees neither the job nor its rejects.
    let other = app.client_for(&app.user_token(Role::Support).await);
    let hidden = app
        .send(other.get(format!("{}/api/v1/imports/{sid}", app.base)))
        .await;
    hidden.assert_problem(404, "not_found");
    let mine = app
        .send(other.get(format!("{}/api/v1/imports", app.base)))
        .await;
    assert!(mine.body["data"].as_array().unwrap().is_empty());
    // Analysts import nothing; support imports no customers.
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    upload_as(&app, &analyst, &[("kind", "interactions")], "类型\ncall\n")
        .await
        .assert_problem(403, "forbidden");
    upload_as(&app, &support, &[("kind", "customers")], "姓名\n张三\n")
        .await
        .assert_problem(403, "forbidden");
    // GraphQL reads the same job and its rejects.
    let gql = app
        .graphql(
            "query($id: UUID!) { importJob(id: $id) { status kind rejected } importRejects(id: $id) { items { row field rule } } }",
            json!({"id": sid}),
        )
        .await;
    assert_eq!(gql["data"]["importJob"]["status"], "completed", "{gql}");
    assert_eq!(gql["data"]["importRejects"]["items"][0]["field"], "summary");
}

#[tokio::test]
async fn a_sales_users_imports_are_theirs() {
    let app = TestApp::spawn().await;
    let sales = app.client_for(&app.user_token(Role::Sales).await);
    let started = upload_as(
        &app,
        &sales,
        &[("kind", "customers")],
        "编号,姓名\nX1,吴九\n",
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let job = wait(&app, &sales, started.body["id"].as_str().unwrap()).await;
    assert_eq!(job["created"], 1);
    let mine = app
        .send(sales.get(format!("{}/api/v1/customers", app.base)))
        .await;
    assert_eq!(mine.body["data"][0]["display_name"], "吴九");
    // Another sales user cannot update it through an import of the same external id.
    let rival = app.client_for(&app.user_token(Role::Sales).await);
    let started = upload_as(
        &app,
        &rival,
        &[("kind", "customers")],
        "编号,姓名\nX1,吴九改\n",
    )
    .await;
    let job = wait(&app, &rival, started.body["id"].as_str().unwrap()).await;
    assert_eq!(job["rejected"], 1, "{job}");
    let page = app
        .send(rival.get(format!(
            "{}/api/v1/imports/{}/rejects?format=json",
            app.base,
            job["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(
        page.body["data"][0]["rule"], "taken",
        "read like any external id in use, without saying whose"
    );
}

#[tokio::test]
async fn an_interrupted_import_resumes_after_its_last_committed_batch() {
    use dossier::policy::Principal;
    use dossier::service::integration::import::{self, Kind, Options, reader::Format};
    let app = TestApp::spawn().await;
    let total = 2500;
    let mut text = String::from("编号,姓名,手机\n");
    for i in 0..total {
        text.push_str(&format!("R{i},客户{i},+86138{i:08}\n"));
    }
    std::fs::create_dir_all(&app.state.settings.import_dir).unwrap();
    let path = app
        .state
        .settings
        .import_dir
        .join(format!("{}.upload", uuid::Uuid::now_v7()));
    std::fs::write(&path, &text).unwrap();
    let operator = Principal::operator();
    let job = import::create(
        &app.state,
        &operator,
        Options {
            kind: Kind::Customers,
            format: Format::Csv,
            source: "legacy".to_owned(),
            dry_run: false,
            mapping: serde_json::Map::new(),
            file_name: None,
        },
        &path,
    )
    .await
    .expect("job");
    // The process dies after the first batch commits: the run is dropped mid-flight and its
    // database connections close (as they do when a process dies), rolling back the batch in
    // progress. It runs on its own connections so that closing them leaves the server's.
    let crashed_db = dossier::startup::connect(&app.state.settings)
        .await
        .expect("connect");
    let crashed = dossier::state::AppState::new(crashed_db.clone(), (*app.state.settings).clone())
        .expect("state");
    let first_batch = tokio::sync::Notify::new();
    let progress = |_: &dossier::types::imports::ImportJobView| first_batch.notify_one();
    tokio::select! {
        _ = import::run(&crashed, &operator, job.id, &progress) => panic!("the run should be cut short"),
        () = first_batch.notified() => {}
    }
    drop(crashed);
    crashed_db.close().await.expect("close");
    // On restart the job is marked interrupted.
    import::interrupt_stale(&app.state.db)
        .await
        .expect("interrupt");
    let stopped = app.get(&format!("/api/v1/imports/{}", job.id)).await;
    assert_eq!(stopped.body["status"], "interrupted", "{}", stopped.text);
    let done_before = stopped.body["records_done"].as_i64().unwrap();
    assert!(
        done_before >= 1000 && done_before < total,
        "{}",
        stopped.text
    );
    assert_eq!(stopped.body["created"].as_i64(), Some(done_before));
    // Resumed over the API, it goes on from there: every row once, nothing twice.
    let resumed = app
        .post(&format!("/api/v1/imports/{}/resume", job.id), &json!({}))
        .await;
    assert_eq!(resumed.status, 202, "{}", resumed.text);
    let finished = wait(&app, &app.client, &job.id.to_string()).await;
    assert_eq!(finished["status"], "completed", "{finished}");
    assert_eq!(finished["resumed"], true);
    assert_eq!(counts(&finished), [total, total, 0, 0, 0]);
    let count = app
        .graphql("{ customers(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(count["data"]["customers"]["totalCount"], total, "{count}");
    // A completed job cannot be resumed; its uploaded file is gone.
    app.post(&format!("/api/v1/imports/{}/resume", job.id), &json!({}))
        .await
        .assert_problem(409, "conflict");
    assert!(!path.exists());
}

#[tokio::test]
async fn migrating_finding_and_merging_duplicates_then_exporting_for_an_analyst() {
    let app = TestApp::spawn().await;
    // Two rows of the old CRM are the same person under two ids.
    let file = "客户编号,姓名,手机,城市\nM1,郑十,13800138000,上海\nM2,郑十,+86 138-0013-8000,上海市\nM3,冯一,13900139000,北京\n";
    let job = import(&app, &[("kind", "customers"), ("source", "crm")], file).await;
    assert_eq!(counts(&job), [3, 3, 0, 0, 0]);
    let pairs = app.get("/api/v1/duplicates").await;
    let pair = &pairs.body["data"][0];
    assert_eq!(
        pairs.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        pairs.text
    );
    let (a, b) = (
        pair["first_id"].as_str().unwrap(),
        pair["second_id"].as_str().unwrap(),
    );
    let merged = app
        .post(
            &format!("/api/v1/customers/{a}/merge"),
            &json!({"duplicates": [b]}),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.text);
    // Re-running the file updates the survivor for both ids instead of bringing one back.
    let again = import(&app, &[("kind", "customers"), ("source", "crm")], file).await;
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(customers(&app).await.len(), 2);
    // The analyst's export carries no contact details.
    let analyst = app.client_for(&app.user_token(Role::Analyst).await);
    let export = app
        .send(analyst.get(format!(
            "{}/api/v1/customers/export?format=ndjson",
            app.base
        )))
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    let rows: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["phone"].is_null()), "{}", export.text);
    assert!(export.text.contains("郑十"));
}

/// The value of one series in `/metrics`, or 0 when it is not there yet.
async fn metric(app: &TestApp, series: &str) -> f64 {
    let resp = app
        .send(app.anonymous.get(format!("{}/metrics", app.base)))
        .await;
    assert_eq!(resp.status, 200);
    resp.text
        .lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_imports_by_kind_and_outcome() {
    let app = TestApp::spawn().await;
    let completed = "dossier_imports_finished_total{kind=\"customers\",outcome=\"completed\"} ";
    let rows = "dossier_import_rows_total{kind=\"customers\"} ";
    assert_eq!(metric(&app, completed).await, 0.0);

    let job = import(
        &app,
        &[("kind", "customers"), ("source", "old-crm")],
        CUSTOMERS_CSV,
    )
    .await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(metric(&app, completed).await, 1.0);
    assert_eq!(metric(&app, rows).await, job["rows"].as_f64().unwrap());
    assert_eq!(metric(&app, "dossier_imports_running ").await, 0.0);
}
