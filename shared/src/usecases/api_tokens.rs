//! Web API tokens (Pro): long-lived secrets for programs, issued to a user with their
//! role, listed and revoked by their user and the account's admins. Only a hash of the
//! secret is stored; the secret is in the answer to its issue alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{api_token_hash, ApiToken, Role, API_TOKEN_PREFIX};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::{Accounts, ApiTokens, AuditLog, Created, Throttle, Users};

use super::audit::audit_own;
use super::caller::plan_of;
use super::random::Random;
use super::throttle::recheck_password;
use super::{Conflict, Refused};

/// The session of a principal authenticated by a Web API token starts with this.
pub const WEB_API_SESSION: &str = "api:";

/// Web API tokens one account may hold.
const MAX_API_TOKENS: u32 = 100;

/// The longest expiry a Web API token can be issued with.
const MAX_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    pub name: String,
    /// The caller's password, asked again: a stolen session alone must not turn into a
    /// token that outlives it.
    pub password: String,
    /// Days until the token stops working; left out, it works until revoked.
    pub expires_in_days: Option<u32>,
}

/// A Web API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub user: UserId,
    pub role: Role,
    pub created: Millis,
    pub expires: Option<Millis>,
}

impl From<&ApiToken> for ApiTokenView {
    fn from(token: &ApiToken) -> Self {
        ApiTokenView {
            id: token.id.clone(),
            name: token.name.clone(),
            user: token.user.clone(),
            role: token.role,
            created: token.created,
            expires: token.expires,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApiTokenList {
    pub api_tokens: Vec<ApiTokenView>,
}

/// A token just issued: with its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IssuedApiToken {
    #[serde(flatten)]
    pub view: ApiTokenView,
    pub token: String,
}

/// A token revoked: its ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Revoked {
    pub revoked: String,
}

/// Revokes every Web API token of `user`: how many there were.
pub async fn revoke_tokens_of(
    store: &impl ApiTokens,
    account: &AccountId,
    user: &UserId,
) -> Result<usize, Refused> {
    let mut revoked = 0;
    for token in store.api_tokens(account).await? {
        if token.user == *user && store.delete_api_token(&token).await? {
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// Who may see and revoke a token: its user, and the account's admins.
fn visible_to(token: &ApiToken, principal: &Principal) -> bool {
    principal.role == Role::Admin || token.user == principal.user
}

pub async fn list_api_tokens(
    store: &impl ApiTokens,
    principal: &Principal,
) -> Result<ApiTokenList, Refused> {
    let mut tokens = store.api_tokens(&principal.account).await?;
    tokens.retain(|t| visible_to(t, principal));
    tokens.sort_by_key(|t| t.created);
    let api_tokens = tokens.iter().map(ApiTokenView::from).collect();
    Ok(ApiTokenList { api_tokens })
}

/// Issues a Web API token (Pro) for the caller, with the caller's role. The secret is in
/// this answer only: it is stored as a hash.
pub async fn issue_api_token(
    store: &(impl Accounts + Users + Throttle + ApiTokens + AuditLog),
    random: &mut impl Random,
    principal: &Principal,
    request: NewApiToken,
    address: Option<&str>,
    now: Millis,
) -> Result<IssuedApiToken, Refused> {
    let expires = match request.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_TOKEN_DAYS) => {
            Some(now.plus(i64::from(days) * 24 * 60 * Millis::MINUTE))
        }
        Some(days) => {
            return Err(Refused::invalid(format!(
                "`expires_in_days` must be 1 to {MAX_TOKEN_DAYS}, got {days}; leave it out for a \
                 token that works until revoked"
            )))
        }
    };
    let plan = plan_of(store, principal).await?;
    if !plan.limits().web_api_tokens {
        return Err(Refused::not_allowed(format!(
            "plan {plan} has no Web API; it comes with pro"
        )));
    }
    if request.name.trim().is_empty() || request.name.chars().count() > 100 {
        return Err(Refused::invalid("`name` must be 1 to 100 characters"));
    }
    recheck_password(store, principal, &request.password, address, now).await?;
    let secret = format!("{API_TOKEN_PREFIX}{:032x}", random.u128());
    let token = ApiToken {
        id: format!("{:08x}", random.u32()),
        account: principal.account.clone(),
        user: principal.user.clone(),
        role: principal.role,
        name: request.name,
        created: now,
        expires,
        hash: api_token_hash(&secret),
    };
    match store.create_api_token(&token, MAX_API_TOKENS).await? {
        Created::Created => {}
        // Not a plan's limit: every plan with the Web API has this one.
        Created::LimitReached => {
            return Err(Refused::LimitReached {
                plan,
                limit: MAX_API_TOKENS,
                message: format!(
                    "an account holds at most {MAX_API_TOKENS} Web API tokens; revoke one first"
                ),
            })
        }
        Created::Exists => {
            return Err(Refused::conflict(
                Conflict::Exists,
                "token ID collision; try again",
            ))
        }
    }
    audit_own(
        store,
        principal,
        address,
        "api_token_issued",
        token.id.clone(),
        now,
    )
    .await?;
    Ok(IssuedApiToken {
        view: ApiTokenView::from(&token),
        token: secret,
    })
}

pub async fn revoke_api_token(
    store: &(impl ApiTokens + AuditLog),
    principal: &Principal,
    id: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<Revoked, Refused> {
    let not_found = || Refused::not_found(format!("Web API token `{id}` not found"));
    let token = store
        .api_tokens(&principal.account)
        .await?
        .into_iter()
        .find(|t| t.id == id && visible_to(t, principal))
        .ok_or_else(not_found)?;
    if !store.delete_api_token(&token).await? {
        return Err(not_found());
    }
    audit_own(
        store,
        principal,
        address,
        "api_token_revoked",
        token.id,
        now,
    )
    .await?;
    Ok(Revoked {
        revoked: id.to_owned(),
    })
}
