//! The job over the in-memory store: what is sent, once, and how a cut-off run resumes.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::domain::plan::Plan;
use crate::domain::registry::Account;
use crate::domain::settings::Language;
use crate::memory::{MemoryMailer, MemoryStore};
use crate::ports::Accounts;

fn instant(text: &str) -> Millis {
    Millis(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis(),
    )
}

/// 2027-02-01, a Monday, as the schedule fires: 08:00 China Standard Time.
fn run_at() -> Millis {
    instant("2027-02-01T00:00:00Z")
}

/// An account whose license ends as `expiry` begins in China, mailing `email`.
fn licensed(id: &str, plan: Plan, expiry: &str, email: Option<&str>) -> Account {
    let mut account = Account::new(
        AccountId::parse(id).unwrap(),
        format!("{id} Ltd"),
        plan,
        instant("2026-01-01T00:00:00Z"),
    );
    account.license_expires = Some(instant(&format!("{expiry}T00:00:00+08:00")));
    account.contract_email = email.map(str::to_owned);
    account
}

/// Due on 2027-02-01: monthly (expires 2027-03-15), seven days (2027-02-08), the day
/// itself (2027-02-01) and expired (2027-01-31); nothing for 2027-02-05 (its seven-days
/// reminder was on 2027-01-29, and no Monday after that carries one).
fn store() -> MemoryStore {
    let store = MemoryStore::new();
    for account in [
        licensed(
            "monthly",
            Plan::Pro,
            "2027-03-15",
            Some("it@monthly.example"),
        ),
        licensed(
            "week",
            Plan::Standard,
            "2027-02-08",
            Some("it@week.example"),
        ),
        licensed(
            "today",
            Plan::Standard,
            "2027-02-01",
            Some("it@today.example"),
        ),
        licensed(
            "lapsed",
            Plan::Free,
            "2027-01-31",
            Some("it@lapsed.example"),
        ),
        licensed(
            "nothing-due",
            Plan::Pro,
            "2027-02-05",
            Some("it@nothing.example"),
        ),
        licensed("far", Plan::Pro, "2027-09-01", Some("it@far.example")),
        Account::new(
            AccountId::parse("free").unwrap(),
            "Free".into(),
            Plan::Free,
            Millis(0),
        ),
    ] {
        store.create_account(&account);
    }
    store
}

fn always() -> bool {
    true
}

fn sent_to(mailer: &MemoryMailer) -> Vec<String> {
    let mut to: Vec<String> = mailer.sent().into_iter().map(|m| m.to).collect();
    to.sort();
    to
}

#[tokio::test]
async fn each_license_with_a_reminder_due_gets_one_mail_of_its_kind() {
    let (store, mailer) = (store(), MemoryMailer::default());
    let report = send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(report.finished);
    assert_eq!(report.day, "2027-02-01".parse::<NaiveDate>().unwrap());
    let mut kinds: Vec<_> = report
        .sent
        .iter()
        .map(|s| (s.account.to_string(), s.kind))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("lapsed".into(), ReminderKind::Expired),
            ("monthly".into(), ReminderKind::Monthly),
            ("today".into(), ReminderKind::ExpiresToday),
            ("week".into(), ReminderKind::SevenDays),
        ]
    );
    assert_eq!(
        sent_to(&mailer),
        [
            "it@lapsed.example",
            "it@monthly.example",
            "it@today.example",
            "it@week.example"
        ]
    );
    // The far license is outside the day's window: not even read.
    assert_eq!(report.licenses_read, 5);
}

#[tokio::test]
async fn a_rerun_of_the_day_sends_nothing_even_when_its_progress_is_lost() {
    let (store, mailer) = (store(), MemoryMailer::default());
    send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    let again = send_license_reminders(&store, &mailer, run_at().plus(600_000), 100, always)
        .await
        .unwrap();
    assert!(again.finished);
    assert_eq!((again.licenses_read, again.sent.len()), (0, 0));
    // Without the day's progress, the claims still hold.
    store
        .save_reminder_run(again.day, &RunProgress::NotStarted)
        .await
        .unwrap();
    let again = send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert_eq!((again.sent.len(), again.already_sent), (0, 4));
    assert_eq!(mailer.sent().len(), 4);
}

#[tokio::test]
async fn a_run_cut_off_after_each_page_is_finished_by_the_next_without_repeating() {
    let (store, mailer) = (store(), MemoryMailer::default());
    let mut invocations = 0;
    let mut read = 0;
    loop {
        invocations += 1;
        let pages = AtomicUsize::new(0);
        let report = send_license_reminders(&store, &mailer, run_at(), 1, || {
            pages.fetch_add(1, Ordering::Relaxed) < 1
        })
        .await
        .unwrap();
        read += report.licenses_read;
        assert_eq!(report.already_sent, 0, "invocation {invocations} repeated");
        if report.finished {
            break;
        }
        assert!(invocations < 20, "the run never finishes");
    }
    // Each license is read once, one an invocation.
    assert_eq!(read, 5);
    assert!(invocations >= 5);
    assert_eq!(mailer.sent().len(), 4);
    let mut to = sent_to(&mailer);
    to.dedup();
    assert_eq!(to.len(), 4);
}

#[tokio::test]
async fn the_mail_speaks_the_accounts_language_and_names_the_expiry() {
    let store = MemoryStore::new();
    let mut account = licensed("tokyo", Plan::Pro, "2027-02-08", Some("it@tokyo.example"));
    account.language = Language::Japanese;
    store.create_account(&account);
    let mailer = MemoryMailer::default();
    send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    let mail = mailer.sent().pop().expect("one mail");
    assert_eq!(mail.to, "it@tokyo.example");
    assert_eq!(
        mail.subject,
        "[fieldcloud] ライセンスの有効期限は2027-02-08です"
    );
    assert!(mail.text.contains("残り7日"), "{}", mail.text);
}

#[tokio::test]
async fn without_a_contract_email_nothing_is_claimed_so_a_later_run_of_the_day_sends() {
    let store = MemoryStore::new();
    let mut account = licensed("quiet", Plan::Standard, "2027-02-08", None);
    store.create_account(&account);
    let mailer = MemoryMailer::default();
    let report = send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert_eq!(report.without_contract_email, vec![account.id.clone()]);
    assert!(mailer.sent().is_empty());
    account.contract_email = Some("it@quiet.example".into());
    assert!(store.update_settings(&account).await.unwrap());
    store
        .save_reminder_run(report.day, &RunProgress::NotStarted)
        .await
        .unwrap();
    send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert_eq!(sent_to(&mailer), ["it@quiet.example"]);
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
async fn a_mail_that_fails_after_its_claim_is_reported_and_never_sent_twice() {
    let store = store();
    let report = send_license_reminders(&store, &RefusingMailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(report.finished);
    assert_eq!((report.sent.len(), report.failed.len()), (0, 4));
    store
        .save_reminder_run(report.day, &RunProgress::NotStarted)
        .await
        .unwrap();
    let mailer = MemoryMailer::default();
    let again = send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert_eq!(again.already_sent, 4);
    assert!(mailer.sent().is_empty());
}

#[tokio::test]
async fn an_invocation_without_time_does_nothing_and_the_next_does_it_all() {
    let (store, mailer) = (store(), MemoryMailer::default());
    let report = send_license_reminders(&store, &mailer, run_at(), 100, || false)
        .await
        .unwrap();
    assert!(!report.finished);
    assert!(mailer.sent().is_empty());
    let report = send_license_reminders(&store, &mailer, run_at(), 100, always)
        .await
        .unwrap();
    assert!(report.finished);
    assert_eq!(mailer.sent().len(), 4);
}
