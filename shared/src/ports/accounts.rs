//! The [`Accounts`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::allowlist::Cidr;
use crate::domain::auth::User;
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::Logo;

/// The accounts: settings, login alias, logo, allow-list, and Trial accounts by the
/// e-mail address they were signed up with.
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;
    /// Writes an account's name, contract e-mail, time zone and language; `false` if there
    /// is no such account.
    async fn update_settings(&self, account: &Account) -> Result<bool, StoreError>;
    /// Writes plan `to`, license expiry `license_expires` and `now` as the time of the
    /// plan's last change, if the account still has the plan, expiry and last change it
    /// was read with (`account`), so that of two changes racing one passes; `false`
    /// otherwise, or if there is no such account.
    async fn change_plan(
        &self,
        account: &Account,
        to: Plan,
        license_expires: Millis,
        now: Millis,
    ) -> Result<bool, StoreError>;
    /// The account that logs in with `alias` (Pro's alternate login account ID).
    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError>;
    /// Replaces the account's login alias (`None` removes it) if the account still has the
    /// alias it was read with and the new one is neither an alias nor an account ID yet;
    /// `false` otherwise.
    async fn set_login_alias(
        &self,
        account: &Account,
        alias: Option<&AccountId>,
    ) -> Result<bool, StoreError>;
    async fn logo(&self, account: &AccountId) -> Result<Option<Logo>, StoreError>;
    /// Replaces (or with `None` removes) the account's logo.
    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError>;
    /// Replaces an account's IP allow-list.
    async fn set_allow_list(&self, account: &AccountId, ranges: &[Cidr]) -> Result<(), StoreError>;
    /// The account whose Trial was signed up with `email` (normalized).
    async fn account_by_email(&self, email: &str) -> Result<Option<AccountId>, StoreError>;
    /// Creates a Trial account with its one user, and claims the user's e-mail address for
    /// e-mail login, in one transaction: `false` if the address has a Trial already.
    async fn create_trial(&self, account: &Account, owner: &User) -> Result<bool, StoreError>;
}
