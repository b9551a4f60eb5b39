//! The API's OpenAPI document against the API itself: it is served, and every answer
//! the end-to-end tests read through the helpers is checked against the schema the
//! document gives for its route and status, so a contract that names the wrong type,
//! or an answer that drifted from its type, fails the test that met it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fieldcloud::domain::plan::Plan;
use jsonschema::Validator;
use serde_json::{json, Value};

use crate::helpers::spawn;

/// The document as the API makes it.
fn document() -> &'static Value {
    api::openapi::document()
}

/// The route pattern `path` is answered by, as the API picks it: among the patterns it
/// fits, the one with the fewest placeholders.
fn pattern_of(method: &str, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    api::ROUTES
        .iter()
        .filter(|route| route.method == method)
        .filter(|route| {
            let pattern: Vec<&str> = route.pattern.split('/').collect();
            pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
        })
        .min_by_key(|route| route.pattern.matches('{').count())
        .map(|route| route.pattern)
}

/// The validator of the schema at `pointer` in the document, made once.
fn validator(pointer: String) -> Arc<Validator> {
    static MADE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let mut made = MADE.get_or_init(Mutex::default).lock().unwrap();
    made.entry(pointer)
        .or_insert_with_key(|pointer| {
            let document = document();
            // The schema with the document's components beside it, where its `$ref`s
            // point.
            let mut schema = document.pointer(pointer).expect("the pointer").clone();
            if let Value::Object(map) = &mut schema {
                map.insert("components".into(), document["components"].clone());
            } else {
                schema = json!({"allOf": [schema], "components": document["components"]});
            }
            Arc::new(jsonschema::validator_for(&schema).expect("the document's schemas compile"))
        })
        .clone()
}

/// Asserts that `body`, answered with `status` to `method` on `path`, is what the
/// document says that route answers with that status. A path no route fits has no
/// contract to keep.
pub fn conforms(method: &str, path: &str, status: u16, body: &Value) {
    let Some(pattern) = pattern_of(method, path) else {
        return;
    };
    let responses = &document()["paths"][pattern][method.to_lowercase()]["responses"];
    let class = format!("{}XX", status / 100);
    let key = [status.to_string(), class]
        .into_iter()
        .find(|key| responses.get(key).is_some())
        .unwrap_or_else(|| {
            panic!("{method} {pattern} answered {status}, which its contract lacks")
        });
    let pointer = format!(
        "/paths/{}/{}/responses/{key}/content/application~1json/schema",
        pattern.replace('~', "~0").replace('/', "~1"),
        method.to_lowercase()
    );
    let errors: Vec<String> = validator(pointer)
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with what its contract does not allow:\n{}\n{body:#}",
        errors.join("\n")
    );
}

#[tokio::test]
async fn the_document_is_served_without_a_token_and_is_the_published_copy() {
    let app = spawn(Plan::Standard).await;
    let response = reqwest::get(format!("{}/openapi.json", app.cloud.api_url))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let served: Value = response.json().await.unwrap();
    assert_eq!(&served, document());
    let published =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .unwrap();
    assert_eq!(served, serde_json::from_str::<Value>(&published).unwrap());
}

#[test]
fn an_answer_that_is_not_its_routes_type_is_caught() {
    let health =
        |body: Value| std::panic::catch_unwind(|| conforms("GET", "/health", 200, &body)).is_ok();
    assert!(health(json!({"status": "ok"})));
    assert!(!health(json!({"status": 1})));
    assert!(!health(json!({})));
    let refused = |body: Value| {
        std::panic::catch_unwind(|| conforms("GET", "/v1/users/ann", 404, &body)).is_ok()
    };
    assert!(refused(
        json!({"code": "not_found", "message": "no such user"})
    ));
    assert!(!refused(json!({"error": "no such user"})));
}
