//! What a request's principal resolves to: its own user, its account's plan, an app of
//! one of its groups.

use fieldcloud::domain::auth::User;
use fieldcloud::domain::ids::AppId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::registry::{App, Group};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Accounts, Apps, Users};

use crate::error::ApiError;

/// The caller's own user (a Web API token or temporary login may outlive it).
pub async fn own_user(identity: &impl Users, principal: &Principal) -> Result<User, ApiError> {
    identity
        .user(&principal.account, &principal.user)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{}` not found", principal.user)))
}

/// The plan of the caller's account.
pub async fn plan_of(registry: &impl Accounts, principal: &Principal) -> Result<Plan, ApiError> {
    Ok(registry
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?
        .plan)
}

/// The app `app_id` of the principal's group `group`; anything else is not found.
pub async fn app_of(
    registry: &impl Apps,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
) -> Result<App, ApiError> {
    registry
        .app(&principal.account, app_id)
        .await?
        .filter(|app| app.account == principal.account && app.group == group.id)
        .ok_or_else(|| {
            ApiError::not_found(format!("app `{app_id}` not found in group `{}`", group.id))
        })
}
