//! `serve` (with the demo data set) and `migrate`.

use anyhow::Context;
use dossier::config::Settings;
use dossier::domain::Role;
use dossier::policy::Principal;
use dossier::service::identity::users::NewUser;
use dossier::state::AppState;
use dossier::{demo, service, startup, telemetry};
use secrecy::ExposeSecret;

use super::random_secret;
use super::scores::print_fit;

/// Bring the schema up to date.
pub async fn migrate() -> anyhow::Result<()> {
    telemetry::init();
    let settings = Settings::from_env()?;
    startup::connect(&settings).await?;
    tracing::info!(database = %startup::redact(settings.database_url.expose_secret()), "database is up to date");
    Ok(())
}

/// Serve the API until stopped; with `demo`, load the demo data set while serving.
pub async fn serve(demo: bool) -> anyhow::Result<()> {
    telemetry::init();
    let mut settings = Settings::from_env()?;
    if demo && settings.jwt_secret.is_none() {
        tracing::warn!(
            "DOSSIER_JWT_SECRET is not set: using a random one; tokens end with this process"
        );
        settings.jwt_secret = Some(random_secret());
    }
    // The demo is for exploring: GraphiQL's docs and completion need introspection.
    if demo && std::env::var_os(dossier::config::GRAPHQL_INTROSPECTION_VAR).is_none() {
        settings.graphql_introspection = true;
    }
    let app = startup::Application::build_loading(settings.clone(), demo).await?;
    let state = app.state();
    let sales = if demo {
        Some(demo_users(&state).await?)
    } else {
        None
    };
    tracing::info!(
        address = %settings.bind, database = %startup::redact(settings.database_url.expose_secret()),
        "Dossier is listening: REST /api/v1, GraphQL /graphql, docs /docs"
    );
    let server = app.run_until_stopped();
    tokio::pin!(server);
    if let Some(sales) = sales {
        // Serve while the demo data goes in: /healthz answers, /readyz says 503.
        tokio::select! {
            stopped = &mut server => {
                stopped?;
                tracing::info!("stopped before the demo data was in");
                return Ok(());
            }
            loaded = load_demo(&state, sales) => {
                loaded?;
                state.set_loading(false);
            }
        }
    }
    server.await?;
    tracing::info!("stopped");
    Ok(())
}

/// Make sure one demo user per role exists and print their logins; the id of the sales
/// user, who owns a share of the demo customers.
async fn demo_users(state: &AppState) -> anyhow::Result<uuid::Uuid> {
    let operator = Principal::operator();
    let mut logins = Vec::new();
    let mut sales = None;
    for role in Role::ALL {
        let email = format!("{role}@demo.dossier.test");
        let password = format!("demo-{role}-password");
        let id = match service::identity::users::find_by_email(state, &email).await? {
            Some(user) => user.id,
            None => {
                let user = NewUser {
                    email: email.clone(),
                    display_name: Some(format!("Demo {role}")),
                    role: *role,
                    password: password.clone(),
                };
                service::identity::users::create(state, &operator, user)
                    .await?
                    .id
            }
        };
        if *role == Role::Sales {
            sales = Some(id);
        }
        logins.push(format!("  {:<8} {email:<32} {password}", role.as_str()));
    }
    println!(
        "Demo logins (POST /api/v1/auth/login with {{\"email\", \"password\"}}):\n{}",
        logins.join("\n")
    );
    sales.context("the demo has a sales user")
}

/// Load the demo data set into a database without customers; one customer in four is
/// owned by the demo sales user (`sales`), so a sales sign-in sees its own book.
async fn load_demo(state: &AppState, sales: uuid::Uuid) -> anyhow::Result<()> {
    let settings = &*state.settings;
    let state = state.clone();
    let operator = Principal::operator();
    let existing = service::customers::count(&state, &operator, &Default::default()).await?;
    if existing > 0 {
        tracing::info!(
            customers = existing,
            "database already has customers; demo data not loaded"
        );
        return Ok(());
    }
    for field in demo::demo_custom_fields() {
        service::customers::custom_fields::create(&state, &operator, field).await?;
    }
    let customers = demo::demo_customers(300, 2026);
    let total = customers.len();
    let started = std::time::Instant::now();
    let mut created = Vec::with_capacity(total);
    for (i, mut doc) in customers.into_iter().enumerate() {
        if i % 4 == 0 {
            doc["owner_id"] = serde_json::json!(sales);
        }
        created.push(service::customers::create(&state, &operator, doc).await?);
    }
    // A few people entered twice, from another channel: the duplicates to find and merge.
    let mut twins = 0;
    for original in created.iter().filter(|c| c.phone.is_some()).step_by(60) {
        let doc = serde_json::json!({
            "kind": original.kind,
            "display_name": original.display_name,
            "phone": original.phone,
            "address": {"city": original.address.as_ref().and_then(|a| a.city.clone())},
            "source": "import",
            "tags": ["imported"],
        });
        service::customers::create(&state, &operator, doc).await?;
        twins += 1;
    }
    tracing::info!(twins, "demo duplicates added");
    let mut products = Vec::new();
    for doc in demo::demo_products() {
        products.push(
            service::behaviour::orders::create_product(&state, &operator, doc)
                .await?
                .id,
        );
    }
    let now = chrono::Utc::now();
    let mut orders = 0;
    // Link some people to organizations as their key people.
    let organizations: Vec<_> = created
        .iter()
        .filter(|c| c.kind == dossier::domain::CustomerKind::Organization)
        .map(|c| c.id)
        .collect();
    for (i, customer) in created.iter().enumerate() {
        let id = customer.id;
        let organization = customer.kind == dossier::domain::CustomerKind::Organization;
        // Half the Shanghai wholesale accounts have stopped buying: at-risk, high-value.
        let shanghai = customer
            .address
            .as_ref()
            .is_some_and(|a| a.city.as_deref() == Some("上海市"));
        let lapsed = organization && shanghai && i % 2 == 0;
        let history = demo::demo_history(i, organization, lapsed, &products, now);
        for doc in history.orders {
            service::behaviour::orders::create_order(&state, &operator, Some(id), doc).await?;
            orders += 1;
        }
        for doc in history.interactions {
            service::behaviour::engagement::record_interaction(&state, &operator, id, doc).await?;
        }
        for doc in history.surveys {
            service::behaviour::engagement::record_survey(&state, &operator, id, doc).await?;
        }
        for complaint in history.complaints {
            let opened = service::behaviour::engagement::open_complaint(
                &state,
                &operator,
                id,
                complaint.open,
            )
            .await?;
            for step in complaint.steps {
                service::behaviour::engagement::transition_complaint(
                    &state, &operator, opened.id, None, step,
                )
                .await?;
            }
        }
        for doc in history.consents {
            service::relations::record_consent(&state, &operator, id, doc).await?;
        }
        if let Some(doc) = history.preferences {
            service::relations::set_preferences(&state, &operator, id, None, doc).await?;
        }
        if let Some(tier) = history.tier {
            service::relations::set_tier(
                &state,
                &operator,
                id,
                None,
                serde_json::json!({"tier": tier}),
            )
            .await?;
            let stats = service::behaviour::orders::stats(&state, &operator, id).await?;
            let earned: i64 = stats
                .monetary_total
                .as_deref()
                .and_then(|t| t.split('.').next())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            if earned > 0 {
                let doc =
                    serde_json::json!({"kind": "earn", "points": earned, "reason": "消费积分"});
                service::relations::record_points(&state, &operator, id, doc).await?;
                if let Some(share) = history.redeem_share {
                    let points = earned * i64::from(share) / 100;
                    if points > 0 {
                        let doc = serde_json::json!({"kind": "redeem", "points": points, "reason": "兑换礼品"});
                        service::relations::record_points(&state, &operator, id, doc).await?;
                    }
                }
            }
        }
        if !organization && !organizations.is_empty() && i % 7 == 0 {
            let org = organizations[i % organizations.len()];
            let title = ["purchaser", "decision_maker", "executive"][i % 3];
            let doc = serde_json::json!({"kind": "key_person_of", "other_id": org, "title": title});
            service::relations::link(&state, &operator, id, doc).await?;
        }
    }
    // Scores, a segment and alert rules, so every part of the API has something to show.
    let (fit, snapshot) =
        service::analytics::scoring::refit(&state.db, settings, &Principal::operator(), None)
            .await?;
    if let Some(fit) = &fit {
        print_fit(fit);
    }
    let segment = serde_json::json!({
        "name": "上海的流失风险A/B级客户",
        "description": "Grade A or B customers in Shanghai whose churn risk is above 0.5",
        "filter": [
            {"field": "churn_risk", "op": "gt", "value": 0.5},
            {"field": "grade", "op": "in", "value": ["A", "B"]},
            {"field": "city", "op": "eq", "value": "上海"},
        ],
    });
    let segment = service::analytics::segments::create(&state, &operator, segment).await?;
    for rule in [
        serde_json::json!({"name": "A/B级客户流失预警", "kind": "churn_risk",
                           "params": {"threshold": 0.6, "grades": ["A", "B"]}}),
        serde_json::json!({"name": "应收账款逾期30天", "kind": "overdue_receivable",
                           "params": {"days": 30}}),
        serde_json::json!({"name": "A级客户90天未联系", "kind": "no_contact",
                           "params": {"days": 90, "grades": ["A"]}}),
        serde_json::json!({"name": "投诉超过处理时限", "kind": "complaint_sla"}),
    ] {
        service::analytics::alerts::create_rule(&state, &operator, rule).await?;
    }
    let alerts = service::analytics::alerts::evaluate(&state.db).await?;
    tracing::info!(
        customers = total,
        orders,
        scored = snapshot.customers,
        segment_members = segment.member_count,
        alerts = alerts.raised,
        seconds = started.elapsed().as_secs(),
        "demo data loaded"
    );
    Ok(())
}
