//! The license-reminder job's list, claims and progress in memory. The list of licenses
//! is read from the accounts themselves, which is what the DynamoDB list mirrors.

use std::ops::Range;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::store::MemoryStore;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::schedule::Reminder;
use crate::ports::{License, LicensePage, LicenseReminders, RunProgress, StoreError};

#[async_trait]
impl LicenseReminders for MemoryStore {
    async fn licenses(
        &self,
        expiring: Range<Millis>,
        after: Option<&License>,
        limit: usize,
    ) -> Result<LicensePage, StoreError> {
        let mut licenses: Vec<License> = self
            .tables()
            .accounts
            .values()
            .filter_map(|entry| {
                let expires = entry.account.license_expires?;
                expiring.contains(&expires).then(|| License {
                    expires,
                    account: entry.account.id.clone(),
                })
            })
            .filter(|license| after.is_none_or(|after| license > after))
            .collect();
        licenses.sort();
        let more = licenses.len() > limit.max(1);
        licenses.truncate(limit.max(1));
        Ok(LicensePage { licenses, more })
    }

    async fn reminder_run(&self, day: NaiveDate) -> Result<RunProgress, StoreError> {
        Ok(self
            .tables()
            .reminder_runs
            .get(&day)
            .cloned()
            .unwrap_or(RunProgress::NotStarted))
    }

    async fn save_reminder_run(
        &self,
        day: NaiveDate,
        progress: &RunProgress,
    ) -> Result<(), StoreError> {
        self.tables().reminder_runs.insert(day, progress.clone());
        Ok(())
    }

    async fn claim_reminder(
        &self,
        account: &AccountId,
        reminder: &Reminder,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tables()
            .reminders_sent
            .insert((account.clone(), reminder.kind, reminder.day)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::license_reminders(&MemoryStore::new(), "memory").await;
    }
}
