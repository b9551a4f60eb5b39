//! The [`QuotaSweep`] port: what the daily quota sweep reads and keeps besides the
//! accounts' data — the list of every account, each account's storage standing, the
//! notices it claimed and each day's progress.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;
use crate::domain::ids::AccountId;
use crate::domain::notify::StorageNotice;
use crate::domain::plan::Plan;
use crate::domain::registry::Account;
use crate::domain::schedule::StorageStanding;

/// A page of the list of accounts, in account-ID order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPage {
    pub accounts: Vec<AccountId>,
    /// Whether accounts may follow the last of this page (the next page may be empty).
    pub more: bool,
}

/// How far a day's sweep got through the list of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepProgress {
    NotStarted,
    /// Every account up to and including this one is swept.
    After(AccountId),
    Done,
}

#[async_trait]
pub trait QuotaSweep: Send + Sync {
    /// The accounts after `after` if given, in ID order: at most `limit` (at least 1).
    async fn account_ids(
        &self,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<AccountPage, StoreError>;
    /// The account with the storage standing the last sweep left it in (roomy if none),
    /// read together.
    async fn swept_account(
        &self,
        id: &AccountId,
    ) -> Result<Option<(Account, StorageStanding)>, StoreError>;
    /// Replaces the account's storage standing if it is still `previous`: `false`
    /// otherwise, or if there is no such account.
    async fn set_storage_standing(
        &self,
        account: &AccountId,
        previous: StorageStanding,
        standing: StorageStanding,
    ) -> Result<bool, StoreError>;
    /// Sets the stored plan to `to` (a lapsed license's Free), keeping the license's
    /// expiry, if the account still has the plan and expiry it was read with: `false`
    /// otherwise.
    async fn lapse_plan(&self, account: &Account, to: Plan) -> Result<bool, StoreError>;
    /// Records that `notice` goes to `account`, unless it is recorded already: whether
    /// this call recorded it (and so may send it).
    async fn claim_notice(
        &self,
        account: &AccountId,
        notice: &StorageNotice,
    ) -> Result<bool, StoreError>;
    /// How far the sweep of the China Standard Time day `day` got.
    async fn sweep_run(&self, day: NaiveDate) -> Result<SweepProgress, StoreError>;
    async fn save_sweep_run(
        &self,
        day: NaiveDate,
        progress: &SweepProgress,
    ) -> Result<(), StoreError>;
}
