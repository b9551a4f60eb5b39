//! The quota sweep's list, standings, claims and progress in memory. The list of every
//! account is the accounts themselves, which is what the DynamoDB list mirrors.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::store::MemoryStore;
use crate::domain::ids::AccountId;
use crate::domain::notify::StorageNotice;
use crate::domain::plan::Plan;
use crate::domain::registry::Account;
use crate::domain::schedule::StorageStanding;
use crate::ports::{AccountPage, QuotaSweep, StoreError, SweepProgress};

#[async_trait]
impl QuotaSweep for MemoryStore {
    async fn account_ids(
        &self,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<AccountPage, StoreError> {
        let tables = self.tables();
        let mut accounts: Vec<AccountId> = tables
            .accounts
            .keys()
            .filter(|id| after.is_none_or(|after| *id > after))
            .take(limit.max(1) + 1)
            .cloned()
            .collect();
        let more = accounts.len() > limit.max(1);
        accounts.truncate(limit.max(1));
        Ok(AccountPage { accounts, more })
    }

    async fn swept_account(
        &self,
        id: &AccountId,
    ) -> Result<Option<(Account, StorageStanding)>, StoreError> {
        Ok(self
            .tables()
            .accounts
            .get(id)
            .map(|entry| (entry.account.clone(), entry.storage)))
    }

    async fn set_storage_standing(
        &self,
        account: &AccountId,
        previous: StorageStanding,
        standing: StorageStanding,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.accounts.get_mut(account) {
            Some(entry) if entry.storage == previous => {
                entry.storage = standing;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn lapse_plan(&self, account: &Account, to: Plan) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.accounts.get_mut(&account.id) {
            Some(entry)
                if account.license_expires.is_some()
                    && entry.account.plan == account.plan
                    && entry.account.license_expires == account.license_expires =>
            {
                entry.account.plan = to;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn claim_notice(
        &self,
        account: &AccountId,
        notice: &StorageNotice,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tables()
            .notices_sent
            .insert((account.clone(), *notice)))
    }

    async fn sweep_run(&self, day: NaiveDate) -> Result<SweepProgress, StoreError> {
        Ok(self
            .tables()
            .sweep_runs
            .get(&day)
            .cloned()
            .unwrap_or(SweepProgress::NotStarted))
    }

    async fn save_sweep_run(
        &self,
        day: NaiveDate,
        progress: &SweepProgress,
    ) -> Result<(), StoreError> {
        self.tables().sweep_runs.insert(day, progress.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::quota_sweep(&MemoryStore::new(), "memory").await;
    }
}
