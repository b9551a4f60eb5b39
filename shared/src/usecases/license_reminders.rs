//! The daily license-reminder job (SPEC.md 8): every paid license with a reminder due
//! today (see [`crate::domain::schedule::reminders`]) gets one mail, in its account's
//! language, to its contract e-mail.
//!
//! **Once per account, kind and day.** Before a mail goes out, its reminder is claimed
//! with a conditional put keyed by account, kind and day; a claim refused means it went
//! out (or was going out) already, and nothing is sent. The claim comes *before* the
//! mail, so the job is at-most-once: a crash (or an SES failure) between claim and mail
//! loses that one reminder, logged at error level, rather than ever sending one twice.
//! That is the rule ("no reminder is sent twice for the same date"), and a lost reminder
//! is followed by the next within a week, the expiry-day and expired notices by each
//! other.
//!
//! **Resumable.** The licenses are read from the list ordered by expiry, only those that
//! can have a reminder today ([`license_expiries_reminded_on`]), a page at a time; after
//! each page the day's progress is saved (the last license handled), so an invocation
//! stopped for time is continued by the next one of the same day where it left off, and
//! once the day is done later invocations read one item and stop.
//!
//! **No inbox notice.** Inboxes belong to measurement groups and their viewers; a
//! license is the account's, and only its contract e-mail (and its admins, through the
//! plan page) act on it.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::ids::AccountId;
use crate::domain::notify::license_reminder_message;
use crate::domain::record::Millis;
use crate::domain::schedule::{
    china_day, license_expiries_reminded_on, reminder_due_for_license, ReminderKind,
};
use crate::ports::{Accounts, License, LicenseReminders, Mail, Mailer, RunProgress, StoreError};

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderReport {
    /// The China Standard Time day the reminders are of.
    #[serde(serialize_with = "as_text")]
    pub day: NaiveDate,
    pub sent: Vec<SentReminder>,
    /// Licenses read from the list this invocation (due or not).
    pub licenses_read: usize,
    /// Reminders found claimed already (sent by an earlier run of the day).
    pub already_sent: usize,
    /// Accounts with a reminder due but no contract e-mail: nothing sent, nothing
    /// claimed, so a run of the same day after one is set sends it.
    pub without_contract_email: Vec<AccountId>,
    /// Reminders claimed whose mail failed: not sent again (see the module's comment).
    pub failed: Vec<SentReminder>,
    /// Whether the day's run is complete; if not, the next invocation continues it.
    pub finished: bool,
}

/// One reminder and where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReminder {
    pub account: AccountId,
    #[serde(serialize_with = "as_text")]
    pub kind: ReminderKind,
    pub to: String,
    /// The China Standard Time day the license expires.
    #[serde(serialize_with = "as_text")]
    pub expiry: NaiveDate,
}

/// Days and kinds as the logs and the key write them (`2027-02-01`, `seven-days`).
fn as_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Sends the reminders due at `now` (the schedule's instant), `page_size` licenses a
/// page, while `time_left()` says another page fits in the invocation.
pub async fn send_license_reminders(
    store: &(impl Accounts + LicenseReminders),
    mailer: &impl Mailer,
    now: Millis,
    page_size: usize,
    time_left: impl Fn() -> bool,
) -> Result<ReminderReport, StoreError> {
    let today = china_day(now);
    let mut report = ReminderReport {
        day: today,
        sent: Vec::new(),
        licenses_read: 0,
        already_sent: 0,
        without_contract_email: Vec::new(),
        failed: Vec::new(),
        finished: false,
    };
    let mut progress = store.reminder_run(today).await?;
    let expiring = license_expiries_reminded_on(today);
    while progress != RunProgress::Done {
        if !time_left() {
            return Ok(report);
        }
        let after = match &progress {
            RunProgress::After(license) => Some(license),
            RunProgress::NotStarted | RunProgress::Done => None,
        };
        let page = store.licenses(expiring.clone(), after, page_size).await?;
        report.licenses_read += page.licenses.len();
        for license in &page.licenses {
            remind(store, mailer, license, now, &mut report).await?;
        }
        progress = match page.licenses.last() {
            Some(last) if page.more => RunProgress::After(last.clone()),
            _ => RunProgress::Done,
        };
        store.save_reminder_run(today, &progress).await?;
    }
    report.finished = true;
    Ok(report)
}

/// Sends `license`'s reminder if one is due at `now` and not claimed yet.
async fn remind(
    store: &(impl Accounts + LicenseReminders),
    mailer: &impl Mailer,
    license: &License,
    now: Millis,
    report: &mut ReminderReport,
) -> Result<(), StoreError> {
    let Some(reminder) = reminder_due_for_license(license.expires, now) else {
        return Ok(());
    };
    // The account decides: its language and address now, and its license (the list
    // follows the account's `licenseExpires` in one transaction; an entry that did not
    // would be ignored here, not acted on).
    let account = match store.account(&license.account).await {
        Ok(Some(account)) => account,
        Ok(None) => return Ok(()),
        // One account's item unreadable must not stop every other account's reminder.
        Err(StoreError::Corrupt(error)) => {
            tracing::error!(account = %license.account, %error, "account unreadable; no license reminder");
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    if account.license_expires != Some(license.expires) {
        tracing::warn!(account = %account.id, "the list of licenses disagrees with the account");
        return Ok(());
    }
    let Some(to) = account.contract_email.clone() else {
        tracing::warn!(account = %account.id, kind = %reminder.kind, "license reminder due but no contract e-mail");
        report.without_contract_email.push(account.id);
        return Ok(());
    };
    if !store.claim_reminder(&account.id, &reminder).await? {
        report.already_sent += 1;
        return Ok(());
    }
    let expiry = china_day(license.expires);
    let message = license_reminder_message(&account, &reminder, expiry);
    let sent = SentReminder {
        account: account.id.clone(),
        kind: reminder.kind,
        to: to.clone(),
        expiry,
    };
    let mail = Mail {
        to,
        subject: message.subject,
        text: message.text,
    };
    match mailer.send(&mail).await {
        Ok(()) => {
            tracing::info!(account = %sent.account, kind = %sent.kind, "license reminder sent");
            report.sent.push(sent);
        }
        Err(error) => {
            tracing::error!(account = %sent.account, kind = %sent.kind, day = %reminder.day, %error, "license reminder claimed but not sent; it will not be retried");
            report.failed.push(sent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
