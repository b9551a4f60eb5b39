//! The registry table's keys: every item kind, its partition and sort key and its place
//! in the `byGroup` index, in one place. A new item kind gets its key builders here and
//! its row in this table.
//!
//! | item | `pk` | `sk` | `gpk` / `gsk` (index `byGroup`) | `ttl` |
//! |---|---|---|---|---|
//! | account (plan, settings, allow-list; counts of its groups, apps, users, admins, teams, Web API tokens; bytes of its files; the storage standing the quota sweep left it in) | `ACCOUNT#{account}` | `ACCOUNT` | – | – |
//! | measurement group (name, grants `user:…`/`team:…` → role; notification destinations; counts of its apps, calculated channels, alarms and file alarms, which keep it from being deleted) | `ACCOUNT#{account}` | `GROUP#{group}` | – | – |
//! | calculated channel (expression, pins, backfill progress) | `ACCOUNT#{account}` | `CALC#{group}#{id}` | – | – |
//! | data alarm (name, rule as a map, enabled, version) | `ACCOUNT#{account}` | `ALARM#{group}#{id}` | – | – |
//! | file alarm (name, filter as a map: app, instrument, glob, kind; creation time) | `ACCOUNT#{account}` | `FILEALARM#{group}#{id}` | – | – |
//! | a group's alarm states (revision, each alarm's state and version, notifications not yet in the inbox) | `ACCOUNT#{account}` | `ALARMSTATE#{group}` | – | – |
//! | notification (one event of an alarm, an app's status, a file alarm), in its group's inbox | `INBOX#{account}#{group}` | `NOTE#{time:015}.{alarm}.{version}.{kind}`, `NOTE#{time:015}.app.{app}.{status}`, `NOTE#{time:015}.file.{file}.{rule}` | – | – |
//! | delivery mark of a notification to one destination (lease while sending, then delivered) | `INBOX#{account}#{group}` | `SENT#{notification}#{destination}` | – | yes |
//! | a user's read marks on a group's inbox (revision, read-through ID, IDs read one by one after it) | `ACCOUNT#{account}` | `READMARKS#{user}#{group}` | – | – |
//! | an upload handed out and not yet arrived (name, folder, size, content type, who asked) | `ACCOUNT#{account}` | `UPLOAD#{file}` | – | yes |
//! | file of the drive (name, folder, size, content type, SHA-256, uploader, time) | `FILES#{account}#{group}` | `FILE#{file}` | – | – |
//! | folder of the drive kept with no file needed (its path) | `FILES#{account}#{group}` | `FOLDER#{SHA-256 of the path}` (a path may pass the 1,024 bytes of a sort key) | – | – |
//! | measurement data of one instrument key (a measured instrument's or a calculated channel's records): its bytes, and the records table's stream position they were counted through | `DATA#{account}` | `KEY#{instrument key}` | – | – |
//! | export or import (what it does, where it is, how it ended) | `ACCOUNT#{account}` | `JOB#{group}#{job}` | – | yes |
//! | user (role, e-mail, password hash, second step) | `ACCOUNT#{account}` | `USER#{user}` | – | – |
//! | team (name, members) | `ACCOUNT#{account}` | `TEAM#{team}` | – | – |
//! | Web API token, listed under its account | `ACCOUNT#{account}` | `APITOKEN#{id}` | – | – |
//! | Web API token, found by its hash | `APITOKEN#{hash}` | `APITOKEN` | – | – |
//! | audit event, folded failures | `ACCOUNT#{account}` | `AUDIT#{time:015}#{random}` / `AUDIT#{window:015}#fold-{key}` | – | – |
//! | logo | `ACCOUNT#{account}` | `LOGO` | – | – |
//! | login alias (Pro) → account | `ALIAS#{alias}` | `ALIAS` | – | – |
//! | app (registration `reg`, last seen, instrument count, connection status and its revision) | `APP#{account}#{app}` | `APP` | `GROUP#{account}#{group}` / `APP#{app}` | – |
//! | an app the silence sweep watches (connected, or with status changes to deliver; its status revision), across accounts: the operator's list, read by the sweep alone | `WATCHED#APPS` | `{account}#{app}` | – | – |
//! | instrument (registration `reg`, instance `inst`, channels) | `APP#{account}#{app}` | `INSTRUMENT#{serial}` | `GROUP#{account}#{group}` / `APP#{app}#INSTRUMENT#{serial}` | – |
//! | a paid license in the list of licenses by expiry, across accounts: the operator's list, read by the license-reminder job alone (written with the account's `licenseExpires`) | `LICENSES` | `{expires:015}#{account}` | – | – |
//! | license reminder sent (or being sent) to an account: one per kind and China Standard Time day | `ACCOUNT#{account}` | `REMINDER#{kind}#{day}` | – | yes |
//! | how far a day's license-reminder run got (the last license handled, or done) | `RUN#license-reminder` | `{day}` | – | yes |
//! | an account in the list of every account, written in the transaction that creates the account: the operator's list, read by the quota sweep alone | `ACCOUNTS` | `{account}` | – | – |
//! | storage notice sent (or being sent) to an account: one per kind and date (the day found nearly full, the deadline of an over-capacity crossing) | `ACCOUNT#{account}` | `NOTICE#{kind}#{date}` | – | yes |
//! | how far a day's quota sweep got (the last account swept, or done) | `RUN#quota-sweep` | `{day}` | – | yes |
//! | session | `SESSION#{id}` | `SESSION` | – | yes |
//! | a user's session generation (outlives the user) | `SESSIONS#{account}/{user}` | `SESSIONS` | – | – |
//! | failed-attempt count | `THROTTLE#{key}` | `THROTTLE` | – | yes |
//! | mailed code (second step, e-mail change) | `CODE#{purpose}` | `CODE` | – | yes |
//! | password reset link | `RESET#{hash}` | `RESET` | – | yes |
//! | pending Trial sign-up | `SIGNUP#{hash}` | `SIGNUP` | – | yes |
//! | Trial e-mail → account | `EMAIL#{email}` | `EMAIL` | – | – |
//!
//! The account is in every key a tenant's data is found by (and in `gpk`), so no query
//! can reach another tenant's items. Singular sort keys name the one item of their
//! partition.

use chrono::NaiveDate;

use crate::domain::ids::{
    AccountId, AlarmId, AppId, CalcId, FileAlarmId, FileId, GroupId, InstrumentSerial, JobId,
    TeamId, UserId,
};
use crate::domain::inbox::NotificationId;
use crate::domain::notify::StorageNotice;
use crate::domain::record::Millis;
use crate::domain::schedule::ReminderKind;
use crate::ports::StoreError;

pub const ACCOUNT_SK: &str = "ACCOUNT";
pub const ALIAS_SK: &str = "ALIAS";
pub const APP_SK: &str = "APP";
pub const LOGO_SK: &str = "LOGO";
pub const SESSION_SK: &str = "SESSION";
pub const SESSIONS_SK: &str = "SESSIONS";
pub const THROTTLE_SK: &str = "THROTTLE";
pub const CODE_SK: &str = "CODE";
pub const RESET_SK: &str = "RESET";
pub const SIGNUP_SK: &str = "SIGNUP";
pub const EMAIL_SK: &str = "EMAIL";
/// The sort key of a Web API token's item under its hash.
pub const TOKEN_SK: &str = "APITOKEN";

/// The partition of an account's items.
pub const ACCOUNT_PREFIX: &str = "ACCOUNT#";
/// Sort-key prefixes of the items a partition holds many of.
/// The partition of an app's items, and the `byGroup` sort key of an app.
pub const APP_PREFIX: &str = "APP#";
pub const GROUP_PREFIX: &str = "GROUP#";
pub const INSTRUMENT_PREFIX: &str = "INSTRUMENT#";
pub const USER_PREFIX: &str = "USER#";
pub const TEAM_PREFIX: &str = "TEAM#";
pub const TOKEN_PREFIX: &str = "APITOKEN#";
pub const AUDIT_PREFIX: &str = "AUDIT#";
pub const NOTIFICATION_PREFIX: &str = "NOTE#";
/// The partition of a session's item.
pub const SESSION_PREFIX: &str = "SESSION#";

pub fn account_pk(account: &AccountId) -> String {
    format!("{ACCOUNT_PREFIX}{account}")
}

pub fn alias_pk(alias: &AccountId) -> String {
    format!("ALIAS#{alias}")
}

/// App IDs are unique within an account only, so the account is part of the key.
pub fn app_pk(account: &AccountId, thing: &AppId) -> String {
    format!("{APP_PREFIX}{account}#{thing}")
}

pub const FILE_PREFIX: &str = "FILE#";

pub fn upload_sk(file: &FileId) -> String {
    format!("UPLOAD#{file}")
}

/// The partition of an account's measurement data bytes, one item per instrument key.
pub fn data_pk(account: &AccountId) -> String {
    format!("DATA#{account}")
}

pub const DATA_KEY_PREFIX: &str = "KEY#";

pub const JOB_PREFIX: &str = "JOB#";

pub fn job_sk(group: &GroupId, job: &JobId) -> String {
    format!("{JOB_PREFIX}{group}#{job}")
}

pub const FOLDER_PREFIX: &str = "FOLDER#";

/// A folder's sort key: by a digest of its path, which may be longer than a sort key.
pub fn folder_sk(path: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(path.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{FOLDER_PREFIX}{digest}")
}

/// The partition of a group's files and folders.
pub fn files_pk(account: &AccountId, group: &GroupId) -> String {
    format!("FILES#{account}#{group}")
}

pub fn file_sk(file: &FileId) -> String {
    format!("{FILE_PREFIX}{file}")
}

/// The one partition of the apps the silence sweep watches: written only when an app's
/// status changes, read once a sweep.
pub const WATCHED_APPS_PK: &str = "WATCHED#APPS";

/// Account IDs hold no `#`, so the sort keys order by account, then app.
pub fn watched_app_sk(account: &AccountId, app: &AppId) -> String {
    format!("{account}#{app}")
}

pub fn instrument_sk(serial: &InstrumentSerial) -> String {
    format!("{INSTRUMENT_PREFIX}{serial}")
}

pub fn group_sk(group: &GroupId) -> String {
    format!("{GROUP_PREFIX}{group}")
}

/// The sort-key prefix of a group's calculated channels.
pub fn calculated_prefix(group: &GroupId) -> String {
    format!("CALC#{group}#")
}

pub fn calculated_sk(group: &GroupId, id: &CalcId) -> String {
    format!("{}{id}", calculated_prefix(group))
}

/// The sort-key prefix of a group's data alarms.
pub fn alarm_prefix(group: &GroupId) -> String {
    format!("ALARM#{group}#")
}

pub fn alarm_sk(group: &GroupId, id: &AlarmId) -> String {
    format!("{}{id}", alarm_prefix(group))
}

/// The sort-key prefix of a group's file alarms.
pub fn file_alarm_prefix(group: &GroupId) -> String {
    format!("FILEALARM#{group}#")
}

pub fn file_alarm_sk(group: &GroupId, id: &FileAlarmId) -> String {
    format!("{}{id}", file_alarm_prefix(group))
}

pub fn alarm_states_sk(group: &GroupId) -> String {
    format!("ALARMSTATE#{group}")
}

/// The partition of a group's notifications, newest last.
pub fn inbox_pk(account: &AccountId, group: &GroupId) -> String {
    format!("INBOX#{account}#{group}")
}

pub fn notification_sk(id: &NotificationId) -> String {
    format!("{NOTIFICATION_PREFIX}{id}")
}

pub fn delivery_sk(notification: &str, destination: &str) -> String {
    format!("SENT#{notification}#{destination}")
}

/// Above every notification's sort key (IDs are digits, a-z, `-` and `.`).
pub fn notifications_end() -> String {
    format!("{NOTIFICATION_PREFIX}~")
}

/// The sort-key prefix of a user's read marks on every group: found by it when the user
/// is deleted. User IDs hold no `#`, so one user's prefix is no other's.
pub fn read_marks_prefix(user: &UserId) -> String {
    format!("READMARKS#{user}#")
}

pub fn read_marks_sk(user: &UserId, group: &GroupId) -> String {
    format!("{}{group}", read_marks_prefix(user))
}

/// The `byGroup` partition of a group's apps and instruments.
pub fn group_gpk(account: &AccountId, group: &GroupId) -> String {
    format!("GROUP#{account}#{group}")
}

pub fn app_gsk(thing: &AppId) -> String {
    format!("{APP_PREFIX}{thing}")
}

pub fn instrument_gsk(thing: &AppId, serial: &InstrumentSerial) -> String {
    format!("{}#{}", app_gsk(thing), instrument_sk(serial))
}

pub fn user_sk(id: &UserId) -> String {
    format!("{USER_PREFIX}{id}")
}

pub fn team_sk(id: &TeamId) -> String {
    format!("{TEAM_PREFIX}{id}")
}

pub fn token_pk(hash: &str) -> String {
    format!("{TOKEN_PREFIX}{hash}")
}

pub fn token_sk(id: &str) -> String {
    format!("{TOKEN_PREFIX}{id}")
}

/// An audit event's sort key: by time, then 64 random bits that keep two events of one
/// millisecond apart. Times are zero-padded, so keys sort as times do.
pub fn audit_sk(at_millis: i64, random: u64) -> String {
    format!("{AUDIT_PREFIX}{at_millis:015}#{random:016x}")
}

/// The one item every failure of a fold window and key lands on.
pub fn audit_fold_sk(window_millis: i64, fold_key: &str) -> String {
    format!("{AUDIT_PREFIX}{window_millis:015}#fold-{fold_key}")
}

/// The lowest sort key of audit events at or after `at_millis`.
pub fn audit_from(at_millis: i64) -> String {
    format!("{AUDIT_PREFIX}{at_millis:015}")
}

/// Above every audit event's sort key.
pub fn audit_end() -> String {
    format!("{AUDIT_PREFIX}~")
}

pub fn session_pk(id: &str) -> String {
    format!("{SESSION_PREFIX}{id}")
}

/// A user's session generation. Not a user attribute: it must outlive the user, so that
/// a user deleted and created again cannot revive the old sessions; for the same reason
/// it has no `ttl`.
pub fn sessions_pk(account: &AccountId, user: &UserId) -> String {
    format!("SESSIONS#{account}/{user}")
}

pub fn throttle_pk(key: &str) -> String {
    format!("THROTTLE#{key}")
}

pub fn code_pk(purpose: &str) -> String {
    format!("CODE#{purpose}")
}

pub fn reset_pk(hash: &str) -> String {
    format!("RESET#{hash}")
}

pub fn signup_pk(hash: &str) -> String {
    format!("SIGNUP#{hash}")
}

pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}

/// The one partition of the list of paid licenses, ordered by expiry: written when an
/// account's license is, read by the license-reminder job a window at a time.
pub const LICENSES_PK: &str = "LICENSES";

/// Times are zero-padded and account IDs hold no `#`, so the keys order by expiry, then
/// account.
pub fn license_sk(expires: Millis, account: &AccountId) -> String {
    format!("{}#{account}", license_from(expires))
}

/// The lowest sort key of licenses expiring at or after `expires` (no key equals it).
pub fn license_from(expires: Millis) -> String {
    format!("{:015}", expires.0.max(0))
}

pub fn reminder_sent_sk(kind: ReminderKind, day: NaiveDate) -> String {
    format!("REMINDER#{kind}#{day}")
}

/// The one partition of the list of every account, by ID: written when an account is
/// created, read by the quota sweep a page at a time.
pub const ACCOUNTS_PK: &str = "ACCOUNTS";

pub fn storage_notice_sk(notice: &StorageNotice) -> String {
    format!("NOTICE#{}#{}", notice.kind, notice.date)
}

/// The partition of the quota sweep's daily progress.
pub const SWEEP_RUN_PK: &str = "RUN#quota-sweep";

pub fn sweep_run_sk(day: NaiveDate) -> String {
    day.to_string()
}

/// The partition of the license-reminder job's daily progress.
pub const REMINDER_RUN_PK: &str = "RUN#license-reminder";

pub fn reminder_run_sk(day: NaiveDate) -> String {
    day.to_string()
}

/// What follows `prefix` in a key read back: the ID it was built from.
pub fn key_id<'a>(key: &'a str, prefix: &str) -> Result<&'a str, StoreError> {
    key.strip_prefix(prefix)
        .ok_or_else(|| StoreError::Corrupt(format!("key `{key}` does not start with `{prefix}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_keys_sort_as_their_times_and_fall_between_the_bounds() {
        let (early, late) = (audit_sk(999, u64::MAX), audit_sk(1_000, 0));
        assert!(early < late);
        assert!(audit_from(1_000) <= late && late < audit_end());
        assert!(audit_fold_sk(1_000, "x") < audit_end());
        assert!(early < audit_from(1_000));
    }

    #[test]
    fn license_keys_sort_by_expiry_then_account_and_fall_between_the_bounds() {
        let acme = AccountId::parse("acme").unwrap();
        let zeta = AccountId::parse("zeta").unwrap();
        let (early, later, latest) = (
            license_sk(Millis(999), &zeta),
            license_sk(Millis(1_000), &acme),
            license_sk(Millis(1_000), &zeta),
        );
        assert!(early < later && later < latest);
        assert!(license_from(Millis(1_000)) < later);
        assert!(latest < license_from(Millis(1_001)));
        assert_eq!(later, "000000000001000#acme");
    }
}
