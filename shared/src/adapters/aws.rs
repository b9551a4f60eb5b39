//! AWS configuration, loaded once per cold start.

use aws_config::BehaviorVersion;

/// The SDK configuration from the environment. `AWS_ENDPOINT_URL` points every client at
/// a local emulator, which is how the local cloud and the tests run the same code.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Reads a required environment variable, naming it when missing: a misconfigured
/// function should fail at start, not at its first event.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

/// The DynamoDB table names a function works on.
#[derive(Debug, Clone)]
pub struct Tables {
    pub registry: String,
    pub records: String,
}

impl Tables {
    pub fn from_env() -> Result<Tables, String> {
        Ok(Tables {
            registry: required_env("REGISTRY_TABLE")?,
            records: required_env("RECORDS_TABLE")?,
        })
    }
}

/// The stack's name (`STACK_NAME`, the template sets it to `AWS::StackName`): the prefix
/// of its apps' IoT thing names.
pub fn stack_from_env() -> Result<crate::domain::iot_thing::Stack, String> {
    crate::domain::iot_thing::Stack::parse(&required_env("STACK_NAME")?)
}
