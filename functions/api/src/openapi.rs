//! The API's OpenAPI 3.1 document, made from the route table and each route's
//! [`contract`]: what the portal's types, Web API customers and the schema fuzzer read.
//! Nothing in it is written by hand but the words; a route added to the table is in it.
//!
//! Request bodies and answers are described from the same Rust types serde reads and
//! writes them with, each by the rules of its own direction (a field skipped when empty
//! is optional in an answer, a field with a default is optional in a request). Where a
//! type reads differently than it is written, its request schema is named `…Input`.

use std::borrow::Cow;
use std::sync::OnceLock;

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{json_schema, JsonSchema, Schema};
use serde_json::{json, Map, Value};

use crate::auth::Access;
use crate::contract::{contract, Contract, ParamKind};
use crate::error::ErrorBody;
use crate::routes::{Handler, Route, SignedRoute, ROUTES};

/// Where schemas are defined in the document, and so what their `$ref`s start with.
const SCHEMAS: &str = "/components/schemas";

/// The document, made once a process.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

/// What `GET /openapi.json` answers, for the document's own entry.
pub struct Document;

impl JsonSchema for Document {
    fn schema_name() -> Cow<'static, str> {
        "OpenApiDocument".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "This document: OpenAPI 3.1.",
            "type": "object",
            "required": ["openapi", "info", "paths"],
        })
    }
}

fn generator(settings: SchemaSettings) -> SchemaGenerator {
    settings
        .with(|settings| {
            settings.definitions_path = SCHEMAS.into();
            settings.meta_schema = None;
        })
        .into_generator()
}

fn build() -> Value {
    let mut answers = generator(SchemaSettings::draft2020_12().for_serialize());
    let mut requests = generator(SchemaSettings::draft2020_12().for_deserialize());
    let mut paths = Map::new();
    for route in ROUTES {
        let operation = operation(route, &contract(route.handler), &mut answers, &mut requests);
        let item = paths
            .entry(route.pattern)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        item.insert(route.method.to_lowercase(), operation);
    }
    let mut schemas = answers.take_definitions(true);
    let mut request_schemas = Value::Object(requests.take_definitions(true));
    drop_null_defaults(&mut request_schemas);
    let Value::Object(request_schemas) = request_schemas else {
        unreachable!("made an object above")
    };
    let renamed = merge_requests(&mut schemas, request_schemas);
    let mut paths = Value::Object(paths);
    for item in paths
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut())
        {
            if let Some(body) = operation.get_mut("requestBody") {
                rename_refs(body, &renamed);
            }
        }
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fieldcloud API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The portal's and the Web API's routes. A signed route takes \
                `Authorization: Bearer <token>`: a session token from `POST /v1/login` or \
                a Web API token. Errors answer `{code, message}` (and `position` where an \
                expression is at fault) with a 4xx or 5xx status.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"bearer": []}],
    });
    plain_links(&mut document);
    document
}

/// The descriptions come from the types' doc comments: their links to other Rust items
/// (`` [`Rule::notifies`] ``) are shown as the item's name in code (`` `notifies` ``).
fn plain_links(document: &mut Value) {
    edit_strings(document, "description", &mut |text| *text = unlinked(text));
}

/// Calls `edit` on every string that is the value of `key`, anywhere below `value`.
pub(crate) fn edit_strings(value: &mut Value, key: &str, edit: &mut impl FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                match inner {
                    Value::String(text) if name == key => edit(text),
                    _ => edit_strings(inner, key, edit),
                }
            }
        }
        Value::Array(items) => {
            for inner in items {
                edit_strings(inner, key, edit);
            }
        }
        _ => {}
    }
}

fn unlinked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let link = rest[start + 2..]
            .find("`]")
            .map(|end| &rest[start + 2..start + 2 + end])
            // A Rust path, and not a code span's end (`` `[` and `]` ``).
            .filter(|item| {
                !rest[..start].ends_with('`')
                    && !item.is_empty()
                    && item
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            });
        let Some(item) = link else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        };
        out.push_str(&rest[..start]);
        out.push('`');
        out.push_str(item.rsplit("::").next().unwrap_or(item));
        out.push('`');
        rest = &rest[start + 2 + item.len() + 2..];
    }
    out.push_str(rest);
    out
}

/// One route's operation: its parameters, body, success answer and errors.
fn operation(
    route: &Route,
    contract: &Contract,
    answers: &mut SchemaGenerator,
    requests: &mut SchemaGenerator,
) -> Value {
    let mut parameters: Vec<Value> = placeholders(route.pattern)
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": {"type": "string"},
            })
        })
        .collect();
    parameters.extend(contract.query.iter().map(|param| {
        json!({
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": match param.kind {
                ParamKind::Text => json!({"type": "string"}),
                ParamKind::Integer => json!({"type": "integer"}),
                ParamKind::Repeated => json!({"type": "array", "items": {"type": "string"}}),
            },
        })
    }));
    let error = json!({
        "description": "The request was refused or failed; `message` says why.",
        "content": {"application/json": {"schema": answers.subschema_for::<ErrorBody>()}},
    });
    let mut operation = json!({
        "operationId": operation_id(route.handler),
        "tags": [tag(route)],
        "x-access": access_name(route.access),
        "parameters": parameters,
        "responses": {
            contract.status.to_string(): {
                "description": "Done.",
                "content": {"application/json": {"schema": (contract.answer)(answers)}},
            },
            "4XX": error.clone(),
            "5XX": error,
        },
    });
    if let Some(body) = contract.body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": body(requests)}},
        });
    }
    if route.access == Access::Public {
        operation["security"] = json!([]);
    }
    operation
}

/// The names of a pattern's `{…}` segments, in order.
fn placeholders(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

/// The handler's variant name, first letter lowered: `CreateUser` → `createUser`.
fn operation_id(handler: Handler) -> String {
    let name = match handler {
        Handler::Public(route) => format!("{route:?}"),
        Handler::Signed(SignedRoute::Account(route)) => format!("{route:?}"),
        Handler::Signed(SignedRoute::Group(route)) => format!("group{route:?}"),
    };
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Routes are grouped by the path's first segment after `/v1` (after the group's, for
/// group routes): `users`, `alarms`, `files`…
fn tag(route: &Route) -> String {
    let mut segments = route
        .pattern
        .split('/')
        .filter(|segment| !segment.is_empty() && *segment != "v1");
    let first = segments.next().unwrap_or("api");
    let tag = if first == "groups" {
        segments
            .find(|segment| !segment.starts_with('{'))
            .unwrap_or("groups")
    } else {
        first
    };
    tag.to_owned()
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Member => "member",
        Access::GroupViewer => "group viewer",
        Access::GroupEditor => "group editor",
        Access::Admin => "admin",
    }
}

/// Takes `"default": null` out of request schemas: serde gives a field left out its
/// default, but where the API tells a field left out (kept as it is) from one sent as
/// `null` (cleared), a client that filled in that default would clear what it meant to
/// keep.
fn drop_null_defaults(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            map.values_mut().for_each(drop_null_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_defaults),
        _ => {}
    }
}

/// Adds the request schemas to the answer schemas: one that reads as its type is
/// written is shared, one that differs (or refers to one that does) is added as
/// `…Input`. The names so renamed.
fn merge_requests(answers: &mut Map<String, Value>, requests: Map<String, Value>) -> Vec<String> {
    let mut renamed: Vec<String> = Vec::new();
    // Until no more: a schema equal to its answer's may refer to one renamed since.
    loop {
        let more: Vec<String> = requests
            .iter()
            .filter(|(name, _)| !renamed.contains(name))
            .filter(|(name, schema)| {
                let mut schema = (*schema).clone();
                rename_refs(&mut schema, &renamed);
                answers.get(*name).is_some_and(|answer| *answer != schema)
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        renamed.extend(more);
    }
    for (name, mut schema) in requests {
        rename_refs(&mut schema, &renamed);
        if renamed.contains(&name) {
            answers.insert(format!("{name}Input"), schema);
        } else {
            answers.entry(name).or_insert(schema);
        }
    }
    renamed
}

/// Points the `$ref`s below `value` to the renamed schemas at their `…Input` names.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    edit_strings(value, "$ref", &mut |reference| {
        let name = reference.trim_start_matches(&format!("#{SCHEMAS}/"));
        if renamed.iter().any(|r| r == name) {
            *reference = format!("#{SCHEMAS}/{name}Input");
        }
    });
}

#[cfg(test)]
mod tests;
