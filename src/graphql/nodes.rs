//! Global object identification: the `Node` interface and `node(id:)`, so a client cache
//! can refetch any record by its id alone.

use async_graphql::{Context, Interface, Object, Result};
use uuid::Uuid;

use super::connections::gql;
use super::context;
use super::cost;
use crate::error::AppError;
use crate::service::nodes::{self, NodeKind};
use crate::service::{
    analytics::alerts, analytics::segments, behaviour::engagement, behaviour::orders, customers,
    integration::import,
};
use crate::types::alerts::AlertView;
use crate::types::commerce::{OrderView, ProductView};
use crate::types::customer::CustomerView;
use crate::types::engagement::{ComplaintView, InteractionView};
use crate::types::imports::ImportJobView;
use crate::types::segments::SegmentView;

/// A record with an id of its own. Ids are UUIDs (v7), the same in REST and GraphQL and
/// unique across every kind, so `node(id:)` finds any record by its id alone.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&Uuid", desc = "The record's id, as in REST."))]
pub enum Node {
    Customer(Box<CustomerView>),
    Order(OrderView),
    Product(ProductView),
    Interaction(InteractionView),
    Complaint(ComplaintView),
    Segment(SegmentView),
    Alert(AlertView),
    ImportJob(ImportJobView),
}

/// `node(id:)` and `nodes(ids:)`.
#[derive(Default)]
pub struct NodeQuery;

/// Most ids one `nodes` call takes.
const MAX_NODES: usize = 50;

async fn read(ctx: &Context<'_>, id: Uuid) -> Result<Option<Node>> {
    let (state, principal) = context(ctx)?;
    let Some(kind) = nodes::kind_of(state, id).await.map_err(gql)? else {
        return Ok(None);
    };
    let node = match kind {
        NodeKind::Customer => customers::get(state, principal, id, false)
            .await
            .map(|c| Node::Customer(Box::new(c))),
        NodeKind::Order => orders::get_order(state, principal, id)
            .await
            .map(Node::Order),
        NodeKind::Product => orders::get_product(state, principal, id)
            .await
            .map(Node::Product),
        NodeKind::Interaction => engagement::get_interaction(state, principal, id)
            .await
            .map(Node::Interaction),
        NodeKind::Complaint => engagement::get_complaint(state, principal, id)
            .await
            .map(Node::Complaint),
        NodeKind::Segment => segments::get(state, principal, id).await.map(Node::Segment),
        NodeKind::Alert => alerts::get(state, principal, id).await.map(Node::Alert),
        NodeKind::ImportJob => import::get(state, principal, id).await.map(Node::ImportJob),
    };
    match node {
        Ok(node) => Ok(Some(node)),
        // Out of the caller's rows or rights: the same answer as no such record.
        Err(AppError::NotFound { .. } | AppError::Forbidden(_)) => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

#[Object]
impl NodeQuery {
    /// Any record by its id: a customer, order, product, interaction, complaint, segment,
    /// alert or import job. Null when there is none the caller may read (a record outside
    /// the caller's rows or rights looks the same as a missing one).
    async fn node(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Node>> {
        read(ctx, id).await
    }

    /// Several records by id, in the order asked (null for each the caller may not read);
    /// at most 50.
    #[graphql(complexity = "cost::items(ids.len(), child_complexity, 1)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<Uuid>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(gql(AppError::bad_param(
                "ids",
                "too_many",
                format!("at most {MAX_NODES} ids"),
            )));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(read(ctx, id).await?);
        }
        Ok(out)
    }
}
