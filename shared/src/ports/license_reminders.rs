//! The [`LicenseReminders`] port: what the daily license-reminder job reads and keeps.

use std::ops::Range;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::schedule::Reminder;

/// One paid license in the list of licenses, which is ordered by expiry, then account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct License {
    pub expires: Millis,
    pub account: AccountId,
}

/// A page of the list of licenses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicensePage {
    pub licenses: Vec<License>,
    /// Whether licenses may follow the last of this page (the next page may be empty).
    pub more: bool,
}

/// How far a day's run of the job got through the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunProgress {
    NotStarted,
    /// Every license up to and including this one is handled.
    After(License),
    Done,
}

#[async_trait]
pub trait LicenseReminders: Send + Sync {
    /// The licenses expiring in `expiring`, in list order, after `after` if given: at
    /// most `limit` (at least 1).
    async fn licenses(
        &self,
        expiring: Range<Millis>,
        after: Option<&License>,
        limit: usize,
    ) -> Result<LicensePage, StoreError>;
    /// How far the run of the China Standard Time day `day` got.
    async fn reminder_run(&self, day: NaiveDate) -> Result<RunProgress, StoreError>;
    async fn save_reminder_run(
        &self,
        day: NaiveDate,
        progress: &RunProgress,
    ) -> Result<(), StoreError>;
    /// Records that `reminder` goes to `account`, unless it is recorded already: whether
    /// this call recorded it (and so may send it).
    async fn claim_reminder(
        &self,
        account: &AccountId,
        reminder: &Reminder,
    ) -> Result<bool, StoreError>;
}
