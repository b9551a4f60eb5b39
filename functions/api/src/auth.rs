//! The one place a request becomes a principal. Every data route goes through
//! [`authenticate`]; a route that does not cannot see tenant data, because every
//! registry read is keyed by the principal's account.

use lambda_http::Request;

use fieldcloud::domain::auth::{
    api_token_hash, session_alive, session_needs_touch, Role, API_TOKEN_PREFIX,
};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Account;
use fieldcloud::domain::token::{Principal, TokenError, TokenKey};
use fieldcloud::ports::{Accounts, ApiTokens, Sessions, Users};
use fieldcloud::usecases;
use fieldcloud::usecases::api_tokens::WEB_API_SESSION;
use std::net::IpAddr;

use crate::error::ApiError;

/// The principal of a request carrying `Authorization: Bearer <token>`: the signature
/// must hold, the token's session must still live (not logged out, not idle for 24
/// hours, not ended by a password change or reset, a new role or the user's deletion),
/// and the request must come from an address the account's IP allow-list admits.
pub async fn authenticate(
    request: &Request,
    address: Option<&str>,
    key: &TokenKey,
    store: &(impl Accounts + Users + Sessions + ApiTokens),
    now: Millis,
) -> Result<Principal, ApiError> {
    let header = request.headers().get("authorization").ok_or_else(|| {
        ApiError::unauthorized("missing Authorization header: send `Authorization: Bearer <token>`")
    })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be `Bearer <token>`"))?;
    let token = token.trim();
    if token.starts_with(API_TOKEN_PREFIX) {
        return web_api_principal(address, token, store, now).await;
    }
    let principal = key.verify(token, now).map_err(|error| match error {
        TokenError::Expired => ApiError::unauthorized("token expired; log in again"),
        TokenError::Malformed | TokenError::BadSignature => {
            ApiError::unauthorized("token is invalid")
        }
    })?;
    let ended = || ApiError::unauthorized("session ended; log in again");
    // Read on every request, beside the session: ending a user's sessions takes effect
    // at once, not at the next minute's check.
    let (session, generation) = tokio::try_join!(
        store.session(&principal.session),
        store.session_generation(&principal.account, &principal.user),
    )?;
    let session = session.ok_or_else(ended)?;
    if session.account != principal.account
        || session.user != principal.user
        || session.generation != generation
    {
        return Err(ended());
    }
    if !session_alive(session.last_active, now) {
        store.delete_session(&session.id).await?;
        return Err(ended());
    }
    if session_needs_touch(session.last_active, now) {
        // Defence in depth, at most once a minute: the generation above already ends the
        // sessions of a user deleted or given another role; should that write ever have
        // failed, the session still ends here (a temporary login keeps its viewer role
        // whatever its maker's).
        let user = store.user(&session.account, &session.user).await?;
        let still_valid =
            user.is_some_and(|u| session.role == Role::Viewer || u.role == session.role);
        if !still_valid {
            store.delete_session(&session.id).await?;
            return Err(ended());
        }
        store.touch_session(&session.id, now).await?;
    }
    let account = store.account(&principal.account).await?.ok_or_else(ended)?;
    if let Some(end) = account.trial_ends().filter(|_| account.trial_over(now)) {
        return Err(trial_ended(end));
    }
    admit(&account, address)?;
    Ok(principal)
}

/// The principal of a Web API token: it must exist (not revoked), its account must still
/// have the Web API (Pro), and the allow-list applies as to any request.
async fn web_api_principal(
    address: Option<&str>,
    secret: &str,
    store: &(impl Accounts + Users + ApiTokens),
    now: Millis,
) -> Result<Principal, ApiError> {
    let token = store
        .api_token_by_hash(&api_token_hash(secret))
        .await?
        .ok_or_else(|| ApiError::unauthorized("token is invalid"))?;
    if token.expires.is_some_and(|expires| now >= expires) {
        return Err(ApiError::unauthorized(
            "token expired; an admin or its user can issue a new one",
        ));
    }
    let account = store
        .account(&token.account)
        .await?
        .ok_or_else(|| ApiError::unauthorized("token is invalid"))?;
    // A token acts with its user's role of now, and not at all once the user is deleted.
    let user = store
        .user(&token.account, &token.user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("token is invalid"))?;
    if !account.plan.limits().web_api_tokens {
        return Err(ApiError::forbidden(format!(
            "plan {} has no Web API; it comes with pro",
            account.plan
        )));
    }
    admit(&account, address)?;
    Ok(Principal {
        account: token.account,
        user: token.user,
        role: user.role,
        session: format!("{WEB_API_SESSION}{}", token.id),
        expires: Millis(i64::MAX),
    })
}

/// Refuses a request from `address` (the caller's, see [`crate::edge`]) when it is
/// outside the account's IP allow-list.
pub fn admit(account: &Account, address: Option<&str>) -> Result<(), ApiError> {
    let address: Option<IpAddr> = address.and_then(|a| a.parse().ok());
    if account.admits(address) {
        return Ok(());
    }
    let shown = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    Err(ApiError::forbidden(format!(
        "your address {shown} is not on the account's IP allow-list"
    )))
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token.
    Public,
    /// Any user of the account.
    Member,
    /// Users granted the route's measurement group (as viewer or editor), and admins.
    GroupViewer,
    /// Users granted the route's measurement group as editor, and admins.
    GroupEditor,
    /// Account admins only; every successful change through such a route is audited.
    Admin,
}

/// Refuses what the principal's role may not do on a route with `access` (`read`: the
/// route only reads). A viewer — a temporary login — reads member and group-viewer routes
/// and nothing else: not even what only an editor reads (a group's destinations).
/// Whether a group route's group is granted to the principal is checked after this, in
/// `access::require_group`.
pub fn permit(principal: &Principal, access: Access, read: bool) -> Result<(), ApiError> {
    match (principal.role, access) {
        (Role::Admin, _) => Ok(()),
        (Role::Viewer, Access::Admin | Access::GroupEditor) => {
            Err(ApiError::forbidden("a temporary login is view-only"))
        }
        (Role::Viewer, _) if !read => Err(ApiError::forbidden("a temporary login is view-only")),
        (Role::Member, Access::Admin) => Err(ApiError::forbidden("this needs an account admin")),
        (Role::Member | Role::Viewer, _) => Ok(()),
    }
}

/// The answer to a request of a Trial account past its 93 days.
fn trial_ended(at: Millis) -> ApiError {
    ApiError::from(usecases::login::trial_ended(at))
}
