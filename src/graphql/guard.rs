//! Limits checked before an operation runs: how many fields at its root, how many aliases
//! and directives a document carries (async-graphql has no such limits), whether it asks
//! for introspection when that is off, and what it costs (see `cost`), which the caller's
//! request bucket pays for (`RATE_LIMITED` when it cannot). Each refusal is a GraphQL error
//! with its own `code`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

/// Most fields (aliases included) at the root of one operation.
pub const MAX_ROOT_FIELDS: usize = 30;
/// Most aliases in one document.
pub const MAX_ALIASES: usize = 60;
/// Most directives in one document (the engine also allows at most 4 on one field).
pub const MAX_DIRECTIVES: usize = 50;
/// How deep fragment spreads are followed when counting root fields (a cycle is refused by
/// validation later; this only keeps the count finite).
const MAX_SPREAD_DEPTH: usize = 8;

/// The guard, one per schema.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Answer `__schema` and `__type`.
    pub introspection: bool,
    /// The most an operation may cost.
    pub max_cost: usize,
}

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn refusal(code: &str, message: String, limit: usize) -> ServerError {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    extensions.set("limit", limit);
    error
}

/// What a document holds, counted before it runs.
#[derive(Default)]
struct Tally {
    aliases: usize,
    directives: usize,
}

impl Tally {
    fn selection_set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            self.directives += item.node.directives().len();
            match &item.node {
                Selection::Field(field) => {
                    self.aliases += usize::from(field.node.alias.is_some());
                    self.selection_set(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The fields at the root of a selection, fragments expanded; and whether one of them is
/// introspection.
fn root_fields(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    introspection: &mut bool,
) -> usize {
    let mut count = 0;
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                count += 1;
                let name = field.node.name.node.as_str();
                *introspection |= name == "__schema" || name == "__type";
            }
            Selection::InlineFragment(inline) => {
                count += root_fields(doc, &inline.node.selection_set.node, depth, introspection);
            }
            Selection::FragmentSpread(spread) if depth < MAX_SPREAD_DEPTH => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    let inner = &fragment.node.selection_set.node;
                    count += root_fields(doc, inner, depth + 1, introspection);
                }
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    count
}

impl Guard {
    fn check(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let mut tally = Tally::default();
        for fragment in doc.fragments.values() {
            tally.directives += fragment.node.directives.len();
            tally.selection_set(&fragment.node.selection_set.node);
        }
        for (_, operation) in doc.operations.iter() {
            tally.directives += operation.node.directives.len();
            tally.selection_set(&operation.node.selection_set.node);
            let mut introspection = false;
            let roots = root_fields(
                doc,
                &operation.node.selection_set.node,
                0,
                &mut introspection,
            );
            if roots > MAX_ROOT_FIELDS {
                return Err(refusal(
                    "QUERY_TOO_LARGE",
                    format!(
                        "an operation may select at most {MAX_ROOT_FIELDS} root fields (aliases included)"
                    ),
                    MAX_ROOT_FIELDS,
                ));
            }
            if introspection && !self.introspection {
                let mut error =
                    ServerError::new("introspection is turned off on this server", None);
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", "INTROSPECTION_DISABLED");
                return Err(error);
            }
        }
        if tally.aliases > MAX_ALIASES {
            return Err(refusal(
                "QUERY_TOO_LARGE",
                format!("a document may carry at most {MAX_ALIASES} aliases"),
                MAX_ALIASES,
            ));
        }
        if tally.directives > MAX_DIRECTIVES {
            return Err(refusal(
                "QUERY_TOO_LARGE",
                format!("a document may carry at most {MAX_DIRECTIVES} directives"),
                MAX_DIRECTIVES,
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extension for Guard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        self.check(&doc)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity > self.max_cost {
            let mut error = refusal(
                "QUERY_TOO_EXPENSIVE",
                format!(
                    "this operation costs {} and at most {} is allowed: ask for smaller pages or fewer expensive fields",
                    result.complexity, self.max_cost
                ),
                self.max_cost,
            );
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.set("cost", result.complexity);
            }
            return Err(vec![error]);
        }
        // Within the limit: the caller's request bucket pays for the cost too.
        if let Some(meter) = ctx.data_opt::<Arc<crate::auth::rate::Meter>>() {
            let tokens = super::cost::tokens(result.complexity);
            if let Err(refused) = meter.charge_more(tokens) {
                let mut error = ServerError::new(
                    format!(
                        "this operation costs {} ({tokens} request tokens more than a plain request) and the caller's request rate does not cover it now: {refused}",
                        result.complexity
                    ),
                    None,
                );
                let extensions = error.extensions.get_or_insert_with(Default::default);
                extensions.set("code", "RATE_LIMITED");
                if let crate::error::AppError::TooManyRequests { retry_after } = refused {
                    extensions.set("retryAfter", retry_after);
                }
                return Err(vec![error]);
            }
        }
        Ok(result)
    }
}
