//! The sweep over the in-memory store: lapses, notices once per crossing, and how a
//! cut-off run resumes.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::domain::auth::AuditQuery;
use crate::domain::plan::Plan;
use crate::domain::registry::InstrumentKey;
use crate::domain::schedule::{china_midnight, StorageStanding};
use crate::domain::settings::Language;
use crate::domain::usage::{StreamPosition, Tally};
use crate::memory::{MemoryMailer, MemoryStore};
use crate::ports::Accounts;

const GB: u64 = 1_000_000_000;

fn instant(text: &str) -> Millis {
    Millis(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis(),
    )
}

/// 2027-02-01 as the schedule fires: 08:00 China Standard Time.
fn run_at() -> Millis {
    instant("2027-02-01T00:00:00Z")
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn always() -> bool {
    true
}

fn account(id: &str, plan: Plan, email: Option<&str>) -> Account {
    let mut account = Account::new(
        AccountId::parse(id).unwrap(),
        format!("{id} Ltd"),
        plan,
        instant("2026-12-01T00:00:00Z"),
    );
    account.contract_email = email.map(str::to_owned);
    account
}

/// Gives `account` `bytes` of measurement data (as the usage function counts it).
async fn store_data(store: &MemoryStore, account: &str, bytes: u64) {
    let tally = Tally {
        bytes: i64::try_from(bytes).unwrap(),
        first: StreamPosition::parse("100").unwrap(),
        last: StreamPosition::parse("100").unwrap(),
        stored_hours: Default::default(),
    };
    store
        .count_data(
            &AccountId::parse(account).unwrap(),
            &InstrumentKey::from_stored(format!("{account}/app.1/sn/1")),
            &tally,
        )
        .await
        .unwrap();
}

/// Free (5 GB): `nearly` at 4.6 GB, `over` at 6 GB, `roomy` at 1 GB; and `lapsing`, a
/// Standard license that ended on 2027-01-31 holding 6 GB, over Free's capacity.
async fn store() -> MemoryStore {
    let store = MemoryStore::new();
    for (id, plan, bytes) in [
        ("nearly", Plan::Free, 4_600_000_000),
        ("over", Plan::Free, 6 * GB),
        ("roomy", Plan::Free, GB),
        ("lapsing", Plan::Standard, 6 * GB),
    ] {
        let mut account = account(id, plan, Some(&format!("it@{id}.example")));
        if plan == Plan::Standard {
            account.license_expires = Some(china_midnight(day("2027-01-31")));
        }
        store.create_account(&account);
        store_data(&store, id, bytes).await;
    }
    store
}

fn sent_to(mailer: &MemoryMailer) -> Vec<String> {
    let mut to: Vec<String> = mailer.sent().into_iter().map(|m| m.to).collect();
    to.sort();
    to
}

#[tokio::test]
async fn each_crossing_gets_one_notice_and_a_lapsed_license_turns_free() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let report = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(report.finished);
    assert_eq!(report.accounts_read, 4);
    assert_eq!(
        sent_to(&mailer),
        ["it@lapsing.example", "it@nearly.example", "it@over.example"]
    );
    let deadline = day("2027-03-04");
    let kinds: Vec<_> = report
        .sent
        .iter()
        .map(|s| (s.account.as_str(), s.kind, s.date))
        .collect();
    assert!(
        kinds.contains(&("over", StorageNoticeKind::OverCapacity, deadline)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("nearly", StorageNoticeKind::NearlyFull, day("2027-02-01"))));
    // Lapsed: Free in the store, its expiry kept, audited; and held to Free's 5 GB.
    assert_eq!(report.lapsed, [AccountId::parse("lapsing").unwrap()]);
    let lapsed = store.account(&report.lapsed[0]).await.unwrap().unwrap();
    assert_eq!(lapsed.plan, Plan::Free);
    assert_eq!(
        lapsed.license_expires,
        Some(china_midnight(day("2027-01-31")))
    );
    let log = store
        .audit_log(
            &lapsed.id,
            &AuditQuery {
                limit: 10,
                cursor: None,
                kind: None,
                user: None,
                from: None,
                to: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(log.events[0].action, "plan_lapsed");
    assert!(
        log.events[0].detail.contains("standard to free"),
        "{}",
        log.events[0].detail
    );
    assert!(kinds.contains(&("lapsing", StorageNoticeKind::OverCapacity, deadline)));
    // The standings are kept: the deadline does not move on later days.
    let (_, standing) = store
        .swept_account(&AccountId::parse("over").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(standing, StorageStanding::OverCapacity { deadline });
    let tomorrow = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at().plus(Millis::DAY),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(
        tomorrow.sent.is_empty() && tomorrow.lapsed.is_empty(),
        "{tomorrow:#?}"
    );
    assert_eq!(mailer.sent().len(), 3);
}

#[tokio::test]
async fn every_account_swept_has_its_marked_hours_compacted() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let deletions = Deletions::default();
    let report = sweep_quotas(&store, &deletions, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    let compacted = deletions.compacted.lock().unwrap().clone();
    let mut listed: Vec<String> = store
        .account_ids(None, 100)
        .await
        .unwrap()
        .accounts
        .iter()
        .map(ToString::to_string)
        .collect();
    listed.sort();
    assert_eq!(compacted.len(), report.accounts_read);
    assert_eq!(compacted, listed, "each once, in the list's order");
}

#[tokio::test]
async fn a_rerun_of_the_day_sends_nothing_even_when_its_progress_is_lost() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let first = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    // Progress lost and standings not yet saved (a crash between claim and save).
    store
        .save_sweep_run(first.day, &SweepProgress::NotStarted)
        .await
        .unwrap();
    for id in ["nearly", "over"] {
        let id = AccountId::parse(id).unwrap();
        let (_, standing) = store.swept_account(&id).await.unwrap().unwrap();
        assert!(store
            .set_storage_standing(&id, standing, StorageStanding::Roomy)
            .await
            .unwrap());
    }
    let again = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(again.sent.is_empty(), "{again:#?}");
    assert_eq!(again.already_sent, 2);
    assert_eq!(mailer.sent().len(), 3);
}

#[tokio::test]
async fn a_run_cut_off_after_each_page_is_finished_by_the_next_without_repeating() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let mut invocations = 0;
    let mut read = 0;
    loop {
        invocations += 1;
        let pages = AtomicUsize::new(0);
        let one_page = || pages.fetch_add(1, Ordering::Relaxed) == 0;
        let report = sweep_quotas(
            &store,
            &Deletions::default(),
            &mailer,
            run_at(),
            1,
            one_page,
        )
        .await
        .unwrap();
        assert!(report.accounts_read <= 1);
        assert_eq!(report.already_sent, 0);
        read += report.accounts_read;
        if report.finished {
            break;
        }
    }
    assert!(invocations >= 4);
    assert_eq!(read, 4, "each account read once");
    assert_eq!(mailer.sent().len(), 3);
}

#[tokio::test]
async fn the_notice_speaks_the_accounts_language() {
    let store = MemoryStore::new();
    let mut paris = account("paris", Plan::Free, Some("it@paris.example"));
    paris.language = Language::French;
    store.create_account(&paris);
    store_data(&store, "paris", 6 * GB).await;
    let mailer = MemoryMailer::default();
    sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    let mail = mailer.sent().pop().expect("one mail");
    assert_eq!(
        mail.subject,
        "[fieldcloud] Votre stockage dépasse sa capacité"
    );
    assert!(mail.text.contains("le 2027-03-04"), "{}", mail.text);
}

#[tokio::test]
async fn without_a_contract_email_no_deadline_starts_until_one_is_set() {
    let store = MemoryStore::new();
    let mut quiet = account("quiet", Plan::Free, None);
    store.create_account(&quiet);
    store_data(&store, "quiet", 6 * GB).await;
    let mailer = MemoryMailer::default();
    let report = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert_eq!(report.without_contract_email, [quiet.id.clone()]);
    let (_, standing) = store.swept_account(&quiet.id).await.unwrap().unwrap();
    assert_eq!(standing, StorageStanding::Roomy, "no notice, no deadline");
    quiet.contract_email = Some("it@quiet.example".into());
    assert!(store.update_settings(&quiet).await.unwrap());
    let next = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at().plus(Millis::DAY),
        100,
        always,
    )
    .await
    .unwrap();
    assert_eq!(
        next.sent[0].date,
        day("2027-03-05"),
        "31 days from the notice"
    );
}

/// Refuses every mail, as SES does when it throttles.
struct RefusingMailer;

#[async_trait]
impl Mailer for RefusingMailer {
    async fn send(&self, _: &Mail) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("throttled".into()))
    }
}

#[tokio::test]
async fn a_notice_that_fails_after_its_claim_is_reported_and_never_sent_twice() {
    let store = store().await;
    let report = sweep_quotas(
        &store,
        &Deletions::default(),
        &RefusingMailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(report.finished);
    assert_eq!((report.sent.len(), report.failed.len()), (0, 3));
    store
        .save_sweep_run(report.day, &SweepProgress::NotStarted)
        .await
        .unwrap();
    let mailer = MemoryMailer::default();
    sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(mailer.sent().is_empty());
}

#[tokio::test]
async fn an_invocation_without_time_does_nothing_and_the_next_does_it_all() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let none = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        || false,
    )
    .await
    .unwrap();
    assert!(!none.finished && none.accounts_read == 0);
    let all = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(all.finished && all.accounts_read == 4);
    let done = sweep_quotas(
        &store,
        &Deletions::default(),
        &mailer,
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    assert!(done.finished && done.accounts_read == 0, "the day is done");
}

/// Records the deletions the sweep asks for; `unfinished` of them end for time.
#[derive(Default)]
struct Deletions {
    asked: std::sync::Mutex<Vec<(String, Doomed)>>,
    unfinished: AtomicUsize,
    /// The accounts whose marked hours were asked to be compacted, in order.
    compacted: std::sync::Mutex<Vec<String>>,
}

impl Deletions {
    fn asked(&self) -> Vec<(String, Doomed)> {
        self.asked.lock().unwrap().clone()
    }

    /// The accounts asked to delete everything.
    fn all_of(&self) -> Vec<String> {
        self.asked()
            .into_iter()
            .filter(|(_, doomed)| *doomed == Doomed::All)
            .map(|(account, _)| account)
            .collect()
    }
}

#[async_trait]
impl CompactMarked for Deletions {
    async fn compact_marked(
        &self,
        account: &AccountId,
        _: Millis,
        _: &(dyn Fn() -> bool + Sync),
    ) -> Result<PendingReport, StoreError> {
        self.compacted.lock().unwrap().push(account.to_string());
        Ok(PendingReport::default())
    }
}

#[async_trait]
impl DeleteStored for Deletions {
    async fn delete_stored(
        &self,
        account: &AccountId,
        doomed: Doomed,
        _: &(dyn Fn() -> bool + Sync),
    ) -> Result<Deletion, StoreError> {
        self.asked
            .lock()
            .unwrap()
            .push((account.to_string(), doomed));
        let cut_short = self
            .unfinished
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        Ok(if cut_short {
            Deletion::Unfinished
        } else {
            Deletion::Done
        })
    }
}

#[tokio::test]
async fn over_capacity_is_deleted_the_day_after_its_deadline_and_told_once() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let deletions = Deletions::default();
    sweep_quotas(&store, &deletions, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    // The deadline is 2027-03-04: on it (the 31st day) nothing goes.
    let on_deadline = instant("2027-03-04T00:00:00Z");
    sweep_quotas(&store, &deletions, &mailer, on_deadline, 100, always)
        .await
        .unwrap();
    assert!(deletions.all_of().is_empty(), "{:?}", deletions.asked());
    // The day after (the 32nd), both accounts still over go, and only they.
    let after = on_deadline.plus(Millis::DAY);
    let report = sweep_quotas(&store, &deletions, &mailer, after, 100, always)
        .await
        .unwrap();
    let mut deleted = deletions.all_of();
    deleted.sort();
    assert_eq!(deleted, ["lapsing", "over"]);
    let told: Vec<_> = report
        .sent
        .iter()
        .map(|s| (s.account.as_str(), s.kind, s.date))
        .collect();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told.contains(&("over", StorageNoticeKind::Deleted, day("2027-03-04"))));
    // Still over the next day (the usage function has not counted the deletions yet):
    // deleted again, which finds nothing, and not told again.
    let mails = mailer.sent().len();
    let next = sweep_quotas(
        &store,
        &deletions,
        &mailer,
        after.plus(Millis::DAY),
        100,
        always,
    )
    .await
    .unwrap();
    assert_eq!(next.over_capacity_deleted.len(), 2);
    assert!(next.sent.is_empty());
    assert_eq!(mailer.sent().len(), mails);
}

#[tokio::test]
async fn free_accounts_lose_what_is_older_than_a_year_and_paid_ones_nothing() {
    let store = store().await;
    let mut paid = account("paid", Plan::Pro, None);
    paid.license_expires = Some(instant("2028-01-01T00:00:00Z"));
    store.create_account(&paid);
    let deletions = Deletions::default();
    sweep_quotas(
        &store,
        &deletions,
        &MemoryMailer::default(),
        run_at(),
        100,
        always,
    )
    .await
    .unwrap();
    let cutoff = Doomed::Before(instant("2026-02-01T00:00:00Z"));
    let mut asked = deletions.asked();
    asked.sort_by(|a, b| a.0.cmp(&b.0));
    // The lapsed license is Free from its lapse on, so its retention applies too.
    let expected: Vec<(String, Doomed)> = ["lapsing", "nearly", "over", "roomy"]
        .into_iter()
        .map(|id| (id.to_owned(), cutoff))
        .collect();
    assert_eq!(asked, expected);
}

#[tokio::test]
async fn a_trial_is_deleted_from_its_end_on_and_swept_no_further() {
    let (store, mailer) = (MemoryStore::new(), MemoryMailer::default());
    // Created 2026-12-01T00:00Z: it ends 93 days later, 2027-03-04T00:00Z.
    store.create_account(&account("trial", Plan::Trial, Some("it@trial.example")));
    store_data(&store, "trial", 6 * GB).await;
    let deletions = Deletions::default();
    for (at, deleted) in [
        ("2027-03-03T00:00:00Z", false), // day 92
        ("2027-03-04T00:00:00Z", true),  // day 93: ended
        ("2027-03-05T00:00:00Z", true),  // day 94: still ended, deleted again
    ] {
        let report = sweep_quotas(&store, &deletions, &mailer, instant(at), 100, always)
            .await
            .unwrap();
        assert_eq!(!report.trials_deleted.is_empty(), deleted, "{at}");
    }
    assert_eq!(deletions.all_of(), ["trial", "trial"]);
    // Never told it is over capacity (a Trial at its end loses everything anyway), and
    // before its end its 6 GB over Trial's capacity is noticed as any account's.
    let kinds: Vec<_> = mailer.sent().into_iter().map(|m| m.subject).collect();
    assert_eq!(kinds.len(), 1, "{kinds:?}");
}

#[tokio::test]
async fn a_deletion_cut_short_is_taken_up_by_the_next_invocation() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let deletions = Deletions {
        unfinished: AtomicUsize::new(1),
        ..Deletions::default()
    };
    let first = sweep_quotas(&store, &deletions, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(!first.finished);
    let cut = deletions.asked()[0].0.clone();
    let second = sweep_quotas(&store, &deletions, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(second.finished);
    let asked: Vec<String> = deletions.asked().into_iter().map(|(a, _)| a).collect();
    assert_eq!(asked.iter().filter(|a| **a == cut).count(), 2, "{asked:?}");
    // Each notice went once over the two invocations.
    assert_eq!(mailer.sent().len(), 3);
}

#[tokio::test]
async fn a_deletion_due_is_finished_and_told_though_the_count_fell_meanwhile() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let deletions = Deletions::default();
    sweep_quotas(&store, &deletions, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    // Part of over's data deleted by a first invocation, counted by the usage function:
    // 1 GB left, under its 5.
    let deleted = Tally {
        bytes: -5 * i64::try_from(GB).unwrap(),
        first: StreamPosition::parse("200").unwrap(),
        last: StreamPosition::parse("200").unwrap(),
        stored_hours: Default::default(),
    };
    let over = AccountId::parse("over").unwrap();
    let key = InstrumentKey::from_stored("over/app.1/sn/1".into());
    store.count_data(&over, &key, &deleted).await.unwrap();
    let after_deadline = instant("2027-03-05T00:00:00Z");
    let report = sweep_quotas(&store, &deletions, &mailer, after_deadline, 100, always)
        .await
        .unwrap();
    assert!(report.over_capacity_deleted.contains(&over), "{report:#?}");
    assert!(deletions.all_of().contains(&"over".to_owned()));
    let told: Vec<_> = report
        .sent
        .iter()
        .map(|s| (s.account.as_str(), s.kind))
        .collect();
    assert!(
        told.contains(&("over", StorageNoticeKind::Deleted)),
        "{told:?}"
    );
    // Done and under: the standing is what the count says, and nothing more is due.
    let (_, standing) = store.swept_account(&over).await.unwrap().unwrap();
    assert_eq!(standing, StorageStanding::Roomy);
}
