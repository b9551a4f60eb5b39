//! What a caller resolves to: their own user, their account's plan, an app of one of
//! their groups.

use crate::domain::auth::User;
use crate::domain::ids::AppId;
use crate::domain::plan::Plan;
use crate::domain::registry::{App, Group};
use crate::domain::token::Principal;
use crate::ports::{Accounts, Apps, Users};

use super::Refused;

/// The caller's own user (a Web API token or temporary login may outlive it).
pub async fn own_user(users: &impl Users, principal: &Principal) -> Result<User, Refused> {
    users
        .user(&principal.account, &principal.user)
        .await?
        .ok_or_else(|| Refused::not_found(format!("user `{}` not found", principal.user)))
}

/// The plan of the caller's account.
pub async fn plan_of(accounts: &impl Accounts, principal: &Principal) -> Result<Plan, Refused> {
    Ok(accounts
        .account(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("account not found"))?
        .plan)
}

/// The app `app_id` of the caller's group `group`; anything else is not found.
pub async fn app_of(
    apps: &impl Apps,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
) -> Result<App, Refused> {
    apps.app(&principal.account, app_id)
        .await?
        .filter(|app| app.account == principal.account && app.group == group.id)
        .ok_or_else(|| {
            Refused::not_found(format!("app `{app_id}` not found in group `{}`", group.id))
        })
}
