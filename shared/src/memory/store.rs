//! The registry table in memory: the struct, the state its ports share, and the
//! counters that limit creations. Each port's implementation is in its own file beside
//! this one.
//!
//! One lock over plain maps: each method takes it once, so every method is atomic, as
//! a DynamoDB transaction is. Each method checks every condition before it changes
//! anything, so a refused write leaves nothing behind (a cancelled transaction).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDate;

use crate::domain::access::Team;
use crate::domain::alarm::Alarm;
use crate::domain::auth::{ApiToken, AuditEvent, Failures, PasswordReset, Session, Signup, User};
use crate::domain::calculated::CalculatedChannel;
use crate::domain::data_job::DataJob;
use crate::domain::file_alarm::FileAlarm;
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::{
    AccountId, AlarmId, AppId, CalcId, FileAlarmId, FileId, GroupId, InstrumentSerial, JobId,
    TeamId, UserId,
};
use crate::domain::inbox::{NotificationId, ReadMarks};
use crate::domain::notice::Notice;
use crate::domain::notify::{Destinations, StorageNotice};
use crate::domain::record::Millis;
use crate::domain::registry::{Account, App, Group, Instrument, InstrumentKey};
use crate::domain::schedule::{ReminderKind, StorageStanding};
use crate::domain::settings::Logo;
use crate::domain::usage::{Mark, StreamPosition};
use crate::ports::{GroupAlarmStates, RunProgress, SweepProgress};

/// One instrument key's measurement data count.
#[derive(Debug, Clone)]
pub struct DataCount {
    pub bytes: i64,
    pub through: StreamPosition,
    pub pending: BTreeMap<Millis, Mark>,
    pub backlog_from: Option<Millis>,
    pub backlog_version: u64,
    pub rolled_from: Option<Millis>,
}

/// Every port of [`crate::ports::Store`] in memory, with the same observable behaviour
/// as `adapters::dynamodb::DynamoStore` (both keep the contracts
/// of [`crate::contract`]).
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an account unless it exists (seeding), as `DynamoStore::create_account`
    /// does: with no users, login alias or allow-list yet.
    pub fn create_account(&self, account: &Account) {
        let mut tables = self.tables();
        tables
            .accounts
            .entry(account.id.clone())
            .or_insert_with(|| AccountEntry::new(account));
    }

    pub(super) fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .expect("no panic while holding the store's lock")
    }
}

/// What the registry table holds, one map per item kind.
#[derive(Default)]
pub(super) struct Tables {
    pub accounts: BTreeMap<AccountId, AccountEntry>,
    pub aliases: BTreeMap<AccountId, AccountId>,
    pub logos: BTreeMap<AccountId, Logo>,
    /// Trial e-mail addresses and the accounts they signed up.
    pub emails: BTreeMap<String, AccountId>,
    pub groups: BTreeMap<(AccountId, GroupId), GroupEntry>,
    pub apps: BTreeMap<(AccountId, AppId), AppEntry>,
    pub instruments: BTreeMap<(AccountId, AppId, InstrumentSerial), Instrument>,
    pub calculated: BTreeMap<(AccountId, GroupId, CalcId), CalculatedChannel>,
    pub alarms: BTreeMap<(AccountId, GroupId, AlarmId), Alarm>,
    pub file_alarms: BTreeMap<(AccountId, GroupId, FileAlarmId), FileAlarm>,
    pub alarm_states: BTreeMap<(AccountId, GroupId), GroupAlarmStates>,
    /// Each group's notifications by ID.
    pub inbox: BTreeMap<(AccountId, GroupId), BTreeMap<NotificationId, Notice>>,
    /// Uploads handed out, by account and file.
    pub uploads: BTreeMap<(AccountId, FileId), PendingUpload>,
    /// The drive's index, by account, group and file.
    pub files: BTreeMap<(AccountId, GroupId, FileId), FileEntry>,
    /// Each account's bytes of indexed files.
    pub files_bytes: BTreeMap<AccountId, u64>,
    /// Folders kept with no file needed, by account, group and path.
    pub folders: BTreeSet<(AccountId, GroupId, String)>,
    /// Measurement data bytes, the stream position counted through and the hours
    /// pending compaction, by account and instrument key.
    pub data_usage: BTreeMap<(AccountId, InstrumentKey), DataCount>,
    /// Exports and imports, by account, group and job.
    pub jobs: BTreeMap<(AccountId, GroupId, JobId), DataJob>,
    /// The apps the silence sweep watches, with their status revision.
    pub watched: BTreeMap<(AccountId, AppId), u64>,
    /// Each user's read marks on each group's inbox, by account, user and group.
    pub read_marks: BTreeMap<(AccountId, UserId, GroupId), ReadMarks>,
    /// Delivery marks by (account, group, notification, destination).
    pub deliveries: BTreeMap<(AccountId, GroupId, String, String), DeliveryMark>,
    pub users: BTreeMap<(AccountId, UserId), User>,
    /// Session generations: they outlive the user, so that one created again with the
    /// same ID finds the old sessions ended.
    pub generations: BTreeMap<(AccountId, UserId), u64>,
    pub sessions: BTreeMap<String, Session>,
    pub throttles: BTreeMap<String, Failures>,
    pub codes: BTreeMap<String, MailedCode>,
    pub resets: BTreeMap<String, PasswordReset>,
    pub signups: BTreeMap<String, Signup>,
    /// Web API tokens by the hash of their secret.
    pub tokens: BTreeMap<String, ApiToken>,
    /// The same tokens, listed under their account by ID.
    pub token_ids: BTreeMap<(AccountId, String), ApiToken>,
    pub teams: BTreeMap<(AccountId, TeamId), Team>,
    /// Each account's audit log by sort key (see `audit.rs`).
    pub audit: BTreeMap<AccountId, BTreeMap<String, AuditEvent>>,
    /// Keeps audit events of one millisecond apart (DynamoDB uses random bits).
    pub audit_serial: u64,
    /// License reminders claimed (see `license_reminders.rs`; the list of licenses is
    /// the accounts' own `license_expires`).
    pub reminders_sent: BTreeSet<(AccountId, ReminderKind, NaiveDate)>,
    pub reminder_runs: BTreeMap<NaiveDate, RunProgress>,
    /// Storage notices claimed (see `quota_sweep.rs`; the list of every account is the
    /// accounts themselves, and each one's standing is in its entry).
    pub notices_sent: BTreeSet<(AccountId, StorageNotice)>,
    pub sweep_runs: BTreeMap<NaiveDate, SweepProgress>,
}

/// An account and the counts its limits are checked on.
pub(super) struct AccountEntry {
    pub account: Account,
    pub groups: u32,
    pub apps: u32,
    pub users: u32,
    pub admins: u32,
    pub teams: u32,
    pub api_tokens: u32,
    /// Where the quota sweep left its storage.
    pub storage: StorageStanding,
}

impl AccountEntry {
    /// A new account as stored: the login alias and the allow-list are set by their own
    /// writes.
    pub fn new(account: &Account) -> Self {
        AccountEntry {
            account: Account {
                allow_list: Vec::new(),
                login_alias: None,
                ..account.clone()
            },
            groups: 0,
            apps: 0,
            users: 0,
            admins: 0,
            teams: 0,
            api_tokens: 0,
            storage: StorageStanding::Roomy,
        }
    }
}

/// A group and the counts of its apps, calculated channels, alarms and file alarms,
/// which keep it from being deleted.
pub(super) struct GroupEntry {
    pub group: Group,
    pub apps: u32,
    pub calculated: u32,
    pub alarms: u32,
    pub file_alarms: u32,
    pub destinations: Destinations,
}

/// An app and the count of its instruments.
pub(super) struct AppEntry {
    pub app: App,
    pub instruments: u32,
}

/// An open second step.
pub(super) struct MailedCode {
    pub hash: Option<String>,
    pub expires: Millis,
    pub attempts: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::Plan;
    use crate::ports::{Accounts, Created, Groups, Users};

    #[tokio::test]
    async fn a_created_account_starts_with_nothing_counted_and_is_created_once() {
        let store = MemoryStore::new();
        let id = AccountId::parse("acme").unwrap();
        let account = Account {
            login_alias: Some(AccountId::parse("alias").unwrap()),
            ..Account::new(id.clone(), "Acme".into(), Plan::Free, Millis(1))
        };
        store.create_account(&account);
        let renamed = Account::new(id.clone(), "Other".into(), Plan::Pro, Millis(2));
        store.create_account(&renamed);
        let read = store.account(&id).await.unwrap().unwrap();
        assert_eq!((read.name.as_str(), read.login_alias), ("Acme", None));
        assert!(store.users(&id).await.unwrap().is_empty());
        let group = Group {
            account: id.clone(),
            id: GroupId::parse("plant").unwrap(),
            name: "Plant".into(),
            grants: Vec::new(),
        };
        assert_eq!(
            store.create_group(&group, 1).await.unwrap(),
            Created::Created
        );
    }
}

/// A delivery's mark: claimed until a time, or delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeliveryMark {
    Leased(Millis),
    Delivered,
}
