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

/// The JSON pointer of a part of `method`'s operation on `pattern`.
fn pointer(pattern: &str, method: &str, part: &str) -> String {
    format!(
        "/paths/{}/{}/{part}",
        pattern.replace('~', "~0").replace('/', "~1"),
        method.to_lowercase()
    )
}

fn failures(validator: &Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// Asserts that `body`, answered with `status` to `method` on `path`, is what the
/// document says that route answers with that status. A path no route fits answers
/// 404 or 405 with an error.
pub fn conforms(method: &str, path: &str, status: u16, body: &Value) {
    let Some(pattern) = pattern_of(method, path) else {
        assert!(
            matches!(status, 404 | 405),
            "{method} {path} fits no route but answered {status}"
        );
        let errors = failures(
            &validator(pointer(
                "/health",
                "get",
                "responses/4XX/content/application~1json/schema",
            )),
            body,
        );
        assert!(
            errors.is_empty(),
            "{method} {path}: not an error body: {errors:?}\n{body:#}"
        );
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
    let schema = format!("responses/{key}/content/application~1json/schema");
    let errors = failures(&validator(pointer(pattern, method, &schema)), body);
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with what its contract does not allow:\n{}\n{body:#}",
        errors.join("\n")
    );
}

/// Asserts that `sent`, a body the API took (answered 2xx) on `method` `path`, is what
/// the document says the route reads: the contract names the body type the route
/// really reads.
pub fn accepted_as_documented(method: &str, path: &str, sent: &Value) {
    let Some(pattern) = pattern_of(method, path) else {
        return;
    };
    let body = pointer(
        pattern,
        method,
        "requestBody/content/application~1json/schema",
    );
    if document().pointer(&body).is_none() {
        // A route that reads no body ignores one: the tests send `null` or `{}` where
        // their helper takes one, and any body to a read (one test walks every route
        // with the same). Anything more to a write was meant to be read.
        let nothing = sent.is_null()
            || sent.as_object().is_some_and(|map| map.is_empty())
            || matches!(method, "GET" | "HEAD" | "DELETE");
        assert!(
            nothing,
            "{method} {pattern} took a JSON body its contract does not name: {sent}"
        );
        return;
    }
    let errors = failures(&validator(body), sent);
    assert!(
        errors.is_empty(),
        "{method} {path} took a body its contract does not allow:\n{}\n{sent:#}",
        errors.join("\n")
    );
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let app = spawn(Plan::Standard).await;
    let response = reqwest::get(format!("{}/openapi.json", app.cloud.api_url))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let served: Value = response.json().await.unwrap();
    // The unit test `the_published_copy_is_the_document` holds docs/openapi.json to it.
    assert_eq!(&served, document());
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
