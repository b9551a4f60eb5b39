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
    let report = sweep_quotas(&store, &mailer, run_at(), 100, always)
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
    let tomorrow = sweep_quotas(&store, &mailer, run_at().plus(Millis::DAY), 100, always)
        .await
        .unwrap();
    assert!(
        tomorrow.sent.is_empty() && tomorrow.lapsed.is_empty(),
        "{tomorrow:#?}"
    );
    assert_eq!(mailer.sent().len(), 3);
}

#[tokio::test]
async fn a_rerun_of_the_day_sends_nothing_even_when_its_progress_is_lost() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let first = sweep_quotas(&store, &mailer, run_at(), 100, always)
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
    let again = sweep_quotas(&store, &mailer, run_at(), 100, always)
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
        let report = sweep_quotas(&store, &mailer, run_at(), 1, one_page)
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
    sweep_quotas(&store, &mailer, run_at(), 100, always)
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
    let report = sweep_quotas(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert_eq!(report.without_contract_email, [quiet.id.clone()]);
    let (_, standing) = store.swept_account(&quiet.id).await.unwrap().unwrap();
    assert_eq!(standing, StorageStanding::Roomy, "no notice, no deadline");
    quiet.contract_email = Some("it@quiet.example".into());
    assert!(store.update_settings(&quiet).await.unwrap());
    let next = sweep_quotas(&store, &mailer, run_at().plus(Millis::DAY), 100, always)
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
    let report = sweep_quotas(&store, &RefusingMailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(report.finished);
    assert_eq!((report.sent.len(), report.failed.len()), (0, 3));
    store
        .save_sweep_run(report.day, &SweepProgress::NotStarted)
        .await
        .unwrap();
    let mailer = MemoryMailer::default();
    sweep_quotas(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(mailer.sent().is_empty());
}

#[tokio::test]
async fn an_invocation_without_time_does_nothing_and_the_next_does_it_all() {
    let (store, mailer) = (store().await, MemoryMailer::default());
    let none = sweep_quotas(&store, &mailer, run_at(), 100, || false)
        .await
        .unwrap();
    assert!(!none.finished && none.accounts_read == 0);
    let all = sweep_quotas(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(all.finished && all.accounts_read == 4);
    let done = sweep_quotas(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(done.finished && done.accounts_read == 0, "the day is done");
}
