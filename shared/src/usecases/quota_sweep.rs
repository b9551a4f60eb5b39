//! The daily quota sweep (SPEC.md 8): every account, once a day, has its lapsed license
//! turned Free and its storage held to its plan's capacity — a notice when it becomes
//! nearly full, and one when it goes over capacity, with the deadline after which all
//! its data is deleted (see [`crate::domain::schedule::sweep_storage`]).
//!
//! **Once per account, kind and date.** Before a notice goes out, it is claimed with a
//! conditional put keyed by account, kind and date (the day, or an over-capacity
//! crossing's deadline); a claim refused means it went out (or was going out) already.
//! The claim comes before the mail and the standing is saved after it, so a run cut
//! off between them computes the same notice again, finds it claimed and only saves the
//! standing: at most once, as the license reminders.
//!
//! **Resumable.** Accounts are read from the list of every account a page at a time;
//! after each page the day's progress (the last account swept) is saved, so an
//! invocation stopped for time is continued by the next of the same day where it left
//! off, and once the day is done later invocations read one item and stop.
//!
//! **Bad items.** An account whose items do not decode is logged and skipped (and
//! reported), so one corrupt account never stops the sweep of the others; storage
//! unavailable stops the invocation, which Lambda retries.
//!
//! **No inbox notice.** Inboxes belong to measurement groups and their viewers; the
//! storage, its plan and the decision to delete are the account's, which its contract
//! e-mail (and its admins, through the plan page) act on.

use chrono::NaiveDate;
use serde::Serialize;

use super::audit::audit;
use super::usage::storage_used;
use crate::domain::ids::AccountId;
use crate::domain::notify::{storage_notice_message, StorageNotice, StorageNoticeKind};
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::schedule::{china_day, lapse, sweep_storage, Lapse};
use crate::ports::{
    AuditLog, DataUsage, Files, Mail, Mailer, QuotaSweep, StoreError, SweepProgress,
};

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// The China Standard Time day swept.
    #[serde(serialize_with = "as_text")]
    pub day: NaiveDate,
    /// Accounts read from the list this invocation.
    pub accounts_read: usize,
    /// Accounts whose paid license lapsed and that are now on Free.
    pub lapsed: Vec<AccountId>,
    pub sent: Vec<SentNotice>,
    /// Notices found claimed already (sent by an earlier run).
    pub already_sent: usize,
    /// Accounts with a notice due but no contract e-mail: nothing sent, and the standing
    /// kept, so the notice (and an over-capacity deadline) starts once one is set.
    pub without_contract_email: Vec<AccountId>,
    /// Notices claimed whose mail failed: not sent again (see the module's comment).
    pub failed: Vec<SentNotice>,
    /// Accounts left unswept today because an item of theirs does not decode.
    pub unreadable: Vec<AccountId>,
    /// Whether the day's sweep is complete; if not, the next invocation continues it.
    pub finished: bool,
}

/// One notice and where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentNotice {
    pub account: AccountId,
    #[serde(serialize_with = "as_text")]
    pub kind: StorageNoticeKind,
    pub to: String,
    #[serde(serialize_with = "as_text")]
    pub date: NaiveDate,
}

fn as_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Sweeps every account at `now` (the schedule's instant), `page_size` accounts a page,
/// while `time_left()` says another page fits in the invocation.
pub async fn sweep_quotas(
    store: &(impl QuotaSweep + Files + DataUsage + AuditLog),
    mailer: &impl Mailer,
    now: Millis,
    page_size: usize,
    time_left: impl Fn() -> bool,
) -> Result<SweepReport, StoreError> {
    let today = china_day(now);
    let mut report = SweepReport {
        day: today,
        accounts_read: 0,
        lapsed: Vec::new(),
        sent: Vec::new(),
        already_sent: 0,
        without_contract_email: Vec::new(),
        failed: Vec::new(),
        unreadable: Vec::new(),
        finished: false,
    };
    let mut progress = store.sweep_run(today).await?;
    while progress != SweepProgress::Done {
        if !time_left() {
            return Ok(report);
        }
        let after = match &progress {
            SweepProgress::After(account) => Some(account),
            SweepProgress::NotStarted | SweepProgress::Done => None,
        };
        let page = store.account_ids(after, page_size).await?;
        report.accounts_read += page.accounts.len();
        for id in &page.accounts {
            match sweep_account(store, mailer, id, now, &mut report).await {
                Err(StoreError::Corrupt(reason)) => {
                    tracing::error!(account = %id, %reason, "account not swept: an item of it does not decode");
                    report.unreadable.push(id.clone());
                }
                other => other?,
            }
        }
        progress = match page.accounts.last() {
            Some(last) if page.more => SweepProgress::After(last.clone()),
            _ => SweepProgress::Done,
        };
        store.save_sweep_run(today, &progress).await?;
    }
    report.finished = true;
    Ok(report)
}

/// Sweeps one account: its lapse, then its storage.
async fn sweep_account(
    store: &(impl QuotaSweep + Files + DataUsage + AuditLog),
    mailer: &impl Mailer,
    id: &AccountId,
    now: Millis,
    report: &mut SweepReport,
) -> Result<(), StoreError> {
    let Some((mut account, previous)) = store.swept_account(id).await? else {
        tracing::warn!(account = %id, "listed but no such account");
        return Ok(());
    };
    if let Some(lapse) = lapse(&account, now) {
        if !lapse_license(store, &account, lapse, now).await? {
            return Ok(());
        }
        account.plan = Lapse::TO;
        report.lapsed.push(account.id.clone());
    }
    let today = china_day(now);
    let capacity = account.plan_at(now).limits().storage_bytes;
    let used = storage_used(store, &account.id).await?.total();
    let sweep = sweep_storage(previous, used, capacity, today);
    if let Some(notice) = sweep
        .action
        .and_then(|action| StorageNotice::of(action, today))
    {
        let Some(to) = account.contract_email.clone() else {
            tracing::warn!(account = %account.id, kind = %notice.kind, "storage notice due but no contract e-mail");
            report.without_contract_email.push(account.id.clone());
            return Ok(());
        };
        notify(
            store,
            mailer,
            &account,
            &notice,
            to,
            (used, capacity),
            report,
        )
        .await?;
    }
    if sweep.standing != previous
        && !store
            .set_storage_standing(&account.id, previous, sweep.standing)
            .await?
    {
        tracing::warn!(account = %account.id, "storage standing changed meanwhile; the next sweep decides anew");
    }
    Ok(())
}

/// Turns `account`'s lapsed license Free, audited: `false` if the account changed since
/// it was read (a renewal or plan change came first), and it is left to the next day.
async fn lapse_license(
    store: &(impl QuotaSweep + AuditLog),
    account: &Account,
    lapse: Lapse,
    now: Millis,
) -> Result<bool, StoreError> {
    if !store.lapse_plan(account, Lapse::TO).await? {
        tracing::warn!(account = %account.id, "account changed while its license lapsed; left to the next sweep");
        return Ok(false);
    }
    let detail = format!(
        "{} to {}: license ended {} (China Standard Time)",
        lapse.from,
        Lapse::TO,
        lapse.expired_on
    );
    // The plan stands once written; an audit entry that fails to be written is logged
    // with the same detail, as a plan change's is.
    if let Err(error) = audit(
        store,
        &account.id,
        None,
        None,
        "plan_lapsed",
        detail.clone(),
        now,
    )
    .await
    {
        tracing::error!(account = %account.id, ?error, %detail, "plan lapse not audited");
    }
    tracing::info!(account = %account.id, %detail, "plan lapsed");
    Ok(true)
}

/// Claims `notice` and, if this call claimed it, mails it to `to`.
async fn notify(
    store: &impl QuotaSweep,
    mailer: &impl Mailer,
    account: &Account,
    notice: &StorageNotice,
    to: String,
    (used, capacity): (u64, u64),
    report: &mut SweepReport,
) -> Result<(), StoreError> {
    if !store.claim_notice(&account.id, notice).await? {
        report.already_sent += 1;
        return Ok(());
    }
    let message = storage_notice_message(account, notice, used, capacity);
    let sent = SentNotice {
        account: account.id.clone(),
        kind: notice.kind,
        to: to.clone(),
        date: notice.date,
    };
    let mail = Mail {
        to,
        subject: message.subject,
        text: message.text,
    };
    match mailer.send(&mail).await {
        Ok(()) => {
            tracing::info!(account = %sent.account, kind = %sent.kind, date = %sent.date, "storage notice sent");
            report.sent.push(sent);
        }
        Err(error) => {
            tracing::error!(account = %sent.account, kind = %sent.kind, date = %sent.date, %error, "storage notice claimed but not sent; it will not be retried");
            report.failed.push(sent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
