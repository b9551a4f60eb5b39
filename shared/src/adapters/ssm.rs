//! Secrets from SSM Parameter Store, read once per cold start.

use aws_sdk_ssm::error::DisplayErrorContext;

use super::context::required_env;

/// The decrypted value of the SecureString parameter `name`.
pub async fn secure_parameter(client: &aws_sdk_ssm::Client, name: &str) -> Result<String, String> {
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| format!("reading SSM parameter {name}: {}", DisplayErrorContext(e)))?;
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("SSM parameter {name} has no value"))
}

/// The key that signs API tokens: the SecureString named by `TOKEN_KEY_PARAMETER` when
/// deployed, so the key is in no template, environment or console; `TOKEN_KEY` itself for
/// a developer running one function locally.
pub async fn token_key(config: &aws_config::SdkConfig) -> Result<String, String> {
    match std::env::var("TOKEN_KEY_PARAMETER") {
        Ok(name) => secure_parameter(&aws_sdk_ssm::Client::new(config), &name).await,
        Err(_) => required_env("TOKEN_KEY"),
    }
}
