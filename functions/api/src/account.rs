//! The account itself: its settings (name, contract e-mail, time zone, language), Pro's
//! alternate login account ID and IP allow-list, and its logo.

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::allowlist::{allowed, Cidr, MAX_RANGES};
use fieldcloud::domain::auth::check_email;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Account;
use fieldcloud::domain::settings::{Language, Logo, TimeZone};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Accounts, Throttle, Users};

use crate::error::ApiError;
use crate::input::present;
use fieldcloud::usecases::input::display_name;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowListRequest {
    pub allow_list: Vec<String>,
    /// The caller's own password, asked again: a list of a thief's address alone would
    /// keep every other admin out, and so the stolen session in.
    pub admin_password: Option<String>,
}

fn account_json(account: &Account) -> Json {
    json!({
        "id": account.id,
        "name": account.name,
        "plan": account.plan,
        "created": account.created,
        "trial_ends": account.trial_ends(),
        "license_expires": account.license_expires,
        "contract_email": account.contract_email,
        "time_zone": account.time_zone,
        "language": account.language,
        "login_alias": account.login_alias,
        "allow_list": account.allow_list.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

async fn account_of(store: &impl Accounts, principal: &Principal) -> Result<Account, ApiError> {
    store
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))
}

pub async fn account(store: &impl Accounts, principal: &Principal) -> Result<Json, ApiError> {
    Ok(account_json(&account_of(store, principal).await?))
}

/// The body of a settings change: fields left out stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDraft {
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub contract_email: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub language: Option<String>,
}

pub async fn update_settings(
    store: &impl Accounts,
    principal: &Principal,
    draft: SettingsDraft,
) -> Result<Json, ApiError> {
    let mut account = account_of(store, principal).await?;
    account.name = display_name(draft.name, &account.name)?;
    if let Some(email) = draft.contract_email {
        if let Some(email) = &email {
            check_email(email)
                .map_err(|e| ApiError::bad_request(format!("`contract_email`: {e}")))?;
        }
        account.contract_email = email;
    }
    if let Some(zone) = draft.time_zone {
        account.time_zone = TimeZone::parse(&zone)
            .map_err(|e| ApiError::bad_request(format!("`time_zone`: {e}")))?;
    }
    if let Some(tag) = draft.language {
        account.language =
            Language::parse(&tag).map_err(|e| ApiError::bad_request(format!("`language`: {e}")))?;
    }
    if !store.update_settings(&account).await? {
        return Err(ApiError::not_found("account not found"));
    }
    Ok(account_json(&account))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasDraft {
    /// The new alias, or `null` to remove it.
    pub alias: Option<String>,
}

/// Sets the account's alternate login account ID (Pro): one namespace with account IDs,
/// so a login name always means one account.
pub async fn set_login_alias(
    store: &impl Accounts,
    principal: &Principal,
    draft: AliasDraft,
) -> Result<Json, ApiError> {
    let mut account = account_of(store, principal).await?;
    if !account.plan.limits().alternate_login_id {
        return Err(ApiError::forbidden(format!(
            "plan {} has no alternate login account ID; it comes with pro",
            account.plan
        )));
    }
    let alias = draft
        .alias
        .map(|alias| {
            AccountId::parse(alias).map_err(|e| ApiError::bad_request(format!("`alias`: {e}")))
        })
        .transpose()?;
    if alias.is_some() && alias == account.login_alias {
        return Ok(account_json(&account));
    }
    if alias.as_ref() == Some(&account.id) {
        return Err(ApiError::bad_request(
            "`alias`: that is the account ID itself",
        ));
    }
    if !store.set_login_alias(&account, alias.as_ref()).await? {
        return Err(ApiError::conflict(
            "taken",
            format!(
                "`{}` is taken (by another account's ID or alias), or the alias changed meanwhile",
                alias.map_or_else(String::new, String::from)
            ),
        ));
    }
    account.login_alias = alias;
    Ok(account_json(&account))
}

/// Logo bodies are larger than other requests: 64 KB of image as base64, and a margin.
pub const MAX_LOGO_BODY_BYTES: usize = 96 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoDraft {
    /// The image (PNG, JPEG or WebP), base64.
    pub data: String,
}

fn logo_json(logo: &Logo) -> Json {
    json!({
        "content_type": logo.content_type,
        "data": base64::engine::general_purpose::STANDARD.encode(&logo.bytes),
    })
}

pub async fn logo(store: &impl Accounts, principal: &Principal) -> Result<Json, ApiError> {
    let logo = store
        .logo(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("the account has no logo"))?;
    Ok(logo_json(&logo))
}

pub async fn set_logo(
    store: &impl Accounts,
    principal: &Principal,
    draft: LogoDraft,
) -> Result<Json, ApiError> {
    let account = account_of(store, principal).await?;
    if !account.plan.limits().own_logo {
        return Err(ApiError::forbidden(format!(
            "plan {} has no own logo; it comes with free, standard and pro",
            account.plan
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(draft.data.trim())
        .map_err(|e| ApiError::bad_request(format!("`data` is not base64: {e}")))?;
    let logo =
        Logo::from_bytes(bytes).map_err(|e| ApiError::bad_request(format!("`data`: {e}")))?;
    store.set_logo(&account.id, Some(&logo)).await?;
    Ok(logo_json(&logo))
}

pub async fn delete_logo(store: &impl Accounts, principal: &Principal) -> Result<Json, ApiError> {
    store.set_logo(&principal.account, None).await?;
    Ok(json!({ "deleted": "logo" }))
}

/// Replaces the account's IP allow-list (Pro). A list that would lock out the very
/// address it is sent from is refused: the admin could not undo it.
pub async fn set_allow_list(
    store: &(impl Accounts + Users + Throttle),
    principal: &Principal,
    http: &lambda_http::Request,
    request: AllowListRequest,
    now: Millis,
) -> Result<Json, ApiError> {
    let mut account = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?;
    if !account.plan.limits().ip_allow_list {
        return Err(ApiError::forbidden(format!(
            "plan {} has no IP allow-list; it comes with pro",
            account.plan
        )));
    }
    if request.allow_list.len() > MAX_RANGES {
        return Err(ApiError::bad_request(format!(
            "the allow-list has {} ranges; at most {MAX_RANGES} are accepted",
            request.allow_list.len()
        )));
    }
    let ranges = request
        .allow_list
        .iter()
        .map(|text| {
            Cidr::parse(text).map_err(|e| ApiError::bad_request(format!("`allow_list`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let own = crate::auth::source_ip(http);
    if !allowed(&ranges, own) {
        let shown = own.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        return Err(ApiError::conflict(
            "lockout",
            format!(
                "the list does not include your own address {shown}; you would lock yourself out"
            ),
        ));
    }
    let address = crate::auth::source_address(http);
    crate::users::confirm_admin(
        store,
        principal,
        request.admin_password.as_deref(),
        "changing the allow-list",
        address.as_deref(),
        now,
    )
    .await?;
    store.set_allow_list(&account.id, &ranges).await?;
    account.allow_list = ranges;
    Ok(account_json(&account))
}
