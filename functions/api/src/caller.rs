//! What a request's principal resolves to: its own user and its account's plan.

use fieldcloud::domain::auth::User;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Identity, Registry};

use crate::error::ApiError;

/// The caller's own user (a Web API token or temporary login may outlive it).
pub async fn own_user(identity: &impl Identity, principal: &Principal) -> Result<User, ApiError> {
    identity
        .user(&principal.account, &principal.user)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{}` not found", principal.user)))
}

/// The plan of the caller's account.
pub async fn plan_of(registry: &impl Registry, principal: &Principal) -> Result<Plan, ApiError> {
    Ok(registry
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?
        .plan)
}
