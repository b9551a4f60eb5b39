//! The account itself: its settings (name, contract e-mail, time zone, language), Pro's
//! alternate login account ID and IP allow-list, and its logo.

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::allowlist::{allowed, Cidr, MAX_RANGES};
use crate::domain::auth::check_email;
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::{Language, Logo, TimeZone};
use crate::domain::token::Principal;
use crate::ports::{Accounts, DataUsage, Files, StoreError, Throttle, Users};

use super::input::{display_name, present};
use super::usage::storage_used;
use super::users::confirm_admin;
use super::{Conflict, Deleted, Refused};

/// The account as its users see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub plan: Plan,
    pub created: Millis,
    pub trial_ends: Option<Millis>,
    pub license_expires: Option<Millis>,
    pub contract_email: Option<String>,
    pub time_zone: TimeZone,
    pub language: Language,
    pub login_alias: Option<AccountId>,
    pub allow_list: Vec<String>,
}

impl From<&Account> for AccountView {
    fn from(account: &Account) -> Self {
        AccountView {
            id: account.id.clone(),
            name: account.name.clone(),
            plan: account.plan,
            created: account.created,
            trial_ends: account.trial_ends(),
            license_expires: account.license_expires,
            contract_email: account.contract_email.clone(),
            time_zone: account.time_zone.clone(),
            language: account.language,
            login_alias: account.login_alias.clone(),
            allow_list: account.allow_list.iter().map(ToString::to_string).collect(),
        }
    }
}

pub(crate) async fn account_of(
    store: &impl Accounts,
    principal: &Principal,
) -> Result<Account, Refused> {
    store
        .account(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("account not found"))
}

/// The account with what it stores against its plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: AccountView,
    pub storage: StorageView,
}

/// Bytes stored and the plan's storage, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StorageView {
    /// Files and measurement data: what the plan's capacity is measured against.
    pub used: u64,
    pub files: u64,
    pub data: u64,
    pub capacity: u64,
}

pub async fn account(
    store: &(impl Accounts + Files + DataUsage),
    principal: &Principal,
    now: Millis,
) -> Result<AccountDetail, Refused> {
    let account = account_of(store, principal).await?;
    Ok(AccountDetail {
        storage: storage_view(store, &account, now).await?,
        account: AccountView::from(&account),
    })
}

/// What `account` stores against the storage of its plan at `now`.
pub(crate) async fn storage_view(
    store: &(impl Files + DataUsage),
    account: &Account,
    now: Millis,
) -> Result<StorageView, StoreError> {
    let used = storage_used(store, &account.id).await?;
    Ok(StorageView {
        used: used.total(),
        files: used.files,
        data: used.data,
        capacity: account.plan_at(now).limits().storage_bytes,
    })
}

/// The body of a settings change: fields left out stay as they are.
#[derive(Debug, Deserialize, JsonSchema)]
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
) -> Result<AccountView, Refused> {
    let mut account = account_of(store, principal).await?;
    account.name = display_name(draft.name, &account.name)?;
    if let Some(email) = draft.contract_email {
        if let Some(email) = &email {
            check_email(email).map_err(|e| Refused::invalid(format!("`contract_email`: {e}")))?;
        }
        account.contract_email = email;
    }
    if let Some(zone) = draft.time_zone {
        account.time_zone =
            TimeZone::parse(&zone).map_err(|e| Refused::invalid(format!("`time_zone`: {e}")))?;
    }
    if let Some(tag) = draft.language {
        account.language =
            Language::parse(&tag).map_err(|e| Refused::invalid(format!("`language`: {e}")))?;
    }
    if !store.update_settings(&account).await? {
        return Err(Refused::not_found("account not found"));
    }
    Ok(AccountView::from(&account))
}

#[derive(Debug, Deserialize, JsonSchema)]
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
) -> Result<AccountView, Refused> {
    let mut account = account_of(store, principal).await?;
    if !account.plan.limits().alternate_login_id {
        return Err(Refused::not_allowed(format!(
            "plan {} has no alternate login account ID; it comes with pro",
            account.plan
        )));
    }
    let alias = draft
        .alias
        .map(|alias| AccountId::parse(alias).map_err(|e| Refused::invalid(format!("`alias`: {e}"))))
        .transpose()?;
    if alias.is_some() && alias == account.login_alias {
        return Ok(AccountView::from(&account));
    }
    if alias.as_ref() == Some(&account.id) {
        return Err(Refused::invalid("`alias`: that is the account ID itself"));
    }
    if !store.set_login_alias(&account, alias.as_ref()).await? {
        return Err(Refused::conflict(
            Conflict::Taken,
            format!(
                "`{}` is taken (by another account's ID or alias), or the alias changed meanwhile",
                alias.map_or_else(String::new, String::from)
            ),
        ));
    }
    account.login_alias = alias;
    Ok(AccountView::from(&account))
}

/// Logo bodies are larger than other requests: 64 KB of image as base64, and a margin.
pub const MAX_LOGO_BODY_BYTES: usize = 96 * 1024;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoDraft {
    /// The image (PNG, JPEG or WebP), base64.
    pub data: String,
}

/// The account's logo: its type and the image, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LogoView {
    pub content_type: &'static str,
    pub data: String,
}

impl From<&Logo> for LogoView {
    fn from(logo: &Logo) -> Self {
        LogoView {
            content_type: logo.content_type,
            data: base64::engine::general_purpose::STANDARD.encode(&logo.bytes),
        }
    }
}

pub async fn logo(store: &impl Accounts, principal: &Principal) -> Result<LogoView, Refused> {
    let logo = store
        .logo(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("the account has no logo"))?;
    Ok(LogoView::from(&logo))
}

pub async fn set_logo(
    store: &impl Accounts,
    principal: &Principal,
    draft: LogoDraft,
) -> Result<LogoView, Refused> {
    let account = account_of(store, principal).await?;
    if !account.plan.limits().own_logo {
        return Err(Refused::not_allowed(format!(
            "plan {} has no own logo; it comes with free, standard and pro",
            account.plan
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(draft.data.trim())
        .map_err(|e| Refused::invalid(format!("`data` is not base64: {e}")))?;
    let logo = Logo::from_bytes(bytes).map_err(|e| Refused::invalid(format!("`data`: {e}")))?;
    store.set_logo(&account.id, Some(&logo)).await?;
    Ok(LogoView::from(&logo))
}

pub async fn delete_logo(
    store: &impl Accounts,
    principal: &Principal,
) -> Result<Deleted<&'static str>, Refused> {
    store.set_logo(&principal.account, None).await?;
    Ok(Deleted { deleted: "logo" })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowListRequest {
    pub allow_list: Vec<String>,
    /// The caller's own password, asked again: a list of a thief's address alone would
    /// keep every other admin out, and so the stolen session in.
    pub admin_password: Option<String>,
}

/// Replaces the account's IP allow-list (Pro), sent from `address`. A list that would
/// lock out the very address it is sent from is refused: the admin could not undo it.
pub async fn set_allow_list(
    store: &(impl Accounts + Users + Throttle),
    principal: &Principal,
    request: AllowListRequest,
    address: Option<&str>,
    now: Millis,
) -> Result<AccountView, Refused> {
    let mut account = account_of(store, principal).await?;
    if !account.plan.limits().ip_allow_list {
        return Err(Refused::not_allowed(format!(
            "plan {} has no IP allow-list; it comes with pro",
            account.plan
        )));
    }
    if request.allow_list.len() > MAX_RANGES {
        return Err(Refused::invalid(format!(
            "the allow-list has {} ranges; at most {MAX_RANGES} are accepted",
            request.allow_list.len()
        )));
    }
    let ranges = request
        .allow_list
        .iter()
        .map(|text| Cidr::parse(text).map_err(|e| Refused::invalid(format!("`allow_list`: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let own: Option<std::net::IpAddr> = address.and_then(|a| a.parse().ok());
    if !allowed(&ranges, own) {
        let shown = own.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        return Err(Refused::conflict(
            Conflict::Lockout,
            format!(
                "the list does not include your own address {shown}; you would lock yourself out"
            ),
        ));
    }
    confirm_admin(
        store,
        principal,
        request.admin_password.as_deref(),
        "changing the allow-list",
        address,
        now,
    )
    .await?;
    store.set_allow_list(&account.id, &ranges).await?;
    account.allow_list = ranges;
    Ok(AccountView::from(&account))
}
