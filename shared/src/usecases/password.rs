//! A new password: changed by its user (the current one asked again), or set with a
//! single-use link mailed to the user's address. Either ends the user's other sessions in
//! the same write, and may revoke their Web API tokens.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{
    api_token_hash, check_password_policy, hash_password, PasswordReset, RESET_VALID_MILLIS,
};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, ApiTokens, AuditLog, Mail, Mailer, PasswordSet, Resets, Sessions, Throttle, Users,
};

use super::api_tokens::{revoke_tokens_of, WEB_API_SESSION};
use super::audit::{audit, audit_own};
use super::login::{normalize_email, trial_owner};
use super::random::Random;
use super::throttle::recheck_password;
use super::{Conflict, Refused};

/// A password changed or reset: the user's other sessions ended, and how many of their
/// Web API tokens were revoked and how many still work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PasswordChanged {
    pub password: &'static str,
    pub other_sessions: &'static str,
    pub api_tokens_revoked: usize,
    pub api_tokens_left: usize,
}

/// After a password change or reset: revokes the user's Web API tokens if asked, and
/// tells how many were revoked and how many still work (which the change leaves alone
/// unless asked, as programs run on them).
async fn settle_tokens_after_password(
    store: &impl ApiTokens,
    account: &AccountId,
    user: &UserId,
    revoke: bool,
) -> Result<PasswordChanged, Refused> {
    let revoked = if revoke {
        revoke_tokens_of(store, account, user).await?
    } else {
        0
    };
    let left = store
        .api_tokens(account)
        .await?
        .iter()
        .filter(|t| t.user == *user)
        .count();
    Ok(PasswordChanged {
        password: "changed",
        other_sessions: "ended",
        api_tokens_revoked: revoked,
        api_tokens_left: left,
    })
}

/// Writes a new password hash and ends every session of the user in the same write;
/// the generation their sessions are in now, or `None` if there is no such user.
async fn set_password_ending_sessions(
    store: &impl Users,
    account: &AccountId,
    user: &UserId,
    hash: &str,
) -> Result<Option<u64>, Refused> {
    // Another change at once moves the generation first; a few rounds settle it.
    for _ in 0..3 {
        let seen = store.session_generation(account, user).await?;
        match store.set_password(account, user, hash, seen).await? {
            PasswordSet::Set { generation } => return Ok(Some(generation)),
            PasswordSet::NoUser => return Ok(None),
            PasswordSet::Raced => continue,
        }
    }
    Err(Refused::conflict(
        Conflict::ChangedMeanwhile,
        format!("the sessions of `{user}` changed meanwhile; try again"),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
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
    store: &(impl Users + Sessions + Throttle + ApiTokens + AuditLog),
    principal: &Principal,
    change: PasswordChange,
    address: Option<&str>,
    now: Millis,
) -> Result<PasswordChanged, Refused> {
    let user = recheck_password(store, principal, &change.current, address, now).await?;
    check_password_policy(&change.new, &user.id).map_err(Refused::Invalid)?;
    let hash = hash_password(&change.new);
    let generation = set_password_ending_sessions(store, &user.account, &user.id, &hash)
        .await?
        .ok_or_else(|| Refused::not_found(format!("user `{}` not found", user.id)))?;
    if !principal.session.starts_with(WEB_API_SESSION) {
        store.keep_session(&principal.session, generation).await?;
    }
    audit_own(
        store,
        principal,
        address,
        "password_changed",
        String::new(),
        now,
    )
    .await?;
    settle_tokens_after_password(store, &user.account, &user.id, change.revoke_api_tokens).await
}

/// Reset requests one user may cause in a throttle window: each sends a mail.
const MAX_RESETS_PER_USER: u32 = 3;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Account and user IDs; or, for a Trial, `email` alone.
    pub account: Option<String>,
    pub user: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetCompletion {
    pub token: String,
    pub password: String,
    /// Also revoke the user's Web API tokens (the reset ends their sessions either way).
    #[serde(default)]
    pub revoke_api_tokens: bool,
}

/// The one answer to every reset request: it does not tell whether the user exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ResetRequested {
    pub sent: &'static str,
}

fn reset_requested() -> ResetRequested {
    ResetRequested {
        sent: "if the user exists and has an e-mail address, a reset link is on its way",
    }
}

/// The shortest time a reset request should take to answer: the one part of its work
/// that differs between a user that exists and one that does not is the mail, and
/// waiting this long from the request's start hides it (SES answers well within it). The
/// caller waits: this layer has no clock to wait on.
pub const RESET_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(1000);

/// Mails a single-use link, valid 30 minutes, to set a new password. Whatever happens,
/// the answer is the same, so it reveals nothing about accounts and users; and so is the
/// work: every request takes a throttle slot, reads a user and stores a link (one never
/// sent, where there is nobody to send it to). The caller holds the answer back until
/// [`RESET_ANSWER_FLOOR`].
pub async fn request_reset(
    store: &(impl Accounts + Users + Throttle + Resets),
    mailer: &impl Mailer,
    random: &mut impl Random,
    portal_url: &str,
    request: ResetRequest,
    now: Millis,
) -> Result<ResetRequested, Refused> {
    let (throttle_key, named) = match (request.account, request.user, request.email) {
        (Some(account), Some(user), None) => {
            match AccountId::parse(account.as_str())
                .ok()
                .zip(UserId::parse(user.as_str()).ok())
            {
                Some((account, user)) => (format!("reset:{account}/{user}"), Some((account, user))),
                None => (
                    format!("reset:{}", api_token_hash(&format!("{account}/{user}"))),
                    None,
                ),
            }
        }
        (None, None, Some(email)) => {
            let email = normalize_email(&email);
            match store.account_by_email(&email).await? {
                Some(account) => (
                    format!("reset:{account}/owner"),
                    Some((account, trial_owner())),
                ),
                None => (format!("reset:{}", api_token_hash(&email)), None),
            }
        }
        _ => {
            return Err(Refused::invalid(
                "name the user with `account` and `user`, or (Trial) `email`",
            ))
        }
    };
    if store
        .claim_attempt(&throttle_key, MAX_RESETS_PER_USER, now)
        .await?
        .is_some()
    {
        return Ok(reset_requested());
    }
    // A name that matches no valid one reads and stores under a stand-in, so that it does
    // the same work; nothing is mailed for it, even if the stand-in exists.
    let real = named.is_some();
    let (account, user) = named.unwrap_or_else(|| {
        (
            AccountId::parse("nobody").expect("a valid account ID"),
            trial_owner(),
        )
    });
    let email = store
        .user(&account, &user)
        .await?
        .and_then(|u| u.email)
        .filter(|_| real);
    let secret = format!("rst_{:032x}", random.u128());
    let reset = PasswordReset {
        account: account.clone(),
        user: user.clone(),
        expires: now.plus(RESET_VALID_MILLIS),
    };
    store.create_reset(&api_token_hash(&secret), &reset).await?;
    let Some(email) = email else {
        return Ok(reset_requested());
    };
    // The secret goes in the fragment: browsers do not send it to any server's logs.
    let link = format!(
        "{}/reset-password#token={secret}",
        portal_url.trim_end_matches('/')
    );
    let mail = Mail {
        to: email,
        subject: "fieldcloud: reset your password".into(),
        text: format!(
            "Someone asked to reset the password of user {user} of account {account}.\n\n\
             To choose a new one, open this link within 30 minutes (it works once):\n{link}\n\n\
             If it was not you, ignore this mail; your password stays as it is.\n"
        ),
    };
    mailer.send(&mail).await?;
    Ok(reset_requested())
}

/// Sets a new password with a reset link's secret: within 30 minutes, once.
pub async fn complete_reset(
    store: &(impl Users + Resets + ApiTokens + AuditLog),
    request: ResetCompletion,
    address: Option<&str>,
    now: Millis,
) -> Result<PasswordChanged, Refused> {
    let invalid = || Refused::NotAuthenticated("the reset link is invalid, used or expired".into());
    let hash = api_token_hash(&request.token);
    let reset = store.reset(&hash).await?.ok_or_else(invalid)?;
    if now >= reset.expires {
        return Err(invalid());
    }
    // The policy is checked before the link is spent, so a weak choice can be corrected.
    check_password_policy(&request.password, &reset.user).map_err(Refused::Invalid)?;
    if !store.take_reset(&hash).await? {
        return Err(invalid());
    }
    // Whoever knew the old password may hold a session: all of them end with it.
    let new_hash = hash_password(&request.password);
    if set_password_ending_sessions(store, &reset.account, &reset.user, &new_hash)
        .await?
        .is_none()
    {
        return Err(invalid());
    }
    audit(
        store,
        &reset.account,
        Some(&reset.user),
        address,
        "password_reset",
        String::new(),
        now,
    )
    .await?;
    let (account, user) = (&reset.account, &reset.user);
    settle_tokens_after_password(store, account, user, request.revoke_api_tokens).await
}
