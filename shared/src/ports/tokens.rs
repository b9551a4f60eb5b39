//! The [`ApiTokens`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::auth::ApiToken;
use crate::domain::ids::AccountId;

/// Web API tokens.
#[async_trait]
pub trait ApiTokens: Send + Sync {
    /// Stores a Web API token unless the account has `limit` (race-safe; checked before
    /// `Exists`, unlike the other creations).
    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError>;
    /// The token whose secret hashes to `hash`.
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError>;
    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a token; `false` if the account has no such token.
    async fn delete_api_token(&self, token: &ApiToken) -> Result<bool, StoreError>;
}
