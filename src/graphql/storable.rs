//! Text no column can store is refused before an operation runs: a NUL (U+0000) in any
//! argument, given inline or in the variables, at any depth of an input object or list,
//! fails the whole request with the rule of `domain::text` (`BAD_USER_INPUT`, a field
//! `nul_character`), so nothing is stored and no statement sees it.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, Name, Positioned, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};

use crate::domain::text::{has_nul, nul_error};
use crate::error::AppError;

/// The extension, one per schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct Storable;

impl ExtensionFactory for Storable {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Self)
    }
}

/// Where the first NUL is in `value` (its path under `path`), if there is one.
fn nul_in(value: &ConstValue, path: &str) -> Option<String> {
    match value {
        ConstValue::String(s) if has_nul(s) => Some(path.to_owned()),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, &format!("{path}[{i}]"))),
        ConstValue::Object(map) => map.iter().find_map(|(k, v)| {
            let key = k.as_str();
            if has_nul(key) {
                Some(format!("{path}.{}", key.replace('\0', "")))
            } else {
                nul_in(v, &format!("{path}.{key}"))
            }
        }),
        _ => None,
    }
}

/// An inline argument: its variables do not matter here (they are checked on their own).
fn nul_in_inline(value: &Value, path: &str) -> Option<String> {
    let value = value
        .clone()
        .into_const_with(|_| Ok::<_, std::convert::Infallible>(ConstValue::Null))
        .ok()?;
    nul_in(&value, path)
}

fn in_arguments(
    owner: &str,
    arguments: &[(Positioned<Name>, Positioned<Value>)],
) -> Option<String> {
    arguments
        .iter()
        .find_map(|(name, value)| nul_in_inline(&value.node, &format!("{owner}.{}", name.node)))
}

fn in_directives(directives: &[Positioned<Directive>]) -> Option<String> {
    directives.iter().find_map(|d| {
        let owner = format!("@{}", d.node.name.node);
        in_arguments(&owner, &d.node.arguments)
    })
}

fn in_field(field: &Field) -> Option<String> {
    in_arguments(field.name.node.as_str(), &field.arguments)
        .or_else(|| in_directives(&field.directives))
        .or_else(|| in_selection(&field.selection_set.node))
}

fn in_selection(set: &SelectionSet) -> Option<String> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => in_field(&field.node),
        Selection::InlineFragment(inline) => in_directives(&inline.node.directives)
            .or_else(|| in_selection(&inline.node.selection_set.node)),
        Selection::FragmentSpread(spread) => in_directives(&spread.node.directives),
    })
}

/// The path of the first NUL in the document's arguments, directives and variable
/// defaults, or in the variables sent with it.
fn nul_in_request(doc: &ExecutableDocument, variables: &Variables) -> Option<String> {
    let sent = variables
        .iter()
        .find_map(|(name, value)| nul_in(value, &format!("variables.{name}")));
    let operations = || {
        doc.operations.iter().find_map(|(_, op)| {
            op.node
                .variable_definitions
                .iter()
                .find_map(|v| {
                    let path = format!("variables.{}", v.node.name.node);
                    v.node
                        .default_value
                        .as_ref()
                        .and_then(|d| nul_in(&d.node, &path))
                        .or_else(|| in_directives(&v.node.directives))
                })
                .or_else(|| in_directives(&op.node.directives))
                .or_else(|| in_selection(&op.node.selection_set.node))
        })
    };
    let fragments = || {
        doc.fragments.values().find_map(|f| {
            in_directives(&f.node.directives).or_else(|| in_selection(&f.node.selection_set.node))
        })
    };
    sent.or_else(operations).or_else(fragments)
}

#[async_trait::async_trait]
impl Extension for Storable {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if let Some(path) = nul_in_request(&doc, variables) {
            let error = AppError::Validation(vec![nul_error(&path)]).extend();
            return Err(error.into_server_error(Default::default()));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, variables: serde_json::Value) -> Option<String> {
        let doc = async_graphql::parser::parse_query(query).ok()?;
        nul_in_request(&doc, &Variables::from_json(variables))
    }

    #[test]
    fn a_nul_is_found_inline_in_variables_and_deep_inside_inputs() {
        let none = check(
            r#"{ a(x: "fine", y: [{z: "ok"}]) { b } }"#,
            serde_json::json!({}),
        );
        assert_eq!(none, None);
        let inline = check(r#"{ a(x: "x\u0000") { b } }"#, serde_json::json!({}));
        assert_eq!(inline.as_deref(), Some("a.x"));
        let nested = check(
            r#"mutation { m(input: {tags: ["ok", "b\u0000"]}) { id } }"#,
            serde_json::json!({}),
        );
        assert_eq!(nested.as_deref(), Some("m.input.tags[1]"));
        let deeper = check(r#"{ a { b(x: {y: "\u0000"}) } }"#, serde_json::json!({}));
        assert_eq!(deeper.as_deref(), Some("b.x.y"));
        let sent = check(
            "query($i: In) { a(i: $i) { b } }",
            serde_json::json!({"i": {"list": [{"s": "a\u{0}"}]}}),
        );
        assert_eq!(sent.as_deref(), Some("variables.i.list[0].s"));
        let default = check(
            r#"query($s: String = "\u0000") { a(s: $s) }"#,
            serde_json::json!({}),
        );
        assert_eq!(default.as_deref(), Some("variables.s"));
    }
}
