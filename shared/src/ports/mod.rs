//! The narrow capabilities the handlers need from storage and the outside world, one
//! port per thing stored. Use cases are generic over these, so the same code runs in
//! Lambda, in the local cloud and in tests; each asks for the ports it uses, and
//! [`Store`] for everything the registry table holds.
//!
//! Every port fails with [`StoreError`]; an outcome a port's caller branches on (a limit
//! reached, a conflict) is a value, in the port's file or here when several share it.

mod accounts;
mod alarm_states;
mod alarms;
mod app_statuses;
mod apps;
mod audit;
mod bucket;
mod calculated;
mod chunks;
mod data_jobs;
mod data_usage;
mod deliveries;
mod destinations;
mod file_alarms;
mod files;
mod groups;
mod inbox;
mod instruments;
mod license_reminders;
mod mail;
mod mailed_codes;
mod notify_queue;
mod queue;
mod quota_sweep;
mod read_marks;
mod records;
mod resets;
mod sessions;
mod signups;
mod teams;
mod things;
mod throttle;
mod tokens;
mod users;
mod webhooks;

pub use accounts::Accounts;
pub use alarm_states::{AlarmStates, GroupAlarmStates, GroupKey, VersionedState};
pub use alarms::Alarms;
pub use app_statuses::{AppStatuses, WatchedApp};
pub use apps::Apps;
pub use audit::AuditLog;
pub use bucket::{Bucket, ObjectDigest, SignedRequest};
pub use calculated::CalculatedChannels;
pub use chunks::{ChunkStore, StoredChunk};
pub use data_jobs::{DataJobQueue, DataJobs};
pub use data_usage::{BacklogStep, Counted, DataUsage};
pub use deliveries::{Claim, Deliveries};
pub use destinations::NotificationDestinations;
pub use file_alarms::FileAlarms;
pub use files::{Files, Indexed};
pub use groups::Groups;
pub use inbox::{Inbox, InboxRange};
pub use instruments::{Instruments, Registration, Renewal};
pub use license_reminders::{License, LicensePage, LicenseReminders, RunProgress};
pub use mail::{Mail, Mailer};
pub use mailed_codes::MailedCodes;
pub use notify_queue::{Notify, NotifyJob, NotifyQueue};
pub use queue::JobQueue;
pub use quota_sweep::{AccountPage, QuotaSweep, SweepProgress};
pub use read_marks::InboxReadMarks;
pub use records::{DeletedRecords, NewlyStored, RecordStore, StoredRecord};
pub use resets::Resets;
pub use sessions::Sessions;
pub use signups::Signups;
pub use teams::Teams;
pub use things::{DeviceCredentials, Provisioned, Things};
pub use throttle::Throttle;
pub use tokens::ApiTokens;
pub use users::{PasswordSet, UserChange, Users};
pub use webhooks::Webhooks;

/// A storage failure. `Unavailable` is worth a retry (throttling, network); `Corrupt`
/// is not: stored data no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether trying again may succeed (`Unavailable`); `Corrupt` data stays corrupt.
    pub fn retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Outcome of creating something that counts against a plan limit.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Created,
    /// The plan's limit is reached; nothing changed.
    LimitReached,
    /// The ID is taken.
    Exists,
}

/// Outcome of a revision-checked write.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Written,
    /// Someone else wrote since the revision was read; read again and re-apply.
    Conflict,
}

/// Everything the table holds: configuration (accounts, groups, apps, instruments,
/// calculated channels, data and file alarms, their states, the inbox and its read marks, the drive's
/// index) and identity (users, sessions, throttles, single-use codes and
/// links, tokens, teams, the audit log). For code that needs all or most of it; code that
/// needs a few ports names those.
pub trait Store:
    Accounts
    + Groups
    + Apps
    + Instruments
    + CalculatedChannels
    + Alarms
    + AlarmStates
    + Inbox
    + InboxReadMarks
    + NotificationDestinations
    + Deliveries
    + Files
    + FileAlarms
    + DataJobs
    + DataUsage
    + Users
    + Sessions
    + Throttle
    + MailedCodes
    + Resets
    + Signups
    + ApiTokens
    + Teams
    + AuditLog
{
}

impl<T> Store for T where
    T: Accounts
        + Groups
        + Apps
        + Instruments
        + CalculatedChannels
        + Alarms
        + AlarmStates
        + Inbox
        + InboxReadMarks
        + NotificationDestinations
        + Deliveries
        + Files
        + FileAlarms
        + DataJobs
        + DataUsage
        + Users
        + Sessions
        + Throttle
        + MailedCodes
        + Resets
        + Signups
        + ApiTokens
        + Teams
        + AuditLog
{
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn only_an_unavailable_store_is_worth_a_retry() {
        assert!(StoreError::Unavailable("throttled".into()).retryable());
        assert!(!StoreError::Corrupt("no plan".into()).retryable());
    }
}
