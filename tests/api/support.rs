//! The test harness: a real server on an ephemeral port over a fresh database.

use std::path::PathBuf;

use dossier::config::Settings;
use dossier::domain::Role;
use dossier::policy::Principal;
use dossier::service::identity::users::{self, NewUser};
use dossier::startup::Application;
use dossier::state::AppState;
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// Environment variable naming a PostgreSQL maintenance URL; unset runs on SQLite.
pub const POSTGRES_ENV: &str = "DOSSIER_TEST_POSTGRES_URL";

/// A running server and a client for it, signed in as an admin.
pub struct TestApp {
    pub base: String,
    /// Sends the admin's access token with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anonymous: reqwest::Client,
    pub state: AppState,
    cleanup: Cleanup,
}

/// Password of every user the harness creates.
pub const PASSWORD: &str = "correct horse battery staple";

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, database: String },
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    /// A header as a string, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `field` of every entry in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Assert the status and that the body is RFC 9457 problem+json with `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert!(
            self.header("content-type")
                .starts_with("application/problem+json"),
            "content type was {:?}",
            self.header("content-type")
        );
        assert_eq!(self.body["status"], status, "problem status member");
        assert_eq!(self.body["code"], code, "problem code; body: {}", self.text);
        assert!(
            self.body["title"].is_string() && self.body["type"].is_string(),
            "type and title present"
        );
    }

    /// Assert a problem naming `field` among its `errors`.
    #[track_caller]
    pub fn assert_field_error(&self, status: u16, field: &str) {
        let code = if status == 400 {
            "bad_request"
        } else {
            "validation_failed"
        };
        self.assert_problem(status, code);
        assert!(
            self.error_fields().iter().any(|f| f == field),
            "expected an error on `{field}`, got {}",
            self.text
        );
    }
}

impl TestApp {
    /// Start a server on a brand-new database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Start a server on a brand-new database with settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()) {
            Some(admin_url) => {
                let database = format!("dossier_test_{id}");
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{database}\""))
                    .await
                    .expect("create the test database");
                let base = admin_url.split('?').next().unwrap_or_default();
                let url = format!(
                    "{}/{database}",
                    &base[..base.rfind('/').expect("URL has a database path")]
                );
                (
                    url,
                    Cleanup::Postgres {
                        admin_url,
                        database,
                    },
                )
            }
            None => {
                let path = std::env::temp_dir().join(format!("dossier-test-{id}.db"));
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Cleanup::Sqlite(path),
                )
            }
        };
        let mut settings = Settings::for_tests(&url);
        configure(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("the server starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        let anonymous = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut test = TestApp {
            base,
            client: anonymous.clone(),
            anonymous,
            state,
            cleanup,
        };
        let token = test.user_token(Role::Admin).await;
        test.client = test.client_for(&token);
        test
    }

    /// Create a user with `role` (through the service, as `dossier user create` does), sign
    /// in over HTTP, and return the access token.
    pub async fn user_token(&self, role: Role) -> String {
        self.session(role).await["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Create a user with `role` and sign in; the whole session document.
    pub async fn session(&self, role: Role) -> Value {
        let email = format!("{role}-{}@test.example", uuid::Uuid::new_v4().simple());
        let user = NewUser {
            email: email.clone(),
            display_name: Some(format!("Test {role}")),
            role,
            password: PASSWORD.to_owned(),
        };
        users::create(&self.state, &Principal::operator(), user)
            .await
            .expect("create user");
        let resp = self
            .post_anonymous(
                "/api/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(resp.status, 200, "login: {}", resp.text);
        resp.body
    }

    /// A client sending `token` as its bearer token.
    pub fn client_for(&self, token: &str) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header value"),
        );
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client")
    }

    /// `POST path` with a JSON body and no credentials.
    pub async fn post_anonymous(&self, path: &str, body: &Value) -> Resp {
        self.send(
            self.anonymous
                .post(format!("{}{path}", self.base))
                .json(body),
        )
        .await
    }

    async fn read(response: reqwest::Response) -> Resp {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    /// Send a prepared request.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        Self::read(request.send().await.expect("request sent")).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// `PATCH path` with a merge patch, optionally conditional.
    pub async fn patch(&self, path: &str, body: &Value, if_match: Option<&str>) -> Resp {
        let mut request = self
            .client
            .patch(format!("{}{path}", self.base))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send(request).await
    }

    /// `DELETE path`, optionally conditional.
    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> Resp {
        let mut request = self.client.delete(format!("{}{path}", self.base));
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send(request).await
    }

    /// A GraphQL operation; returns the whole response document.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let resp = self
            .post("/graphql", &json!({"query": query, "variables": variables}))
            .await;
        assert_eq!(
            resp.status, 200,
            "GraphQL transport status; body: {}",
            resp.text
        );
        resp.body
    }

    /// Create a customer over REST, asserting 201, and return its body.
    pub async fn create_customer(&self, body: Value) -> Value {
        let resp = self.post("/api/v1/customers", &body).await;
        assert_eq!(resp.status, 201, "create customer: {}", resp.text);
        resp.body
    }

    /// Define a custom field over REST, asserting 201.
    pub async fn create_custom_field(&self, body: Value) -> Value {
        let resp = self.post("/api/v1/custom-fields", &body).await;
        assert_eq!(resp.status, 201, "create custom field: {}", resp.text);
        resp.body
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres {
                admin_url,
                database,
            } => {
                let (admin_url, database) = (admin_url.clone(), database.clone());
                // Drop runs inside the test's runtime: clean up from a thread with its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let admin = Database::connect(&admin_url).await.ok()?;
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                            ))
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// The DESIGN example: an individual with every common field.
pub fn zhang_wei() -> Value {
    json!({
        "kind": "individual",
        "display_name": "张伟",
        "phone": "+86 138 0013 8000",
        "email": "Zhang.Wei@Example.com",
        "address": {"country": "CN", "province": "上海市", "city": "上海市",
                    "district": "浦东新区", "street": "世纪大道100号", "postcode": "200120"},
        "tags": ["vip"],
        "source": "referral",
        "individual": {"family_name": "张", "given_name": "伟", "gender": "male",
                       "birthday": "1988-04-02", "occupation": "engineer",
                       "annual_income": "350000.00", "id_number": "110101198804021234"}
    })
}

/// An organization with a valid unified social credit code.
pub fn star_river() -> Value {
    json!({
        "kind": "organization",
        "display_name": "星河贸易",
        "phone": "021-6888 8888",
        "email": "info@xinghe.example.cn",
        "address": {"country": "CN", "province": "广东省", "city": "深圳市"},
        "tags": ["b2b", "wholesale"],
        "source": "partner",
        "organization": {"legal_name": "深圳星河贸易有限公司", "credit_code": "91350100M000100Y43",
                         "industry": "wholesale", "employee_count": 120,
                         "registered_capital": "10000000.00", "founded_on": "2008-06-18",
                         "website": "https://xinghe.example.cn", "credit_rating": "AA",
                         "credit_limit": "500000", "payment_terms_days": 30}
    })
}

/// A minimal individual with a given name.
pub fn person(name: &str) -> Value {
    json!({"kind": "individual", "display_name": name})
}

/// SQL statements the server has run so far, from `/metrics`.
pub async fn statements(app: &TestApp) -> u64 {
    let resp = app
        .send(app.anonymous.get(format!("{}/metrics", app.base)))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.text
        .lines()
        .find_map(|l| l.strip_prefix("dossier_db_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the statements counter")
}
