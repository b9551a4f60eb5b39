//! The API against its own OpenAPI document, by a schema fuzzer: schemathesis sends
//! requests made from the document (every operation, its schemas' examples and
//! generated bodies, queries and paths, valid and not) to the local cloud as a
//! logged-in admin, and fails on any 5xx, any status the document does not list and any
//! answer its schema does not allow. Its own test binary: cargo runs it after the
//! end-to-end tests, not beside them.

use std::time::Duration;

use devcloud::{seed, LocalCloud, Ports};
use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};
use tokio::process::Command;

const PASSWORD: &str = "contract-Secret-9";
/// The whole run's bound; it takes about a minute.
const RUN_WITHIN: Duration = Duration::from_secs(25 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let cloud = LocalCloud::start(Ports::default())
        .await
        .expect("local cloud starts");
    let tenant = seed::tenant(&cloud.store, "acme", Plan::Pro, "plant", &["gw-a"])
        .await
        .expect("seeding");
    seed::admin(&cloud.store, &tenant.account, "tester", PASSWORD)
        .await
        .expect("seeding the admin");
    // A token as a person gets one: over HTTP, from the login route.
    let session: Value = reqwest::Client::new()
        .post(format!("{}/v1/login", cloud.api_url))
        .json(&json!({"account": "acme", "user": "tester", "password": PASSWORD}))
        .send()
        .await
        .expect("the API answers")
        .json()
        .await
        .expect("a session");
    let token = session["token"].as_str().expect("a session token");

    let python = devcloud::python::with("schemathesis", "schemathesis")
        .await
        .expect("schemathesis is installed");
    let report = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/schemathesis");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/contract/schemathesis.toml");
    // Run there, where its caches land too: under target/, out of the checkout.
    std::fs::create_dir_all(report).expect("the report folder");
    let run = Command::new(python.with_file_name("st"))
        .current_dir(report)
        .args(["--config-file", config])
        .args(["run", &format!("{}/openapi.json", cloud.api_url)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,fuzzing"])
        .args(["--max-examples", "25", "--seed", "1", "--workers", "1"])
        .args(["--request-timeout", "15", "--no-shrink"])
        // The same run every time: no examples carried over from an earlier one.
        .args(["--generation-database", "none"])
        // Logging out would end the token every later request carries, and deleting
        // the group, app or instrument the routes are pointed at would leave the rest
        // of the run nothing but "not found".
        .args(["--exclude-operation-id", "logout"])
        .args(["--exclude-operation-id", "groupDelete"])
        .args(["--exclude-operation-id", "groupDeleteApp"])
        .args(["--exclude-operation-id", "groupDeleteInstrument"])
        .args(["--report", "junit", "--report-dir", report])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RUN_WITHIN, run)
        .await
        .expect("schemathesis finishes in time")
        .expect("schemathesis runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{said}");
    assert!(output.status.success(), "schemathesis failed:\n{said}");
}
