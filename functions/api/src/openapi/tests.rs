use std::collections::HashSet;

use serde_json::Value;

use super::*;

/// The published copy, which the portal's build and Web API customers read.
const PUBLISHED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

fn operations(document: &Value) -> Vec<(&str, &str, &Value)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, op)| (path.as_str(), method.as_str(), op))
        })
        .collect()
}

#[test]
fn every_route_of_the_table_is_in_the_document_with_its_success() {
    let document = document();
    for route in ROUTES {
        let method = route.method.to_lowercase();
        let operation = &document["paths"][route.pattern][&method];
        assert!(
            operation.is_object(),
            "{} {} is missing",
            route.method,
            route.pattern
        );
        let status = contract(route.handler).status.to_string();
        assert!(
            operation["responses"][&status]["content"]["application/json"]["schema"].is_object(),
            "{} {} has no {status} answer",
            route.method,
            route.pattern
        );
    }
}

#[test]
fn the_document_has_no_operation_the_table_lacks() {
    let document = document();
    for (path, method, _) in operations(document) {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.pattern == path && r.method.to_lowercase() == method),
            "{method} {path} is in the document but not in the table"
        );
    }
    assert_eq!(operations(document).len(), ROUTES.len());
}

#[test]
fn each_operation_names_its_path_placeholders_and_only_public_ones_need_no_token() {
    for route in ROUTES {
        let operation = &document()["paths"][route.pattern][route.method.to_lowercase()];
        let in_path: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(in_path, placeholders(route.pattern).collect::<Vec<_>>());
        let open = operation.get("security") == Some(&serde_json::json!([]));
        assert_eq!(open, route.access == Access::Public, "{}", route.pattern);
    }
}

#[test]
fn operation_ids_are_unique() {
    let mut seen = HashSet::new();
    for (path, method, operation) in operations(document()) {
        let id = operation["operationId"].as_str().unwrap();
        assert!(seen.insert(id.to_owned()), "{id} again at {method} {path}");
    }
}

/// Every string of the document that is the value of `key`.
fn strings_at(key: &str) -> Vec<String> {
    let mut found = Vec::new();
    edit_strings(&mut document().clone(), key, &mut |text| {
        found.push(text.clone())
    });
    found
}

#[test]
fn every_reference_resolves_and_every_schema_is_referred_to() {
    let document = document();
    let found = strings_at("$ref");
    for reference in &found {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} resolves to nothing"
        );
    }
    for name in document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        let reference = format!("#{SCHEMAS}/{name}");
        assert!(found.contains(&reference), "{name} is never used");
    }
}

/// schemars tells two types of one name apart by a number at the end: each type the API
/// reads or answers has a name of its own instead.
#[test]
fn no_two_types_share_a_schema_name() {
    for name in document()["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            !name.ends_with(|c: char| c.is_ascii_digit()),
            "{name}: two types are named alike; rename one with #[schemars(rename = …)]"
        );
    }
}

#[test]
fn the_published_copy_is_the_document() {
    let made = serde_json::to_string_pretty(document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(PUBLISHED, &made).unwrap();
    }
    let published = std::fs::read_to_string(PUBLISHED).unwrap_or_default();
    assert!(
        published == made,
        "docs/openapi.json is not the API's document: run \
         `UPDATE_OPENAPI=1 cargo test -p api openapi` and commit it"
    );
}

#[test]
fn links_of_doc_comments_read_as_names() {
    assert_eq!(
        unlinked("Whether it notifies ([`Rule::notifies`]), at most [`CAP`]."),
        "Whether it notifies (`notifies`), at most `CAP`."
    );
    assert_eq!(unlinked("no link [`here"), "no link [`here");
    assert_eq!(
        unlinked("`/`, `[` and `]` are reserved"),
        "`/`, `[` and `]` are reserved"
    );
}

/// The document is public: its words are for the API's users, not notes on how it is
/// built or stored.
#[test]
fn descriptions_speak_of_the_api_not_of_its_insides() {
    for text in strings_at("description") {
        for inside in [
            "stored key",
            "IoT thing is named",
            "token key",
            "SPEC.md",
            "DynamoDB",
            "`None`",
            "`Some",
            "(see `",
        ] {
            assert!(
                !text.contains(inside),
                "{inside:?} in a description: {text}"
            );
        }
    }
}
