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
//! **Deletions** ([`deletion`]): a Trial past its end loses all its data and files (and
//! is swept no further); a Free account (by the plan in force) what is older than a
//! year; an account still over capacity after its deadline everything, then one
//! notice of it, dated by the deadline. A deletion cut short by the invocation's time
//! leaves the day's progress just before the account, so the next invocation sweeps it
//! again and goes on.
//!
//! **Compaction** ([`compaction`]): once an account is swept, its hours of records still
//! marked for compaction and closed are compacted, so an instrument that went quiet has
//! its last hour compacted within a day; a failure there is logged and stops nothing.
//!
//! **No inbox notice.** Inboxes belong to measurement groups and their viewers; the
//! storage, its plan and the decision to delete are the account's, which its contract
//! e-mail (and its admins, through the plan page) act on.

use chrono::NaiveDate;
use serde::Serialize;

use super::audit::audit;
use super::compact_pending::PendingReport;
use super::usage::storage_used;
use crate::domain::ids::AccountId;
use crate::domain::notify::{storage_notice_message, StorageNotice, StorageNoticeKind};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::schedule::{
    china_day, lapse, sweep_storage, trial_standing, Lapse, Retention, StorageAction,
    StorageStanding, TrialStanding,
};
use crate::ports::{
    AuditLog, DataUsage, Files, Mail, Mailer, QuotaSweep, StoreError, SweepProgress,
};

mod compaction;
mod deletion;

pub use compaction::CompactMarked;
pub use deletion::{DeleteStored, Deletion, Doomed, StoredData};

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// The China Standard Time day swept.
    #[serde(serialize_with = "as_text")]
    pub day: NaiveDate,
    /// Accounts read from the list this invocation.
    pub accounts_read: usize,
    /// Hours of records compacted (or left marked) for instruments that went quiet.
    pub hours: PendingReport,
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
    /// Trials past their end whose data and files were all deleted.
    pub trials_deleted: Vec<AccountId>,
    /// Accounts over capacity past their deadline whose data and files were all deleted.
    pub over_capacity_deleted: Vec<AccountId>,
    /// Free accounts that had what was older than a year deleted (or nothing to).
    pub retention_swept: Vec<AccountId>,
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
/// while `time_left()` says another page (or another step of a deletion) fits in the
/// invocation.
pub async fn sweep_quotas(
    store: &(impl QuotaSweep + Files + DataUsage + AuditLog),
    data: &(impl DeleteStored + CompactMarked),
    mailer: &impl Mailer,
    now: Millis,
    page_size: usize,
    time_left: impl Fn() -> bool + Sync,
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
        trials_deleted: Vec::new(),
        over_capacity_deleted: Vec::new(),
        retention_swept: Vec::new(),
        hours: PendingReport::default(),
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
        let mut swept: Option<&AccountId> = None;
        for id in &page.accounts {
            let sweep = Sweep {
                store,
                data,
                mailer,
                now,
                time_left: &time_left,
            };
            match sweep.account(id, &mut report).await {
                Ok(Deletion::Done) => sweep.compact(id, &mut report).await,
                // The progress moves to the last account swept whole, and the next
                // invocation sweeps this one again (each step of a sweep is idempotent)
                // and goes on with its deletion: every invocation gets further.
                Ok(Deletion::Unfinished) => {
                    if let Some(last) = swept {
                        let progress = SweepProgress::After(last.clone());
                        store.save_sweep_run(today, &progress).await?;
                    }
                    return Ok(report);
                }
                Err(StoreError::Corrupt(reason)) => {
                    tracing::error!(account = %id, %reason, "account not swept: an item of it does not decode");
                    report.unreadable.push(id.clone());
                }
                Err(error) => return Err(error),
            }
            swept = Some(id);
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

/// One invocation's means of sweeping an account.
struct Sweep<'a, S, D, M, T> {
    store: &'a S,
    data: &'a D,
    mailer: &'a M,
    now: Millis,
    time_left: &'a T,
}

impl<S, D, M, T> Sweep<'_, S, D, M, T>
where
    S: QuotaSweep + Files + DataUsage + AuditLog,
    D: DeleteStored + CompactMarked,
    M: Mailer,
    T: Fn() -> bool + Sync,
{
    /// Sweeps one account: a Trial's end, its lapse, its retention, then its storage.
    /// `Unfinished` when a deletion ran out of time.
    async fn account(
        &self,
        id: &AccountId,
        report: &mut SweepReport,
    ) -> Result<Deletion, StoreError> {
        let (store, now) = (self.store, self.now);
        let Some((mut account, previous)) = store.swept_account(id).await? else {
            tracing::warn!(account = %id, "listed but no such account");
            return Ok(Deletion::Done);
        };
        if account.plan == Plan::Trial {
            if let TrialStanding::Ended { ended } = trial_standing(account.created, now) {
                let deleted = self.delete(&account.id, Doomed::All).await?;
                if deleted == Deletion::Done {
                    tracing::info!(account = %account.id, ended = ended.0, "ended Trial's data and files deleted");
                    report.trials_deleted.push(account.id.clone());
                }
                return Ok(deleted);
            }
        }
        if let Some(lapse) = lapse(&account, now) {
            if !lapse_license(store, &account, lapse, now).await? {
                return Ok(Deletion::Done);
            }
            account.plan = Lapse::TO;
            report.lapsed.push(account.id.clone());
        }
        if let Some(retention) = Retention::of(account.plan_at(now), now) {
            if self
                .delete(&account.id, Doomed::Before(retention.cutoff))
                .await?
                == Deletion::Unfinished
            {
                return Ok(Deletion::Unfinished);
            }
            report.retention_swept.push(account.id.clone());
        }
        let today = china_day(now);
        let capacity = account.plan_at(now).limits().storage_bytes;
        let used = storage_used(store, &account.id).await?.total();
        let sweep = sweep_storage(previous, used, capacity, today);
        // Over at its deadline means deleted, whatever the count says now: a deletion
        // that took more than one invocation lowers the count as it goes (the usage
        // function counts what it deleted), and must not stop half-way, untold.
        let action = match previous {
            StorageStanding::OverCapacity { deadline } if today > deadline => {
                Some(StorageAction::DeleteAll { deadline })
            }
            _ => sweep.action,
        };
        let notice = match action {
            Some(StorageAction::DeleteAll { deadline }) => {
                if self.delete(&account.id, Doomed::All).await? == Deletion::Unfinished {
                    return Ok(Deletion::Unfinished);
                }
                report.over_capacity_deleted.push(account.id.clone());
                Some(StorageNotice {
                    kind: StorageNoticeKind::Deleted,
                    date: deadline,
                })
            }
            Some(action) => StorageNotice::of(action, today),
            None => None,
        };
        if let Some(notice) = notice {
            let Some(to) = account.contract_email.clone() else {
                tracing::warn!(account = %account.id, kind = %notice.kind, "storage notice due but no contract e-mail");
                report.without_contract_email.push(account.id.clone());
                return Ok(Deletion::Done);
            };
            let told = notify(
                store,
                self.mailer,
                &account,
                &notice,
                to,
                (used, capacity),
                report,
            )
            .await?;
            // A notice that did not go out starts nothing: the standing stays, so no
            // deadline runs on a notice never received, and the next day's sweep
            // tells anew (under the next day's date).
            if !told {
                return Ok(Deletion::Done);
            }
        }
        if sweep.standing != previous
            && !store
                .set_storage_standing(&account.id, previous, sweep.standing)
                .await?
        {
            tracing::warn!(account = %account.id, "storage standing changed meanwhile; the next sweep decides anew");
        }
        Ok(Deletion::Done)
    }

    /// Compacts the account's marked hours once its sweep is done, so it never holds up
    /// a lapse, a notice or a deletion; a failure is logged and left for the next day.
    async fn compact(&self, id: &AccountId, report: &mut SweepReport) {
        match self.data.compact_marked(id, self.now, self.time_left).await {
            Ok(compacted) => report.hours.add(compacted),
            Err(error) => {
                tracing::error!(account = %id, %error, "marked hours not compacted");
            }
        }
    }

    async fn delete(&self, account: &AccountId, doomed: Doomed) -> Result<Deletion, StoreError> {
        self.data
            .delete_stored(account, doomed, self.time_left)
            .await
    }
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

/// Claims `notice` and, if this call claimed it, mails it to `to`: whether it is told
/// (now or by an earlier run), `false` when its mail failed.
async fn notify(
    store: &impl QuotaSweep,
    mailer: &impl Mailer,
    account: &Account,
    notice: &StorageNotice,
    to: String,
    (used, capacity): (u64, u64),
    report: &mut SweepReport,
) -> Result<bool, StoreError> {
    if !store.claim_notice(&account.id, notice).await? {
        report.already_sent += 1;
        return Ok(true);
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
            Ok(true)
        }
        Err(error) => {
            tracing::error!(account = %sent.account, kind = %sent.kind, date = %sent.date, %error, "storage notice claimed but not sent; it will not be retried");
            report.failed.push(sent);
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests;
