//! The smallest Lambda there is, started the way the functions start (the same runtime,
//! logging and release profile): `infra/bench/cold-start.sh` measures the functions'
//! cold start against it.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(event.payload)
    }))
    .await
}
