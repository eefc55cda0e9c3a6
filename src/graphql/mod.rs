//! GraphQL at `/graphql`: thin resolvers over the same services as REST. `connections`
//! holds the page types, `loaders` the per-request batch loading; the other modules are
//! resolvers.

mod assets;
mod audit;
pub(crate) mod connections;
pub mod cost;
mod custom_fields;
mod customers;
pub mod error;
pub mod guard;
mod imports;
pub(crate) mod loaders;
mod nodes;
pub(crate) mod records;
mod scores;
mod storable;
mod users;

use actix_web::{HttpResponse, web};
use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::error::AppError;
use crate::policy::Principal;
use crate::rest::body::JsonBody;
use crate::state::AppState;

/// The query root.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    customers::CustomerQuery,
    custom_fields::CustomFieldQuery,
    users::UserQuery,
    audit::AuditQuery,
    records::RecordsQuery,
    scores::AnalyticsQuery,
    imports::ImportQuery,
    nodes::NodeQuery,
);

/// The mutation root.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    customers::CustomerMutation,
    custom_fields::CustomFieldMutation,
    users::UserMutation,
    records::RecordsMutation,
    scores::AnalyticsMutation,
    imports::ImportMutation,
);

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What the `UUID` scalar carries here (async-graphql's own text is about the type).
const UUID_DESCRIPTION: &str = "\
A UUID in its canonical lower-case hyphenated form, e.g.
`0190f7a4-5c2e-7b3d-9a1f-2e4c6b8d0a13`; ids are UUIDv7 (RFC 9562, time-ordered). Input is
case-insensitive.";

/// What the `JSON` scalar carries here.
const JSON_DESCRIPTION: &str = "\
Any JSON value, written as JSON itself rather than as a string: custom-field values keyed by
definition key, social accounts, audit details, alert-rule parameters and other free-form
documents. Each field's description says what it holds.";

/// Build the schema with its limits. `state` is absent only when printing the SDL.
///
/// The cost limit is checked by [`guard::Guard`] (which names the cost in its error), not by
/// the engine; with introspection off (`DOSSIER_GRAPHQL_INTROSPECTION`) `__schema`,
/// `__type` and the "Did you mean …" suggestions of validation errors are off too.
pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let introspection = state
        .as_ref()
        .is_none_or(|s| s.settings.graphql_introspection);
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .override_output_type_description::<uuid::Uuid>(UUID_DESCRIPTION)
    .override_output_type_description::<async_graphql::Json<serde_json::Value>>(JSON_DESCRIPTION)
    .limit_depth(12)
    .limit_recursive_depth(32)
    .limit_directives(4)
    .extension(guard::Guard {
        introspection,
        max_cost: cost::MAX_COST,
    })
    .extension(storable::Storable);
    if !introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, as checked in under `schema/`: scalars carry `@specifiedBy`.
pub fn sdl() -> String {
    sdl_of(&build_schema(None))
}

fn sdl_of(schema: &AppSchema) -> String {
    schema.sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// `POST /graphql`: one operation per request. The body goes through the same media-type,
/// size and syntax checks as REST; a batch (JSON array) is refused.
pub async fn execute(
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    principal: Result<Principal, AppError>,
    ip: crate::auth::client::ClientIp,
    meter: crate::auth::rate::RequestMeter,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    // A client without (valid) credentials gets a GraphQL response, with the same code a
    // resolver's error has, and the HTTP status and challenge REST gives.
    let principal = match principal {
        Ok(principal) => principal,
        Err(err) => {
            let error = async_graphql::ErrorExtensions::extend(&err);
            let mut server = async_graphql::ServerError::new(error.message, None);
            server.extensions = error.extensions;
            let status = actix_web::http::StatusCode::from_u16(err.status())
                .unwrap_or(actix_web::http::StatusCode::UNAUTHORIZED);
            let mut response = HttpResponse::build(status);
            match &err {
                AppError::Unavailable { retry_after, .. }
                | AppError::TooManyRequests { retry_after } => {
                    response.insert_header((
                        actix_web::http::header::RETRY_AFTER,
                        retry_after.to_string(),
                    ));
                }
                _ => {
                    response.insert_header((
                        actix_web::http::header::WWW_AUTHENTICATE,
                        "Bearer realm=\"dossier\", error=\"invalid_token\"",
                    ));
                }
            }
            return Ok(response.json(async_graphql::Response::from_errors(vec![server])));
        }
    };
    if !body
        .0
        .get("query")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(AppError::bad_param(
            "query",
            "required",
            "send one JSON object with a `query` string",
        ));
    }
    let request: async_graphql::Request = serde_json::from_value(body.0).map_err(|e| AppError::BadRequest {
        message: format!("not a GraphQL request (send one object with `query`, batches are not accepted): {e}"),
        errors: Vec::new(),
    })?;
    let state = state.get_ref().clone();
    let deadline = state.settings.graphql_timeout;
    let loader: loaders::RequestLoader = async_graphql::dataloader::DataLoader::with_cache(
        loaders::RecordsLoader {
            state,
            principal: principal.clone(),
        },
        tokio::spawn,
        async_graphql::dataloader::HashMapCache::default(),
    );
    // The deadline drops the execution, and with it every statement in flight; so does a
    // client hanging up (the server does not allow half-closed connections, so actix drops
    // this handler). A model fit already handed to the blocking pool runs to its end: the
    // cost limit keeps those to a few per request.
    let mut request = request.data(principal).data(loader).data(ip);
    if let Some(meter) = meter.0 {
        request = request.data(meter);
    }
    let execution = schema.execute(request);
    let mut response = match tokio::time::timeout(deadline, execution).await {
        Ok(response) => response,
        Err(_) => {
            let mut error = async_graphql::ServerError::new(
                format!(
                    "the operation did not finish within {} ms and was stopped; ask for less, or retry later (a mutation's earlier fields may have taken effect: read before retrying)",
                    deadline.as_millis()
                ),
                None,
            );
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "TIMEOUT");
            async_graphql::Response::from_errors(vec![error])
        }
    };
    // Errors raised by the engine itself (syntax, unknown field, wrong argument type, limits)
    // carry no code; give them one so every GraphQL error has `extensions.code`.
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
    }
    // Refused before anything ran because the caller's request rate cannot pay for it: 429
    // with `Retry-After`, as REST answers.
    let refused = response
        .data
        .eq(&async_graphql::Value::Null)
        .then(|| {
            response.errors.iter().find_map(|e| {
                let extensions = e.extensions.as_ref()?;
                (extensions.get("code")? == &async_graphql::Value::from("RATE_LIMITED"))
                    .then(|| extensions.get("retryAfter").map(ToString::to_string))
            })
        })
        .flatten();
    let mut answer = match &refused {
        Some(_) => HttpResponse::TooManyRequests(),
        None => HttpResponse::Ok(),
    };
    if let Some(Some(retry_after)) = refused {
        answer.insert_header((actix_web::http::header::RETRY_AFTER, retry_after));
    }
    Ok(answer
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .json(response))
}

/// `GET /graphql/schema.graphql`: the SDL; 404 when introspection is off.
///
/// # Errors
/// `NotFound` with introspection off.
pub async fn schema_sdl(
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if !state.settings.graphql_introspection {
        return Err(AppError::NotFound { entity: "schema" });
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(sdl_of(&schema)))
}

/// Mount the GraphQL routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(execute))
        .route("/graphql", web::get().to(assets::page))
        .route("/graphql/schema.graphql", web::get().to(schema_sdl))
        .service(
            web::resource("/graphql/assets/{file}")
                .route(web::get().to(assets::asset))
                .default_service(crate::rest::error::method_not_allowed("GET, HEAD")),
        );
}

/// The state and principal every resolver needs.
fn context<'a>(
    ctx: &'a async_graphql::Context<'_>,
) -> async_graphql::Result<(&'a AppState, &'a Principal)> {
    Ok((ctx.data::<AppState>()?, ctx.data::<Principal>()?))
}
