//! GraphQL connections (Relay): the page types of every list, their windows and the error
//! conversion every resolver uses.

use async_graphql::{ErrorExtensions, Result, SimpleObject};

use crate::error::AppError;
use crate::service::Page;
use crate::service::records::Window;
use crate::types::commerce::{OrderView, ProductView};
use crate::types::customer::CustomerView;
use crate::types::engagement::{ComplaintView, InteractionView, SurveyView, TimelineEntry};
use crate::types::relations::{ConsentEventView, PointsEntryView};

/// Relay page information.
#[derive(Debug, SimpleObject)]
pub struct PageInfo {
    /// Forwards (`first`/`after`): more items follow this page. Backwards (`last`/`before`):
    /// `before` was given, so at least the item it points at follows.
    pub has_next_page: bool,
    /// Backwards (`last`/`before`): more items precede this page. Forwards (`first`/`after`):
    /// `after` was given, so at least the item it points at precedes (as Relay allows; no
    /// extra read is made).
    pub has_previous_page: bool,
    /// Cursor of the first item; pass it as `before` (with `last`) for the page before.
    pub start_cursor: Option<String>,
    /// Cursor of the last item; pass it as `after` (with `first`) for the page after.
    pub end_cursor: Option<String>,
}

/// Largest page of a nested connection.
pub(crate) const MAX_NESTED: i32 = 50;

macro_rules! connection {
    ($($conn:ident, $edge:ident, $node:ty, $name:literal, $edge_name:literal;)+) => {$(
        #[doc = concat!("An item of a ", $name, " and its cursor.")]
        #[derive(Debug, SimpleObject)]
        #[graphql(name = $edge_name)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[doc = concat!("A page of a ", $name, " (Relay connection), newest first.")]
        #[derive(Debug, SimpleObject)]
        #[graphql(name = $name)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub nodes: Vec<$node>,
            pub page_info: PageInfo,
        }

        impl From<Page<$node>> for $conn {
            fn from(page: Page<$node>) -> Self {
                let page_info = PageInfo {
                    has_next_page: page.has_next,
                    has_previous_page: page.has_previous,
                    start_cursor: page.cursors.first().cloned(),
                    end_cursor: page.cursors.last().cloned(),
                };
                let nodes = page.items.clone();
                let edges = page
                    .items
                    .into_iter()
                    .zip(page.cursors)
                    .map(|(node, cursor)| $edge { cursor, node })
                    .collect();
                Self { edges, nodes, page_info }
            }
        }
    )+};
}

connection! {
    ProductConnection, ProductEdge, ProductView, "ProductConnection", "ProductEdge";
    OrderConnection, OrderEdge, OrderView, "OrderConnection", "OrderEdge";
    InteractionConnection, InteractionEdge, InteractionView, "InteractionConnection", "InteractionEdge";
    SurveyConnection, SurveyEdge, SurveyView, "SurveyConnection", "SurveyEdge";
    ComplaintConnection, ComplaintEdge, ComplaintView, "ComplaintConnection", "ComplaintEdge";
    ConsentEventConnection, ConsentEventEdge, ConsentEventView, "ConsentEventConnection", "ConsentEventEdge";
    PointsConnection, PointsEdge, PointsEntryView, "PointsConnection", "PointsEdge";
    TimelineConnection, TimelineEdge, TimelineEntry, "TimelineConnection", "TimelineEdge";
    SegmentMemberConnection, SegmentMemberEdge, CustomerView, "SegmentMemberConnection", "SegmentMemberEdge";
    AlertConnection, AlertEdge, crate::types::alerts::AlertView, "AlertConnection", "AlertEdge";
}

pub(crate) fn gql(e: AppError) -> async_graphql::Error {
    e.extend()
}

/// The window of a connection read forwards only (`first`/`after`).
pub(crate) fn window(first: Option<i32>, after: Option<String>) -> Result<Window> {
    Window::new(first.map(i64::from), "first", after, "after").map_err(gql)
}

/// The window of a top-level connection: forwards with `first`/`after`, backwards with
/// `last`/`before`.
pub(crate) fn relay_window(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Window> {
    Window::relay(first.map(i64::from), after, last.map(i64::from), before).map_err(gql)
}

pub(crate) fn nested(first: i32) -> Result<u64> {
    if (1..=MAX_NESTED).contains(&first) {
        Ok(u64::try_from(first).unwrap_or(1))
    } else {
        Err(gql(AppError::bad_param(
            "first",
            "out_of_range",
            format!("must be between 1 and {MAX_NESTED}"),
        )))
    }
}

pub(crate) fn doc<T: serde::Serialize>(input: &T) -> Result<serde_json::Value> {
    serde_json::to_value(input).map_err(|e| gql(AppError::Internal(e.into())))
}

impl<T> Page<T> {
    /// No items.
    pub fn empty() -> Self {
        Self::new(Vec::new(), Vec::new(), false)
    }
}
