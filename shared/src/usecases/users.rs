//! The account's users: listed, created within the plan, read, changed and deleted by an
//! admin; and each user's own view of themselves.
//!
//! A changed role takes effect on the user's sessions within a minute (they end, and the
//! next login carries the new role), as a deletion does; the last admin can be neither
//! demoted nor deleted, so an account never locks itself out of its own settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{check_email, check_password_policy, hash_password, Role, TwoStep, User};
use crate::domain::ids::UserId;
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, ApiTokens, AuditLog, Created, Groups, InboxReadMarks, Teams, Throttle, UserChange,
    Users,
};

use super::api_tokens::revoke_tokens_of;
use super::audit::audit;
use super::caller::{own_user, plan_of};
use super::input::present;
use super::throttle::recheck_password;
use super::{access, inbox, Conflict, Deleted, Refused};

/// A user as an admin, or the user themselves, sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserView {
    pub user: UserId,
    pub role: Role,
    pub email: Option<String>,
    /// `none`, `email` or `totp`.
    pub two_step: &'static str,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            user: user.id.clone(),
            role: user.role,
            email: user.email.clone(),
            two_step: match user.two_step() {
                None => "none",
                Some(TwoStep::Email) => "email",
                Some(TwoStep::Totp) => "totp",
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

/// A user just created: its ID and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CreatedUser {
    pub user: UserId,
    pub role: Role,
}

fn parse_role(text: &str) -> Result<Role, Refused> {
    match text {
        "admin" => Ok(Role::Admin),
        "member" => Ok(Role::Member),
        _ => Err(Refused::invalid(format!(
            "`role` must be admin or member, got `{text}`"
        ))),
    }
}

async fn user_of(store: &impl Users, principal: &Principal, id: &UserId) -> Result<User, Refused> {
    store
        .user(&principal.account, id)
        .await?
        .ok_or_else(|| Refused::not_found(format!("user `{id}` not found")))
}

fn last_admin(user: &User) -> Refused {
    Refused::conflict(
        Conflict::LastAdmin,
        format!(
            "`{}` is the account's only admin; make another admin first",
            user.id
        ),
    )
}

/// The outcome of a user change as an answer.
fn changed(outcome: UserChange, user: &User) -> Result<(), Refused> {
    match outcome {
        UserChange::Done => Ok(()),
        UserChange::LastAdmin => Err(last_admin(user)),
        UserChange::Missing => Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
            format!("user `{}` changed or went meanwhile; try again", user.id),
        )),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
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
pub async fn confirm_admin(
    store: &(impl Users + Throttle),
    principal: &Principal,
    password: Option<&str>,
    what: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<(), Refused> {
    let password = password.ok_or_else(|| {
        Refused::invalid(format!(
            "`admin_password` is missing: {what} asks for your own password again"
        ))
    })?;
    recheck_password(store, principal, password, address, now).await?;
    Ok(())
}

pub async fn list_users(store: &impl Users, principal: &Principal) -> Result<UserList, Refused> {
    let mut users = store.users(&principal.account).await?;
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let users = users.iter().map(UserView::from).collect();
    Ok(UserList { users })
}

pub async fn create_user(
    store: &(impl Accounts + Users + Throttle),
    principal: &Principal,
    request: NewUser,
    address: Option<&str>,
    now: Millis,
) -> Result<CreatedUser, Refused> {
    let id = UserId::parse(request.user).map_err(|e| Refused::invalid(format!("`user`: {e}")))?;
    let role = match request.role.as_deref() {
        None => Role::Member,
        Some(text) => parse_role(text)?,
    };
    check_password_policy(&request.password, &id).map_err(Refused::Invalid)?;
    if let Some(email) = &request.email {
        check_email(email).map_err(|e| Refused::invalid(format!("`email`: {e}")))?;
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
    let plan = plan_of(store, principal).await?;
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
            return Err(Refused::conflict(
                Conflict::Exists,
                format!("user `{}` exists already", user.id),
            ))
        }
        Created::LimitReached => {
            return Err(Refused::limit_reached(
                plan,
                limit,
                "users",
                &format!("the account has {limit}"),
            ))
        }
    }
    Ok(CreatedUser {
        user: user.id,
        role: user.role,
    })
}

pub async fn delete_user(
    store: &(impl Groups + Users + ApiTokens + Teams + InboxReadMarks),
    principal: &Principal,
    user: &UserId,
) -> Result<Deleted<UserId>, Refused> {
    if *user == principal.user {
        return Err(Refused::conflict(
            Conflict::OnSelf,
            "you cannot delete your own user",
        ));
    }
    let account = &principal.account;
    let found = user_of(store, principal, user).await?;
    let user = found.id.clone();
    // What the user holds goes first: a retry after a failure still finds the user to
    // finish with, and a user created later under this ID inherits nothing.
    revoke_tokens_of(store, account, &user).await?;
    access::forget_user(store, account, &user).await?;
    inbox::forget_reader(store, account, &user).await?;
    changed(store.delete_user(&found).await?, &found)?;
    Ok(Deleted { deleted: user })
}

pub async fn user_detail(
    store: &impl Users,
    principal: &Principal,
    id: &UserId,
) -> Result<UserView, Refused> {
    Ok(UserView::from(&user_of(store, principal, id).await?))
}

/// The body of a user change; what is left out stays as it is.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    pub role: Option<String>,
    /// `null` removes it (refused while codes are mailed to it at login).
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    /// `"none"` turns the user's second step off: an admin's help for a user who lost
    /// their authenticator. Asks for the admin's password.
    // Also for one whose sealed secret no longer opens after the token key changed.
    pub two_step: Option<String>,
    /// The caller's own password, asked again when the e-mail changes (password resets
    /// go to that address) or a second step is turned off: each is a way in that
    /// outlives the session.
    pub admin_password: Option<String>,
}

pub async fn update_user(
    store: &(impl Users + Throttle + AuditLog),
    principal: &Principal,
    id: &UserId,
    draft: UserDraft,
    address: Option<&str>,
    now: Millis,
) -> Result<UserView, Refused> {
    let mut user = user_of(store, principal, id).await?;
    let was = user.role;
    if let Some(role) = draft.role {
        user.role = parse_role(&role)?;
    }
    if let Some(email) = draft.email {
        match &email {
            Some(address) => {
                check_email(address).map_err(|e| Refused::invalid(format!("`email`: {e}")))?
            }
            None if user.two_step() == Some(TwoStep::Email) => {
                return Err(Refused::conflict(
                    Conflict::TwoStepOn,
                    format!(
                        "`{}` gets a login code by e-mail; the address must stay",
                        user.id
                    ),
                ))
            }
            None => {}
        }
        // One's own address, while login codes go to it, changes only with those codes:
        // else a session and the password would send the codes to another mailbox.
        if email != user.email
            && user.id == principal.user
            && user.two_step() == Some(TwoStep::Email)
        {
            return Err(Refused::conflict(
                Conflict::OwnTwoStep,
                "your login codes go to this address: turn the e-mail step off first \
                 (POST /v1/two-step/email/disable), then change it",
            ));
        }
        if email != user.email {
            confirm_admin(
                store,
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
            return Err(Refused::invalid(format!(
                "`two_step` can only be turned off here (\"none\"), got `{two_step}`; users turn a second step on themselves"
            )))
        }
        // One's own second step goes off only with one's own proof (a current code, or
        // the password and a mailed code), not with an admin's password alone.
        Some(_) if user.id == principal.user => {
            return Err(Refused::conflict(
                Conflict::OwnTwoStep,
                "turn your own second step off under /v1/two-step/{totp,email}/disable",
            ))
        }
        Some(_) => {
            confirm_admin(
                store,
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
    changed(store.update_user(&user, was).await?, &user)?;
    // After the change it goes with was accepted: a refused change turns nothing off.
    if turn_off_two_step && user.two_step().is_some() {
        store.set_totp(&user.account, &user.id, None).await?;
        store
            .set_email_two_step(&user.account, &user.id, false)
            .await?;
        user.totp = None;
        user.email_two_step = false;
        audit(
            store,
            &principal.account,
            Some(&principal.user),
            address,
            "two_step_turned_off",
            format!("of user {}", user.id),
            now,
        )
        .await?;
    }
    Ok(UserView::from(&user))
}

/// The caller's own user, with the role the caller acts in: a temporary login (a
/// viewer) is told it is one, not the role of the user who issued it.
pub async fn me(store: &impl Users, principal: &Principal) -> Result<UserView, Refused> {
    let mut view = UserView::from(&own_user(store, principal).await?);
    view.role = principal.role;
    Ok(view)
}
