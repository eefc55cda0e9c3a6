//! Import jobs over GraphQL: status, counts and rejects (files are uploaded over REST).

use async_graphql::{Context, Object, Result, SimpleObject};
use uuid::Uuid;

use super::connections::gql;
use super::cost;
use crate::service::integration::import;
use crate::types::imports::{ImportJobView, ImportRejectView};

#[derive(Default)]
pub struct ImportQuery;

/// A page of an import's rejects.
#[derive(SimpleObject)]
pub struct ImportRejectPage {
    pub items: Vec<ImportRejectView>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<Uuid>,
}

#[Object]
impl ImportQuery {
    /// An import job: status, progress and counts (the caller's own; any for admins and
    /// managers).
    async fn import_job(&self, ctx: &Context<'_>, id: Uuid) -> Result<ImportJobView> {
        let (state, principal) = super::context(ctx)?;
        import::get(state, principal, id).await.map_err(gql)
    }

    /// The newest import jobs.
    #[graphql(complexity = "cost::page(Some(first), 50, child_complexity, 1)")]
    async fn import_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, desc = "1–200.")] first: i32,
    ) -> Result<Vec<ImportJobView>> {
        let (state, principal) = super::context(ctx)?;
        let first = u64::try_from(first.clamp(1, 200)).unwrap_or(50);
        import::list(state, principal, first).await.map_err(gql)
    }

    /// An import's rejected rows in file order, one per broken rule, values masked for the
    /// importer.
    #[graphql(complexity = "cost::page(Some(first), 100, child_complexity, 1)")]
    async fn import_rejects(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(default = 100, desc = "1–1000.")] first: i32,
        after: Option<Uuid>,
    ) -> Result<ImportRejectPage> {
        let (state, principal) = super::context(ctx)?;
        let first = u64::try_from(first.clamp(1, 1000)).unwrap_or(100);
        let (items, next) = import::rejects(state, principal, id, after, first)
            .await
            .map_err(gql)?;
        Ok(ImportRejectPage { items, next })
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Resume a failed or interrupted import after its last committed batch.
    async fn resume_import(&self, ctx: &Context<'_>, id: Uuid) -> Result<ImportJobView> {
        let (state, principal) = super::context(ctx)?;
        let view = import::prepare_resume(state, principal, id)
            .await
            .map_err(gql)?;
        crate::jobs::imports::spawn(state.clone(), principal.clone(), id);
        Ok(view)
    }
}
