//! The account's users: listed, created within the plan, read, changed and deleted by an
//! admin; and each user's own view of themselves and their password.
//!
//! A changed role takes effect on the user's sessions within a minute (they end, and the
//! next login carries the new role), as a deletion does; the last admin can be neither
//! demoted nor deleted, so an account never locks itself out of its own settings.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::auth::{
    check_email, check_password_policy, hash_password, Role, TwoStep, User,
};
use fieldcloud::domain::ids::UserId;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{
    Accounts, ApiTokens, AuditLog, Created, Groups, Sessions, Teams, Throttle, UserChange, Users,
};

use crate::audit::{audit, audit_own};
use crate::auth::WEB_API_SESSION;
use crate::error::ApiError;
use crate::identity::{
    revoke_tokens_of, set_password_ending_sessions, settle_tokens_after_password,
};
use crate::input::present;
use crate::throttle::recheck_password;
use fieldcloud::usecases::caller::own_user;

fn user_json(user: &User) -> Json {
    json!({
        "user": user.id,
        "role": user.role,
        "email": user.email,
        "two_step": match user.two_step() {
            None => "none",
            Some(TwoStep::Email) => "email",
            Some(TwoStep::Totp) => "totp",
        },
    })
}

fn parse_role(text: &str) -> Result<Role, ApiError> {
    match text {
        "admin" => Ok(Role::Admin),
        "member" => Ok(Role::Member),
        _ => Err(ApiError::bad_request(format!(
            "`role` must be admin or member, got `{text}`"
        ))),
    }
}

async fn user_of(
    identity: &impl Users,
    principal: &Principal,
    id: &UserId,
) -> Result<User, ApiError> {
    identity
        .user(&principal.account, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{id}` not found")))
}

fn last_admin(user: &User) -> ApiError {
    ApiError::conflict(
        "last_admin",
        format!(
            "`{}` is the account's only admin; make another admin first",
            user.id
        ),
    )
}

/// The outcome of a user change as an answer.
fn changed(outcome: UserChange, user: &User) -> Result<(), ApiError> {
    match outcome {
        UserChange::Done => Ok(()),
        UserChange::LastAdmin => Err(last_admin(user)),
        UserChange::Missing => Err(ApiError::conflict(
            "changed_meanwhile",
            format!("user `{}` changed or went meanwhile; try again", user.id),
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub user: String,
    pub password: String,
    pub role: Option<String>,
    pub email: Option<String>,
    /// The caller's own password, asked again: a new user is a lasting way in, which a
    /// stolen session alone must not be able to make.
    pub admin_password: Option<String>,
}

/// Checks the caller's own password, asked again before an admin change that would give
/// whoever holds the session a way in that outlives it.
pub(crate) async fn confirm_admin(
    identity: &(impl Users + Throttle),
    principal: &Principal,
    password: Option<&str>,
    what: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<(), ApiError> {
    let password = password.ok_or_else(|| {
        ApiError::bad_request(format!(
            "`admin_password` is missing: {what} asks for your own password again"
        ))
    })?;
    recheck_password(identity, principal, password, address, now).await?;
    Ok(())
}

pub async fn list_users(identity: &impl Users, principal: &Principal) -> Result<Json, ApiError> {
    let mut users = identity.users(&principal.account).await?;
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let users: Vec<Json> = users.iter().map(user_json).collect();
    Ok(json!({ "users": users }))
}

pub async fn create_user(
    store: &(impl Accounts + Users + Throttle),
    principal: &Principal,
    request: NewUser,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let id =
        UserId::parse(request.user).map_err(|e| ApiError::bad_request(format!("`user`: {e}")))?;
    let role = match request.role.as_deref() {
        None => Role::Member,
        Some(text) => parse_role(text)?,
    };
    check_password_policy(&request.password, &id).map_err(ApiError::bad_request)?;
    if let Some(email) = &request.email {
        check_email(email).map_err(|e| ApiError::bad_request(format!("`email`: {e}")))?;
    }
    confirm_admin(
        store,
        principal,
        request.admin_password.as_deref(),
        "creating a user",
        address,
        now,
    )
    .await?;
    let plan = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?
        .plan;
    let limit = plan.limits().users;
    let user = User {
        account: principal.account.clone(),
        id,
        role,
        password_hash: hash_password(&request.password),
        totp: None,
        email_two_step: false,
        email: request.email,
    };
    match store.create_user(&user, limit).await? {
        Created::Created => {}
        Created::Exists => {
            return Err(ApiError::conflict(
                "exists",
                format!("user `{}` exists already", user.id),
            ))
        }
        Created::LimitReached => {
            return Err(ApiError::conflict(
                "limit_reached",
                format!("plan {plan} allows {limit} users; the account has {limit}"),
            ))
        }
    }
    Ok(json!({ "user": user.id, "role": user.role }))
}

pub async fn delete_user(
    store: &(impl Groups + Users + ApiTokens + Teams),
    principal: &Principal,
    user: &UserId,
) -> Result<Json, ApiError> {
    if *user == principal.user {
        return Err(ApiError::conflict(
            "self",
            "you cannot delete your own user",
        ));
    }
    let account = &principal.account;
    let found = user_of(store, principal, user).await?;
    let user = found.id.clone();
    // What the user holds goes first: a retry after a failure still finds the user to
    // finish with, and a user created later under this ID inherits nothing.
    revoke_tokens_of(store, account, &user).await?;
    fieldcloud::usecases::access::forget_user(store, account, &user).await?;
    changed(store.delete_user(&found).await?, &found)?;
    Ok(json!({ "deleted": user }))
}

pub async fn user_detail(
    identity: &impl Users,
    principal: &Principal,
    id: &UserId,
) -> Result<Json, ApiError> {
    Ok(user_json(&user_of(identity, principal, id).await?))
}

/// The body of a user change; what is left out stays as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    pub role: Option<String>,
    /// `null` removes it (refused while codes are mailed to it at login).
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    /// `"none"` turns the user's second step off: an admin's help for a user who lost
    /// their authenticator, or whose sealed secret no longer opens after the token key
    /// changed. Asks for the admin's password.
    pub two_step: Option<String>,
    /// The caller's own password, asked again when the e-mail changes (password resets
    /// go to that address) or a second step is turned off: each is a way in that
    /// outlives the session.
    pub admin_password: Option<String>,
}

pub async fn update_user(
    identity: &(impl Users + Throttle + AuditLog),
    principal: &Principal,
    id: &UserId,
    draft: UserDraft,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let mut user = user_of(identity, principal, id).await?;
    let was = user.role;
    if let Some(role) = draft.role {
        user.role = parse_role(&role)?;
    }
    if let Some(email) = draft.email {
        match &email {
            Some(address) => {
                check_email(address).map_err(|e| ApiError::bad_request(format!("`email`: {e}")))?
            }
            None if user.two_step() == Some(TwoStep::Email) => {
                return Err(ApiError::conflict(
                    "two_step_on",
                    format!(
                        "`{}` gets a login code by e-mail; the address must stay",
                        user.id
                    ),
                ))
            }
            None => {}
        }
        if email != user.email {
            confirm_admin(
                identity,
                principal,
                draft.admin_password.as_deref(),
                "changing an e-mail address",
                address,
                now,
            )
            .await?;
        }
        user.email = email;
    }
    let turn_off_two_step = match draft.two_step {
        None => false,
        Some(two_step) if two_step != "none" => {
            return Err(ApiError::bad_request(format!(
                "`two_step` can only be turned off here (\"none\"), got `{two_step}`; users turn a second step on themselves"
            )))
        }
        // One's own second step goes off only with one's own proof (a current code, or
        // the password for mailed codes), not with an admin's password alone.
        Some(_) if user.id == principal.user => {
            return Err(ApiError::conflict(
                "own_two_step",
                "turn your own second step off under /v1/two-step/{totp,email}/disable",
            ))
        }
        Some(_) => {
            confirm_admin(
                identity,
                principal,
                draft.admin_password.as_deref(),
                "turning a second step off",
                address,
                now,
            )
            .await?;
            true
        }
    };
    changed(identity.update_user(&user, was).await?, &user)?;
    // After the change it goes with was accepted: a refused change turns nothing off.
    if turn_off_two_step && user.two_step().is_some() {
        identity.set_totp(&user.account, &user.id, None).await?;
        identity
            .set_email_two_step(&user.account, &user.id, false)
            .await?;
        user.totp = None;
        user.email_two_step = false;
        audit(
            identity,
            &principal.account,
            Some(&principal.user),
            address,
            "two_step_turned_off",
            format!("of user {}", user.id),
            now,
        )
        .await?;
    }
    Ok(user_json(&user))
}

/// The caller's own user.
pub async fn me(identity: &impl Users, principal: &Principal) -> Result<Json, ApiError> {
    Ok(user_json(&own_user(identity, principal).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    /// Also revoke the user's Web API tokens (their other sessions end either way).
    #[serde(default)]
    pub revoke_api_tokens: bool,
}

/// Changes the caller's own password: the current one is asked again, the policy applies,
/// and every other session of the user ends (the one that asked goes on).
pub async fn change_password(
    identity: &(impl Users + Sessions + Throttle + ApiTokens + AuditLog),
    principal: &Principal,
    change: PasswordChange,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let user = recheck_password(identity, principal, &change.current, address, now).await?;
    check_password_policy(&change.new, &user.id).map_err(ApiError::bad_request)?;
    let hash = hash_password(&change.new);
    let generation = set_password_ending_sessions(identity, &user.account, &user.id, &hash)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{}` not found", user.id)))?;
    if !principal.session.starts_with(WEB_API_SESSION) {
        identity
            .keep_session(&principal.session, generation)
            .await?;
    }
    audit_own(
        identity,
        principal,
        address,
        "password_changed",
        String::new(),
        now,
    )
    .await?;
    settle_tokens_after_password(identity, &user.account, &user.id, change.revoke_api_tokens).await
}
