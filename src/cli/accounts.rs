//! Users and API keys from the command line.

use anyhow::Context;
use dossier::domain::{Role, Scope};
use dossier::policy::Principal;
use dossier::service::identity::users::NewUser;
use dossier::state::AppState;
use dossier::{service, startup};

use super::output::{password_or_stdin, print_table, timestamp};
use super::{operator_state, random_secret};

/// Create a user.
pub async fn create_user(
    email: String,
    role: String,
    name: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let mut settings = super::operator_settings()?;
    // Creating a user signs no token; any secret will do if none is configured.
    settings.jwt_secret.get_or_insert_with(random_secret);
    let state = AppState::new(startup::connect(&settings).await?, settings)?;
    let role = Role::parse(role.trim())
        .with_context(|| format!("--role must be one of: {}", Role::expected()))?;
    let password = password_or_stdin(password, "password (then Enter):")?;
    let user = service::identity::users::create(
        &state,
        &Principal::operator(),
        NewUser {
            display_name: name,
            email,
            role,
            password,
        },
    )
    .await?;
    println!("created {} user {} ({})", user.role, user.email, user.id);
    Ok(())
}

/// List every user.
pub async fn list_users(json: bool) -> anyhow::Result<()> {
    let state = operator_state().await?;
    let users = service::identity::users::list(&state, &Principal::operator()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&users)?);
    } else {
        let rows = users
            .iter()
            .map(|u| {
                vec![
                    u.id.to_string(),
                    u.email.clone(),
                    u.display_name.clone(),
                    u.role.to_string(),
                    if u.active { "yes" } else { "no" }.to_owned(),
                    timestamp(u.created_at),
                ]
            })
            .collect();
        print_table(&["ID", "E-MAIL", "NAME", "ROLE", "ACTIVE", "CREATED"], rows);
    }
    Ok(())
}

/// Set a user's password and end their sessions.
pub async fn set_password(email: String, password: Option<String>) -> anyhow::Result<()> {
    let state = operator_state().await?;
    let password = password_or_stdin(password, "new password (then Enter):")?;
    let user =
        service::identity::users::set_password(&state, &Principal::operator(), &email, password)
            .await
            .map_err(|e| no_user(e, &email))?;
    println!(
        "set the password of {} user {} ({}); their sessions are revoked",
        user.role, user.email, user.id
    );
    Ok(())
}

/// Deactivate a user.
pub async fn deactivate(email: String) -> anyhow::Result<()> {
    let state = operator_state().await?;
    let operator = Principal::operator();
    let user = service::identity::users::find_by_email(&state, &email)
        .await?
        .with_context(|| format!("no user has the e-mail address {}", email.trim()))?;
    if user.active {
        let patch = dossier::types::user::UserPatch {
            active: Some(false),
            ..Default::default()
        };
        let user =
            service::identity::users::update(&state, &operator, user.id, None, patch).await?;
        println!(
            "deactivated {} user {} ({}); their sessions are revoked",
            user.role, user.email, user.id
        );
    } else {
        println!("user {} ({}) is already deactivated", user.email, user.id);
    }
    Ok(())
}

/// List every API key.
pub async fn list_keys(json: bool) -> anyhow::Result<()> {
    let state = operator_state().await?;
    let keys = service::identity::api_keys::list(&state, &Principal::operator()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&keys)?);
    } else {
        let rows = keys
            .iter()
            .map(|k| {
                vec![
                    k.id.to_string(),
                    k.name.clone(),
                    k.scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    k.prefix.clone(),
                    timestamp(k.created_at),
                    k.expires_at.map_or_else(|| "never".to_owned(), timestamp),
                    k.revoked_at.map_or_else(|| "-".to_owned(), timestamp),
                ]
            })
            .collect();
        print_table(
            &[
                "ID", "NAME", "SCOPES", "PREFIX", "CREATED", "EXPIRES", "REVOKED",
            ],
            rows,
        );
    }
    Ok(())
}

/// Revoke an API key.
pub async fn revoke_key(id: uuid::Uuid) -> anyhow::Result<()> {
    let state = operator_state().await?;
    let operator = Principal::operator();
    let key = service::identity::api_keys::get(&state, &operator, id)
        .await
        .map_err(|e| match e {
            dossier::error::AppError::NotFound { .. } => {
                anyhow::anyhow!("no API key has the id {id}")
            }
            other => other.into(),
        })?;
    if let Some(at) = key.revoked_at {
        println!(
            "API key {} ({}) was already revoked at {}",
            key.name,
            key.id,
            timestamp(at)
        );
    } else {
        service::identity::api_keys::revoke(&state, &operator, id).await?;
        println!("revoked API key {} ({})", key.name, key.id);
    }
    Ok(())
}

/// Create an API key and print it.
pub async fn create_key(
    name: String,
    scopes: Vec<String>,
    expires_in_days: Option<i64>,
) -> anyhow::Result<()> {
    let mut settings = super::operator_settings()?;
    settings.jwt_secret.get_or_insert_with(random_secret);
    let state = AppState::new(startup::connect(&settings).await?, settings)?;
    let scopes = scopes
        .iter()
        .map(|s| {
            Scope::parse(s.trim())
                .with_context(|| format!("--scope {s}: use one of {}", Scope::expected()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = dossier::types::api_key::CreateApiKeyRequest {
        name,
        scopes,
        expires_in_days,
    };
    let created =
        service::identity::api_keys::create(&state, &Principal::operator(), request).await?;
    println!("{}", created.key);
    eprintln!(
        "created API key {} ({}); store it now, it is not shown again",
        created.api_key.name, created.api_key.id
    );
    Ok(())
}

/// A missing user named by the e-mail address the operator gave.
fn no_user(err: dossier::error::AppError, email: &str) -> anyhow::Error {
    match err {
        dossier::error::AppError::NotFound { .. } => {
            anyhow::anyhow!("no user has the e-mail address {}", email.trim())
        }
        other => other.into(),
    }
}
