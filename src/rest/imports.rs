//! Bulk imports over REST: upload a file as a job, poll it, download its rejects, resume it.

use tokio::io::AsyncWriteExt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::analytics::int_param;
use super::error::{Problem, method_not_allowed};
use super::idempotency::{self, Created};
use super::params::bool_param;
use super::records::private_json;
use crate::domain::parse_id;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::integration::import::reader::Format;
use crate::service::integration::import::{self, Kind, Options};
use crate::state::AppState;
use crate::types::imports::{ImportJobView, ImportRejectView};

/// Routes of imports.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/imports")
            .route(web::post().to(upload))
            .route(web::get().to(list))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/imports/{id}")
            .route(web::get().to(get))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/imports/{id}/rejects")
            .route(web::get().to(rejects))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/imports/{id}/resume")
            .route(web::post().to(resume))
            .default_service(method_not_allowed("POST")),
    );
}

/// Query parameters of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `customers`, `orders`, `interactions` or `surveys`.
    #[param(value_type = super::params::ImportKind)]
    kind: String,
    /// `csv` or `ndjson`; default from the media type (`text/csv`, `application/x-ndjson`),
    /// then from `file_name`, then CSV.
    #[param(value_type = Option<super::params::FileFormat>)]
    format: Option<String>,
    /// The system the file comes from (default `api`): external ids are matched within it.
    source: Option<String>,
    /// `true` checks every row and writes nothing.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
    /// The file's name, for the job's record.
    file_name: Option<String>,
    /// Column mapping, repeatable: `map=Kunde:display_name`; `map=Spalte:` skips a column.
    #[param(value_type = Option<Vec<super::params::ImportMapping>>)]
    map: Option<Vec<String>>,
}

impl UploadParams {
    /// From the query's pairs (`map` may repeat).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut p = Self {
            kind: String::new(),
            format: None,
            source: None,
            dry_run: None,
            file_name: None,
            map: None,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "kind" => p.kind = value,
                "format" => p.format = Some(value),
                "source" => p.source = Some(value),
                "dry_run" => p.dry_run = Some(value),
                "file_name" => p.file_name = Some(value),
                "map" => p.map.get_or_insert_with(Vec::new).push(value),
                _ => {}
            }
        }
        p
    }
}

fn kind_param(raw: Option<&str>) -> AppResult<Kind> {
    let raw = raw.ok_or_else(|| {
        AppError::bad_param(
            "kind",
            "required",
            "say what the file holds: customers, orders, interactions or surveys",
        )
    })?;
    Kind::parse(raw).ok_or_else(|| {
        AppError::bad_param(
            "kind",
            "invalid_enum",
            "must be customers, orders, interactions or surveys",
        )
    })
}

fn format_param(req: &HttpRequest, raw: Option<&str>, name: Option<&str>) -> AppResult<Format> {
    if let Some(raw) = raw {
        return Format::parse(raw)
            .ok_or_else(|| AppError::bad_param("format", "invalid_enum", "must be csv or ndjson"));
    }
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let by_media = match media.as_deref() {
        Some("text/csv") => Some(Format::Csv),
        Some("application/x-ndjson" | "application/jsonl" | "application/ndjson") => {
            Some(Format::Ndjson)
        }
        _ => None,
    };
    Ok(by_media
        .or_else(|| name.and_then(Format::from_name))
        .unwrap_or(Format::Csv))
}

fn mapping_param(pairs: &[String]) -> AppResult<Map<String, Value>> {
    let mut mapping = Map::new();
    for pair in pairs {
        let Some((column, field)) = pair.rsplit_once(':') else {
            return Err(AppError::bad_param(
                "map",
                "invalid_mapping",
                "each map must be column:field (column: to skip the column)",
            ));
        };
        let target = if field.trim().is_empty() {
            Value::Null
        } else {
            Value::String(field.trim().to_owned())
        };
        mapping.insert(column.trim().to_owned(), target);
    }
    Ok(mapping)
}

fn accepted(view: &ImportJobView) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", view.id)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(view)
}

/// Upload a file to import (the body is the file: CSV with a header line, or NDJSON). The
/// file is checked first: an empty file, a workbook or other binary, text that is not UTF-8,
/// or a CSV column that maps to no field is refused with 422 and nothing is written.
/// Otherwise the job starts at once; poll it for progress and counts. With an
/// `Idempotency-Key`, a retry of the same upload (same parameters, same file) gets the first
/// job's response and starts no second job.
#[utoipa::path(post, path = "/api/v1/imports", operation_id = "imports_upload", tag = "imports",
    params(UploadParams, ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key, parameters and file get the first response (24 h). The job and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    request_body(description = "The file", content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 202, description = "The job, started (a replay carries `Idempotent-Replayed: true`)", body = ImportJobView,
            headers(("Location" = String, description = "The job"))),
        (status = 409, description = "A request with the same `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to write this kind", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than DOSSIER_IMPORT_MAX_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be imported (`file`: empty_file, wrong_file_kind, bad_header…), or the `Idempotency-Key` was used for a different request (`idempotency_key_reused`)", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    params: web::Query<Vec<(String, String)>>,
    mut body: web::Payload,
) -> AppResult<HttpResponse> {
    let p = UploadParams::from_pairs(params.into_inner());
    let kind = kind_param(Some(p.kind.as_str()).filter(|k| !k.is_empty()))?;
    let format = format_param(&req, p.format.as_deref(), p.file_name.as_deref())?;
    let dry_run = bool_param("dry_run", p.dry_run.as_deref())?;
    let mapping = mapping_param(p.map.as_deref().unwrap_or_default())?;
    // Refused before the upload is read, not after it is spooled.
    kind.require(&principal)?;
    let limit = state.settings.import_max_bytes;
    let too_large = || AppError::PayloadTooLarge {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let dir = &state.settings.import_dir;
    let path = dir.join(format!("{}.upload", uuid::Uuid::now_v7()));
    // Spooled through tokio's file I/O (on its blocking pool, never on this worker), with
    // at most the body timeout between two pieces of the upload.
    let patience = state.settings.timeouts.body;
    let mut digest = Sha256::new();
    let spooled = async {
        let internal = |e: std::io::Error| AppError::Internal(e.into());
        tokio::fs::create_dir_all(dir).await.map_err(internal)?;
        let mut file =
            tokio::io::BufWriter::new(tokio::fs::File::create(&path).await.map_err(internal)?);
        let mut size = 0u64;
        loop {
            let next = tokio::time::timeout(patience, body.next())
                .await
                .map_err(|_| AppError::RequestTimeout)?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| AppError::BadRequest {
                message: format!("the upload broke off: {e}"),
                errors: Vec::new(),
            })?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large());
            }
            digest.update(&chunk);
            file.write_all(&chunk).await.map_err(internal)?;
        }
        file.flush().await.map_err(internal)?;
        Ok(())
    }
    .await;
    if let Err(e) = spooled {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let options = Options {
        kind,
        format,
        source: p.source.unwrap_or_else(|| "api".to_owned()),
        dry_run,
        mapping,
        file_name: p.file_name.map(|n| n.chars().take(255).collect()),
    };
    // Under an `Idempotency-Key` the request is its parameters and the file.
    let fingerprint = format!("{}\n{:x}", req.query_string(), digest.finalize());
    // Set once the job has committed: from then on the file is the job's.
    let started = std::rc::Rc::new(std::cell::Cell::new(false));
    let (shared, caller, file) = (state.get_ref(), &principal, &path);
    let mark = std::rc::Rc::clone(&started);
    let response = idempotency::run_keyed(
        shared,
        caller,
        &req,
        fingerprint.as_bytes(),
        |db| async move {
            let view = import::create_in(&*db, caller, options, file).await?;
            let (state, principal, id) = (shared.clone(), caller.clone(), view.id);
            Ok(Created {
                status: StatusCode::ACCEPTED,
                location: Some(format!("/api/v1/imports/{id}")),
                etag: None,
                body: serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?,
                then: Some(Box::new(move || {
                    mark.set(true);
                    crate::jobs::imports::spawn(state, principal, id);
                })),
            })
        },
    )
    .await;
    if !started.get() {
        // Refused, failed or replayed: no job of this request holds the file.
        let _ = tokio::fs::remove_file(&path).await;
    }
    response
}

/// Query parameters of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1–200, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Import jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobList {
    pub data: Vec<ImportJobView>,
}

/// The newest import jobs: the caller's own, or everyone's for admins and managers.
#[utoipa::path(get, path = "/api/v1/imports", operation_id = "imports_list", tag = "imports", params(ListParams),
    responses((status = 200, description = "The jobs", body = ImportJobList)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = int_param("limit", params.limit.as_deref())?.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::bad_param(
            "limit",
            "out_of_range",
            "must be from 1 to 200",
        ));
    }
    let data = import::list(&state, &principal, u64::from(limit.unsigned_abs())).await?;
    Ok(private_json(StatusCode::OK, &ImportJobList { data }))
}

/// An import job: status, progress and counts.
#[utoipa::path(get, path = "/api/v1/imports/{id}", operation_id = "imports_get", tag = "imports",
    params(("id" = uuid::Uuid, Path, description = "Import id")),
    responses((status = 200, description = "The job", body = ImportJobView),
        (status = 404, description = "No such job (or not yours)", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = import::get(&state, &principal, parse_id("id", &id)?).await?;
    Ok(private_json(StatusCode::OK, &view))
}

/// Query parameters of the rejects.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RejectParams {
    /// `csv` (default: every reject, as a download) or `json` (a page).
    #[param(value_type = Option<super::params::RejectFormat>)]
    format: Option<String>,
    /// JSON page size, 1–1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// JSON: the `next` of the previous page.
    #[param(value_type = Option<uuid::Uuid>)]
    after: Option<String>,
}

/// A page of rejects.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectPage {
    pub data: Vec<ImportRejectView>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<uuid::Uuid>,
}

/// The rejected rows of an import, one line per broken rule: line, field, rule, message and
/// the value masked for the importer's clearance. CSV (a download) or JSON pages.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejects", operation_id = "imports_rejects", tag = "imports",
    params(("id" = uuid::Uuid, Path, description = "Import id"), RejectParams),
    responses((status = 200, description = "The rejects",
            content((String = "text/csv"), (RejectPage = "application/json"))),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json")))]
pub async fn rejects(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<RejectParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    match params.format.as_deref() {
        None | Some("csv") => {
            let body = import::rejects_csv(&state, &principal, id).await?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"import-{id}-rejects.csv\""),
                ))
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .body(body))
        }
        Some("json") => {
            let limit = int_param("limit", params.limit.as_deref())?.unwrap_or(100);
            if !(1..=1000).contains(&limit) {
                return Err(AppError::bad_param(
                    "limit",
                    "out_of_range",
                    "must be from 1 to 1000",
                ));
            }
            let after = params
                .after
                .as_deref()
                .map(|a| parse_id("after", a))
                .transpose()?;
            let (data, next) = import::rejects(
                &state,
                &principal,
                id,
                after,
                u64::from(limit.unsigned_abs()),
            )
            .await?;
            Ok(private_json(StatusCode::OK, &RejectPage { data, next }))
        }
        Some(_) => Err(AppError::bad_param(
            "format",
            "invalid_enum",
            "must be csv or json",
        )),
    }
}

/// Resume a failed or interrupted import after its last committed batch (its uploaded file
/// is kept until it completes).
#[utoipa::path(post, path = "/api/v1/imports/{id}/resume", operation_id = "imports_resume", tag = "imports",
    params(("id" = uuid::Uuid, Path, description = "Import id")),
    responses((status = 202, description = "The job, running again", body = ImportJobView),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not stopped, or its file is gone", body = Problem, content_type = "application/problem+json")))]
pub async fn resume(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = import::prepare_resume(&state, &principal, parse_id("id", &id)?).await?;
    crate::jobs::imports::spawn(state.get_ref().clone(), principal, view.id);
    Ok(accepted(&view))
}
